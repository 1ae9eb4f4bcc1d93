"""Reading a module's bytes for the shape of a hazard, before anything is parsed: the
helpers of the rules' `shape_filter`s (memlint.engine.rule). Each looks at the text as it
is written; a filter may let through what the rule then finds harmless, never the
reverse on code it can analyse."""

from __future__ import annotations

import functools
import re
import sys
from typing import Iterator

# A def's indentation, name and parameters (up to the first closing parenthesis).
DEF = re.compile(rb"^([ \t]*)(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(([^)]*)\)", re.M)
_FROM_IMPORT = re.compile(rb"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+\(?([^\n)]*)", re.M)
# Where a function imported by name cannot be the project's own.
_LIBRARIES = frozenset(sys.stdlib_module_names) | {
    "numpy", "scipy", "pandas", "joblib", "dask", "distributed", "sklearn", "torch", "ray",
}


def def_body(data: bytes, found: "re.Match[bytes]") -> bytes:
    """The text of the body of the def `found` (a match of DEF): up to the first later
    line of code indented no deeper than the def."""
    end = _dedent(min(len(found.group(1)), 40)).search(data, found.end())
    return data[found.end():end.start() if end else len(data)]


@functools.lru_cache(maxsize=None)
def _dedent(indent: int) -> "re.Pattern[bytes]":
    # A line opening with a closing bracket continues the signature (`):` of a split def).
    return re.compile(rb"\n[ \t]{0,%d}(?=[^\s#)\]}])" % indent)


_INIT = re.compile(rb"^([ \t]+)(?:async[ \t]+)?def[ \t]+__init__[ \t]*\(([^)]*)\)", re.M)
_FROM_IMPORT_AS = re.compile(rb"^[ \t]*from[ \t]+[\w.]+[ \t]+import[ \t]*(?:\(([^)]*)\)|([^\n#]*))", re.M)
_AS_NAME = re.compile(rb"\bas[ \t]+([A-Za-z_]\w*)")


@functools.lru_cache(maxsize=4)
def init_bodies(data: bytes) -> "tuple[bytes, ...]":
    """The bodies of the `__init__` methods a class body defines (indented defs), for
    the rules about what an instance stores as it is made."""
    return tuple(def_body(data, found) for found in _INIT.finditer(data))


@functools.lru_cache(maxsize=4)
def import_aliases(data: bytes) -> "re.Pattern[bytes] | None":
    """A pattern finding a call of a function imported under another name (`from glob
    import glob as g`: `g(`), which a shape filter's plain names would miss (a renamed
    module keeps its functions' names: `js.load(`); None when no import renames."""
    names = {n for m in _FROM_IMPORT_AS.finditer(data) for n in _AS_NAME.findall(m.group(1) or m.group(2))}
    if not names:
        return None
    return re.compile(rb"\b(?:%s)[ \t]*\(" % b"|".join(sorted(map(re.escape, names))))


def in_an_init(data: bytes, pattern: "re.Pattern[bytes]") -> bool:
    """Whether the body of some `__init__` of a class holds `pattern`, or a call of a
    function an import renames."""
    aliases = import_aliases(data)
    return any(pattern.search(body) is not None or (aliases is not None and aliases.search(body) is not None)
               for body in init_bodies(data))


def first_def(data: bytes, name: bytes) -> "re.Match[bytes] | None":
    return next(defs_of(data, name), None)


def defs_of(data: bytes, name: bytes) -> "Iterator[re.Match[bytes]]":
    """The defs of `name` (matches of DEF), in text order: found from where the name is
    spelled, a search the engine does at memory speed, not by trying DEF at every line."""
    at = data.find(name)
    while at >= 0:
        found = DEF.match(data, data.rfind(b"\n", 0, at) + 1)
        if found is not None and found.start(2) == at and found.group(2) == name:
            yield found
        at = data.find(name, at + len(name))


