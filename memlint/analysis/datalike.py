"""Is this value "data-like" (big enough that copying it into every task hurts), and is it a
dask collection, a `dask.delayed` value or a distributed future?

Data-like (`datalike(expr, model, min_items)` returns a `DataLike`):

- instances of classes defined in the module (`INSTANCE`), including `self` inside a method
  of a class that stores data-like attributes, and instances of imported classes not known
  to be small (`OBJECT`, e.g. `LinearNDInterpolator(points, values)`);
- pandas objects from constructors and readers (`PANDAS`: `pd.DataFrame`, `pd.Series`,
  `pd.read_*`, `pd.concat`, ...);
- numpy arrays from constructors and loaders (`NUMPY`: `np.zeros`, `np.array`,
  `np.random.rand`, `np.load`, ...), unless a literal shape makes them small;
- fitted models (`FITTED`): the result of `.fit(...)`, a value `.fit(...)` was called on,
  and scikit-learn-like learned attributes on `self` (`self.estimator_`);
- container literals with at least `min_items` elements (`LITERAL`), comprehensions over a
  range of at least `min_items` (`COMPREHENSION`), and smaller containers holding a
  data-like value (`CONTAINER`), including an empty one filled afterwards
  (`meta = {}; meta["X"] = X`);
- the training data of a method `fit` (its parameters `X` and `y`, scikit-learn's
  convention: `TRAINING`, never certain; measured by `dask.sizeof` as arrays and frames);
- names and `self` attributes bound to any of these (through assignments, in-place
  updates, and values derived with slicing, arithmetic and copying methods).

Not data-like: scalars, strings, small literals, dtypes, dask collections,
`dask.delayed(...)` values and futures (`client.scatter`, `client.submit`, ...).

`certain` is False when the value is data-like on some paths only, or when the kind is a
guess (an imported class, a learned attribute, a constructor fed unknown arguments): the
rule should then say "may".

`dask_value(expr, model)` classifies dask values: collections ("array", "dataframe",
"bag"), "delayed" and "future". `is_dask_collection`, `is_delayed` and `is_future` answer
whether the value may be one of those on some path.
"""

from __future__ import annotations

import builtins
import sys
import weakref
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from memlint.analysis import reach
from memlint.analysis.calls import arg_value, is_builtin, is_self_attribute, literal, sole_binding, with_value
from memlint.analysis.members import property_def, returned_values

if TYPE_CHECKING:  # pragma: no cover
    from memlint.analysis.model import Binding, Origin, SemanticModel

INSTANCE = "instance"
OBJECT = "object"
PANDAS = "pandas"
NUMPY = "numpy"
FITTED = "fitted model"
LITERAL = "large literal"
COMPREHENSION = "comprehension"
CONTAINER = "container"
TRAINING = "training data"
HANDLE = "file handle"

ARRAY = "array"
DATAFRAME = "dataframe"
BAG = "bag"
DELAYED = "delayed"
FUTURE = "future"
COLLECTION_KINDS = (ARRAY, DATAFRAME, BAG)

DEFAULT_MIN_ITEMS = 100
_MAX_DEPTH = 24
_MAX_STEPS = 4000


@dataclass(frozen=True)
class DataLike:
    """A data-like value.

    `kind` is one of the constants above; `source` the expression that makes the data (a
    constructor call, a literal, ...); `what` a short description for messages ("an
    instance of `Mapper`"); `container` "list", "tuple", "set" or "dict" when the value is
    one, with `length` its number of items when known; `element` the data-like item a
    `CONTAINER` holds.
    """

    kind: str
    source: cst.CSTNode
    certain: bool
    what: str
    container: str | None = None
    length: int | None = None
    element: "DataLike | None" = None

    @property
    def sized(self) -> bool:
        """Whether `dask.sizeof` measures the data (numpy and pandas objects, and containers
        of only those). Other objects measure as their few-byte header."""
        if self.kind in (PANDAS, NUMPY, TRAINING):
            return True
        if self.kind == CONTAINER and self.element is not None:
            return self.element.sized
        return False

    @property
    def handle(self) -> bool:
        """Whether what makes it data-like is an open file handle (held, or itself)."""
        inner = self
        while inner.kind != HANDLE and inner.element is not None:
            inner = inner.element
        return inner.kind == HANDLE


@dataclass(frozen=True)
class DaskValue:
    """A dask value: `kind` is "array", "dataframe", "bag", "delayed" or "future"; `source`
    the expression that creates it."""

    kind: str
    source: cst.CSTNode
    certain: bool

    @property
    def collection(self) -> bool:
        return self.kind in COLLECTION_KINDS


# -- public API --------------------------------------------------------------------------------
def datalike(
    expr: cst.BaseExpression, model: "SemanticModel", min_items: int = DEFAULT_MIN_ITEMS,
    handles: bool = False, callers: bool = False,
) -> DataLike | None:
    """The data-like value `expr` may evaluate to, or None. With `handles`, an open file
    handle (or an object holding one) counts too (`HANDLE`): it is not large, but it
    cannot be pickled into a task. With `callers`, a public function's parameters are
    followed to what the modules of its package pass (the package is scanned for its
    importers and their calls parsed: asked where a value is sent again and again)."""
    return _DataLikeAnalysis(model, min_items, handles, callers).of(expr)


def dask_value(expr: cst.BaseExpression, model: "SemanticModel") -> DaskValue | None:
    """The dask collection, delayed value or future `expr` may evaluate to, or None."""
    return _DaskAnalysis(model).of(expr)


def dask_collection(expr: cst.BaseExpression, model: "SemanticModel") -> DaskValue | None:
    value = dask_value(expr, model)
    return value if value is not None and value.collection else None


def is_dask_collection(expr: cst.BaseExpression, model: "SemanticModel") -> bool:
    """Whether `expr` may be a dask array, dataframe or bag (not a delayed value)."""
    return dask_collection(expr, model) is not None


def is_delayed(expr: cst.BaseExpression, model: "SemanticModel") -> bool:
    """Whether `expr` may be a `dask.delayed` value (wrapped object, delayed function, or
    the result of calling one)."""
    value = dask_value(expr, model)
    return value is not None and value.kind == DELAYED


def is_future(expr: cst.BaseExpression, model: "SemanticModel") -> bool:
    """Whether `expr` may be a distributed future (or a list of them) from
    `client.scatter`, `client.submit`, `client.map` or `client.compute`."""
    value = dask_value(expr, model)
    return value is not None and value.kind == FUTURE


def is_delayed_call(call: cst.CSTNode, model: "SemanticModel") -> bool:
    """`dask.delayed(f)(...)`, `dask.delayed(f, pure=True)(...)`, or a call of a function
    decorated with `@dask.delayed` / `@dask.delayed(...)`: a call that builds a task."""
    if not isinstance(call, cst.Call):
        return False
    func = call.func
    if isinstance(func, cst.Call) and model.qualified_name(func.func) in DASK_DELAYED:
        return True
    return isinstance(func, cst.Name) and _delayed_def(func, model) is not None


def delayed_spelling(model: "SemanticModel", at: cst.CSTNode) -> tuple[str, bool] | None:
    """How to write `dask.delayed` at `at`: ("dask.delayed", False) when `dask` is imported,
    else the name `dask.delayed` is imported as, else ("dask.delayed", True): add `import
    dask`. None when `dask` names something else there."""
    _, bindings = model.lookup("dask", at)
    reaching = model.reaching(bindings, at) if bindings else []
    if reaching and all(b.kind == "import" and b.qualname == "dask" for b in reaching):
        return "dask.delayed", False
    for name, found in model.module_scope.bindings.items():
        if any(b.kind == "import" and b.qualname in DASK_DELAYED for b in found):
            _, visible = model.lookup(name, at)
            if visible and all(b.kind == "import" and b.qualname in DASK_DELAYED for b in visible):
                return name, False
    if not bindings:
        return "dask.delayed", True
    return None


