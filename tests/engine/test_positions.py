"""Positions of reported nodes, computed for the statement or class member that holds them,
are libcst's own: checked node by node against the whole module's PositionProvider."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from memlint.analysis.builder import build
from memlint.engine.fixes import LineIndex
from memlint.engine.positions import Positions

CLASS = '''
import numpy as np


class Reader:
    """A reader."""

    size = 3

    def __init__(self, path):
        self.path = path

    # the data
    @property
    def data(self):
        return np.memmap(self.path, mode="r")

    def rows(self, n):
        if n:
            return self.data.reshape(n, -1)
        return None


def after():
    return Reader("x").rows(2)
'''

TWICE = '''
class A:
    def f(self):
        return 1


class B:
    def f(self):
        return 1
'''

TABS = "class T:\n\tdef f(self):\n\t\treturn [\n\t\t\t1,\n\t\t]\n\n\tdef g(self):\n\t\treturn 2\n"


def _nodes(module: cst.Module) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            found.append(node)
            return True

    module.visit(Collect())
    return found


@pytest.mark.parametrize("source", [textwrap.dedent(CLASS).lstrip(), TWICE.lstrip(), TABS],
                         ids=["class", "the-same-member-twice", "tabs"])
def test_every_node_has_libcst_positions(source: str) -> None:
    module = cst.parse_module(source)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    model, _ = build(module, frozenset())
    nodes = [n for n in _nodes(module) if n in model.parent and not isinstance(n, cst.Module)]
    assert nodes
    # Asked from the last node first: members are placed on their own, not after others.
    for node in reversed(nodes):
        positions = Positions(module, source, model.parent, LineIndex(source).starts)
        start, end = positions(node)
        rng = expected[node]
        assert (start.row, start.column, end.row, end.column) == (
            rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1), node


def test_a_member_is_generated_alone() -> None:
    source = textwrap.dedent(CLASS).lstrip()
    module = cst.parse_module(source)
    model, _ = build(module, frozenset())
    reshape = next(n for n in _nodes(module) if isinstance(n, cst.Attribute) and n.attr.value == "reshape")
    positions = Positions(module, source, model.parent, LineIndex(source).starts)
    start, _ = positions(reshape)
    assert (start.row, source.splitlines()[start.row - 1].strip().startswith("return self.data.reshape")) == (19, True)
    assert positions.members and not positions.whole
