#!/usr/bin/env bash
# Faults at run time in the kernel light skeleton's runtime, through faults_kmod (see its
# first comment): the skeleton of iterators.bpf.o with every kern_sys_bpf, allocation, task
# mapping and reference call of its runtime counted.
#  - a clean run: how many calls, and which; the iterators work (read from userspace);
#  - every call failed in turn with ENOMEM, EPERM and EINTR: insmod fails with that error
#    (ENOMEM for an allocation) and says which step, or, for the loader program's load
#    (retried with the log), succeeds; either way no program, map or link is left (bpftool,
#    ids before and after), nor memory, mapping, reference or fd of the runtime;
#  - a failed attach-all leaves no link of the program it did attach (held, seen by
#    bpftool); destroy after a failed load, from rmmod's task, is safe;
#  - without a log the loader program's load is not retried; rmmod and reload are clean;
#  - manylog_kmod: a log big enough for each program of many.bpf.o but not for the loader
#    program does not fail the load.
# A process start costs about 0.1 s in the VM: the checks of the 54 fault runs parse what
# they read with bash itself.
source "$ROOT/tests/vm/lib.sh"

mod=faults_kmod
listing=./bpf_listing

# bpf_ids: one line "prog ID", "map ID" or "link ID" per BPF object, from one bpftool run.
bpf_ids() {
    local kind=none token
    bpftool -j batch file - <<<$'prog show\nmap show\nlink show' |
        grep -oE '"command":\["[a-z]+"|\{"id":[0-9]+' |
        while IFS= read -r token; do
            if [[ $token =~ ^\"command\":\[\"([a-z]+)\"$ ]]; then
                kind=${BASH_REMATCH[1]}
            else
                echo "$kind ${token#*:}"
            fi
        done
}

# new_objects BEFORE: writes to ids.new the objects bpftool lists now that are not in the
# file BEFORE (ids.now: all of them); true when there are none.
new_objects() {
    bpf_ids >ids.now
    ! grep -vxFf "$1" ids.now >ids.new
}

# new_are BEFORE PROGS MAPS LINKS: the objects not in the file BEFORE (in ids.new) are that
# many programs, maps and links (once the loader's are freed; see settled).
new_are() {
    new_objects "$1"
    [ "$(count_new prog) $(count_new map) $(count_new link)" = "$2 $3 $4" ]
}

# count_new KIND: how many objects of KIND (prog, map, link) ids.new has.
count_new() {
    local n=0 kind id
    while read -r kind id; do
        [ "$kind" = "$1" ] && n=$((n + 1))
    done <ids.new
    echo "$n"
}

# kmsg COMMAND...: runs COMMAND, then takes the kernel's messages (and clears them): the
# module's lines go to the array modlines, kernel warnings to warnings.log. Returns
# COMMAND's status.
kmsg() {
    local rc line
    "$@" >cmd.out 2>&1
    rc=$?
    modlines=()
    while IFS= read -r line; do
        case $line in
            "$mod: "*) modlines+=("${line#"$mod: "}") ;;
            *WARNING:* | *BUG:* | *Oops* | *refcount_t* | *"general protection"* | *UBSAN* | *KASAN*)
                echo "$line" >>warnings.log ;;
        esac
    done < <(dmesg -t -c)
    return "$rc"
}

# load PARAM...: insmod the module, then parse its "run:" line into run_calls, run_injected,
# run_what, run_result and run_step (see faults_kmod.c).
load() {
    local rc line re='^run: calls ([0-9]+) injected ([0-9]+) what (.+) result (-?[0-9]+) step (.+)$'
    kmsg insmod "./$mod.ko" "$@"
    rc=$?
    run_calls='' run_injected='' run_what='' run_result='' run_step=''
    for line in "${modlines[@]}"; do
        if [[ $line =~ $re ]]; then
            run_calls=${BASH_REMATCH[1]} run_injected=${BASH_REMATCH[2]}
            run_what=${BASH_REMATCH[3]} run_result=${BASH_REMATCH[4]} run_step=${BASH_REMATCH[5]}
        fi
    done
    return "$rc"
}

