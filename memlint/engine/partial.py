r"""Parse only the part of a file that can matter: the units that mention a trigger string,
and what they can reach through names.

libcst parses about 17,700 lines/s. Where statements begin and end is found by a lexical
scan (strings, comments, brackets, line continuations), far cheaper than any parser: even
Python's own `ast.parse` cost a fifth of the whole check. In library code the byte strings
a rule waits for (`memmap`, `map_blocks(`, ...) sit in a few functions of a large module,
often in a few methods of one large class, so most of it need not be parsed at all.

Units. The file is cut into its top-level statements, and a class into its header (its
decorators, its `class` line and its class-level statements other than defs) and one unit
per method or nested class. Comments and docstrings are blanked out before anything is
searched, so a trigger string or a name mentioned only there counts for nothing (a group
whose strings are all in them is dropped); string literals count for strings (`">f8"`,
`{"mmap_mode": "r"}`), not for names.

What a unit reaches through the names it mentions:
- the names an import binds, each with the text of that import alone (`from dask import
  delayed as dl` brings "dask" and "delayed" to the units that use `dl`); a trigger a rule
  declares a name (`name_triggers`) only from an import of that very name (`from
  dask.delayed import Delayed` brings "dask", not "delayed"), and in a unit's own code
  only as a whole word;
- the top-level statements other than defs and classes that mention them, all of those
  that share a name with each other (a value flows through them), and defs that declare a
  name global (they join those statements through the names they declare only);
- the top-level def a name defines, as its signature (decorators and `def` line: what the
  analyses read of a called function), or whole when a rule must see whole classes
  (`ray.remote(split)` runs split's body remotely);
- the class a name defines, with what makes its instances' data: the methods that assign
  attributes of `self` and those that call `.fit(`;
- for a method: its class's header; the methods that assign the attributes of `self` it
  reads; those that call `.fit(` when it reads any; and all of the instance's data when it
  uses `self` itself (passes or returns it, a lambda or nested def that may capture it) or
  reads `self.<name>` that no method assigns (a bound method: the instance goes with it).

What a value may come from reaches further, through what calls return: a unit calling a
top-level def, or a method through `self`, reaches the strings of the callee's body that a
rule declares sources (`source_triggers`: where a memmap is opened), though the callee is
kept as its signature only (the project index parses its body when an analysis follows
the call).

A unit is a seed when it holds a trigger string (itself or one name away) and what it
reaches holds every string of one group; the strings that say what the module imports
(`import ray`, `from ray`, which a rule may ask of the whole module) count for every unit.
The first pass parses the seeds, everything they reach (the imports of the names they
use among it), star and `__future__` imports and the module docstring, in their order,
without their blank and comment-only lines; a function reached only by name is its
signature and `...`, a class whose kept members are none gets a `pass`.

The scan is checked by the parse itself: if libcst rejects the reduced source, the whole
file is parsed. If any rule reports anything in that pass, the engine checks the file
again with the rules that reported: on the same units at their own rows and columns
(`padded`: every other line left empty, docstrings and comments kept) when those rules'
fixes read nothing but the reported statement and the imports, else on the whole file,
so positions, suppressions, fixes and "is this the only use of the name" questions are
answered as on the complete module. What a rule's answer draws on (its unit, the names it
reaches, the module-level statements and `self` attributes that bind them) is kept; what
is left out could only add findings (a `.fit(` call elsewhere, another use of a name), not
silence one (tests/engine/test_partial.py and the benchmark's corpus check hold it to that). A rule that
must see statements mentioning none of its triggers sets `partial_parse = False`; one that
must see every method of a class and every body a name reaches (each method of a Ray actor
runs remotely) sets `partial_classes = False`, and while one of its groups is in the code
no class is cut and no function is reduced to its signature.
"""

from __future__ import annotations

import bisect
import builtins
import keyword
import re
from typing import Iterable

