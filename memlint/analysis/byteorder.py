"""Byte order of numpy dtypes and arrays, as far as the source shows it.

dtype expressions are evaluated exactly with numpy when every part of them is known
(literals such as `">f8"` or a structured list of tuples, numpy scalar types, builtins,
names bound to those, `np.dtype(...)`, `.newbyteorder(...)`). numpy is imported inside
functions only: importing this module must not load it.

An array expression is followed through its constructor or reader and the operations
applied since:

- sources: `np.zeros/ones/empty/full/array/asarray/arange/fromfile/frombuffer/memmap` and
  the `*_like` functions, with their `dtype` (keyword or positional); astropy FITS data
  (`fits.getdata(...)`, `fits.open(...)[i].data`, `hdul[...].data`), which is big-endian;
  memory-mapped sources from `memlint.analysis.memmap`;
- `.astype(dt)` and `.view(dt)` take the order of `dt`; `.newbyteorder(...)` (numpy < 2)
  changes it; slices, fields, reshapes, transposes, `.copy()` and `.byteswap()` keep it
  (`byteswap` swaps the bytes, not the dtype, so `x.byteswap().view(x.dtype.newbyteorder())`
  inverts the order of `x`);
- arithmetic and any other call end what is known (numpy may or may not keep a non-native
  order through a temporary, so nothing is claimed).

"Native" is the byte order of the machine running memlint (little-endian on x86-64 and
ARM64). A structured dtype is NONNATIVE when every field is non-native (the test joblib
applies before swapping an array), MIXED when only some are.
"""

from __future__ import annotations

import sys
import warnings
import weakref
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import libcst as cst

from memlint.analysis import memmap as mm
from memlint.analysis import reach
from memlint.analysis.calls import arg_value, is_none, literal, with_item

if TYPE_CHECKING:  # pragma: no cover
    from memlint.analysis.model import SemanticModel

NATIVE = "native"
NONNATIVE = "non-native"
MIXED = "mixed"  # a structured dtype with some, not all, fields non-native
NONE = "none"  # no byte order: single-byte and bytes types
UNKNOWN = "unknown"

# numpy.newbyteorder spellings -> what they do
_BIG, _LITTLE, _NATIVE_CODE, _SWAP, _IGNORE = "big", "little", "native", "swap", "ignore"
_CODES = {
    ">": _BIG, "b": _BIG, "big": _BIG,
    "<": _LITTLE, "l": _LITTLE, "little": _LITTLE,
    "=": _NATIVE_CODE, "n": _NATIVE_CODE, "native": _NATIVE_CODE,
    "s": _SWAP, "swap": _SWAP,
    "|": _IGNORE, "i": _IGNORE, "ignore": _IGNORE,
}

# Array constructors: qualified name -> position of `dtype` (None: keyword only) and
# the dtype when none is given (None: taken from the first argument).
_CONSTRUCTORS: dict[str, tuple[int | None, str | None]] = {
    "numpy.zeros": (1, "float64"),
    "numpy.ones": (1, "float64"),
    "numpy.empty": (1, "float64"),
    "numpy.full": (2, None),
    "numpy.fromfile": (1, "float64"),
    "numpy.frombuffer": (1, "float64"),
    "numpy.memmap": (1, "uint8"),
    "numpy.arange": (None, None),
    "numpy.array": (1, None),
    "numpy.asarray": (1, None),
    "numpy.asanyarray": (1, None),
    "numpy.ascontiguousarray": (1, None),
    "numpy.asfortranarray": (1, None),
    "numpy.copy": (None, None),
    "numpy.zeros_like": (1, None),
    "numpy.ones_like": (1, None),
    "numpy.empty_like": (1, None),
    "numpy.full_like": (2, None),
}
# Those whose result is a view of their argument when no dtype is given.
_VIEW_FUNCS = ("numpy.asarray", "numpy.asanyarray", "numpy.ascontiguousarray",
               "numpy.asfortranarray")
# Methods returning an array with the receiver's dtype.
_KEEP_VIEW_METHODS = ("reshape", "squeeze", "transpose", "swapaxes", "ravel")
_KEEP_COPY_METHODS = ("copy", "flatten")

