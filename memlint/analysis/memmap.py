"""Is this value a memory-mapped array, and what was done to its layout?

Sources: `numpy.memmap(...)`, `numpy.load(..., mmap_mode=<not None>)`,
`numpy.lib.format.open_memmap(...)`, `joblib.load(..., mmap_mode=...)`.
Views keep the mapping: slices and fields, `.reshape`/`np.reshape`, `.squeeze`, `.view`,
`.T`/`.transpose`/`np.transpose`/`.swapaxes`/`np.swapaxes`/`np.moveaxis`, `np.asarray`
without a dtype. Copies end it: `np.array`, `.copy()`, `np.ascontiguousarray`, arithmetic,
any other call.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import libcst as cst

from memlint.analysis.calls import arg, arg_value, is_none, literal

if TYPE_CHECKING:  # pragma: no cover
    from memlint.analysis.model import SemanticModel

MEMMAP = "numpy.memmap"
LOAD = "numpy.load"
OPEN_MEMMAP = "numpy.lib.format.open_memmap"
JOBLIB_LOAD = "joblib.load"

TRANSPOSE = "transpose"
RESHAPE = "reshape"
SLICE = "slice"
FIELD = "field"
VIEW = "view"

_TRANSPOSE_METHODS = ("transpose", "swapaxes")
_TRANSPOSE_FUNCS = ("numpy.transpose", "numpy.swapaxes", "numpy.moveaxis")
_KEEP_METHODS = ("squeeze", "view")
_KEEP_FUNCS = ("numpy.squeeze", "numpy.asarray", "numpy.asanyarray")


@dataclass(frozen=True)
class Memmap:
    """A memmap-backed value.

    `source` is the call that opened the file; `kind` its qualified name; `base_ndim`
    the dimensions the mapping was opened with (1 for np.memmap without shape or with a
    1-D shape, None when only the file knows); `base_ndim_certain` False when that is a
    guess (`shape=count`); `base_order` "C"/"F" when known; `ops` the layout operations
    applied since, oldest first; `certain` False when the value is a memmap on some paths
    only.
    """

    source: cst.Call
    kind: str
    base_ndim: int | None
    base_order: str | None
    ops: tuple[str, ...] = ()
    certain: bool = True
    base_ndim_certain: bool = True
    # The current view's memory layout: "1D" (both C and F), "C", "F", "strided" (not
    # contiguous: joblib ships its strides, so it arrives intact) or None (unknown); and
    # its number of dimensions when known.
    layout: str | None = None
    ndim: int | None = None
    # The latest reshape call in the chain of views, if any.
    reshape: cst.Call | None = None

    @property
    def last_op(self) -> str | None:
        return self.ops[-1] if self.ops else None

    @property
    def from_1d_base(self) -> bool:
        """Opened by np.memmap as certainly 1-D (no shape, or a literal 1-D shape)."""
        return self.kind == MEMMAP and self.base_ndim == 1 and self.base_ndim_certain

    def then(self, op: str, layout: str | None = None, ndim: int | None = None) -> "Memmap":
        return replace(self, ops=self.ops + (op,), layout=layout, ndim=ndim)

    def reshaped(self, call: cst.Call, layout: str | None, ndim: int | None) -> "Memmap":
        return replace(self.then(RESHAPE, layout, ndim), reshape=call)

    @property
    def transposed_since_reshape(self) -> bool:
        """A transpose follows the latest reshape: the final layout is the transposed
        view's (joblib #1019's hazard, judged by `transpose_hazard`)."""
        if RESHAPE not in self.ops:
            return TRANSPOSE in self.ops
        last = len(self.ops) - 1 - self.ops[::-1].index(RESHAPE)
        return TRANSPOSE in self.ops[last + 1:]


def _initial_layout(ndim: int | None, order: str | None) -> str | None:
    if ndim == 1:
        return "1D"
    if ndim is not None and order in ("C", "F"):
        return order
    return None


_UNKNOWN = object()  # an argument that may be passed through **kwargs we cannot read


def source_of(call: cst.CSTNode, model: "SemanticModel") -> Memmap | None:
    """The Memmap opened by `call` itself, if it opens one."""
    if not isinstance(call, cst.Call):
        return None
    q = model.qualified_name(call.func)
    if q == MEMMAP:
        shape = _argument(call, "shape", 4, model)
        order_expr = _argument(call, "order", 5, model)
        order = None if order_expr is _UNKNOWN else literal(order_expr, "C")
        if shape is _UNKNOWN:
            ndim, sure = None, True  # shape may hide in **kwargs: unknown, stay quiet
        elif shape is None:
            ndim, sure = 1, True
        else:
            ndim, sure = shape_ndim(shape, model)
        order = order if order in ("C", "F") else None
        layout = _initial_layout(ndim, order) if sure else None
        return Memmap(call, MEMMAP, ndim, order, base_ndim_certain=sure, layout=layout,
                      ndim=ndim if sure else None)
    if q in (LOAD, JOBLIB_LOAD):
        mode = _argument(call, "mmap_mode", 1, model)
        if mode is None or mode is _UNKNOWN:
            return None
        origins = model.origins(mode)
        if is_none(mode) or (origins and all(is_none(o.expr) for o in origins)):
            return None
        # A literal mode maps the file; a variable (often a parameter defaulting to
        # None) only may.
        sure = isinstance(literal(mode, None), str)
        return Memmap(call, q, None, None, certain=sure)
    if q == OPEN_MEMMAP:
        shape = _argument(call, "shape", 3, model)
        if shape is None or shape is _UNKNOWN:
            ndim = None
        else:
            ndim, _ = shape_ndim(shape, model)
        fortran_expr = _argument(call, "fortran_order", 4, model)
        fortran = None if fortran_expr is _UNKNOWN else literal(fortran_expr, False)
        known = shape is not None and shape is not _UNKNOWN
        order = "F" if fortran is True else ("C" if known and fortran is False else None)
        return Memmap(call, q, ndim, order, layout=_initial_layout(ndim, order), ndim=ndim)
    return None


def _argument(call: cst.Call, keyword: str, position: int, model: "SemanticModel"):
    """The expression passed for a parameter; None when it is certainly not passed;
    _UNKNOWN when it may come through a `**kwargs` that is not a dict literal bound in
    the same scope (rosettasciio builds `memmap_kwargs = {..., "shape": ...}`)."""
    found = arg_value(call, keyword, position)
    if found is not None:
        return found
    for a in call.args:
        if a.star == "*" and position is not None:
            return _UNKNOWN  # positional arguments we cannot count
        if a.star != "**":
            continue
        value = _dict_literal(a.value, model)
        if value is None:
            return _UNKNOWN
        if keyword in value:
            return value[keyword]
    return None


def _dict_literal(expr: cst.BaseExpression, model: "SemanticModel") -> dict | None:
    """Keyword -> value of `{"k": v}` or `dict(k=v)` (directly or through one certain
    binding), None when it is anything else or may hold other keys."""
    candidates = [expr] if not isinstance(expr, cst.Name) else [
        o.expr for o in model.origins(expr) if o.certain
    ]
    if len(candidates) != 1:
        return None
    d = candidates[0]
    out: dict = {}
    if isinstance(d, cst.Dict):
        for el in d.elements:
            if not isinstance(el, cst.DictElement):
                return None  # **other inside the literal
            key = literal(el.key, None)
            if not isinstance(key, str):
                return None
            out[key] = el.value
        return out
    if isinstance(d, cst.Call) and isinstance(d.func, cst.Name) and d.func.value == "dict":
        for a in d.args:
            if a.keyword is None:
                return None
            out[a.keyword.value] = a.value
        return out
    return None


_INT_OPERATORS = ("Multiply", "FloorDivide", "Subtract", "Modulo", "Power")


def shape_ndim(expr: cst.BaseExpression, model: "SemanticModel") -> tuple[int | None, bool]:
    """Number of dimensions of a shape expression (None when unknown), and whether that
    is certain. `shape=count`, `shape=self.n_traces` and other plain names are taken as
    1-D but not certainly; names that say "shape" or "dim" are unknown."""
    candidates = [expr] + [o.expr for o in model.origins(expr) if o.expr is not expr]
    for candidate in candidates:
        if isinstance(candidate, (cst.Tuple, cst.List)):
            if any(isinstance(e, cst.StarredElement) for e in candidate.elements):
                return None, True
            return len(candidate.elements), True
        if isinstance(candidate, cst.Integer):
            return 1, True
        if isinstance(candidate, cst.Call) and isinstance(candidate.func, cst.Name) and candidate.func.value in ("len", "int"):
            return 1, True
        if (
            isinstance(candidate, cst.BinaryOperation)
            and type(candidate.operator).__name__ in _INT_OPERATORS
            and not any(isinstance(side, (cst.Tuple, cst.List)) for side in (candidate.left, candidate.right))
        ):
            return 1, True  # `size // 4`, `n * m`: integer arithmetic
    if isinstance(expr, (cst.Name, cst.Attribute)) and len(candidates) == 1:
        name = (expr.value if isinstance(expr, cst.Name) else expr.attr.value).lower()
        if "shape" not in name and "dim" not in name:
            return 1, False
    return None, True


_MEMO: "weakref.WeakKeyDictionary[SemanticModel, dict]" = weakref.WeakKeyDictionary()


def memmaps(expr: cst.BaseExpression, model: "SemanticModel", depth: int = 0) -> list[Memmap]:
    """Every memmap-backed value `expr` may evaluate to."""
    if depth == 0:
        # Several rules ask this of the same expressions (every reshape, every argument
        # sent to workers): the answer is kept for the model's lifetime.
        memo = _MEMO.setdefault(model, {})
        found = memo.get(expr)
        if found is None:
            found = memo[expr] = _memmaps(expr, model, 0)
        return list(found)
    return _memmaps(expr, model, depth)


def _memmaps(expr: cst.BaseExpression, model: "SemanticModel", depth: int) -> list[Memmap]:
    if depth > 16:
        return []
    out: list[Memmap] = []
    # Across functions and modules: a loader's return, a base class's attribute, a
    # property, a helper's parameter (memlint.analysis.reach).
    for origin in model.origins(expr, across=True):
        for m in _memmaps_of(origin.expr, origin.model or model, depth):
            out.append(m if origin.certain else replace(m, certain=False))
    return out


def _memmaps_of(e: cst.BaseExpression, model: "SemanticModel", depth: int) -> list[Memmap]:
    src = source_of(e, model)
    if src is not None:
        return [src]
    if isinstance(e, cst.Subscript):
        inner = memmaps(e.value, model, depth + 1)
        if _is_field_access(e):
            return [m.then(FIELD) for m in inner]
        if _is_fancy(e):
            return []  # indexing with a list or array copies
        return [m.then(SLICE, *subscript_layout(m.layout, m.ndim, e)) for m in inner]
    if isinstance(e, cst.Attribute) and e.attr.value == "T":
        return [m.then(TRANSPOSE, *_transposed(m, full=True)) for m in memmaps(e.value, model, depth + 1)]
    if isinstance(e, cst.Call):
        func = e.func
        if isinstance(func, cst.Attribute) and not model.qualified_name(func):
            name = func.attr.value
            if name == "reshape":
                return [m.reshaped(e, *_reshaped(m, e, model)) for m in memmaps(func.value, model, depth + 1)]
            if name in _TRANSPOSE_METHODS:
                full = name == "transpose" and not e.args
                return [m.then(TRANSPOSE, *_transposed(m, full)) for m in memmaps(func.value, model, depth + 1)]
            if name in _KEEP_METHODS:
                return [m.then(VIEW, *_kept(m, name)) for m in memmaps(func.value, model, depth + 1)]
            return []
        q = model.qualified_name(func)
        if q and e.args:
            first = e.args[0].value
            if q == "numpy.reshape":
                return [m.reshaped(e, *_reshaped(m, e, model)) for m in memmaps(first, model, depth + 1)]
            if q in _TRANSPOSE_FUNCS:
                full = q == "numpy.transpose" and len(e.args) == 1
                return [m.then(TRANSPOSE, *_transposed(m, full)) for m in memmaps(first, model, depth + 1)]
            if q in _KEEP_FUNCS and arg(e, "dtype", 1) is None:
                return [m.then(VIEW, *_kept(m, q.rsplit(".", 1)[-1])) for m in memmaps(first, model, depth + 1)]
    return []


def _reshaped(m: Memmap, call: cst.Call, model: "SemanticModel") -> tuple[str | None, int | None]:
    _, dims, order = reshape_info(call, model)
    ndim = len(dims) if dims is not None else None
    if ndim == 1:
        return ("1D" if m.layout in ("1D", "C", "F") else None), 1
    # A contiguous input reshaped in its own order is a view in that order; anything else
    # may be a copy.
    if order in ("C", "F") and (m.layout == "1D" or m.layout == order):
        return order, ndim
    return None, ndim


def _transposed(m: Memmap, full: bool) -> tuple[str | None, int | None]:
    if m.layout == "1D":
        return "1D", 1
    if m.layout in ("C", "F") and (full or m.ndim == 2):
        # Reversing the axes (or swapping the two of a 2-D array) flips the order.
        return ("F" if m.layout == "C" else "C"), m.ndim
    if m.layout == "strided":
        return "strided", m.ndim
    return None, m.ndim


def _kept(m: Memmap, name: str) -> tuple[str | None, int | None]:
    if name == "squeeze":
        return (m.layout, m.ndim) if m.layout == "1D" else (m.layout if m.layout == "strided" else None, None)
    return m.layout, m.ndim


def _is_fancy(sub: cst.Subscript) -> bool:
    return any(
        isinstance(el.slice, cst.Index)
        and isinstance(el.slice.value, (cst.List, cst.ListComp, cst.Tuple))
        for el in sub.slice
    )


def _full(s: cst.Slice) -> bool:
    return s.lower is None and s.upper is None and (s.step is None or literal(s.step, None) == 1)


def subscript_layout(layout: str | None, ndim: int | None, sub: cst.Subscript) -> tuple[str | None, int | None]:
    """Layout and dimensions of `view[...]` with basic indexing (integers, slices, `...`,
    None). A C-contiguous view stays C-contiguous when the index is some integers, then at
    most one step-1 range, then full `:` slices; mirrored for F. Anything else is
    strided."""
    if layout in (None, "strided"):
        return layout, None
    items: list[str] = []
    for el in sub.slice:
        s = el.slice
        if isinstance(s, cst.Slice):
            items.append("full" if _full(s) else ("range" if s.step is None or literal(s.step, None) == 1 else "step"))
        elif isinstance(s.value, cst.Ellipsis):
            items.append("...")
        elif is_none(s.value):
            continue  # np.newaxis adds a length-1 axis: the layout is unchanged
        else:
            items.append("int")
    if layout == "1D":
        if any(i == "step" for i in items):
            return "strided", 1
        return ("1D", 1) if "int" not in items else (None, 0)
    if items.count("...") > 1:
        return None, None
    if "..." in items:
        k = items.index("...")
        rest = len(items) - 1
        fill = ndim - rest if ndim is not None else 1  # unknown: assume it spans an axis
        items = items[:k] + ["full"] * max(fill, 0) + items[k + 1:]
    if ndim is not None and len(items) < ndim:
        items += ["full"] * (ndim - len(items))
    elif layout == "F" and ndim is None:
        return None, None  # implicit trailing axes decide F-contiguity
    new_ndim = (ndim - items.count("int")) if ndim is not None else None
    ordered = items if layout == "C" else list(reversed(items))
    i = 0
    while i < len(ordered) and ordered[i] == "int":
        i += 1
    if i < len(ordered):
        if ordered[i] == "step":
            return "strided", new_ndim
        i += 1
    if any(item != "full" for item in ordered[i:]):
        return "strided", new_ndim
    return (layout if new_ndim != 1 else "1D"), new_ndim


def transpose_hazard(m: Memmap) -> str | None:
    """For a memmap-backed view that went through a transpose: the joblib versions (a PEP
    440 specifier, "" for every version) whose process workers rebuild it with wrong
    values, or None when it arrives intact. joblib rebuilds a contiguous view in its
    base's order: F for a 1-D base before 1.5.0 and C from 1.5.0 on (joblib #1703), the
    base's own order for an N-D base (joblib #1019, every version). Non-contiguous views
    keep their strides and arrive intact."""
    if TRANSPOSE not in m.ops:
        return None
    if m.layout in ("1D", "strided"):
        return None
    if m.layout in ("C", "F"):
        if m.from_1d_base:
            return ">=1.5.0" if m.layout == "F" else "<1.5.0"
        if m.base_order in ("C", "F") and m.layout == m.base_order:
            return None  # transposed back
        return ""
    # Layout unknown: a view whose last step was a transpose is the hazard as reported
    # by joblib #1019.
    return "" if m.last_op == TRANSPOSE else None


def reshape_hazard(m: Memmap, model: "SemanticModel") -> str | None:
    """For a memmap-backed view whose latest layout change is a reshape of a 1-D base: the
    joblib versions (a PEP 440 specifier) whose process workers rebuild it with wrong
    values, or None when it arrives intact. The same table as `transpose_hazard`: a
    contiguous view of a 1-D base is rebuilt F-ordered before 1.5.0 and C-ordered from
    1.5.0 on (joblib #1703); a non-contiguous view keeps its strides."""
    if m.reshape is None or m.transposed_since_reshape:
        return None
    layout = m.layout
    if layout is None and m.base_ndim is None and m.last_op == RESHAPE:
        # A file of unknown shape (`np.load(..., mmap_mode=...)`) reshaped last: if it is
        # 1-D, the reshape's own order is the view's.
        layout = reshape_info(m.reshape, model)[2]
    if layout == "C":
        return "<1.5.0"
    if layout == "F":
        return ">=1.5.0"
    return None


def _is_field_access(sub: cst.Subscript) -> bool:
    return (
        len(sub.slice) == 1
        and isinstance(sub.slice[0].slice, cst.Index)
        and isinstance(sub.slice[0].slice.value, (cst.SimpleString, cst.ConcatenatedString))
    )


def reshape_info(call: cst.Call, model: "SemanticModel") -> tuple[cst.BaseExpression | None, list[cst.BaseExpression] | None, str | None]:
    """For `x.reshape(...)` or `np.reshape(x, ...)`: the reshaped expression, the new
    dimensions (None when they cannot be read), and the order ("C", "F" or None when it
    is not a literal)."""
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "reshape" and not model.qualified_name(call.func):
        target = call.func.value
        dim_args = [a for a in call.args if a.keyword is None]
        order_position = None  # m.reshape(3, 4): every positional argument is a dimension
    elif model.qualified_name(call.func) == "numpy.reshape" and call.args:
        target = call.args[0].value
        dim_args = [a for a in call.args[1:2] if a.keyword is None]
        newshape = arg(call, "newshape") or arg(call, "shape")
        if newshape is not None:
            dim_args = [newshape]
        order_position = 2  # np.reshape(a, newshape, order)
    else:
        return None, None, None
    order_expr = arg_value(call, "order", order_position)
    order = "C" if order_expr is None else literal(order_expr, None)
    if order == "A":
        order = "C"
    return target, _dims(dim_args, model), order


def _dims(args: list[cst.Arg], model: "SemanticModel") -> list[cst.BaseExpression] | None:
    if any(a.star for a in args):
        return None
    if len(args) == 1:
        value = args[0].value
        if isinstance(value, (cst.Tuple, cst.List)):
            if any(isinstance(el, cst.StarredElement) for el in value.elements):
                return None
            return [el.value for el in value.elements]
        if isinstance(value, (cst.Integer, cst.UnaryOperation)):
            return [value]
        for origin in model.origins(value):
            if isinstance(origin.expr, (cst.Tuple, cst.List)) and origin.certain:
                return _dims([cst.Arg(origin.expr)], model)
        return None
    return [a.value for a in args]