# A member that starts with a decorator.
_DECORATED = re.compile(r"[ \t\f]*@")
_SPECIAL = re.compile(r"""[#'"\\\n\r()\[\]{}]""")
_STRING_END = {
    '"""': re.compile(r'(?:[^"\\]++|\\[\s\S]|"(?!""))*+"""'),
    "'''": re.compile(r"(?:[^'\\]++|\\[\s\S]|'(?!''))*+'''"),
    '"': re.compile(r'(?:[^"\\\r\n]++|\\(?:\r\n|[\s\S]))*+"'),
    "'": re.compile(r"(?:[^'\\\r\n]++|\\(?:\r\n|[\s\S]))*+'"),
}
_TO_EOL = re.compile(r"[^\r\n]*")
_INDENT = re.compile(r"[ \t\f]*")
# A string statement (a docstring): only a prefix before it on its logical line, only a
# comment after it. Not an f-string, whose replacement fields are code.
_STRING_PREFIX = re.compile(r"[rRuUbB]{0,2}")
_ENDS_STATEMENT = re.compile(r"[ \t\f]*(?:#[^\r\n]*)?(?:\r\n|\r|\n|\Z)")
# Lines that continue the statement above rather than start one.
_CONTINUES = re.compile(r"(?:else|elif|except|finally)\b")
_DEF = re.compile(r"(?:@|def\b|class\b|async[ \t]+def\b)")
_CLASS_LINE = re.compile(r"class\b")
_IMPORT = re.compile(r"^[ \t]*(?:import|from)[ \t]", re.M)
_GLOBAL = re.compile(r"^[ \t]+global[ \t]+([^\r\n;#]*)", re.M)
_DOCSTRING = re.compile(r"""[rRuUbB]{0,2}['"]""")
_STAR_OR_FUTURE = re.compile(r"import[ \t\\\r\n(]*\*|from[ \t\\\r\n]+__future__\b")
_IDENT = re.compile(r"\b(?<!\.)[^\W\d]\w*")
_IDENT_ASCII = re.compile(r"\b(?<!\.)[A-Za-z_]\w*", re.ASCII)  # twice as fast, for ASCII text
# (`self` is found first: a literal the regex engine searches for quickly; an identifier
# that merely ends in "self" only makes the reduction keep more.)
_SELF_ATTR = re.compile(r"self[ \t]*\.[ \t]*([^\W\d]\w*)")
# What stores data on an instance or fits a model kept inside it (see datalike):
# `self.x = ...`, `self.x += ...`, `self.x: int` (a statement of its own), and tuple or
# list targets `(self.a, b) = ...`.
_SELF_STORE = re.compile(r"self[ \t]*\.[ \t]*[^\W\d]\w*[ \t]*(?:[-+*/%@&|^]|//|\*\*|<<|>>)?=(?!=)")
_SELF_ANNOTATED = re.compile(r"\n[ \t]*self[ \t]*\.[ \t]*[^\W\d]\w*[ \t]*:")
_SELF_IN_TARGETS = re.compile(r"\n[ \t]*[(\[][^=\r\n]*self[ \t]*\.[^=\r\n]*[)\]][ \t]*=(?!=)")
_FITS = re.compile(r"fit\(")
# `self` passed or returned as a value, or a lambda or nested def (which may capture it).
_BARE_SELF = re.compile(r"self\b(?![ \t]*\.)")
_NESTED_DEF = re.compile(r"\n[ \t]+(?:async[ \t]+)?def[ \t]")
_DEFINED = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+([^\W\d]\w*)", re.M)
_COMMON = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | {"self", "cls"}
# Above this share of the text the pass does not pay; the whole file is parsed.
MAX_KEPT_SHARE = 0.8


class Scan:
    """The lexical facts the reduction needs: where logical lines start (at any
    indentation), and the text with comments and docstrings blanked out."""

    __slots__ = ("text", "lines", "masked", "code", "empty", "cuts", "deepest")

    def __init__(self, text: str, lines: list[tuple[int, int]], masked: str, code: str,
                 empty: list[int], docstrings: list[tuple[int, int]], deepest: int = 0) -> None:
        self.text = text
        self.deepest = deepest  # the deepest nesting of brackets
        self.lines = lines  # (offset of the line, offset of its first code character)
        self.masked = masked  # comments and docstrings blanked
        self.code = code  # the contents of other string literals too, but f-strings'
        self.empty = empty  # where the lines holding nothing or only a comment start
        # What the first pass leaves out, in text order: (start, end, replacement) for
        # each blank or comment-only line (libcst builds nodes for each) and each string
        # statement (a docstring: its text is a tenth of a library's code, and no rule
        # reads it), which becomes `""`.
        cuts = [(p, _line_end(text, p), "") for p in empty]
        cuts.extend((a, b, '""') for a, b in docstrings)
        cuts.sort()
        self.cuts = cuts

    def without_empty_lines(self, a: int, b: int) -> str:
        """text[a:b] without its blank and comment-only lines (never inside a string) and
        with its docstrings emptied: what the first pass parses of it."""
        text = self.text
        cuts = self.cuts
        i = bisect.bisect_left(cuts, (a,))
        if i == len(cuts) or cuts[i][0] >= b:
            return text[a:b]
        parts: list[str] = []
        at = a
        while i < len(cuts) and cuts[i][0] < b:
            start, end, replacement = cuts[i]
            parts.append(text[at:start])
            parts.append(replacement)
            at = min(end, b)
            i += 1
        parts.append(text[at:b])
        return "".join(parts)

    def statement_starts(self) -> list[int]:
        """Offsets where the top-level statements start: the text's start (which may hold
        only comments), then each line of code at column 0 that neither continues a
        compound statement nor follows a decorator."""
        text = self.text
        raw = [0] + [
            code for line, code in self.lines
            if code == line and code != 0 and not _CONTINUES.match(text, code)
        ]
        starts: list[int] = []
        previous = -1
        for s in raw:
            # A def or class joins the decorators above it.
            if not (previous >= 0 and text.startswith("@", previous)):
                starts.append(s)
            previous = s
        return starts


_LAST: list = [None, None]  # the last text scanned and its scan: the reduction, the
# whole-file parse and the positions of its findings all ask for the same file's


def scan(text: str) -> Scan | None:
    """One pass over `text`; None when it ends inside a string or a bracket, which valid
    Python never does."""
    if _LAST[0] is text:
        return _LAST[1]
    for seen, found in _RECENT:
        if seen is text:  # the project index reduces a few modules over and over
            break
    else:
        found = _scan(text)
        _RECENT.insert(0, (text, found))
        del _RECENT[_MAX_RECENT:]
    _LAST[0], _LAST[1] = text, found
    return found


