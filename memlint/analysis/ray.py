"""Ray: which functions run as remote tasks or actor methods, and which values are refs.

A function defined in the module runs remotely when it is made remote by
- a decorator: `@ray.remote` or `@ray.remote(num_returns=2, ...)`;
- a call: `ray.remote(f)`, `ray.remote(**opts)(f)`, or Ray Data's `cached_remote_fn(f)`;
and a method runs remotely when its class is made remote the same ways (an actor).
`ray` is resolved through the module's imports (`import ray as r`, `from ray import remote`,
a local `import ray` stored as `self.ray`), never by its spelling.

An ObjectRef is the result of `ray.put(...)` (or Modin's `RayWrapper.put`) or of a
`.remote(...)` call (a task's ref, or an actor handle: both are passed by reference).
"""

from __future__ import annotations

import bisect
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from memlint.analysis.calls import is_self_attribute

if TYPE_CHECKING:  # pragma: no cover
    from memlint.analysis.model import Binding, SemanticModel

REMOTE = "ray.remote"
PUT = "ray.put"
# Ray Data's internal helper that wraps a plain function with ray.remote (and caches it).
_REMOTE_WRAPPERS = ("cached_remote_fn",)

# How a definition was made remote.
DECORATOR = "decorator"  # @ray.remote
DECORATOR_CALL = "decorator-call"  # @ray.remote(...)
CALL = "call"  # ray.remote(f)
OPTIONS_CALL = "options-call"  # ray.remote(...)(f)
WRAPPER = "wrapper"  # cached_remote_fn(f)


@dataclass(frozen=True)
class RemoteDef:
    """A function or class made remote. `site` is the decorator or the call that does it;
    `options` the `ray.remote(...)` call holding options such as `num_returns`, if any."""

    node: cst.FunctionDef | cst.ClassDef
    form: str
    site: cst.CSTNode
    options: cst.Call | None = None


@dataclass(frozen=True)
class RemoteFunction:
    """A function whose body runs in a Ray worker: a remote function, or a method of an
    actor class (`actor` is then the RemoteDef of the class)."""

    func: cst.FunctionDef
    remote: RemoteDef
    actor: bool

    @property
    def label(self) -> str:
        name = self.func.name.value
        if self.actor:
            return f"actor method `{self.remote.node.name.value}.{name}`"
        return f"remote function `{name}`"


# -- names ---------------------------------------------------------------------------------
def resolve(expr: cst.CSTNode, model: "SemanticModel", depth: int = 0) -> str | None:
    """The dotted name `expr` refers to, through imports and, for `self.attr` bases that
    are not imports (`self.ray.remote` after `self.ray = ray`), through the values
    assigned to the attribute."""
    name = model.qualified_name(expr)
    if name is not None or depth > 4:
        return name
    if isinstance(expr, cst.Attribute):
        base = expr.value
        if is_self_attribute(base):
            names = {
                resolve(b.value, model, depth + 1) if b.value is not None else None
                for b in model.self_attribute_bindings(base)
            }
            if len(names) == 1 and None not in names:
                return f"{names.pop()}.{expr.attr.value}"
            return None
        inner = resolve(base, model, depth + 1)
        return f"{inner}.{expr.attr.value}" if inner else None
    return None


def is_ray_remote(expr: cst.CSTNode, model: "SemanticModel") -> bool:
    """`ray.remote` itself (not a call of it)."""
    return resolve(expr, model) == REMOTE


def _is_wrapper(expr: cst.CSTNode, model: "SemanticModel") -> bool:
    name = resolve(expr, model)
    return bool(name) and name.startswith("ray.") and name.rsplit(".", 1)[-1] in _REMOTE_WRAPPERS


def uses_ray(model: "SemanticModel") -> bool:
    """Whether the module imports ray (anywhere, under any name)."""
    return any(m == "ray" or m.startswith("ray.") for m in model.imported_modules)


# -- remote definitions --------------------------------------------------------------------
_CACHE: "weakref.WeakKeyDictionary[SemanticModel, dict[cst.CSTNode, RemoteDef | None]]" = (
    weakref.WeakKeyDictionary()
)


def remote_def(defn: cst.CSTNode, model: "SemanticModel") -> RemoteDef | None:
    """How the function or class `defn` is made remote, or None if it is not."""
    if not isinstance(defn, (cst.FunctionDef, cst.ClassDef)):
        return None
    cache = _CACHE.setdefault(model, {})
    if defn not in cache:
        cache[defn] = _decorated(defn, model) or _wrapped_by_call(defn, model)
    return cache[defn]


def _decorated(defn: cst.FunctionDef | cst.ClassDef, model: "SemanticModel") -> RemoteDef | None:
    for dec in defn.decorators:
        expr = dec.decorator
        if is_ray_remote(expr, model):
            return RemoteDef(defn, DECORATOR, dec)
        if isinstance(expr, cst.Call) and is_ray_remote(expr.func, model):
            return RemoteDef(defn, DECORATOR_CALL, dec, expr)
    return None


