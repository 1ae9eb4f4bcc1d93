from __future__ import annotations

import libcst as cst

from memlint.analysis import datalike as dl
from memlint.analysis import ray
from memlint.analysis.calls import is_self_attribute
from memlint.engine.rule import (
    AddImport,
    FixSpec,
    InsertBefore,
    Invalid,
    Option,
    Replace,
    Rule,
    Valid,
)


class LargeArgByValue(Rule):
    """
    ## What it does
    Finds one data-like value (a data frame, an array, a fitted model, a large literal, an
    object holding such data) passed by value to `.remote(...)` calls repeatedly: in a
    `for`/`while` loop or a comprehension, or in two or more calls one after the other.

    ## Why is this bad?
    Ray copies an argument larger than 100 KB into the object store on every call, with no
    de-duplication: ten calls with the same 500 MB frame serialize it ten times and hold ten
    copies in the object store. Putting it once with `ray.put` and passing the ref costs one
    copy; Ray resolves a ref passed as a direct argument to the value before the task runs,
    so the task's code does not change.

    ## Example
    ```python
    import numpy as np
    import ray

    @ray.remote
    def score(table, i):
        return table[i].sum()

    table = np.load("table.npy")
    refs = [score.remote(table, i) for i in range(10)]
    ```

    ## Use instead
    ```python
    import numpy as np
    import ray

    @ray.remote
    def score(table, i):
        return table[i].sum()

    table = np.load("table.npy")
    table_ref = ray.put(table)
    refs = [score.remote(table_ref, i) for i in range(10)]
    ```

    ## Fix safety
    The fix is safe: it adds `value_ref = ray.put(value)` once before the loop (or before
    the first call) and passes `value_ref` instead, which every task receives as the same
    value. It is offered only when the value is certainly data-like, bound on every path, and
    not otherwise used between the put and the last call (a method call there could change
    it); reads of its attributes and `len(value)` are allowed. It adds `import ray` when the
    module reaches Ray only through `from ray import ...`.

    Not reported: a value that already is an ObjectRef (from `ray.put`, Modin's
    `RayWrapper.put`, or another `.remote()` call), a value bound anew in each iteration
    (such as the loop variable or a slice taken inside the loop), and a value passed to a
    single call.

    ## Affected versions
    Every Ray version.

    ## References
    - [Ray anti-pattern: Passing the same large argument by value repeatedly harms performance](https://docs.ray.io/en/latest/ray-core/patterns/pass-large-arg-by-value.html)
    - [Modin #5709: avoid re-putting a distributed Series to the object store](https://github.com/modin-project/modin/issues/5709)
    """

    code = "MEM402"
    name = "large-arg-by-value"
    summary = "The same large value is passed by value to many Ray `.remote()` calls"
    libraries = ("ray",)
    # "import ray" / "from ray", not "ray": every "array" holds that.
    triggers = ((b"import ray", b".remote("), (b"from ray", b".remote("))
    # Every method of an actor class runs remotely: the first pass keeps classes whole.
    partial_classes = False
    fix_availability = "sometimes"
    options = {
        "large-literal-min-items": Option(
            dl.DEFAULT_MIN_ITEMS, int, "A literal container with at least this many items is data-like"
        ),
    }

    valid = (
        Valid(
            """
            import numpy as np
            import ray
            table = np.load("table.npy")
            table_ref = ray.put(table)
            refs = [score.remote(table_ref, i) for i in range(10)]
            """,
            note="put once, pass the ref (Ray's batch prediction example)",
        ),
        Valid(
            """
            import ray
            from modin.core.execution.ray.common import RayWrapper
            import xgboost as xgb
            booster = xgb.train(params, dtrain)
            booster = RayWrapper.put(booster)
            refs = [_map_predict.remote(booster, part) for part in parts]
            """,
            note="the same name rebound to a put result (Modin's xgboost_ray)",
        ),
        Valid(
            """
            import ray
            import pandas as pd
            df = pd.read_parquet("data.parquet")
            ref = predict.options(num_cpus=0).remote(df, 3)
            """,
            note="a single call",
        ),
        Valid(
            """
            import ray
            import numpy as np
            data = np.load("data.npy")
            refs = []
            for i in range(10):
                chunk = data[i::10]
                refs.append(work.remote(chunk, i))
            """,
            note="a new value in each iteration",
        ),
        Valid(
            """
            import ray
            import pandas as pd
            frames = [pd.read_csv(p) for p in paths]
            refs = [clean.remote(df) for df in frames]
            """,
            note="the loop variable",
        ),
        Valid(
            """
            import ray
            config = {"alpha": 0.5, "depth": 3}
            refs = [train.remote(config, seed) for seed in range(8)]
            """,
            note="a small literal",
        ),
        Valid(
            """
            import ray
            import pandas as pd
            df = pd.read_parquet("data.parquet")
            if fast:
                ref = quick.remote(df)
            else:
                ref = slow.remote(df)
            """,
            note="two calls on different branches: only one runs",
        ),
        Valid(
            """
            import ray
            import numpy as np
            data = np.load("data.npy")
            first = f.remote(data)
            refs = [g.remote(first, i) for i in range(4)]
            """,
            note="the loop passes the ref returned by a task",
        ),
    )
    invalid = (
        Invalid(
            """
            import numpy as np
            import ray

            table = np.load("table.npy")
            refs = [score.remote(table, i) for i in range(10)]
            """,
            lines=[5],
            message="in a loop",
            fixed="""
            import numpy as np
            import ray

            table = np.load("table.npy")
            table_ref = ray.put(table)
            refs = [score.remote(table_ref, i) for i in range(10)]
            """,
        ),
        Invalid(
            """
            import ray as r
            import pandas as pd

            def run(path, n):
                df = pd.read_csv(path)
                refs = []
                for epoch in range(3):
                    for i in range(n):
                        refs.append(step.options(num_cpus=1).remote(df, i=i))
                    print(len(df), df.shape)
                return r.get(refs)
            """,
            lines=[9],
            fixed="""
            import ray as r
            import pandas as pd

            def run(path, n):
                df = pd.read_csv(path)
                refs = []
                df_ref = r.put(df)
                for epoch in range(3):
                    for i in range(n):
                        refs.append(step.options(num_cpus=1).remote(df_ref, i=i))
                    print(len(df), df.shape)
                return r.get(refs)
            """,
        ),
        Invalid(
            """
            from ray import remote
            from sentence_transformers import SentenceTransformer

            class Indexer:
                def __init__(self, name):
                    self.retriever_model = SentenceTransformer(name)

                def index(self, batches):
                    return [embed.remote(b, self.retriever_model) for b in batches]
            """,
            lines=[9],
            message="may be",
            fixed="""
            from ray import remote
            from sentence_transformers import SentenceTransformer
            import ray

            class Indexer:
                def __init__(self, name):
                    self.retriever_model = SentenceTransformer(name)

                def index(self, batches):
                    retriever_model_ref = ray.put(self.retriever_model)
                    return [embed.remote(b, retriever_model_ref) for b in batches]
            """,
            note="SearchAndDoc_API: a model on self passed to every call",
        ),
        Invalid(
            """
            import ray
            import pandas as pd

            df = pd.read_parquet("data.parquet")
            a = stats.remote(df)
            b = model.remote(df, 2)
            c = export.remote(df)
            """,
            lines=[6],
            message="3 `.remote()` calls",
            fixed="""
            import ray
            import pandas as pd

            df = pd.read_parquet("data.parquet")
            df_ref = ray.put(df)
            a = stats.remote(df_ref)
            b = model.remote(df_ref, 2)
            c = export.remote(df_ref)
            """,
        ),
        Invalid(
            """
            import ray
            import numpy as np

            weights = np.load("w.npy")
            i = 0
            while i < 4:
                ray.get(worker.remote(weights))
                weights.sort()
                i += 1
            """,
            lines=[7],
            note="the value is used otherwise in the loop: no fix",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        if not ray.is_remote_call(node) or not ray.uses_ray(model):
            return
        for argument in node.args:
            value = argument.value
            if argument.star or not _trackable(value):
                continue
            # Repeated first (cheap), then data-like (it may read other modules).
            loop = model.invariant_loop(value)
            repeats = self._repeats(value) if loop is None else None
            if loop is None and repeats is None:
                continue
            if ray.is_object_ref(value, model):
                continue
            found = dl.datalike(value, model, self.option["large-literal-min-items"], callers=True)
            if found is None:
                continue
            if loop is not None:
                self._report_loop(node, value, found, loop)
            else:
                self._report_repeats(value, found, repeats)

    # -- repetition ------------------------------------------------------------------------
    def _report_loop(self, call: cst.Call, value, found: dl.DataLike, loop: cst.CSTNode) -> None:
        model = self.ctx.model
        stmt = loop if isinstance(loop, (cst.For, cst.While)) else model.statement_of(loop)
        uses = [u for u in self._remote_uses(value) if ray.inside(u, loop, model)]
        others = [u for u in self._all_uses(value)
                  if ray.inside(u, loop, model) and not any(u is x for x in uses)]
        self._report(value, found, "to `.remote()` in a loop", "before the loop", stmt, uses, others)

    def _repeats(self, value) -> tuple | None:
        """(the first call's statement, the calls) when `value` is the second of two or more
        calls that all run one after the other (reported once, there); None otherwise."""
        model = self.ctx.model
        if not isinstance(value, cst.Name):
            return None
        _, bindings = model.lookup(value.value, value)
        reaching = model.reaching(bindings, value)
        if len(reaching) != 1:
            return None
        calls = sorted(
            (u for u in self._remote_uses(value)
             if model.in_loop(u) is None and model.reaching(bindings, u) == reaching),
            key=lambda u: model.index[u],
        )
        if not calls or calls[0] is value:
            return None
        stmt = model.statement_of(calls[0])
        repeats = [u for u in calls if _runs_with(u, stmt, model)]
        if len(repeats) < 2 or repeats[1] is not value:
            return None
        return stmt, repeats

    def _report_repeats(self, value, found: dl.DataLike, repeated: tuple) -> None:
        model = self.ctx.model
        stmt, repeats = repeated
        first = repeats[0]
        start, end = model.index[first], model.index[repeats[-1]]
        others = [u for u in self._all_uses(value)
                  if start <= model.index[u] <= end and not any(u is r for r in repeats)]
        self._report(value, found, f"to {len(repeats)} `.remote()` calls", "before the first call",
                     stmt, repeats, others)

    def _remote_uses(self, value) -> list[cst.BaseExpression]:
        """The uses of the same name (or `self` attribute) passed directly to `.remote()`."""
        return [u for u in self._all_uses(value) if _remote_argument(u, self.ctx.model)]

    def _all_uses(self, value) -> list[cst.BaseExpression]:
        model = self.ctx.model
        if isinstance(value, cst.Name):
            scope, bindings = model.lookup(value.value, value)
            cache = self.__dict__.setdefault("_uses", {})
            key = id(bindings)
            if key not in cache:
                within = None if scope is None or scope is model.module_scope else scope.node
                names = model.names.get(value.value, ()) if within is None else (
                    ray.names_within(value.value, within, model)
                )
                cache[key] = [
                    name for name in names
                    if model.lookup(name.value, name)[1] is bindings
                    and not _is_target(name, model)
                ]
            return cache[key]
        # `self.attr` in the same method.
        func = ray.function_of(value, model)
        out = []
        for name in model.names.get("self", ()):
            attr = model.parent.get(name)
            if (
                isinstance(attr, cst.Attribute)
                and attr.value is name
                and attr.attr.value == value.attr.value
                and ray.function_of(attr, model) is func
            ):
                out.append(attr)
        return out

    # -- report and fix --------------------------------------------------------------------
    def _report(self, value, found: dl.DataLike, where: str, before: str, stmt, uses, others) -> None:
        code = self.ctx.code_for(value).strip()
        verb = "is" if found.certain else "may be"
        message = (
            f"`{code}` {verb} {found.what}, passed by value {where}: Ray copies it into the "
            f"object store again for every call. Call `ray.put({code})` once {before} and "
            "pass the ref."
        )
        self.report(value, message, fix=self._fix(value, stmt, uses, others))

    def _fix(self, value, stmt, uses, others) -> FixSpec | None:
        model = self.ctx.model
        if not all(_read_only(u, model) for u in others):
            return None
        if isinstance(stmt, cst.If) and isinstance(model.parent.get(stmt), cst.If):
            return None  # an `elif`: nothing can be inserted before it
        if isinstance(value, cst.Name):
            _, bindings = model.lookup(value.value, value)
            if len(model.reaching(bindings, value)) != 1:
                return None  # unbound, or bound differently, on some path
            # Nothing may rebind it between the put and the last call.
            start, end = model.index[stmt], max(model.index[u] for u in uses)
            if any(start <= model.index.get(b.node, -1) <= end for b in bindings):
                return None
        spelling = ray.put_spelling(model, stmt)
        if spelling is None:
            return None
        put, needs_import = spelling
        base = value.value if isinstance(value, cst.Name) else value.attr.value
        ref = f"{base.lstrip('_') or 'value'}_ref"
        if ref in model.names or model.lookup(ref, stmt)[1]:
            return None
        changes: list = [InsertBefore(stmt, f"{ref} = {put}({self.ctx.code_for(value).strip()})")]
        changes += [Replace(u, ref) for u in uses]
        if needs_import:
            changes.append(AddImport(needs_import))
        return FixSpec("safe", f"Put `{self.ctx.code_for(value).strip()}` once with `ray.put` and pass the ref", changes)


def _trackable(value: cst.BaseExpression) -> bool:
    """A name, or `self.attr`: something that is the same object at every call."""
    if isinstance(value, cst.Name):
        return value.value not in ("None", "True", "False")
    return is_self_attribute(value)


def _remote_argument(use: cst.CSTNode, model) -> bool:
    arg = model.parent.get(use)
    return isinstance(arg, cst.Arg) and not arg.star and ray.is_remote_call(model.parent.get(arg))


def _runs_with(use: cst.CSTNode, stmt: cst.CSTNode, model) -> bool:
    """Whether `use` runs whenever the statement `stmt` runs, at or after it: it is in
    `stmt` itself, or in a later statement of the same block (or of a `with` body there)."""
    if ray.inside(use, stmt, model):
        return True
    block = model.parent.get(stmt)
    current = model.statement_of(use)
    if model.index[current] < model.index[stmt]:
        return False
    while current is not None and model.parent.get(current) is not block:
        parent = model.parent.get(current)
        if isinstance(parent, cst.IndentedBlock) and isinstance(model.parent.get(parent), cst.With):
            current = model.parent.get(parent)
            continue
        return False
    return current is not None


def _is_target(name: cst.Name, model) -> bool:
    parent = model.parent.get(name)
    if isinstance(parent, (cst.AssignTarget, cst.AugAssign)) and getattr(parent, "target", None) is name:
        return True
    return isinstance(parent, (cst.For, cst.CompFor)) and parent.target is name


def _read_only(use: cst.CSTNode, model) -> bool:
    """`x.shape` (an attribute read, not a call of it), or `len(x)`."""
    parent = model.parent.get(use)
    if isinstance(parent, cst.Attribute) and parent.value is use:
        grand = model.parent.get(parent)
        return not (isinstance(grand, cst.Call) and grand.func is parent) and not isinstance(
            grand, (cst.AssignTarget, cst.AugAssign, cst.Del)
        )
    if isinstance(parent, cst.Arg):
        call = model.parent.get(parent)
        return (
            isinstance(call, cst.Call)
            and isinstance(call.func, cst.Name)
            and call.func.value == "len"
            and not model.lookup("len", call.func)[1]
        )
    return False