FITS_GETDATA = ("astropy.io.fits.getdata", "astropy.io.fits.convenience.getdata")
FITS_OPEN = ("astropy.io.fits.open", "astropy.io.fits.fitsopen",
             "astropy.io.fits.hdu.hdulist.fitsopen")

_MAX_DEPTH = 24
_MAX_RESULTS = 16
# Each expression is evaluated once per file (per certainty); a file whose values fan out
# through many conditional rebindings gives up after this many evaluations, not hangs.
_MAX_STEPS = 4000
_MEMO: "weakref.WeakKeyDictionary[Any, dict]" = weakref.WeakKeyDictionary()
_IN_PROGRESS = object()


def _memo(model: "SemanticModel") -> dict:
    memo = _MEMO.get(model)
    if memo is None:
        memo = _MEMO[model] = {"steps": 0}
    return memo


def _memoized(kind: str):
    """Cache an evaluation by (expression, certainty) for the model's file, break cycles,
    cap the results and the total work."""

    def wrap(func):
        def inner(expr, model, depth, certain):
            memo = _memo(model)
            key = (kind, id(expr), certain)
            found = memo.get(key)
            if found is _IN_PROGRESS or depth > _MAX_DEPTH or memo["steps"] > _MAX_STEPS:
                return [_unknown_of(kind)]
            if found is not None:
                return found
            memo["steps"] += 1
            memo[key] = _IN_PROGRESS
            try:
                result = func(expr, model, depth, certain)[:_MAX_RESULTS]
            finally:
                memo.pop(key, None)
            memo[key] = result  # the model keeps the module, so ids stay valid
            return result

        return inner

    return wrap


def _unknown_of(kind: str):
    return DType(UNKNOWN, None, False) if kind == "dtype" else ArrayOrder(UNKNOWN, None, "", certain=False)


@dataclass(frozen=True)
class DType:
    """A dtype a value may have: its byte order, the numpy dtype itself when it was
    evaluated exactly, and whether it holds on every path (`certain`)."""

    order: str
    dtype: Any = None
    certain: bool = True

    def newbyteorder(self, code: str | None) -> "DType":
        """The result of `.newbyteorder(code)` (None: no argument, a swap)."""
        what = _SWAP if code is None else code
        if self.dtype is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    new = self.dtype.newbyteorder(_NUMPY_CODE[what])
            except Exception:  # noqa: BLE001 - numpy rejects it: nothing is known
                return DType(UNKNOWN, None, self.certain)
            return DType(classify(new), new, self.certain)
        if self.order == UNKNOWN and what in (_BIG, _LITTLE, _NATIVE_CODE):
            # An explicit order on an unknown dtype: it has that order whatever the dtype
            # was, unless every part of it is single-byte (no order at all), so a native
            # result is sure and a non-native one only a "may".
            native = what == _NATIVE_CODE or (what == _LITTLE) == native_is_little()
            return DType(NATIVE, None, True) if native else DType(NONNATIVE, None, False)
        return DType(_apply(self.order, what), None, self.certain)


@dataclass(frozen=True)
class ArrayOrder:
    """What an array expression may be, byte-order-wise.

    `origin` is the expression the order comes from (a constructor, `.astype`, `.view`,
    FITS data); `what` describes it for a message; `nbytes` is the array's size when
    the source gives it as literals; `file_backed` is True for views of a memory-mapped
    file (np.memmap, np.load(mmap_mode=...)), which joblib sends by file name.
    """

    order: str
    origin: cst.CSTNode | None
    what: str
    dtype: Any = None
    nbytes: int | None = None
    file_backed: bool = False
    certain: bool = True


_NUMPY_CODE = {_BIG: ">", _LITTLE: "<", _NATIVE_CODE: "=", _SWAP: "S", _IGNORE: "|"}


def _numpy():
    import numpy

    return numpy


def native_is_little() -> bool:
    return sys.byteorder == "little"


def byteorder_code(expr: cst.BaseExpression | None, model: "SemanticModel") -> str | None:
    """What a `newbyteorder` argument asks for ("big", "little", "native", "swap",
    "ignore"), None when it cannot be read. No argument is a swap."""
    if expr is None:
        return _SWAP
    text = _string_value(expr, model)
    if not isinstance(text, str):
        return None
    key = text.lower()
    if key in _CODES:
        return _CODES[key]
    return _CODES.get(key[:1]) if key[:1] in "<>=|" else None


