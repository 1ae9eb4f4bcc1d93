"""`--output-format full`: each finding with the source it points at and its fix, as ruff's
full output shows them::

    src/a.py:4:5: MEM101 [*] message
      |
    4 |     arr = data.reshape(5, 3)
      |           ^^^^^^^^^^^^^^^^^^
      |
    help: Pass shape=(5, 3) to np.memmap
"""

from __future__ import annotations

import re
from typing import Sequence

from memlint.diagnostics import Diagnostic
from memlint.reporters.common import FileTexts, RenderOptions, header, summary, text

# A finding spanning a whole function would otherwise print all of it.
MAX_EXCERPT_LINES = 6
TAB_WIDTH = 4

# Rows count these line breaks only (as the parser does), unlike str.splitlines().
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def render(diagnostics: Sequence[Diagnostic], options: RenderOptions) -> str:
    sources = _Sources(options)
    lines: list[str] = []
    for diagnostic in diagnostics:
        lines.append(header(diagnostic, options))
        source_lines = sources.lines(diagnostic.filename, diagnostic.cell)
        if source_lines is not None:
            lines.extend(excerpt(diagnostic, source_lines))
        if diagnostic.fix is not None and diagnostic.fix.message:
            lines.append(f"help: {diagnostic.fix.message}")
        lines.append("")
    return text([*lines, *summary(diagnostics, options)])


def excerpt(diagnostic: Diagnostic, source_lines: Sequence[str]) -> list[str]:
    """The reported lines with a line-number gutter and the first line's range underlined;
    empty when the location lies outside the source (a stale or mismatched file)."""
    start, end = diagnostic.location, diagnostic.end_location
    if not 1 <= start.row <= len(source_lines):
        return []
    last = min(max(end.row, start.row), len(source_lines), start.row + MAX_EXCERPT_LINES - 1)
    width = len(str(last))
    blank = " " * width + " |"

    first = source_lines[start.row - 1]
    end_column = end.column if end.row == start.row else len(first) + 1
    left = _display_width(first, start.column - 1)
    right = _display_width(first, end_column - 1)
    underline = " " * left + "^" * max(1, right - left)

    out = [blank]
    for row in range(start.row, last + 1):
        out.append(f"{row:>{width}} | {_expand(source_lines[row - 1])}".rstrip())
        if row == start.row:
            out.append(f"{blank} {underline}")
    if last < end.row:
        out.append(" " * width + " ...")
    out.append(blank)
    return out


def _expand(line: str) -> str:
    return line.expandtabs(TAB_WIDTH)


def _display_width(line: str, characters: int) -> int:
    """Columns taken on screen by the first `characters` characters, tabs expanded; a column
    past the end of the line (a range that includes the line break) counts as one more."""
    prefix = line[: max(0, characters)]
    return len(_expand(prefix)) + max(0, characters - len(line))


class _Sources:
    """Source lines per file (per cell in a notebook)."""

    def __init__(self, options: RenderOptions) -> None:
        self._texts = FileTexts(options)
        self._cache: dict[tuple[str, int | None], list[str] | None] = {}

    def lines(self, filename: str, cell: int | None = None) -> list[str] | None:
        key = (filename, cell)
        if key not in self._cache:
            if cell is None:
                source = self._texts.text(filename)
            else:
                source = self._texts.cell_source(filename, cell)
            self._cache[key] = None if source is None else _LINE_BREAK.split(source)
        return self._cache[key]
