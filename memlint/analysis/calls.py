"""Small helpers for reading call arguments and literals out of libcst nodes."""

from __future__ import annotations

import ast
from typing import Any

import libcst as cst

_MISSING = object()


def arg(call: cst.Call, keyword: str, position: int | None = None) -> cst.Arg | None:
    """The argument passed as `keyword=` or, if `position` is given, as that positional
    argument (0-based), provided no `*args` comes before it."""
    for a in call.args:
        if a.keyword is not None and a.keyword.value == keyword:
            return a
    if position is not None:
        i = 0
        for a in call.args:
            if a.keyword is not None or a.star == "**":
                break
            if a.star == "*":
                return None
            if i == position:
                return a
            i += 1
    return None


def arg_value(call: cst.Call, keyword: str, position: int | None = None) -> cst.BaseExpression | None:
    a = arg(call, keyword, position)
    return a.value if a is not None else None


def has_star_kwargs(call: cst.Call) -> bool:
    return any(a.star == "**" for a in call.args)


def positional(call: cst.Call) -> list[cst.Arg]:
    return [a for a in call.args if a.keyword is None and a.star == ""]


def literal(expr: cst.BaseExpression | None, default: Any = _MISSING) -> Any:
    """The Python value of a literal expression (numbers, strings, None, True/False,
    tuples/lists of those), else `default` (or raise ValueError without one)."""
    if expr is None:
        if default is _MISSING:
            raise ValueError("no expression")
        return default
    try:
        if isinstance(expr, cst.Name) and expr.value in ("None", "True", "False"):
            return {"None": None, "True": True, "False": False}[expr.value]
        if isinstance(
            expr,
            (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString, cst.UnaryOperation,
             cst.Tuple, cst.List),
        ):
            code = cst.Module([]).code_for_node(expr)
            return ast.literal_eval(code.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    if default is _MISSING:
        raise ValueError("not a literal")
    return default


def is_none(expr: cst.BaseExpression | None) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def method_call(node: cst.CSTNode, *names: str) -> str | None:
    """For `x.name(...)` with name in `names`, the name; else None."""
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in names
    ):
        return node.func.attr.value
    return None