# said LINE: the module printed exactly LINE (after its name) in the last load or unload.
said() {
    local line
    for line in "${modlines[@]}"; do
        [ "$line" = "$1" ] && return 0
    done
    return 1
}

# said_like PATTERN: a line the module printed matches the bash regular expression.
said_like() {
    local line
    for line in "${modlines[@]}"; do
        [[ $line =~ $1 ]] && return 0
    done
    return 1
}

# iterators_work: userspace reads both listings, and the program listing shows the
# module's two iterators.
iterators_work() {
    $listing read dump_bpf_map dump_bpf_prog >listing.out 2>&1 &&
        grep -Eq '^ +[0-9]+ dump_bpf_map +bpf_iter_bpf_map ' listing.out &&
        grep -Eq '^ +[0-9]+ dump_bpf_prog +bpf_iter_bpf_prog ' listing.out
}

# problem TEXT: records why the current check fails; `problems=()` starts a check.
problem() {
    problems+=("$1")
}

# no_problems: prints the problems recorded; true when there are none.
no_problems() {
    [ "${#problems[@]}" -eq 0 ] && return 0
    printf '     %s\n' "${problems[@]}"
    return 1
}

# expect_new PROGS MAPS LINKS: ids.new has that many new objects of each kind.
expect_new() {
    local got
    got="$(count_new prog) $(count_new map) $(count_new link)"
    [ "$got" = "$1 $2 $3" ] ||
        problem "new programs, maps, links: $got; expected $1 $2 $3"
}

# after_rmmod BEFORE: rmmod; exit released everything and no object is left.
after_rmmod() {
    kmsg rmmod "$mod" || problem "rmmod failed: $(<cmd.out)"
    said "exit: leaks: memory 0 mappings 0 refs 0" ||
        problem "exit left something: ${modlines[*]}"
    settled new_objects "$1" || problem "left after rmmod: $(<ids.new)"
}

# no_warning: no kernel warning so far.
no_warning() {
    [ ! -s warnings.log ] || problem "kernel warnings: $(head -n 3 warnings.log)"
}

errno_name=([1]=EPERM [4]=EINTR [12]=ENOMEM)
errno_text=([1]="Operation not permitted" [4]="Interrupted system call" [12]="Cannot allocate memory")
declare -A failed_at=()
recovered=0
runs=0
bad_runs=0

# one_fault CALL ERRNO BEFORE: insmod with call CALL failing with ERRNO, then what the
# module and the kernel say; records problems and sets $summary. BEFORE lists the objects
# before the run.
one_fault() {
    local call=$1 errno=$2 before=$3 want=${calls[$1 - 1]} expected rc
    load fail_at="$call" fail_errno="$errno"
    rc=$?
    runs=$((runs + 1))
    [ "$run_injected" = "$call" ] || problem "call $call was not reached"
    [ "$run_what" = "$want" ] || problem "call $call is $run_what; the clean run's was $want"
    said "fds: left 0" || problem "insmod's fds changed: ${modlines[*]}"
    if [ "$rc" -eq 0 ]; then
        # Only the loader program's load is tried again (with the log), and then succeeds.
        [ "$run_what $run_step" = "kern_sys_bpf:BPF_PROG_LOAD done" ] ||
            problem "insmod succeeded: the fault at $run_what went unnoticed"
        [ "$run_calls" = $((clean_calls + 1)) ] ||
            problem "$run_calls calls after a retried load; expected $((clean_calls + 1))"
        settled new_are "$before" 2 3 2
        expect_new 2 3 2
        iterators_work || problem "the iterators of the recovered load do not read"
        after_rmmod "$before"
        recovered=$((recovered + 1))
        summary="retried with the log, insmod succeeds"
    else
        expected=$errno
        [ "$run_what" = kvzalloc ] && expected=12
        [ "$run_result" = "-$expected" ] || problem "init returned $run_result; expected -$expected"
        [[ $(<cmd.out) == *"${errno_text[$expected]}"* ]] || problem "insmod says: $(<cmd.out)"
        [ ! -e "/sys/module/$mod" ] || problem "the module is loaded after a failed init"
        said "init: leaks: memory 0 mappings 0 refs 0" || problem "init left something: ${modlines[*]}"
        case $run_step in
            load)
                said_like "^load: error -$expected at plan step -?[0-9]+ \(" &&
                    ! said_like 'no step said' || problem "the failed load does not say its step"
                ;;
            attach)
                said "attach: links left: fds 0 refs 0" || problem "attach-all left a link"
                ;;
        esac
        settled new_objects "$before" || problem "left after the failed insmod: $(<ids.new)"
        failed_at[$run_step]=$((${failed_at[$run_step]:-0} + 1))
        summary="insmod fails with ${errno_name[$expected]} at $run_step"
    fi
    no_warning
}

