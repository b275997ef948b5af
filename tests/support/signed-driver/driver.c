/*
 * Loads one signed loader through the C runtime's skelgen_run_signed_loader, the way a
 * signed skeleton will: signed_blob.h (written by tests/signed_c.rs) holds the loader, its
 * blob, a context as a skeleton fills it at open, and both signatures.
 *
 *   driver CERT.der|- none|blob|insns|sig session|builtin
 *
 * adds the certificate to the session keyring (unless "-"), flips one byte of what the
 * second argument names, loads against the session keyring or the builtin one (0), and
 * prints "loaded" or "refused: WHAT: ERROR (step N)". Exit status 0 loaded, 1 refused, 2
 * when fds leaked or the arguments are wrong.
 */
#include "skelgen_runtime.h"
#include "skelgen_user.h"
#include "skelgen_signed.h"
#include "signed_blob.h"

static int open_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static int add_cert(const char *path)
{
	static unsigned char der[8192];
	size_t len;
	FILE *f = fopen(path, "rb");
	int32_t id;

	if (!f)
		return -errno;
	len = fread(der, 1, sizeof(der), f);
	fclose(f);
	id = skelgen_add_certificate(der, len, SKELGEN_KEY_SPEC_SESSION_KEYRING);
	return id < 0 ? id : 0;
}

static void close_fds(const unsigned char *ctx)
{
	uint32_t i;
	int32_t fd;

	for (i = 0; i < SIGNED_NR_MAPS + SIGNED_NR_PROGS; i++) {
		uint32_t off = i < SIGNED_NR_MAPS ? 48 + 24 * i : 48 + 24 * SIGNED_NR_MAPS + 8 * (i - SIGNED_NR_MAPS);

		memcpy(&fd, ctx + off, sizeof(fd));
		if (fd > 0)
			close(fd);
	}
}

int main(int argc, char **argv)
{
	static unsigned char insns[sizeof(signed_insns)] __attribute__((__aligned__(8)));
	static unsigned char data[sizeof(signed_data)] __attribute__((__aligned__(8)));
	static unsigned char meta[sizeof(signed_sig_meta)], only[sizeof(signed_sig_insns)];
	static uint64_t ctx[(sizeof(signed_ctx) + 7) / 8];
	struct skelgen_blob blob;
	struct skelgen_signature sig;
	const char *what = NULL;
	int before, err, step = -1;

	if (argc != 4)
		return 2;
	if (strcmp(argv[1], "-") != 0 && (err = add_cert(argv[1])) < 0) {
		printf("add_key %s: %s\n", argv[1], strerror(-err));
		return 2;
	}
	memcpy(insns, signed_insns, sizeof(insns));
	memcpy(data, signed_data, sizeof(data));
	memcpy(meta, signed_sig_meta, sizeof(meta));
	memcpy(only, signed_sig_insns, sizeof(only));
	memcpy(ctx, signed_ctx, sizeof(signed_ctx));
	if (!strcmp(argv[2], "blob"))
		data[sizeof(data) / 2] ^= 1;
	else if (!strcmp(argv[2], "insns"))
		insns[12] ^= 1;	/* the immediate of the instruction after r6 = r1 */
	else if (!strcmp(argv[2], "sig"))
		meta[sizeof(meta) - 1] ^= 1, only[sizeof(only) - 1] ^= 1;
	blob.insns = insns;
	blob.insns_size = sizeof(insns);
	blob.data = data;
	blob.data_size = sizeof(data);
	blob.steps = signed_steps;
	blob.nr_steps = sizeof(signed_steps) / sizeof(signed_steps[0]);
	sig.excl_prog_hash = signed_excl_prog_hash;
	sig.with_metadata = meta;
	sig.with_metadata_size = sizeof(meta);
	sig.insns_only = only;
	sig.insns_only_size = sizeof(only);
	sig.keyring_id = strcmp(argv[3], "builtin") ? SKELGEN_KEY_SPEC_SESSION_KEYRING : 0;
	before = open_fds();
	err = skelgen_run_signed_loader((struct skelgen_loader_ctx *)(void *)ctx, &blob, &sig, &what, &step);
	if (err < 0)
		printf("refused: %s: %s (step %d)\n", what ? what : "?", strerror(-err), step);
	else
		printf("loaded\n");
	close_fds((const unsigned char *)ctx);
	if (open_fds() != before) {
		printf("fds leaked: %d before, %d after\n", before, open_fds());
		return 2;
	}
	return err < 0 ? 1 : 0;
}