def _apply(order: str, code: str) -> str:
    """A byte order after newbyteorder(code), when the dtype itself is not known."""
    if order in (NONE, UNKNOWN) or code == _IGNORE:
        return order
    if code == _SWAP:
        return {NATIVE: NONNATIVE, NONNATIVE: NATIVE}.get(order, order)
    if code == _NATIVE_CODE:
        return NATIVE
    big = code == _BIG
    return NATIVE if big != native_is_little() else NONNATIVE


def classify(dtype: Any) -> str:
    """The byte order of an evaluated numpy dtype."""
    if dtype.subdtype is not None:  # ("f8", (3,)): an array of its base
        dtype = dtype.subdtype[0]
    if dtype.fields:
        tops = [_scalar_order(f[0]) for f in dtype.fields.values()]
        # joblib swaps a structured array only when every field is non-native; a
        # subarray or nested field counts as having no byte order there.
        if tops and all(t == NONNATIVE for t in tops):
            return NONNATIVE
        deep = [classify(f[0]) for f in dtype.fields.values()]
        if any(d in (NONNATIVE, MIXED) for d in deep):
            return MIXED
        return NATIVE if any(d == NATIVE for d in deep) else NONE
    return _scalar_order(dtype)


def _scalar_order(dtype: Any) -> str:
    if dtype.fields or dtype.subdtype is not None:
        return NONE  # joblib's test: a nested or subarray field has byteorder "|"
    if dtype.byteorder == "|":
        return NONE
    return NATIVE if dtype.isnative else NONNATIVE


# -- dtype expressions --------------------------------------------------------------------


def dtype_orders(expr: cst.BaseExpression, model: "SemanticModel") -> list[DType]:
    """Every dtype `expr` may evaluate to (at least one; UNKNOWN when nothing is known)."""
    found = _dtypes(expr, model, 0, True)
    return found or [DType(UNKNOWN, None, False)]


@_memoized("dtype")
def _dtypes(expr: cst.BaseExpression, model: "SemanticModel", depth: int, certain: bool) -> list[DType]:
    # Exactly evaluable: literals, numpy types, builtins, names bound to those.
    spec = _spec(expr, model, depth)
    if spec is not _UNKNOWN:
        dt = _evaluate(spec)
        if dt is None:
            return [DType(UNKNOWN, None, certain)]
        return [DType(classify(dt), dt, certain)]
    if isinstance(expr, cst.Name):
        origins = model.origins(expr)
        if not origins:
            return [DType(UNKNOWN, None, False)]
        out: list[DType] = []
        for o in origins[:_MAX_RESULTS]:
            if o.expr is expr:
                continue
            out.extend(_dtypes(o.expr, model, depth + 1, certain and o.certain))
        return out or [DType(UNKNOWN, None, False)]
    if isinstance(expr, cst.Call):
        q = model.qualified_name(expr.func)
        if q == "numpy.dtype" and expr.args:
            return _dtypes(expr.args[0].value, model, depth + 1, certain)
        if isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "newbyteorder" and not q:
            code = byteorder_code(arg_value(expr, "new_order", 0), model)
            bases = _dtypes(expr.func.value, model, depth + 1, certain)
            if code is None:
                return [DType(UNKNOWN, None, b.certain) for b in bases]
            return [b.newbyteorder(code) for b in bases]
    if isinstance(expr, cst.Attribute) and expr.attr.value == "dtype":
        arrays = _arrays(expr.value, model, depth + 1, certain)
        return [DType(a.order, a.dtype, a.certain) for a in arrays] or [DType(UNKNOWN, None, False)]
    partial = _partial_string(expr, model)
    if partial is not None:
        return [replace(partial, certain=certain and partial.certain)]
    return [DType(UNKNOWN, None, certain)]


class _Unknown:
    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "<unknown>"


_UNKNOWN: Any = _Unknown()
_BUILTIN_TYPES = ("float", "int", "complex", "bool", "str", "bytes", "object")


