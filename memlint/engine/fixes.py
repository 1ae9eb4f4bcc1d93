"""Fixes as text edits: built from a rule's FixSpec, applied without overlap."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Callable, Sequence

from memlint.diagnostics import SAFE, Edit, Fix, Location

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from memlint.engine.rule import FixSpec

NEWLINE_RE = re.compile(r"\r\n?|\n")


class LineIndex:
    """Converts between 1-based (row, column) and string offsets, counting newlines the
    way libcst does (\\r\\n, \\r and \\n)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in NEWLINE_RE.finditer(text)]

    def offset(self, loc: Location) -> int:
        row = min(max(loc.row, 1), len(self.starts))
        return min(self.starts[row - 1] + loc.column - 1, len(self.text))

    def line(self, row: int) -> str:
        start = self.starts[row - 1]
        end = self.starts[row] if row < len(self.starts) else len(self.text)
        return NEWLINE_RE.sub("", self.text[start:end])

    def newline(self) -> str:
        m = NEWLINE_RE.search(self.text)
        return m.group(0) if m else "\n"


def build_fix(
    spec: "FixSpec",
    *,
    index: LineIndex,
    position: Callable[["cst.CSTNode"], tuple[Location, Location]],
    module: "cst.Module",
) -> Fix:
    import libcst as cst

    from memlint.engine.rule import AddImport, DeleteStatement, InsertBefore, Replace

    edits: list[Edit] = []
    for change in spec.changes:
        if isinstance(change, Replace):
            start, end = position(change.node)
            edits.append(Edit(change.text, start, end))
        elif isinstance(change, InsertBefore):
            start, _ = position(change.stmt)
            line = index.line(start.row)
            indent = line[: len(line) - len(line.lstrip())]
            at = Location(start.row, 1)
            edits.append(Edit(f"{indent}{change.text}{index.newline()}", at, at))
        elif isinstance(change, DeleteStatement):
            edits.append(_delete_edit(*position(change.stmt), index))
        elif isinstance(change, AddImport):
            edit = _import_edit(change.text, module, index, position)
            if edit is not None:
                edits.append(edit)
        else:  # pragma: no cover - FixSpec only holds these kinds
            raise TypeError(change)
    del cst
    return Fix(spec.applicability, spec.message, tuple(edits))


def _delete_edit(start: Location, end: Location, index: LineIndex) -> Edit:
    before = index.line(start.row)[: start.column - 1]
    after = index.line(end.row)[end.column - 1:].strip()
    if before.strip() or (after and not after.startswith("#")):
        return Edit("", start, end)  # shares its line with other code
    if end.row < len(index.starts):
        return Edit("", Location(start.row, 1), Location(end.row + 1, 1))
    # The last line of a file without a final newline: take the newline before it.
    last = len(index.line(end.row)) + 1
    if start.row > 1:
        return Edit("", Location(start.row - 1, len(index.line(start.row - 1)) + 1), Location(end.row, last))
    return Edit("", Location(start.row, 1), Location(end.row, last))


def _import_edit(
    text: str,
    module: "cst.Module",
    index: LineIndex,
    position: Callable[["cst.CSTNode"], tuple[Location, Location]],
) -> Edit | None:
    """Insert `text` after the docstring, `__future__` imports and the leading imports
    (`pass` lines among them do not end them), unless the module already holds that exact
    statement."""
    import libcst as cst

    insert_after = None
    for i, stmt in enumerate(module.body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            break
        code = module.code_for_node(stmt).strip()
        if code == text:
            return None
        first = stmt.body[0]
        is_doc = i == 0 and isinstance(first, cst.Expr) and isinstance(
            first.value, (cst.SimpleString, cst.ConcatenatedString)
        )
        if is_doc or isinstance(first, (cst.Import, cst.ImportFrom)):
            insert_after = stmt
            continue
        if len(stmt.body) == 1 and isinstance(first, cst.Pass):
            continue  # does nothing: a notebook's masked magic line (`%load_ext ...`), say
        break
    # The import may also sit further down among other top-level imports.
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine) and module.code_for_node(stmt).strip() == text:
            return None
    if insert_after is None:
        at = Location(_header_rows(index) + 1, 1)
    else:
        _, end = position(insert_after)
        at = Location(end.row + 1, 1)
        if end.row + 1 > len(index.starts):
            # Last line of a file without a final newline.
            return Edit(index.newline() + text, Location(end.row, len(index.line(end.row)) + 1),
                        Location(end.row, len(index.line(end.row)) + 1))
    return Edit(text + index.newline(), at, at)


# PEP 263: the encoding declaration, on line 1 or 2.
_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


def _header_rows(index: LineIndex) -> int:
    """How many lines at the top must stay first: a shebang (line 1 only), then an encoding
    declaration (line 1 or 2), which Python reads only there."""
    rows = 1 if index.line(1).startswith("#!") else 0
    for row in (1, 2):
        if rows < row <= len(index.starts) and _CODING.match(index.line(row)):
            rows = row
    return rows


def apply_fixes(
    text: str, fixes: Sequence[Fix], applied_out: list[Fix] | None = None
) -> tuple[str, int]:
    """Apply every fix whose edits overlap none already taken (in source order), and
    return the new text and how many fixes were applied (appended to `applied_out` when
    given). Identical import insertions from several fixes are applied once."""
    index = LineIndex(text)
    taken: list[tuple[int, int, str]] = []
    applied = 0
    ordered = sorted(fixes, key=lambda f: min((index.offset(e.location) for e in f.edits), default=0))
    for fix in ordered:
        spans = [(index.offset(e.location), index.offset(e.end_location), e.content) for e in fix.edits]
        spans = [s for s in spans if s not in taken]  # a shared insertion counts once
        if any(_overlaps(s, t) for s in spans for t in taken):
            continue
        taken.extend(spans)
        applied += 1
        if applied_out is not None:
            applied_out.append(fix)
    out = text
    for start, end, content in sorted(taken, key=lambda s: (s[0], s[1]), reverse=True):
        out = out[:start] + content + out[end:]
    return out, applied


def _overlaps(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    (s1, e1, _), (s2, e2, _) = a, b
    if s1 == e1 and s2 == e2:
        return s1 == s2  # two insertions at one point: order would be ambiguous
    if s1 == e1:
        return s2 < s1 < e2
    if s2 == e2:
        return s1 < s2 < e1
    return s1 < e2 and s2 < e1


def applicable(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and bool(fix.edits) and (fix.applicability == SAFE or unsafe)
