"""The engine's own tree walk visits what libcst's visitor visits, in the same order."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from memlint.analysis.builder import build, trivia_types, walk

REPO = Path(__file__).resolve().parents[2]

TRICKY = textwrap.dedent(
    '''
    """Docstring."""
    from __future__ import annotations
    import os, sys as system
    from a.b import (c as d, e,)
    from . import rel
    try:
        import numpy as np
    except ImportError:  # comment
        np = None
    else:
        pass
    finally:
        pass

    @decorator(1, x=2)
    @other
    class K(Base, metaclass=Meta):
        attr: int = 3
        def method(self, a, /, b=1, *args, c, d=2, **kw) -> "K":
            global G
            nonlocal_ = lambda x, *y, z=1: (x, y, z)
            self.v = [i * 2 for i in range(10) if i % 2 for j in range(i)]
            return {k: v for k, v in kw.items()}, {s for s in args}, (g for g in b)

    async def coro(x):
        async with x as (a, b), y:
            async for i in x:
                await i
        return x if x else -x

    def matcher(v):
        match v:
            case [1, 2, *rest]:
                return rest
            case {"k": value, **others}:
                return value
            case Point(x=0, y=yy) | Other():
                return yy
            case str() as s if s:
                return s
            case _:
                return None

    x = y = f"{a!r:>{width}} {b=}" "concat" 'more'
    z: dict[str, int] = {}
    z["k"] += 1
    del z["k"], x
    while (n := len(z)) > 0 and not n:
        break
    else:
        continue_ = ...
    print(*args, **kwargs, sep="")
    w = a[1:2, ::3, ...] @ b ** -c // d << e if f in g or h is not i else j
    '''
)


def libcst_order(module: cst.Module) -> list[cst.CSTNode]:
    trivia = trivia_types()
    seen: list[cst.CSTNode] = []

    class Recorder(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if not isinstance(node, trivia):
                seen.append(node)
            return True

    module.visit(Recorder())
    return seen


def walk_order(module: cst.Module, keep: frozenset[str] = frozenset()) -> list[cst.CSTNode]:
    seen: list[cst.CSTNode] = []
    walk(module, seen.append, lambda node: None, keep=keep)
    return seen


def own_sources() -> list[Path]:
    return sorted((REPO / "memlint").rglob("*.py"))


@pytest.mark.parametrize("source", [TRICKY], ids=["tricky"])
def test_same_nodes_same_order_as_libcst(source):
    module = cst.parse_module(source)
    assert [id(n) for n in walk_order(module)] == [id(n) for n in libcst_order(module)]


def test_same_order_on_memlints_own_source():
    for path in own_sources():
        module = cst.parse_module(path.read_bytes())
        assert [id(n) for n in walk_order(module)] == [id(n) for n in libcst_order(module)], path


def test_leave_follows_every_child():
    module = cst.parse_module("def f(a):\n    return g(a.b)\n")
    events: list[tuple[str, str]] = []
    walk(module, lambda n: events.append(("in", type(n).__name__)),
         lambda n: events.append(("out", type(n).__name__)))
    depth = 0
    for kind, _ in events:
        depth += 1 if kind == "in" else -1
        assert depth >= 0
    assert depth == 0
    assert events[0] == ("in", "Module") and events[-1] == ("out", "Module")


def test_hooked_trivia_types_are_visited():
    module = cst.parse_module("x = 1  # a comment\n")
    assert not any(isinstance(n, cst.Comment) for n in walk_order(module))
    comments = [n for n in walk_order(module, frozenset({"Comment"})) if isinstance(n, cst.Comment)]
    assert [c.value for c in comments] == ["# a comment"]


def test_deep_nesting_does_not_hit_the_recursion_limit():
    import sys

    source = "x = " + "f(" * 150 + "1" + ")" * 150 + "\n"
    module = cst.parse_module(source)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)  # far below the tree's depth of 300 calls and arguments
    try:
        model, calls = build(module, frozenset({"Call"}))
    finally:
        sys.setrecursionlimit(limit)
    assert len(calls) == 150


def test_build_collects_hooked_nodes_in_source_order():
    module = cst.parse_module("a(b(1))\nc()\n")
    _, collected = build(module, frozenset({"Call"}))
    assert [cst.Module([]).code_for_node(n.func) for n in collected] == ["a", "b", "c"]


def _model_facts(model, collected):
    def ids(mapping):
        return {id(k): (id(v) if hasattr(v, "__dataclass_fields__") or hasattr(v, "children") else v)
                for k, v in mapping.items()}

    scopes = {id(k): (v.kind, id(v.node)) for k, v in model.scope_of_node.items()}
    bindings = []
    seen = set()
    for scope in [model.module_scope, *model.scope_of_node.values()]:
        if id(scope) in seen:
            continue
        seen.add(id(scope))
        for name, found in scope.bindings.items():
            bindings.extend((id(scope.node), name, b.kind, id(b.node), b.index) for b in found)
    attributes = sorted(
        (id(cls), attr, b.kind, id(b.node), b.index)
        for (cls, attr), found in model.attribute_bindings.items() for b in found
    )
    return (
        {id(k): id(v) for k, v in model.parent.items()},
        {id(k): v for k, v in model.index.items()},
        scopes,
        sorted(bindings),
        attributes,
        {k: [id(n) for n in v] for k, v in model.names.items()},
        [id(n) for n in model.references],
        model.reference_index,
        sorted(model.imported_modules),
        [id(n) for n in collected],
    )


@pytest.mark.parametrize("hooked", [frozenset({"Call", "Assign", "FunctionDef"}), frozenset({"Comment", "Name"})])
def test_build_equals_the_generic_walk(hooked):
    from memlint.analysis.builder import build_by_walk

    sources = [TRICKY] + [p.read_text(encoding="utf-8") for p in own_sources()[:40]]
    for source in sources:
        module = cst.parse_module(source)
        assert _model_facts(*build(module, hooked)) == _model_facts(*build_by_walk(module, hooked))


def test_references_within_a_node_are_its_variable_names_in_order():
    module = cst.parse_module(
        "def f(a, b=1):\n"
        "    import os as o\n"
        "    g = lambda x: x + table.size + o.sep\n"
        "    return g(key=a)\n"
    )
    model, _ = build(module)
    func = module.body[0]
    lam = func.body.body[1].body[0].value
    assert [n.value for n in model.references_within(lam.body)] == ["x", "table", "o"]
    assert [n.value for n in model.references_within(func.body)] == ["g", "x", "table", "o", "g", "a"]
