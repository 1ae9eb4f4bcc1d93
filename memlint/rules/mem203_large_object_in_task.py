from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from memlint.analysis import datalike as dl
from memlint.analysis import members
from memlint.analysis.calls import arg, is_none, sole_binding
from memlint.engine.rule import AddImport, FixSpec, Invalid, Option, Replace, Rule, Valid, one_line

# dask-expr became dask.dataframe's default in 2024.3.0; its map_partitions lifts nothing.
EXPR_DATAFRAME = ">=2024.3.0"

ARRAY = "array"
DATAFRAME = "dataframe"
BAG = "bag"  # dask.bag's map_partitions embeds its arguments in every task

_FUNCTIONS = {
    "dask.array.map_blocks": ("map_blocks", ARRAY),
    "dask.array.core.map_blocks": ("map_blocks", ARRAY),
    "dask.array.blockwise": ("blockwise", ARRAY),
    "dask.array.core.blockwise": ("blockwise", ARRAY),
    "dask.array.blockwise.blockwise": ("blockwise", ARRAY),
    "dask.array.map_overlap": ("map_overlap", ARRAY),
    "dask.array.overlap.map_overlap": ("map_overlap", ARRAY),
    "dask.dataframe.map_partitions": ("map_partitions", DATAFRAME),
    "dask.dataframe.core.map_partitions": ("map_partitions", DATAFRAME),
}
_METHODS = {"map_blocks": ARRAY, "map_overlap": ARRAY, "map_partitions": DATAFRAME}
# The last part of every name above: a call of `x.attr` with another attribute cannot be one.
_CALLED = frozenset({q.rsplit(".", 1)[1] for q in _FUNCTIONS} | set(_METHODS))
# Keywords that configure the call rather than reach the function.
_OWN_KEYWORDS = frozenset({
    "meta", "dtype", "chunks", "drop_axis", "new_axis", "token", "name", "enforce_metadata",
    "align_dataframes", "enforce_ndim", "adjust_chunks", "new_axes", "align_arrays",
    "concatenate", "depth", "boundary", "trim", "allow_rechunk", "transform_divisions",
    "clear_divisions", "parent_meta", "func",
})
# xarray's map_blocks takes these; dask's never does.
_XARRAY_KEYWORDS = frozenset({"args", "kwargs", "template"})
# dask.array lifts lists of at least this many items into one graph key (dask PR #4735).
LIST_LIFT_ITEMS = 10


@dataclass(frozen=True)
class _Call:
    method: str  # map_blocks | blockwise | map_overlap | map_partitions
    api: str  # array | dataframe
    func: cst.Arg | None  # the mapped function
    extras: tuple[cst.Arg, ...]  # positional arguments and keywords passed to it
    has_meta: bool  # `meta=` is given: dask does not infer the output by calling the function


