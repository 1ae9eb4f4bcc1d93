"""What must hold of memlint on any input, checked in one process: no crash or internal
error, an answer in bounded time, and fixes that parse, are idempotent, keep the file's
BOM, encoding line, line breaks and final line break, and change only what they report."""

from __future__ import annotations

import difflib
import re
import time
import warnings

BOM = b"\xef\xbb\xbf"
_ROW_BREAK = re.compile(r"\r\n|\r|\n")


def problems(data: bytes, filename: str, project, time_limit: float) -> list[str]:
    """What went wrong on `data` (empty: nothing)."""
    from memlint.engine.fixes import applicable
    from memlint.engine.runner import FixOptions, check_one

    found: list[str] = []
    start = time.perf_counter()
    result, _, _ = check_one(data, filename, project, FixOptions())
    spent = time.perf_counter() - start
    if spent > time_limit:
        found.append(f"check took {spent:.1f} s")
    found += [f"internal error: {d.message}" for d in result.diagnostics if "please report" in d.message]
    start = time.perf_counter()
    fixed_result, fixed, error = check_one(data, filename, project, FixOptions(fix=True, unsafe=True))
    if time.perf_counter() - start > time_limit:
        found.append(f"fix took {time.perf_counter() - start:.1f} s")
    if fixed is None:
        return found
    fixable = [d for d in result.diagnostics if applicable(d.fix, True)]
    found += _fixed_problems(data, fixed, fixable)
    _, again, _ = check_one(fixed, filename, project, FixOptions(fix=True, unsafe=True))
    if again is not None:
        found.append("--fix twice differs from --fix once")
    return found


def _fixed_problems(data: bytes, fixed: bytes, fixable) -> list[str]:
    from memlint.engine.checker import decode

    found = []
    if _compiles(data) and not _compiles(fixed):
        found.append("the fixed file does not compile")
    if data.startswith(BOM * 2) != fixed.startswith(BOM * 2) or data.startswith(BOM) != fixed.startswith(BOM):
        found.append("BOM changed")
    if _cookie(data) != _cookie(fixed):
        found.append("encoding declaration moved or changed")
    if not _newlines(fixed) <= _newlines(data) | ({b"\n"} if not _newlines(data) else set()):
        found.append("line break style changed")
    if data.endswith((b"\n", b"\r")) != fixed.endswith((b"\n", b"\r")):
        found.append("final line break changed")
    before, _ = decode(data)
    after, _ = decode(fixed)
    rows = {row for d in fixable for e in d.fix.edits for row in range(e.location.row, e.end_location.row + 1)}
    # Rows as Python counts them (str.splitlines would also break at form feeds).
    old, new = _ROW_BREAK.split(before), _ROW_BREAK.split(after)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        touched = set(range(i1 + 1, i2 + 1))
        added = new[j1:j2]
        if tag == "insert" and all(line.startswith(("import ", "from ")) for line in added):
            continue
        if not touched and (i1 + 1) in rows:
            continue  # inserted before a reported statement
        if not touched <= rows:
            found.append(f"lines {sorted(touched - rows)[:5]} changed though nothing was reported there")
    return found


def _compiles(data: bytes) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, "<fuzz>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _cookie(data: bytes) -> list[bytes]:
    return [line for line in data.splitlines()[:2] if b"coding" in line]


def _newlines(data: bytes) -> set[bytes]:
    kinds = set()
    if b"\r\n" in data:
        kinds.add(b"\r\n")
    if b"\n" in data.replace(b"\r\n", b""):
        kinds.add(b"\n")
    if b"\r" in data.replace(b"\r\n", b""):
        kinds.add(b"\r")
    return kinds
