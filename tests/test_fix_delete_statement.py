"""DeleteStatement: removing a statement's whole lines, or only its text when it shares
its line."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from memlint.diagnostics import Location
from memlint.engine.fixes import LineIndex, apply_fixes, build_fix
from memlint.engine.rule import DeleteStatement, FixSpec


def delete(text: str, pick) -> str:
    module = cst.parse_module(text)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)

    def position(node):
        r = positions[node]
        return Location(r.start.line, r.start.column + 1), Location(r.end.line, r.end.column + 1)

    stmt = pick(module)
    fix = build_fix(FixSpec("unsafe", "delete", [DeleteStatement(stmt)]),
                    index=LineIndex(text), position=position, module=module)
    out, applied = apply_fixes(text, [fix])
    assert applied == 1
    return out


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a = 1\nb = 2\nc = 3\n", "a = 1\nc = 3\n"),
        ("a = 1\nb = 2  # why\nc = 3\n", "a = 1\nc = 3\n"),
        ("a = 1\r\nb = 2\r\nc = 3\r\n", "a = 1\r\nc = 3\r\n"),
        ("a = 1\nb = 2", "a = 1"),  # last line, no final newline
    ],
)
def test_whole_line_removed(text, expected):
    assert delete(text, lambda m: m.body[1]) == expected


def test_indented_statement_removed_with_its_indentation():
    text = "def f():\n    x = []\n    return 1\n"
    out = delete(text, lambda m: m.body[0].body.body[0])
    assert out == "def f():\n    return 1\n"


def test_statement_sharing_a_line_loses_only_its_text():
    text = "a = 1; b = 2\n"
    out = delete(text, lambda m: m.body[0].body[1])
    assert out == "a = 1; \n"
