from __future__ import annotations

import libcst as cst

from memlint.analysis import datalike as dl
from memlint.engine.rule import Invalid, Rule, Valid

_OWN_KEYWORDS = frozenset({"pure", "dask_key_name", "name", "nout", "traverse"})
_NOUN = {dl.ARRAY: "array", dl.DATAFRAME: "dataframe", dl.BAG: "bag"}
_CONCRETE = {dl.ARRAY: "NumPy array", dl.DATAFRAME: "pandas object", dl.BAG: "list"}
_INSTEAD = {
    dl.ARRAY: "`map_blocks`",
    dl.DATAFRAME: "`map_partitions`",
    dl.BAG: "`map_partitions`",
}


class DelayedOnCollection(Rule):
    """
    ## What it does
    Finds a dask collection (a dask array, dataframe or bag: from `da.*` constructors,
    `da.from_array`, `dd.read_*`, `db.from_sequence`, or derived from one with
    `map_blocks`, `map_partitions`, slicing, arithmetic, ...) passed to
    `dask.delayed(f)(...)`, to a function decorated with `@dask.delayed`, or wrapped
    directly with `dask.delayed(collection)`.

    ## Why is this bad?
    A delayed function receives its arguments computed: the whole collection is
    materialized as one NumPy array or pandas object inside a single task, on a single
    worker. For a collection larger than a worker's memory, the worker dies; for a smaller
    one, the parallelism of the collection is thrown away. dask's delayed best practices:
    "Don't call dask.delayed on other Dask collections".

    ## Example
    ```python
    import dask
    import dask.dataframe as dd

    ddf = dd.read_parquet("events/")
    summary = dask.delayed(summarize)(ddf)
    ```

    ## Use instead
    ```python
    import dask
    import dask.dataframe as dd

    ddf = dd.read_parquet("events/")
    partial = ddf.map_partitions(summarize)  # one task per partition
    # or, to handle the pieces yourself:
    parts = [dask.delayed(summarize)(part) for part in ddf.to_delayed()]
    ```

    ## Fix safety
    There is no fix: the right rewrite depends on whether the function works block by
    block.

    ## Affected versions
    Every dask version.

    ## References
    - [dask delayed best practices: don't call dask.delayed on other Dask collections](https://docs.dask.org/en/stable/delayed-best-practices.html#don-t-call-dask-delayed-on-other-dask-collections)
    """

    code = "MEM205"
    name = "delayed-on-collection"
    summary = "Dask collection passed to a delayed call is computed whole into one task"
    # "dask" too: joblib has a `delayed` of its own.
    triggers = ((b"dask", b"delayed"),)
    name_triggers = frozenset({b"delayed"})

    valid = (
        Valid(
            """
            import dask
            import dask.array as da
            TEST_SRC = da.zeros((5, 5), chunks=2)
            result = dask.delayed(TEST_SRC)
            """,
            note="a test fixture of 25 elements",
        ),
        Valid(
            """
            import dask
            import dask.dataframe as dd
            ddf = dd.read_parquet("events/")
            parts = [dask.delayed(summarize)(part) for part in ddf.to_delayed()]
            """,
            note="the pieces of .to_delayed()",
        ),
        Valid(
            """
            import dask
            import dask.array as da
            x = da.random.random((100_000, 1_000), chunks=(1_000, 1_000))
            total = dask.delayed(report)(x.mean(), x.std(), x.shape)
            """,
            note="reductions are small; shape is metadata",
        ),
        Valid(
            """
            import dask
            import dask.array as da
            x = da.random.random((100_000, 1_000), chunks=(1_000, 1_000))
            s = da.sum(x)
            total = dask.delayed(report)(s * s, da.nanmean(x, axis=0))
            """,
            note="reductions through dask.array's functions",
        ),
        Valid(
            """
            import dask
            import dask.array as da
            x = da.ones((1000, 1000), chunks=100)
            block = x.compute()
            out = dask.delayed(process)(block)
            """,
            note="an explicitly computed array",
        ),
        Valid(
            """
            import numpy as np
            from joblib import Parallel, delayed
            import dask.array as da
            x = da.ones(100_000, chunks=5_000)
            out = Parallel(n_jobs=2)(delayed(np.sum)(x) for _ in range(2))
            """,
            note="joblib's delayed",
        ),
        Valid(
            """
            import dask
            d = dask.delayed(load)("a.csv")
            out = dask.delayed(clean)(d)
            """,
            note="a delayed value is the right thing to pass",
        ),
    )
    invalid = (
        Invalid(
            """
            import dask
            import dask.dataframe as dd
            ddf = dd.read_parquet("events/")
            summary = dask.delayed(summarize)(ddf)
            """,
            lines=[4],
            message="`ddf` is a dask dataframe",
        ),
        Invalid(
            """
            from dask import delayed
            import dask.array as da
            import numpy as np
            x = da.from_array(np.load("big.npy"), chunks=1000)
            y = x.map_blocks(np.sqrt)
            @delayed
            def fit(a, b):
                return a @ b
            model = fit(y, b=x[:, 0])
            """,
            lines=[9, 9],
            message="dask array",
            note="a function decorated with @delayed; derived arrays",
        ),
        Invalid(
            """
            import dask
            import dask.bag as db
            bag = db.read_text("logs/*.json")
            wrapped = dask.delayed(bag)
            counts = dask.delayed(count)([bag, 3])
            """,
            lines=[4, 5],
            message="dask bag",
            note="dask.delayed wrapping a collection directly, and a collection inside a list",
        ),
        Invalid(
            """
            import dask
            import dask.array as da
            import numpy as np
            x = np.ones(10)
            if big:
                x = da.ones(100_000, chunks=5_000)
            out = dask.delayed(f)(x)
            """,
            lines=[7],
            message="`x` may be a dask array",
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        if dl.is_delayed_call(node, model):
            values = [a.value for a in node.args
                      if not a.star and (a.keyword is None or a.keyword.value not in _OWN_KEYWORDS)]
            how = "passed to a delayed call"
        elif node.args and not (type(node.func) is cst.Attribute and node.func.attr.value != "delayed") \
                and model.qualified_name(node.func) in dl.DASK_DELAYED:
            first = node.args[0]
            if first.keyword is not None or first.star:
                return
            values = [first.value]
            how = "wrapped in `dask.delayed`"
        else:
            return
        for value in values:
            items = [el.value for el in value.elements if isinstance(el, cst.Element)] if isinstance(
                value, (cst.List, cst.Tuple, cst.Set)
            ) else [value]
            for item in items:
                found = dl.dask_collection(item, model)
                if found is not None and not _small_literal_shape(found.source, model):
                    self._report(item, found, how, _whole_array_callee(node, model))

    def _report(self, expr: cst.BaseExpression, found: dl.DaskValue, how: str,
                whole_array: str | None = None) -> None:
        code = " ".join(self.ctx.code_for(expr).split())
        if len(code) > 40:
            code = code[:37] + "..."
        verb = "is" if found.certain else "may be"
        kind = found.kind
        if whole_array is not None:
            # A global sort or a decomposition needs every block at once: no block-wise advice.
            advice = (f"`{whole_array}` needs the whole array at once: make sure it fits in one "
                      "worker's memory, or use dask's own parallel version where there is one.")
        else:
            advice = (f"Use {_INSTEAD[kind]} to work block by block, or pass its pieces from "
                      "`.to_delayed()`.")
        self.report(
            expr,
            f"`{code}` {verb} a dask {_NOUN[kind]} {how}: the task receives it computed, the "
            f"whole {_CONCRETE[kind]} in one worker's memory (dask's delayed best practices: "
            f"\"Don't call dask.delayed on other Dask collections\"). {advice}",
        )



# Below this many elements a dask array made with a literal shape is a fixture, not data.
_SMALL_ELEMENTS = 10_000
_SHAPED = ("zeros", "ones", "empty", "full", "random")
# Callees that need the whole array in one place (a decomposition, a global sort, a tree).
_WHOLE_ARRAY = frozenset({"svd", "eig", "eigh", "qr", "lu", "inv", "pinv", "solve", "lstsq",
                          "argsort", "sort", "KDTree", "cKDTree", "BallTree"})


def _small_literal_shape(source: cst.CSTNode, model) -> bool:
    """`da.zeros((5, 5), chunks=2)`: a collection whose literal shape holds few elements."""
    if not isinstance(source, cst.Call) or not source.args:
        return False
    q = model.qualified_name(source.func) or ""
    if not q.startswith("dask.array") or q.rsplit(".", 1)[-1] not in _SHAPED:
        return False
    shape = source.args[0].value
    dims = [e.value for e in shape.elements] if isinstance(shape, (cst.Tuple, cst.List)) else [shape]
    total = 1
    for d in dims:
        if not isinstance(d, cst.Integer):
            return False
        total *= int(d.evaluated_value)
    return total < _SMALL_ELEMENTS


def _whole_array_callee(call: cst.Call, model) -> str | None:
    """The name of the delayed function when it is one that needs the whole array."""
    func = call.func
    if isinstance(func, cst.Call) and func.args:  # delayed(f)(...)
        func = func.args[0].value
    name = func.attr.value if isinstance(func, cst.Attribute) else (
        func.value if isinstance(func, cst.Name) else None)
    return name if name in _WHOLE_ARRAY else None