_MAX_RECENT = 8
_RECENT: list = []


def _scan(text: str) -> Scan | None:
    lines: list[tuple[int, int]] = []
    blanks: list[tuple[int, int, bool]] = []  # (start, end, also in `masked`)
    empty: list[int] = []
    docstrings: list[tuple[int, int]] = []
    n = len(text)
    indent = _INDENT.match

    def line_at(p: int) -> int:
        # A physical line that starts a logical one: record it when it holds code.
        c = indent(text, p).end()
        if c < n:
            ch = text[c]
            if ch not in "\r\n#\\":
                lines.append((p, c))
                return c
            if ch != "\\":
                empty.append(p)  # blank, or only a comment
        elif c > p:
            empty.append(p)  # trailing whitespace
        return -1

    logical = line_at(0)  # where the current logical line's code starts
    depth = deepest = 0
    pos = 0
    search = _SPECIAL.search
    while True:
        m = search(text, pos)
        if m is None:
            break
        i = m.start()
        ch = text[i]
        if ch == "#":
            pos = _TO_EOL.match(text, i).end()
            blanks.append((i, pos, True))
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
            if depth == 0 and logical >= 0 and _STRING_PREFIX.fullmatch(text, logical, i) \
                    and _ENDS_STATEMENT.match(text, pos):
                blanks.append((logical, pos, True))
                docstrings.append((logical, pos))
            elif "f" not in text[max(i - 2, 0):i].lower():
                blanks.append((i + len(quote), pos - len(quote), False))
        elif ch == "\\":
            pos = i + (3 if text.startswith("\r\n", i + 1) else 2)  # a line continuation
        elif ch in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
            pos = i + 1
        elif ch in ")]}":
            depth -= 1
            pos = i + 1
        else:  # a newline
            pos = i + (2 if text.startswith("\r\n", i) else 1)
            if depth == 0:
                logical = line_at(pos)
            else:
                c = indent(text, pos).end()
                if c < n and text[c] in "\r\n#":
                    empty.append(pos)
    if depth != 0:
        return None
    return Scan(text, lines, _blank(text, [s for s in blanks if s[2]]), _blank(text, blanks), empty,
                docstrings, deepest)


def _line_end(text: str, p: int) -> int:
    """Where the line starting at `p` ends, its line break included."""
    end = _TO_EOL.match(text, p).end()
    return end + (2 if text.startswith("\r\n", end) else (1 if end < len(text) else 0))


def _blank(text: str, spans: list[tuple[int, int, bool]]) -> str:
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for a, b, _ in spans:
        parts.append(text[last:a])
        parts.append(" " * (b - a))
        last = b
    parts.append(text[last:])
    return "".join(parts)


def statement_starts(text: str) -> list[int] | None:
    """Offsets where the top-level statements of `text` start (a decorated def starts at
    its first decorator). None when the scan ends inside a string or a bracket."""
    found = scan(text)
    return None if found is None else found.statement_starts()


class _Node:
    """A piece of the file the reduction keeps or drops as a whole (`spans` of the text),
    or a connector between such pieces (no spans)."""

    __slots__ = ("spans", "kind", "name", "owner", "present", "edges", "reach", "names", "attrs",
                 "stores", "bare_self", "follows")

    def __init__(self, spans: list[tuple[int, int]], kind: str, name: str | None = None,
                 owner: "_Class | None" = None) -> None:
        self.spans = spans
        # import | module (top level, not a def or class) | def (a top-level def, or a
        # class kept whole) | header (a cut class's decorators, `class` line and
        # class-level statements) | member (a method or nested class of a cut class) |
        # alias (a name an import binds) | flow (module-level statements sharing names) |
        # data (what makes a cut class's instances)
        self.kind = kind
        self.name = name  # what a def, class, member or alias defines
        self.owner = owner  # a member's class
        self.present = 0  # bit mask of the trigger strings it holds
        self.edges: list[_Node] = []
        # What a value may come from without the analyses reading it in this pass (the
        # project index reads it when they follow it): counted for reach, never kept.
        self.follows: list[_Node] = []
        self.reach = 0  # bit mask of the strings of everything it reaches
        self.names: frozenset[str] = frozenset()
        self.attrs: frozenset[str] = frozenset()  # `self.<attr>` it mentions
        self.stores: frozenset[str] = frozenset()  # `self.<attr>` it assigns
        self.bare_self = False  # uses `self` itself as a value, or a nested function


class _Class:
    __slots__ = ("header", "data", "members", "storing", "fitting")

    def __init__(self, header: _Node, data: _Node) -> None:
        self.header = header
        self.data = data
        self.members: list[_Node] = []
        self.storing: list[_Node] = []  # members that assign attributes of `self`
        self.fitting: list[_Node] = []  # members that call `.fit(`


