"""skelgen_skeleton: the light skeleton of a compiled BPF object, written by skelgen.

    load("@skelgen//:skelgen.bzl", "skelgen_skeleton")

    skelgen_skeleton(
        name = "minimal_skel",
        src = ":minimal.bpf.o",   # a file or a rule with one output
        lang = "c",               # c, rust, go or kernel
    )

    cc_binary(name = "minimal", srcs = ["minimal.c"], deps = [":minimal_skel"])

The output gets skelgen's conventional file name (C `NAME.lskel.h`, Rust `NAME.skel.rs`, Go
`NAME_skel.go`, kernel module `NAME.kern.lskel.h`, NAME being the object's file name up to
its first dot) unless `out` names it. A C skeleton is also a C/C++ library: depend on it and
`#include "NAME.lskel.h"`.

The skelgen binary comes from the `skelgen_tool` repository (repositories.bzl) unless the
`skelgen` attribute names another.
"""

_FILE_NAMES = {
    "c": "%s.lskel.h",
    "go": "%s_skel.go",
    "kernel": "%s.kern.lskel.h",
    "rust": "%s.skel.rs",
}

def _object_name(obj):
    # skelgen's own default, as libbpf names objects: the file name up to its first dot.
    return obj.basename.split(".")[0] or "bpf"

def _skelgen_skeleton_impl(ctx):
    obj = ctx.file.src
    object_name = ctx.attr.object_name or _object_name(obj)
    out = ctx.actions.declare_file(ctx.attr.out or _FILE_NAMES[ctx.attr.lang] % object_name)

    args = ctx.actions.args()
    args.add("--lang", ctx.attr.lang)
    if ctx.attr.object_name:
        args.add("--name", ctx.attr.object_name)
    args.add("-o", out)
    args.add(obj)
    ctx.actions.run(
        executable = ctx.executable.skelgen,
        arguments = [args],
        inputs = [obj],
        outputs = [out],
        mnemonic = "Skelgen",
        progress_message = "skelgen --lang %s %s" % (ctx.attr.lang, obj.short_path),
    )

    providers = [DefaultInfo(files = depset([out]))]
    if ctx.attr.lang == "c":
        providers.append(CcInfo(
            compilation_context = cc_common.create_compilation_context(
                headers = depset([out]),
                quote_includes = depset([out.dirname]),
            ),
        ))
    return providers

skelgen_skeleton = rule(
    implementation = _skelgen_skeleton_impl,
    doc = "The light skeleton of a compiled BPF object in one language.",
    attrs = {
        "lang": attr.string(
            doc = "The skeleton's language: c, rust, go or kernel.",
            mandatory = True,
            values = ["c", "go", "kernel", "rust"],
        ),
        "object_name": attr.string(
            doc = "skelgen --name: the object name used in generated identifiers " +
                  "(default: the object's file name up to its first dot).",
        ),
        "out": attr.string(
            doc = "The output's file name, instead of the conventional one.",
        ),
        "skelgen": attr.label(
            doc = "The skelgen binary.",
            default = Label("@skelgen_tool//:skelgen"),
            executable = True,
            allow_files = True,
            cfg = "exec",
        ),
        "src": attr.label(
            doc = "The compiled BPF object (ELF with BTF).",
            mandatory = True,
            allow_single_file = True,
        ),
    },
)
