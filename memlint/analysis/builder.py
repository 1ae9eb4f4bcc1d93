"""Builds the SemanticModel in one walk over the module, collecting in the same walk the
nodes that rules hook. Imported by the engine only when a file is parsed.

The walk is the engine's own rather than libcst's `visit`: a libcst visitor rebuilds every
node it passes (a new dataclass instance per node, validated and then thrown away), which
cost as much as parsing. `walk` visits the same nodes in the same order (the order libcst's
`_visit_and_replace_children` uses, read once per node type), and skips whitespace,
punctuation and operator nodes, which carry no names or values, unless a rule hooks them.
"""

from __future__ import annotations

import dataclasses
import dis
from typing import Callable, Iterator

import libcst as cst

from memlint.analysis.model import (
    SCOPE_CLASS,
    SCOPE_COMPREHENSION,
    SCOPE_FUNCTION,
    SCOPE_LAMBDA,
    Binding,
    Scope,
    SemanticModel,
    dotted_name,
)


class ModelBuilder:
    """Builds the SemanticModel and, in the same walk, collects the nodes rules hook."""

    def __init__(self, model: SemanticModel, hooked: frozenset[str]) -> None:
        self.m = model
        self.hooked = hooked
        self.collected: list[cst.CSTNode] = []
        self.stack: list[cst.CSTNode] = []
        self.scopes: list[Scope] = [model.module_scope]
        self.counter = 0
        # Nodes whose entry opens a scope, and the scope they open.
        # Keyed by id(node): libcst nodes hash in Python, and these are looked up for
        # every node of the walk.
        self.scope_entries: dict[int, Scope] = {}
        # Bindings made by an assignment take effect after its value is evaluated:
        # their index is fixed when the assignment node is left.
        self.pending: dict[int, list[Binding]] = {}
        self.current_assignment: cst.CSTNode | None = None

    # `walk` calls on_visit/on_leave for every node: the bookkeeping is a few dict writes.
    def on_visit(self, node: cst.CSTNode) -> bool:
        m = self.m
        if self.stack:
            m.parent[node] = self.stack[-1]
        m.index[node] = self.counter
        self.counter += 1
        entered = self.scope_entries.get(id(node))
        if entered is not None:
            self.scopes.append(entered)
            m.scope_of_node[node] = entered  # the nodes below it: SemanticModel.scope
        scope = self.scopes[-1]
        if type(node) is cst.Name and self.stack and _is_reference(node, self.stack[-1]):
            m.names.setdefault(node.value, []).append(node)
            m.references.append(node)
            m.reference_index.append(m.index[node])
        self.stack.append(node)
        if type(node).__name__ in self.hooked:
            self.collected.append(node)
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node, scope)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()
        key = id(original_node)
        if key in self.scope_entries:
            self.scopes.pop()
        done = self.pending.pop(key, None)
        if done:
            for binding in done:
                binding.index = self.counter

    # -- helpers -------------------------------------------------------------------------
    def _bind(self, scope: Scope, name: str, kind: str, node: cst.CSTNode, stmt: cst.CSTNode,
              value=None, qualname=None, iterable=None, item=None) -> None:
        if name in scope.globals:
            scope = self.m.module_scope
        binding = Binding(name, kind, node, stmt, self.counter, value=value,
                          qualname=qualname, iterable=iterable, item=item)
        scope.add(binding)
        self._defer(binding)

    def _defer(self, binding: Binding) -> None:
        if self.current_assignment is not None:
            self.pending.setdefault(id(self.current_assignment), []).append(binding)

    def _bind_target(self, scope: Scope, target: cst.BaseExpression, kind: str,
                     stmt: cst.CSTNode, value=None, iterable=None, item=None) -> None:
        if isinstance(target, cst.Name):
            self._bind(scope, target.value, kind, target, stmt, value=value, iterable=iterable, item=item)
        elif isinstance(target, (cst.Tuple, cst.List)):
            # `a, b = x, y` pairs the elements; `a, b = f()` keeps (f(), position), which
            # the analyses read off what f returns; starred unpacking loses the values.
            values = _paired_values(target, value)
            starred = any(isinstance(el.value, cst.StarredElement) for el in target.elements)
            for i, (el, element_value) in enumerate(zip(target.elements, values)):
                inner = el.value
                if isinstance(inner, cst.StarredElement):
                    inner = inner.value
                unpacked = (value, i) if element_value is None and value is not None and not starred and kind == "assign" else None
                self._bind_target(scope, inner, kind, stmt, value=element_value, iterable=None, item=unpacked)
        elif isinstance(target, cst.StarredElement):
            self._bind_target(scope, target.value, kind, stmt)
        elif isinstance(target, cst.Attribute) and kind in ("assign", "annassign", "augassign"):
            if SemanticModel._is_self_attribute(target):
                cls = self._enclosing_class()
                if cls is not None:
                    binding = Binding(target.attr.value, kind, target, stmt, self.counter,
                                      value=value if kind != "augassign" else None, item=item)
                    self.m.attribute_bindings.setdefault((cls, target.attr.value), []).append(
                        binding
                    )
                    self._defer(binding)

    def _enclosing_class(self) -> cst.CSTNode | None:
        # `self.x = ...` inside a method: the class is the scope above the function.
        for scope in reversed(self.scopes):
            if scope.kind == SCOPE_CLASS:
                return scope.node
        return None

    def _new_scope(self, kind: str, node: cst.CSTNode, parent: Scope,
                   entries: list[cst.CSTNode]) -> Scope:
        scope = Scope(kind, node, parent)
        for entry in entries:
            if entry is not None:
                self.scope_entries[id(entry)] = scope
        return scope


