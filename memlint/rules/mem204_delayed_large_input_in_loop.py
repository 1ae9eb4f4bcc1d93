from __future__ import annotations

import libcst as cst

from memlint.analysis import datalike as dl
from memlint.analysis.calls import is_self_attribute
from memlint.engine.rule import AddImport, FixSpec, InsertBefore, Invalid, Option, Rule, Valid

# Keywords of a delayed call that configure the task rather than reach the function.
_OWN_KEYWORDS = frozenset({"pure", "dask_key_name"})


class DelayedLargeInputInLoop(Rule):
    """
    ## What it does
    Finds a data-like value (a pandas or numpy object, an instance of a class, a fitted
    model, a large literal) passed to `dask.delayed(f)(...)`, or to a function decorated
    with `@dask.delayed`, inside a `for` or `while` loop or a comprehension, when the value
    is the same on every iteration.

    ## Why is this bad?
    Each delayed call embeds its arguments in its own task, so the same large object is
    stored once per iteration: 100 iterations hold 100 references in the graph, and each
    is serialized and shipped on its own. dask's delayed best practices: "Avoid repeatedly
    putting large inputs into delayed calls"; delay the value once and pass the delayed
    object, which the graph then stores a single time.

    ## Example
    ```python
    import dask
    import pandas as pd

    lookup = pd.read_parquet("lookup.parquet")
    parts = [dask.delayed(join)(path, lookup) for path in paths]
    ```

    ## Use instead
    ```python
    import dask
    import pandas as pd

    lookup = pd.read_parquet("lookup.parquet")
    lookup = dask.delayed(lookup)
    parts = [dask.delayed(join)(path, lookup) for path in paths]
    ```

    ## Fix safety
    The fix is unsafe: it rebinds the name to `dask.delayed(name)` once before the loop,
    so any other use of the name after that point (an attribute, an operator, a call)
    sees a `Delayed` object instead of the data. It is offered only when the name is bound
    in the same scope as the loop.

    ## Affected versions
    Every dask version. (The best-practices page says each call hashes the input; since
    delayed calls default to `pure=False` there is no hash, but the copies remain.)

    ## References
    - [dask delayed best practices: avoid repeatedly putting large inputs into delayed calls](https://docs.dask.org/en/stable/delayed-best-practices.html#avoid-repeatedly-putting-large-inputs-into-delayed-calls)
    """

    code = "MEM204"
    name = "delayed-large-input-in-loop"
    summary = "Same large input passed to a delayed call on every loop iteration"
    # "dask" too: joblib has a `delayed` of its own.
    triggers = ((b"dask", b"delayed", b"for "), (b"dask", b"delayed", b"while "))
    name_triggers = frozenset({b"delayed"})
    options = {
        "large-literal-min-items": Option(
            100, int, "A list, tuple, set or dict literal (or a comprehension over a range) "
            "with at least this many items is a large input."
        ),
    }
    fix_availability = "sometimes"

    valid = (
        Valid(
            """
            import dask
            import pandas as pd
            lookup = dask.delayed(pd.read_parquet("lookup.parquet"))
            parts = [dask.delayed(join)(path, lookup) for path in paths]
            """,
            note="already delayed once",
        ),
        Valid(
            """
            import dask
            import pandas as pd
            parts = []
            for path in paths:
                frame = pd.read_csv(path)
                parts.append(dask.delayed(clean)(frame))
            """,
            note="a new value on every iteration",
        ),
        Valid(
            """
            import dask
            import pandas as pd
            lookup = pd.read_parquet("lookup.parquet")
            total = dask.delayed(join)(paths, lookup)
            """,
            note="a single call, outside any loop",
        ),
        Valid(
            """
            import dask
            parts = [dask.delayed(process)(path, 3, "mean", scale=2.5) for path in paths]
            """,
            note="small arguments",
        ),
        Valid(
            """
            from joblib import Parallel, delayed
            import numpy as np
            data = np.load("data.npy")
            out = Parallel(n_jobs=2)(delayed(np.sum)(data) for _ in range(4))
            """,
            note="joblib's delayed is another rule's business",
        ),
        Valid(
            """
            import dask
            import numpy as np
            from dask.distributed import Client
            client = Client()
            data = client.scatter(np.load("data.npy"), broadcast=True)
            futures = [dask.delayed(step)(data, i) for i in range(10)]
            """,
            note="a future from client.scatter",
        ),
    )
    invalid = (
        Invalid(
            """
            import dask
            import pandas as pd
            lookup = pd.read_parquet("lookup.parquet")
            parts = [dask.delayed(join)(path, lookup) for path in paths]
            """,
            lines=[4],
            message="`lookup` is a pandas object",
            unsafe=True,
            fixed="""
            import dask
            import pandas as pd
            lookup = pd.read_parquet("lookup.parquet")
            lookup = dask.delayed(lookup)
            parts = [dask.delayed(join)(path, lookup) for path in paths]
            """,
        ),
        Invalid(
            """
            from dask import delayed
            import numpy as np

            def run(paths):
                weights = np.load("weights.npy")
                results = []
                for epoch in range(3):
                    for path in paths:
                        results.append(delayed(score)(path, weights=weights))
                return results
            """,
            lines=[9],
            unsafe=True,
            fixed="""
            from dask import delayed
            import numpy as np

            def run(paths):
                weights = np.load("weights.npy")
                results = []
                weights = delayed(weights)
                for epoch in range(3):
                    for path in paths:
                        results.append(delayed(score)(path, weights=weights))
                return results
            """,
            note="nested loops: delayed once before the outermost loop that does not rebind it",
        ),
        Invalid(
            """
            import dask
            import numpy as np
            class Model:
                def __init__(self, coef):
                    self.coef = coef
            @dask.delayed
            def predict(model, batch):
                return model.coef * batch
            model = Model(np.load("coef.npy"))
            i = 0
            while i < 10:
                out = predict(model, i)
                i += 1
            """,
            lines=[12],
            message="is an instance of `Model`",
            unsafe=True,
            fixed="""
            import dask
            import numpy as np
            class Model:
                def __init__(self, coef):
                    self.coef = coef
            @dask.delayed
            def predict(model, batch):
                return model.coef * batch
            model = Model(np.load("coef.npy"))
            i = 0
            model = dask.delayed(model)
            while i < 10:
                out = predict(model, i)
                i += 1
            """,
            note="a function decorated with @dask.delayed, in a while loop",
        ),
        Invalid(
            """
            import dask
            import numpy as np
            table = np.load("table.npy")
            def run(paths):
                return [dask.delayed(lookup)(p, table) for p in paths]
            """,
            lines=[5],
            note="a module-level value used in a function: no fix (it would make a local)",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        if not dl.is_delayed_call(node, model):
            return
        if model.in_loop(node) is None:
            return
        min_items = self.option["large-literal-min-items"]
        for a in node.args:
            if a.star or (a.keyword is not None and a.keyword.value in _OWN_KEYWORDS):
                continue
            value = a.value
            if not isinstance(value, cst.Name) and not is_self_attribute(value):
                continue  # an expression built in the call is a new value each time
            if model.invariant_loop(value) is None:
                continue
            found = dl.datalike(value, model, min_items, callers=True)
            if found is None:
                continue
            code = self.ctx.code_for(value)
            verb = "is" if found.certain else "may be"
            fix = self._fix(node, value) if isinstance(value, cst.Name) else None
            spelling = dl.delayed_spelling(model, node)
            delayed = spelling[0] if spelling is not None else "dask.delayed"
            if fix is not None:
                advice = f"Delay it once before the loop: `{code} = {delayed}({code})`."
            else:
                short = code.rsplit(".", 1)[-1].lstrip("_")
                advice = (
                    f"Delay it once outside the loop (`{short}_delayed = {delayed}({code})`) "
                    "and pass that."
                )
            self.report(
                value,
                f"`{code}` {verb} {found.what}, passed to a delayed call on every iteration: "
                "each call embeds the object in its own task, so it is serialized and shipped "
                "once per call (dask's delayed best practices: \"Avoid repeatedly putting "
                f"large inputs into delayed calls\"). {advice}",
                fix=fix,
            )

    # -- fix -----------------------------------------------------------------------------------
    def _fix(self, call: cst.Call, name: cst.Name) -> FixSpec | None:
        model = self.ctx.model
        outer = model.invariant_loop(name)
        if outer is None:
            return None
        stmt = outer if isinstance(outer, (cst.For, cst.While)) else model.statement_of(outer)
        if isinstance(stmt, cst.If) and isinstance(model.parent.get(stmt), cst.If):
            return None  # an `elif` test: nowhere to put a line
        scope, bindings = model.lookup(name.value, name)
        stmt_scope = model.scope(stmt)
        if scope is None or scope is not stmt_scope or name.value in scope.globals | scope.nonlocals:
            return None  # rebinding here would make a new local, or change an outer name
        spelling = dl.delayed_spelling(model, stmt)
        if spelling is None:
            return None
        delayed, needs_import = spelling
        changes: list = [InsertBefore(stmt, f"{name.value} = {delayed}({name.value})")]
        if needs_import:
            changes.append(AddImport("import dask"))
        return FixSpec("unsafe", f"Delay `{name.value}` once before the loop", changes)
