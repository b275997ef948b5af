#!/usr/bin/env bash
# The differential run: for every example object, skelgen's C skeleton and libbpf (the
# machine's, Debian's 1.1) each load it whole, and each of its programs alone (the others'
# autoload off), on the VM's kernel. Here: each object's skeleton header and a driver,
# skel_<name> [PROGRAM], generated from the programs the header names; and oracle, the
# libbpf loader. The object list is written to objects, one "NAME PROGRAM..." line each.
set -euo pipefail

cd "$STAGE"
here=$ROOT/tests/vm/parts/differential
cc_flags=(-std=c11 -Wall -Wextra -Werror -pedantic -I "$STAGE")
gcc "${cc_flags[@]}" -o oracle "$here/oracle.c" -lbpf

# driver NAME PROGRAM...: a C program that opens NAME's skeleton, keeps only argv[1]'s
# program autoloaded when given, loads, prints "load <err> <step>" and destroys.
driver() {
    local name=$1 p
    shift
    printf '#include "%s.lskel.h"\n#include <stdio.h>\n#include <string.h>\n\n' "$name"
    printf 'int main(int argc, char **argv)\n{\n'
    printf '\tstruct %s *skel = %s__open();\n\tint err;\n\n' "$name" "$name"
    printf '\tif (!skel) {\n\t\tputs("open failed");\n\t\treturn 1;\n\t}\n'
    printf '\tif (argc > 1) {\n'
    for p in "$@"; do
        printf '\t\tskel->progs.%s.autoload = strcmp(argv[1], "%s") == 0;\n' "$p" "$p"
    done
    printf '\t}\n\terr = %s__load(skel);\n' "$name"
    printf '\tprintf("load %%d %%s\\n", err, err ? skel->err_step : "");\n'
    printf '\t%s__destroy(skel);\n\treturn err ? 1 : 0;\n}\n' "$name"
}

: >objects
for obj in "$ROOT"/examples/bpf/*.bpf.o; do
    name=$(basename "$obj" .bpf.o)
    cp "$obj" .
    "$SKELGEN" --lang c "$obj" -o "$name.lskel.h"
    mapfile -t progs < <(grep -o 'skel->progs\.[A-Za-z0-9_]*\.autoload = 1;' "$name.lskel.h" |
        cut -d. -f2)
    [ "${#progs[@]}" -gt 0 ] || {
        echo "$name.lskel.h names no program"
        exit 1
    }
    driver "$name" "${progs[@]}" >"drv_$name.c"
    gcc "${cc_flags[@]}" -o "skel_$name" "drv_$name.c"
    echo "$name ${progs[*]}" >>objects
done
cat objects