def _is_reference(name: cst.Name, parent: cst.CSTNode) -> bool:
    """False for names that are labels, not variables: attribute names, keywords of
    arguments, imported names, and the names of defs, classes and parameters."""
    # Exact type tests: libcst's node classes are ABCs, so isinstance on them is slow, and
    # these concrete classes are never subclassed.
    kind = type(parent)
    if kind is cst.Attribute:
        return name is not parent.attr
    if kind is cst.Arg:
        return name is not parent.keyword
    return kind not in _label_parents()


_LABEL_PARENTS: frozenset[type] | None = None


def _label_parents() -> frozenset[type]:
    global _LABEL_PARENTS
    if _LABEL_PARENTS is None:
        _LABEL_PARENTS = frozenset({cst.ImportAlias, cst.AsName, cst.FunctionDef, cst.ClassDef,
                                    cst.Param, cst.Global, cst.Nonlocal, cst.NameItem})
    return _LABEL_PARENTS


def _import(b: ModelBuilder, node: cst.Import, scope: Scope) -> None:
    for alias in node.names:
        full = dotted_name(alias.name)
        if full is None:
            continue
        b.m.imported_modules.add(full)
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            b._bind(scope, alias.asname.name.value, "import", alias, node, qualname=full)
        else:
            # `import dask.array` binds `dask`, and `dask.array.x` then resolves by path.
            top = full.split(".")[0]
            b._bind(scope, top, "import", alias, node, qualname=top)


def _import_from(b: ModelBuilder, node: cst.ImportFrom, scope: Scope) -> None:
    if isinstance(node.names, cst.ImportStar):
        return
    if node.relative:
        # A module of the checked project: bound to its relative name (`..io.load`), which
        # the project index makes absolute.
        base = dotted_name(node.module) if node.module is not None else ""
        if base is None:
            return
        dots = "." * len(node.relative)
        base = f"{dots}{base}" if base else dots[:-1]
    else:
        base = dotted_name(node.module) if node.module is not None else None
        if base is None:
            return
        b.m.imported_modules.add(base)
    for alias in node.names:
        name = dotted_name(alias.name)
        if name is None:
            continue
        local = name
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            local = alias.asname.name.value
        b._bind(scope, local, "import", alias, node, qualname=f"{base}.{name}")


def _assign(b: ModelBuilder, node: cst.Assign, scope: Scope) -> None:
    stmt = b.m.parent.get(node, node)
    b.current_assignment = node
    for t in node.targets:
        b._bind_target(scope, t.target, "assign", stmt, value=node.value)
    b.current_assignment = None


def _ann_assign(b: ModelBuilder, node: cst.AnnAssign, scope: Scope) -> None:
    stmt = b.m.parent.get(node, node)
    b.current_assignment = node
    b._bind_target(scope, node.target, "annassign", stmt, value=node.value)
    b.current_assignment = None


def _aug_assign(b: ModelBuilder, node: cst.AugAssign, scope: Scope) -> None:
    stmt = b.m.parent.get(node, node)
    b.current_assignment = node
    b._bind_target(scope, node.target, "augassign", stmt)
    b.current_assignment = None