def reduce_source(text: str, groups: Iterable[Iterable[str]],
                  whole: Iterable[Iterable[str]] = (), names: Iterable[str] = (),
                  padded: bool = False, sources: Iterable[str] = (),
                  shapes: dict | None = None) -> str | None:
    """`text` reduced to the units described in the module docstring, or None when the
    whole text should be parsed: the scan failed, or too little would be dropped to pay
    for the pass. `groups` are the trigger groups the file matched; when one of `whole`
    (the groups of rules that must see whole classes) is among them outside comments and
    docstrings, no class is cut and a name reaches a function's body, not only its
    signature. Of `names` (trigger strings that stand for names), a unit holds the ones it
    spells as whole words, and an import brings only the one it imports by that name. Kept
    units are whole lines, joined in their order, without their blank and comment-only
    lines and with their docstrings emptied (libcst builds nodes for all of them).

    `padded` keeps every kept line where it is, verbatim, and every other line as an
    empty one: the same statements at their own rows and columns, for reporting
    positions and fixes without parsing the rest (then the share kept does not matter).

    `shapes` maps a group to a test of a def's or method's code (Rule.unit_shape): a def
    or method is a seed for that group only when the test holds on it."""
    key = (tuple(map(tuple, groups)), tuple(map(tuple, whole)), tuple(names), tuple(sources),
           tuple(sorted((g, id(f)) for g, f in (shapes or {}).items())))
    if _LAST_REDUCTION[0] is text and _LAST_REDUCTION[1] == key:
        found = _LAST_REDUCTION[2]
    else:
        found = _reduce(text, key[0], key[1], key[2], sources=key[3], shapes=shapes or {})
        _LAST_REDUCTION[:] = [text, key, found]
    if not isinstance(found, tuple):
        return found
    return _padded(text, *found) if padded else _compact(text, *found)


def reduce_to(text: str, groups: Iterable[Iterable[str]], whole: Iterable[Iterable[str]] = (),
              names: Iterable[str] = ()) -> str | None:
    """`reduce_source` for the project index, whose seeds are the units that hold a group
    themselves (the def it asks about, not its callers), leaving the first pass's
    remembered reduction alone."""
    found = _reduce(text, tuple(map(tuple, groups)), tuple(map(tuple, whole)), tuple(names), own=True)
    return _compact(text, *found) if isinstance(found, tuple) else found


_LAST_REDUCTION: list = [None, None, None]  # the first pass and the padded pass after it
# reduce the same file the same way