def captured(
    func: cst.CSTNode, model: "SemanticModel", min_items: int = DEFAULT_MIN_ITEMS
) -> list[tuple[cst.BaseExpression, DataLike]]:
    """Data-like values a lambda or def body reads from outside itself (closure cells,
    globals, or `self.attr` of the enclosing method's instance), in source order, one per
    name. cloudpickle ships them with the function."""
    analysis = _DataLikeAnalysis(model, min_items)
    out: list[tuple[cst.BaseExpression, DataLike]] = []
    seen: set[str] = set()
    instances: list[cst.Name] = []
    # Default values are evaluated once and stored on the function: they travel with it too.
    defaults = [p.default for p in _params(func) if p.default is not None]
    # (The body's names through the model's index: a walk of libcst's `children` cost a
    # fifth of MEM203's time. Names a def, parameter or import introduces inside the body
    # are left out; they are the function's own.)
    for name in [n for d in defaults for n in _names_in(d)] + model.references_within(func.body):
        scope, _ = model.lookup(name.value, name)
        if scope is None or scope.node is func or _inside(scope.node, func, model):
            continue
        target: cst.BaseExpression = name
        if _self_class(name, model) is not None:
            # `self.table`: name the attribute read when it is the data.
            instances.append(name)
            parent = model.parent.get(name)
            if not (isinstance(parent, cst.Attribute) and parent.value is name):
                continue
            target = parent
        key = model.module.code_for_node(target)
        if key in seen:
            continue
        seen.add(key)
        found = analysis.of(target)
        if found is not None:
            out.append((target, found))
    if instances and not any(_self_class_of(e, model) for e, _ in out):
        # The whole instance is pickled with the function, with whatever data it holds.
        found = analysis.of(instances[0])
        if found is not None:
            out.append((instances[0], found))
    out.sort(key=lambda pair: model.index.get(pair[0], 0))
    return out


def _self_class_of(expr: cst.BaseExpression, model: "SemanticModel") -> bool:
    return (
        isinstance(expr, cst.Attribute)
        and isinstance(expr.value, cst.Name)
        and _self_class(expr.value, model) is not None
    )


def _params(func: cst.CSTNode) -> Iterator[cst.Param]:
    params = getattr(func, "params", None)
    if not isinstance(params, cst.Parameters):
        return
    yield from params.posonly_params
    yield from params.params
    if isinstance(params.star_arg, cst.Param):
        yield params.star_arg
    yield from params.kwonly_params


# -- qualified names ---------------------------------------------------------------------------
DASK_DELAYED = ("dask.delayed", "dask.delayed.delayed")
_CLIENTS = (
    "dask.distributed.Client",
    "distributed.Client",
    "distributed.client.Client",
    "dask.distributed.get_client",
    "distributed.get_client",
    "distributed.client.get_client",
    "distributed.worker.get_client",
    "dask.distributed.default_client",
    "distributed.default_client",
    "distributed.client.default_client",
)
_FUTURE_CLASSES = ("dask.distributed.Future", "distributed.Future", "distributed.client.Future")
_FUTURE_METHODS = ("scatter", "submit", "map", "compute")

# Module-level dask functions that do not return a collection.
# dask.array functions (at `dask.array.X` or in these submodules) return arrays, except these.
_DASK_ARRAY_MODULES = ("dask.array", "dask.array.random", "dask.array.fft", "dask.array.linalg",
                       "dask.array.ma", "dask.array.core", "dask.array.creation",
                       "dask.array.routines", "dask.array.overlap", "dask.array.blockwise",
                       "dask.array.reductions", "dask.array.ufunc")
_DASK_ARRAY_NOT_COLLECTION = {
    "store", "compute", "persist", "normalize_chunks", "optimize", "gufunc", "as_gufunc",
    "register_chunk_type", "visualize", "get", "histogram", "histogram2d", "histogramdd",
    "meshgrid", "unify_chunks", "broadcast_arrays", "atop", "blockdims_from_blockshape",
    "concatenate_lookup", "tensordot_lookup", "einsum_lookup", "auto_chunks",
    "apply_infer_dtype", "svd", "svd_compressed", "qr", "tsqr", "lu", "eigh", "chunks_from_arrays",
    "slices_from_chunks", "getter", "getter_inline", "getter_nofancy", "is_scalar_for_elemwise",
    # Reductions: small, as their methods (`x.sum()`) are.
    "sum", "prod", "mean", "std", "var", "min", "max", "any", "all", "argmin", "argmax",
    "nansum", "nanprod", "nanmean", "nanstd", "nanvar", "nanmin", "nanmax", "nanargmin",
    "nanargmax", "median", "nanmedian", "count_nonzero", "ptp", "average", "moment",
}
# dask.dataframe and dask.bag functions that return collections.
_DASK_DATAFRAME_FUNCTIONS = {
    "concat", "merge", "merge_asof", "map_partitions", "map_overlap", "to_datetime",
    "to_numeric", "to_timedelta", "melt", "pivot_table", "get_dummies", "repartition",
}
_DASK_BAG_FUNCTIONS = {"concat", "zip", "map", "map_partitions", "range", "read_text", "read_avro"}


def _dask_function_kind(q: str) -> str | None:
    """The collection kind a dask function returns, from its qualified name."""
    module, _, name = q.rpartition(".")
    if name.startswith(("_", "to_")):
        return None
    if module in _DASK_ARRAY_MODULES:
        return None if name in _DASK_ARRAY_NOT_COLLECTION else ARRAY
    if module.startswith("dask.dataframe") and (
        name.startswith(("read_", "from_"))
        or (module in ("dask.dataframe", "dask.dataframe.multi") and name in _DASK_DATAFRAME_FUNCTIONS)
    ):
        return DATAFRAME
    if module == "dask.bag" and (name.startswith("from_") or name in _DASK_BAG_FUNCTIONS):
        return BAG
    return None


# Methods of a collection whose result is a collection of about the same size.
_COLLECTION_METHODS = {
    "map_blocks", "map_partitions", "map_overlap", "blockwise", "rechunk", "persist",
    "repartition", "astype", "reshape", "transpose", "swapaxes", "ravel", "flatten",
    "squeeze", "copy", "clip", "round", "fillna", "dropna", "assign", "merge", "join",
    "set_index", "reset_index", "sort_values", "query", "apply", "map", "where", "mask",
    "isna", "isnull", "notna", "notnull", "abs", "cumsum", "cumprod", "rename", "drop",
    "drop_duplicates", "to_dask_array", "to_dask_dataframe", "to_frame", "to_bag",
    "shuffle", "explode", "melt", "pivot_table", "categorize", "replace", "filter",
    "pluck", "starmap", "conj", "dot", "get_partition",
}
# Attributes of a collection that are metadata, not data.
_COLLECTION_METADATA = {
    "shape", "dtype", "dtypes", "ndim", "chunks", "chunksize", "npartitions", "divisions",
    "known_divisions", "columns", "name", "dask", "nbytes", "itemsize", "numblocks",
    "_meta", "_name", "size", "blocks", "partitions", "loc", "iloc",
}

_PANDAS_CONSTRUCTORS = {
    "DataFrame", "Series", "Index", "MultiIndex", "Categorical", "DatetimeIndex",
    "concat", "merge", "merge_asof", "merge_ordered", "crosstab", "pivot_table",
    "get_dummies", "json_normalize", "DataFrame.from_dict", "DataFrame.from_records",
}
_NUMPY_LOADERS = {
    "load", "loadtxt", "genfromtxt", "fromfile", "fromregex", "memmap", "lib.format.open_memmap",
}
_NUMPY_SHAPED = {"zeros", "ones", "empty", "full"}  # first argument is the shape
_NUMPY_FROM_DATA = {
    "array", "asarray", "asanyarray", "ascontiguousarray", "asfortranarray", "copy",
    "concatenate", "stack", "vstack", "hstack", "dstack", "column_stack", "tile", "repeat",
    "outer", "zeros_like", "ones_like", "empty_like", "full_like", "sort", "unique",
    "frombuffer", "fromiter",
}
_NUMPY_RANDOM_DIMS = {"rand", "randn"}  # positional dimensions
_NUMPY_RANDOM_SIZE = {  # name -> position of `size`
    "random": 0, "random_sample": 0, "sample": 0, "ranf": 0, "normal": 2, "uniform": 2,
    "randint": 2, "choice": 1, "binomial": 2, "poisson": 1, "exponential": 1,
    "standard_normal": 0, "integers": 2, "permutation": None,
}
# Methods of a numpy/pandas value whose result is about as big as the value.
_DATA_METHODS = {
    "copy", "astype", "to_numpy", "transpose", "reshape", "ravel", "flatten", "squeeze",
    "view", "dropna", "fillna", "reset_index", "set_index", "sort_values", "sort_index",
    "drop", "rename", "assign", "merge", "join", "query", "apply", "map", "where", "mask",
    "abs", "round", "clip", "cumsum", "to_frame", "swapaxes", "interpolate", "replace",
    "reindex", "pivot", "melt", "explode", "drop_duplicates", "to_dict", "to_records",
    "tolist", "to_list",
}
_DATA_KEYWORDS = ("data", "a", "object", "objs", "left", "right")
_DATA_ATTRIBUTES = {"values": NUMPY, "T": None, "array": None, "loc": None, "iloc": None}
# Top-level packages whose classes hold no bulk data (or are handled above).
_SMALL_PACKAGES = {
    "dask", "distributed", "numpy", "pandas", "joblib", "ray", "typing_extensions",
    "tqdm", "click", "attr", "attrs",
} | set(getattr(sys, "stdlib_module_names", ()))
# Words in a learned attribute's name that say it holds fitted estimators.
_ESTIMATOR_WORDS = ("estimator", "model", "tree", "forest", "learner")
LARGE = "large"
SMALL = "small"
# Classes whose fitted (or built) instances keep their training data or a structure as big
# (a forest's trees, a neighbours index, an interpolator's triangulation): by last name.
_LARGE_TYPES = frozenset({
    "LinearNDInterpolator", "CloughTocher2DInterpolator", "NearestNDInterpolator",
    "RBFInterpolator", "Rbf", "RegularGridInterpolator", "interp1d", "interp2d",
    "RectBivariateSpline", "griddata", "KDTree", "cKDTree", "BallTree", "Delaunay",
    "ConvexHull", "Voronoi", "NearestNeighbors", "KNeighborsClassifier",
    "KNeighborsRegressor", "RadiusNeighborsClassifier", "RadiusNeighborsRegressor",
    "KernelDensity", "LocalOutlierFactor", "SVC", "SVR", "NuSVC", "NuSVR",
    "GaussianProcessRegressor", "GaussianProcessClassifier", "TfidfVectorizer",
    "CountVectorizer",
})
# Modules whose estimators keep their training data or many trees.
_LARGE_MODULES = ("sklearn.ensemble", "sklearn.neighbors", "xgboost", "lightgbm", "catboost",
                  "sentence_transformers", "transformers")
