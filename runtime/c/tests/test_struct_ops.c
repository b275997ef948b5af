/* struct_ops layout on its own: an object's structure matched by member name to a kernel's
 * (handmade BTF: struct ops and bpf_struct_ops_ops, see btf_blob.h), the programs' slots,
 * and each refusal naming what differs. */
#include "../skelgen_runtime.h"
#include "../skelgen_user.h"
#include "../skelgen_helpers.h"
#include "../skelgen_read_all.h"
#include "../skelgen_btf.h"
#include "../skelgen_struct_ops.h"
#include "btf_blob.h"
#include "check.h"

/* The object's struct ops: x = 42, fn served by program slot 0, and a zero member the
 * kernel does not have. */
static const unsigned char image[24] = { 42 };
static struct skelgen_struct_ops_member members[] = {
	{ "x", 0, 4, -1, 0 },
	{ "fn", 8, 8, 0, 0 },
	{ "gone", 16, 8, -1, 1 },
};
static const struct skelgen_struct_ops_def def = { "my_map", "ops", image, sizeof(image), members, 3, 0 };

struct fixture {
	struct skelgen_btf btf;
	struct skelgen_map_desc map;
	struct skelgen_struct_ops_desc desc;
	struct skelgen_struct_ops_value value;
	struct skelgen_prog_desc prog;
	struct skelgen_struct_ops_prog_desc prog_desc;
	struct skelgen_struct_ops ops;
	struct skelgen_struct_ops_prog progs[1];
	char what[256];
};

static void setup(struct fixture *f, const struct skelgen_struct_ops_def *d)
{
	struct blob b;

	memset(f, 0, sizeof(*f));
	good_blob(&b);
	f->btf.raw = (unsigned char *)malloc(b.out_len);
	if (f->btf.raw)
		memcpy(f->btf.raw, b.out, b.out_len);
	CHECK(f->btf.raw && skelgen_btf_parse(&f->btf, b.out_len) == 0);
	f->desc.autocreate = 1;
	f->prog.autoload = 1;
	f->ops.def = d;
	f->ops.map = &f->map;
	f->ops.desc = &f->desc;
	f->ops.value = &f->value;
	f->progs[0].name = "on_fn";
	f->progs[0].prog = &f->prog;
	f->progs[0].desc = &f->prog_desc;
}

static void teardown(struct fixture *f)
{
	skelgen_struct_ops_value_free(&f->value);
	skelgen_btf_free(&f->btf);
}

static int layout(struct fixture *f)
{
	return skelgen_struct_ops_layout(&f->btf, &f->ops, f->progs, f->what, sizeof(f->what));
}

static void test_layout(void)
{
	struct fixture f;
	uint64_t fd = 0;
	uint32_t x = 0;

	setup(&f, &def);
	CHECK(layout(&f) == 0);
	CHECK(f.map.value_size == 32 && f.map.btf_vmlinux_value_type_id == 8);
	CHECK(f.value.size == 32);
	memcpy(&x, f.value.data + 8, 4);	/* data at offset 8 of bpf_struct_ops_ops */
	CHECK(x == 42);
	CHECK(f.value.fd_offset[0] == SKELGEN_NO_OFFSET && f.value.fd_offset[2] == SKELGEN_NO_OFFSET);
	CHECK(f.value.fd_offset[1] == 16);
	CHECK(f.prog_desc.attach_btf_id == 2 && f.prog_desc.member_index == 1);
	f.prog.prog_fd = 0;
	CHECK(skelgen_struct_ops_fill(&f.ops, f.progs, f.what, sizeof(f.what)) == -ENOENT);
	CHECK(strstr(f.what, "program on_fn of member fn was not loaded") != NULL);
	f.prog.prog_fd = 5;
	CHECK(skelgen_struct_ops_fill(&f.ops, f.progs, f.what, sizeof(f.what)) == 0);
	memcpy(&fd, f.value.data + 16, 8);
	CHECK(fd == 5);
	teardown(&f);
}

/* Lays out `d` and checks the error and that `what` names the cause. */
static void refused(const struct skelgen_struct_ops_def *d, int err, const char *why)
{
	struct fixture f;
	int got;

	setup(&f, d);
	got = layout(&f);
	CHECK(got == err);
	if (!strstr(f.what, why)) {
		fprintf(stderr, "expected \"%s\" in \"%s\"\n", why, f.what);
		CHECK(0);
	}
	teardown(&f);
}

static void test_refusals(void)
{
	struct skelgen_struct_ops_member m[3];
	struct skelgen_struct_ops_def d = def;

	d.members = m;
	d.type = "other";
	memcpy(m, members, sizeof(m));
	refused(&d, -ENOENT, "this kernel has no struct_ops type struct other");
	d.type = "ops";
	m[2].zero = 0;		/* data the kernel has no member for */
	refused(&d, -EOPNOTSUPP, "struct ops of this kernel has no member gone");
	memcpy(m, members, sizeof(m));
	m[0].size = 8;
	refused(&d, -EOPNOTSUPP, "member x of struct ops has another size");
	memcpy(m, members, sizeof(m));
	m[0].slot = 0;		/* a program for a member that is not a function pointer */
	refused(&d, -EOPNOTSUPP, "member x of struct ops is not a function pointer");
}

int main(void)
{
	test_layout();
	test_refusals();
	return check_report("test_struct_ops");
}
