"""PyTorch map-style datasets, and the `DataLoader`s that read them with worker processes.

A map-style dataset is a class with `__getitem__` and `__len__` (its own or a project
base's), or a subclass of `torch.utils.data.Dataset` with `__getitem__`. A `DataLoader`
reads one with worker processes when its `num_workers` is not 0: each worker is a copy of
the parent holding the dataset (forked, or given it pickled under spawn and forkserver).

`loadings(cls, model)` are the `DataLoader(...)` calls of the project whose dataset is an
instance of the class (or of a class deriving from it): in the class's module, and in the
modules of its package that import it by name. The dataset may be wrapped in `Subset`,
`ConcatDataset` or `random_split`, which keep the instance.

`opened_handle(expr, init, model)` says whether a value `__init__` stores is an open file
handle, or an object of one (`h5py.File(p)["x"]`): none of them pickle.

`python_objects(expr, init, model)` says whether a value `__init__` stores is a Python
container that grows with the data (a `Growing`): every item is a Python object whose
reference count a worker writes when it reads it. A comprehension or a loop of appends
over what a directory listing, a file's lines, `json.load` or `.tolist()` gives, such a
result itself, or a pandas data frame a reader returns (its text columns are Python
objects unless Arrow backs them). Numpy arrays and tensors are not: their items are one
buffer.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

import libcst as cst

from memlint.analysis import pools, reach
from memlint.analysis.calls import arg_value, literal, sole_binding, with_value

if TYPE_CHECKING:  # pragma: no cover
    from memlint.analysis.model import SemanticModel

DATALOADERS = ("torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader")
_DATASET_BASES = ("torch.utils.data.Dataset", "torch.utils.data.dataset.Dataset")
# Wrappers that hold the dataset they are given (their first argument, or its items).
_WRAPPERS = (
    "torch.utils.data.Subset", "torch.utils.data.dataset.Subset",
    "torch.utils.data.random_split", "torch.utils.data.dataset.random_split",
    "torch.utils.data.ConcatDataset", "torch.utils.data.dataset.ConcatDataset",
)


@dataclass(frozen=True)
class Loading:
    """A `DataLoader(...)` call reading an instance of the class with worker processes.
    `workers`: the literal `num_workers`, None when not literal (then `certain` is
    False); `start_method`: its literal `multiprocessing_context`, else the module's
    `set_start_method`, else None (the default)."""

    call: cst.Call
    model: "SemanticModel"
    workers: int | None
    certain: bool
    start_method: str | None


def is_map_style(cls: cst.ClassDef, model: "SemanticModel") -> bool:
    if reach.member(cls, model, "__getitem__") is None:
        return False
    if reach.member(cls, model, "__len__") is not None:
        return True
    owners = [(model, cls), *reach.bases(cls, model)]
    return any(m.qualified_name(b.value) in _DATASET_BASES for m, c in owners for b in c.bases)


def loadings(cls: cst.ClassDef, model: "SemanticModel") -> list[Loading]:
    """The `DataLoader` calls with worker processes that read an instance of `cls`."""
    out: list[Loading] = []
    for m in _modules_using(cls, model):
        for loader in dataloaders(m):
            workers = _workers(loader, m)
            if workers is None:
                continue  # num_workers=0, or left at its default of 0
            dataset = arg_value(loader, "dataset", 0)
            if dataset is not None and _instance_of(dataset, cls, model, m):
                count, certain = workers
                out.append(Loading(loader, m, count, certain, _start_method(loader, m)))
    return out


def own_init(cls: cst.ClassDef) -> cst.FunctionDef | None:
    """The `__init__` the class body defines itself."""
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    return next((s for s in body if isinstance(s, cst.FunctionDef) and s.name.value == "__init__"), None)


def stored_on_self(init: cst.FunctionDef, model: "SemanticModel") -> "Iterator[tuple[cst.CSTNode, str, cst.BaseExpression]]":
    """(statement, attribute, value) for each `self.x = value` (or `self.x: T = value`) of
    `init`'s own body, in order; not `self.x, self.y = a, b`."""
    for name in model.references_within(init.body):
        attribute = model.parent.get(name)
        target = model.parent.get(attribute)
        if name.value != "self" or not isinstance(attribute, cst.Attribute) or attribute.value is not name:
            continue
        if isinstance(target, cst.AssignTarget):
            stmt = model.parent.get(target)
            value = stmt.value if isinstance(stmt, cst.Assign) else None
        elif isinstance(target, cst.AnnAssign) and target.target is attribute:
            stmt, value = target, target.value
        else:
            continue
        if value is None or isinstance(value, cst.Tuple):
            continue
        if model.enclosing(stmt, cst.FunctionDef) is not init:
            continue  # a nested def's
        yield stmt, attribute.attr.value, value


