"""Parse a module in pieces of a few top-level statements and join them into one Module.

libcst's parser slows down as a module grows: a 187 KB test module parsed at 190 KB/s
whole and at 330 KB/s a few statements at a time (the same nodes, built the same way).
The pieces are cut where the lexical scan of memlint.engine.partial finds top-level
statements; the comment and blank lines a piece ends with (its footer) become the leading
lines of the next piece's first statement, so the joined module generates exactly the
text it was parsed from. When the pieces disagree on the module's default indentation or
newline (which nodes without their own fall back on), or a piece does not parse, the
whole text is parsed at once, so errors and their positions are libcst's own.
"""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

# Pieces of about this many characters: small enough to stay off the slow end, large
# enough that the per-call cost does not show.
PIECE_CHARS = 12_000


# Python's own parser and compiler recurse in C as deep as the recursion limit lets them:
# memlint raises the limit for libcst (memlint.engine.checker), so they run under the
# interpreter's default one again, or a long chain of calls overflows the C stack.
PYTHON_RECURSION_LIMIT = 1_000


@contextmanager
def python_recursion():
    """Run Python's parser or compiler under its default recursion limit (a little above
    the current depth, which a lower limit would not allow)."""
    before = sys.getrecursionlimit()
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    limit = max(PYTHON_RECURSION_LIMIT, depth + 100)
    if limit < before:
        sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        if limit < before:
            sys.setrecursionlimit(before)


def python_compile(text: str, ast_only: bool = False, top_level_await: bool = False):
    """`text` compiled as CPython compiles it (to bytecode, stricter than the AST, or only
    to the AST, which is returned), without its warnings (`x is 1`: not ours to say) and
    under Python's own recursion limit; raises what `compile` raises. `top_level_await`:
    `await` outside functions allowed, as IPython compiles a notebook's cells."""
    import ast
    import warnings

    flags = (ast.PyCF_ONLY_AST if ast_only else 0) | (ast.PyCF_ALLOW_TOP_LEVEL_AWAIT if top_level_await else 0)
    with warnings.catch_warnings(), python_recursion():
        warnings.simplefilter("ignore")
        # Never under the file's own name: CPython would read the error's line from that
        # file (a notebook's JSON, or an older version of it) and count the column on it.
        return compile(text, "<memlint>", "exec", flags=flags, dont_inherit=True)


class TooComplex(ValueError):
    """Source that libcst's parser would crash on (deep nesting) or take minutes over (long
    chains of operators), and that is not parsed; `row` is where."""

    def __init__(self, message: str, row: int = 1) -> None:
        super().__init__(message)
        self.row = row


def parse_module(text: str, starts: list[int] | None = None) -> "cst.Module":
    """The libcst Module of `text`, parsed in pieces cut at `starts` (the top-level
    statement offsets of memlint.engine.partial.statement_starts, computed when not
    given). Raises TooComplex for what `too_complex` refuses."""
    import libcst as cst

    problem = too_complex(text)
    if problem is not None:
        raise TooComplex(*problem)
    with _unvalidated():
        if len(text) <= 2 * PIECE_CHARS:
            return cst.parse_module(text)
        if starts is None:
            from memlint.engine.partial import statement_starts

            starts = statement_starts(text)
        joined = _joined(text, starts) if starts else None
        return joined if joined is not None else cst.parse_module(text)


