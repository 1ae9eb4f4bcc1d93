from __future__ import annotations

import libcst as cst

from memlint.analysis import ray
from memlint.analysis.calls import arg
from memlint.engine.rule import FixSpec, Invalid, Replace, Rule, Valid


class ReturnRayPut(Rule):
    """
    ## What it does
    Finds `return ray.put(value)` in a Ray remote function or actor method, also when the
    ref is first bound to a name (`ref = ray.put(value)` ... `return ref`) or is an item of
    a returned tuple.

    ## Why is this bad?
    The task's return value is already stored by Ray. Putting it first costs an extra copy
    into the object store, stops Ray from returning small values (up to 100 KB) inline to
    the caller, and ties the object's lifetime to the worker that called `ray.put`: if that
    worker dies the object is lost and cannot be rebuilt, where a returned value can be
    reconstructed by re-running the task. The caller also needs two `ray.get` calls.

    ## Example
    ```python
    import ray

    @ray.remote
    def build(n):
        return ray.put(list(range(n)))

    values = ray.get(ray.get(build.remote(10)))
    ```

    ## Use instead
    ```python
    import ray

    @ray.remote
    def build(n):
        return list(range(n))

    values = ray.get(build.remote(10))
    ```

    ## Fix safety
    The fix (`ray.put(value)` becomes `value`) is unsafe: what the caller's `ray.get` returns
    changes from a ref to the value itself, so callers that `ray.get` twice, or that hand
    the inner ref on, must change with it. It is offered when the ref is returned directly,
    or bound to a name used only by the return. `ray.put(value, _owner=...)` is not reported:
    choosing another owner is the reason to put inside a task.

    ## Affected versions
    Every Ray version.

    ## References
    - [Ray anti-pattern: Returning ray.put() ObjectRefs from a task harms performance and fault tolerance](https://docs.ray.io/en/latest/ray-core/patterns/return-ray-put.html)
    - [Ray: Objects and ownership](https://docs.ray.io/en/latest/ray-core/objects.html)
    """

    code = "MEM404"
    name = "return-ray-put"
    summary = "Ray remote function returns a `ray.put()` ref instead of the value"
    libraries = ("ray",)
    # "import ray" / "from ray" and "put(": bare "ray" and "put" match "array" and "output".
    triggers = ((b"import ray", b"put(", b"return"), (b"from ray", b"put(", b"return"))
    name_triggers = frozenset({b"put("})
    # Every method of an actor class runs remotely: the first pass keeps classes whole.
    partial_classes = False
    fix_availability = "sometimes"

    valid = (
        Valid(
            """
            import ray

            @ray.remote
            def build(n):
                return list(range(n))
            """,
        ),
        Valid(
            """
            import ray

            def build(n):
                return ray.put(list(range(n)))
            """,
            note="a driver-side helper, not a task",
        ),
        Valid(
            """
            import ray

            @ray.remote
            def build(n, owner):
                return ray.put(list(range(n)), _owner=owner)
            """,
            note="an explicit owner is the point of putting in the task",
        ),
        Valid(
            """
            import ray

            @ray.remote
            def fan_out(data, n):
                ref = ray.put(data)
                return ray.get([work.remote(ref, i) for i in range(n)])
            """,
            note="the ref is passed to subtasks, not returned",
        ),
        Valid(
            """
            import ray

            @ray.remote
            def outer(data):
                def helper():
                    return ray.put(data)
                return ray.get(helper())
            """,
            note="the put belongs to a nested helper",
        ),
    )
    invalid = (
        Invalid(
            """
            import ray

            @ray.remote
            def build(n):
                return ray.put(list(range(n)))
            """,
            lines=[5],
            message="ray.put",
            fixed="""
            import ray

            @ray.remote
            def build(n):
                return list(range(n))
            """,
            unsafe=True,
        ),
        Invalid(
            """
            from ray import put, remote

            @remote(num_returns=1)
            def build(n):
                result = put([0] * n)
                return result
            """,
            lines=[6],
            fixed="""
            from ray import put, remote

            @remote(num_returns=1)
            def build(n):
                result = [0] * n
                return result
            """,
            unsafe=True,
        ),
        Invalid(
            """
            import ray as r

            class Store:
                def get(self, key):
                    return r.put(self.table[key])

            StoreActor = r.remote(num_cpus=1)(Store)
            """,
            lines=[5],
            message="actor method `Store.get`",
            fixed="""
            import ray as r

            class Store:
                def get(self, key):
                    return self.table[key]

            StoreActor = r.remote(num_cpus=1)(Store)
            """,
            unsafe=True,
        ),
        Invalid(
            """
            import ray

            def stats(df):
                ref = ray.put(df.describe())
                log(ref)
                return ref, len(df)

            stats_task = ray.remote(stats)
            """,
            lines=[6],
            note="the ref is used before the return: no fix",
        ),
        Invalid(
            """
            import ray

            SHARED = ray.put(load())

            @ray.remote
            def shared():
                return SHARED
            """,
            lines=[7],
            note="a module-level ref: no fix, other code may use it",
        ),
    )

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is None:
            return
        model = self.ctx.model
        remote = ray.enclosing_remote(node, model)
        if remote is None:
            return
        values = [node.value]
        if isinstance(node.value, cst.Tuple):
            values = [el.value for el in node.value.elements if isinstance(el, cst.Element)]
        puts: list[tuple[cst.Call, bool]] = []  # (the put call, fixable)
        certain = True
        for value in values:
            if self._put(value):
                puts.append((value, True))
            elif isinstance(value, cst.Name):
                for origin in model.origins(value):
                    if origin.expr is not value and self._put(origin.expr):
                        puts.append((origin.expr, self._only_returned(value, origin.expr)))
                        certain = certain and origin.certain
        if not puts:
            return
        verb = "returns" if certain else "may return"
        message = (
            f"The {remote.label} {verb} a ref from `ray.put()`: the value is copied into the "
            "object store an extra time, cannot be returned inline, and is lost with the "
            "worker instead of being rebuilt. Return the value itself."
        )
        fix = None
        if certain and all(ok for _, ok in puts):
            fix = FixSpec(
                "unsafe",
                "Return the value instead of a `ray.put()` ref",
                [Replace(call, self.ctx.code_for(call.args[0].value)) for call, _ in puts],
            )
        self.report(node, message, fix=fix)

    def _put(self, expr: cst.CSTNode) -> bool:
        if not ray.is_put(expr, self.ctx.model):
            return False
        call = expr
        first = arg(call, "value", 0)
        # `_owner=` hands the object to another process on purpose.
        return first is not None and arg(call, "_owner") is None and len(call.args) == 1

    def _only_returned(self, name: cst.Name, put: cst.Call) -> bool:
        """Whether `put` is bound to a name (once) whose only use is `name` in the return."""
        model = self.ctx.model
        _, bindings = model.lookup(name.value, name)
        reaching = model.reaching(bindings, name)
        if len(reaching) != 1 or reaching[0].value is not put or len(bindings) != 1:
            return False
        func = ray.function_of(name, model)
        if func is None or model.scope(reaching[0].node).node is not func:
            return False  # a global ref: other code may use it
        return ray.uses_within(reaching[0], func, model) == [name]