def _spec(expr: cst.BaseExpression, model: "SemanticModel", depth: int) -> Any:
    """The Python value numpy.dtype() would receive, or _UNKNOWN."""
    if depth > _MAX_DEPTH:
        return _UNKNOWN
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        value = literal(expr, _UNKNOWN)
        return value if isinstance(value, (str, bytes)) else _UNKNOWN
    if isinstance(expr, (cst.Integer, cst.UnaryOperation)):
        value = literal(expr, _UNKNOWN)
        return value if isinstance(value, int) else _UNKNOWN
    if isinstance(expr, (cst.Tuple, cst.List)):
        items = []
        for el in expr.elements:
            if not isinstance(el, cst.Element):
                return _UNKNOWN
            value = _spec(el.value, model, depth + 1)
            if value is _UNKNOWN:
                return _UNKNOWN
            items.append(value)
        return tuple(items) if isinstance(expr, cst.Tuple) else items
    if isinstance(expr, cst.Dict):
        out = {}
        for el in expr.elements:
            if not isinstance(el, cst.DictElement):
                return _UNKNOWN
            key = literal(el.key, _UNKNOWN)
            value = _spec(el.value, model, depth + 1)
            if not isinstance(key, str) or value is _UNKNOWN:
                return _UNKNOWN
            out[key] = value
        return out
    if isinstance(expr, (cst.Name, cst.Attribute)):
        q = model.qualified_name(expr)
        if q is not None and q.startswith("numpy.") and q.count(".") == 1:
            np = _numpy()
            value = getattr(np, q.split(".", 1)[1], None)
            if isinstance(value, type) and issubclass(value, np.generic):
                return value
            return _UNKNOWN
        if isinstance(expr, cst.Name):
            scope, bindings = model.lookup(expr.value, expr)
            if not bindings and expr.value in _BUILTIN_TYPES:
                import builtins

                return getattr(builtins, expr.value)
            origins = model.origins(expr)
            if len(origins) == 1 and origins[0].certain and origins[0].expr is not expr:
                return _spec(origins[0].expr, model, depth + 1)
        return _UNKNOWN
    if isinstance(expr, cst.Call) and model.qualified_name(expr.func) == "numpy.dtype" and len(expr.args) == 1:
        return _spec(expr.args[0].value, model, depth + 1)
    return _UNKNOWN


def _evaluate(spec: Any) -> Any:
    np = _numpy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.dtype(spec)
    except Exception:  # noqa: BLE001 - anything numpy rejects is simply not a dtype
        return None


def _string_value(expr: cst.BaseExpression, model: "SemanticModel") -> str | None:
    parts = _string_parts(expr, model, 0)
    if parts is None or any(p is None for p in parts):
        return None
    return "".join(parts)  # type: ignore[arg-type]


def _string_parts(expr: cst.BaseExpression, model: "SemanticModel", depth: int) -> list[str | None] | None:
    """A string expression as known pieces and None for unknown ones; None when it is
    not a string expression at all."""
    if depth > 8:
        return None
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        value = literal(expr, None)
        return [value] if isinstance(value, str) else None
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        left = _string_parts(expr.left, model, depth + 1)
        right = _string_parts(expr.right, model, depth + 1)
        if left is None and right is None:
            return None
        return (left or [None]) + (right or [None])
    if isinstance(expr, cst.FormattedString):
        out: list[str | None] = []
        for part in expr.parts:
            if isinstance(part, cst.FormattedStringText):
                out.append(part.value)
            elif isinstance(part, cst.FormattedStringExpression) and part.format_spec is None and part.conversion is None:
                inner = _string_parts(part.expression, model, depth + 1)
                out.extend(inner if inner is not None else [None])
            else:
                out.append(None)
        return out
    if isinstance(expr, cst.Name):
        origins = model.origins(expr)
        if len(origins) == 1 and origins[0].certain and origins[0].expr is not expr:
            return _string_parts(origins[0].expr, model, depth + 1)
    return None


