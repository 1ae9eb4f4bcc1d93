from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from memlint.analysis import ray
from memlint.engine.rule import DeleteStatement, FixSpec, Invalid, Replace, Rule, Valid

ACCUMULATED = "accumulated"
COMPREHENSION = "comprehension"
CONCATENATION = "concatenation"

_HOW = {
    ACCUMULATED: "a list filled in a loop",
    COMPREHENSION: "a list comprehension",
    CONCATENATION: "a list concatenation",
}
_GROW_METHODS = ("append", "extend", "insert")


_SMALL_BUILTINS = ("len", "int", "float", "str", "bool", "round", "abs", "hash", "id", "repr",
                   "ord", "chr", "bytes")


@dataclass(frozen=True)
class BuiltList:
    kind: str
    certain: bool
    binding: object = None  # the `name = [...]` binding of an accumulated list
    # The expressions that become its items, when every one of them is known.
    items: tuple | None = None


class RemoteReturnsList(Rule):
    """
    ## What it does
    Finds a Ray remote function (or actor method) that returns a list it built in its
    body: a list filled by `.append`/`.extend`/`+=` in a loop, a list comprehension, or a
    concatenation such as `[header] + parts`. It recognizes `@ray.remote`,
    `@ray.remote(...)`, `ray.remote(f)`, `ray.remote(**options)(f)` and methods of
    `@ray.remote` classes, with `ray` imported under any name.

    ## Why is this bad?
    The worker holds every item of the list in its heap until the task returns, and only
    then does Ray copy them into the object store. A task that returns many large values
    (data frame partitions, arrays) peaks at the size of all of them together and can be
    killed for running out of memory. A remote generator (`yield` each item) lets Ray store
    each value and free it before the next one is built: this is Ray's "Using generators to
    reduce heap memory usage" pattern, and what Modin did for `_deploy_ray_func`
    (issue #7004, PR #7005, Modin 0.29.0).

    ## Example
    ```python
    import ray

    @ray.remote
    def split(df, n):
        parts = []
        for i in range(n):
            parts.append(df.iloc[i::n].copy())
        return parts
    ```

    ## Use instead
    ```python
    import ray

    @ray.remote
    def split(df, n):
        for i in range(n):
            yield df.iloc[i::n].copy()
    ```
    Callers that set `num_returns=n` (on the decorator or with `.options(...)`) keep
    working unchanged: the generator must yield exactly that many values. Without
    `num_returns`, `.remote()` returns a generator of refs, one per item.

    ## Fix safety
    The fix is unsafe: it turns the function into a generator, so callers that do not set
    `num_returns` receive a generator of refs instead of one ref to a list. It is offered
    when the list is only appended to (or extended) and then returned as the function's last
    statement: each `append(x)` becomes `yield x` (`extend(xs)` becomes `yield from xs`)
    and the list and the return are removed; a returned list comprehension becomes
    `yield from (...)`. The function must have no other `return` with a value.

    Not reported: functions that already `yield`, that return a call (such as a generator
    helper, like Modin's `remote_executor.construct(...)`), or that return a fixed tuple or
    list display such as `return len(df.index), len(df.columns)`; lists whose items are all
    obviously small (numbers, strings, `len(...)`, refs from `ray.put` or `.remote()`);
    dunder methods of an actor and methods the actor only calls itself (`self.helper()`),
    whose return value never goes through Ray.

    ## Affected versions
    Every Ray version: a returned list is always built in full on the worker's heap.
    Generators with a caller-set `num_returns` work in Ray 2.x; plain generator tasks
    (streaming, `ObjectRefGenerator`) are the default in current Ray.

    ## References
    - [Ray pattern: Using generators to reduce heap memory usage](https://docs.ray.io/en/latest/ray-core/patterns/generators.html)
    - [Ray Generators](https://docs.ray.io/en/latest/ray-core/ray-generator.html)
    - [Modin #7004: use generators when returning from _deploy_ray_func](https://github.com/modin-project/modin/issues/7004)
    - [Modin PR #7005](https://github.com/modin-project/modin/pull/7005)
    """

    code = "MEM401"
    name = "remote-returns-list"
    summary = "Ray remote function builds and returns a whole list instead of yielding its items"
    libraries = ("ray",)
    # "import ray" / "from ray", not "ray": every "array" holds that.
    triggers = ((b"import ray", b"remote", b"return"), (b"from ray", b"remote", b"return"))
    # Every method of an actor class runs remotely: the first pass keeps classes whole.
    partial_classes = False
    fix_availability = "sometimes"

    valid = (
        Valid(
            """
            import ray

            @ray.remote
            def deploy(result, ip):
                for r in result:
                    for item in [r, len(r), len(r.columns), ip]:
                        yield item
            """,
            note="Modin's fixed _deploy_ray_func: a generator",
        ),
        Valid(
            """
            import ray

            @ray.remote(num_returns=4)
            def remote_exec_func(obj, remote_executor=None):
                return remote_executor.construct(obj)
            """,
            note="returns a generator helper's result (Modin's deferred_execution.py)",
        ),
        Valid(
            """
            import ray

            @ray.remote(num_returns=2)
            def index_and_columns(df):
                return len(df.index), len(df.columns)
            """,
            note="a fixed small tuple of scalars",
        ),
        Valid(
            """
            import ray

            def split(df, n):
                parts = []
                for i in range(n):
                    parts.append(df.iloc[i::n])
                return parts
            """,
            note="not a remote function",
        ),
        Valid(
            """
            import ray

            @ray.remote
            def task(xs):
                def helper():
                    return [x * 2 for x in xs]
                return sum(helper())
            """,
            note="the list belongs to a nested helper, and the task returns a scalar",
        ),
        Valid(
            """
            import ray

            @ray.remote
            def pair(a, b):
                return [a, b]
            """,
            note="a fixed list display",
        ),
        Valid(
            """
            from mylib import remote

            @remote
            def split(df, n):
                return [df.iloc[i::n] for i in range(n)]
            """,
            note="`remote` is not Ray's",
        ),
        Valid(
            """
            import ray

            @ray.remote
            def total(xs):
                out = []
                for x in xs:
                    out.append(x)
                return len(out)
            """,
        ),
        Valid(
            """
            import ray

            @ray.remote
            class Worker:
                def __init__(self):
                    self.items = []

                def add(self, x):
                    self.items.append(x)
                    return None
            """,
        ),
        Valid(
            """
            import ray

            @ray.remote
            def create_refs(n):
                refs = []
                for _ in range(n):
                    refs.append(ray.put(1))
                return refs

            @ray.remote
            def sizes(parts):
                return [len(p) for p in parts]

            @ray.remote
            def squares(n):
                out = []
                for i in range(n):
                    out += [i * i, (i, str(i))]
                return out
            """,
            note="obviously small items: refs, counts, numbers (Ray's ray_perf.py shape)",
        ),
        Valid(
            """
            import ray

            @ray.remote
            class Reader:
                def _split(self, rows):
                    return [r for r in rows if r]

                def read(self, rows):
                    return len(self._split(rows))
            """,
            note="a helper the actor calls itself: its list never goes through Ray",
        ),
    )
    invalid = (
        Invalid(
            """
            import ray

            @ray.remote
            def deploy(result, ip):
                return [i for r in result for i in [r, len(r), len(r.columns), ip]]
            """,
            lines=[5],
            message="list comprehension",
            fixed="""
            import ray

            @ray.remote
            def deploy(result, ip):
                yield from (i for r in result for i in [r, len(r), len(r.columns), ip])
            """,
            unsafe=True,
            note="Modin's _deploy_ray_func before PR #7005",
        ),
        Invalid(
            """
            import ray

            @ray.remote(num_returns=3)
            def split(df, n):
                parts = []  # one per chunk
                for i in range(n):
                    chunk = df.iloc[i::n]
                    parts.append(chunk.copy())
                return parts
            """,
            lines=[9],
            message="filled in a loop",
            fixed="""
            import ray

            @ray.remote(num_returns=3)
            def split(df, n):
                for i in range(n):
                    chunk = df.iloc[i::n]
                    yield chunk.copy()
            """,
            unsafe=True,
        ),
        Invalid(
            """
            import ray as r

            def shuffle_map(block, n):
                slices = []
                for i in range(n):
                    slices.append(block[i::n])
                return [len(block)] + slices

            shuffle_map_remote = r.remote(num_cpus=1)(shuffle_map)
            """,
            lines=[7],
            message="concatenation",
            note="Ray Data's old _shuffle_map shape, made remote by a call",
        ),
        Invalid(
            """
            from ray import remote

            def embed(model, texts):
                vectors = model.encode(texts)
                return [v.tolist() for v in vectors]

            embed_task = remote(embed)
            """,
            lines=[5],
            fixed="""
            from ray import remote

            def embed(model, texts):
                vectors = model.encode(texts)
                yield from (v.tolist() for v in vectors)

            embed_task = remote(embed)
            """,
            unsafe=True,
        ),
        Invalid(
            """
            import ray

            @ray.remote
            class Loader:
                def load(self, paths):
                    frames = []
                    for p in paths:
                        frames += [read(p)]
                    return frames
            """,
            lines=[9],
            message="actor method `Loader.load`",
            note="`+=` has no fix: only appends are rewritten",
        ),
        Invalid(
            """
            import ray

            @ray.remote
            def maybe(xs, flag):
                if flag:
                    out = []
                    for x in xs:
                        out.extend(x)
                else:
                    out = None
                return out
            """,
            lines=[11],
            message="may return",
        ),
        Invalid(
            """
            import ray

            @ray.remote
            def chunks(data, n):
                out = []
                for i in range(n):
                    out.append(data[i])
                    out.extend(x for x in data[i])
                return out
            """,
            lines=[9],
            fixed="""
            import ray

            @ray.remote
            def chunks(data, n):
                for i in range(n):
                    yield data[i]
                    yield from (x for x in data[i])
            """,
            unsafe=True,
        ),
    )

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is None:
            return
        model = self.ctx.model
        remote = ray.enclosing_remote(node, model)
        if remote is None or ray.is_generator(remote.func, model):
            return
        built = self._built_list(node.value, remote.func, 0)
        if built is None:
            return
        if built.items is not None and all(self._small(i, 0) for i in built.items):
            return  # counts, flags, refs: nothing worth streaming
        verb = "returns" if built.certain else "may return"
        message = (
            f"The {remote.label} {verb} {_HOW[built.kind]}: the worker holds every item in "
            "its heap until the task ends. Yield the items instead, so Ray stores and frees "
            "them one at a time (Ray's generator pattern; Modin #7004); this saves memory only "
            "when each item is also produced as it is yielded, not built all beforehand "
            "(Modin's PR #7005 made the producer a generator too)."
        )
        self.report(node, message, fix=self._fix(node, remote.func, built))

    # -- what the return builds ------------------------------------------------------------
    def _built_list(self, expr: cst.BaseExpression, func: cst.FunctionDef, depth: int) -> BuiltList | None:
        if depth > 6:
            return None
        model = self.ctx.model
        if isinstance(expr, cst.ListComp):
            return BuiltList(COMPREHENSION, True, items=(expr.elt,))
        if (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Name)
            and expr.func.value == "list"
            and not model.lookup("list", expr.func)[1]
            and len(expr.args) == 1
            and isinstance(expr.args[0].value, (cst.GeneratorExp, cst.ListComp))
        ):
            return BuiltList(COMPREHENSION, True, items=(expr.args[0].value.elt,))
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            sides = (expr.left, expr.right)
            displays = [isinstance(s, cst.List) for s in sides]
            built = [self._built_list(s, func, depth + 1) for s in sides]
            if any(built) or (any(displays) and not all(displays)):
                certain = all(b.certain for b in built if b)
                return BuiltList(CONCATENATION, certain)
            return None
        if isinstance(expr, cst.Name):
            return self._built_name(expr, func, depth)
        return None

    def _built_name(self, name: cst.Name, func: cst.FunctionDef, depth: int) -> BuiltList | None:
        model = self.ctx.model
        scope, bindings = model.lookup(name.value, name)
        if scope is None or scope.node is not func:
            return None
        found: list[BuiltList] = []
        others = 0
        for b in model.reaching(bindings, name):
            if b.kind == "augassign":
                continue  # `+=`: the list it grows is bound elsewhere
            value = b.value if b.kind in ("assign", "annassign", "walrus") else None
            result = None
            if isinstance(value, cst.List):
                sites = self._growth(b, func, name)
                if sites:
                    result = BuiltList(ACCUMULATED, True, b, _added_items(value, sites, model))
            elif value is not None:
                result = self._built_list(value, func, depth + 1)
            if result is None:
                others += 1
            else:
                found.append(result)
        if not found:
            return None
        first = found[0]
        certain = others == 0 and len(found) == 1 and first.certain
        items: tuple | None = ()
        for f in found:
            items = None if items is None or f.items is None else items + f.items
        return BuiltList(first.kind, certain, first.binding, items)

    def _growth(self, binding, func: cst.FunctionDef, at: cst.CSTNode) -> list[cst.Name]:
        """The uses that grow the list (`.append`, `.extend`, `.insert`, `+=`), when at least
        one of them is in a loop before `at` (or in a loop holding `at`); else nothing."""
        model = self.ctx.model
        sites = []
        looped = False
        for use in ray.uses_within(binding, func, model):
            if _grow_call(use, model) is None and not _aug_added(use, model):
                continue
            sites.append(use)
            loop = model.in_loop(use)
            if ray.function_of(use, model) is not func or loop is None:
                continue
            if model.index[use] > model.index[at] and not ray.inside(at, loop, model):
                continue
            looped = True
        return sites if looped else []

    def _small(self, expr: cst.BaseExpression, depth: int) -> bool:
        """Whether an item is obviously small: a literal, a count, a flag, a ref."""
        model = self.ctx.model
        if depth > 6:
            return False
        if isinstance(expr, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString,
                             cst.ConcatenatedString, cst.FormattedString, cst.Comparison)):
            return True
        if isinstance(expr, cst.Name) and expr.value in ("None", "True", "False"):
            return True
        if isinstance(expr, cst.UnaryOperation):
            return self._small(expr.expression, depth + 1)
        if isinstance(expr, (cst.BinaryOperation, cst.BooleanOperation)):
            return self._small(expr.left, depth + 1) and self._small(expr.right, depth + 1)
        if isinstance(expr, cst.Tuple):
            return all(isinstance(el, cst.Element) and self._small(el.value, depth + 1)
                       for el in expr.elements)
        if isinstance(expr, cst.Call):
            if ray.is_put(expr, model) or ray.is_remote_call(expr):
                return True
            func = expr.func
            return (isinstance(func, cst.Name) and func.value in _SMALL_BUILTINS
                    and not model.lookup(func.value, func)[1])
        if isinstance(expr, cst.Name):
            _, bindings = model.lookup(expr.value, expr)
            reaching = model.reaching(bindings, expr) if bindings else []
            return bool(reaching) and all(self._small_binding(b, depth) for b in reaching)
        return False

    def _small_binding(self, b, depth: int) -> bool:
        if b.kind == "for" and isinstance(b.node, cst.Name):
            it = b.iterable
            return (isinstance(it, cst.Call) and isinstance(it.func, cst.Name)
                    and it.func.value == "range" and not self.ctx.model.lookup("range", it.func)[1])
        if b.kind in ("assign", "annassign", "walrus") and b.value is not None:
            return self._small(b.value, depth + 1)
        return False

    # -- fix -------------------------------------------------------------------------------
    def _fix(self, ret: cst.Return, func: cst.FunctionDef, built: BuiltList) -> FixSpec | None:
        model = self.ctx.model
        if func.asynchronous is not None or not built.certain:
            return None
        line = model.parent.get(ret)
        block = func.body
        if (
            not isinstance(line, cst.SimpleStatementLine)
            or len(line.body) != 1
            or not isinstance(block, cst.IndentedBlock)
            or not block.body
            or block.body[-1] is not line
        ):
            return None  # the return must be the function's last statement
        if any(r is not ret and r.value is not None for r in ray.own_nodes(func, cst.Return, model)):
            return None
        if isinstance(ret.value, cst.ListComp):
            gen = cst.GeneratorExp(
                elt=ret.value.elt, for_in=ret.value.for_in,
                lpar=[cst.LeftParen()], rpar=[cst.RightParen()],
            )
            return FixSpec(
                "unsafe",
                "Yield the items instead of returning a list",
                [Replace(ret, f"yield from {self.ctx.code_for(gen)}")],
            )
        if built.kind == ACCUMULATED and isinstance(ret.value, cst.Name):
            return self._fix_appends(line, ret.value, func, built.binding)
        return None

    def _fix_appends(self, ret_line, name: cst.Name, func: cst.FunctionDef, binding) -> FixSpec | None:
        model = self.ctx.model
        scope, bindings = model.lookup(name.value, name)
        if bindings != [binding] or binding.kind != "assign":
            return None  # bound once, by `name = []`
        init_line = binding.stmt
        assign = init_line.body[0] if isinstance(init_line, cst.SimpleStatementLine) else None
        if (
            not isinstance(assign, cst.Assign)
            or len(assign.targets) != 1
            or not isinstance(binding.value, cst.List)
            or binding.value.elements
            or not isinstance(init_line, cst.SimpleStatementLine)
            or len(init_line.body) != 1
            or model.parent.get(init_line) is not func.body
        ):
            return None
        changes: list = [DeleteStatement(init_line), DeleteStatement(ret_line)]
        for use in ray.uses_within(binding, func, model):
            if use is name:
                continue
            call = _grow_call(use, model)
            if call is None or ray.function_of(call, model) is not func:
                return None
            method = call.func.attr.value
            expr_stmt = model.parent.get(call)
            if (
                method not in ("append", "extend")
                or not isinstance(expr_stmt, cst.Expr)
                or len(model.parent.get(expr_stmt).body) != 1
                or len(call.args) != 1
                or call.args[0].keyword is not None
                or call.args[0].star
            ):
                return None
            value = call.args[0].value
            if isinstance(value, cst.GeneratorExp) and not value.lpar:
                value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            keyword = "yield" if method == "append" else "yield from"
            changes.append(Replace(call, f"{keyword} {self.ctx.code_for(value)}"))
        return FixSpec("unsafe", "Yield the items instead of returning a list", changes)


