"""`memlint server`: the language server, in the `lsp` extra (pygls)."""

from __future__ import annotations

import sys

USAGE = ("usage: memlint server\n\nRun memlint as a language server over standard input and output "
         "(editors start it;\nsee the README for VS Code, Neovim and Helix).\n")
MISSING = ('memlint: error: `memlint server` needs the lsp extra: python -m pip install "memlint-sci[lsp]"')


def main(argv: list[str]) -> int:
    if argv in (["-h"], ["--help"]):
        sys.stdout.write(USAGE)
        return 0
    if argv:
        sys.stderr.write(f"memlint: error: `memlint server` takes no arguments (got {' '.join(argv)})\n")
        return 2
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        sys.stderr.write(MISSING + "\n")
        return 2
    from memlint.server.lsp import serve

    serve()
    return 0
