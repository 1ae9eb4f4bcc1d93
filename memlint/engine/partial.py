r"""Parse only the part of a file that can matter: its top-level statements that mention a
trigger string, its imports, and the module-level statements about the names they use.

libcst parses about 17,700 lines/s. Where the top-level statements begin and end is found
by a lexical scan (strings, comments, brackets, line continuations), far cheaper than any
parser: even Python's own `ast.parse` cost a fifth of the whole check. In library code the
byte strings a rule waits for (`memmap`, `reshape`, ...) sit in a few functions of a large
module, so most of it need not be parsed at all.

What a rule sees in this first pass (and so what it may rely on to decide whether to
report anything at all):
- every top-level statement (a whole def or class with its decorators) whose source holds
  one of the trigger strings of the rules that matched the file;
- every top-level import, every top-level compound statement holding an import
  (`try: import x ...`, `if TYPE_CHECKING: ...`), and the module docstring;
- transitively, every top-level statement other than a def or class that mentions a name
  mentioned in a statement already kept (so `data = np.memmap(...)` at module level is
  there for a function that reshapes `data`).

The scan is checked by the parse itself: if libcst rejects the reduced source, the whole
file is parsed. If any rule reports anything in that pass, the engine checks the whole
file again and reports that result, so positions, suppressions, fixes and "is this the
only use of the name" questions are always answered on the complete module. A rule that
must see statements mentioning none of its triggers sets `partial_parse = False`.
"""

from __future__ import annotations

import builtins
import keyword
import re
from typing import Iterable

_SPECIAL = re.compile(r"""[#'"\\\n\r()\[\]{}]""")
_STRING_END = {
    '"""': re.compile(r'(?:[^"\\]++|\\[\s\S]|"(?!""))*+"""'),
    "'''": re.compile(r"(?:[^'\\]++|\\[\s\S]|'(?!''))*+'''"),
    '"': re.compile(r'(?:[^"\\\r\n]++|\\(?:\r\n|[\s\S]))*+"'),
    "'": re.compile(r"(?:[^'\\\r\n]++|\\(?:\r\n|[\s\S]))*+'"),
}
_TO_EOL = re.compile(r"[^\r\n]*")
# Lines at column 0 that continue the statement above rather than start one.
_CONTINUES = re.compile(r"(?:else|elif|except|finally)\b")
_DEF = re.compile(r"(?:@|def\b|class\b|async[ \t]+def\b)")
_IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]", re.M)
_GLOBAL = re.compile(r"^[ \t]+global[ \t]", re.M)
_DOCSTRING = re.compile(r"""[rRuU]?['"]""")
_IDENT = re.compile(r"(?<![\w.])[^\W\d]\w*")
_COMMON = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | {"self", "cls"}
# Above this share of the text the pass does not pay; the whole file is parsed.
MAX_KEPT_SHARE = 0.8


def statement_starts(text: str) -> list[int] | None:
    """Offsets where the top-level statements of `text` start (a decorated def starts at
    its first decorator). None when the scan ends inside a string or a bracket, which
    valid Python never does."""
    raw = [0]
    depth = 0
    pos = 0
    n = len(text)
    search = _SPECIAL.search
    while True:
        m = search(text, pos)
        if m is None:
            break
        i = m.start()
        ch = text[i]
        if ch == "#":
            pos = _TO_EOL.match(text, i).end()
        elif ch == "'" or ch == '"':
            quote = text[i : i + 3]
            if quote != '"""' and quote != "'''":
                quote = ch
            end = _STRING_END[quote].match(text, i + len(quote))
            if end is None:
                # Unterminated: fine only for a one-line string cut by its line's end,
                # which is a syntax error anyway; the parse will say so.
                return None
            pos = end.end()
        elif ch == "\\":
            pos = i + (3 if text.startswith("\r\n", i + 1) else 2)  # a line continuation
        elif ch in "([{":
            depth += 1
            pos = i + 1
        elif ch in ")]}":
            depth -= 1
            pos = i + 1
        else:  # a newline
            pos = i + (2 if text.startswith("\r\n", i) else 1)
            if depth == 0 and pos < n and text[pos] not in " \t\f\r\n#\\":
                if not _CONTINUES.match(text, pos):
                    raw.append(pos)
    if depth != 0:
        return None
    starts: list[int] = []
    previous = -1
    for s in raw:
        # A def or class joins the decorators above it.
        if not (previous >= 0 and text.startswith("@", previous)):
            starts.append(s)
        previous = s
    return starts