def _named_expr(b: ModelBuilder, node: cst.NamedExpr, scope: Scope) -> None:
    # The walrus binds in the enclosing non-comprehension scope.
    while scope.kind == SCOPE_COMPREHENSION and scope.parent is not None:
        scope = scope.parent
    b.current_assignment = node
    b._bind_target(scope, node.target, "walrus", node, value=node.value)
    b.current_assignment = None


def _for(b: ModelBuilder, node: cst.For, scope: Scope) -> None:
    b._bind_target(scope, node.target, "for", node, iterable=node.iter)


def _comp_for(b: ModelBuilder, node: cst.CompFor, scope: Scope) -> None:
    b._bind_target(scope, node.target, "for", node, iterable=node.iter)


def _with(b: ModelBuilder, node: cst.With, scope: Scope) -> None:
    for item in node.items:
        if item.asname is not None:
            b._bind_target(scope, item.asname.name, "with", node, value=None)


def _function(b: ModelBuilder, node: cst.FunctionDef, scope: Scope) -> None:
    b._bind(scope, node.name.value, "def", node, node)
    inner = b._new_scope(SCOPE_FUNCTION, node, scope, [node.params, node.body])
    for param in _all_params(node.params):
        inner.add(Binding(param.name.value, "param", param, node, b.counter))


def _yield(b: ModelBuilder, node: cst.Yield, scope: Scope) -> None:
    if scope.kind == SCOPE_FUNCTION:
        b.m.generators.add(scope.node)
        value = node.value
        if isinstance(value, cst.From):
            b.m.yields.setdefault(scope.node, []).append((value.item, True))
        elif value is not None:
            b.m.yields.setdefault(scope.node, []).append((value, False))


def _return(b: ModelBuilder, node: cst.Return, scope: Scope) -> None:
    if scope.kind == SCOPE_FUNCTION:
        returned = b.m.returns.setdefault(scope.node, [])
        if node.value is not None:
            returned.append(node.value)


def _lambda(b: ModelBuilder, node: cst.Lambda, scope: Scope) -> None:
    inner = b._new_scope(SCOPE_LAMBDA, node, scope, [node.params, node.body])
    for param in _all_params(node.params):
        inner.add(Binding(param.name.value, "param", param, node, b.counter))


def _class(b: ModelBuilder, node: cst.ClassDef, scope: Scope) -> None:
    b._bind(scope, node.name.value, "class", node, node)
    b._new_scope(SCOPE_CLASS, node, scope, [node.body])


def _comprehension(b: ModelBuilder, node: cst.CSTNode, scope: Scope) -> None:
    # The whole comprehension (elements and clauses) is one scope.
    inner = Scope(SCOPE_COMPREHENSION, node, scope)
    b.scope_entries[id(node)] = inner
    # on_visit already pushed nothing for this node (entries are looked up before the
    # handler runs), so enter it now.
    b.scopes.append(inner)
    b.m.scope_of_node[node] = inner


def _except(b: ModelBuilder, node: cst.ExceptHandler, scope: Scope) -> None:
    if node.name is not None and isinstance(node.name.name, cst.Name):
        b._bind(scope, node.name.name.value, "except", node.name.name, node)


def _global(b: ModelBuilder, node: cst.Global, scope: Scope) -> None:
    for item in node.names:
        scope.globals.add(item.name.value)


def _nonlocal(b: ModelBuilder, node: cst.Nonlocal, scope: Scope) -> None:
    for item in node.names:
        scope.nonlocals.add(item.name.value)


def _del(b: ModelBuilder, node: cst.Del, scope: Scope) -> None:
    if isinstance(node.target, cst.Name):
        b._bind(scope, node.target.value, "del", node.target, node)


def _all_params(params: cst.Parameters) -> Iterator[cst.Param]:
    yield from params.posonly_params
    yield from params.params
    if isinstance(params.star_arg, cst.Param):
        yield params.star_arg
    yield from params.kwonly_params
    if params.star_kwarg is not None:
        yield params.star_kwarg


