// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * iterators: BPF iterators that list the loaded BPF maps and programs, the
 * kind of object a kernel module can load to publish such listings.
 *
 * dump_bpf_map prints, per map: id, name, max_entries (and key/value sizes).
 * dump_bpf_prog prints, per program: id, name, and its attach target. The
 * name comes from the program's BTF (the first func_info entry names the
 * entry function in full; aux->name is cut at 15 characters), falling back
 * to aux->name.
 *
 * Kernel types are the local preserve_access_index definitions in
 * include/ktypes.h; reads go through BPF_CORE_READ and
 * bpf_probe_read_kernel.
 *
 * Trigger: pin an iterator link in bpffs and read it, e.g.
 *   bpftool iter pin iterators.bpf.o /sys/fs/bpf/maps_list  (first program)
 *   cat /sys/fs/bpf/maps_list
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "ktypes.h"

/* Print a header line before the first entry. Settable before load. */
const volatile _Bool print_header = 1;

/* .bss: how many entries each iterator printed, over all reads. */
__u64 maps_listed;
__u64 progs_listed;

static const char *btf_name_of(struct btf *btf, __u32 type_id)
{
	struct btf_type **types, *t;
	const char *strings;
	__u32 start_id, start_str_off, name_off;

	start_id = BPF_CORE_READ(btf, start_id);
	if (type_id < start_id || type_id - start_id >= BPF_CORE_READ(btf, nr_types))
		return NULL;

	types = BPF_CORE_READ(btf, types);
	if (bpf_probe_read_kernel(&t, sizeof(t), types + (type_id - start_id)) || !t)
		return NULL;

	name_off = BPF_CORE_READ(t, name_off);
	start_str_off = BPF_CORE_READ(btf, start_str_off);
	if (name_off < start_str_off)
		return NULL;
	strings = BPF_CORE_READ(btf, strings);
	return strings + (name_off - start_str_off);
}

static const char *prog_entry_name(struct bpf_prog_aux *aux)
{
	struct bpf_func_info *finfo;
	struct btf *btf;
	__u32 type_id;

	btf = BPF_CORE_READ(aux, btf);
	finfo = BPF_CORE_READ(aux, func_info);
	if (!btf || !finfo || !BPF_CORE_READ(aux, func_info_cnt))
		return NULL;
	if (bpf_probe_read_kernel(&type_id, sizeof(type_id), &finfo->type_id))
		return NULL;
	return btf_name_of(btf, type_id);
}

SEC("iter/bpf_map")
int dump_bpf_map(struct bpf_iter__bpf_map *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_map *map = ctx->map;

	if (!map)
		return 0;	/* end of the iteration */

	if (print_header && ctx->meta->seq_num == 0)
		BPF_SEQ_PRINTF(seq, "%6s %-16s %11s %5s %6s\n",
			       "id", "name", "max_entries", "key", "value");

	BPF_SEQ_PRINTF(seq, "%6u %-16s %11u %5u %6u\n",
		       BPF_CORE_READ(map, id), map->name,
		       BPF_CORE_READ(map, max_entries),
		       BPF_CORE_READ(map, key_size),
		       BPF_CORE_READ(map, value_size));
	maps_listed++;
	return 0;
}

SEC("iter/bpf_prog")
int dump_bpf_prog(struct bpf_iter__bpf_prog *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct bpf_prog *prog = ctx->prog;
	struct bpf_prog_aux *aux;
	const char *name, *target;

	if (!prog)
		return 0;

	aux = BPF_CORE_READ(prog, aux);
	name = prog_entry_name(aux);
	if (!name)
		name = aux->name;
	target = BPF_CORE_READ(aux, attach_func_name);
	if (!target)
		target = "-";

	if (print_header && ctx->meta->seq_num == 0)
		BPF_SEQ_PRINTF(seq, "%6s %-32s %-24s %s\n",
			       "id", "name", "attached", "insns");

	BPF_SEQ_PRINTF(seq, "%6u %-32s %-24s %u\n",
		       BPF_CORE_READ(aux, id), name, target,
		       BPF_CORE_READ(prog, len));
	progs_listed++;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
