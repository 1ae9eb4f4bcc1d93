"""A name of an enclosing scope used inside a comprehension is read where the comprehension
stands (SemanticModel.reaching)."""

from __future__ import annotations

import textwrap

import libcst as cst

from memlint.analysis.builder import build


def reaching_values(source: str, name: str) -> list[list[str]]:
    """For each use of `name` inside a comprehension, the code of the values reaching it."""
    module = cst.parse_module(textwrap.dedent(source).lstrip("\n"))
    model, _ = build(module)
    out = []
    for node in model.names.get(name, []):
        if model.scope(node).kind != "comprehension":
            continue
        _, bindings = model.lookup(node.value, node)
        out.append([module.code_for_node(b.value) for b in model.reaching(bindings, node)])
    return out


def test_binding_in_the_same_try_body_reaches_alone():
    source = """
    def f():
        data = 1
        try:
            data = 2
            out = [data for _ in range(3)]
        finally:
            pass
    """
    assert reaching_values(source, "data") == [["2"]]


def test_later_rebinding_does_not_reach():
    source = """
    def f():
        data = 1
        out = [data for _ in range(3)]
        data = 2
    """
    assert reaching_values(source, "data") == [["1"]]


def test_nested_comprehensions_and_branches():
    source = """
    def f(c):
        if c:
            data = 1
        else:
            data = 2
        out = [[data for _ in range(2)] for _ in range(3)]
    """
    assert reaching_values(source, "data") == [["2", "1"]]


def test_comprehension_targets_still_resolve_inside():
    source = """
    def f(rows):
        row = None
        out = [row for row in rows]
    """
    module = cst.parse_module(textwrap.dedent(source).lstrip("\n"))
    model, _ = build(module)
    uses = [n for n in model.names["row"] if model.scope(n).kind == "comprehension"]
    _, bindings = model.lookup(uses[0].value, uses[0])
    assert [b.kind for b in model.reaching(bindings, uses[0])] == ["for"]
