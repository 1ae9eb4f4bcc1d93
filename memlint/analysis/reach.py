"""Values across function, class and module boundaries, through the project index.

The questions the module model answers inside one scope, asked across scopes:

- `returns(call, model)`: what a call of one of the project's own functions or methods
  returns (`helper(...)`, `self.read()`, `io.load(...)` of another module);
- `attribute(expr, model)`: what `self.x` holds when the method's class does not assign it
  itself: the assignments of its base classes (in any module of the project) and the
  return values of a `property` or `cached_property` named `x`;
- `arguments(binding, model)`: what a parameter receives from the calls of its function
  found in its module (a private helper, a method called through `self`).

Answers are `Origin`s whose `model` is the module the expression belongs to. Definitions are
always read from whole-module models (the first pass holds only some statements of the
checked file: a helper there may be its signature alone).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from memlint.analysis.calls import is_self_attribute

if TYPE_CHECKING:  # pragma: no cover
    from memlint.analysis.model import Binding, Origin, SemanticModel

# The libraries whose functions and classes the analyses know by name and documented
# behaviour: their own sources are never followed, even when they are the checked project.
MODELED_LIBRARIES = frozenset({
    "numpy", "dask", "distributed", "joblib", "ray", "sklearn", "torch", "astropy",
})
_MAX_BASES = 8
# Decorators that leave what a call of the function returns as its body returns it.
_TRANSPARENT = {
    "staticmethod", "classmethod", "functools.wraps", "functools.lru_cache", "functools.cache",
    "lru_cache", "cache", "typing.overload", "abc.abstractmethod",
}
_PROPERTIES = {"property", "functools.cached_property", "cached_property"}


# -- models that hold a definition whole ----------------------------------------------------
def _path(node: cst.CSTNode, model: "SemanticModel") -> list[str] | None:
    """The names of `node` (a def or class) and of the classes around it, outermost first;
    None when a def encloses it (its definitions are made at each call)."""
    names = [node.name.value]
    for anc in model.ancestors(node):
        if isinstance(anc, cst.ClassDef):
            names.append(anc.name.value)
        elif isinstance(anc, (cst.FunctionDef, cst.Lambda)):
            return None
    return list(reversed(names))


def _in_library(model: "SemanticModel") -> bool:
    """Whether the model is of a module of a library the analyses model (dask's own
    sources): its defs are known by their documented behaviour, not followed."""
    return model.project is not None and model.path is not None and model.project.in_library(model.path)


def _reduced(model: "SemanticModel") -> bool:
    """Whether the model holds only part of its module (the first pass's, or a part the
    index parsed) and the index can read the rest."""
    return not model.complete and model.project is not None and model.path is not None and not _in_library(model)


def _signature_only(func: cst.FunctionDef) -> bool:
    """A def whose body is `...` alone: how the first pass keeps a def it only names."""
    body = func.body
    if not isinstance(body, cst.IndentedBlock) or len(body.body) != 1:
        return isinstance(body, cst.SimpleStatementSuite) and _is_ellipsis_line(body)
    line = body.body[0]
    return isinstance(line, cst.SimpleStatementLine) and _is_ellipsis_line(line)


def _is_ellipsis_line(line) -> bool:
    return len(line.body) == 1 and isinstance(line.body[0], cst.Expr) and isinstance(line.body[0].value, cst.Ellipsis)


def in_whole(node: cst.CSTNode, model: "SemanticModel", uses: bool = False) -> "tuple[SemanticModel, cst.CSTNode] | None":
    """The same def or class in a model that holds it whole (with `uses`: and every
    statement of its module naming it): the first pass's model, and the index's models
    of other modules, may hold a def as its signature alone. A class is taken as they
    keep it: what makes its instances' data (its other methods: `member`)."""
    if not _reduced(model):
        return model, node
    if not uses and isinstance(node, cst.FunctionDef) and not _signature_only(node):
        return model, node  # a def the first pass keeps is kept whole
    path = _path(node, model)
    if path is None:
        return None
    if isinstance(node, cst.ClassDef):
        return model, node
    if uses:
        kind, name = "uses", path[-1]
    elif len(path) > 1:
        kind, name = "method", ".".join(path)
    else:
        kind, name = "def", path[0]
    return _in_part(model, kind, name, path)


def _in_part(model: "SemanticModel", kind: str, name: str, path: list[str]) -> "tuple[SemanticModel, cst.CSTNode] | None":
    """The def or class at `path` in the index's part of `model`'s file for (`kind`,
    `name`): ProjectIndex.model_of_part."""
    from memlint.index.project import definition_in

    part = model.project.model_of_part(model.path, kind, name)
    found = definition_in(part, path) if part is not None else None
    return (part, found) if found is not None else None


