"""`--add-noqa`: write `# noqa: CODE` on the lines of the current findings, to adopt memlint
on an existing code base and fix the findings over time.

A directive goes on the finding's first line, where both memlint and flake8 look, unless
that line ends inside a multi-line string or with a backslash continuation (a comment there
would change the code): then on the first line after it where a comment can go, which is
still in the same statement. A line that already has a `# noqa: ...` gets the new codes
added to it; a line with another comment gets the directive after that comment.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from memlint.diagnostics import Diagnostic
from memlint.engine.suppression import NOQA_RE

# Never baselined: MEM001 is a file memlint cannot read (a noqa cannot help), MEM002 is a
# stale suppression (adding one more would be absurd), as ruff skips RUF100.
NOT_BASELINED = frozenset({"MEM001", "MEM002"})


class NoqaError(Exception):
    pass


def add_noqa(text: str, diagnostics: Iterable[Diagnostic]) -> tuple[str, int]:
    """`text` with a noqa directive for every finding, and the number of lines changed."""
    wanted: dict[int, set[str]] = {}
    diagnostics = [d for d in diagnostics if d.code not in NOT_BASELINED]
    if not diagnostics:
        return text, 0
    layout = _Layout(text)
    for d in diagnostics:
        row = layout.comment_row(d.noqa_row or d.location.row)
        wanted.setdefault(row, set()).add(d.code)
    lines = _physical_lines(text)
    changed = 0
    for row, codes in wanted.items():
        if not 1 <= row <= len(lines):
            continue
        body, newline = _split_newline(lines[row - 1])
        new = _with_directive(body, layout.comments.get(row), sorted(codes))
        if new != body:
            lines[row - 1] = new + newline
            changed += 1
    out = "".join(lines)
    if changed:
        try:
            ast.parse(out)
        except (SyntaxError, ValueError) as exc:  # pragma: no cover - a bug guard
            raise NoqaError(f"adding noqa comments would break the file ({exc}); left as it was")
    return out, changed


def _physical_lines(text: str) -> list[str]:
    # Rows as tokenize counts them (it reads the text line by line the same way).
    return io.StringIO(text).readlines()


def _split_newline(line: str) -> tuple[str, str]:
    for nl in ("\r\n", "\n", "\r"):
        if line.endswith(nl):
            return line[: -len(nl)], nl
    return line, ""


def _with_directive(body: str, comment: "_Comment | None", codes: list[str]) -> str:
    if comment is not None:
        text = body[comment.column :]
        m = NOQA_RE.search(text)
        if m and m.group("codes") is None:
            return body  # a bare `# noqa` already covers everything
        if m:
            present = {c.upper() for c in m.group("codes").replace(",", " ").split()}
            extra = [c for c in codes if c not in present]
            if not extra:
                return body
            end = comment.column + m.end("codes")
            return body[:end] + ", " + ", ".join(extra) + body[end:]
    return body.rstrip() + "  # noqa: " + ", ".join(codes)


@dataclass(frozen=True)
class _Comment:
    column: int  # 0-based offset of `#` in its line


class _Layout:
    """Where a comment may go: rows inside multi-line strings, comments by row."""

    def __init__(self, text: str) -> None:
        self.lines = [_split_newline(line)[0] for line in _physical_lines(text)]
        self.comments: dict[int, _Comment] = {}
        self.continued_to: dict[int, int] = {}  # row inside a multi-line token -> its end row
        fstring_start = getattr(tokenize, "FSTRING_START", None)
        fstring_end = getattr(tokenize, "FSTRING_END", None)
        open_fstrings: list[int] = []
        try:
            for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                if tok.type == tokenize.COMMENT:
                    self.comments[tok.start[0]] = _Comment(tok.start[1])
                elif tok.type == fstring_start:
                    open_fstrings.append(tok.start[0])
                elif tok.type == fstring_end and open_fstrings:
                    self._span(open_fstrings.pop(), tok.end[0])
                elif tok.type == tokenize.STRING:
                    self._span(tok.start[0], tok.end[0])
        except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
            raise NoqaError(f"cannot tokenize ({exc})") from None

    def _span(self, first: int, last: int) -> None:
        for row in range(first, last):
            self.continued_to[row] = max(self.continued_to.get(row, 0), last)

    def comment_row(self, row: int) -> int:
        for _ in range(len(self.lines) + 1):
            if row in self.continued_to:
                row = self.continued_to[row]
            elif row <= len(self.lines) and row not in self.comments and \
                    self.lines[row - 1].rstrip().endswith("\\"):
                row += 1
            else:
                return row
        return row  # pragma: no cover - rows only move forward


def add_noqa_files(files: Sequence[Path], projects) -> tuple[int, list[str]]:
    """Add directives to `files` for their current findings; returns how many were added
    and one-line errors for the files left alone."""
    from memlint.engine.checker import DecodeError
    from memlint.engine.runner import FixOptions, process_bytes, write_fixed

    added = 0
    errors: list[str] = []
    for path in files:
        filename = str(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            errors.append(f"memlint: cannot read {filename}: {exc.strerror or exc}")
            continue
        project = projects.for_file(path)
        result, _, _ = process_bytes(data, filename, project, FixOptions())
        if not any(d.code not in NOT_BASELINED for d in result.diagnostics):
            continue
        try:
            new_data, count = _with_directives(data, filename, result.diagnostics)
        except (DecodeError, NoqaError, ValueError) as exc:
            errors.append(f"memlint: {filename}: {exc}")
            continue
        if count:
            refused = write_fixed(path, data, new_data, Path(project.config.root))
            if refused is not None:
                errors.append(f"memlint: {refused}")
                continue
            added += count
    return added, errors


def _with_directives(data: bytes, filename: str, diagnostics: Sequence[Diagnostic]) -> tuple[bytes, int]:
    """The file's bytes with directives for `diagnostics`, and how many were added; in a
    notebook, each cell's findings get theirs in that cell."""
    from memlint.engine.checker import decode, encode
    from memlint.engine.notebook import Notebook, is_notebook

    if not is_notebook(filename):
        text, encoding = decode(data)
        new_text, count = add_noqa(text, diagnostics)
        return encode(new_text, encoding), count
    notebook = Notebook.read(data)
    sources, total = {}, 0
    for cell in sorted({d.cell for d in diagnostics if d.cell is not None}):
        text = notebook.cell_text(cell)
        if text is None:
            continue
        new_text, count = add_noqa(text, [d for d in diagnostics if d.cell == cell])
        if count:
            sources[cell], total = notebook.source_from(cell, new_text), total + count
    return notebook.with_sources(sources), total