# Modules whose fitted estimators hold a few numbers per feature or class.
_SMALL_MODULES = ("sklearn.preprocessing", "sklearn.linear_model", "sklearn.impute",
                  "sklearn.dummy", "sklearn.feature_selection", "pyproj")


def _type_size(qualname: str) -> str | None:
    """LARGE, SMALL or None (unknown) for the class or function `qualname` names."""
    if _last(qualname) in _LARGE_TYPES:
        return LARGE
    module = qualname.rpartition(".")[0]
    if any(module == m or module.startswith(m + ".") for m in _LARGE_MODULES):
        return LARGE if _capwords(_last(qualname)) else None
    if any(module == m or module.startswith(m + ".") for m in _SMALL_MODULES):
        return SMALL
    return None


_SMALL_BASES = ("Enum", "IntEnum", "Flag", "IntFlag", "StrEnum", "Exception", "BaseException",
                "Warning", "Protocol", "TypedDict")


# -- shared resolution -------------------------------------------------------------------------
_ELEMENT = "element"  # marker: the value is an element of an iterable (for-loop target)


class _Analysis:
    """Follows names, `self` attributes and walrus expressions to the expressions they may
    hold, and combines what `_classify` says about each of them."""

    def __init__(self, model: "SemanticModel") -> None:
        self.model = model
        # Shared with the analyses of other modules this one asks (`in_model`):
        self.active: set[int] = set()
        self.depth = [0]
        self.others: dict = {}  # model -> the same analysis of that module
        self.memo = _cache(model).setdefault(("analysis", self._signature()), {"steps": 0, "cuts": 0})

    def _signature(self) -> tuple:
        return (type(self).__name__,)

    def of(self, expr: cst.BaseExpression):
        """What `expr` may be. Each expression is evaluated once per checked file unless
        a cycle or the depth cut its evaluation short; a file whose values fan out
        through many calls and rebindings gives up (stays quiet) after `_MAX_STEPS`."""
        memo = self.memo
        key = (id(self.model), id(expr))
        if key in memo:
            return memo[key]
        if self.depth[0] > _MAX_DEPTH or id(expr) in self.active or memo["steps"] > _MAX_STEPS:
            memo["cuts"] += 1
            return None
        memo["steps"] += 1
        cuts = memo["cuts"]
        self.active.add(id(expr))
        self.depth[0] += 1
        try:
            found = self._of(expr)
        finally:
            self.depth[0] -= 1
            self.active.discard(id(expr))
        if memo["cuts"] == cuts:
            memo[key] = found  # the models keep their modules alive, so ids stay valid
        return found

    def in_model(self, model: "SemanticModel") -> "_Analysis":
        """The same analysis asked about an expression of another module (or of the whole
        module, for the first pass's partial model)."""
        if model is self.model:
            return self
        found = self.others.get(model)
        if found is None:
            found = self.others[model] = self._spawn(model)
            found.active, found.depth, found.others = self.active, self.depth, self.others
            found.memo = self.memo
        return found

    def _spawn(self, model: "SemanticModel") -> "_Analysis":  # pragma: no cover - abstract
        raise NotImplementedError

    def _of(self, expr: cst.BaseExpression):
        if isinstance(expr, cst.NamedExpr):
            return self.of(expr.value)
        if isinstance(expr, cst.Name):
            values = self.name_values(expr)
            return self.combine(values) if values else self._unbound(expr)
        if is_self_attribute(expr):
            bindings = self.model.self_attribute_bindings(expr)
            if bindings:
                return self.combine([(bound_value(b), None) for b in bindings])
            prop = property_def(expr, self.model)
            if prop is not None:  # `self.x` read through a `@property` returning a value
                values = returned_values(prop, self.model)
                return self.combine([(v, None) for v in values]) if values else None
            found = reach.attribute(expr, self.model, True)  # a base class's, anywhere
            if found:
                return self.combine(_across(found))
        if isinstance(expr, cst.Call):
            returned = reach.returns(expr, self.model, True)  # the project's own def
            if returned is None and self.instance_methods:
                returned = self._method_returns(expr)
            if returned is not None:
                return self.combine(_across(returned)) if returned else None
        return self._classify(expr)

    def item(self, expr: cst.BaseExpression, index: int):
        """What item `index` of the tuple or list `expr` evaluates to may be: `a, b = f()`
        with `f` returning `x, y` gives b the value y."""
        key = ("item", id(self.model), id(expr), index)
        memo = self.memo
        if key in memo:
            return memo[key]
        if self.depth[0] > _MAX_DEPTH or key in self.active:
            return None
        self.active.add(key)
        self.depth[0] += 1
        try:
            found = self._item(expr, index)
        finally:
            self.depth[0] -= 1
            self.active.discard(key)
        memo[key] = found
        return found

    def _item(self, expr: cst.BaseExpression, index: int):
        if isinstance(expr, (cst.Tuple, cst.List)):
            elements = expr.elements
            if index < len(elements) and not any(isinstance(e, cst.StarredElement) for e in elements):
                return self.of(elements[index].value)
            return None
        if isinstance(expr, cst.Name):
            for value, _ in self.name_values(expr):
                if isinstance(value, cst.BaseExpression):
                    found = self.item(value, index)
                    if found is not None:
                        return self._with_certain(found, False)
            return None
        if isinstance(expr, cst.Call):
            returned = reach.returns(expr, self.model, True)
            for origin in returned or ():
                found = self.in_model(origin.model).item(origin.expr, index)
                if found is not None:
                    return found if origin.certain else self._with_certain(found, False)
        return None

    # Whether `x.m(...)` is followed into the method `m` of the project class `x` is an
    # instance of (`accessor = Accessor(); accessor.open(path)`).
    instance_methods = False

    def _method_returns(self, call: cst.Call) -> "list[Origin] | None":
        func = call.func
        if not isinstance(func, cst.Attribute) or self.model.qualified_name(func):
            return None
        if isinstance(func.value, cst.Name) and func.value.value in ("self", "cls"):
            return None  # reach.returns answers those
        found = _ClassAnalysis(self.model, self.memo).of(func.value)
        if found is None:
            return None
        method = reach.member(found.cls, found.model, func.attr.value)
        if method is None or reach.is_property(method[1], method[0]):
            return None
        return reach.returns_of(method[1], method[0], found.certain)

    # subclasses ------------------------------------------------------------------------------
    def _classify(self, expr: cst.BaseExpression):  # pragma: no cover - abstract
        raise NotImplementedError

    def _element(self, iterable: cst.BaseExpression):
        return None

    def _unbound(self, name: cst.Name):
        return None

    def _with_certain(self, found, certain: bool):
        return replace(found, certain=found.certain and certain)

    def _binding_hook(self, binding: "Binding", found):
        return found

    # names -----------------------------------------------------------------------------------
    def name_values(self, name: cst.Name) -> list[tuple[object, "Binding | None"]]:
        """(value, binding) for each binding that may reach `name`. The value is an
        expression, an (_ELEMENT, iterable) pair, or None when unknown."""
        model = self.model
        _, bindings = model.lookup(name.value, name)
        if not bindings:
            return []
        return self._values_of(bindings, model.reaching(bindings, name))

    def _values_of(self, bindings, reaching) -> list[tuple[object, "Binding | None"]]:
        model = self.model
        out: list[tuple[object, Binding | None]] = []
        for b in reaching:
            if b.kind in ("assign", "annassign", "walrus"):
                out.append((bound_value(b), b))
            elif b.kind == "augassign":
                # `x += 1`, `lut /= 1000`: an in-place update keeps what x held before.
                before = model.reaching(bindings, b.node)
                for value, _ in self._values_of(bindings, before):
                    out.append((value, b))
            elif b.kind == "for" and b.iterable is not None and isinstance(b.node, cst.Name):
                out.append(((_ELEMENT, b.iterable), b))
            elif b.kind == "with":
                out.append((with_value(b), b))
            elif b.kind == "param":
                out.append((("param", b), b))
            else:
                out.append((None, b))
        return out

    def combine(self, values):
        results = []
        for value, binding in values:
            if value is None:
                found = None
            elif isinstance(value, tuple) and value[0] == _ELEMENT:
                found = self._element(value[1])
            elif isinstance(value, tuple) and value[0] == "param":
                found = self._param(value[1])
                if found is None:
                    found = self._arguments(value[1])
            elif isinstance(value, tuple) and value[0] == _ITEM:
                found = self.item(value[1], value[2])
            elif isinstance(value, tuple) and value[0] == _IN:
                _, model, expr, sure = value
                found = self.in_model(model).of(expr)
                if found is not None and not sure:
                    found = self._with_certain(found, False)
            else:
                found = self.of(value)
            if binding is not None:
                found = self._binding_hook(binding, found)
            results.append(found)
        hits = [f for f in results if f is not None]
        if not hits:
            return None
        first = hits[0]
        # Certain when every path that may reach here gives a certain value of one kind.
        certain = len(hits) == len(results) and all(f.certain for f in hits) and all(
            self._same(f, first) for f in hits
        )
        return self._with_certain(first, certain)

    def _same(self, a, b) -> bool:
        return a.kind == b.kind

    def _param(self, binding: "Binding"):
        return None

    # Whether a public function's parameters are followed to its package's calls (costly:
    # the package is scanned for importers, and their calls parsed).
    public_callers = False

    def _arguments(self, binding: "Binding"):
        """What the calls of the parameter's def pass it (a helper called in its module)."""
        found = reach.arguments(binding, self.model, self.public_callers)
        if not found:
            return None
        if not any(o.certain for o in found):
            # Some callers of many (a public function's): "may" whatever the others pass,
            # so the first evidence will do.
            for o in found:
                hit = self.in_model(o.model).of(o.expr)
                if hit is not None:
                    return self._with_certain(hit, False)
            return None
        return self.combine(_across(found))