# nth_call WHAT N: the index (from 1) of the N-th call WHAT in the clean run.
nth_call() {
    local i n=0
    for i in "${!calls[@]}"; do
        [ "${calls[$i]}" = "$1" ] && n=$((n + 1))
        [ "$n" = "$2" ] && echo $((i + 1)) && return
    done
}

# held CALL STEP PROGS MAPS LINKS: with hold=1 the run failing at CALL (in STEP) keeps what
# it left until rmmod: exactly PROGS programs, MAPS maps and LINKS links; rmmod then
# releases them.
held() {
    local call=$1
    problems=()
    bpf_ids >ids.before
    load fail_at="$call" hold=1 || problem "insmod with hold=1 failed: $(<cmd.out)"
    said "held after the failure: $2" || problem "the run did not fail at $2"
    said "fds: left 0" || problem "insmod's fds changed"
    settled new_are ids.before "$3" "$4" "$5"
    expect_new "$3" "$4" "$5"
    after_rmmod ids.before
    no_warning
    no_problems
}

: >warnings.log
dmesg -C

# --- the clean run ----------------------------------------------------------

echo "== clean run"
group "every call failed in turn (ENOMEM, EPERM, EINTR): nothing leaked" "kernel module"
bpf_ids >ids.start
check "insmod $mod (no fault, every call traced)" load trace=1
calls=()
for line in "${modlines[@]}"; do
    [[ $line =~ ^call\ [0-9]+:\ (.+)$ ]] && calls+=("${BASH_REMATCH[1]}")
done
clean_calls=$run_calls
printf '%s\n' "${calls[@]}" >calls.table
echo "calls: $clean_calls: $(uniq -c calls.table | awk '{ printf "%s%s x%s", sep, $2, $1; sep = ", " }')"
check "the run completes: no fault, result 0" \
    said "run: calls $clean_calls injected 0 what - result 0 step done"
check "every call was traced" test "${#calls[@]}" = "$clean_calls"
kinds="$(grep -c '^kvzalloc$' calls.table) $(grep -c '^kern_sys_bpf:' calls.table)"
kinds="$kinds $(grep -c '_get' calls.table)"
check "3 allocations, 7 kern_sys_bpf (5 loader, 2 links), 7 references taken" test "$kinds" = "3 7 7"
check "insmod's fds are as before" said "fds: left 0"
problems=()
settled new_are ids.start 2 3 2
expect_new 2 3 2
check "2 programs, 3 maps and 2 links are loaded" no_problems
check "userspace reads both iterators" iterators_work
problems=()
after_rmmod ids.start
check "rmmod releases everything (by id, memory, mappings, references)" no_problems

# --- every call fails, with each errno --------------------------------------