def first_per_attribute(found):
    """The first of (statement, attribute, ...) entries for each attribute."""
    seen: set[str] = set()
    for entry in found:
        if entry[1] not in seen:
            seen.add(entry[1])
            yield entry


def dataloaders(model: "SemanticModel") -> list[cst.Call]:
    """The module's `DataLoader(...)` calls."""
    memo = _LOADERS.get(model)
    if memo is None:
        memo = _LOADERS[model] = [
            node for node in model.index
            if isinstance(node, cst.Call) and model.qualified_name(node.func) in DATALOADERS
        ]
    return memo


_LOADERS: "weakref.WeakKeyDictionary[SemanticModel, list]" = weakref.WeakKeyDictionary()


def _modules_using(cls: cst.ClassDef, model: "SemanticModel") -> "Iterator[SemanticModel]":
    yield model
    if model.enclosing(cls, (cst.ClassDef, cst.FunctionDef)) is not None:
        return  # a nested class: no other module names it
    seen = {id(model)}
    for part, _call in reach.importers_calls(cls, model):
        if id(part) not in seen:
            seen.add(id(part))
            yield part


def _workers(loader: cst.Call, model: "SemanticModel") -> tuple[int | None, bool] | None:
    """(the number of workers, whether it is certainly more than 0), or None for none."""
    given = arg_value(loader, "num_workers", 5)
    if given is None:
        return None
    value = literal(given, None)
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, True) if value > 0 else None
    return None, False


def _start_method(loader: cst.Call, model: "SemanticModel") -> str | None:
    context = arg_value(loader, "multiprocessing_context", 11)
    value = literal(context, None)
    if value in pools.START_METHODS:
        return value
    if context is not None:
        method = pools.context_method(context, model)
        if isinstance(method, str):
            return method
    return pools.module_start_method(model)


def _instance_of(expr: cst.BaseExpression, cls: cst.ClassDef, cls_model: "SemanticModel",
                 model: "SemanticModel", depth: int = 0) -> bool:
    """Whether `expr` (in `model`) may be an instance of `cls` (in `cls_model`), or of a
    class deriving from it, kept in a dataset wrapper or not."""
    if depth > 4:
        return False
    found = [(o.expr, o.model or model) for o in model.origins(expr, across=True)]
    if isinstance(expr, cst.Name):
        b = sole_binding(expr, model)
        if b is not None and b.item is not None:
            found.append((b.item[0], model))  # `train, val = random_split(ds, ...)`
    for value, where in found:
        if not isinstance(value, cst.Call):
            continue
        q = where.qualified_name(value.func)
        if q in _WRAPPERS:
            inner = arg_value(value, "datasets" if q.endswith("ConcatDataset") else "dataset", 0)
            items = [e.value for e in inner.elements] if isinstance(inner, (cst.List, cst.Tuple)) else [inner]
            if any(i is not None and _instance_of(i, cls, cls_model, where, depth + 1) for i in items):
                return True
            continue
        found = reach.definition(value.func, where) if isinstance(value.func, (cst.Name, cst.Attribute)) else None
        if found is None or not isinstance(found[1], cst.ClassDef):
            continue
        if _same_class(found, cls, cls_model) or any(_same_class(b, cls, cls_model) for b in reach.bases(found[1], found[0])):
            return True
    return False


def _same_class(found: "tuple[SemanticModel, cst.ClassDef]", cls: cst.ClassDef, cls_model: "SemanticModel") -> bool:
    m, c = found
    if c is cls:
        return True
    return (c.name.value == cls.name.value and m.path is not None and cls_model.path is not None
            and os.path.abspath(m.path) == os.path.abspath(cls_model.path))


# -- containers of Python objects ------------------------------------------------------------
@dataclass(frozen=True)
class Growing:
    what: str  # for messages: "a list built from `glob.glob(...)`"
    certain: bool  # False: it may be small (a JSON config, a loop over few items)


# Calls whose result holds one Python object per item of the data: what it says.
_SOURCES = {
    "glob.glob": "the paths of `glob.glob(...)`", "glob.iglob": "the paths of `glob.iglob(...)`",
    "os.walk": "the entries of `os.walk(...)`", "csv.reader": "the rows of `csv.reader(...)`",
    "csv.DictReader": "the rows of `csv.DictReader(...)`",
}
# A directory's entries: its files, or only a few folders (one per class).
_LISTINGS = {"os.listdir": "the names of `os.listdir(...)`", "os.scandir": "the entries of `os.scandir(...)`"}
_PARSED = {"json.load", "json.loads", "pickle.load", "pickle.loads", "yaml.safe_load", "yaml.load"}
_SOURCE_METHODS = {"tolist": "`.tolist()`", "readlines": "`.readlines()`", "splitlines": "`.splitlines()`",
                   "glob": "`.glob(...)`", "rglob": "`.rglob(...)`"}
