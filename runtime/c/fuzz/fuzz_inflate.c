/* libFuzzer target: the gzip reader on arbitrary bytes. What it accepts is NUL-terminated
 * and within the reader's cap. */
#include "../skelgen_runtime.h"
#include "../skelgen_user.h"
#include "../skelgen_inflate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t out_len = 0;
	unsigned char *out = skelgen_gunzip(data, size, &out_len);

	if (out) {
		if (out[out_len] != '\0' || out_len >= SKELGEN_INFLATE_MAX)
			__builtin_trap();
		free(out);
	}
	return 0;
}