def _reduce(text: str, groups, whole, names, own: bool = False, sources=(), shapes=None):
    """(scan, tops, kept, stubs, imports) of the reduction, "" when nothing can match, None when
    the scan failed."""
    sc = scan(text)
    if sc is None:
        return None
    masked = sc.masked
    code = sc.code  # names are read here: not from strings
    # A group whose strings are only in comments and docstrings cannot be completed.
    kept_groups = [tuple(g) for g in groups if all(s in masked for s in g)]
    group_list = [frozenset(g) for g in kept_groups]
    shape_of = [(shapes or {}).get(g) for g in kept_groups]
    if not group_list:
        return ""
    classes = not any(frozenset(g) in group_list for g in whole)
    strings = sorted(frozenset().union(*group_list))
    bit = {s: 1 << i for i, s in enumerate(strings)}
    masks = [sum(bit[s] for s in g) for g in group_list]

    words = {s: _word(s) for s in names if s in bit}

    def holds(chunk: str, code_chunk: str | None = None) -> int:
        """The strings `chunk` (masked text) holds; a name among them only as a whole word
        of `code_chunk` (the same text with string literals blanked too): "delayed" in a
        warning's text is no use of `delayed`."""
        found = 0
        for s, b in bit.items():
            if s in chunk:
                word = words.get(s)
                if word is None or word.search(chunk if code_chunk is None else code_chunk):
                    found |= b
        return found

    def imports(statement: str, name: str) -> int:
        """The strings an import brings to the units using the name it binds."""
        found = holds(statement)
        for s in words:
            if s.rstrip("(") != name:  # `from dask.array import map_blocks` brings "map_blocks("
                found &= ~bit[s]
        return found

    idents = (_IDENT_ASCII if text.isascii() else _IDENT).findall

    starts = sc.statement_starts()
    bounds = list(zip(starts, starts[1:] + [len(text)]))
    nodes: list[_Node] = []  # every unit, in text order
    tops: list[tuple[int, int, _Node | _Class]] = []
    aliases: list[_Node] = []
    cut_classes: list[_Class] = []
    stubs: dict[int, _Node] = {}  # id(def node) -> its signature
    imported: dict[int, int] = {}  # id(import node) -> the strings of its whole text

    def unit(spans, chunk: str, names: str, kind: str, name=None, owner=None) -> _Node:
        node = _Node(spans, kind, name, owner)
        node.present = holds(chunk, names)
        node.names = frozenset(idents(names)) - _COMMON
        nodes.append(node)
        return node

    for a, b in bounds:
        chunk = masked[a:b]
        if not _DEF.match(chunk):
            if _IMPORT.search(chunk):
                # The import lines bind their aliases; the rest of a compound statement
                # (`try: import x ... except ImportError: x = None`) is like any other.
                bound, rest = _bindings(sc, a, b)
                node = unit([(a, b)], "".join(masked[x:y] for x, y in rest),
                            "".join(code[x:y] for x, y in rest), "import")
                imported[id(node)] = holds(chunk)
                for name, statement, imported_name in bound:
                    alias = _Node([], "alias", name)
                    alias.present = imports(statement, imported_name)
                    alias.edges.append(node)  # a unit using the name keeps the import
                    aliases.append(alias)
                for name in node.names:
                    alias = _Node([], "alias", name)
                    alias.present = node.present
                    alias.edges.append(node)
                    aliases.append(alias)
            else:
                node = unit([(a, b)], chunk, code[a:b], "module")
            tops.append((a, b, node))
            continue
        cut = _cut_class(sc, a, b) if classes else None
        if cut is None:
            node = unit([(a, b)], chunk, code[a:b], "def", _defined_name(chunk))
            tops.append((a, b, node))
            body = _def_body(sc, a, b) if classes else None
            if body is not None:
                # What a name reaches of a function: its decorators and signature (the
                # analyses read a called function's decorators, never its body).
                stub = _Node([(a, body)], "stub", node.name)
                stub.present = holds(masked[a:body], code[a:body])
                stub.names = frozenset(idents(code[a:body])) - _COMMON
                stub.follows.append(node)  # what a call of it returns
                stubs[id(node)] = stub
            continue
        header_end, members = cut
        level = [(a, header_end)]
        level_text = [masked[a:header_end]]
        level_code = [code[a:header_end]]
        header = _Node(level, "header", _defined_name(chunk))
        cls = _Class(header, _Node([], "data", header.name))
        for ma, mb in members:
            body = masked[ma:mb]
            if not _DEF.match(body, _INDENT.match(body).end()):
                level.append((ma, mb))  # a class-level statement: part of the header
                level_text.append(body)
                level_code.append(code[ma:mb])
                continue
            defined = _DEFINED.search(body)
            body = code[ma:mb]
            member = unit([(ma, mb)], masked[ma:mb], body, "member",
                          defined.group(1) if defined else None, cls)
            if "self" in body:
                member.attrs = frozenset(_SELF_ATTR.findall(body))
                member.stores = _stores(body)
            # After the def line's own `self` (its first parameter).
            after = defined.end() if defined else 0
            member.bare_self = _bare_self(body, after) or _NESTED_DEF.search(body, after) is not None \
                or _has_word(body, "lambda", after)
            cls.members.append(member)
            if member.stores:
                cls.storing.append(member)
            if _FITS.search(body):
                cls.fitting.append(member)
        header_text = "".join(level_text)
        header.present = holds(header_text, "".join(level_code))
        # The `class` line names the class without using it as a value.
        header.names = frozenset(idents("".join(level_code))) - _COMMON - {header.name}
        nodes.append(header)
        cut_classes.append(cls)
        tops.append((a, b, cls))

    # -- edges ----------------------------------------------------------------------------
    # Module-level statements (and defs that declare a name global, which bind at module
    # level too) that share a name form one flow a value can pass through (union-find);
    # imports are left out, or `np` would join them all. A def joins through the names it
    # declares global only: through all its names (`np`, a parameter `name`), one
    # `global` statement joined most of a module.
    flow_names: dict[int, Iterable[str]] = {}
    for n in nodes:
        if n.kind == "module":
            flow_names[id(n)] = n.names
        elif n.kind in ("def", "member") and masked.find("global", *n.spans[0]) >= 0:
            declared = {name.strip() for m in _GLOBAL.finditer(masked, *n.spans[0])
                        for name in m.group(1).split(",")}
            if declared:
                flow_names[id(n)] = declared & n.names
    flowing = [n for n in nodes if id(n) in flow_names]
    parent = {id(n): n for n in flowing}

    def find(n: _Node) -> _Node:
        while parent[id(n)] is not n:
            parent[id(n)] = parent[id(parent[id(n)])]
            n = parent[id(n)]
        return n

    first_mention: dict[str, _Node] = {}
    for n in flowing:
        for name in flow_names[id(n)]:
            other = first_mention.setdefault(name, n)
            if other is not n:
                ra, rb = find(other), find(n)
                if ra is not rb:
                    parent[id(rb)] = ra
    flows: dict[int, _Node] = {}
    for n in flowing:
        root = find(n)
        flow = flows.get(id(root))
        if flow is None:
            flow = flows[id(root)] = _Node([], "flow")
        flow.edges.append(n)
        flow.present |= n.present
        n.edges.append(flow)
    flow_of_name = {name: flows[id(find(n))] for name, n in first_mention.items()}

    binders: dict[str, list[_Node]] = {}  # name -> aliases, top-level defs, cut classes' data
    for alias in aliases:
        binders.setdefault(alias.name, []).append(alias)
    for n in nodes:
        if n.kind == "def" and n.name:
            binders.setdefault(n.name, []).append(stubs.get(id(n), n))
    for cls in cut_classes:
        if cls.header.name:
            binders.setdefault(cls.header.name, []).append(cls.data)
        # The class as a value (an instance, `self` analysed whole): its header and what
        # its instances hold.
        cls.data.edges.append(cls.header)
        cls.data.edges.extend(cls.storing)
        cls.data.edges.extend(cls.fitting)
        # `self.x` read in one method, assigned in another; or read where a decorated
        # method `x` defines it (a property's return value is what `self.x` holds; a
        # staticmethod or classmethod binds no instance). A plain method named `x` is
        # code: the analyses only need to know it is not one of those.
        storing: dict[str, list[_Node]] = {}
        for m in cls.storing:
            for attr in m.stores:
                storing.setdefault(attr, []).append(m)
        decorated: dict[str, list[_Node]] = {}
        for m in cls.members:
            if m.name and _DECORATED.match(text, m.spans[0][0]):
                decorated.setdefault(m.name, []).append(m)
        by_name: dict[str, list[_Node]] = {}
        for m in cls.members:
            if m.name:
                by_name.setdefault(m.name, []).append(m)
        for m in cls.members:
            # `self.read()`: what the method returns
            m.follows.extend(k for attr in m.attrs for k in by_name.get(attr, ()) if k is not m)
            m.edges.append(cls.header)
            for attr in m.attrs:
                m.edges.extend(storing.get(attr, ()))
                m.edges.extend(n for n in decorated.get(attr, ()) if n is not m)
            if m.attrs:
                m.edges.extend(cls.fitting)  # `self.model` is a fitted model if one is fit
            # `self` itself, or `self.<name>` that no method assigns (a bound method: the
            # instance goes with it) makes the analyses ask what the instance holds.
            if m.bare_self or any(attr not in storing for attr in m.attrs):
                m.edges.append(cls.data)
    for n in nodes + list(stubs.values()):
        for name in n.names:
            n.edges.extend(binders.get(name, ()))
            flow = flow_of_name.get(name)
            if flow is not None:
                n.edges.append(flow)
        if n.kind == "header":
            n.edges.extend(())  # a header reaches what its names reach, not its members

    # -- what each node reaches (a fixpoint over the strings' bit masks) -------------------
    everything = nodes + list(stubs.values()) + aliases + list(flows.values()) + [c.data for c in cut_classes]
    preds: dict[int, list[_Node]] = {}
    # Through what a call returns (`follows`) only the strings of `sources` reach.
    source_mask = sum(bit[t] for t in sources if t in bit)
    everything_mask = sum(bit.values())
    for n in everything:
        n.reach = n.present
        for m in n.edges:
            preds.setdefault(id(m), []).append((n, everything_mask))
        if source_mask:
            for m in n.follows:
                preds.setdefault(id(m), []).append((n, source_mask))
    todo = [n for n in everything if n.present]
    while todo:
        m = todo.pop()
        for n, mask in preds.get(id(m), ()):
            merged = n.reach | (m.reach & mask)
            if merged != n.reach:
                n.reach = merged
                todo.append(n)

    def near(n: _Node) -> int:
        """The strings a node holds or finds one step away."""
        found = n.present
        for m in n.edges:
            found |= m.present
            if m.kind in ("alias", "data"):
                for k in m.edges:
                    found |= k.present
        return found

    # "import ray" and "from ray" say what the module imports, which a rule may ask of the
    # whole module (`uses_ray`): they count for every unit, and the units holding them are
    # kept with any seed (top-level imports are kept anyway).
    # Top-level imports first: a def holding `from dask import x` in its body is kept for
    # that only when no import statement says as much.
    facts = sum(b for t, b in bit.items() if t.startswith(("import ", "from ")))
    holders = []
    known = 0
    for n in sorted(nodes, key=lambda n: n.kind != "import"):
        held = (n.present | imported.get(id(n), 0)) & facts
        if held & ~known:
            holders.append(n)
            known |= held
    if own:
        seeds = [n for n in nodes if n.spans and any(n.present & g == g for g in masks)]
    else:
        def shaped(n: _Node, i: int) -> bool:
            test = shape_of[i]
            if test is None or n.kind not in ("def", "member"):
                return True
            return test("".join(code[a:b] for a, b in n.spans))

        seeds = [n for n in nodes if n.spans and any((n.reach | known) & g == g and shaped(n, i)
                                                     for i, g in enumerate(masks)) and near(n)]
    if not seeds:
        return ""  # nothing can match: an empty module, checked in no time
    if own:
        kept = _one_step(seeds, cut_classes)
    else:
        kept = set()
        stack = seeds + holders
        while stack:
            n = stack.pop()
            if id(n) in kept:
                continue
            kept.add(id(n))
            stack.extend(m for m in n.edges if id(m) not in kept)
    # The imports no kept unit uses are left out of the first pass (they hold a seventh of
    # what it would parse), but for star and `__future__` imports, which bind no name a
    # unit can reach; the padded pass keeps them all (a fix adding an import looks at
    # them).
    imports: set[int] = set()
    for a, b, node in tops:
        if isinstance(node, _Node) and node.kind == "import":
            imports.add(id(node))
            if _STAR_OR_FUTURE.search(masked, a, b):
                kept.add(id(node))
    for a, b, node in tops:
        chunk = text[a:b]
        if chunk[:1] not in ("#", "\n", "\r", " ", "\t", "\f", ""):
            if _DOCSTRING.match(chunk) and isinstance(node, _Node):
                kept.add(id(node))  # the module docstring (fixes insert imports after it)
            break

    return sc, tops, kept, stubs, imports