# -- definitions -----------------------------------------------------------------------------
def definition(expr: cst.BaseExpression, model: "SemanticModel") -> "tuple[SemanticModel, cst.CSTNode] | None":
    """The project's def or class a name or dotted name refers to (a def of the module, an
    import of a project module's), in a whole-module model."""
    if isinstance(expr, cst.Name):
        _, bindings = model.lookup(expr.value, expr)
        reaching = model.reaching(bindings, expr) if bindings else []
        if len(reaching) == 1 and reaching[0].kind in ("def", "class"):
            node = reaching[0].node
            return in_whole(node, model) if isinstance(node, (cst.FunctionDef, cst.ClassDef)) else None
    if isinstance(expr, (cst.Name, cst.Attribute)) and model.project is not None:
        q = model.qualified_name(expr)
        if q is not None and model.project.is_project(q):
            return model.project.symbol(q)
    return None


def bases(cls: cst.ClassDef, model: "SemanticModel") -> "Iterator[tuple[SemanticModel, cst.ClassDef]]":
    """The class's base classes the project defines, nearest first, each once."""
    seen: set[int] = {id(cls)}
    queue = [(model, cls)]
    count = 0
    while queue and count < _MAX_BASES:
        m, c = queue.pop(0)
        for base in c.bases:
            if base.keyword is not None:
                continue
            found = definition(base.value, m)
            if found is None or not isinstance(found[1], cst.ClassDef) or id(found[1]) in seen:
                continue
            seen.add(id(found[1]))
            count += 1
            yield found
            queue.append(found)


def member(cls: cst.ClassDef, model: "SemanticModel", name: str) -> "tuple[SemanticModel, cst.FunctionDef] | None":
    """The def `name` of the class or its nearest base that defines it."""
    for owner_model, owner in [(model, cls), *bases(cls, model)]:
        found = _method(owner, owner_model, name)
        if found is not None:
            return found
    return None


def _method(cls: cst.ClassDef, model: "SemanticModel", name: str) -> "tuple[SemanticModel, cst.FunctionDef] | None":
    """The def `name` of the class itself. A reduced model holds a class with some of its
    methods (each whole); the others are read from the part of the file with methods of
    that name, when the file spells one."""
    own = _own_member(cls, name)
    if own is not None or not _reduced(model):
        return (model, own) if own is not None else None
    path = _path(cls, model)
    text = model.project.text_of(model.path)
    if path is None or text is None or f"def {name}(" not in text:
        return None
    found = _in_part(model, "method", ".".join([*path, name]), path)
    own = _own_member(found[1], name) if found is not None and isinstance(found[1], cst.ClassDef) else None
    return (found[0], own) if own is not None else None


def _own_member(cls: cst.ClassDef, name: str) -> cst.FunctionDef | None:
    found = None
    for stmt in cls.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value == name:
            found = stmt  # the last definition wins, as at run time
    return found


def _decorators(func: cst.FunctionDef, model: "SemanticModel") -> list[str]:
    out = []
    for dec in func.decorators:
        d = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
        out.append(model.qualified_name(d) or _spelled(d))
    return out


def _spelled(expr: cst.CSTNode) -> str:
    from memlint.analysis.model import dotted_name

    return dotted_name(expr) or "?"


def is_property(func: cst.FunctionDef, model: "SemanticModel") -> bool:
    return any(d in _PROPERTIES or d.endswith(".cached_property") for d in _decorators(func, model))


def _returns_plainly(func: cst.FunctionDef, model: "SemanticModel") -> bool:
    """A call of the def gives what its `return` statements give: not a generator, not a
    coroutine, not wrapped by a decorator that may return something else."""
    if func.asynchronous is not None or func in model.generators:
        return False
    return all(d in _TRANSPARENT for d in _decorators(func, model))


def callee(call: cst.Call, model: "SemanticModel") -> "tuple[SemanticModel, cst.FunctionDef] | None":
    """The project's def a call runs: a function of the module or of another project
    module, or a method called through `self` or `cls` (in the class or a base)."""
    func = call.func
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
        cls = model.enclosing(call, cst.ClassDef)
        if cls is None:
            return None
        found = member(cls, model, func.attr.value)
        if found is None or is_property(found[1], found[0]):
            return None
        return found
    found = definition(func, model)
    if found is None or not isinstance(found[1], cst.FunctionDef):
        return None
    return found


# -- the questions ---------------------------------------------------------------------------
def returns(call: cst.Call, model: "SemanticModel", certain: bool) -> "list[Origin] | None":
    """What a call of a project def returns (None when the callee is not one)."""
    if _in_library(model):
        return None
    found = callee(call, model)
    return returns_of(found[1], found[0], certain) if found is not None else None