class LargeObjectInTask(Rule):
    """
    ## What it does
    Finds a large Python object shipped with every task of a `map_blocks`, `blockwise`,
    `map_overlap` (dask.array) or `map_partitions` (dask.dataframe) call: an extra
    argument or keyword that is data-like (an instance of a class, a fitted model, a pandas
    or numpy object, a large literal), a bound method of such an object used as the mapped
    function, or a lambda, nested function or `functools.partial` that captures one.

    ## Why is this bad?
    Each task of the graph holds its own reference to every extra argument, and the
    scheduler and workers receive it once per task: 100 blocks copy the object 100 times.
    dask.array lifts an argument into a single graph key only when its `dask.sizeof`
    exceeds 1 MB or it is a list of 10 or more items, and `sizeof` of an arbitrary object
    is just its header (56 bytes for an instance holding a 2,000,000-row Series), so
    instances, fitted models, tuples and dicts are never lifted (dask #10787, #7860,
    dask-ml #842). The mapped function is never sized at all, so a bound method or a
    closure drags its object into every task. Since dask 2024.3.0 dask.dataframe's
    `map_partitions` (dask-expr) lifts no argument, so plain pandas and numpy objects are
    copied into every partition's task too. Measured on dask 2026.8.0: a `Mapper` holding a
    30,000-row Series passed to `map_blocks` over 100 blocks pickles to 24.3 MB of tasks;
    with `dask.delayed(mapper)`, 0.51 MB, with the same result. A bound method of an
    object that keeps a file open (`open`, `netCDF4.Dataset`, `h5py.File`, ...) cannot be
    pickled at all: it runs on the threaded scheduler and fails on the process and
    distributed schedulers ("cannot pickle '_io.BufferedReader' object" on dask 2026.8.0).

    ## Example
    ```python
    import dask.array as da
    import numpy as np
    import pandas as pd

    class Mapper:
        def __init__(self, table):
            self.table = table

    def apply_mapper(block, mapper):
        return mapper.table.to_numpy()[block % len(mapper.table)]

    mapper = Mapper(pd.Series(np.linspace(0.0, 1.0, 30_000)))
    x = da.arange(1_000_000, chunks=10_000)
    y = x.map_blocks(apply_mapper, mapper, meta=np.array((), dtype=np.float64))
    ```

    ## Use instead
    ```python
    import dask
    import dask.array as da
    import numpy as np
    import pandas as pd

    class Mapper:
        def __init__(self, table):
            self.table = table

    def apply_mapper(block, mapper):
        return mapper.table.to_numpy()[block % len(mapper.table)]

    mapper = Mapper(pd.Series(np.linspace(0.0, 1.0, 30_000)))
    x = da.arange(1_000_000, chunks=10_000)
    y = x.map_blocks(apply_mapper, dask.delayed(mapper), meta=np.array((), dtype=np.float64))
    ```
    On a distributed cluster, `client.scatter(mapper, broadcast=True)` also works. For a
    bound method or closure, use a module-level function and pass the object as a
    `dask.delayed(...)` argument; for a method of an object holding an open file, a
    module-level function given the path, which opens the file in the task.

    ## Fix safety
    The fix wraps the argument in `dask.delayed(...)` (adding `import dask` when needed),
    which stores it once in the graph; every task receives the same object, computed.
    It is safe when the call gives `meta=` (and for dask.bag). Without `meta=`, dask infers
    the output by calling the function on empty blocks with the other arguments as they
    are, and a delayed argument can break that: on dask 2026.8.0, a function that calls a
    method of the object fails with "Truth of Delayed objects is not supported". So for
    dask.array without `meta=` the fix is unsafe; for `map_blocks(..., dtype=X)` it also
    turns `dtype=X` into `meta=np.empty((0,) * x.ndim, dtype=X)` (`x` the mapped array;
    not with `drop_axis=`, `new_axis=` or `chunks=`), so that dask need not call the
    function, though a function returning another array type (masked, sparse) then gets a
    numpy meta. For `map_partitions` without `meta=` there is none (dask.dataframe cannot
    infer metadata through a delayed argument at all); the message says to add `meta=`.
    Bound methods, lambdas, closures and `functools.partial` objects have no fix: the
    function must be restructured.

    ## Affected versions
    Every dask version for objects dask cannot size (instances, fitted models, bound
    methods, closures, tuples and dicts of them). dask.array lifts numpy and pandas
    objects over 1 MB (since 0.19.3) and lists of 10 or more items (since 1.2.1): those
    are not reported there. dask.dataframe's `map_partitions` lifts nothing since 2024.3.0
    (dask-expr): plain numpy and pandas objects and lists are reported there unless the
    project's dask is older.

    ## References
    - [dask #10787: copies of a Python object passed to map_blocks are never released](https://github.com/dask/dask/issues/10787)
    - [dask #7860: map_partitions or map_blocks with large objects eats up scheduler memory](https://github.com/dask/dask/issues/7860)
    - [dask-ml #842: scheduler memory balloons to npartitions × size of the model](https://github.com/dask/dask-ml/issues/842)
    - [dask best practices: load data with dask](https://docs.dask.org/en/stable/best-practices.html#load-data-with-dask)
    """

    code = "MEM203"
    name = "large-object-in-task"
    summary = "Large object copied into every task of map_blocks / map_partitions"
    libraries = ("dask",)
    # With the call's parenthesis: the names alone fill docstrings of whole libraries. And
    # a dask import: without one, a `.map_partitions(` is another library's (Modin's
    # partition managers); the first pass keeps the import statements that say so.
    triggers = tuple(
        (call, imported)
        for call in (b"map_blocks(", b"map_partitions(", b"blockwise(", b"map_overlap(")
        for imported in (b"import dask", b"from dask")
    )
    name_triggers = frozenset({b"map_blocks(", b"map_partitions(", b"blockwise(", b"map_overlap("})
    options = {
        "large-literal-min-items": Option(
            100, int, "A list, tuple, set or dict literal (or a comprehension over a range) "
            "with at least this many items is a large object."
        ),
    }
    fix_availability = "sometimes"
    local_fixes = True  # wraps the argument; adds `import dask`

    valid = (
        Valid(
            """
            import dask.array as da
            import numpy as np
            x = da.from_array(np.load("img.npy"), chunks=512)
            y = da.map_blocks(decode, x, "scene.nat", hdr_size=450, offset=0.5,
                              dtype=np.float32, chunks=x.chunks, drop_axis=1, new_axis=[2])
            """,
            note="scalars, strings, dtypes and the call's own keywords",
        ),
        Valid(
            """
            import dask
            import dask.dataframe as dd
            ddf = dd.read_parquet("docs/")
            vocabulary_for_transform = dask.delayed(vocabulary)
            out = ddf.map_partitions(count_vectorize, vocabulary_for_transform, params)
            """,
            note="already delayed: stored once",
        ),
        Valid(
            """
            import pandas as pd
            from dask.distributed import Client
            client = Client()
            lookup = pd.read_csv("lookup.csv")
            remote = client.scatter(lookup, broadcast=True)
            out = ddf.map_partitions(join_lookup, remote)
            """,
            note="a future from client.scatter",
        ),
        Valid(
            """
            import dask.dataframe as dd
            ddf = dd.read_csv("*.csv")
            ddf = ddf.map_partitions(lambda df: df.sort_values("UTCDtTm"))
            ddf = ddf.map_partitions(lambda df: df.drop_duplicates(subset=["PtID", "UTCDtTm"]))
            """,
            note="lambdas that capture nothing large",
        ),
        Valid(
            """
            import dask.array as da
            import numpy as np
            x = da.ones((1000, 1000), chunks=100)
            y = da.ones((1000, 1000), chunks=100)
            z = da.map_blocks(np.add, x, y)
            s = x.map_blocks(np.sum, keepdims=True)
            """,
            note="plain functions with dask collections as the only arguments",
        ),
        Valid(
            """
            import dask.array as da
            import numpy as np
            references = np.load("references.npy")
            quantiles = np.linspace(0, 1, 1000)
            x = da.ones(10_000_000, chunks=100_000)
            y = x.map_blocks(np.interp, quantiles, references, lut=np.load("lut.npy"))
            """,
            note="dask.array lifts numpy objects over 1 MB into one graph key",
        ),
        Valid(
            """
            import dask.array as da
            x = da.ones(1000, chunks=10)
            y = x.map_blocks(lookup, [i * i for i in range(1000)])
            """,
            note="dask.array lifts lists of 10 or more items",
        ),
        Valid(
            """
            import pandas as pd
            lookup = pd.read_csv("lookup.csv")
            out = ddf.map_partitions(join_lookup, lookup)
            """,
            versions={"dask": "2023.12.1"},
            note="legacy dask.dataframe also lifted large arguments",
        ),
        Valid(
            """
            import xarray as xr
            class Table:
                pass
            ds = xr.open_dataset("x.nc", chunks={})
            out = ds.map_blocks(apply_table, args=[Table()])
            """,
            note="xarray's map_blocks",
        ),
        Valid(
            """
            import dask.array as da
            class Scaler:
                def __init__(self, factor):
                    self.factor = factor
                def apply(self, block):
                    return block * self.factor
            def run(x, s):
                return x.map_blocks(s.apply)
            """,
            note="an object of unknown origin (a parameter)",
        ),
        Valid(
            """
            import dask.array as dsa
            import numpy as np
            class Compositor:
                def __init__(self, path):
                    self.lut = np.load(path)
                @staticmethod
                def _getitem(block, lut):
                    return lut[block]
                def __call__(self, data):
                    return data.map_blocks(self._getitem, self.lut, dtype=float)
            """,
            note="a staticmethod binds no instance; the numpy table is lifted into one key",
        ),
        Valid(
            """
            import dask.array as da
            import numpy as np
            class Resampler:
                def __init__(self, path, kernel):
                    self.table = np.load(path)
                    self.kernel = kernel
                def run(self, x):
                    return x.map_blocks(self.kernel, dtype=float)
            """,
            note="a function stored on the instance is not a bound method",
        ),
        Valid(
            """
            import dask.array as da
            from sklearn.preprocessing import StandardScaler
            class Wrapper:
                def fit(self, X):
                    self._transformer = StandardScaler().fit(X)
                    return self
                def transform(self, X):
                    return X.map_blocks(self._transformer.transform, dtype=X.dtype)
            """,
            note="a fitted scaler holds a few numbers per feature",
        ),
        Valid(
            """
            import dask.array as da
            class Encoder:
                def transform(self, X):
                    return X.map_blocks(encode, self.classes_, dtype=int)
                def inverse(self, X, quantiles):
                    return X.map_blocks(np.interp, quantiles, self.references_, dtype=float)
            """,
            note="small learned state: `classes_`, `references_`",
        ),
        Valid(
            """
            import numpy as np
            class PandasDataframe:
                def __init__(self, partitions):
                    self._partitions = np.array(partitions)
                def reduce(self, map_func):
                    return self._partition_mgr_cls.map_partitions(self._partitions, map_func)
            """,
            note="Modin's own map_partitions: no dask in the module",
        ),
        Valid(
            """
            import dask.array as da
            import numpy as np
            def make_blobs(n_centers=3, n_features=2):
                centers = np.zeros((n_centers, n_features))
                x = da.ones((1000, n_features), chunks=100)
                return x.map_blocks(shift, centers, dtype=float)
            """,
            note="a shape from small parameters is no evidence of size",
        ),
        Valid(
            """
            import dask.array as da
            import numpy as np
            class Reader:
                def __init__(self, path):
                    self.path = path
                    with open(path, "rb") as fh:
                        self.header = fh.read(64)
                def remap(self, block):
                    return block * 2
                def lazy(self, codes):
                    return da.map_blocks(self.remap, codes, dtype=float)
            """,
            note="a file read and closed in `__init__`: no handle kept",
        ),
    )
    invalid = (
        Invalid(
            """
            import dask.array as da
            import h5py

            class Scene:
                def __init__(self, path):
                    self.path = path
                    self._file = h5py.File(path, "r")

                def calibrate(self, block):
                    return block * 0.5

                def radiances(self, counts):
                    return da.map_blocks(self.calibrate, counts, dtype="f4")
            """,
            lines=[13],
            message="open file handle",
            note="a reader keeping its file open (satpy's LI reader, through its base class)",
        ),
        Invalid(
            """
            import dask.array as da
            import numpy as np
            import pandas as pd

            class Mapper:
                def __init__(self, table):
                    self.table = table

            mapper = Mapper(pd.Series(range(30_000)))
            x = da.arange(1_000_000, chunks=10_000)
            y = x.map_blocks(apply_mapper, mapper, meta=np.array((), dtype=float))
            """,
            lines=[11],
            message="an instance of `Mapper`",
            fixed="""
            import dask.array as da
            import numpy as np
            import pandas as pd
            import dask

            class Mapper:
                def __init__(self, table):
                    self.table = table

            mapper = Mapper(pd.Series(range(30_000)))
            x = da.arange(1_000_000, chunks=10_000)
            y = x.map_blocks(apply_mapper, dask.delayed(mapper), meta=np.array((), dtype=float))
            """,
            note="with meta=, the fix is safe",
        ),
        Invalid(
            """
            import dask
            from dask.array import map_blocks
            from scipy.interpolate import LinearNDInterpolator

            def interpolate(points, values, grid_x, grid_y):
                interpolator = LinearNDInterpolator(points, values)
                return map_blocks(intp, grid_x, grid_y, interpolator=interpolator, dtype=float)
            """,
            lines=[7],
            message="may be an instance of `LinearNDInterpolator`",
            unsafe=True,
            fixed="""
            import dask
            from dask.array import map_blocks
            from scipy.interpolate import LinearNDInterpolator

            def interpolate(points, values, grid_x, grid_y):
                interpolator = LinearNDInterpolator(points, values)
                return map_blocks(intp, grid_x, grid_y, interpolator=dask.delayed(interpolator), dtype=float)
            """,
            note="a keyword, function form",
        ),
        Invalid(
            """
            import dask.array as dsa
            import numpy as np
            class Handler:
                def __init__(self, path):
                    self.lut = np.load(path)
                def _getitem(self, block):
                    return self.lut[block]
                def calibrate(self, data):
                    return data.map_blocks(self._getitem, dtype=float)
            """,
            lines=[9],
            message="bound method of `self`",
            note="a plain method: the instance, and its table, travel with every task",
        ),
        Invalid(
            """
            import dask.array as da
            from sklearn.ensemble import RandomForestClassifier
            class Wrapper:
                def fit(self, X, y):
                    self._forest = RandomForestClassifier().fit(X, y)
                    return self
                def predict(self, X):
                    return X.map_blocks(self._forest.predict, dtype=int, drop_axis=1)
            """,
            lines=[8],
            message="bound method",
            note="a fitted forest keeps its trees",
        ),
        Invalid(
            """
            import dask.dataframe as dd
            class PostFit:
                def __init__(self, estimator):
                    self.estimator = estimator
                @property
                def _postfit_estimator(self):
                    return self.estimator
                def fit(self, X, y):
                    self.estimator.fit(X, y)
                    return self
                def predict(self, X, meta):
                    return X.map_partitions(_predict, estimator=self._postfit_estimator, meta=meta)
            """,
            lines=[12],
            message="may be a fitted model",
            fixed="""
            import dask.dataframe as dd
            import dask
            class PostFit:
                def __init__(self, estimator):
                    self.estimator = estimator
                @property
                def _postfit_estimator(self):
                    return self.estimator
                def fit(self, X, y):
                    self.estimator.fit(X, y)
                    return self
                def predict(self, X, meta):
                    return X.map_partitions(_predict, estimator=dask.delayed(self._postfit_estimator), meta=meta)
            """,
            note="dask-ml #842: the fitted estimator, read through a property",
        ),
        Invalid(
            """
            import dask.dataframe as dd
            import pandas as pd
            class Loader:
                def __init__(self, path):
                    self.df_patient = pd.read_csv(path)
                def localize(self, ddf):
                    return ddf.map_partitions(
                        lambda df: df.merge(self.df_patient[["PtID", "TZ"]], on="PtID")
                    )
            """,
            lines=[8],
            message="`self.df_patient`",
            note="a lambda capturing self's DataFrame",
        ),
        Invalid(
            """
            import functools
            import dask.dataframe as dd
            import numpy as np
            weights = np.load("weights.npy")
            ddf = dd.read_parquet("data/")
            scored = ddf.map_partitions(functools.partial(score, weights=weights))
            """,
            lines=[6],
            message="`functools.partial`",
        ),
        Invalid(
            """
            import dask.array as da
            import numpy as np
            def run(x):
                table = np.load("table.npy")
                def apply(block):
                    return table[block]
                return x.map_blocks(apply, dtype=table.dtype)
            """,
            lines=[7],
            message="function `apply` captures `table`",
            note="a nested function closing over a local array",
        ),
        Invalid(
            """
            import dask.dataframe as dd
            import pandas as pd
            lookup = pd.read_csv("lookup.csv")
            ddf = dd.read_parquet("events/")
            joined = ddf.map_partitions(join_lookup, lookup, how="left", meta=meta)
            joined2 = dd.map_partitions(join_lookup, ddf, lookup=lookup.values)
            """,
            versions={"dask": "2026.8.0"},
            lines=[5, 6],
            message="dask 2026.8.0",
            fixed="""
            import dask.dataframe as dd
            import pandas as pd
            import dask
            lookup = pd.read_csv("lookup.csv")
            ddf = dd.read_parquet("events/")
            joined = ddf.map_partitions(join_lookup, dask.delayed(lookup), how="left", meta=meta)
            joined2 = dd.map_partitions(join_lookup, ddf, lookup=lookup.values)
            """,
            note="map_partitions lifts nothing; without meta= there is no fix",
        ),
        Invalid(
            """
            import dask.array as da
            from dask import delayed
            codes = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}
            x = da.ones(100, chunks=10)
            y = da.blockwise(lookup, "i", x, "i", codes, None, dtype=int)
            z = x.map_overlap(smooth, 1, table=codes)
            """,
            options={"large-literal-min-items": 5},
            lines=[5, 6],
            message="dict literal of 6 items",
            unsafe=True,
            fixed="""
            import dask.array as da
            from dask import delayed
            codes = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}
            x = da.ones(100, chunks=10)
            y = da.blockwise(lookup, "i", x, "i", delayed(codes), None, dtype=int)
            z = x.map_overlap(smooth, 1, table=delayed(codes))
            """,
            note="blockwise pairs and map_overlap keywords; the `delayed` import is reused",
        ),
        Invalid(
            """
            import dask.array as da
            x = da.ones(100, chunks=10)
            y = x.map_blocks(lookup, (1, 2, 3, 4, 5))
            """,
            options={"large-literal-min-items": 5},
            lines=[3],
            message="tuple literal of 5 items",
            unsafe=True,
            fixed="""
            import dask.array as da
            import dask
            x = da.ones(100, chunks=10)
            y = x.map_blocks(lookup, dask.delayed((1, 2, 3, 4, 5)))
            """,
        ),
    )

    # -- analysis ----------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        call = self._classify(node)
        if call is None:
            return
        if call.func is not None:
            self._check_function(node, call, call.func.value)
        for a in call.extras:
            self._check_argument(node, call, a)

    def _classify(self, node: cst.Call) -> _Call | None:
        model = self.ctx.model
        kind = type(node.func)  # exact types: isinstance on libcst's ABCs is slow
        if kind is cst.Attribute:
            if node.func.attr.value not in _CALLED:
                return None  # most calls: answered before resolving any name
        elif kind is not cst.Name:
            return None
        q = model.qualified_name(node.func)
        if q is not None:
            if q not in _FUNCTIONS:
                return None
            method, api = _FUNCTIONS[q]
            function_form = True
        elif isinstance(node.func, cst.Attribute) and node.func.attr.value in _METHODS:
            method = node.func.attr.value
            api = _METHODS[method]
            function_form = False
            receiver = node.func.value
            if _is_xarray(receiver, model) or any(
                a.keyword is not None and a.keyword.value in _XARRAY_KEYWORDS for a in node.args
            ):
                return None
            found = dl.dask_value(receiver, model)
            if found is None and not _imports_dask(model):
                return None  # another library's method of that name (Modin's partition managers)
            if found is not None and not found.collection:
                return None
            if found is not None and found.kind == dl.BAG:
                api = BAG
        else:
            return None
        func = arg(node, "func", 0)
        positional = [a for a in node.args if a.keyword is None]
        if any(a.star for a in positional):
            extras_pos: list[cst.Arg] = []  # `*args`: positions unknown
        elif method == "blockwise":
            # blockwise(func, out_ind, arg1, ind1, arg2, ind2, ...): an argument whose
            # index is None is passed as it is; the others are arrays.
            pairs = positional[2:]
            extras_pos = [
                pairs[i] for i in range(0, len(pairs) - 1, 2)
                if is_none(pairs[i + 1].value)
            ]
        elif method == "map_overlap" and not function_form:
            extras_pos = []  # x.map_overlap(func, depth, boundary, trim)
        else:
            extras_pos = positional[1:]
        keywords = [
            a for a in node.args
            if a.keyword is not None and a.keyword.value not in _OWN_KEYWORDS
        ]
        has_meta = arg(node, "meta") is not None
        return _Call(method, api, func, tuple(extras_pos + keywords), has_meta)

    def _lifts(self, call: _Call, found: dl.DataLike) -> bool:
        """Whether dask stores this argument once as its own graph key."""
        if call.api == BAG or (call.api == DATAFRAME and self.ctx.affected("dask", EXPR_DATAFRAME)):
            return False
        if found.sized:
            return True  # sizeof measures it: over 1 MB it is lifted, under it is small
        return found.container == "list" and (found.length or 0) >= LIST_LIFT_ITEMS

    def _check_argument(self, node: cst.Call, call: _Call, a: cst.Arg) -> None:
        model = self.ctx.model
        value = a.value
        if dl.dask_value(value, model) is not None:
            return
        found = dl.datalike(value, model, self.option["large-literal-min-items"])
        if found is None or self._lifts(call, found):
            return
        code = one_line(self.ctx.code_for(value))
        verb = "is" if found.certain else "may be"
        message = f"`{code}` {verb} {found.what}: {self._why(call, found)}"
        spelling = dl.delayed_spelling(model, value)
        if spelling is None or a.star:
            self.report(value, message + " Wrap it once in `dask.delayed(...)` to store it once "
                        "in the graph.")
            return
        delayed = spelling[0]
        message += f" Pass `{delayed}({code})` to store it once in the graph"
        if call.has_meta or call.api == BAG:
            applicability: str | None = "safe"
            message += "."
        elif call.api == ARRAY:
            # Without meta=, dask calls the function on empty blocks with the other
            # arguments as they are: a Delayed there can break that inference.
            applicability = "unsafe"
            message += (
                ", and give `meta=`: dask infers the output by calling the function with the "
                "arguments as they are, which may fail on a delayed one."
            )
        else:
            applicability = None  # dask.dataframe cannot infer meta through a Delayed at all
            message += ", with `meta=`: dask cannot infer the output's metadata through a delayed argument."
        fix = self._fix(a, spelling, applicability, self._meta_for(node, call)) if applicability else None
        # A positional argument's range holds its parentheses; a keyword's starts at the value.
        self.report(a if a.keyword is None else value, message, fix=fix)

    def _why(self, call: _Call, found: dl.DataLike) -> str:
        tasks = "every task" if call.api == ARRAY else "every partition's task"
        plain = found.sized or found.container == "list" or found.kind in (
            dl.LITERAL, dl.COMPREHENSION
        )
        if plain and call.api == DATAFRAME and self.ctx.affected("dask", EXPR_DATAFRAME):
            version = self.ctx.version("dask").describe()
            return (
                f"`{call.method}` copies it into {tasks}, since dask.dataframe's "
                f"`map_partitions` lifts no argument into a graph key from dask 2024.3.0 on "
                f"({version})."
            )
        if plain and call.api == BAG:
            return f"dask.bag's `{call.method}` copies it into {tasks}; it lifts no argument."
        if found.kind in (dl.LITERAL, dl.COMPREHENSION):
            return (
                f"`{call.method}` copies it into {tasks}; dask lifts only lists of "
                f"{LIST_LIFT_ITEMS}+ items and objects over 1 MB into a single graph key."
            )
        if found.container == "list" and found.length is None and call.api == ARRAY:
            return (
                f"`{call.method}` copies it into {tasks} when the tasks are serialized one at "
                f"a time (distributed and process schedulers), unless the list has "
                f"{LIST_LIFT_ITEMS} or more items, which dask.array lifts into one graph key."
            )
        return (
            f"`{call.method}` copies it into {tasks} when the tasks are serialized one at a "
            "time (distributed and process schedulers), since dask sizes such an object by its "
            "header and does not lift it into a single graph key (dask #10787, #7860)."
        )

    def _check_function(self, node: cst.Call, call: _Call, func: cst.BaseExpression) -> None:
        """The mapped function itself is pickled into every task, never sized."""
        model = self.ctx.model
        min_items = self.option["large-literal-min-items"]
        advice = (
            "Use a module-level function and pass the object as a `dask.delayed(...)` "
            "argument, or `client.scatter(obj, broadcast=True)`."
        )
        tasks = "every task" if call.api == ARRAY else "every partition's task"
        target, label = self._function_value(func)
        if target is None:
            return
        if isinstance(target, cst.Attribute) and model.qualified_name(target) is None:
            if members.member_kind(target, model) not in (members.METHOD, None):
                return  # a staticmethod, classmethod or stored function binds no instance
            found = dl.datalike(target.value, model, min_items, handles=True)
            if found is not None and found.handle:
                verb = "is" if found.certain else "may be"
                owner = one_line(self.ctx.code_for(target.value))
                self.report(
                    func,
                    f"The function is a bound method of `{owner}`, which {verb} {found.what}: "
                    f"the object is pickled with the method into {tasks} of "
                    f"`{call.method}` when the tasks are serialized (distributed and process "
                    f"schedulers), and an open handle cannot be pickled. Use a module-level "
                    f"function that opens the file itself, given the path.",
                )
            elif found is not None:
                verb = "is" if found.certain else "may be"
                owner = one_line(self.ctx.code_for(target.value))
                self.report(
                    func,
                    f"The function is a bound method of `{owner}`, which {verb} {found.what}: "
                    f"the object is pickled with the method into {tasks} of `{call.method}` "
                    f"when the tasks are serialized one at a time (distributed and process "
                    f"schedulers; dask never sizes the function). {advice}",
                )
            return
        if isinstance(target, (cst.Lambda, cst.FunctionDef)):
            captured = dl.captured(target, model, min_items)
            if captured:
                expr, found = captured[0]
                verb = "is" if found.certain else "may be"
                what = "lambda" if isinstance(target, cst.Lambda) else f"function `{label}`"
                self.report(
                    func,
                    f"The {what} captures `{one_line(self.ctx.code_for(expr))}`, which {verb} "
                    f"{found.what}: it is pickled with the function into {tasks} of "
                    f"`{call.method}`. {advice}",
                )
            return
        if isinstance(target, cst.Call):  # functools.partial(f, *args, **kwargs)
            bound = target.args[1:]
            for b in bound:
                found = dl.datalike(b.value, model, min_items)
                if found is not None and dl.dask_value(b.value, model) is None:
                    verb = "is" if found.certain else "may be"
                    self.report(
                        func,
                        f"The `functools.partial` binds `{one_line(self.ctx.code_for(b.value))}`, "
                        f"which {verb} {found.what}: it is pickled with the partial into {tasks} "
                        f"of `{call.method}` (dask never sizes the function). Pass it to "
                        f"`{call.method}` as a `dask.delayed(...)` argument instead.",
                    )
                    return
            if target.args:
                self._check_function(node, call, target.args[0].value)

    def _function_value(self, func: cst.BaseExpression) -> tuple[cst.CSTNode | None, str]:
        """What the mapped function is: a bound method (Attribute), a lambda or nested
        def, or a `functools.partial(...)` call, following a name to its value."""
        model = self.ctx.model
        candidates: list[cst.CSTNode] = [func]
        if isinstance(func, cst.Name):
            b = sole_binding(func, model)
            if b is not None and b.kind == "def":
                node = b.node
                # Only nested functions close over locals; module-level ones are pickled by
                # reference when importable.
                if model.scope(node).kind == "function":
                    return node, func.value
                return None, ""
            candidates = [o.expr for o in model.origins(func)]
        for c in candidates:
            if isinstance(c, cst.Lambda):
                return c, ""
            if isinstance(c, cst.Call) and model.qualified_name(c.func) == "functools.partial":
                return c, ""
            if isinstance(c, cst.Attribute):
                return c, ""
        return None, ""

    # -- fix -----------------------------------------------------------------------------------
    def _meta_for(self, node: cst.Call, call: _Call) -> Replace | None:
        """For `map_blocks(..., dtype=X)` without `meta=`, `dtype=X` rewritten into
        `meta=np.empty((0,) * x.ndim, dtype=X)` (x the mapped array): with a meta, dask
        does not call the function to infer its output, which a delayed argument breaks.
        None where the output's dimensions may differ from the array's (`drop_axis=`,
        `new_axis=`, `chunks=`) or the array or numpy cannot be named."""
        if call.api != ARRAY or call.method != "map_blocks" or call.has_meta:
            return None
        dtype = arg(node, "dtype")
        if dtype is None or dtype.keyword is None or any(arg(node, k) is not None for k in ("drop_axis", "new_axis", "chunks")):
            return None
        model = self.ctx.model
        if isinstance(node.func, cst.Attribute) and model.qualified_name(node.func) is None:
            array = node.func.value  # x.map_blocks(f, ...)
        else:
            positional = [x for x in node.args if x.keyword is None]
            array = positional[1].value if len(positional) > 1 else None
            if array is None or not dl.is_dask_collection(array, model):
                return None
        if not isinstance(array, (cst.Name, cst.Attribute)):
            return None
        numpy = _numpy_name(model)
        if numpy is None:
            return None
        meta = dtype.with_changes(
            keyword=cst.Name("meta"),
            value=cst.parse_expression(
                f"{numpy}.empty((0,) * {self.ctx.code_for(array).strip()}.ndim, "
                f"dtype={self.ctx.code_for(dtype.value).strip()})"),
            comma=cst.MaybeSentinel.DEFAULT,
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        return Replace(dtype, self.ctx.code_for(meta))

    def _fix(self, a: cst.Arg, spelling: tuple[str, bool], applicability: str, meta: Replace | None = None) -> FixSpec:
        name, needs_import = spelling
        code = self.ctx.code_for(a.value)
        # The argument's range holds the value's parentheses (a tuple keeps its own).
        wrapped = a.with_changes(
            value=cst.parse_expression(f"{name}({code.strip()})"),
            comma=cst.MaybeSentinel.DEFAULT,
            whitespace_after_arg=cst.SimpleWhitespace(""),
        )
        changes: list = [Replace(a, self.ctx.code_for(wrapped))]
        title = f"Wrap `{one_line(code)}` in `{name}(...)`"
        if meta is not None:
            changes.append(meta)
            title += ", and give `meta=` for `dtype=`"
        if needs_import:
            changes.append(AddImport("import dask"))
        return FixSpec(applicability, title, changes)


def _numpy_name(model) -> str | None:
    """The name the module imports numpy under (`import numpy as np`), if any."""
    for bindings in model.module_scope.bindings.values():
        for b in bindings:
            if b.kind == "import" and b.qualname == "numpy":
                return b.name
    return None


def _is_xarray(expr: cst.BaseExpression, model) -> bool:
    for origin in model.origins(expr):
        e = origin.expr
        while isinstance(e, (cst.Call, cst.Attribute, cst.Subscript)):
            if isinstance(e, cst.Call):
                q = model.qualified_name(e.func)
                if q is not None:
                    return q.split(".")[0] == "xarray"
                e = e.func
            else:
                e = e.value
    return False


def _imports_dask(model) -> bool:
    return any(m == "dask" or m.startswith("dask.") for m in model.imported_modules)
