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

from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

# Pieces of about this many characters: small enough to stay off the slow end, large
# enough that the per-call cost does not show.
PIECE_CHARS = 12_000


def parse_module(text: str, starts: list[int] | None = None) -> "cst.Module":
    """The libcst Module of `text`, parsed in pieces cut at `starts` (the top-level
    statement offsets of memlint.engine.partial.statement_starts, computed when not
    given)."""
    import libcst as cst

    with _unvalidated():
        if len(text) <= 2 * PIECE_CHARS:
            return cst.parse_module(text)
        if starts is None:
            from memlint.engine.partial import statement_starts

            starts = statement_starts(text)
        joined = _joined(text, starts) if starts else None
        return joined if joined is not None else cst.parse_module(text)


@contextmanager
def _unvalidated():
    """libcst validates every node it builds (CSTNode.__post_init__ calls `_validate`), a
    seventh of the parse here, although a tree its parser builds from source is valid by
    construction (libcst's own comment there: validating in the visitor instead "would
    allow us to avoid validating the tree when parsing a file"). The check is left out
    while memlint's own parses run, and only while __post_init__ is still exactly that one
    call; any other version of libcst parses as it always does."""
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
