"""`--output-format concise`: one line per finding, then the summary (ruff's concise form)."""

from __future__ import annotations

from typing import Sequence

from memlint.diagnostics import Diagnostic
from memlint.reporters.common import RenderOptions, header, summary, text


def render(diagnostics: Sequence[Diagnostic], options: RenderOptions) -> str:
    lines = [header(d, options) for d in diagnostics]
    return text([*lines, *summary(diagnostics, options)])