def _partial_string(expr: cst.BaseExpression, model: "SemanticModel") -> DType | None:
    """A dtype string with unknown pieces, e.g. `"=" + kind + size` or `endian + "u1"`."""
    parts = _string_parts(expr, model, 0)
    if parts is None:
        return None
    if all(p is not None for p in parts):
        dt = _evaluate("".join(parts))  # type: ignore[arg-type]
        return DType(classify(dt), dt) if dt is not None else DType(UNKNOWN, None)
    first = parts[0]
    if first:
        # A known byte-order character before unknown pieces decides the order, except
        # that the type may turn out single-byte (no order): say "may" for non-native.
        native_char = "<" if native_is_little() else ">"
        lead = first[0]
        if lead in "=|" or lead == native_char:
            return DType(NATIVE, None, True)
        if lead in "<>":
            return DType(NONNATIVE, None, False)
        return DType(UNKNOWN, None)
    # An unknown prefix (a byte-order character) before a known type: decided when every
    # prefix gives the same answer, e.g. `endian + "u1"` has no byte order either way.
    if len(parts) == 2 and parts[1]:
        results = {
            classify(dt)
            for dt in (_evaluate(p + parts[1]) for p in ("<", ">", "="))
            if dt is not None
        }
        if results == {NONE}:
            return DType(NONE, None)
    return DType(UNKNOWN, None)


# -- array expressions --------------------------------------------------------------------


def array_orders(expr: cst.BaseExpression, model: "SemanticModel") -> list[ArrayOrder]:
    """What `expr` may be as an array; UNKNOWN entries stand for paths where nothing is
    known (so a caller can tell "is" from "may be")."""
    found = _arrays(expr, model, 0, True)
    return found or [ArrayOrder(UNKNOWN, None, "", certain=False)]


def _unknown(certain: bool = False) -> ArrayOrder:
    return ArrayOrder(UNKNOWN, None, "", certain=certain)


@_memoized("array")
def _arrays(expr: cst.BaseExpression, model: "SemanticModel", depth: int, certain: bool) -> list[ArrayOrder]:
    if isinstance(expr, (cst.Name, cst.Attribute)):
        # Names and `self.attr` are followed to the values bound to them, across modules
        # (a loader's return, a base class's attribute, a helper's callers).
        origins = model.origins(expr, across=True)
        if not origins:
            return [_unknown()]
        if not (len(origins) == 1 and origins[0].expr is expr):
            out: list[ArrayOrder] = []
            for o in origins[:_MAX_RESULTS]:
                out.extend(_arrays(o.expr, o.model or model, depth + 1, certain and o.certain))
            return out
    if mm.source_of(expr, model) is not None:
        return [_memmap_source(expr, model, certain)]  # type: ignore[arg-type]
    if isinstance(expr, cst.Call):
        found = _call(expr, model, depth, certain)
        if all(a.order == UNKNOWN for a in found):
            returned = reach.returns(expr, model, certain)  # the project's own loader
            if returned:
                return [a for o in returned[:_MAX_RESULTS]
                        for a in _arrays(o.expr, o.model or model, depth + 1, o.certain)]
        return found
    if isinstance(expr, cst.Subscript):
        inner = _arrays(expr.value, model, depth + 1, certain)
        field = _field_name(expr)
        out = []
        for a in inner:
            if a.order == UNKNOWN:
                out.append(a)
                continue
            if field is not None and a.dtype is not None:
                sub = a.dtype.fields.get(field) if a.dtype.fields else None
                if sub is None:
                    out.append(_unknown(a.certain))
                    continue
                out.append(replace(a, order=classify(sub[0]), dtype=sub[0], nbytes=None))
                continue
            out.append(replace(a, nbytes=None))
        return out
    if isinstance(expr, cst.Attribute):
        if expr.attr.value == "T":
            return _arrays(expr.value, model, depth + 1, certain)
        if expr.attr.value == "data" and _is_fits_hdu(expr.value, model, depth):
            return [ArrayOrder(NONNATIVE, expr, "astropy FITS data",
                               certain=certain)]
        return [_unknown()]
    return [_unknown()]


def _memmap_source(call: cst.Call, model: "SemanticModel", certain: bool) -> ArrayOrder:
    q = model.qualified_name(call.func)
    position = {mm.MEMMAP: 1, mm.OPEN_MEMMAP: 2}.get(q or "")
    dtype_expr = arg_value(call, "dtype", position)
    if q == mm.MEMMAP and dtype_expr is None:
        dt = DType(NONE, _evaluate("uint8"))
    elif dtype_expr is None:
        dt = DType(UNKNOWN)
    else:
        dts = _dtypes(dtype_expr, model, 0, True) or [DType(UNKNOWN)]
        dt = dts[0] if len(dts) == 1 else DType(UNKNOWN)
    return ArrayOrder(dt.order, call, _describe(dt, dtype_expr, model), dt.dtype,
                      file_backed=True, certain=certain and dt.certain)


