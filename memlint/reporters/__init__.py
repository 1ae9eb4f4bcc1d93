"""Output formats. Each format is a module with `render(diagnostics, options) -> str`; adding
one is that module plus a line in `_FORMAT_MODULES`. Modules load on first use, so the
formats nobody asked for cost nothing at start-up."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Mapping, Sequence

from memlint.diagnostics import Diagnostic
from memlint.reporters.common import RenderOptions, in_order
from memlint.reporters.statistics import render_statistics

__all__ = ["FORMATS", "RenderOptions", "render", "render_statistics"]

_FORMAT_MODULES = {
    "full": "memlint.reporters.full",
    "concise": "memlint.reporters.concise",
    "json": "memlint.reporters.json",
    "json-lines": "memlint.reporters.json_lines",
    "github": "memlint.reporters.github",
    "sarif": "memlint.reporters.sarif",
}

FORMATS = tuple(_FORMAT_MODULES)


def render(
    fmt: str,
    diagnostics: Sequence[Diagnostic],
    *,
    cwd: Path,
    show_fixes_hint: bool = True,
    unsafe_fixes_enabled: bool = False,
    sources: Mapping[str, str] | None = None,
    fixed: int = 0,
    quiet: bool = False,
) -> str:
    """The complete output of `fmt` for `diagnostics`, ready to write as is (non-empty text
    ends with a newline). Findings come out sorted by file, row, column and code."""
    if fmt not in _FORMAT_MODULES:
        raise ValueError(f"unknown output format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    module = importlib.import_module(_FORMAT_MODULES[fmt])
    options = RenderOptions(
        cwd=cwd,
        show_fixes_hint=show_fixes_hint,
        unsafe_fixes_enabled=unsafe_fixes_enabled,
        sources=sources,
        fixed=fixed,
        quiet=quiet,
    )
    return module.render(in_order(diagnostics), options)