def reduce_source(text: str, groups: Iterable[Iterable[str]]) -> str | None:
    """`text` reduced to the statements described in the module docstring, or None when
    the whole text should be parsed: the scan failed, or too little would be dropped to
    pay for the pass. `groups` are the trigger groups the file matched. Kept statements
    are whole lines, joined in their order; rows are not kept (even empty lines cost
    libcst time), since nothing is reported from this pass: a file with findings is
    checked again whole."""
    starts = statement_starts(text)
    if not starts or len(starts) < 2:
        return None
    groups = [frozenset(g) for g in groups]
    strings = frozenset().union(*groups)
    bounds = list(zip(starts, starts[1:] + [len(text)]))
    chunks = [text[a:b] for a, b in bounds]
    n = len(chunks)
    present = [frozenset(s for s in strings if s in c) for c in chunks]
    names = [frozenset(_IDENT.findall(c)) - _COMMON for c in chunks]
    # Module-level statements: everything but defs and classes, plus defs that declare a
    # name global (they bind at module level too).
    module_level = [not _DEF.match(c) or _GLOBAL.search(c) is not None for c in chunks]
    imports = [not _DEF.match(c) and _IMPORT.search(c) is not None for c in chunks]

    # Module-level statements that share a name form one group of statements a value
    # can flow through (union-find); imports are left out, or `np` would join them all.
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    mentioned_by: dict[str, list[int]] = {}  # name -> module-level statements
    for i in range(n):
        if module_level[i] and not imports[i]:
            for name in names[i]:
                mentioned_by.setdefault(name, []).append(i)
    for members in mentioned_by.values():
        root = find(members[0])
        for j in members[1:]:
            other = find(j)
            if other != root:
                parent[other] = root
    reachable: dict[int, frozenset[str]] = {}
    imported: dict[str, frozenset[str]] = {}  # name an import mentions -> its strings
    for i in range(n):
        if not present[i]:
            continue
        if imports[i]:
            # `from numpy import memmap as M`: a statement using `M` can reach "memmap".
            for name in names[i]:
                imported[name] = imported.get(name, frozenset()) | present[i]
        elif module_level[i]:
            r = find(i)
            reachable[r] = reachable.get(r, frozenset()) | present[i]

    # A statement is a seed when it, with the module-level statements it can reach
    # through the names it mentions, holds every string of some group.
    keep: set[int] = set()
    for i in range(n):
        if not present[i]:
            continue
        seen = present[i]
        if not any(g <= seen for g in groups):
            for name in names[i]:
                seen = seen | imported.get(name, frozenset())
                for j in mentioned_by.get(name, ()):
                    seen = seen | reachable.get(find(j), frozenset())
                    break  # every statement mentioning the name is in one group
            if not any(g <= seen for g in groups):
                continue
        keep.add(i)
    if not keep:
        return ""  # nothing can match: an empty module, checked in no time
    keep.update(i for i in range(n) if imports[i])
    for i, chunk in enumerate(chunks):
        if chunk[:1] not in ("#", "\n", "\r", " ", "\t", "\f", ""):
            if _DOCSTRING.match(chunk):
                keep.add(i)  # the module docstring (fixes insert imports after it)
            break

    # Follow the names kept statements mention to the module-level statements about them.
    todo = list(keep)
    seen_names: set[str] = set()
    while todo:
        for name in names[todo.pop()] - seen_names:
            seen_names.add(name)
            for j in mentioned_by.get(name, ()):
                if j not in keep:
                    keep.add(j)
                    todo.append(j)

    if sum(len(chunks[i]) for i in keep) > MAX_KEPT_SHARE * len(text):
        return None
    # A last line without a newline must not run into the next chunk.
    return "".join(
        c if c.endswith(("\n", "\r")) else c + "\n" for c in (chunks[i] for i in sorted(keep))
    )
