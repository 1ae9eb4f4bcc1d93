"""Suppression comments, flake8-compatible.

- `# noqa` and `# noqa: MEM101,MEM102` (case-insensitive, flake8's grammar) on the line
  where the finding starts. Lines joined by a token that spans them (a multi-line string, a
  backslash continuation) count as one, exactly as flake8 maps `# noqa`, so the flake8
  plugin and `memlint check` suppress the same findings;
- `# memlint: ignore[MEM101, MEM2]` trailing on any line of the logical line (statement),
  or alone on the line directly above the statement;
- `# memlint: skip-file` anywhere in the file: nothing in it is reported;
- file-level exemptions on a line of their own, as ruff and flake8 read them: `# ruff:
  noqa` and `# memlint: noqa` (nothing reported), `# ruff: noqa: MEM101` and `# memlint:
  noqa: MEM101, MEM2` (those codes, or prefixes, not reported anywhere in the file);
  `# flake8: noqa`, with or without codes after it, skips the whole file, as flake8 does,
  so the CLI and `flake8 --select MEM` agree.
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


FILE_NOQA_RE = re.compile(
    r"#\s*(?P<tool>ruff|flake8|memlint)\s*[:=]\s*noqa"
    r"(?::\s?(?P<codes>[A-Z]+[0-9]*(?:[,\s]+[A-Z]+[0-9]*)*))?\s*$",
    re.IGNORECASE,
)
_FLAKE8_FILE = re.compile(r"# flake8[:=]\s*noqa", re.IGNORECASE)  # flake8's NOQA_FILE
_FILE_NOQA_TEXT = re.compile(r"#\s*(?:ruff|flake8|memlint)\s*[:=]\s*noqa", re.IGNORECASE)
EVERYTHING = ("",)  # the codes a whole-file exemption names: every code starts with ""


def skips_file(text: str) -> bool:
    if "skip-file" not in text:
        return False
    return any(SKIP_FILE_RE.search(c) for _, c in _comments(text))


def file_exemption(text: str) -> tuple[str, ...]:
    """The codes (or prefixes) the file's file-level `noqa` comments exempt it from:
    EVERYTHING, some codes, or () for none."""
    if not _FILE_NOQA_TEXT.search(text):
        return ()  # cheap: most files hold no such text at all
    scan = _scan(text)
    codes: list[str] = []
    for (row, _col), comment in scan.comments:
        m = FILE_NOQA_RE.match(comment)
        if m is None or row in scan.logical:
            continue  # not a comment of its own line
        if m.group("tool").lower() == "flake8":
            # flake8 skips the whole file for `# flake8: noqa` with anything after it, and
            # reads it only so spelled (one space after `#`).
            if _FLAKE8_FILE.match(comment):
                return EVERYTHING
            continue
        if m.group("codes") is None:
            return EVERYTHING
        codes.extend(_split_codes(m.group("codes")))
    return tuple(codes)


def exempt(code: str, codes: tuple[str, ...]) -> bool:
    return any(code.upper().startswith(c.upper()) for c in codes)


@dataclass(eq=False)
class Suppression:
    """One suppression comment: `codes` is None for a bare `# noqa`."""

    row: int  # where the comment is
    column: int  # 1-based column of the comment's `#`
    kind: str  # "noqa" | "ignore"
    codes: tuple[str, ...] | None
    text: str  # the whole comment
    rows: range  # the rows whose findings it covers
    used: set[str] = field(default_factory=set)  # codes of the findings it covered
    # Offsets in `text` of the directive and of its code list ((-1, -1) when it has none).
    span: tuple[int, int] = (0, 0)
    codes_span: tuple[int, int] = (-1, -1)

    def matches(self, code: str) -> bool:
        if self.codes is None:
            return True
        return any(code.upper().startswith(c.upper()) for c in self.codes)


class Suppressions:
    def __init__(self, text: str) -> None:
        self.items: list[Suppression] = []
        self._by_row: dict[int, list[Suppression]] = {}
        # False when the file did not tokenize and comments were found by a line scan: the
        # comments are then good enough to suppress, not to be judged or rewritten (MEM002).
        self.complete = True
        self._build(text)

    def _build(self, text: str) -> None:
        lowered = text.lower()
        if "noqa" not in lowered and "memlint" not in lowered:
            return  # no suppression comment can be there: no need to tokenize the file
        scan = _scan(text)
        self.complete = scan.complete
        logical = scan.logical
        for (row, col), comment in scan.comments:
            m = NOQA_RE.search(comment)
            if m:
                codes = _split_codes(m.group("codes")) if m.group("codes") else None
                span = scan.noqa.get(row, range(row, row + 1))
                self._add(Suppression(row, col, "noqa", codes, comment, span,
                                      span=m.span(), codes_span=m.span("codes")))
            m = IGNORE_RE.search(comment)
            if m:
                codes = _split_codes(m.group("codes"))
                span = logical.get(row, range(row, row + 1))
                if row not in logical:
                    # A comment on its own line covers the statement that follows it.
                    nxt = _next_code_row(logical, row)
                    if nxt is not None:
                        span = logical[nxt]
                self._add(Suppression(row, col, "ignore", codes, comment, span,
                                      span=m.span(), codes_span=m.span("codes")))

    def _add(self, s: Suppression) -> None:
        self.items.append(s)
        for r in s.rows:
            self._by_row.setdefault(r, []).append(s)

    def suppressing(
        self, code: str, row: int, kinds: tuple[str, ...] = ("noqa", "ignore")
    ) -> Suppression | None:
        """The first suppression of one of `kinds` covering `code` at `row`. Every covering
        suppression, of any kind, is marked used: a `# noqa` that flake8 would apply is used
        even when memlint leaves it to flake8 (the flake8 plugin)."""
        found = None
        for s in self._by_row.get(row, ()):
            if s.matches(code):
                s.used.add(code)
                if found is None and s.kind in kinds:
                    found = s
        return found


def _split_codes(raw: str) -> tuple[str, ...]:
    return tuple(c for c in re.split(r"[,\s]+", raw.strip()) if c)


def _comments(text: str) -> list[tuple[tuple[int, int], str]]:
    return _scan(text).comments


@dataclass
class _Scan:
    comments: list[tuple[tuple[int, int], str]] = field(default_factory=list)  # ((row, col), text)
    logical: dict[int, range] = field(default_factory=dict)  # row -> rows of its statement
    noqa: dict[int, range] = field(default_factory=dict)  # row -> rows a noqa there covers
    complete: bool = True


def _scan(text: str) -> _Scan:
    """One tokenize pass. On a tokenize error the comments come from a line-based scan
    (which may take a `#` in a string for a comment) and `complete` is False."""
    out = _Scan()
    if "#" not in text:
        return out
    far = text.count("\n") + 2
    lo, hi = far, -1
    stmt_start = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            kind, (srow, scol), (erow, _) = tok.type, tok.start, tok.end
            if kind == tokenize.COMMENT:
                out.comments.append(((srow, scol + 1), tok.string))
            # flake8's noqa line mapping (processor._noqa_line_mapping): a range runs from one
            # NL/NEWLINE token to the next, so only a token spanning lines widens it.
            if kind not in (tokenize.ENDMARKER, tokenize.DEDENT):
                lo, hi = min(lo, srow), max(hi, erow)
                if kind in (tokenize.NL, tokenize.NEWLINE):
                    span = range(lo, hi + 1)
                    for r in span:
                        out.noqa[r] = span
                    lo, hi = far, -1
            # Logical lines (statements), for `# memlint: ignore[...]`.
            if kind in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
                continue
            if kind == tokenize.ENDMARKER:
                break
            if stmt_start is None:
                stmt_start = srow
            if kind == tokenize.NEWLINE:
                span = range(stmt_start, erow + 1)
                for r in span:
                    out.logical[r] = span
                stmt_start = None
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out = _Scan(complete=False)
        for i, line in enumerate(text.splitlines(), start=1):
            pos = line.find("#")
            if pos >= 0:
                out.comments.append(((i, pos + 1), line[pos:]))
    return out


def _next_code_row(logical: dict[int, range], row: int) -> int | None:
    later = [r for r in logical if r > row]
    return min(later) if later else None
