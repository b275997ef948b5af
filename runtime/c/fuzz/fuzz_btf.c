/* libFuzzer target: the kernel-BTF reader on arbitrary bytes. A file it accepts is then
 * walked as struct_ops would: every struct's members by name, sizes, function pointers. */
#include "../skelgen_runtime.h"
#include "../skelgen_user.h"
#include "../skelgen_read_all.h"
#include "../skelgen_btf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skelgen_btf btf;
	struct skelgen_btf_member m;
	const unsigned char *t;
	uint64_t bytes;
	uint32_t id, i;

	memset(&btf, 0, sizeof(btf));
	btf.raw = (unsigned char *)malloc(size ? size : 1);
	if (!btf.raw)
		return 0;
	memcpy(btf.raw, data, size);
	if (skelgen_btf_parse(&btf, size) == 0) {
		for (id = 1; id <= btf.nr_types && id < 4096; id++) {
			t = skelgen_btf_type(&btf, id);
			(void)skelgen_btf_size(&btf, id, &bytes);
			(void)skelgen_btf_is_func_ptr(&btf, id);
			if (skelgen_btf_kind(t) != SKELGEN_BTF_KIND_STRUCT)
				continue;
			(void)skelgen_btf_find(&btf, skelgen_btf_str(&btf, skelgen_btf_u32(t)), SKELGEN_BTF_KIND_STRUCT);
			for (i = 0; i < skelgen_btf_vlen(t) && i < 64; i++) {
				skelgen_btf_member_at(t, i, &m);
				if (skelgen_btf_member(&btf, id, skelgen_btf_str(&btf, skelgen_btf_u32(t + 12 + 12 * i)), &m))
					(void)skelgen_btf_size(&btf, m.type, &bytes);
			}
		}
	}
	skelgen_btf_free(&btf);
	return 0;
}