def _wrapped_by_call(defn: cst.FunctionDef | cst.ClassDef, model: "SemanticModel") -> RemoteDef | None:
    binding = def_binding(defn, model)
    if binding is None:
        return None
    for use in model.uses_of(binding):
        arg = model.parent.get(use)
        call = model.parent.get(arg) if isinstance(arg, cst.Arg) else None
        if not isinstance(call, cst.Call) or not call.args or call.args[0] is not arg:
            continue
        if arg.keyword is not None or arg.star:
            continue
        func = call.func
        if is_ray_remote(func, model) and len(call.args) == 1:
            return RemoteDef(defn, CALL, call)
        if isinstance(func, cst.Call) and is_ray_remote(func.func, model) and len(call.args) == 1:
            return RemoteDef(defn, OPTIONS_CALL, call, func)
        if _is_wrapper(func, model):
            return RemoteDef(defn, WRAPPER, call)
    return None


def def_binding(defn: cst.FunctionDef | cst.ClassDef, model: "SemanticModel") -> "Binding | None":
    scope = model.scope(defn)
    for b in scope.bindings.get(defn.name.value, ()):
        if b.node is defn:
            return b
    # A def under `global name` binds in the module scope.
    for b in model.module_scope.bindings.get(defn.name.value, ()):
        if b.node is defn:
            return b
    return None


def remote_function(func: cst.CSTNode, model: "SemanticModel") -> RemoteFunction | None:
    """`func` as a RemoteFunction when it runs as a Ray task: a remote function, or a
    method of a remote class that callers reach through `.remote()`. Dunder methods and
    helpers the class calls itself (`self.helper(...)`) run inside another method's task,
    so their return values never go through Ray."""
    if not isinstance(func, cst.FunctionDef):
        return None
    own = remote_def(func, model)
    if own is not None:
        return RemoteFunction(func, own, actor=False)
    cls = _method_class(func, model)
    if cls is None:
        return None
    actor = remote_def(cls, model)
    name = func.name.value
    if actor is None or (name.startswith("__") and name.endswith("__")):
        return None
    if _called_on_self(cls, name, model):
        return None
    return RemoteFunction(func, actor, actor=True)


def _called_on_self(cls: cst.ClassDef, name: str, model: "SemanticModel") -> bool:
    for use in model.names.get("self", ()):
        attr = model.parent.get(use)
        if (
            isinstance(attr, cst.Attribute)
            and attr.value is use
            and attr.attr.value == name
            and isinstance(model.parent.get(attr), cst.Call)
            and model.parent[attr].func is attr
            and model.enclosing(attr, cst.ClassDef) is cls
        ):
            return True
    return False


def _method_class(func: cst.FunctionDef, model: "SemanticModel") -> cst.ClassDef | None:
    block = model.parent.get(func)
    cls = model.parent.get(block) if isinstance(block, cst.IndentedBlock) else None
    return cls if isinstance(cls, cst.ClassDef) else None


def function_of(node: cst.CSTNode, model: "SemanticModel") -> cst.FunctionDef | None:
    """The function whose own body holds `node` (None inside a lambda or class body)."""
    found = model.enclosing(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef))
    return found if isinstance(found, cst.FunctionDef) else None


def enclosing_remote(node: cst.CSTNode, model: "SemanticModel") -> RemoteFunction | None:
    """The remote function or actor method whose own body holds `node`."""
    func = function_of(node, model)
    return remote_function(func, model) if func is not None else None


def runs_remotely(node: cst.CSTNode, model: "SemanticModel") -> RemoteFunction | RemoteDef | None:
    """The remote function, actor method or actor class body that holds `node`, at any
    depth (a nested helper or lambda is pickled with it). Decorators do not count."""
    child = node
    for anc in model.ancestors(node):
        if isinstance(anc, cst.FunctionDef) and not any(child is d for d in anc.decorators):
            found = remote_function(anc, model)
            if found is not None:
                return found
        if isinstance(anc, cst.ClassDef) and child is anc.body:
            found = remote_def(anc, model)
            if found is not None:
                return found
        child = anc
    return None


# -- function bodies -----------------------------------------------------------------------
_OWN: "weakref.WeakKeyDictionary[SemanticModel, dict]" = weakref.WeakKeyDictionary()


def own_nodes(func: cst.FunctionDef, kinds: type | tuple[type, ...],
              model: "SemanticModel | None" = None) -> Iterator[cst.CSTNode]:
    """The `return` and `yield` nodes of `func` (those of the given kinds), not those of
    nested functions, lambdas or classes. With `model`, one walk per function serves every
    later question about it."""
    cache = _OWN.setdefault(model, {}) if model is not None else {}
    found = cache.get(func)
    if found is None:
        found = []

        class Collect(cst.CSTVisitor):
            def on_visit(self, node: cst.CSTNode) -> bool:
                if isinstance(node, (cst.Return, cst.Yield)):
                    found.append(node)
                return not isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef))

        for stmt in _body_statements(func):
            stmt.visit(Collect())
        cache[func] = found
    return iter([n for n in found if isinstance(n, kinds)])


