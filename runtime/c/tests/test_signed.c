/* The signed load's decisions without a kernel: when the second scheme is tried, and what
 * each pair of refusals is reported as. The calls themselves run in tests/signed_skeleton.rs
 * (host) and tests/vm/parts/signing (7.2, 7.3). */
#include "../skelgen_runtime.h"
#include "../skelgen_user.h"
#include "../skelgen_signed.h"
#include "check.h"

static int says(int first, int second, const char *phrase)
{
	return strstr(skelgen_signed_load_error(first, second), phrase) != NULL;
}

int main(void)
{
	/* Only a signature the kernel could not match is tried under the other scheme. */
	CHECK(skelgen_signed_retry(-EKEYREJECTED));
	CHECK(skelgen_signed_retry(-EBADMSG));
	CHECK(!skelgen_signed_retry(-EOPNOTSUPP));
	CHECK(!skelgen_signed_retry(-ENOKEY));
	CHECK(!skelgen_signed_retry(-EACCES));
	CHECK(!skelgen_signed_retry(-EINVAL));
	CHECK(!skelgen_signed_retry(-EPERM));

	CHECK(says(-EOPNOTSUPP, 0, "cannot verify signatures: built without CONFIG_SYSTEM_DATA_VERIFICATION"));
	CHECK(says(-ENOKEY, 0, "not in keyring_id's keyring"));
	CHECK(says(-EKEYREJECTED, -ENOKEY, "not in keyring_id's keyring"));
	CHECK(says(-EKEYREJECTED, -EACCES, "the blob is not the signed one"));
	CHECK(says(-EKEYREJECTED, -EKEYREJECTED, "rejected under both schemes"));
	CHECK(says(-EBADMSG, -EBADMSG, "rejected under both schemes"));
	CHECK(says(-EACCES, 0, "instructions are not the signed ones"));
	CHECK(says(-EINVAL, 0, "keyring_id names no keyring"));
	CHECK(!strcmp(skelgen_signed_load_error(-EPERM, 0), "load the signed loader"));

	/* The attributes the kernel reads, where its UAPI puts them. */
	CHECK(offsetof(struct skelgen_attr_prog_load_signed, signature) == 152);
	CHECK(offsetof(struct skelgen_attr_prog_load_signed, signature_size) == 160);
	CHECK(offsetof(struct skelgen_attr_map_create_excl, excl_prog_hash_size) == 88);
	CHECK(offsetof(struct skelgen_map_info_hash, hash_size) == 96);
	return check_report("test_signed");
}