_HANDLERS = {
    cst.Import: _import,
    cst.ImportFrom: _import_from,
    cst.Assign: _assign,
    cst.AnnAssign: _ann_assign,
    cst.AugAssign: _aug_assign,
    cst.NamedExpr: _named_expr,
    cst.For: _for,
    cst.CompFor: _comp_for,
    cst.With: _with,
    cst.FunctionDef: _function,
    cst.Lambda: _lambda,
    cst.Yield: _yield,
    cst.Return: _return,
    cst.ClassDef: _class,
    cst.ListComp: _comprehension,
    cst.SetComp: _comprehension,
    cst.GeneratorExp: _comprehension,
    cst.DictComp: _comprehension,
    cst.ExceptHandler: _except,
    cst.Global: _global,
    cst.Nonlocal: _nonlocal,
    cst.Del: _del,
}


def build(module: cst.Module, hooked: frozenset[str] = frozenset()) -> tuple[SemanticModel, list[cst.CSTNode]]:
    """Walk `module` once: return its model and, in source order, the nodes whose type
    name is in `hooked`.

    This is `walk(module, builder.on_visit, builder.on_leave)` with the two callbacks
    written into the loop (the builder's bookkeeping is a few dict writes per node, and
    two calls per node cost as much as they do); a test checks that both build the same
    model."""
    model = SemanticModel(module)
    b = ModelBuilder(model, hooked)
    parent_of = model.parent
    index = model.index
    scope_of = model.scope_of_node
    names = model.names
    references = model.references
    reference_index = model.reference_index
    scopes = b.scopes
    scope_entries = b.scope_entries
    pending = b.pending
    collected = b.collected
    handlers = _HANDLERS
    table = _enter_table(hooked)
    fields = _FIELDS
    kept = _hooked_types(hooked)
    name_type = cst.Name
    leave = _LEAVE
    path: list[cst.CSTNode] = []  # the open nodes, innermost last
    stack: list = [module]
    pop = stack.pop
    push = stack.append
    counter = 0
    while stack:
        item = pop()
        if item is leave:
            node = path.pop()
            key = id(node)
            if key in scope_entries:
                scopes.pop()
            done = pending.pop(key, None)
            if done:
                for binding in done:
                    binding.index = counter
            continue
        cls = type(item)
        if path:
            parent = path[-1]
            parent_of[item] = parent
            if cls is name_type and _is_reference(item, parent):
                found = names.get(item.value)
                if found is None:
                    names[item.value] = [item]
                else:
                    found.append(item)
                references.append(item)
                reference_index.append(counter)
        index[item] = counter
        counter += 1
        entered = scope_entries.get(id(item))
        if entered is not None:
            scopes.append(entered)
            scope_of[item] = entered  # the nodes below it: SemanticModel.scope
        scope = scopes[-1]
        path.append(item)
        hook = kept.get(cls)
        if hook is None:
            hook = kept[cls] = cls.__name__ in hooked
        if hook:
            collected.append(item)
        handler = handlers.get(cls)
        if handler is not None:
            b.counter = counter
            handler(b, item, scope)
        push(leave)
        start = len(stack)
        for field_name in fields.get(cls) or child_fields(cls):
            value = getattr(item, field_name)
            vt = type(value)
            if vt is list or vt is tuple:
                for child in value:
                    ct = type(child)
                    enter = table.get(ct)
                    if enter is None:
                        enter = _enters(table, ct, hooked)
                    if enter:
                        push(child)
            else:
                enter = table.get(vt)
                if enter is None:
                    enter = _enters(table, vt, hooked)
                if enter:
                    push(value)
        if len(stack) - start > 1:
            stack[start:] = stack[start:][::-1]
    b.counter = counter
    return model, collected


_LEAVE = object()  # marks, on the walk's stack, where a node's children end
_HOOKED: dict[frozenset[str], dict[type, bool]] = {}


def _hooked_types(hooked: frozenset[str]) -> dict[type, bool]:
    table = _HOOKED.get(hooked)
    if table is None:
        table = _HOOKED[hooked] = {}
    return table


def build_by_walk(module: cst.Module, hooked: frozenset[str] = frozenset()) -> tuple[SemanticModel, list[cst.CSTNode]]:
    """`build` through the generic `walk` and the builder's callbacks: what `build` must
    equal (tests compare them)."""
    model = SemanticModel(module)
    builder = ModelBuilder(model, hooked)
    walk(module, builder.on_visit, builder.on_leave, keep=hooked)
    return model, builder.collected


# -- the walk ------------------------------------------------------------------------------