# Python's own limit on nested brackets (its tokenizer's MAXLEVEL): deeper files do not
# compile, and a few thousand levels crash libcst's native parser (signal 11).
MAX_NESTING = 200
# libcst builds a chain of operators (`a + b + ...`, `x.a.b...`, `f()()...`, ternaries,
# lambdas, unary operators) as nested nodes, in time that grows with the square of its
# length: 1,000 links take 0.1 to 0.3 s, 5,000 take seconds to minutes. A file may spend
# CHAIN_BUDGET: the sum over its chains of (length / CHAIN_LINKS) squared (a few seconds at most).
CHAIN_LINKS = 1_000
CHAIN_BUDGET = 4.0
# A chain that long needs at least this many characters on one logical line.
_CHAIN_MIN_CHARS = 1_000
_CHAIN_TOKEN = re.compile(
    r"[,;()\[\]{}]|\*\*|//|<<|>>|[-+*/%@&|^~]|(?<![\w.])\.(?!\d)|(?<=\w)\.(?!\d)"
    r"|\b(?:if|else|lambda|not)\b"
)
# Without a scan (text that ends inside a string or a bracket): runs of opening brackets.
# (No bracket inside a run: the regex then never backtracks more than a run's length.)
_OPENERS = re.compile(r"(?:[(\[{][^()\[\]{}]{0,80}){%d}" % (MAX_NESTING + 1))


# A line holding only a line continuation: libcst's parser drops it with its line break,
# so every position after it would be a row off.
_LONE_BACKSLASH = re.compile(r"^([ \t\f]*)\\(?=\r\n|\r|\n)", re.M)


def as_parsed(text: str) -> str:
    """`text` as memlint's parser is given it: the same characters at the same rows and
    columns, but for each line holding only `\\`, whose backslash becomes a space (the
    same program, which libcst gives back exactly). Raises TooComplex when that would
    change the program (the next line's indentation then means something else)."""
    if "\\\n" not in text and "\\\r" not in text or not _LONE_BACKSLASH.search(text):
        return text
    import ast

    spaced = _LONE_BACKSLASH.sub(lambda m: m.group(1) + " ", text)
    try:
        same = ast.dump(python_compile(text, ast_only=True)) == ast.dump(python_compile(spaced, ast_only=True))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text  # Python rejects it either way: the parse will say so
    if not same:
        m = _LONE_BACKSLASH.search(text)
        row = text.count("\n", 0, m.start()) + 1
        raise TooComplex(f"the line continuation alone on line {row} changes the meaning of the "
                         "next line, which memlint's parser cannot follow", row)
    return spaced


def too_complex(text: str) -> tuple[str, int] | None:
    """Why libcst must not parse `text` and the row where (None: it may). Cheap: the lexical
    scan the first pass makes anyway, and a look at the long logical lines only."""
    if len(text) < 2 * MAX_NESTING:
        return None
    from memlint.engine.partial import scan

    found = scan(text)
    if found is None:
        # It ends inside a string or a bracket. A small file gets libcst's own error; over a
        # large one libcst can take minutes (a long chain after an unclosed bracket), so
        # Python's parser, which says at once what is wrong, answers for it.
        rejected = _python_rejects(text) if len(text) > _LARGE_INVALID else None
        if rejected is not None:
            return rejected
        m = _OPENERS.search(text)
        if m is None:
            return None
        return f"too many nested parentheses (over {MAX_NESTING})", text.count("\n", 0, m.start()) + 1
    if found.deepest > MAX_NESTING:
        return f"too many nested parentheses ({found.deepest} levels; Python allows {MAX_NESTING})", 1
    starts = [code for _, code in found.lines] + [len(text)]
    budget = 0.0
    for a, b in zip(starts, starts[1:]):
        if b - a >= _CHAIN_MIN_CHARS:
            budget += _chain_cost(found.code, a, b)
            if budget > CHAIN_BUDGET:
                row = text.count("\n", 0, a) + 1
                return (f"the statement at line {row} chains too many operators for memlint's "
                        "parser (more than it parses in a few seconds)", row)
    return None


_LARGE_INVALID = 50_000


def _python_rejects(text: str) -> tuple[str, int] | None:
    try:
        python_compile(text, ast_only=True)
    except SyntaxError as exc:
        return f"Python rejects it: {exc.msg}", exc.lineno or 1
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"Python rejects it: {exc}", 1
    return None


# What a link costs libcst against one of a chain of `+`, measured (the square root of the
# time ratio at 1,000 links): a subscript 2.5, a call 1.5, an attribute 1.2, a ternary's
# `if` and `else` one each.
_LINK_WEIGHT = {"[": 2.5, "(": 1.5, ".": 1.2}