def _one_step(seeds: list[_Node], cut_classes: list[_Class]) -> set[int]:
    """What the project index keeps of a module for a def or class (its seeds): the seeds
    whole (a class with the methods that store on `self` or fit), and what they name one
    step away: the imports,
    the module-level statements a value flows through (with the imports they use), the
    signatures of defs and the classes as the first pass keeps them (the header and the
    methods that store on `self` or fit). The index asks for a def whole, or a method,
    when a question follows it."""
    units = list(seeds)
    for cls in cut_classes:
        if cls.header in seeds:  # the class: what makes its instances' data
            units.extend(m for m in cls.storing + cls.fitting if m not in seeds)
    kept = {id(u) for u in units}

    def keep_imports(n: _Node) -> None:
        for m in n.edges:
            if m.kind == "alias":
                kept.update(id(k) for k in m.edges)

    for u in units:
        keep_imports(u)
        for m in u.edges:
            if m.kind == "flow":
                for k in m.edges:
                    kept.add(id(k))
                    keep_imports(k)
            elif m.kind == "data":
                # the class's header and the methods that make its instances' data
                kept.update(id(k) for k in m.edges)
            elif m.spans:
                kept.add(id(m))
    return kept


def _compact(text: str, sc: Scan, tops, kept: set[int], stubs: dict, imports: set[int]) -> str | None:
    out: list[str] = []
    piece = sc.without_empty_lines
    for a, b, node in tops:
        if isinstance(node, _Node):
            stub = stubs.get(id(node))
            if id(node) in kept:
                out.append(_line(piece(a, b)))
            elif stub is not None and id(stub) in kept:
                body = stub.spans[0][1]
                out.append(_line(piece(a, body)) + _body_indent(sc, body) + "...\n")
            continue
        members = [m for m in node.members if id(m) in kept]
        if id(node.header) not in kept and not members:
            continue
        header_span, *level = node.header.spans
        out.append(_line(piece(*header_span)))
        body = sorted(level + [m.spans[0] for m in members])
        if not body:
            out.append(_body_indent(sc, header_span[1]) + "pass\n")
        out.extend(_line(piece(x, y)) for x, y in body)
    reduced = "".join(out)
    if len(reduced) > MAX_KEPT_SHARE * len(text):
        return None
    return reduced


