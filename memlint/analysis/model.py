"""The semantic model of one module, built in the engine's single traversal.

It records, for every node, its parent, its pre-order index and its scope; for every scope,
the names bound in it (imports with their dotted origin, assignments with their value).
Rules ask it two questions:

- `qualified_name(expr)`: what `np.memmap`, `mm`, `da.from_array` or `joblib.Parallel`
  refers to, answered from the module's imports, never from the spelling of the last
  attribute;
- `origins(expr)`: which expressions a name (or `self.attr`) may hold at a given point,
  following assignments in the same scope, conservatively across if/else and try/except.

This replaces libcst's scope and qualified-name providers, which cost several parses.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Iterator

import libcst as cst

SCOPE_MODULE = "module"
SCOPE_FUNCTION = "function"
SCOPE_CLASS = "class"
SCOPE_LAMBDA = "lambda"
SCOPE_COMPREHENSION = "comprehension"


@dataclass(eq=False)
class Binding:
    name: str
    kind: str  # import | assign | annassign | augassign | walrus | for | with | param | def | class | except | del | global
    node: cst.CSTNode  # the binding target (or the import alias / def)
    stmt: cst.CSTNode  # the statement (or comprehension clause) that binds it
    index: int  # pre-order index of `node`
    value: cst.BaseExpression | None = None  # the bound expression, when known exactly
    qualname: str | None = None  # imports: the dotted name it refers to
    iterable: cst.BaseExpression | None = None  # for-loops and comprehensions
    item: "tuple[cst.BaseExpression, int] | None" = None  # `a, b = f()`: (f(), position)


@dataclass(eq=False)
class Scope:
    kind: str
    node: cst.CSTNode
    parent: "Scope | None"
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)

    def add(self, binding: Binding) -> None:
        self.bindings.setdefault(binding.name, []).append(binding)


@dataclass(frozen=True)
class Origin:
    """A value an expression may have. `certain` is False when another path may bind
    something else (the rule should say "may")."""

    expr: cst.BaseExpression
    certain: bool
    # The model `expr` belongs to, when the origin was followed out of the asking one
    # (`origins(..., across=True)`); None: the asking model.
    model: "SemanticModel | None" = None


def comprehension_types() -> tuple[type, ...]:
    # A function, not a constant: libcst must not be touched when this module is imported.
    return (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def dotted_name(expr: cst.CSTNode) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(expr, cst.Attribute):
        parts.append(expr.attr.value)
        expr = expr.value
    if isinstance(expr, cst.Name):
        parts.append(expr.value)
        return ".".join(reversed(parts))
    return None


class SemanticModel:
    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.parent: dict[cst.CSTNode, cst.CSTNode] = {}
        self.index: dict[cst.CSTNode, int] = {}
        self.scope_of_node: dict[cst.CSTNode, Scope] = {}
        self.module_scope = Scope(SCOPE_MODULE, module, None)
        # (class node, attribute) -> bindings of `self.attribute = value` inside its methods
        self.attribute_bindings: dict[tuple[cst.CSTNode, str], list[Binding]] = {}
        self.imported_modules: set[str] = set()
        # The defs whose own body yields (generator functions).
        self.generators: set[cst.CSTNode] = set()
        # The values each def's own `return` statements give, in source order.
        self.returns: dict[cst.CSTNode, list[cst.BaseExpression]] = {}
        # def -> the values its `yield`s give (a `yield from x` gives x's items: (x, True)).
        self.yields: dict[cst.CSTNode, list[tuple[cst.BaseExpression, bool]]] = {}
        # Every Name node by identifier, in source order (uses and targets alike).
        self.names: dict[str, list[cst.Name]] = {}
        # The same Name nodes all together in source order, with their pre-order indices.
        self.references: list[cst.Name] = []
        self.reference_index: list[int] = []
        # Answers remembered once the model is built (rules ask the same questions of the
        # same names many times: `np` in every call of a large module).
        self._qualified: dict[cst.CSTNode, str | None] = {}
        self._reaching: dict[tuple[int, cst.CSTNode], tuple[list[Binding], list[Binding]]] = {}
        self._chains: dict[cst.CSTNode, list[cst.CSTNode]] = {}
        self._spans: dict = {}
        # The project index the model may ask about other modules (memlint.index), the
        # file it was built from, and whether it holds the whole module (the first pass
        # builds one of the statements that can matter only).
        self.project = None
        self.path: str | None = None
        self.complete = True

    def attach(self, project, path: str | None, *, complete: bool) -> None:
        self.project = project
        self.path = path
        self.complete = complete

    # -- structure ---------------------------------------------------------------------
    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        parent = self.parent.get(node)
        while parent is not None:
            yield parent
            parent = self.parent.get(parent)

    def enclosing(self, node: cst.CSTNode, types: type | tuple[type, ...]) -> cst.CSTNode | None:
        for anc in self.ancestors(node):
            if isinstance(anc, types):
                return anc
        return None

    def statement_of(self, node: cst.CSTNode) -> cst.CSTNode:
        """The innermost statement containing `node` (a SimpleStatementLine or a compound
        statement's header)."""
        current = node
        for anc in self.ancestors(node):
            if isinstance(anc, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
                return anc
            current = anc
        return current

    def scope(self, node: cst.CSTNode) -> Scope:
        """The scope `node` is in: that of the nearest node at or above it where a scope
        starts (a def's parameters or body, a class body, a comprehension; the builder
        records only those), else the module's."""
        scopes = self.scope_of_node
        found = scopes.get(node)
        if found is not None:
            return found
        parent = self.parent
        path = [node]
        current = parent.get(node)
        while current is not None:
            found = scopes.get(current)
            if found is not None:
                break
            path.append(current)
            current = parent.get(current)
        found = found or self.module_scope
        for n in path:
            scopes[n] = found  # asked again for the nodes around it
        return found

    def in_loop(self, node: cst.CSTNode) -> cst.CSTNode | None:
        """The innermost for/while loop (in the same function) or comprehension whose body
        holds `node`; None when the node runs once per call of its function."""
        child = node
        for anc in self.ancestors(node):
            if isinstance(anc, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
                return None
            if isinstance(anc, cst.For) and child is not anc.iter and child is not anc.target:
                return anc
            if isinstance(anc, cst.While) and child is not anc.test:
                return anc
            if isinstance(anc, comprehension_types()):
                return anc
            child = anc
        return None

    def invariant_loop(self, value: cst.BaseExpression) -> cst.CSTNode | None:
        """The outermost loop or comprehension around `value` (in its function) in which the
        name or `self` attribute `value` is the same object on every iteration: nothing in
        it binds the name (a binding later in the body reaches the next iteration too).
        None when `value` is in no loop, or the innermost one rebinds it."""
        if isinstance(value, cst.Name):
            nodes = [b.node for b in self.lookup(value.value, value)[1]]
        elif self._is_self_attribute(value):
            nodes = [b.node for b in self.self_attribute_bindings(value)]
        else:
            return None
        chosen = None
        loop = self.in_loop(value)
        while loop is not None:
            start, end = self.span(loop)
            if any(start <= self.index.get(n, -1) <= end for n in nodes):
                break
            chosen = loop
            loop = self.in_loop(loop)
        return chosen

    # -- names -------------------------------------------------------------------------
    def lookup(self, name: str, at: cst.CSTNode) -> tuple[Scope | None, list[Binding]]:
        """The scope a name used at `at` resolves to, and its bindings there."""
        scope = self.scope(at)
        start = scope
        while scope is not None:
            if name in scope.globals and scope is not self.module_scope:
                # (`global x` at module level names the module scope itself.)
                scope = self.module_scope
                continue
            # Class bodies are not visible from functions nested in them.
            if scope.kind == SCOPE_CLASS and scope is not start:
                scope = scope.parent
                continue
            found = scope.bindings.get(name)
            if found:
                return scope, found
            scope = scope.parent
        return None, []

    def qualified_name(self, expr: cst.CSTNode) -> str | None:
        """The dotted name an expression refers to through the module's imports, e.g.
        `np.memmap` -> "numpy.memmap", `mm` (from numpy import memmap as mm) ->
        "numpy.memmap". Also follows simple aliases like `P = joblib.Parallel`."""
        found = self._qualified.get(expr, self)
        if found is self:
            found = self._qualified_name(expr, 0)
            if found is not None and self.project is not None:
                found = self._in_project(found)
            elif found is not None and found.startswith("."):
                found = None  # a relative import, with nothing to resolve it against
            self._qualified[expr] = found
        return found

    def _in_project(self, qualname: str) -> str | None:
        """An absolute name for a relative import's, and a project name that re-exports a
        library's (`from .common import np`) as the library's."""
        memo = self.__dict__.setdefault("_project_names", {})  # many nodes, few names
        found = memo.get(qualname, memo)
        if found is not memo:
            return found
        project = self.project
        name = qualname
        if name.startswith("."):
            name = project.absolute(name, self.path)
        if name is not None and project.is_project(name):
            name = project.canonical(name)
        memo[qualname] = name
        return name

    def _qualified_name(self, expr: cst.CSTNode, depth: int) -> str | None:
        if depth > 8:
            return None
        if isinstance(expr, cst.Attribute):
            base = self._qualified_name(expr.value, depth)
            return f"{base}.{expr.attr.value}" if base else None
        if isinstance(expr, cst.Name):
            _, bindings = self.lookup(expr.value, expr)
            if not bindings:
                return None
            reaching = self.reaching(bindings, expr)
            names = set()
            for b in reaching:
                if b.kind == "import":
                    names.add(b.qualname)
                elif b.kind in ("assign", "annassign") and _is_none(b.value):
                    # `try: import numpy as np / except ImportError: np = None`: calling
                    # through None would fail, so the import is the only meaningful value.
                    continue
                elif b.kind in ("assign", "annassign") and isinstance(
                    b.value, (cst.Name, cst.Attribute)
                ):
                    names.add(self._qualified_name(b.value, depth + 1))
                else:
                    return None
            return names.pop() if len(names) == 1 else None
        return None

    def uses_of(self, binding: Binding) -> list[cst.Name]:
        """Name nodes (other than the target) whose value may come from `binding`."""
        out = []
        for name in self._names_in_scope_of(binding):
            if name is binding.node:
                continue
            _, bindings = self.lookup(name.value, name)
            if binding in bindings and binding in self.reaching(bindings, name):
                out.append(name)
        return out

    def _names_in_scope_of(self, binding: Binding) -> list[cst.Name] | tuple:
        """The Name nodes spelled like `binding` that can see it: all of the module's for a
        module-level binding, else those inside its scope's node (found by binary search:
        `names` is in source order, and a node's descendants are the nodes indexed after
        it, up to its last descendant)."""
        names = self.names.get(binding.name, ())
        if len(names) < 16:
            return names
        scope = self.scope(binding.node)
        while scope is not None and binding not in scope.bindings.get(binding.name, ()):
            scope = scope.parent  # a walrus in a comprehension, a name declared global
        if scope is None or scope is self.module_scope:
            return names
        key = ("indices", binding.name)
        indices = self._spans.get(key)
        if indices is None or len(indices) != len(names):
            indices = self._spans[key] = [self.index[n] for n in names]
        start, end = self.span(scope.node)
        return names[bisect.bisect_right(indices, start - 1):bisect.bisect_right(indices, end)]

    def references_within(self, node: cst.CSTNode) -> list[cst.Name]:
        """The Name nodes under `node` that name variables (not attribute names, argument
        keywords or the names defs, parameters and imports introduce), in source order."""
        start, end = self.span(node)
        if start < 0:
            return []
        indices = self.reference_index
        return self.references[bisect.bisect_left(indices, start):bisect.bisect_right(indices, end)]

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        """The pre-order indices of `node` and of its last descendant: its descendants are
        exactly the nodes indexed in between."""
        span = self._spans.get(node)
        if span is None:
            last = node
            # The walk skips whitespace and punctuation: the last descendant is the last
            # node it indexed.
            while True:
                indexed = [c for c in last.children if c in self.index]
                if not indexed:
                    break
                last = indexed[-1]
            span = self._spans[node] = (self.index.get(node, -1), self.index.get(last, -1))
        return span

    def is_call_to(self, node: cst.CSTNode, *qualnames: str) -> bool:
        return isinstance(node, cst.Call) and self.qualified_name(node.func) in qualnames

    # -- values ------------------------------------------------------------------------
    def reaching(self, bindings: list[Binding], at: cst.CSTNode) -> list[Binding]:
        """The bindings that may supply the value of a name at `at`, newest first.

        Bindings after the use are ignored unless the binding scope is an enclosing one
        (a function runs after its module finished binding). Walking back from the use,
        collection stops at the first binding that happens on every path to the use.
        """
        # `bindings` is usually a scope's own list for the name (what `lookup` returns);
        # the entry keeps the list alive, so its id cannot be reused by another.
        key = (id(bindings), at)
        entry = self._reaching.get(key)
        if entry is None:
            entry = self._reaching[key] = (bindings, self._reaching_uncached(bindings, at))
        return list(entry[1])

    def _reaching_uncached(self, bindings: list[Binding], at: cst.CSTNode) -> list[Binding]:
        scope_node = None
        if bindings:
            scope_node = self._scope_node_for(bindings[0])
        # A comprehension runs where it stands: a name of an enclosing scope used inside it
        # is read at the comprehension's place in that scope.
        scope_at = self.scope(at)
        while (scope_at.kind == SCOPE_COMPREHENSION and scope_at.node is not scope_node
               and scope_at.parent is not None):
            at = scope_at.node
            scope_at = scope_at.parent
        use_index = self.index.get(at, 1 << 60)
        same_scope = scope_node is not None and scope_at.node is scope_node
        # Comprehension targets are bound by clauses that follow the element in the source.
        if same_scope and scope_at.kind != SCOPE_COMPREHENSION:
            candidates = [b for b in bindings if b.index < use_index]
        else:
            candidates = list(bindings)
        result: list[Binding] = []
        covered_ifs: dict[cst.If, set[int]] = {}
        covered_tries: dict[cst.Try, set[object]] = {}
        use_chain_list = self._branch_chain(at) if same_scope else []
        use_chain = set(use_chain_list)
        for b in reversed(candidates):
            if b.kind in ("global", "del"):
                continue
            full_chain = self._branch_chain(b.node)
            if same_scope and self._exclusive_branches(full_chain, use_chain_list):
                continue  # bound in another branch of an if/elif/else or try/except
            result.append(b)
            chain = [n for n in full_chain if n not in use_chain]
            if not chain:
                break
            if self._if_fully_covered(b, chain, covered_ifs):
                break
            if self._try_fully_covered(chain, covered_tries):
                break
        return result

    def _exclusive_branches(self, b_chain: list[cst.CSTNode], use_chain: list[cst.CSTNode]) -> bool:
        """True when the binding and the use sit in different branches of one if/elif/else
        chain (or in different handlers of one try), with no loop around both that could
        carry the value from one iteration to the next."""
        common = set(b_chain) & set(use_chain)
        if any(isinstance(n, (cst.For, cst.While)) for n in common):
            return False
        use_tops = {}
        for n in use_chain:
            top = self._branch_group(n)
            if top is not None:
                use_tops[top[0]] = top[1]
        for n in b_chain:
            top = self._branch_group(n)
            if top is not None and top[0] in use_tops and use_tops[top[0]] is not top[1]:
                return True
        return False

    def _branch_group(self, branch: cst.CSTNode) -> tuple[cst.CSTNode, cst.CSTNode] | None:
        """(the construct, the branch) for a branch of an if-chain or an except handler."""
        if isinstance(branch, cst.ExceptHandler):
            return self.parent.get(branch), branch
        if isinstance(branch, cst.Else) and not isinstance(self.parent.get(branch), cst.If):
            return None
        top, _ = self._if_chain(branch)
        return (top, branch) if top is not None else None

    def _try_fully_covered(self, chain: list[cst.CSTNode], covered: dict[cst.Try, set[object]]) -> bool:
        """True once the try body (or its else) and every except handler bind the name
        directly: whichever way the try ends, the older value is gone."""
        if len(chain) != 1:
            return False
        node = chain[0]
        if isinstance(node, cst.Try):
            tr, key = node, "body"
        elif isinstance(node, cst.ExceptHandler) and isinstance(self.parent.get(node), cst.Try):
            tr, key = self.parent[node], node
        elif isinstance(node, cst.Else) and isinstance(self.parent.get(node), cst.Try):
            tr, key = self.parent[node], "body"
        else:
            return False
        seen = covered.setdefault(tr, set())
        seen.add(key)
        return bool(tr.handlers) and "body" in seen and all(h in seen for h in tr.handlers)

    def _if_fully_covered(
        self, b: Binding, chain: list[cst.CSTNode], covered: dict[cst.If, set[int]]
    ) -> bool:
        """True once every branch of an if/elif/else chain binds the name (so nothing older
        can reach the use). Only for a binding directly in a branch, not nested deeper."""
        if len(chain) != 1:
            return False
        branch = chain[0]
        top, branches = self._if_chain(branch)
        if top is None:
            return False
        seen = covered.setdefault(top, set())
        for i, br in enumerate(branches):
            if br is branch:
                seen.add(i)
        return isinstance(branches[-1], cst.Else) and len(seen) == len(branches)

    def _if_chain(self, branch: cst.CSTNode) -> tuple[cst.If | None, list[cst.CSTNode]]:
        # Climb to the outermost `if` of an if/elif chain containing `branch`.
        node = branch if isinstance(branch, cst.If) else self.parent.get(branch)
        if not isinstance(node, cst.If):
            return None, []
        top = node
        while isinstance(self.parent.get(top), cst.If) and self.parent[top].orelse is top:
            top = self.parent[top]
        branches: list[cst.CSTNode] = []
        cur: cst.CSTNode | None = top
        while isinstance(cur, cst.If):
            branches.append(cur)
            cur = cur.orelse
        if isinstance(cur, cst.Else):
            branches.append(cur)
        return top, branches

    def _scope_node_for(self, b: Binding) -> cst.CSTNode:
        return self.scope(b.node).node

    def conditional(self, node: cst.CSTNode) -> bool:
        """Whether `node` runs on some paths of its scope only (in a branch or a loop; a
        `try` body, which runs up to an exception, does not count)."""
        return any(type(n) is not cst.Try for n in self._branch_chain(node))

    def _branch_chain(self, node: cst.CSTNode) -> list[cst.CSTNode]:
        """Conditional constructs between `node` and its scope, innermost first. For an
        `if`, the If/Else node of the branch is listed (not the test)."""
        chains = self._chains
        chain = chains.get(node)
        if chain is not None:
            return chain
        # chain(node) is what its parent adds, then chain(parent): walk up to a node whose
        # chain is known (or to the scope), then fill the chains in on the way down.
        kinds = _chain_kinds()
        path: list[cst.CSTNode] = []
        current = node
        while True:
            path.append(current)
            parent = self.parent.get(current)
            if parent is None or type(parent) in kinds[0]:
                chain = []
                break
            known = chains.get(parent)
            if known is not None:
                chain = known
                break
            current = parent
        for child in reversed(path):
            parent = self.parent.get(child)
            if parent is not None and type(parent) not in kinds[0] and _adds(parent, child, kinds):
                chain = [parent, *chain]
            chains[child] = chain
        return chains[node]

    def origins(self, expr: cst.BaseExpression, *, depth: int = 0, across: bool = False) -> list[Origin]:
        """The expressions `expr` may evaluate to, following names and `self.attr` to
        their assigned values (recursively). Unknown sources (parameters, unpacking, loop
        variables over non-literals) yield nothing; an expression that is not a name
        yields itself.

        `across`: also follow what the module alone does not say, through the project
        index (memlint.analysis.reach): the return values of the project's functions
        and methods called, the attributes base classes assign, properties, and the
        arguments a parameter receives from its calls. Each origin then names its model."""
        return self._origins(expr, True, depth, set(), across)

    def _origins(
        self, expr: cst.BaseExpression, certain: bool, depth: int, seen: set[int],
        across: bool = False,
    ) -> list[Origin]:
        if depth > 12 or id(expr) in seen:
            return []
        seen = seen | {id(expr)}
        expr = strip_parens(expr)
        here = self if across else None
        if isinstance(expr, cst.Name) and expr.value in ("None", "True", "False"):
            return [Origin(expr, certain, here)]
        if isinstance(expr, cst.Name):
            _, bindings = self.lookup(expr.value, expr)
            if not bindings:
                return []
            reaching = self.reaching(bindings, expr)
            sure = certain and len(reaching) == 1
            out: list[Origin] = []
            for b in reaching:
                out.extend(self._binding_origins(b, sure, depth, seen, across))
            return out
        if self._is_self_attribute(expr):
            bindings = self.self_attribute_bindings(expr)
            sure = certain and len(bindings) == 1
            out = []
            for b in bindings:
                if b.value is not None:
                    out.extend(self._origins(b.value, sure, depth + 1, seen, across))
            if not bindings and across:
                from memlint.analysis import reach

                return self._followed(reach.attribute(expr, self, certain), depth, seen)
            return out
        if isinstance(expr, cst.NamedExpr):
            return self._origins(expr.value, certain, depth + 1, seen, across)
        if isinstance(expr, cst.IfExp):
            # `a if cond else b`: either one, neither for sure.
            return self._origins(expr.body, False, depth + 1, seen, across) + self._origins(
                expr.orelse, False, depth + 1, seen, across
            )
        if across and isinstance(expr, cst.Call):
            from memlint.analysis import reach

            returned = reach.returns(expr, self, certain)
            if returned is not None:
                return self._followed(returned, depth, seen)
        return [Origin(expr, certain, here)]

    def _followed(self, found: list[Origin], depth: int, seen: set[int]) -> list[Origin]:
        """The origins of each expression found in another scope (or module), in its model."""
        out: list[Origin] = []
        for origin in found:
            model = origin.model or self
            out.extend(model._origins(origin.expr, origin.certain, depth + 1, seen, True))
        return out

    def _binding_origins(
        self, b: Binding, certain: bool, depth: int, seen: set[int], across: bool = False
    ) -> list[Origin]:
        if b.kind in ("assign", "annassign", "walrus") and b.value is not None:
            return self._origins(b.value, certain, depth + 1, seen, across)
        if b.kind == "for" and b.iterable is not None:
            # `for x in [a, b]`: x may be any element of a literal sequence.
            it = strip_parens(b.iterable)
            if isinstance(b.node, cst.Name) and isinstance(it, (cst.List, cst.Tuple, cst.Set)):
                out: list[Origin] = []
                for el in it.elements:
                    if isinstance(el, cst.Element):
                        out.extend(self._origins(el.value, False, depth + 1, seen, across))
                return out
        if b.kind == "assign" and b.value is None and b.item is not None:
            # `data, header = load(path)`: item i of each tuple the value may be.
            whole, index = b.item
            out = []
            for origin in self._origins(whole, certain, depth + 1, seen, across):
                tup = strip_parens(origin.expr)
                if isinstance(tup, (cst.Tuple, cst.List)) and index < len(tup.elements) and not any(
                    isinstance(e, cst.StarredElement) for e in tup.elements
                ):
                    model = origin.model or self
                    out.extend(model._origins(tup.elements[index].value, origin.certain, depth + 1, seen, across))
            return out
        if b.kind == "param" and across:
            from memlint.analysis import reach

            found = reach.arguments(b, self)
            if found and not certain:
                found = [Origin(o.expr, False, o.model) for o in found]
            return self._followed(found, depth, seen)
        return []

    @staticmethod
    def _is_self_attribute(expr: cst.CSTNode) -> bool:
        return (
            isinstance(expr, cst.Attribute)
            and isinstance(expr.value, cst.Name)
            and expr.value.value == "self"
        )

    def self_attribute_bindings(self, expr: cst.Attribute) -> list[Binding]:
        cls = self.enclosing(expr, cst.ClassDef)
        if cls is None:
            return []
        return self.attribute_bindings.get((cls, expr.attr.value), [])


_KINDS: tuple | None = None


def _chain_kinds() -> tuple:
    """(node types that end a branch chain: scopes; types always listed in one; types
    listed when the node sits in their body). Exact types: libcst's node classes are ABCs,
    so isinstance on them is slow, and these concrete classes are never subclassed."""
    global _KINDS
    if _KINDS is None:
        _KINDS = (
            frozenset({cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.Module, *comprehension_types()}),
            frozenset({cst.Else, cst.ExceptHandler, cst.Finally, cst.MatchCase, cst.IfExp,
                       cst.BooleanOperation}),
            frozenset({cst.If, cst.For, cst.While}),
        )
    return _KINDS


def _adds(parent: cst.CSTNode, child: cst.CSTNode, kinds: tuple) -> bool:
    """Whether `parent` is a branch of the chain of its child `child`."""
    kind = type(parent)
    if kind in kinds[1]:
        return True
    if kind in kinds[2]:
        return child is parent.body
    if kind is cst.Try:
        # With only a `finally`, an exception in the body never reaches the use.
        return child is parent.body and bool(parent.handlers)
    return False


def _is_none(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def strip_parens(expr: cst.BaseExpression) -> cst.BaseExpression:
    # libcst keeps parentheses on the node itself (lpar/rpar), so nothing to unwrap;
    # kept as one place to extend if wrappers ever need peeling.
    return expr
