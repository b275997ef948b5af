#!/usr/bin/env python3
"""Type definitions a `bpftool gen skeleton -L` header needs, for the benchmark driver.

bpftool's light skeletons name the object's types (`struct sample *bss`) without defining
them; their users include vmlinux.h or their own headers. This prints
`bpftool btf dump file OBJ format c`, minus the definitions the system's
<linux/bpf.h> already provides (which the skeleton includes through libbpf's
skel_internal.h), so both can be included in one translation unit.

usage: ref_types.py OBJ > OBJ_types.h
"""
import re
import subprocess
import sys


def uapi_structs():
    with open("/usr/include/linux/bpf.h", encoding="utf-8") as f:
        return set(re.findall(r"^(?:struct|union|enum) (\w+) \{", f.read(), re.M))


def main():
    dump = subprocess.run(
        ["bpftool", "btf", "dump", "file", sys.argv[1], "format", "c"],
        check=True, capture_output=True, text=True,
    ).stdout
    known = uapi_structs()
    out, skip = [], False
    for line in dump.splitlines():
        m = re.match(r"^(?:struct|union|enum) (\w+) \{", line)
        if m and m.group(1) in known:
            skip = True
        if not skip:
            out.append(line)
        elif line.startswith("}"):
            skip = False
    print("#include <errno.h>\n#include <sys/mman.h>\n#include <bpf/skel_internal.h>")
    print("\n".join(out))


if __name__ == "__main__":
    main()