_NEWLINE = re.compile(r"\r\n?|\n")


def _padded(text: str, sc: Scan, tops, kept: set[int], stubs: dict, imports: set[int]) -> str:
    out: list[str] = []
    at = 0

    def keep(a: int, b: int) -> None:
        nonlocal at
        out.extend(_NEWLINE.findall(text, at, a))  # what is left out: its line breaks
        out.append(text[a:b])
        at = b

    def instead(a: int, line: str) -> None:
        # `line` in place of the line starting at `a` (a stub's body, a cut class's `pass`)
        nonlocal at
        out.extend(_NEWLINE.findall(text, at, a))
        end = _TO_EOL.match(text, a).end()
        out.append(line)
        at = end

    for a, b, node in tops:
        if isinstance(node, _Node):
            stub = stubs.get(id(node))
            if id(node) in kept or id(node) in imports:
                keep(a, b)
            elif stub is not None and id(stub) in kept:
                body = stub.spans[0][1]
                keep(a, body)
                instead(body, _body_indent(sc, body) + "...")
            continue
        members = [m for m in node.members if id(m) in kept]
        if id(node.header) not in kept and not members:
            continue
        header_span, *level = node.header.spans
        keep(*header_span)
        body = sorted(level + [m.spans[0] for m in members])
        if not body:
            instead(header_span[1], _body_indent(sc, header_span[1]) + "pass")
        for x, y in body:
            keep(x, y)
    out.extend(_NEWLINE.findall(text, at))
    return "".join(out)


_FROM_IMPORT = re.compile(r"from[ \t\\\r\n]+(\.*[\w.]*)[ \t\\\r\n]+import[ \t\\\r\n]+\(?([^()]*)\)?[ \t\r\n]*\Z")
_PLAIN = re.compile(r"import[ \t\\\r\n]+([^();]*?)[ \t\r\n]*\Z")
_ALIAS = re.compile(r"([\w.]+)(?:[ \t\\\r\n]+as[ \t\\\r\n]+(\w+))?\Z")


def _plain_import(chunk: str) -> list[tuple[str, str, str]] | None:
    """For a statement that is one plain import, each name it binds with the text of that
    binding alone and the name of what it imports (`from dask import delayed as dl` ->
    [("dl", "from dask import delayed as dl", "delayed")]; `import dask.array as da`
    imports "array", `import dask.array` binds and imports "dask"); None for anything
    else."""
    chunk = chunk.strip()
    m = _FROM_IMPORT.match(chunk)
    if m is not None:
        module, names = m.group(1), m.group(2)
        prefix = f"from {module} import "
    else:
        m = _PLAIN.match(chunk)
        if m is None:
            return None
        module, names = None, m.group(1)
        prefix = "import "
    out: list[tuple[str, str]] = []
    for part in names.split(","):
        part = part.strip(" \t\\\r\n")
        if not part:
            continue  # a trailing comma
        a = _ALIAS.match(part)
        if a is None:
            return None
        name, asname = a.group(1), a.group(2)
        if module is None and "." not in name and asname is None:
            bound = name
        elif module is None and asname is None:
            bound = name.split(".")[0]  # `import dask.array` binds `dask`
        else:
            bound = asname or name
        if "." in bound or bound == "*":
            if bound == "*":
                continue  # a star import binds names nothing here resolves
            return None
        imported = bound if module is None and asname is None else name.rsplit(".", 1)[-1]
        out.append((bound, prefix + name + (f" as {asname}" if asname else ""), imported))
    return out