def _chain_cost(code: str, a: int, b: int) -> float:
    """The sum of (links / CHAIN_LINKS) squared over the chains of code[a:b]: runs of
    operators between commas, semicolons and brackets of one nesting level."""
    cost = 0.0
    counts: list[float] = [0]
    for m in _CHAIN_TOKEN.finditer(code, a, b):
        token = m.group()
        if token in "([{":
            if token != "{" and m.start() > a and code[m.start() - 1] in ")]":
                counts[-1] += _LINK_WEIGHT[token]  # `f()()`, `a[0][0]`: one more link
            counts.append(0)
        elif token in ")]}" or token in ",;":
            n = counts.pop() if token in ")]}" and len(counts) > 1 else counts[-1]
            if n > CHAIN_LINKS // 10:
                cost += (n / CHAIN_LINKS) ** 2
            if token in ",;":
                counts[-1] = 0
        else:
            counts[-1] += _LINK_WEIGHT.get(token, 1.0)
    return cost + sum((n / CHAIN_LINKS) ** 2 for n in counts if n > CHAIN_LINKS // 10)


@contextmanager
def _unvalidated():
    """libcst validates every node it builds (CSTNode.__post_init__ calls `_validate`), a
    seventh of the parse here, although a tree its parser builds from source is valid by
    construction (libcst's own comment there: validating in the visitor instead "would
    allow us to avoid validating the tree when parsing a file"). The check is left out
    while memlint's own parses run, and only while __post_init__ is still exactly that one
    call; any other version of libcst parses as it always does."""
    import libcst

    # Through the package first: importing a submodule while libcst is still the lazy
    # stand-in (memlint.engine.lazy) would leave `libcst._nodes` without its submodules
    # as attributes, which other users of libcst read (`libcst._nodes.whitespace`).
    libcst.CSTNode  # noqa: B018
    try:
        from libcst._nodes.base import CSTNode
    except ImportError:  # pragma: no cover - another layout of libcst
        yield
        return
    original = CSTNode.__dict__.get("__post_init__")
    code = getattr(original, "__code__", None)
    if code is None or code.co_names != ("_validate",):
        yield
        return
    CSTNode.__post_init__ = _no_check
    try:
        yield
    finally:
        CSTNode.__post_init__ = original


def _no_check(self) -> None:
    return None


def _joined(text: str, starts: list[int]) -> "cst.Module | None":
    import libcst as cst

    cuts = [0]
    for s in starts:
        if s - cuts[-1] >= PIECE_CHARS:
            cuts.append(s)
    cuts.append(len(text))
    modules = []
    for a, b in zip(cuts, cuts[1:]):
        try:
            modules.append(cst.parse_module(text[a:b]))
        except Exception:  # noqa: BLE001 - the whole parse decides what to say
            return None
    first = modules[0]
    indents = {m.default_indent for m in modules if _has_blocks(m)}
    newlines = {m.default_newline for m in modules if len(m.body) or m.header or m.footer}
    if len(indents) > 1 or len(newlines) > 1:
        return None
    body: list = []
    pending: list = []
    for i, module in enumerate(modules):
        if i:
            pending.extend(module.header)
        for stmt in module.body:
            if pending:
                if not hasattr(stmt, "leading_lines"):  # pragma: no cover - every statement has them
                    return None
                stmt = stmt.with_changes(leading_lines=[*pending, *stmt.leading_lines])
                pending = []
            body.append(stmt)
        pending.extend(module.footer)
    return cst.Module(
        body=body,
        header=first.header,
        footer=pending,
        encoding=first.encoding,
        default_indent=indents.pop() if indents else first.default_indent,
        default_newline=newlines.pop() if newlines else first.default_newline,
        has_trailing_newline=modules[-1].has_trailing_newline,
    )


def _has_blocks(module: "cst.Module") -> bool:
    import libcst as cst

    return any(isinstance(stmt, cst.BaseCompoundStatement) for stmt in module.body)
