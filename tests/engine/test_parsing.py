"""Parsing in pieces gives the module a whole parse gives, and leaves libcst as it was."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

import memlint.engine.parsing as parsing
from memlint.engine.parsing import parse_module

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_pieces(monkeypatch):
    monkeypatch.setattr(parsing, "PIECE_CHARS", 300)


def sources() -> list[Path]:
    return sorted((REPO / "memlint").rglob("*.py")) + sorted((REPO / "tests").rglob("test_*.py"))[:10]


def test_pieces_join_into_the_module_a_whole_parse_gives(small_pieces):
    for path in sources():
        text = path.read_text(encoding="utf-8")
        joined = parse_module(text)
        assert joined.code == text, path
        assert joined.deep_equals(cst.parse_module(text)), path


@pytest.mark.parametrize(
    "text",
    [
        # comments and blank lines between statements, at the top and at the end
        "# header\n\n" + "".join(f"# about f{i}\n\ndef f{i}(x):\n    return x  # done\n\n\n" for i in range(40))
        + "# the end\n",
        # no final newline
        "".join(f"x{i} = [\n    {i},\n]\n" for i in range(60)) + "y = 1",
        # CRLF throughout
        "".join(f"def g{i}():\r\n    return {i}\r\n\r\n" for i in range(60)),
        # decorated defs and classes, with comments between the decorators
        "".join(f"@deco\n# why\n@other({i})\nclass K{i}:\n    '''doc'''\n    a = {i}\n\n" for i in range(40)),
    ],
)
def test_joined_text_is_exact(small_pieces, text):
    joined = parse_module(text)
    assert joined.code == text
    assert joined.deep_equals(cst.parse_module(text))


def test_pieces_that_disagree_on_indentation_are_parsed_whole(small_pieces):
    spaces = "".join(f"def f{i}():\n    return {i}\n\n" for i in range(20))
    tabs = "".join(f"def t{i}():\n\treturn {i}\n\n" for i in range(20))
    text = spaces + tabs
    module = parse_module(text)
    assert module.code == text
    assert module.default_indent == cst.parse_module(text).default_indent


def test_a_syntax_error_is_libcsts_own(small_pieces):
    text = "".join(f"x{i} = {i}\n" for i in range(200)) + "def broken(:\n    pass\n"
    with pytest.raises(cst.ParserSyntaxError) as got:
        parse_module(text)
    with pytest.raises(cst.ParserSyntaxError) as whole:
        cst.parse_module(text)
    assert (got.value.raw_line, got.value.raw_column) == (whole.value.raw_line, whole.value.raw_column)


def test_node_validation_is_back_after_parsing_even_after_an_error():
    from libcst._nodes.base import CSTNode

    before = CSTNode.__dict__["__post_init__"]
    parse_module("x = 1\n")
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def (:\n")
    assert CSTNode.__dict__["__post_init__"] is before
    with pytest.raises(cst.CSTValidationError):
        cst.SimpleWhitespace("not whitespace")