def returns_of(func: cst.FunctionDef, model: "SemanticModel", certain: bool) -> "list[Origin] | None":
    """What a call of the def `func` returns (None when a decorator or `yield` makes it
    something else)."""
    if _in_library(model) or not _returns_plainly(func, model):
        return None
    return _returned(func, model, certain)


def _returned(func: cst.FunctionDef, model: "SemanticModel", certain: bool) -> "list[Origin]":
    from memlint.analysis.members import returned_values
    from memlint.analysis.model import Origin

    values = returned_values(func, model)
    sure = certain and len(values) == 1
    return [Origin(v, sure, model) for v in values]


def attribute(expr: cst.Attribute, model: "SemanticModel", certain: bool) -> "list[Origin]":
    """What `self.x` holds, from the assignments of the class's project bases, or from the
    property `x` of the class or a base; [] when neither says."""
    from memlint.analysis.model import Origin

    if not is_self_attribute(expr) or _in_library(model):
        return []
    cls = model.enclosing(expr, cst.ClassDef)
    if cls is None:
        return []
    name = expr.attr.value
    prop = member(cls, model, name)
    if prop is not None and is_property(prop[1], prop[0]):
        return _returned(prop[1], prop[0], certain)
    whole_cls = in_whole(cls, model)
    if whole_cls is None:
        return []
    out: list[Origin] = []
    m, c = whole_cls
    for m, base in bases(c, m):
        found = m.attribute_bindings.get((base, name), [])
        values = [b.value for b in found if b.value is not None]
        out.extend(Origin(v, False, m) for v in values)
        if out:
            break
    if len(out) == 1 and certain:
        out = [Origin(out[0].expr, True, out[0].model)]
    return out


def arguments(binding: "Binding", model: "SemanticModel", public: bool = False) -> "list[Origin]":
    """What a parameter receives from the calls of its def: each call's argument (or the
    default when a call leaves it out). A private def's calls are those of its module
    (by name, through `self`, or through a module-level table of functions); with
    `public`, a public module-level function's are also those of the package's modules
    importing it, and never certain (its users pass what the project does not show). Certain only for a
    private def called once; [] when a call passes `*args`/`**kwargs` that may hold it."""
    from memlint.analysis.model import Origin

    func = binding.stmt
    if not isinstance(func, cst.FunctionDef) or not isinstance(binding.node, cst.Param) or _in_library(model):
        return []
    private = _private(func.name.value)
    if private and not _called_in_text(func.name.value, model):
        return []
    if not private and not (public and _module_function(func, model)):
        return []
    located = in_whole(func, model, uses=True)
    if located is None:
        return []
    m, func = located
    param, position = _param(func, binding.name, m)
    if param is None:
        return []
    calls = list(_calls_of(func, m))
    if not private:
        calls.extend(importers_calls(func, m))
    out: list[Origin] = []
    for where, call in calls:
        given = _argument(call, param, position)
        if given is _UNKNOWN:
            return []
        if given is None:
            if param.default is None:
                continue
            given, where = param.default, m
        out.append(Origin(given, private and len(calls) == 1, where))
    return out


_UNKNOWN = object()


def _module_function(func: cst.FunctionDef, model: "SemanticModel") -> bool:
    """A function at the top of a project module (not a method: those are called
    through instances the project hands out)."""
    return model.project is not None and model.path is not None and _path(func, model) == [func.name.value]


def _private(name: str) -> bool:
    """A private def: its calls are the module's (a public one's parameters receive what
    its users pass, which the project does not show)."""
    return name.startswith("_") and not name.startswith("__")


def _called_in_text(name: str, model: "SemanticModel") -> bool:
    """Whether the module's text names `name` anywhere but its def line: a cheap test
    before a part of the module is parsed to find the calls."""
    if not _reduced(model):
        return True
    return model.project.names_twice(model.path, name)


def _param(func: cst.FunctionDef, name: str, model: "SemanticModel") -> tuple[cst.Param | None, int | None]:
    """The parameter and its position among those a call passes positionally (a method's
    `self` or `cls` not counted)."""
    positional = [*func.params.posonly_params, *func.params.params]
    owner = model.enclosing(func, (cst.ClassDef, cst.FunctionDef))
    method = isinstance(owner, cst.ClassDef) and "staticmethod" not in _decorators(func, model)
    skip = 1 if method else 0
    for i, p in enumerate(positional):
        if p.name.value == name:
            return p, (i - skip if i >= skip else None)
    for p in func.params.kwonly_params:
        if p.name.value == name:
            return p, None
    return None, None


def _argument(call: cst.Call, param: cst.Param, position: int | None):
    index = 0
    for a in call.args:
        if a.star:
            return _UNKNOWN
        if a.keyword is not None:
            if a.keyword.value == param.name.value:
                return a.value
            continue
        if position is not None and index == position:
            return a.value
        index += 1
    return None


