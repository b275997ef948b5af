/*
 * Loads the light skeleton in skel.h (object SKEL_NAME, signed when SKEL_SIGNED is defined)
 * the way a program does: open, keyring_id, load, destroy.
 *
 *   driver CERT.der|- session|builtin [ids]
 *
 * adds the certificate to the session keyring (unless "-"), loads against the session
 * keyring or the builtin one (0), and prints "loaded" or "refused: WHAT: ERROR (step N)".
 * With "ids", the BPF programs and maps of the whole system are counted before open and
 * after destroy (on a quiet system: the VMs). Exit status 0 loaded, 1 refused, 2 when
 * something leaked or the arguments are wrong.
 */
#include <stdio.h>
#include "skel.h"

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define SKEL_FN(suffix) CAT(SKEL_NAME, suffix)

static int open_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* How many objects BPF_{PROG,MAP}_GET_NEXT_ID (cmd) walks through. */
static int count_ids(int cmd)
{
	uint32_t attr[4] = { 0, 0, 0, 0 };
	int n = 0;

	while (skelgen_sys_bpf(cmd, attr, sizeof(attr)) == 0) {
		attr[0] = attr[1];
		n++;
	}
	return n;
}

static int add_cert(const char *path)
{
	static unsigned char der[8192];
	size_t len;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -errno;
	len = fread(der, 1, sizeof(der), f);
	fclose(f);
#ifdef SKEL_SIGNED
	{
		int32_t id = skelgen_add_certificate(der, len, SKELGEN_KEY_SPEC_SESSION_KEYRING);

		return id < 0 ? id : 0;
	}
#else
	(void)len;
	return 0;
#endif
}

int main(int argc, char **argv)
{
	struct SKEL_NAME *skel;
	int fds, progs = 0, maps = 0, ids, err;

	if (argc < 3 || argc > 4)
		return 2;
	ids = argc == 4 && !strcmp(argv[3], "ids");
	if (strcmp(argv[1], "-") != 0 && (err = add_cert(argv[1])) < 0) {
		printf("add_key %s: %s\n", argv[1], strerror(-err));
		return 2;
	}
	fds = open_fds();
	if (ids) {
		progs = count_ids(11);	/* BPF_PROG_GET_NEXT_ID */
		maps = count_ids(12);	/* BPF_MAP_GET_NEXT_ID */
	}
	skel = SKEL_FN(__open)();
	if (!skel) {
		printf("open: %s\n", strerror(errno));
		return 2;
	}
#ifdef SKEL_SIGNED
	skel->keyring_id = strcmp(argv[2], "session") ? 0 : SKELGEN_KEY_SPEC_SESSION_KEYRING;
#endif
	err = SKEL_FN(__load)(skel);
	if (err)
		printf("refused: %s: %s (step %d)\n", skel->err_step, strerror(-err), skel->err_step_index);
	else
		printf("loaded\n");
	SKEL_FN(__destroy)(skel);
	if (open_fds() != fds) {
		printf("leaked fds\n");
		return 2;
	}
	if (ids && (count_ids(11) != progs || count_ids(12) != maps)) {
		printf("leaked programs or maps\n");
		return 2;
	}
	return err ? 1 : 0;
}
