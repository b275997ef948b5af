"""skelgen_tool: a repository holding the skelgen binary that skelgen_skeleton runs.

    load("@skelgen//:repositories.bzl", "skelgen_tool")

    skelgen_tool(name = "skelgen_tool")

It uses, in order: the `path` attribute (an absolute path), the SKELGEN environment variable
(also an absolute path), or the `skelgen` found on PATH (`cargo install --path .` in a skelgen
checkout puts it there). It runs `skelgen --version` once, so a broken binary fails here,
with the path it tried, rather than in the first action.
"""

def _skelgen_tool_impl(rctx):
    where = rctx.attr.path or rctx.os.environ.get("SKELGEN", "")
    if where:
        binary = rctx.path(where)
        if not binary.exists:
            fail("skelgen_tool: %s does not exist" % where)
    else:
        binary = rctx.which("skelgen")
        if not binary:
            fail("skelgen_tool: no skelgen on PATH; install it (cargo install --path " +
                 "<skelgen checkout>), or set SKELGEN or the path attribute to its absolute path")
    result = rctx.execute([binary, "--version"])
    if result.return_code != 0:
        fail("skelgen_tool: %s --version failed: %s" % (binary, result.stderr))
    rctx.symlink(binary, "skelgen")
    rctx.file("BUILD", "exports_files([\"skelgen\"])\n")
    rctx.file("WORKSPACE", "workspace(name = \"%s\")\n" % rctx.name)

skelgen_tool = repository_rule(
    implementation = _skelgen_tool_impl,
    doc = "The skelgen binary, found outside Bazel.",
    attrs = {
        "path": attr.string(doc = "Absolute path of the skelgen binary."),
    },
    environ = ["SKELGEN", "PATH"],
    local = True,
)
