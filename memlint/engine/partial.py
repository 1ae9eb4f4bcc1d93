"""Parse only the part of a file that can matter: its top-level statements that mention a
trigger string, its imports, and the module-level assignments of the names they use.

libcst parses about 17,700 lines/s; Python's own parser, which only has to find where the
top-level statements begin and end, is several times faster. In library code the byte
strings a rule waits for (`memmap`, `reshape`, ...) sit in a few functions of a large
module, so most of it need not be parsed at all.

What a rule sees in this first pass (and so what it may rely on to decide whether to
report anything at all):
- every top-level statement (a whole def or class with its decorators) whose source holds
  one of the trigger strings of the rules that matched the file;
- every top-level import, and every top-level compound statement holding an import
  (`try: import x ...`, `if TYPE_CHECKING: ...`), and the module docstring;
- transitively, every top-level statement other than a def or class that binds a name
  mentioned in a statement already kept (so `data = np.memmap(...)` at module level is
  there for a function that reshapes `data`).

If any rule reports anything in that pass, the engine checks the whole file again and
reports that result, so positions, suppressions, fixes and "is this the only use of the
name" questions are always answered on the complete module. A rule that must see
statements mentioning none of its triggers sets `partial_parse = False`.
"""

from __future__ import annotations

import ast
import re
from typing import Iterable

_NEWLINE = re.compile(r"\r\n|\r|\n")
_IDENT = re.compile(r"[^\W\d]\w*")
# Below this share of the lines the pass pays off; above it the whole file is parsed.
MAX_KEPT_SHARE = 0.8


def reduce_source(text: str, strings: Iterable[str]) -> str | None:
    """`text` reduced to the statements described in the module docstring, or None when
    the whole text should be parsed: Python's parser rejects it, or too little would be
    dropped to pay for the pass. Kept statements are whole lines, joined in their order;
    rows are not kept (even empty lines cost libcst time), since nothing is reported from
    this pass: a file with findings is checked again whole."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None
    if not tree.body:
        return None
    strings = tuple(strings)
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]
    nlines = len(starts) if starts[-1] < len(text) else len(starts) - 1

    # Top-level statements as row ranges; statements sharing a line (`a = 1; b = 2`) or
    # overlapping ranges are merged into one unit.
    units: list[list] = []  # [first_row, last_row, [statements]]
    for stmt in tree.body:
        first = stmt.lineno
        for dec in getattr(stmt, "decorator_list", ()):
            first = min(first, dec.lineno)
        last = stmt.end_lineno or stmt.lineno
        if units and first <= units[-1][1]:
            units[-1][1] = max(units[-1][1], last)
            units[-1][2].append(stmt)
        else:
            units.append([first, last, [stmt]])

    def source(unit: list) -> str:
        end = starts[unit[1]] if unit[1] < len(starts) else len(text)
        return text[starts[unit[0] - 1] : end]

    keep: set[int] = set()
    binders: dict[str, set[int]] = {}
    for i, unit in enumerate(units):
        chunk = source(unit)
        stmts = unit[2]
        if any(s in chunk for s in strings) or (i == 0 and _is_docstring(stmts[0])):
            keep.add(i)
        for stmt in stmts:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            has_import = False
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                    binders.setdefault(node.id, set()).add(i)
                elif isinstance(node, (ast.Import, ast.ImportFrom)):
                    has_import = True
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    binders.setdefault(node.name, set()).add(i)
            if has_import:
                keep.add(i)

    # Follow the names kept statements mention to the statements that bind them.
    todo = list(keep)
    seen: set[str] = set()
    while todo:
        for name in set(_IDENT.findall(source(units[todo.pop()]))):
            if name in seen:
                continue
            seen.add(name)
            for j in binders.get(name, ()):
                if j not in keep:
                    keep.add(j)
                    todo.append(j)

    kept_rows = sum(units[i][1] - units[i][0] + 1 for i in keep)
    if kept_rows > MAX_KEPT_SHARE * nlines:
        return None
    chunks = [source(units[i]) for i in sorted(keep)]
    # A last line without a newline must not run into the next chunk.
    return "".join(c if c.endswith(("\n", "\r")) else c + "\n" for c in chunks)


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )
