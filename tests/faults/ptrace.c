// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A ptrace(2) fault injector for skeleton runtimes that make raw system calls (Go's
 * syscall.Syscall and syscall.Mmap never reach libc, so LD_PRELOAD cannot see them). It runs
 * a command, counts the calls its threads and children make to bpf(2), perf_event_open(2)
 * and mmap(2) of a file descriptor (anonymous mappings are the language runtime's heap, not
 * the skeleton's; a mapping of an fd is a map's view or a ring buffer), and makes call
 * number $SKELGEN_FAULT_CALL fail with errno $SKELGEN_FAULT_ERRNO (default ENOMEM): the call
 * is skipped at its entry (its number set to -1) and returns -errno at its exit. At exit it
 * prints "fault: calls N injected K what W" on stderr, as tests/faults/inject.c does (W: the
 * bpf(2) command number of the failed call, "perf_event_open" or "mmap"), and exits as the
 * command did.
 *
 *   cc -O2 ptrace.c -o ptrace-inject
 *   SKELGEN_FAULT_CALL=3 SKELGEN_FAULT_ERRNO=4 ./ptrace-inject ./consumer args...
 *
 * By default a seccomp filter returning SECCOMP_RET_TRACE for those calls alone makes them
 * the only ones that stop; with --every-syscall every system call stops (ptrace's plain
 * PTRACE_SYSCALL), which is slower and gives the same counts. x86-64 only.
 *
 * With $SKELGEN_FAULT_LOADER_EAGAIN=1, a failed call that is BPF_PROG_TEST_RUN (the loader's
 * run) returns 0 with the attr's retval set to -EAGAIN instead: what a loader whose program
 * load a signal cut short returns, without running it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __x86_64__
#error "the injector reads and writes x86-64 registers"
#endif

static long calls;
static long injected;
static long fault_at = -1;
static long fault_errno = ENOMEM;
static char fault_what[32] = "-";
static int every_syscall;
static int loader_eagain;

/*
 * What the injector remembers of one traced thread: whether it has stopped before (its first
 * stop is ptrace's own SIGSTOP, not the program's), and whether its current call is the
 * failed one, whose return value is still to be set at its exit. Threads come and go, so
 * the table is searched and its slots reused.
 */
struct thread {
	pid_t tid;
	int started;
	int inject;
	unsigned long long test_run_attr;	/* a BPF_PROG_TEST_RUN's attr, when injected */
};

static struct thread *threads;
static size_t nr_threads;

static struct thread *thread_find(pid_t tid)
{
	struct thread *t;
	size_t i;

	for (i = 0; i < nr_threads; i++)
		if (threads[i].tid == tid)
			return &threads[i];
	for (i = 0; i < nr_threads; i++)
		if (threads[i].tid == 0)
			break;
	if (i == nr_threads) {
		t = realloc(threads, (nr_threads + 16) * sizeof(*t));
		if (!t) {
			perror("fault: realloc");
			exit(125);
		}
		memset(t + nr_threads, 0, 16 * sizeof(*t));
		threads = t;
		nr_threads += 16;
	}
	threads[i].tid = tid;
	threads[i].started = 0;
	threads[i].inject = 0;
	threads[i].test_run_attr = 0;
	return &threads[i];
}

static void thread_forget(pid_t tid)
{
	size_t i;

	for (i = 0; i < nr_threads; i++)
		if (threads[i].tid == tid)
			threads[i].tid = 0;
}

/* Whether a call (its number, and flags for mmap) is one the test counts. */
static int counted(unsigned long long nr, unsigned long long mmap_flags)
{
	if (nr == SYS_bpf || nr == SYS_perf_event_open)
		return 1;
	return nr == SYS_mmap && !(mmap_flags & MAP_ANONYMOUS);
}

/* The filter: SECCOMP_RET_TRACE for the counted calls, every other call runs untraced. */
static int install_filter(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_bpf, 5, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_perf_event_open, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 2),
		/* The low half of flags, on a little-endian machine. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[3])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_ANONYMOUS, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };

	/* Unprivileged callers may only filter themselves once they cannot gain privilege. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* The child: stopped until the tracer is ready, then filtered, then the command. */