def _call(call: cst.Call, model: "SemanticModel", depth: int, certain: bool) -> list[ArrayOrder]:
    q = model.qualified_name(call.func)
    if q in FITS_GETDATA:
        if literal(arg_value(call, "header"), False) is not False:
            return [_unknown()]  # (data, header)
        return [ArrayOrder(NONNATIVE, call, "astropy FITS data", certain=certain)]
    if q in _CONSTRUCTORS:
        return _constructor(call, q, model, depth, certain)
    func = call.func
    if q or not isinstance(func, cst.Attribute):
        return [_unknown()]
    method = func.attr.value
    receiver = func.value
    if method == "astype":
        dtype_expr = arg_value(call, "dtype", 0)
        if dtype_expr is None:
            return [_unknown()]
        sources = _arrays(receiver, model, depth + 1, certain)
        out = []
        for dt in _dtypes(dtype_expr, model, depth + 1, certain):
            for s in sources[:_MAX_RESULTS]:
                count = _count(s)
                nbytes = count * dt.dtype.itemsize if count is not None and dt.dtype is not None else None
                # The order comes from the dtype alone, whatever the source was.
                out.append(ArrayOrder(dt.order, call, _describe(dt, dtype_expr, model, "astype"),
                                      dt.dtype, nbytes, False, dt.certain))
                if s.order == UNKNOWN and s.nbytes is None:
                    break  # one entry is enough when the source says nothing
        return out
    if method == "view":
        dtype_expr = arg_value(call, "dtype", 0)
        if dtype_expr is None or _is_array_type(dtype_expr, model):
            return _arrays(receiver, model, depth + 1, certain)
        sources = _arrays(receiver, model, depth + 1, certain)
        out = []
        for dt in _dtypes(dtype_expr, model, depth + 1, certain):
            for s in sources[:_MAX_RESULTS]:
                # An unknown source only leaves the size (and whether it maps a file) open.
                sure = dt.certain and (s.certain or s.order == UNKNOWN)
                out.append(ArrayOrder(dt.order, call, _describe(dt, dtype_expr, model, "view"),
                                      dt.dtype, s.nbytes, s.file_backed, sure))
        return out
    if method == "newbyteorder":  # ndarray.newbyteorder, numpy < 2
        code = byteorder_code(arg_value(call, "new_order", 0), model)
        out = []
        for s in _arrays(receiver, model, depth + 1, certain):
            if code is None or s.order == UNKNOWN:
                out.append(_unknown(s.certain))
                continue
            dt = DType(s.order, s.dtype, s.certain).newbyteorder(code)
            out.append(replace(s, order=dt.order, dtype=dt.dtype, origin=call,
                               what=_describe(dt, None, model, "newbyteorder")))
        return out
    if method == "byteswap":
        inplace = literal(arg_value(call, "inplace", 0), False) is True
        return [a if inplace else replace(a, file_backed=False)
                for a in _arrays(receiver, model, depth + 1, certain)]
    if method in _KEEP_VIEW_METHODS:
        return _arrays(receiver, model, depth + 1, certain)
    if method in _KEEP_COPY_METHODS:
        return [replace(a, file_backed=False) for a in _arrays(receiver, model, depth + 1, certain)]
    return [_unknown()]


def _constructor(call: cst.Call, q: str, model: "SemanticModel", depth: int, certain: bool) -> list[ArrayOrder]:
    position, default = _CONSTRUCTORS[q]
    if q == "numpy.arange":
        # arange(start, stop, step, dtype): positional dtype only with all four given
        dtype_expr = arg_value(call, "dtype", 3)
    else:
        dtype_expr = arg_value(call, "dtype", position)
    if dtype_expr is not None and not is_none(dtype_expr):
        out = []
        count = _literal_count(call, q)
        for dt in _dtypes(dtype_expr, model, depth + 1, certain):
            nbytes = count * dt.dtype.itemsize if count is not None and dt.dtype is not None else None
            out.append(ArrayOrder(dt.order, call, _describe(dt, dtype_expr, model), dt.dtype,
                                  nbytes, False, dt.certain))
        return out
    if default is not None:
        dt = _evaluate(default)
        count = _literal_count(call, q)
        return [ArrayOrder(classify(dt), call, f"dtype {dt.str!r}", dt,
                           count * dt.itemsize if count is not None else None, False, certain)]
    if q in ("numpy.arange", "numpy.full"):
        return [ArrayOrder(NATIVE, call, "", None, None, False, certain)]
    if not call.args or call.args[0].keyword is not None:
        return [_unknown()]
    inner = _arrays(call.args[0].value, model, depth + 1, certain)
    if q in _VIEW_FUNCS:
        return inner
    return [replace(a, file_backed=False) for a in inner]