_IN = "in"  # marker: an expression of another model, and whether it is certain


_ITEM = "item"  # marker: an item of an unpacked tuple (`a, b = f()`)


def bound_value(b: "Binding"):
    """The expression a binding binds, or (_ITEM, value, position) for a name unpacked
    from a value that is not a literal (`a, b = f()`); None when unknown."""
    if b.value is None and b.item is not None:
        return (_ITEM, b.item[0], b.item[1])
    return b.value


@dataclass(frozen=True)
class ClassValue:
    """An instance of a class of the project (`cls`, defined in `model`)."""

    cls: cst.ClassDef
    model: "SemanticModel"
    certain: bool


class _ClassAnalysis:
    """Which class of the project a value is an instance of: `Accessor()`, or what a
    project function returning one gives, through names."""

    def __init__(self, model: "SemanticModel", memo: dict) -> None:
        self.model = model
        self.memo = memo  # the checked file's, shared with the data-like analysis

    def of(self, expr: cst.BaseExpression, depth: int = 0) -> ClassValue | None:
        key = ("class", id(self.model), id(expr))
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None  # a cycle gives nothing
        found = self._of(expr, depth) if depth < 8 else None
        self.memo[key] = found
        return found

    def _of(self, expr: cst.BaseExpression, depth: int) -> ClassValue | None:
        model = self.model
        if isinstance(expr, cst.Name):
            _, bindings = model.lookup(expr.value, expr)
            reaching = model.reaching(bindings, expr) if bindings else []
            hits = [self.of(b.value, depth + 1) for b in reaching if b.kind == "assign" and b.value is not None]
            if not hits or hits[0] is None:
                return None
            return replace(hits[0], certain=hits[0].certain and len(hits) == len(reaching) == 1)
        if not isinstance(expr, cst.Call):
            return None
        found = reach.definition(expr.func, model) if isinstance(expr.func, (cst.Name, cst.Attribute)) else None
        if found is not None and isinstance(found[1], cst.ClassDef):
            return ClassValue(found[1], found[0], True)
        for origin in reach.returns(expr, model, True) or ():
            inner = _ClassAnalysis(origin.model, self.memo).of(origin.expr, depth + 1)
            if inner is not None:
                return replace(inner, certain=inner.certain and origin.certain)
        return None


def _across(origins) -> list:
    return [((_IN, o.model, o.expr, o.certain), None) for o in origins]


# What opens a file and returns its open handle (none of them pickle).
_OPENERS = frozenset({
    "io.open", "gzip.open", "bz2.open", "lzma.open", "netCDF4.Dataset", "netCDF4.MFDataset",
    "h5py.File", "h5netcdf.File", "tables.open_file", "sqlite3.connect", "lmdb.open",
})
_FIT_METHODS = frozenset({"fit", "partial_fit", "fit_transform", "fit_predict", "fit_resample"})
_TRAINING_NAMES = frozenset({"X", "y", "Y", "X_train", "y_train", "X_fit", "y_fit"})


def _empty_container(value: cst.BaseExpression | None) -> bool:
    """`{}`, `[]`, or `dict()`/`list()`/`set()` with no arguments."""
    if isinstance(value, (cst.List, cst.Dict, cst.Set)):
        return not value.elements
    return (
        isinstance(value, cst.Call) and not value.args and isinstance(value.func, cst.Name)
        and value.func.value in ("dict", "list", "set")
    )


def _put_into(use: cst.Name, model: "SemanticModel") -> cst.BaseExpression | None:
    """The value a statement puts into the container `use` names: `use[k] = v`,
    `use.append(v)`, `use.add(v)`."""
    parent = model.parent.get(use)
    if isinstance(parent, cst.Subscript) and parent.value is use:
        target = model.parent.get(parent)
        assign = model.parent.get(target)
        if isinstance(target, cst.AssignTarget) and isinstance(assign, cst.Assign):
            return assign.value
        return None
    if isinstance(parent, cst.Attribute) and parent.value is use and parent.attr.value in ("append", "add"):
        call = model.parent.get(parent)
        if isinstance(call, cst.Call) and call.func is parent and len(call.args) == 1 and not call.args[0].star:
            return call.args[0].value
    return None


def _in_fit(node: cst.CSTNode, model: "SemanticModel") -> bool:
    """Whether `node` is in a method that fits (`fit`, `_fit`, `_fit_precomp`,
    `partial_fit`, ...)."""
    func = model.enclosing(node, cst.FunctionDef)
    if func is None:
        return False
    name = func.name.value.lstrip("_")
    return name.startswith("fit") or name == "partial_fit"


def _training_data(binding: "Binding", model: "SemanticModel") -> DataLike | None:
    """A parameter `X` or `y` of a method `fit` (or `_fit`, `partial_fit`, ...): by
    scikit-learn's convention, the data the model is trained on."""
    func = binding.stmt
    if binding.name not in _TRAINING_NAMES or not isinstance(func, cst.FunctionDef):
        return None
    if func.name.value.lstrip("_") not in _FIT_METHODS or not isinstance(model.scope(func).node, cst.ClassDef):
        return None
    return DataLike(TRAINING, binding.node, False,
                    f"the training data `{binding.name}` of `{func.name.value}`")


