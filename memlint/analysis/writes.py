"""Which parameters a function writes into: the object it was given changes (an item or a
slice assigned, an in-place operator on an item, a mutating method, `out=`, numpy's
in-place helpers), as opposed to the name being bound to something else.

`parameter_writes(func, model)` lists them for a def (its own body: nested defs, lambdas
and classes are other functions). A write counts where the parameter's binding reaches
the written name: after `buf = buf.copy()` the copy is written, not the argument. A
parameter the def also returns is left out: the caller gets the written object back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover
    from memlint.analysis.model import Binding, SemanticModel

# Methods that change the object they are called on (numpy arrays, lists, dicts, sets).
MUTATING_METHODS = frozenset({
    "sort", "fill", "resize", "put", "itemset", "partition", "setfield",
    "append", "extend", "insert", "update", "add", "pop", "remove", "clear", "setdefault",
    "popitem", "discard",
})
# Functions that write into their first argument.
WRITING_FUNCTIONS = frozenset({
    "numpy.random.shuffle", "numpy.copyto", "numpy.put", "numpy.place", "numpy.putmask",
    "numpy.fill_diagonal", "numpy.put_along_axis", "random.shuffle",
})


@dataclass(frozen=True)
class Write:
    parameter: str
    node: cst.CSTNode  # the statement or call that writes
    certain: bool  # the parameter's binding is the only one reaching the write


def parameter_writes(func: cst.FunctionDef, model: "SemanticModel") -> list[Write]:
    params = {b.node: b for b in _param_bindings(func, model)}
    if not params:
        return []
    returned = _returned_parameters(func, model, params)
    out: list[Write] = []
    for node, name in _written_names(func.body, model):
        _, bindings = model.lookup(name.value, name)
        reaching = model.reaching(bindings, name) if bindings else []
        hit = next((b for b in reaching if b.kind == "param" and b.node in params), None)
        if hit is None or hit.name in returned:
            continue
        out.append(Write(hit.name, node, len(reaching) == 1))
    return out


def _param_bindings(func: cst.FunctionDef, model: "SemanticModel") -> list["Binding"]:
    scope = model.scope(func.body)
    return [b for found in scope.bindings.values() for b in found if b.kind == "param" and b.stmt is func]


def _returned_parameters(func: cst.FunctionDef, model: "SemanticModel", params: dict) -> set[str]:
    """The parameters a `return` hands back (alone, or in a tuple or list)."""
    names: set[str] = set()
    for value in model.returns.get(func, ()):
        items = [e.value for e in value.elements] if isinstance(value, (cst.Tuple, cst.List)) else [value]
        for item in items:
            if isinstance(item, cst.Name):
                _, bindings = model.lookup(item.value, item)
                for b in model.reaching(bindings, item) if bindings else ():
                    if b.kind == "param" and b.node in params:
                        names.add(b.name)
    return names


def _written_names(body: cst.CSTNode, model: "SemanticModel") -> Iterator[tuple[cst.CSTNode, cst.Name]]:
    """(the writing node, the name of the object written) for each write in `body`."""
    for node in _own_nodes(body):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                base = _subscript_base(target.target)
                if base is not None:
                    yield node, base
        elif isinstance(node, cst.AugAssign):
            base = _subscript_base(node.target)
            if base is not None:
                yield node, base
        elif isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in MUTATING_METHODS:
                base = _plain_base(func.value)
                if base is not None:
                    yield node, base
            elif model.qualified_name(func) in WRITING_FUNCTIONS and node.args:
                first = node.args[0]
                if first.keyword is None and not first.star and isinstance(first.value, cst.Name):
                    yield node, first.value
            for a in node.args:
                if a.keyword is not None and a.keyword.value == "out" and isinstance(a.value, cst.Name):
                    yield node, a.value


def _subscript_base(target: cst.BaseExpression) -> cst.Name | None:
    """`x` of `x[i] = v`, `x[i][j] = v`, `x.attr[i] = v` (an item is written)."""
    if not isinstance(target, cst.Subscript):
        return None
    while isinstance(target, (cst.Subscript, cst.Attribute)):
        target = target.value
    return target if isinstance(target, cst.Name) else None


def _plain_base(expr: cst.BaseExpression) -> cst.Name | None:
    """`x` of `x` or `x[i]` (`x[i].sort()` sorts a view of x in place)."""
    while isinstance(expr, cst.Subscript):
        expr = expr.value
    return expr if isinstance(expr, cst.Name) else None


def _own_nodes(body: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The nodes of a function body, not those of the functions and classes inside it."""
    stack = list(reversed(body.children))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
            continue
        stack.extend(reversed(node.children))