def _calls_of(func: cst.FunctionDef, model: "SemanticModel") -> "Iterator[tuple[SemanticModel, cst.Call]]":
    """The calls of the def in its module, each with the model holding it: by name and
    through a module-level table of functions (`table["ray"] = f` ... `table[key](...)`)
    for a module-level def, through `self` or `cls` inside its class (and the module's
    classes deriving from it) for a method."""
    owner = model.enclosing(func, (cst.ClassDef, cst.FunctionDef))
    name = func.name.value
    if owner is None:
        tables: list[str] = []
        for use in model.names.get(name, ()):
            parent = model.parent.get(use)
            if isinstance(parent, cst.Call) and parent.func is use:
                found = definition(use, model)
                if found is not None and found[1] is func:
                    yield model, parent
                continue
            table = _table_holding(use, model)
            if table is not None and table not in tables:
                tables.append(table)
        for table in tables:
            yield from _table_calls(table, model)
        return
    if not isinstance(owner, cst.ClassDef):
        return
    for use in [*model.names.get("self", ()), *model.names.get("cls", ())]:
        attr = model.parent.get(use)
        call = model.parent.get(attr)
        if (
            isinstance(attr, cst.Attribute) and attr.value is use and attr.attr.value == name
            and isinstance(call, cst.Call) and call.func is attr
        ):
            found = callee(call, model)
            if found is not None and found[1] is func:
                yield model, call


def _same_file(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and os.path.abspath(a) == os.path.abspath(b)


def _table_holding(use: cst.Name, model: "SemanticModel") -> str | None:
    """The module-level dict a module-level statement stores the function `use` names
    in: `table[key] = f`, or `table = {key: f, ...}`."""
    parent = model.parent.get(use)
    if isinstance(parent, cst.DictElement) and parent.value is use:
        parent = model.parent.get(model.parent.get(parent))  # the Dict, then its Assign
        target = _sole_target(parent, model)
        return target.value if isinstance(target, cst.Name) else None
    target = _sole_target(parent, model) if isinstance(parent, cst.Assign) and parent.value is use else None
    if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
        return target.value.value
    return None


def _sole_target(stmt: cst.CSTNode | None, model: "SemanticModel") -> cst.BaseExpression | None:
    """The one target of a module-level assignment."""
    if not isinstance(stmt, cst.Assign) or len(stmt.targets) != 1:
        return None
    if model.scope(stmt) is not model.module_scope:
        return None
    return stmt.targets[0].target


def _table_calls(table: str, model: "SemanticModel") -> "Iterator[tuple[SemanticModel, cst.Call]]":
    """The calls of an item of the module-level dict `table`: `table[key](...)`, or
    `f = table[key]` then `f(...)`."""
    where = model.project.model_of_part(model.path, "uses", table) if _reduced(model) else model
    if where is None:
        return
    for use in where.names.get(table, ()):
        _, bindings = where.lookup(table, use)
        if not bindings or any(where.scope(b.node) is not where.module_scope for b in bindings):
            continue
        item = where.parent.get(use)
        if not isinstance(item, cst.Subscript) or item.value is not use:
            continue
        parent = where.parent.get(item)
        if isinstance(parent, cst.Call) and parent.func is item:
            yield where, parent
        elif isinstance(parent, cst.Assign) and parent.value is item and len(parent.targets) == 1:
            target = parent.targets[0].target
            if isinstance(target, cst.Name):
                yield from _calls_through(target, item, where)


def _calls_through(target: cst.Name, value: cst.BaseExpression, model: "SemanticModel") -> "Iterator[tuple[SemanticModel, cst.Call]]":
    """The calls of a name wherever it holds `value` alone."""
    for use in model.names.get(target.value, ()):
        call = model.parent.get(use)
        if not isinstance(call, cst.Call) or call.func is not use:
            continue
        _, bindings = model.lookup(target.value, use)
        reaching = model.reaching(bindings, use) if bindings else []
        if len(reaching) == 1 and reaching[0].value is value:
            yield model, call


def importers_calls(node: "cst.FunctionDef | cst.ClassDef", model: "SemanticModel") -> "Iterator[tuple[SemanticModel, cst.Call]]":
    """The calls of a public module-level function (or of a class: its instances made) in
    the modules of its package that import it by name (`from pkg.par import run`)."""
    name = node.name.value
    project = model.project
    if project is None or model.path is None:
        return
    for filename in project.importers(model.path, name):
        part = project.model_of_part(filename, "uses", name)
        if part is None:
            continue
        for use in part.names.get(name, ()):
            call = part.parent.get(use)
            if not isinstance(call, cst.Call) or call.func is not use:
                continue
            found = definition(use, part)
            if (
                found is not None and isinstance(found[1], type(node))
                and _same_file(found[0].path, model.path) and found[1].name.value == name
            ):
                yield part, call