_BUILDERS = ("list", "sorted", "set", "dict", "tuple")
_FEW = 1000  # a container of fewer literal-counted items is small
_FILLERS = frozenset({"append", "extend", "add", "insert", "update", "setdefault"})


def python_objects(expr: cst.BaseExpression, init: cst.FunctionDef, model: "SemanticModel",
                   depth: int = 0) -> Growing | None:
    """Whether `expr`, a value `init` stores, is a container of Python objects that grows
    with the data (followed through the names `init` binds)."""
    if depth > 4:
        return None
    if isinstance(expr, cst.Name):
        b = _local_binding(expr, init, model)
        if b is None:
            return None
        if is_empty(b.value):
            return filled(_named(expr.value, init, model), init, model, depth)
        return python_objects(b.value, init, model, depth + 1) if b.value is not None else None
    if isinstance(expr, (cst.ListComp, cst.SetComp, cst.DictComp)):
        kind = {cst.ListComp: "list", cst.SetComp: "set", cst.DictComp: "dict"}[type(expr)]
        source = _source(expr.for_in.iter, init, model, depth)
        if source is not None:
            return Growing(f"a {kind} built over {source.what}", source.certain)
        return None
    if isinstance(expr, cst.Call):
        func = expr.func
        if isinstance(func, cst.Name) and func.value in _BUILDERS and not model.lookup(func.value, func)[1]:
            first = arg_value(expr, "iterable", 0)
            source = _source(first, init, model, depth) if first is not None else None
            if source is not None:
                return Growing(f"a {func.value if func.value != 'sorted' else 'list'} of {source.what}", source.certain)
            return None
        return _source(expr, init, model, depth)
    return None


