"""Is this value a memory-mapped array, and what was done to its layout?

Sources: `numpy.memmap(...)`, `numpy.load(..., mmap_mode=<not None>)`,
`numpy.lib.format.open_memmap(...)`, `joblib.load(..., mmap_mode=...)`.
Views keep the mapping: slices and fields, `.reshape`/`np.reshape`, `.squeeze`, `.view`,
`.T`/`.transpose`/`np.transpose`/`.swapaxes`/`np.swapaxes`/`np.moveaxis`, `np.asarray`
without a dtype. Copies end it: `np.array`, `.copy()`, `np.ascontiguousarray`, arithmetic,
any other call.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import libcst as cst

from memlint.analysis.calls import arg, arg_value, has_star_kwargs, is_none, literal

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
    1-D shape, None when only the file knows); `base_order` "C"/"F" when known; `ops` the
    layout operations applied since, oldest first; `certain` False when the value is a
    memmap on some paths only.
    """

    source: cst.Call
    kind: str
    base_ndim: int | None
    base_order: str | None
    ops: tuple[str, ...] = ()
    certain: bool = True

    @property
    def last_op(self) -> str | None:
        return self.ops[-1] if self.ops else None

    def then(self, op: str) -> "Memmap":
        return replace(self, ops=self.ops + (op,))


def source_of(call: cst.CSTNode, model: "SemanticModel") -> Memmap | None:
    """The Memmap opened by `call` itself, if it opens one."""
    if not isinstance(call, cst.Call):
        return None
    q = model.qualified_name(call.func)
    if q == MEMMAP:
        if has_star_kwargs(call) and arg(call, "shape", 4) is None:
            return None  # shape may hide in **kwargs: unknown, stay quiet
        shape = arg_value(call, "shape", 4)
        order = literal(arg_value(call, "order", 5), "C")
        ndim = 1 if shape is None else shape_ndim(shape, model)
        return Memmap(call, MEMMAP, ndim, order if order in ("C", "F") else None)
    if q in (LOAD, JOBLIB_LOAD):
        mode = arg_value(call, "mmap_mode", 1)
        if mode is None or is_none(mode):
            return None
        return Memmap(call, q, None, None)
    if q == OPEN_MEMMAP:
        shape = arg_value(call, "shape", 3)
        ndim = None if shape is None else shape_ndim(shape, model)
        fortran = literal(arg_value(call, "fortran_order", 4), False)
        return Memmap(call, q, ndim, "F" if fortran is True else ("C" if shape is not None else None))
    return None


def shape_ndim(expr: cst.BaseExpression, model: "SemanticModel") -> int | None:
    """Number of dimensions of a shape expression, None when unknown."""
    for candidate in [expr] + [o.expr for o in model.origins(expr)]:
        if isinstance(candidate, (cst.Tuple, cst.List)):
            if any(isinstance(e, cst.StarredElement) for e in candidate.elements):
                return None
            return len(candidate.elements)
        if isinstance(candidate, cst.Integer):
            return 1
        if isinstance(candidate, cst.Call) and isinstance(candidate.func, cst.Name) and candidate.func.value in ("len", "int"):
            return 1
    return None


def memmaps(expr: cst.BaseExpression, model: "SemanticModel", depth: int = 0) -> list[Memmap]:
    """Every memmap-backed value `expr` may evaluate to."""
    if depth > 16:
        return []
    out: list[Memmap] = []
    for origin in model.origins(expr):
        for m in _memmaps_of(origin.expr, model, depth):
            out.append(m if origin.certain else replace(m, certain=False))
    return out


def _memmaps_of(e: cst.BaseExpression, model: "SemanticModel", depth: int) -> list[Memmap]:
    src = source_of(e, model)
    if src is not None:
        return [src]
    if isinstance(e, cst.Subscript):
        op = FIELD if _is_field_access(e) else SLICE
        return [m.then(op) for m in memmaps(e.value, model, depth + 1)]
    if isinstance(e, cst.Attribute) and e.attr.value == "T":
        return [m.then(TRANSPOSE) for m in memmaps(e.value, model, depth + 1)]
    if isinstance(e, cst.Call):
        func = e.func
        if isinstance(func, cst.Attribute) and not model.qualified_name(func):
            name = func.attr.value
            if name == "reshape":
                return [m.then(RESHAPE) for m in memmaps(func.value, model, depth + 1)]
            if name in _TRANSPOSE_METHODS:
                return [m.then(TRANSPOSE) for m in memmaps(func.value, model, depth + 1)]
            if name in _KEEP_METHODS:
                return [m.then(VIEW) for m in memmaps(func.value, model, depth + 1)]
            return []
        q = model.qualified_name(func)
        if q and e.args:
            first = e.args[0].value
            if q == "numpy.reshape":
                return [m.then(RESHAPE) for m in memmaps(first, model, depth + 1)]
            if q in _TRANSPOSE_FUNCS:
                return [m.then(TRANSPOSE) for m in memmaps(first, model, depth + 1)]
            if q in _KEEP_FUNCS and arg(e, "dtype", 1) is None:
                return [m.then(VIEW) for m in memmaps(first, model, depth + 1)]
    return []


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
    elif model.qualified_name(call.func) == "numpy.reshape" and call.args:
        target = call.args[0].value
        dim_args = [a for a in call.args[1:2] if a.keyword is None]
        newshape = arg(call, "newshape") or arg(call, "shape")
        if newshape is not None:
            dim_args = [newshape]
    else:
        return None, None, None
    order_expr = arg_value(call, "order", None if isinstance(call.func, cst.Attribute) else 2)
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