def _bindings(sc: Scan, a: int, b: int) -> tuple[list[tuple[str, str, str]], list[tuple[int, int]]]:
    """For a top-level statement holding imports: each name its import lines bind, with
    the text of that import alone and the name it imports, and the spans of its other
    lines."""
    lines = sc.lines
    i = bisect.bisect_left(lines, (a, -1))
    j = bisect.bisect_left(lines, (b, -1))
    found: list[tuple[str, str, str]] = []
    rest: list[tuple[int, int]] = []
    for k in range(i, j):
        start = lines[k][1]
        end = lines[k + 1][0] if k + 1 < j else b
        statement = sc.masked[start:end]
        aliases = _plain_import(statement) if _IMPORT.match(statement) else None
        if aliases is None:
            rest.append((start, end))
        else:
            found.extend(aliases)
    return found, rest


def _stores(body: str) -> frozenset[str]:
    """The attributes of `self` a method's code assigns."""
    found = [m.group(0) for m in _SELF_STORE.finditer(body)]
    if ":" in body:
        found.extend(m.group(0) for m in _SELF_ANNOTATED.finditer(body))
    found.extend(m.group(0) for m in _SELF_IN_TARGETS.finditer(body))
    return frozenset(attr for text in found for attr in _SELF_ATTR.findall(text))


def _bare_self(body: str, after: int) -> bool:
    """Whether a method's code uses `self` itself (not an attribute of it) after its
    first parameter: passed, returned, captured."""
    first = body.find("self", after)
    if first < 0:
        return False
    for m in _BARE_SELF.finditer(body, first + 4):
        if not _is_word_char(body, m.start() - 1):
            return True
    return False


def _word(name: str) -> re.Pattern:
    """`name` not inside a longer name: `blockwise(` is not in `core_blockwise(`, `delayed`
    not in `to_delayed` or `Delayed`."""
    before = r"(?<!\w)" if name[:1].isidentifier() else ""
    after = r"(?!\w)" if (name[-1:].isalnum() or name.endswith("_")) else ""
    return re.compile(before + re.escape(name) + after)


def _has_word(text: str, word: str, start: int) -> bool:
    at = text.find(word, start)
    while at >= 0:
        if not _is_word_char(text, at - 1) and not _is_word_char(text, at + len(word)):
            return True
        at = text.find(word, at + 1)
    return False


def _is_word_char(text: str, i: int) -> bool:
    return 0 <= i < len(text) and (text[i].isalnum() or text[i] in "_.")


def _line(chunk: str) -> str:
    # A last line without a newline must not run into the next chunk.
    return chunk if chunk.endswith(("\n", "\r")) else chunk + "\n"


def _defined_name(chunk: str) -> str | None:
    """The name a def or class statement (decorators included) defines."""
    m = _DEFINED.search(chunk)
    return m.group(1) if m else None


def _def_body(sc: Scan, a: int, b: int) -> int | None:
    """Where the indented body of the top-level def spanning [a, b) starts, or None (a
    one-line def, or not a def)."""
    lines = sc.lines
    i = bisect.bisect_left(lines, (a, -1))
    j = bisect.bisect_left(lines, (b, -1))
    for k in range(i, j):
        line, code = lines[k]
        if code != line:
            return line if k > i and sc.text.startswith(("def", "async"), lines[k - 1][1]) else None
    return None


def _body_indent(sc: Scan, header_end: int) -> str:
    for line, code in sc.lines:
        if line >= header_end:
            return sc.text[line:code]
    return "    "  # pragma: no cover - a cut class has members after its header


def _cut_class(sc: Scan, a: int, b: int) -> tuple[int, list[tuple[int, int]]] | None:
    """For a class statement spanning [a, b): where its header ends and the spans of its
    members (the statements of its body), or None when it is not a class with an
    indented body of consistent indentation."""
    text = sc.text
    lines = sc.lines
    i = bisect.bisect_left(lines, (a, -1))
    # Decorators first, then the class line.
    while i < len(lines) and lines[i][0] < b and text.startswith("@", lines[i][1]):
        i += 1
    if i >= len(lines) or lines[i][0] >= b or lines[i][0] != lines[i][1] \
            or not _CLASS_LINE.match(text, lines[i][1]):
        return None
    i += 1
    body = lines[i:bisect.bisect_left(lines, (b, -1))]
    if not body:
        return None
    indent = text[body[0][0]:body[0][1]]
    if not indent:
        return None
    starts: list[int] = []
    previous_decorator = False
    for line, code in body:
        own = text[line:code]
        if own == indent:
            if not previous_decorator and not _CONTINUES.match(text, code):
                starts.append(line)
            previous_decorator = text.startswith("@", code)
        elif not own.startswith(indent):
            return None  # dedented inside the class: not a layout we cut
    if len(starts) < 2:
        return None
    members = list(zip(starts, starts[1:] + [b]))
    return starts[0], members