def _source(expr: cst.BaseExpression, init: cst.FunctionDef, model: "SemanticModel", depth: int) -> Growing | None:
    """What a container is built over, when it holds one object per item of the data."""
    if isinstance(expr, cst.Name):
        b = _local_binding(expr, init, model, loops=True)
        if b is not None and b.kind == "with":
            opened = with_value(b)  # `with open(p) as f:` then `for line in f`
            return _source(opened, init, model, depth + 1) if opened is not None and depth < 4 else None
        if b is not None and b.kind == "for":
            # `for root, _, files in os.walk(d): for f in files:` draws on os.walk.
            return _source(b.iterable, init, model, depth + 1) if b.iterable is not None and depth < 4 else None
        if b is not None and b.value is not None and not is_empty(b.value):
            return _source(b.value, init, model, depth + 1) if depth < 4 else None
        return python_objects(expr, init, model, depth + 1)
    if isinstance(expr, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
        return _source(expr.for_in.iter, init, model, depth + 1) if depth < 4 else None
    if not isinstance(expr, cst.Call):
        return None
    func = expr.func
    q = model.qualified_name(func)
    if q in _SOURCES:
        return Growing(_SOURCES[q], True)
    if q in _LISTINGS:
        return Growing(_LISTINGS[q], False)
    if q in _PARSED:
        return Growing(f"what `{q}(...)` parses", False)
    if q is not None and q.startswith("pandas.read_"):
        return None if literal(arg_value(expr, "dtype_backend"), None) == "pyarrow" else Growing(
            f"a data frame from `{q.replace('pandas.', 'pd.')}(...)`", False)
    if isinstance(func, cst.Name) and func.value == "range" and not model.lookup("range", func)[1]:
        bounds = [literal(a.value, None) for a in expr.args if a.keyword is None]
        if bounds and all(isinstance(b, int) for b in bounds) and len(range(*bounds[:3])) < _FEW:
            return None
        return Growing("the numbers of a `range`", False)
    if isinstance(func, cst.Attribute) and func.attr.value in _SOURCE_METHODS:
        return Growing(f"the items of {_SOURCE_METHODS[func.attr.value]}", True)
    if isinstance(func, cst.Name) and func.value in ("open", "enumerate", "zip", "sorted", "list", "reversed") \
            and not model.lookup(func.value, func)[1]:
        if func.value == "open":
            return Growing("the lines of a file", True)
        for a in expr.args:
            if a.keyword is None and not a.star:
                found = _source(a.value, init, model, depth + 1) if depth < 4 else None
                if found is not None:
                    return found
    return None


def filled(uses: "list[cst.CSTNode]", init: cst.FunctionDef, model: "SemanticModel", depth: int = 0) -> Growing | None:
    """An empty container `init` fills in a loop (`x.append(...)`, `x[k] = v`, `uses`
    being the nodes that name it: `x` or `self.x`), over what the loop iterates."""
    for use in uses:
        parent = model.parent.get(use)
        grand = model.parent.get(parent)
        fills = (
            isinstance(parent, cst.Attribute) and parent.value is use and parent.attr.value in _FILLERS
            and isinstance(grand, cst.Call)
        ) or (isinstance(parent, cst.Subscript) and parent.value is use
              and isinstance(model.parent.get(grand), cst.AssignTarget))
        loop = model.in_loop(use) if fills else None
        if loop is None:
            continue
        iterable = loop.iter if isinstance(loop, cst.For) else getattr(getattr(loop, "for_in", None), "iter", None)
        source = _source(iterable, init, model, depth + 1) if iterable is not None else None
        if source is not None:
            return Growing(f"a container filled in a loop over {source.what}", source.certain)
        return Growing("a container filled in a loop", False)
    return None


def self_uses(attr: str, init: cst.FunctionDef, model: "SemanticModel") -> list[cst.Attribute]:
    """The `self.<attr>` nodes of `init`'s body."""
    out = []
    for name in model.references_within(init.body):
        parent = model.parent.get(name)
        if (name.value == "self" and isinstance(parent, cst.Attribute) and parent.value is name
                and parent.attr.value == attr):
            out.append(parent)
    return out


def _named(identifier: str, init: cst.FunctionDef, model: "SemanticModel") -> list[cst.Name]:
    return [n for n in model.references_within(init.body) if n.value == identifier]


def _local_binding(name: cst.Name, init: cst.FunctionDef, model: "SemanticModel", loops: bool = False):
    """The one binding of `name` in `init` that reaches it (an assignment; with `loops`,
    a for-loop's target too), or None."""
    scope, bindings = model.lookup(name.value, name)
    if scope is None or scope.node is not init:
        return None
    reaching = model.reaching(bindings, name)
    kinds = ("assign", "annassign", "for", "with") if loops else ("assign", "annassign")
    if len(reaching) != 1 or reaching[0].kind not in kinds:
        return None
    return reaching[0]


def is_empty(value: cst.BaseExpression | None) -> bool:
    """`[]`, `{}`, `set()`, `list()`, `dict()`."""
    if isinstance(value, (cst.List, cst.Dict, cst.Set)):
        return not value.elements
    return (isinstance(value, cst.Call) and isinstance(value.func, cst.Name)
            and value.func.value in ("list", "dict", "set") and not value.args)



# -- open handles ------------------------------------------------------------------------------
_HANDLE_OPENERS = {
    "h5py.File": "`h5py.File(...)`", "h5netcdf.File": "`h5netcdf.File(...)`",
    "tables.open_file": "`tables.open_file(...)`", "netCDF4.Dataset": "`netCDF4.Dataset(...)`",
    "lmdb.open": "`lmdb.open(...)`", "sqlite3.connect": "`sqlite3.connect(...)`",
    "io.open": "`open(...)`", "gzip.open": "`gzip.open(...)`", "bz2.open": "`bz2.open(...)`",
    "lzma.open": "`lzma.open(...)`", "zipfile.ZipFile": "`zipfile.ZipFile(...)`",
    "tarfile.open": "`tarfile.open(...)`",
}
def opened_handle(expr: cst.BaseExpression, init: cst.FunctionDef, model: "SemanticModel",
                  depth: int = 0) -> str | None:
    """What opened the handle `expr` is (or belongs to), for messages; None if it is not
    one (a subscript that reads the data out, `f["x"][:]`, is an array)."""
    if depth > 4:
        return None
    if isinstance(expr, cst.Name):
        b = _local_binding(expr, init, model)
        return opened_handle(b.value, init, model, depth + 1) if b is not None and b.value is not None else None
    if isinstance(expr, cst.Subscript):
        # `f["x"]` (a name) is the file's dataset or group, still a handle; `f["x"][:]`,
        # `f["x"][0]` read data out of it.
        keys = [e.slice.value for e in expr.slice if isinstance(e.slice, cst.Index)]
        if len(keys) != 1 or len(expr.slice) != 1 or not isinstance(literal(keys[0], None), str):
            return None
        inner = opened_handle(expr.value, init, model, depth + 1)
        return f"an object of {inner}" if inner is not None and not inner.startswith("an object") else inner
    if isinstance(expr, cst.Call):
        q = model.qualified_name(expr.func)
        if q in _HANDLE_OPENERS:
            return _HANDLE_OPENERS[q]
        if isinstance(expr.func, cst.Name) and expr.func.value == "open" and not model.lookup("open", expr.func)[1]:
            return "`open(...)`"
    return None


def closed_in(attr: str, init: cst.FunctionDef, model: "SemanticModel") -> bool:
    """Whether `init` closes `self.<attr>` itself (`self.f.close()`)."""
    for use in self_uses(attr, init, model):
        method = model.parent.get(use)
        if isinstance(method, cst.Attribute) and method.attr.value == "close" and isinstance(model.parent.get(method), cst.Call):
            return True
    return False