def enclosing_line(data: bytes, found: "re.Match[bytes]", limit: int = 5000) -> bytes:
    """The first line of code above the def `found` indented less than it (its block's
    header: `def ...:`, `class ...:`, `if ...:`), stripped; b"" at the top level or when
    not found within `limit` lines."""
    indent = len(found.group(1))
    if indent == 0:
        return b""
    end = found.start()
    for _ in range(limit):
        start = data.rfind(b"\n", 0, max(end - 1, 0)) + 1
        line = data[start:end]
        stripped = line.lstrip(b" \t")
        if stripped.strip() and not stripped.startswith(b"#") and len(line) - len(stripped) < indent:
            return stripped.rstrip()
        if start == 0:
            return b""
        end = start
    return b""


# What makes a process pool, each a literal the regex engine skips to (an alternation of
# them, with the look-behind for thread pools, was tried at every `P` and `g`).
_POOL_MADE = (re.compile(rb"Pool\("), re.compile(rb"ProcessPoolExecutor\("), re.compile(rb"get_context\("))
_POOL_CALL = re.compile(
    rb"\.(?P<method>submit|apply_async|apply|i?map\w{0,10}|starmap\w{0,6})\("
    rb"\s*(?P<function>[A-Za-z_][\w.]{0,100})?(?P<rest>[^\n]*)"
)
_RECEIVER = re.compile(rb"(?:([A-Za-z_]\w{0,100})|\))$")
_ASSIGNED = re.compile(rb"([A-Za-z_]\w*)\s*(?::[^=\n]{0,100})?=(?!=)")
_AS = re.compile(rb"\)\s*as\s+([A-Za-z_]\w*)")


@functools.lru_cache(maxsize=4)
def process_pool_calls(data: bytes) -> "tuple[re.Match[bytes], ...]":
    """The calls of a pool's task methods (`submit`, `apply_async`, the `map` family)
    whose receiver may be a process pool (see _process_pool_calls). Several rules' shape
    filters ask it of the same file: the answer is kept for the last few files."""
    return tuple(_process_pool_calls(data))


def _process_pool_calls(data: bytes) -> "Iterator[re.Match[bytes]]":
    """The receiver may be a process pool when it is a name assigned `Pool(...)`,
    `ProcessPoolExecutor(...)` or a context's pool (not a thread pool), the `as` name of a
    `with` making one, or such a constructor on the call's own line (`Pool(4).map(`).
    Groups: method, function (the first argument, when a name), rest (the line after
    it)."""
    lines = {}
    for begin, end in _pools_made(data):
        start = data.rfind(b"\n", 0, begin) + 1
        # `with Pool(...) as pool:` may spread its arguments over lines: what follows the
        # constructor, up to a bound, may hold the `as` name.
        lines[start] = data[start:begin], data[end:end + 1000]
    if not lines:
        return
    pools = set()
    for before, after in lines.values():
        assigned = _ASSIGNED.findall(before)
        pools.update(assigned[-1:])
        pools.update(_AS.findall(after))
    for m in _POOL_CALL.finditer(data):
        before = _RECEIVER.search(data, max(0, m.start() - 101), m.start())
        if before is None:
            continue
        if before.group(1) is not None:
            if before.group(1) in pools:
                yield m
        elif data.rfind(b"\n", 0, m.start()) + 1 in lines:  # `Pool(4).map(` on the line
            yield m


def _pools_made(data: bytes) -> "list[tuple[int, int]]":
    """Where `Pool(` (not `ThreadPool(`), `ProcessPoolExecutor(` and `get_context(` are
    called, in text order."""
    found = [m.span() for pattern in _POOL_MADE for m in pattern.finditer(data)]
    return sorted(span for span in found if data[max(span[0] - 6, 0):span[0]] != b"Thread")


def imported_from_project(data: bytes, name: bytes) -> bool:
    """`from .work import fill` or `from pkg.work import fill`, not `from math import sqrt`
    (the index can read the first two)."""
    for m in _FROM_IMPORT.finditer(data):
        names = {n.split()[-1] for n in m.group(3).split(b",") if n.strip()}
        top = m.group(2).split(b".")[0].decode("ascii", "replace")
        if name in names and (m.group(1) or top not in _LIBRARIES):
            return True
    return False