static void run_child(char **argv)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL)) {
		perror("fault: PTRACE_TRACEME");
		_exit(126);
	}
	raise(SIGSTOP);
	if (!every_syscall && install_filter()) {
		perror("fault: seccomp filter");
		_exit(126);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "fault: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* A call's entry (a seccomp stop, or a syscall-entry stop): count it, and maybe skip it. */
static void on_entry(pid_t tid, struct thread *t)
{
	struct user_regs_struct regs;

	/* The arguments are in rdi, rsi, rdx, r10, r8 and r9. */
	if (ptrace(PTRACE_GETREGS, tid, NULL, &regs))
		return;
	if (!counted(regs.orig_rax, regs.r10) || ++calls != fault_at)
		return;
	injected++;
	if (regs.orig_rax == SYS_bpf)
		snprintf(fault_what, sizeof(fault_what), "%llu", regs.rdi);
	else
		snprintf(fault_what, sizeof(fault_what), "%s",
			 regs.orig_rax == SYS_mmap ? "mmap" : "perf_event_open");
	t->test_run_attr = loader_eagain && regs.orig_rax == SYS_bpf && regs.rdi == 10 ? regs.rsi : 0;
	regs.orig_rax = -1ULL;
	if (ptrace(PTRACE_SETREGS, tid, NULL, &regs) == 0)
		t->inject = 1;
}

/* A call's exit: the skipped call returns -errno. */
static void on_exit_stop(pid_t tid, struct thread *t)
{
	struct user_regs_struct regs;

	if (!t->inject)
		return;
	t->inject = 0;
	if (ptrace(PTRACE_GETREGS, tid, NULL, &regs))
		return;
	regs.rax = (unsigned long long)-fault_errno;
	if (t->test_run_attr) {
		/* retval is the u32 at offset 4 of the attr: the high half of its first word. */
		unsigned long word;

		errno = 0;
		word = (unsigned long)ptrace(PTRACE_PEEKDATA, tid, (void *)t->test_run_attr, NULL);
		if (errno == 0) {
			word = (word & 0xffffffffUL) | (unsigned long)(uint32_t)-EAGAIN << 32;
			if (ptrace(PTRACE_POKEDATA, tid, (void *)t->test_run_attr, (void *)word) == 0)
				regs.rax = 0;
		}
	}
	ptrace(PTRACE_SETREGS, tid, NULL, &regs);
}

/*
 * One stop of a traced thread; returns the signal to deliver when it resumes. Entry and
 * exit are told apart by PTRACE_GET_SYSCALL_INFO rather than by counting stops: a thread
 * that calls execve(2) takes over the leader's id, and a count kept per id goes wrong there.
 */
static int on_stop(pid_t tid, int status, struct thread *t)
{
	struct __ptrace_syscall_info info;
	int sig = WSTOPSIG(status), event = status >> 16;
	siginfo_t si;

	if (sig == (SIGTRAP | 0x80)) {
		if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, (void *)sizeof(info), &info) <= 0)
			return 0;
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY)
			on_entry(tid, t);
		else if (info.op == PTRACE_SYSCALL_INFO_EXIT)
			on_exit_stop(tid, t);
		return 0;
	}
	if (sig == SIGTRAP && event == PTRACE_EVENT_SECCOMP) {
		on_entry(tid, t);
		return 0;
	}
	if (sig == SIGTRAP && event == PTRACE_EVENT_EXEC) {
		unsigned long former;

		/* A thread that is not the leader took over the leader's id. */
		if (ptrace(PTRACE_GETEVENTMSG, tid, NULL, &former) == 0 && (pid_t)former != tid)
			thread_forget((pid_t)former);
		return 0;
	}
	if (sig == SIGTRAP && event)
		return 0; /* clone, fork or vfork: the new thread or child stops on its own */
	/* A group-stop has no siginfo: resuming ends it. */
	if (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si))
		return 0;
	return sig;
}

/* Exits as the command did: the same code, or the same signal. */
static void exit_like(int status)
{
	if (WIFSIGNALED(status)) {
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
		exit(128 + WTERMSIG(status));
	}
	exit(WEXITSTATUS(status));
}

static long env_number(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v && *v ? atol(v) : dflt;
}

int main(int argc, char **argv)
{
	int status, child_status = 0, sig;
	long options = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |
		       PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
	pid_t child, tid;
	struct thread *t;

	if (argc > 1 && strcmp(argv[1], "--every-syscall") == 0) {
		every_syscall = 1;
		argv++, argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: %s [--every-syscall] command [args...]\n", argv[0]);
		return 2;
	}
	fault_at = env_number("SKELGEN_FAULT_CALL", -1);
	fault_errno = env_number("SKELGEN_FAULT_ERRNO", ENOMEM);
	loader_eagain = env_number("SKELGEN_FAULT_LOADER_EAGAIN", 0) != 0;
	if (!every_syscall)
		options |= PTRACE_O_TRACESECCOMP;
	child = fork();
	if (child < 0) {
		perror("fault: fork");
		return 125;
	}
	if (child == 0)
		run_child(argv + 1);
	if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status) ||
	    ptrace(PTRACE_SETOPTIONS, child, NULL, (void *)options)) {
		perror("fault: starting the command");
		kill(child, SIGKILL);
		return 125;
	}
	thread_find(child)->started = 1;
	ptrace(every_syscall ? PTRACE_SYSCALL : PTRACE_CONT, child, NULL, NULL);
	while ((tid = waitpid(-1, &status, __WALL)) > 0) {
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (tid == child)
				child_status = status;
			thread_forget(tid);
			continue;
		}
		if (!WIFSTOPPED(status))
			continue;
		t = thread_find(tid);
		sig = on_stop(tid, status, t);
		if (!t->started && sig == SIGSTOP)
			sig = 0;
		t->started = 1;
		/* Only a failed call's exit must stop; with the filter, nothing else does. */
		ptrace(every_syscall || t->inject ? PTRACE_SYSCALL : PTRACE_CONT, tid, NULL,
		       (void *)(long)sig);
	}
	fprintf(stderr, "fault: calls %ld injected %ld what %s\n", calls, injected, fault_what);
	exit_like(child_status);
	return 0;
}
