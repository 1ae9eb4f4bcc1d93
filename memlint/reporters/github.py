"""`--output-format github`: GitHub Actions workflow commands, which the checks page and the
pull request diff show as annotations::

    ::error title=memlint (MEM101),file=src/a.py,line=4,col=8,endLine=4,endColumn=70::src/a.py:4:8: MEM101 message
"""

from __future__ import annotations

from typing import Sequence

from memlint.diagnostics import Diagnostic
from memlint.reporters.common import FileTexts, RenderOptions, display_path, text, where


def render(diagnostics: Sequence[Diagnostic], options: RenderOptions) -> str:
    lines = []
    texts = FileTexts(options)
    for d in diagnostics:
        path = display_path(d.filename, options.cwd)
        start, end = d.location, d.end_location
        if d.cell is not None:  # annotated where the cell's line is in the notebook's JSON
            start, end = texts.file_position(d, start), texts.file_position(d, end)
        props = ",".join(
            f"{key}={_property(str(value))}"
            for key, value in (
                ("title", f"memlint ({d.code})"),
                ("file", path),
                ("line", start.row),
                ("col", start.column),
                ("endLine", end.row),
                ("endColumn", end.column),
            )
        )
        message = f"{path}:{where(d)}: {d.code} {d.message}"
        lines.append(f"::error {props}::{_data(message)}")
    return text(lines)


def _data(value: str) -> str:
    # The escaping the Actions runner undoes (actions/toolkit, command.ts).
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")
