"""A rule whose single output is a directory (a tree artifact)."""

def _dir_output_impl(ctx):
    out = ctx.actions.declare_directory(ctx.attr.name)

    # Nested directories, an executable and an empty file exercise every
    # kind of entry a REAPI output directory (Tree message) can carry.
    script = "\n".join([
        "set -eu",
        "out=\"$1\"",
        "mkdir -p \"$out/sub/deeper\"",
        "for i in $(seq 1 %d); do printf 'entry %%d\\n' \"$i\" > \"$out/file_$i.txt\"; done" % ctx.attr.count,
        "printf 'nested\\n' > \"$out/sub/nested.txt\"",
        "printf '#!/bin/sh\\necho tool\\n' > \"$out/sub/deeper/tool.sh\"",
        "chmod +x \"$out/sub/deeper/tool.sh\"",
        ": > \"$out/sub/empty\"",
    ])
    ctx.actions.run_shell(
        outputs = [out],
        command = script,
        arguments = [out.path],
        mnemonic = "DirOutput",
        progress_message = "Writing directory %s" % out.short_path,
    )
    return [DefaultInfo(files = depset([out]))]

dir_output = rule(
    implementation = _dir_output_impl,
    attrs = {
        "count": attr.int(default = 10),
    },
)
