/* Every userspace header of the runtime in one translation unit, as a signed skeleton with
 * .kconfig and struct_ops would have them: built as C11 and as C++17 by run.sh. */
#include "../skelgen_runtime.h"
#include "../skelgen_user.h"
#include "../skelgen_helpers.h"
#include "../skelgen_buffers.h"
#include "../skelgen_read_all.h"
#include "../skelgen_inflate.h"
#include "../skelgen_kconfig.h"
#include "../skelgen_btf.h"
#include "../skelgen_struct_ops.h"
#include "../skelgen_signed.h"
#include "../skelgen_elf.h"
#include "../skelgen_uprobe.h"
/* Twice, as two skeletons in one translation unit include it: the guards hold. */
#include "../skelgen_runtime.h"
#include "../skelgen_user.h"

int main(void)
{
	/* The one function without a kernel behind it: the text a kconfig lookup reads. */
	size_t len = 0;
	const char *v = skelgen_kconfig_find("CONFIG_A=y\nCONFIG_B=\"x\"\n", "CONFIG_B", &len);

	return v && len == 3 ? 0 : 1;
}