# Child fields of each node type, in libcst's visiting order.
_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(cls: type) -> tuple[str, ...]:
    """The fields of node type `cls` that hold child nodes, in the order libcst visits
    them. Read from the field-name constants of `_visit_and_replace_children` (each child
    is visited as `visit_*(self, "field", self.field, visitor)`), once per type."""
    found = _FIELDS.get(cls)
    if found is None:
        names = {f.name for f in dataclasses.fields(cls)}
        order: list[str] = []
        for ins in dis.get_instructions(cls._visit_and_replace_children):
            if ins.opname == "LOAD_CONST" and ins.argval in names and ins.argval not in order:
                order.append(ins.argval)
        found = _FIELDS[cls] = tuple(order)
    return found


def trivia_types() -> tuple[type, ...]:
    """Node types that hold no names or values: whitespace, comments, punctuation and
    operators."""
    return (
        cst.BaseParenthesizableWhitespace, cst.TrailingWhitespace, cst.EmptyLine,
        cst.Comment, cst.Newline, cst.LeftParen, cst.RightParen, cst.LeftSquareBracket,
        cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.Comma, cst.Dot,
        cst.Semicolon, cst.Colon, cst.AssignEqual, cst.ImportStar, cst.BaseBinaryOp,
        cst.BaseUnaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseAugOp,
    )


# Per set of hooked type names: node type -> whether the walk enters nodes of it.
_ENTER: dict[frozenset[str], dict[type, bool]] = {}


def _enter_table(keep: frozenset[str]) -> dict[type, bool]:
    table = _ENTER.get(keep)
    if table is None:
        table = _ENTER[keep] = {}
    return table


def _enters(table: dict[type, bool], cls: type, keep: frozenset[str]) -> bool:
    # CSTNode is an ABC, so isinstance on it is slow: decide once per type. When a rule
    # hooks a trivia type (a Comment inside a TrailingWhitespace, say), every trivia node
    # is entered, since the hooked ones can sit inside others.
    verdict = table.get(cls)
    if verdict is None:
        verdict = issubclass(cls, cst.CSTNode)
        if verdict and issubclass(cls, trivia_types()):
            verdict = _hooks_trivia(keep)
        table[cls] = verdict
    return verdict


def _hooks_trivia(keep: frozenset[str]) -> bool:
    trivia = trivia_types()
    return any(
        isinstance(t := getattr(cst, name, None), type) and issubclass(t, trivia) for name in keep
    )


def walk(
    root: cst.CSTNode,
    on_visit: Callable[[cst.CSTNode], object],
    on_leave: Callable[[cst.CSTNode], object],
    keep: frozenset[str] = frozenset(),
) -> None:
    """Call `on_visit` on entering and `on_leave` on leaving every node under `root`
    (itself included), in libcst's order, skipping trivia whose type name is not in
    `keep`. Iterative, so deep nesting does not hit the recursion limit."""
    table = _enter_table(keep)
    fields = _FIELDS
    leave = _Leave
    stack: list = [root]
    pop = stack.pop
    while stack:
        item = pop()
        cls = type(item)
        if cls is leave:
            on_leave(item.node)
            continue
        on_visit(item)
        stack.append(leave(item))
        names = fields.get(cls) or child_fields(cls)
        children: list = []
        for name in names:
            value = getattr(item, name)
            vt = type(value)
            if vt is list or vt is tuple:
                for child in value:
                    ct = type(child)
                    enter = table.get(ct)
                    if enter is None:
                        enter = _enters(table, ct, keep)
                    if enter:
                        children.append(child)
            else:
                enter = table.get(vt)
                if enter is None:
                    enter = _enters(table, vt, keep)
                if enter:
                    children.append(value)
        if children:
            children.reverse()
            stack.extend(children)


class _Leave:
    __slots__ = ("node",)

    def __init__(self, node: cst.CSTNode) -> None:
        self.node = node


def _paired_values(target, value) -> list:
    """The value each element of a tuple or list target receives from a literal of the
    same length without starred items, else None for each."""
    elements = target.elements
    if (
        isinstance(value, (cst.Tuple, cst.List))
        and len(value.elements) == len(elements)
        and not any(isinstance(e, cst.StarredElement) or isinstance(e.value, cst.StarredElement)
                    for e in (*elements, *value.elements))
    ):
        return [e.value for e in value.elements]
    return [None] * len(elements)