def _added_items(initial: cst.List, sites: list[cst.Name], model) -> tuple | None:
    """The expressions that become items: the initial list's elements and what each site
    adds. None when one is not known (`out.extend(other)`, a starred element)."""
    items: list = []

    def spread(expr) -> bool:
        if isinstance(expr, (cst.List, cst.Tuple)):
            for el in expr.elements:
                if not isinstance(el, cst.Element):
                    return False
                items.append(el.value)
            return True
        if isinstance(expr, (cst.ListComp, cst.GeneratorExp)):
            items.append(expr.elt)
            return True
        return False

    if not spread(initial):
        return None
    for use in sites:
        call = _grow_call(use, model)
        if call is None:  # `+=`
            if not spread(model.parent[use].value):
                return None
            continue
        args = [a for a in call.args if a.keyword is None and not a.star]
        if not args:
            return None
        method = call.func.attr.value
        if method == "append":
            items.append(args[0].value)
        elif method == "insert" and len(args) == 2:
            items.append(args[1].value)
        elif method != "extend" or not spread(args[0].value):
            return None
    return tuple(items)


def _grow_call(use: cst.Name, model) -> cst.Call | None:
    """`use.append(...)`, `use.extend(...)` or `use.insert(...)`, with `use` the receiver."""
    attr = model.parent.get(use)
    call = model.parent.get(attr) if isinstance(attr, cst.Attribute) else None
    if (
        isinstance(call, cst.Call)
        and call.func is attr
        and attr.value is use
        and attr.attr.value in _GROW_METHODS
    ):
        return call
    return None


def _aug_added(use: cst.Name, model) -> bool:
    """`use += ...`."""
    stmt = model.parent.get(use)
    return isinstance(stmt, cst.AugAssign) and stmt.target is use and isinstance(stmt.operator, cst.AddAssign)