def _body_statements(func: cst.FunctionDef) -> list[cst.CSTNode]:
    body = func.body
    if isinstance(body, cst.IndentedBlock):
        return list(body.body)
    return [body]


def is_generator(func: cst.FunctionDef, model: "SemanticModel | None" = None) -> bool:
    """Whether `func` yields (so Ray streams its results)."""
    return next(own_nodes(func, cst.Yield, model), None) is not None


# -- positions -----------------------------------------------------------------------------
_SPANS: "weakref.WeakKeyDictionary[SemanticModel, dict]" = weakref.WeakKeyDictionary()


def _span(container: cst.CSTNode, model: "SemanticModel") -> tuple[int, int]:
    """The pre-order indices of `container` and of its last descendant: its descendants
    are exactly the nodes in between."""
    spans = _SPANS.setdefault(model, {})
    span = spans.get(container)
    if span is None:
        last = container
        # The engine's walk skips whitespace and punctuation nodes: the last descendant
        # is the last one it indexed.
        while True:
            indexed = [c for c in last.children if c in model.index]
            if not indexed:
                break
            last = indexed[-1]
        span = (model.index.get(container, -1), model.index.get(last, -1))
        spans[container] = span
    return span


def inside(node: cst.CSTNode, container: cst.CSTNode | None, model: "SemanticModel") -> bool:
    """Whether `node` is a descendant of `container`, in constant time."""
    if container is None:
        return False
    start, end = _span(container, model)
    return start < model.index.get(node, -1) <= end


def names_within(identifier: str, within: cst.CSTNode, model: "SemanticModel") -> list[cst.Name]:
    """The Name nodes spelled `identifier` inside `within` (model.names is in source order,
    so a binary search finds them)."""
    names = model.names.get(identifier, ())
    if not names:
        return []
    cache = _SPANS.setdefault(model, {})
    key = ("indices", identifier)
    indices = cache.get(key)
    if indices is None:
        indices = cache[key] = [model.index[n] for n in names]
    start, end = _span(within, model)
    return list(names[bisect.bisect_right(indices, start):bisect.bisect_right(indices, end)])


def uses_within(binding: "Binding", within: cst.CSTNode, model: "SemanticModel") -> list[cst.Name]:
    """`model.uses_of(binding)` restricted to the uses inside `within` (cheaper: only the
    names there are resolved)."""
    out = []
    for name in names_within(binding.name, within, model):
        if name is binding.node:
            continue
        _, bindings = model.lookup(name.value, name)
        if binding in bindings and binding in model.reaching(bindings, name):
            out.append(name)
    return out


# -- refs ----------------------------------------------------------------------------------
def is_put(call: cst.CSTNode, model: "SemanticModel") -> bool:
    """`ray.put(...)` under any spelling, or Modin's `RayWrapper.put(...)`."""
    if not isinstance(call, cst.Call):
        return False
    name = resolve(call.func, model)
    if name is None:
        return False
    return name == PUT or name.endswith(".RayWrapper.put")


def is_remote_call(call: cst.CSTNode) -> bool:
    """`something.remote(...)`: a task submission, actor creation or actor method call."""
    return (
        isinstance(call, cst.Call)
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "remote"
    )


def is_object_ref(expr: cst.BaseExpression, model: "SemanticModel") -> bool:
    """Whether `expr` is (or, on some path, may be) an ObjectRef or actor handle: the
    result of `ray.put(...)` or of a `.remote(...)` call, directly or through names."""
    if is_put(expr, model) or is_remote_call(expr):
        return True
    if isinstance(expr, (cst.Name, cst.Attribute)):
        # Across modules too: a helper of the project that returns `ray.put(...)`.
        return any(
            o.expr is not expr and (is_put(o.expr, o.model or model) or is_remote_call(o.expr))
            for o in model.origins(expr, across=True)
        )
    return False


def put_spelling(model: "SemanticModel", at: cst.CSTNode) -> tuple[str, str | None] | None:
    """How to write `ray.put` at `at`: the text, and an `import ray` statement to add when
    no visible name reaches ray; None when `ray` means something else there."""
    scope = model.scope(at)
    while scope is not None:
        for name, bindings in scope.bindings.items():
            if any(b.kind == "import" and b.qualname in ("ray", PUT) for b in bindings):
                _, visible = model.lookup(name, at)
                if visible and all(b.kind == "import" for b in visible):
                    qualname = {b.qualname for b in visible}
                    if qualname == {"ray"}:
                        return f"{name}.put", None
                    if qualname == {PUT}:
                        return name, None
        scope = scope.parent
    _, visible = model.lookup("ray", at)
    if visible:
        return None
    return "ray.put", "import ray"