bpf_ids >ids.before
for errno in 12 1 4; do
    echo "== every call fails with ${errno_name[$errno]} (no run may leave an object, memory," \
        "a mapping, a reference or an fd)"
    for call in $(seq 1 "$clean_calls"); do
        problems=()
        one_fault "$call" "$errno" ids.before
        [ "${#problems[@]}" -eq 0 ] || bad_runs=$((bad_runs + 1))
        check "call $call (${calls[$call - 1]}), ${errno_name[$errno]}: $summary" no_problems
        mv ids.now ids.before
    done
done

# --- attach-all and destroy, held -------------------------------------------

echo "== held failures"
link2=$(nth_call kern_sys_bpf:BPF_LINK_CREATE 2)
ref2=$(nth_call bpf_link_get_from_fd 2)
testrun=$(nth_call kern_sys_bpf:BPF_PROG_TEST_RUN 1)
check "the second BPF_LINK_CREATE fails (call $link2): attach-all leaves no link, the programs stay" \
    held "$link2" attach 2 3 0
check "the second link reference fails (call $ref2): the first link is released too" \
    held "$ref2" attach 2 3 0
check "the loader run fails (call $testrun): nothing is loaded; destroy in rmmod's task is safe" \
    held "$testrun" load 0 0 0

# --- without a log; reload --------------------------------------------------

echo "== without a log; reload"
progload=$(nth_call kern_sys_bpf:BPF_PROG_LOAD 1)
bpf_ids >ids.before
load fail_at="$progload" with_log=0
rc=$?
check "without a log the loader program's load (call $progload) is not retried: insmod fails" \
    test "$rc $run_result" = "1 -12"
check "and leaves nothing" settled new_objects ids.before
check "reload after all the failures: insmod succeeds" load
check "the iterators read" iterators_work
problems=()
after_rmmod ids.before
check "rmmod leaves nothing" no_problems

# --- a log too small for the loader program ---------------------------------

echo "== manylog_kmod: many.bpf.o with a 64 KiB log"
group_end
manylog_feature="a log too small for the loader program (many.bpf.o)"
mod=manylog_kmod
bpf_ids >ids.before
# 7.x's verifier refuses many.bpf.o's tp_close (EACCES): the module must say so and leave
# nothing.
manylog_refused() {
    kmsg insmod ./manylog_kmod.ko
    local rc=$?
    printf '%s\n' "${modlines[@]}" | tee manylog.out
    return "$rc"
}
manylog_loaded() {
    new_objects ids.before
    [ "$(count_new prog) $(count_new map)" = "52 80" ]
}
if kernel_at_least 7.0; then
    refused "$manylog_feature" "kernel module" "load: -13 at plan step 93 (PROG_LOAD tp_close)" \
        manylog.out manylog_refused
else
    group "$manylog_feature" "kernel module"
    check "insmod manylog_kmod: the load succeeds, the loader program is verified without the log" \
        kmsg insmod ./manylog_kmod.ko
    printf '%s\n' "${modlines[@]}"
    settled manylog_loaded
    echo "loaded: $(count_new prog) programs, $(count_new map) maps"
    check "its 52 programs and 80 maps are loaded" test "$(count_new prog) $(count_new map)" = "52 80"
    check "rmmod manylog_kmod" kmsg rmmod manylog_kmod
fi
check "nothing of manylog_kmod remains (by id)" settled new_objects ids.before

check "no kernel warning in any run" test ! -s warnings.log

fails=0
for s in "${!failed_at[@]}"; do
    fails=$((fails + failed_at[$s]))
done
echo "kernel-faults: $clean_calls calls x 3 errnos = $runs runs: $fails failed with the" \
    "expected error (open ${failed_at[open]:-0}, load ${failed_at[load]:-0}," \
    "attach ${failed_at[attach]:-0}), $recovered recovered by the retried loader load," \
    "$bad_runs with a problem (a leak, a wrong error, a warning)"
finish
