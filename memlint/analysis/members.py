"""What `self.f` is when it is used as a function: a method bound to the instance, a
`@staticmethod` or `@classmethod` (no instance travels with it), a property, or a value
stored on the instance (`self.f = some_function`: a plain function, not a bound method).

Only the class that encloses the use is searched (and the classes of the same module it
derives from by name); a name no class defines is unknown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import libcst as cst

from memlint.analysis.calls import is_self_attribute

if TYPE_CHECKING:  # pragma: no cover
    from memlint.analysis.model import SemanticModel

METHOD = "method"  # a plain def: calling `self.f` binds the instance
STATIC = "staticmethod"
CLASS = "classmethod"
PROPERTY = "property"
VALUE = "value"  # assigned to `self.f` (or at class level to a non-def): no instance bound

_PROPERTIES = ("property", "cached_property", "functools.cached_property")


def member_kind(expr: cst.Attribute, model: "SemanticModel") -> str | None:
    """The kind of `self.<name>` inside a method, or None when the class does not show it."""
    if not is_self_attribute(expr):
        return None
    cls = model.enclosing(expr, cst.ClassDef)
    if cls is None:
        return None
    return _kind_in(cls, expr.attr.value, model, 0)


def _kind_in(cls: cst.ClassDef, name: str, model: "SemanticModel", depth: int) -> str | None:
    if model.attribute_bindings.get((cls, name)):
        return VALUE
    for stmt in cls.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            return _def_kind(stmt, model)
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, (cst.Assign, cst.AnnAssign)) and name in _targets(small):
                    return VALUE
    if depth < 8:
        for base in _module_bases(cls, model):
            found = _kind_in(base, name, model, depth + 1)
            if found is not None:
                return found
    return None


def _def_kind(func: cst.FunctionDef, model: "SemanticModel") -> str:
    for dec in func.decorators:
        d = dec.decorator
        if isinstance(d, cst.Call):
            d = d.func
        spelled = model.qualified_name(d) or (
            d.value if isinstance(d, cst.Name) else d.attr.value if isinstance(d, cst.Attribute) else ""
        )
        if spelled in ("staticmethod", "builtins.staticmethod"):
            return STATIC
        if spelled in ("classmethod", "builtins.classmethod"):
            return CLASS
        if spelled in _PROPERTIES or spelled.endswith(".cached_property"):
            return PROPERTY
    return METHOD


def property_def(expr: cst.Attribute, model: "SemanticModel") -> cst.FunctionDef | None:
    """The `@property` / `@cached_property` def that `self.<name>` reads, if the class (or a
    base class of the module) defines one."""
    if not is_self_attribute(expr):
        return None
    cls = model.enclosing(expr, cst.ClassDef)
    if cls is None:
        return None
    found = _def_in(cls, expr.attr.value, model, 0)
    return found if found is not None and _def_kind(found, model) == PROPERTY else None


def _def_in(cls: cst.ClassDef, name: str, model: "SemanticModel", depth: int) -> cst.FunctionDef | None:
    """The def named `name` in the class body, else in its bases of the module."""
    for stmt in cls.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            return stmt
    if depth < 8:
        for base in _module_bases(cls, model):
            found = _def_in(base, name, model, depth + 1)
            if found is not None:
                return found
    return None


def returned_values(func: cst.FunctionDef, model: "SemanticModel | None" = None) -> list[cst.BaseExpression]:
    """The expressions the def's own `return` statements give (not those of nested defs),
    from the model's index when the model holds the def."""
    if model is not None and func in model.index:
        return list(model.returns.get(func, ()))
    out: list[cst.BaseExpression] = []
    stack: list[cst.CSTNode] = [func.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, cst.Return):
            if node.value is not None:
                out.append(node.value)
            continue
        if isinstance(node, cst.BaseExpression):
            continue  # no statement inside an expression
        stack.extend(reversed(node.children))
    return out


def _targets(small: cst.CSTNode) -> set[str]:
    if isinstance(small, cst.AnnAssign):
        return {small.target.value} if isinstance(small.target, cst.Name) else set()
    return {t.target.value for t in small.targets if isinstance(t.target, cst.Name)}


def _module_bases(cls: cst.ClassDef, model: "SemanticModel") -> Iterator[cst.ClassDef]:
    for base in cls.bases:
        if isinstance(base.value, cst.Name):
            _, bindings = model.lookup(base.value.value, cls)
            for b in bindings:
                if b.kind == "class" and isinstance(b.node, cst.ClassDef) and b.node is not cls:
                    yield b.node
                    break