def _self_class(name: cst.Name, model: "SemanticModel") -> cst.ClassDef | None:
    """The class whose instance `name` is, when it is the first parameter of a method."""
    _, bindings = model.lookup(name.value, name)
    for b in bindings:
        if b.kind != "param" or not isinstance(b.stmt, cst.FunctionDef):
            continue
        return _method_class(b, model)
    return None


def _method_class(b: "Binding", model: "SemanticModel") -> cst.ClassDef | None:
    func = b.stmt
    if not isinstance(func, cst.FunctionDef):
        return None
    params = list(func.params.posonly_params) + list(func.params.params)
    if not params or params[0] is not b.node:
        return None
    for dec in func.decorators:
        if isinstance(dec.decorator, cst.Name) and dec.decorator.value in ("staticmethod", "classmethod"):
            return None
    scope = model.scope(func)
    return scope.node if isinstance(scope.node, cst.ClassDef) else None


def _inside(node: cst.CSTNode, container: cst.CSTNode, model: "SemanticModel") -> bool:
    return any(anc is container for anc in model.ancestors(node))


def _names_in(node: cst.CSTNode) -> Iterator[cst.Name]:
    """Name nodes under `node` in source order (attribute names and keywords included;
    callers resolve them through the model, which only knows variables)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            yield current
            continue
        if isinstance(current, cst.Attribute):
            stack.append(current.value)  # never the attribute's own name
            continue
        if isinstance(current, cst.Arg):
            stack.append(current.value)
            continue
        stack.extend(reversed(current.children))


def _short(model: "SemanticModel", node: cst.CSTNode, limit: int = 40) -> str:
    code = " ".join(model.module.code_for_node(node).split())
    return code if len(code) <= limit else code[: limit - 3] + "..."


_GENERATORS = ("numpy.random.default_rng", "numpy.random.Generator", "numpy.random.RandomState")


def _random_generator(expr: cst.BaseExpression, model: "SemanticModel") -> bool:
    """`np.random.default_rng(seed)` (or a `Generator`, a `RandomState`), or a name bound
    only to one."""
    if isinstance(expr, cst.Name):
        b = sole_binding(expr, model)
        if b is None or b.kind not in ("assign", "annassign") or b.value is None:
            return False
        expr = b.value
    return isinstance(expr, cst.Call) and model.qualified_name(expr.func) in _GENERATORS


def _callee(model: "SemanticModel", call: cst.Call) -> str:
    return f"`{_short(model, call.func)}(...)`"


def _last(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1]


def _capwords(name: str) -> bool:
    bare = name.lstrip("_")
    return bool(bare) and bare[0].isupper() and any(c.islower() for c in bare)


# -- per-model caches --------------------------------------------------------------------------
_CACHE: "weakref.WeakKeyDictionary[SemanticModel, dict]" = weakref.WeakKeyDictionary()


def _cache(model: "SemanticModel") -> dict:
    try:
        return _CACHE.setdefault(model, {})
    except TypeError:  # pragma: no cover - a model that cannot be weakly referenced
        return {}


def _fitted_attributes(cls: cst.ClassDef, model: "SemanticModel") -> set[str]:
    """Attributes `x` of `self` on which the class calls `self.x.fit(...)`."""
    key = ("fitted", id(cls))
    cache = _cache(model)
    if key in cache:
        return cache[key]
    # From each `self` the class body names (the model's index, not a walk of the body):
    # `self.x.fit(...)` is `self` -> `self.x` -> `self.x.fit` -> the call.
    found: set[str] = set()
    parent = model.parent
    for name in model.references_within(cls.body):
        if name.value != "self":
            continue
        attribute = parent.get(name)
        method = parent.get(attribute)
        call = parent.get(method)
        if (
            type(attribute) is cst.Attribute and attribute.value is name
            and type(method) is cst.Attribute and method.value is attribute
            and method.attr.value in ("fit", "partial_fit")
            and type(call) is cst.Call and call.func is method
        ):
            found.add(attribute.attr.value)
    cache[key] = found
    return found


def _delayed_def(func: cst.Name, model: "SemanticModel") -> cst.FunctionDef | None:
    """The def `func` names, when it is decorated with `@dask.delayed` (or a call of it)."""
    b = sole_binding(func, model)
    if b is None or b.kind != "def":
        return None
    node = b.node
    if not isinstance(node, cst.FunctionDef):
        return None
    for dec in node.decorators:
        d = dec.decorator
        if isinstance(d, cst.Call):
            d = d.func
        if model.qualified_name(d) in DASK_DELAYED:
            return node
    return None


# -- dask values -------------------------------------------------------------------------------
class _DaskAnalysis(_Analysis):
    def _spawn(self, model: "SemanticModel") -> "_DaskAnalysis":
        return _DaskAnalysis(model)

    def _same(self, a: DaskValue, b: DaskValue) -> bool:
        return a.kind == b.kind

    def _element(self, iterable: cst.BaseExpression):
        if isinstance(iterable, (cst.List, cst.Tuple, cst.Set)):
            return self.combine([(el.value, None) for el in iterable.elements
                                 if isinstance(el, cst.Element)])
        found = self.of(iterable)
        # Iterating a list of delayed values or futures yields delayed values or futures.
        if found is not None and found.kind in (DELAYED, FUTURE):
            return found
        return None

    def _classify(self, expr: cst.BaseExpression) -> DaskValue | None:
        model = self.model
        if isinstance(expr, cst.Call):
            return self._call(expr)
        if isinstance(expr, cst.Attribute):
            if model.qualified_name(expr):
                return None
            base = self.of(expr.value)
            if base is None:
                return None
            if base.kind in (DELAYED,):
                return replace(base, source=expr)
            if base.collection and expr.attr.value not in _COLLECTION_METADATA:
                return replace(base, source=expr)
            return None
        if isinstance(expr, cst.Subscript):
            base = self.of(expr.value)
            if base is None and isinstance(expr.value, cst.Attribute) and expr.value.attr.value in (
                "loc", "iloc", "blocks", "partitions", "vindex"
            ):
                base = self.of(expr.value.value)
            if base is not None and (base.collection or base.kind in (DELAYED, FUTURE)):
                return replace(base, source=expr)
            return None
        if isinstance(expr, cst.BinaryOperation):
            for side in (expr.left, expr.right):
                found = self.of(side)
                if found is not None and (found.collection or found.kind == DELAYED):
                    return replace(found, source=expr)
            return None
        if isinstance(expr, cst.UnaryOperation):
            found = self.of(expr.expression)
            return found if found is not None and (found.collection or found.kind == DELAYED) else None
        if isinstance(expr, (cst.List, cst.Tuple)):
            # A literal list of futures (`[client.scatter(x)]`) is still a list of futures.
            values = [self.of(el.value) for el in expr.elements if isinstance(el, cst.Element)]
            if values and all(v is not None and v.kind == FUTURE for v in values):
                return replace(values[0], source=expr)
            return None
        if isinstance(expr, cst.IfExp):
            found = self.of(expr.body) or self.of(expr.orelse)
            return replace(found, certain=False) if found is not None else None
        return None

    def _call(self, call: cst.Call) -> DaskValue | None:
        model = self.model
        q = model.qualified_name(call.func)
        if q is not None:
            if q in DASK_DELAYED:
                return DaskValue(DELAYED, call, True)
            if q in _FUTURE_CLASSES:
                return DaskValue(FUTURE, call, True)
            kind = _dask_function_kind(q) if q.startswith("dask.") else None
            return DaskValue(kind, call, True) if kind is not None else None
        func = call.func
        if isinstance(func, cst.Call):
            inner = self.of(func)
            if inner is not None and inner.kind == DELAYED:
                return DaskValue(DELAYED, call, inner.certain)
            return None
        if isinstance(func, cst.Name):
            if _delayed_def(func, model) is not None:
                return DaskValue(DELAYED, call, True)
            return None
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in _FUTURE_METHODS and _is_client(func.value, model, self):
                return DaskValue(FUTURE, call, True)
            if method == "to_delayed":
                return DaskValue(DELAYED, call, True)
            base = self.of(func.value)
            if base is None:
                return None
            if base.kind == DELAYED and method != "compute":
                return DaskValue(DELAYED, call, base.certain)
            if base.collection and method in _COLLECTION_METHODS:
                return DaskValue(base.kind, call, base.certain)
            if base.kind == FUTURE and method in ("result",):
                return None
        return None


def _is_client(expr: cst.BaseExpression, model: "SemanticModel", analysis: _Analysis) -> bool:
    """A distributed client: bound to `Client(...)`/`get_client()`, or spelled like one
    (`client`, `self.client`, `self._dask_client`)."""
    spelled = expr.attr.value if isinstance(expr, cst.Attribute) else (
        expr.value if isinstance(expr, cst.Name) else ""
    )
    if "client" in spelled.lower():
        return True
    if isinstance(expr, cst.Call):
        return model.qualified_name(expr.func) in _CLIENTS
    if isinstance(expr, cst.Name):
        for value, _ in analysis.name_values(expr):
            if isinstance(value, cst.Call) and model.qualified_name(value.func) in _CLIENTS:
                return True
    return False


# -- data-like values --------------------------------------------------------------------------
class _DataLikeAnalysis(_Analysis):
    instance_methods = True

    def __init__(self, model: "SemanticModel", min_items: int, handles: bool = False,
                 callers: bool = False) -> None:
        self.min_items = min_items
        self.handles = handles
        self.public_callers = callers
        super().__init__(model)
        self.dask = _DaskAnalysis(model)

    def _spawn(self, model: "SemanticModel") -> "_DataLikeAnalysis":
        return _DataLikeAnalysis(model, self.min_items, self.handles, self.public_callers)

    def _signature(self) -> tuple:
        # Set before the memo is looked up.
        return (type(self).__name__, self.min_items, self.handles, self.public_callers)

    def _same(self, a: DataLike, b: DataLike) -> bool:
        return True  # two data-like kinds on two paths: still data-like on every path

    def _of(self, expr: cst.BaseExpression) -> DataLike | None:
        if self.dask.of(expr) is not None:
            return None  # dask collections, delayed values and futures are references
        found = super()._of(expr)
        if found is None and is_self_attribute(expr):
            found = self._learned_attribute(expr)
        return found

    def _binding_hook(self, binding: "Binding", found: DataLike | None) -> DataLike | None:
        if found is None and binding.kind in ("assign", "annassign") and _empty_container(binding.value):
            return self._filled(binding)
        # `est = Model(); est.fit(X, y)`: the name holds a fitted model afterwards.
        if binding.kind in ("assign", "annassign") and (found is None or found.kind == OBJECT):
            if isinstance(binding.node, cst.Name) and self._fit_called_on(binding):
                size = self.estimator_size(binding.value)
                if size == SMALL:
                    return found
                return DataLike(FITTED, binding.value or binding.node, size == LARGE,
                                f"a fitted model (`{binding.name}.fit(...)` is called on it)")
        return found

    def _filled(self, binding: "Binding") -> DataLike | None:
        """A container bound empty (or small) and filled afterwards: `meta = {}` then
        `meta["X"] = X`, `parts = []` then `parts.append(df)`. It may hold what is put in."""
        value = binding.value
        container = {cst.List: "list", cst.Dict: "dict", cst.Set: "set"}.get(type(value)) or value.func.value
        for use in self.model.uses_of(binding):
            put = _put_into(use, self.model)
            found = self.of(put) if put is not None else None
            if found is not None:
                return DataLike(CONTAINER, binding.value, False,
                                f"a {container} holding `{_short(self.model, put)}` ({found.what})",
                                container=container, element=found)
        return None

    def estimator_size(self, value: cst.BaseExpression | None) -> str | None:
        """LARGE or SMALL when `value` (or every value a name or `self` attribute holds)
        is built by a class whose fitted instances are known to hold their training data
        (forests, neighbours, KD-trees, interpolators) or only a few numbers per feature
        (scalers, encoders, linear models); None when unknown."""
        if value is None:
            return None
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and (
            value.func.attr.value in ("fit", "partial_fit")
        ):
            return self.estimator_size(value.func.value)  # `Model(...).fit(X)`
        if isinstance(value, (cst.Name, cst.Attribute)) and self.model.qualified_name(value) is None:
            if isinstance(value, cst.Name):
                values = [v for v, _ in self.name_values(value)]
            elif is_self_attribute(value):
                values = [b.value for b in self.model.self_attribute_bindings(value)]
            else:
                return None
            sizes = {self.estimator_size(v) if isinstance(v, cst.BaseExpression) else None for v in values}
            return sizes.pop() if len(sizes) == 1 else None
        if not isinstance(value, cst.Call):
            return None
        q = self.model.qualified_name(value.func)
        if q is None:
            return None
        return _type_size(q)

    def _fit_called_on(self, binding: "Binding") -> bool:
        for use in self.model.uses_of(binding):
            parent = self.model.parent.get(use)
            if (
                isinstance(parent, cst.Attribute)
                and parent.value is use
                and parent.attr.value in ("fit", "partial_fit")
                and isinstance(self.model.parent.get(parent), cst.Call)
            ):
                return True
        return False

    def _param(self, binding: "Binding") -> DataLike | None:
        cls = _method_class(binding, self.model)
        if cls is None:
            return _training_data(binding, self.model)
        stored = self.class_data(cls)
        if stored is None:
            return None
        attr, found = stored
        return DataLike(INSTANCE, cls, found.certain,
                        f"the `{cls.name.value}` instance (it holds `self.{attr}`, {found.what})",
                        element=found)

    def _element(self, iterable: cst.BaseExpression) -> DataLike | None:
        if isinstance(iterable, (cst.List, cst.Tuple, cst.Set)):
            return self.combine([(el.value, None) for el in iterable.elements
                                 if isinstance(el, cst.Element)])
        whole = self.of(iterable)
        if whole is None:
            return None
        if whole.kind == FITTED and whole.container == "list":
            # `for est in self.estimators_`: each item is one of the fitted models.
            return DataLike(FITTED, iterable, False,
                            f"a fitted estimator (an item of `{_short(self.model, iterable)}`)")
        if whole.kind == CONTAINER and whole.element is not None:
            return replace(whole.element, certain=False)
        return None

    def _learned_attribute(self, expr: cst.Attribute) -> DataLike | None:
        """`self.model` when the class calls `self.model.fit(...)` (unless it is built by a
        class known to stay small), or a learned attribute (scikit-learn's trailing `_`)
        whose name says it holds fitted estimators or trees (`self.estimators_`). Other
        learned attributes (`classes_`, `mean_`, `references_`) are a few numbers per
        class or feature: no evidence of size."""
        attr = expr.attr.value
        cls = self.model.enclosing(expr, cst.ClassDef)
        if cls is not None and attr in _fitted_attributes(cls, self.model):
            size = self.estimator_size(expr)
            if size == SMALL:
                return None
            return DataLike(FITTED, expr, size == LARGE,
                            f"a fitted model (`self.{attr}.fit(...)` is called)")
        if (
            attr.endswith("_") and not attr.endswith("__") and not attr.startswith("n_")
            and any(word in attr.lower() for word in _ESTIMATOR_WORDS)
        ):
            plural = attr.rstrip("_").endswith("s")
            what = "a list of fitted estimators" if plural else "a fitted estimator"
            return DataLike(FITTED, expr, False, f"{what} (scikit-learn's learned `self.{attr}`)",
                            container="list" if plural else None)
        return None

    def class_data(self, cls: cst.ClassDef, fresh: bool = False) -> tuple[str, DataLike] | None:
        """The first data-like attribute the class stores on `self`, if any. `fresh`: of
        an instance just built, which holds nothing its `fit` stores yet."""
        key = ("class_data", id(cls), self.min_items, fresh)
        cache = _cache(self.model)
        if key in cache:
            return cache[key]
        cache[key] = None  # recursion guard: `self.a = self.b` chains
        result = None
        for (owner, attr), bindings in self.model.attribute_bindings.items():
            if owner is not cls:
                continue
            for b in bindings:
                value = bound_value(b)
                if value is None or (fresh and _in_fit(b.node, self.model)):
                    continue
                found = self.combine([(value, None)])
                if found is not None:
                    if found.certain and self.model.conditional(b.node):
                        found = replace(found, certain=False)  # `if keep: self.h = h`
                    result = (attr, found)
                    break
            if result is not None:
                break
        if result is None:
            located = reach.in_whole(cls, self.model)
            for where, base in reach.bases(*located[::-1]) if located else ():
                result = self.in_model(where).class_data(base, fresh)
                if result is not None:
                    break
        if result is None and not fresh:  # a new instance is not fitted yet
            for attr in sorted(_fitted_attributes(cls, self.model)):
                bindings = self.model.attribute_bindings.get((cls, attr), [])
                sizes = {self.estimator_size(b.value) for b in bindings} or {None}
                if sizes == {SMALL}:
                    continue
                result = (attr, DataLike(FITTED, cls, sizes == {LARGE}, "a fitted model"))
                break
        cache[key] = result
        return result

    # -- expressions ---------------------------------------------------------------------------
    def _classify(self, expr: cst.BaseExpression) -> DataLike | None:
        if isinstance(expr, cst.Call):
            return self._call(expr)
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
            return self._literal(expr)
        if isinstance(expr, (cst.ListComp, cst.SetComp, cst.DictComp)):
            return self._comprehension(expr)
        if isinstance(expr, cst.Attribute):
            if self.model.qualified_name(expr):
                return None
            attr = expr.attr.value
            if attr in _DATA_ATTRIBUTES:
                base = self._plain(expr.value)
                if base is not None:
                    kind = _DATA_ATTRIBUTES[attr] or base.kind
                    return _derived(base, kind)
            return None
        if isinstance(expr, cst.Subscript):
            return self._subscript(expr)
        if isinstance(expr, cst.BinaryOperation):
            for side in (expr.left, expr.right):
                base = self._plain(side)
                if base is not None:
                    return base
            return None
        if isinstance(expr, cst.UnaryOperation):
            return self._plain(expr.expression)
        if isinstance(expr, cst.IfExp):
            found = self.of(expr.body) or self.of(expr.orelse)
            return replace(found, certain=False) if found is not None else None
        return None

    def _plain(self, expr: cst.BaseExpression) -> DataLike | None:
        found = self.of(expr)
        return found if found is not None and found.kind in (PANDAS, NUMPY) else None

    def _subscript(self, expr: cst.Subscript) -> DataLike | None:
        value = expr.value
        if isinstance(value, cst.Attribute) and value.attr.value in ("at", "iat"):
            return None  # a single cell
        base = self._plain(value)
        if base is None:
            return None
        indices = [el.slice for el in expr.slice]
        if all(isinstance(i, cst.Index) and isinstance(i.value, (cst.Integer, cst.UnaryOperation))
               for i in indices):
            return None  # `arr[0]`, `arr[1, 2]`: an element or a row, not the data
        if any(self._short_slice(i) for i in indices):
            return None  # `df.iloc[:0]`, `arr[:5, :]`: a few rows
        return base

    def _short_slice(self, index: cst.BaseSlice) -> bool:
        if not isinstance(index, cst.Slice) or index.step is not None or index.upper is None:
            return False
        lower = 0 if index.lower is None else _int(index.lower, self.model)
        upper = _int(index.upper, self.model)
        if lower is None or upper is None or lower < 0 or upper < 0:
            return False
        return upper - lower < self.min_items

    def _literal(self, expr) -> DataLike | None:
        container = {cst.List: "list", cst.Tuple: "tuple", cst.Set: "set", cst.Dict: "dict"}[type(expr)]
        elements = list(expr.elements)
        starred = any(isinstance(el, (cst.StarredElement, cst.StarredDictElement)) for el in elements)
        if not starred and len(elements) >= self.min_items:
            return DataLike(LITERAL, expr, True, f"a {container} literal of {len(elements)} items",
                            container=container, length=len(elements))
        for el in elements:
            found = self.of(el.value)  # a dict's values (the keys are rarely the data)
            if found is not None:
                return DataLike(CONTAINER, expr, found.certain,
                                f"a {container} holding {found.what}", container=container,
                                length=None if starred else len(elements), element=found)
        return None

    def _comprehension(self, expr) -> DataLike | None:
        container = {cst.ListComp: "list", cst.SetComp: "set", cst.DictComp: "dict"}[type(expr)]
        clause = expr.for_in
        if clause.inner_for_in is not None or clause.ifs:
            return None  # nested clauses or filters: the size is not the range's
        return self._built_over(expr, container, clause.iter)

    def _built_over(self, node, container: str, iterable: cst.BaseExpression) -> DataLike | None:
        """`node` builds a `container` with one item per item of `iterable`: big data when
        that length is known and at least `min_items`."""
        total = self._iter_length(iterable)
        if total is not None and total >= self.min_items:
            return DataLike(COMPREHENSION, node, True,
                            f"a {container} built over `{_short(self.model, iterable)}`",
                            container=container, length=total)
        return None

    def _iter_length(self, iterable: cst.BaseExpression) -> int | None:
        func = iterable.func if isinstance(iterable, cst.Call) else None
        if isinstance(func, cst.Name) and func.value == "range":
            _, bindings = self.model.lookup("range", iterable)
            if bindings:
                return None  # `range` is rebound
            nums = [_int(a.value, self.model) for a in iterable.args]
            if any(a.keyword is not None or a.star for a in iterable.args) or None in nums:
                return None
            if len(nums) == 1:
                return max(nums[0], 0)
            if len(nums) in (2, 3):
                step = nums[2] if len(nums) == 3 else 1
                return len(range(nums[0], nums[1], step)) if step else None
            return None
        found = self.of(iterable)
        if found is not None and found.length is not None:
            return found.length
        return None

    def _call(self, call: cst.Call) -> DataLike | None:
        model = self.model
        func = call.func
        if isinstance(func, (cst.Name, cst.Attribute)):
            found = reach.definition(func, model)  # a class of the project, anywhere in it
            if found is not None and isinstance(found[1], cst.ClassDef):
                where, cls = found
                if _small_class(cls):
                    return None
                return self._instance(call, cls, where)
        q = model.qualified_name(func)
        if self.handles and (q in _OPENERS or is_builtin(func, "open", model)):
            return DataLike(HANDLE, call, True, f"an open file handle from {_callee(model, call)}")
        if q is not None:
            return self._library_call(call, q)
        if isinstance(func, cst.Name):
            return self._name_call(call, func)
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in ("fit", "partial_fit") and call.args:
                size = self.estimator_size(call)
                if size == SMALL:
                    return None
                return DataLike(FITTED, call, size == LARGE, f"a fitted model ({_callee(model, call)})")
            if method in _DATA_METHODS:
                base = self._plain(func.value)
                if base is not None:
                    return _derived(base, NUMPY if method == "to_numpy" else base.kind)
            if (method in _NUMPY_RANDOM_SIZE or method in _NUMPY_RANDOM_DIMS) and _random_generator(func.value, model):
                return self._numpy(call, "random." + method)  # `rng.random((n, m))`
        return None

    def _name_call(self, call: cst.Call, func: cst.Name) -> DataLike | None:
        model = self.model
        _, bindings = model.lookup(func.value, func)
        reaching = model.reaching(bindings, func) if bindings else []
        if not reaching:
            if func.value in ("list", "tuple", "set", "sorted", "dict") and call.args:
                return self._builtin_container(call, func.value)
            if _capwords(func.value) and not hasattr(builtins, func.value):
                # Not bound here: a relative or star import of a class.
                return self._object(call, func.value, _type_size(func.value))
            return None
        if len(reaching) == 1 and reaching[0].kind == "class":
            cls = reaching[0].node
            if not isinstance(cls, cst.ClassDef) or _small_class(cls):
                return None
            return self._instance(call, cls)
        return None

    def _builtin_container(self, call: cst.Call, name: str) -> DataLike | None:
        first = call.args[0]
        if first.keyword is not None or first.star:
            return None
        return self._built_over(call, "list" if name == "sorted" else name, first.value)

    def _instance(self, call: cst.Call, cls: cst.ClassDef, where: "SemanticModel | None" = None) -> DataLike:
        name = cls.name.value
        for a in call.args:
            found = self.of(a.value)
            if found is not None:
                return DataLike(INSTANCE, call, found.certain,
                                f"an instance of `{name}` (built from {found.what})")
        stored = self.in_model(where or self.model).class_data(cls, fresh=True)
        if stored is not None:
            attr, found = stored
            return DataLike(INSTANCE, call, found.certain,
                            f"an instance of `{name}` (it holds `self.{attr}`, {found.what})",
                            element=found)
        return None  # no evidence of what it holds

    def _object(self, call: cst.Call, name: str, size: str | None = None) -> DataLike | None:
        """An instance of a class this module does not define: large when its type holds
        its training data (`size` LARGE) or when it is built from data that is large."""
        for a in call.args:
            found = self.of(a.value)
            if found is not None:
                return DataLike(OBJECT, call, found.certain,
                                f"an instance of `{name}` (built from {found.what})")
        if size == LARGE:  # how large depends on what it was built from
            return DataLike(OBJECT, call, False, f"an instance of `{name}`")
        return None  # no evidence of size

    def _library_call(self, call: cst.Call, q: str) -> DataLike | None:
        parts = q.split(".")
        top = parts[0]
        rest = ".".join(parts[1:])
        if top == "pandas":
            if rest in _PANDAS_CONSTRUCTORS or parts[-1].startswith("read_"):
                return self._pandas(call, parts[-1])
            return None
        if top == "numpy":
            return self._numpy(call, rest)
        size = _type_size(q)
        if top in _SMALL_PACKAGES or size == SMALL or not (size == LARGE or _capwords(parts[-1])):
            return None
        return self._object(call, _last(q), size)

    def _pandas(self, call: cst.Call, name: str) -> DataLike | None:
        what = f"a pandas object from {_callee(self.model, call)}"
        if name.startswith("read_"):
            return DataLike(PANDAS, call, True, what)
        return self._from_args(call, PANDAS, what)

    def _from_args(self, call: cst.Call, kind: str, what: str) -> DataLike | None:
        """A constructor fed data: data-like when an argument is, small when every argument
        is a small literal, else data-like on a guess."""
        values = [a.value for a in call.args
                  if a.keyword is None or a.keyword.value in _DATA_KEYWORDS]
        if not values:
            return None
        for v in values:
            found = self.of(v)
            if found is not None:
                return DataLike(kind, call, found.certain, what)
            n = self._iter_length(v)  # `pd.Series(range(30_000))`
            if n is not None and n >= self.min_items:
                return DataLike(kind, call, True, what)
        sizes = [_literal_items(v) for v in values]
        if all(s is not None for s in sizes) and sum(sizes) >= self.min_items:  # type: ignore[arg-type]
            return DataLike(kind, call, True, what)
        return None  # small literals, or values of unknown size: no evidence

    def _numpy(self, call: cst.Call, name: str) -> DataLike | None:
        what = f"a numpy array from {_callee(self.model, call)}"
        if name in _NUMPY_LOADERS:
            return DataLike(NUMPY, call, True, what)
        if name in _NUMPY_SHAPED:
            return self._shaped(call, arg_value(call, "shape", 0), what)
        if name in ("eye", "identity"):
            n = _int(arg_value(call, "N" if name == "eye" else "n", 0), self.model)
            return self._sized(call, None if n is None else n * n, what)
        if name == "arange":
            nums = [_int(a.value, self.model) for a in call.args if a.keyword is None]
            if nums and None not in nums:
                r = range(*nums[:3]) if len(nums) > 1 else range(nums[0])  # type: ignore[misc]
                return self._sized(call, len(r), what)
            return self._data_sized(call, [a.value for a in call.args if a.keyword is None], what)
        if name == "linspace":
            num = arg_value(call, "num", 2)
            n = 50 if num is None else _int(num, self.model)
            return self._sized(call, n, what)
        if name.startswith("random."):
            method = name.split(".", 1)[1]
            if method in _NUMPY_RANDOM_DIMS:
                dims = [a.value for a in call.args if a.keyword is None]
                if not dims:
                    return None  # a scalar
                return self._shaped(call, cst.Tuple([cst.Element(d) for d in dims]), what)
            if method in _NUMPY_RANDOM_SIZE:
                pos = _NUMPY_RANDOM_SIZE[method]
                if method == "permutation":
                    return self._from_args(call, NUMPY, what)
                size = arg_value(call, "size", pos)
                if size is None:
                    return None  # a scalar
                return self._shaped(call, size, what)
            return None
        if name in _NUMPY_FROM_DATA:
            return self._from_args(call, NUMPY, what)
        return None  # dtypes, scalars, ufunc results of unknown size

    def _shaped(self, call: cst.Call, shape: cst.BaseExpression | None, what: str) -> DataLike | None:
        if shape is None:
            return None
        dims: list[cst.BaseExpression]
        if isinstance(shape, (cst.Tuple, cst.List)):
            if any(not isinstance(el, cst.Element) for el in shape.elements):
                return None
            dims = [el.value for el in shape.elements]
        else:
            dims = [shape]
        total = 1
        for d in dims:
            n = _int(d, self.model)
            if n is None:
                return self._data_sized(call, dims, what)
            total *= n
        return self._sized(call, total, what)

    def _sized(self, call: cst.Call, total: int | None, what: str) -> DataLike | None:
        if total is None or total < self.min_items:
            return None
        return DataLike(NUMPY, call, True, what)

    def _data_sized(self, call: cst.Call, dims: list[cst.BaseExpression], what: str) -> DataLike | None:
        """Dimensions that are not literals are evidence of size only when one of them is
        read off other data (`len(X)`, `X.shape[0]`, `x.size`); parameters and counts of
        unknown size (`n_centers`) are not."""
        if any(self._from_data_shape(d) for d in dims):
            return DataLike(NUMPY, call, False, f"{what} shaped like the input data")
        return None

    def _from_data_shape(self, expr: cst.BaseExpression, depth: int = 0) -> bool:
        if depth > 6:
            return False
        if isinstance(expr, cst.Subscript):
            return self._from_data_shape(expr.value, depth + 1)
        if isinstance(expr, cst.Attribute):
            return expr.attr.value in ("shape", "size")
        if isinstance(expr, cst.Call):
            return isinstance(expr.func, cst.Name) and expr.func.value == "len" and bool(expr.args)
        if isinstance(expr, cst.BinaryOperation):
            return self._from_data_shape(expr.left, depth + 1) or self._from_data_shape(expr.right, depth + 1)
        if isinstance(expr, cst.Name):
            origins = self.model.origins(expr)
            return bool(origins) and all(self._from_data_shape(o.expr, depth + 1) for o in origins)
        return False


def _derived(base: DataLike, kind: str) -> DataLike:
    """A value computed from `base` and about as big: same description unless the kind
    changes (`df.values` is a numpy array)."""
    if kind == base.kind:
        return base
    return DataLike(kind, base.source, base.certain, f"the values of {base.what}")


def _small_class(cls: cst.ClassDef) -> bool:
    for base in cls.bases:
        value = base.value
        name = value.attr.value if isinstance(value, cst.Attribute) else (
            value.value if isinstance(value, cst.Name) else ""
        )
        if name in _SMALL_BASES or name.endswith(("Error", "Exception", "Warning")):
            return True
    return False


def _literal_items(expr: cst.BaseExpression) -> int | None:
    """How many scalars a literal holds (nested containers counted through), else None."""
    value = literal(expr, _NOT_LITERAL)
    if value is _NOT_LITERAL:
        if isinstance(expr, cst.Dict):
            total = 0
            for el in expr.elements:
                if not isinstance(el, cst.DictElement):
                    return None
                inner = _literal_items(el.value)
                if inner is None:
                    return None
                total += inner
            return total
        return None
    return _count(value)


_NOT_LITERAL = object()


def _count(value) -> int:
    if isinstance(value, (list, tuple, set)):
        return sum(_count(v) for v in value)
    return 1


def _int(expr: cst.BaseExpression | None, model: "SemanticModel", depth: int = 0) -> int | None:
    """The value of an integer expression: literals, arithmetic on them, and names bound
    to them on every path."""
    if expr is None or depth > 8:
        return None
    if isinstance(expr, cst.Integer):
        return int(expr.evaluated_value)
    if isinstance(expr, cst.UnaryOperation) and isinstance(expr.operator, cst.Minus):
        inner = _int(expr.expression, model, depth + 1)
        return None if inner is None else -inner
    if isinstance(expr, cst.BinaryOperation):
        left, right = _int(expr.left, model, depth + 1), _int(expr.right, model, depth + 1)
        if left is None or right is None:
            return None
        op = type(expr.operator).__name__
        try:
            if op == "Add":
                return left + right
            if op == "Subtract":
                return left - right
            if op == "Multiply":
                return left * right
            if op == "FloorDivide":
                return left // right
            if op == "Power" and 0 <= right <= 64:
                return left ** right
        except ZeroDivisionError:
            return None
        return None
    if isinstance(expr, cst.Name):
        origins = model.origins(expr)
        if len(origins) == 1 and origins[0].certain:
            return _int(origins[0].expr, model, depth + 1)
    return None


__all__ = [
    "ARRAY", "BAG", "COLLECTION_KINDS", "COMPREHENSION", "CONTAINER", "DATAFRAME", "DELAYED",
    "DataLike", "DaskValue", "FITTED", "FUTURE", "INSTANCE", "LITERAL", "NUMPY", "OBJECT",
    "PANDAS", "captured", "dask_collection", "dask_value", "datalike", "delayed_spelling",
    "is_dask_collection", "is_delayed", "is_delayed_call", "is_future",
]
