// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rejected: an object the verifier refuses, for rejected_kmod. Its first
 * program is correct and loads; the second reads through ctx->prog without
 * the NULL check every iterator needs ("invalid mem access"), so the load
 * fails after the loader created the .bss map and the first program, which
 * it must release.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "ktypes.h"

__u64 maps_seen;

SEC("iter/bpf_map")
int count_maps(struct bpf_iter__bpf_map *ctx)
{
	if (ctx->map)
		maps_seen++;
	return 0;
}

SEC("iter/bpf_prog")
int unchecked_prog(struct bpf_iter__bpf_prog *ctx)
{
	struct seq_file *seq = ctx->meta->seq;

	BPF_SEQ_PRINTF(seq, "%u\n", ctx->prog->len);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