def _count(a: ArrayOrder) -> int | None:
    if a.nbytes is None or a.dtype is None or not a.dtype.itemsize:
        return None
    return a.nbytes // a.dtype.itemsize


def _literal_count(call: cst.Call, q: str) -> int | None:
    """The number of elements a constructor makes, when its arguments are literals."""
    if q in ("numpy.zeros", "numpy.ones", "numpy.empty", "numpy.full"):
        shape = literal(arg_value(call, "shape", 0), None)
    elif q == "numpy.memmap":
        shape = literal(arg_value(call, "shape", 4), None)
    elif q in ("numpy.fromfile", "numpy.frombuffer"):
        count = literal(arg_value(call, "count", 2), None)
        return count if isinstance(count, int) and count >= 0 else None
    elif q == "numpy.arange":
        values = [literal(a.value, None) for a in call.args if a.keyword is None][:3]
        if not values or not all(isinstance(v, int) for v in values):
            return None
        start, stop, step = (0, values[0], 1) if len(values) == 1 else (values + [1])[:3]
        if step == 0:
            return None
        return max(0, -(-(stop - start) // step))
    else:
        return None
    if isinstance(shape, int):
        return shape if shape >= 0 else None
    if isinstance(shape, (tuple, list)) and all(isinstance(d, int) and d >= 0 for d in shape):
        n = 1
        for d in shape:
            n *= d
        return n
    return None


def _is_array_type(expr: cst.BaseExpression, model: "SemanticModel") -> bool:
    """`.view(np.ndarray)` / `.view(type=...)`: a view as another class, same dtype."""
    q = model.qualified_name(expr)
    return q in ("numpy.ndarray", "numpy.memmap", "numpy.recarray", "numpy.matrix", "numpy.ma.MaskedArray")


def _field_name(sub: cst.Subscript) -> str | None:
    if len(sub.slice) != 1 or not isinstance(sub.slice[0].slice, cst.Index):
        return None
    value = literal(sub.slice[0].slice.value, None)
    return value if isinstance(value, str) else None


def _describe(dt: DType, expr: cst.BaseExpression | None, model: "SemanticModel", how: str = "") -> str:
    if dt.dtype is not None:
        text = f"dtype {dt.dtype.str!r}" if not dt.dtype.fields else f"structured dtype {dt.dtype.descr!r}"
    elif expr is not None:
        text = f"dtype `{model.module.code_for_node(expr).strip()}`"
    else:
        text = "dtype"
    return f"`.{how}` to {text}" if how in ("astype", "view") else text


# -- astropy FITS -----------------------------------------------------------------------


def _is_fits_hdu(expr: cst.BaseExpression, model: "SemanticModel", depth: int) -> bool:
    """An HDU of a FITS file: `fits.open(...)[i]`, `hdul[i]`, or a name bound to one."""
    if depth > _MAX_DEPTH:
        return False
    if isinstance(expr, cst.Subscript):
        return _is_hdulist(expr.value, model, depth + 1)
    if isinstance(expr, cst.Name):
        origins = model.origins(expr)
        return bool(origins) and all(
            o.expr is not expr and _is_fits_hdu(o.expr, model, depth + 1) for o in origins
        )
    return False


def _is_hdulist(expr: cst.BaseExpression, model: "SemanticModel", depth: int) -> bool:
    if isinstance(expr, cst.Call):
        return model.qualified_name(expr.func) in FITS_OPEN
    if isinstance(expr, cst.Name):
        context = with_item(expr, model)
        if context is not None:
            return _is_hdulist(context, model, depth + 1)
        origins = model.origins(expr)
        return bool(origins) and all(
            o.expr is not expr and _is_hdulist(o.expr, model, depth + 1) for o in origins
        )
    return False
