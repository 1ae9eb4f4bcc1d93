"""Suppression comments, flake8-compatible.

- `# noqa` and `# noqa: MEM101,MEM102` (case-insensitive, flake8's grammar) on any physical
  line of the logical line (statement) where the finding starts, as flake8 applies them;
- `# memlint: ignore[MEM101, MEM2]` trailing on that logical line, or alone on the line
  directly above the statement;
- `# memlint: skip-file` anywhere in the file: nothing in it is reported.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

NOQA_RE = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)
IGNORE_RE = re.compile(r"#\s*memlint:\s*ignore\[(?P<codes>[^\]]*)\]", re.IGNORECASE)
SKIP_FILE_RE = re.compile(r"#\s*memlint:\s*skip-file\b", re.IGNORECASE)


def skips_file(text: str) -> bool:
    if "skip-file" not in text:
        return False
    return any(SKIP_FILE_RE.search(c) for _, c in _comments(text))


@dataclass(eq=False)
class Suppression:
    """One suppression comment: `codes` is None for a bare `# noqa`."""

    row: int  # where the comment is
    column: int
    kind: str  # "noqa" | "ignore"
    codes: tuple[str, ...] | None
    text: str
    rows: range  # the rows (of the statement) it covers
    used: set[str] = field(default_factory=set)

    def matches(self, code: str) -> bool:
        if self.codes is None:
            return True
        return any(code.upper().startswith(c.upper()) for c in self.codes)


class Suppressions:
    def __init__(self, text: str) -> None:
        self.items: list[Suppression] = []
        self._by_row: dict[int, list[Suppression]] = {}
        self._build(text)

    def _build(self, text: str) -> None:
        comments = _comments(text)
        if not comments:
            return
        logical = _logical_ranges(text)
        for (row, col), comment in comments:
            span = logical.get(row, range(row, row + 1))
            m = NOQA_RE.search(comment)
            if m:
                codes = _split_codes(m.group("codes")) if m.group("codes") else None
                self._add(Suppression(row, col, "noqa", codes, comment, span))
            m = IGNORE_RE.search(comment)
            if m:
                codes = _split_codes(m.group("codes"))
                if row not in logical:
                    # A comment on its own line covers the statement that follows it.
                    nxt = _next_code_row(logical, row)
                    if nxt is not None:
                        span = logical[nxt]
                self._add(Suppression(row, col, "ignore", codes, comment, span))

    def _add(self, s: Suppression) -> None:
        self.items.append(s)
        for r in s.rows:
            self._by_row.setdefault(r, []).append(s)

    def suppressing(self, code: str, row: int) -> Suppression | None:
        for s in self._by_row.get(row, ()):
            if s.matches(code):
                s.used.add(code)
                return s
        return None


def _split_codes(raw: str) -> tuple[str, ...]:
    return tuple(c for c in re.split(r"[,\s]+", raw.strip()) if c)


def _comments(text: str) -> list[tuple[tuple[int, int], str]]:
    """(row, col) and text of every comment token; on a tokenize error, a line-based scan."""
    if "#" not in text:
        return []
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out.append(((tok.start[0], tok.start[1] + 1), tok.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out = []
        for i, line in enumerate(text.splitlines(), start=1):
            pos = line.find("#")
            if pos >= 0:
                out.append(((i, pos + 1), line[pos:]))
    return out


def _logical_ranges(text: str) -> dict[int, range]:
    """Physical row -> the rows of the logical line (statement) holding it."""
    ranges: dict[int, range] = {}
    start = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT,
                            tokenize.ENCODING):
                continue
            if tok.type == tokenize.ENDMARKER:
                break
            if start is None:
                start = tok.start[0]
            if tok.type == tokenize.NEWLINE:
                span = range(start, tok.end[0] + 1)
                for r in span:
                    ranges[r] = span
                start = None
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return ranges


def _next_code_row(logical: dict[int, range], row: int) -> int | None:
    later = [r for r in logical if r > row]
    return min(later) if later else None
