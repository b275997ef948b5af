#!/usr/bin/env bash
# The differential run on the VM's kernel: every example object, whole and each program
# alone, loaded by skelgen's C skeleton and by libbpf 1.1 (oracle). Every load libbpf
# manages must work through the skeleton, but the ones the file known explains for this
# kernel; the loads only the skeleton manages are listed, with libbpf's reason.
source "$ROOT/tests/vm/lib.sh"

both=0 neither=0 skel_only=0 libbpf_only=0 known=0
declare -A known_objects=()
here=$ROOT/tests/vm/parts/differential

# explained NAME: the skeleton's failure to load NAME, which libbpf loads, is one the file
# known lists for this kernel (its message is in skel.out); prints why.
explained() {
    local kernel object message why
    while IFS=$'\t' read -r kernel object message why; do
        [[ $kernel == \#* ]] && continue
        [ "$kernel" = "$VM_KERNEL_ID" ] || [ "$kernel" = '*' ] || continue
        [ "$object" = "$1" ] && grep -Fq -- "$message" skel.out || continue
        echo "$why"
        known_objects[$1]=$message
        return 0
    done <"$here/known"
    return 1
}

# one NAME [PROGRAM]: both loads of NAME (whole, or PROGRAM alone), and their verdict.
one() {
    local name=$1 prog=${2:-} what=${2:-(whole)} s l
    timeout 120 "./skel_$name" ${prog:+"$prog"} >skel.out 2>&1 && s=ok || s=fail
    timeout 120 ./oracle "$name.bpf.o" ${prog:+"$prog"} >libbpf.out 2>&1 && l=ok || l=fail
    case $s/$l in
        ok/ok) both=$((both + 1)) ;;
        fail/fail) neither=$((neither + 1)) ;;
        ok/fail)
            skel_only=$((skel_only + 1))
            echo "skelgen only: $name $what; libbpf: $(head -c 300 libbpf.out | tr '\n' ' ')"
            ;;
        fail/ok)
            if explained "$name" >why.out; then
                known=$((known + 1))
                echo "libbpf only (known): $name $what; skeleton: $(head -c 200 skel.out | tr '\n' ' '); $(<why.out)"
            else
                libbpf_only=$((libbpf_only + 1))
                echo "LIBBPF ONLY: $name $what; skeleton: $(head -c 300 skel.out | tr '\n' ' ')"
            fi
            ;;
    esac
}

while read -r name progs; do
    one "$name"
    for prog in $progs; do
        one "$name" "$prog"
    done
done <objects
echo "loads: $both by both, $skel_only by skelgen only, $libbpf_only by libbpf only" \
    "(and $known known, in the file known), $neither by neither"
for name in "${!known_objects[@]}"; do
    vm_result "libbpf 1.1 loads $name.bpf.o, the skeleton does not (tests/vm/parts/differential/known)" C \
        refused "${known_objects[$name]}"
done
proven "every load libbpf 1.1 manages, whole object or one program, the skeleton manages (but the known ones)" C \
    test "$libbpf_only" -eq 0
check "some loads succeed" test "$both" -gt 0
finish
