"""Small helpers for reading call arguments and literals out of libcst nodes, and for
finding the one binding a name comes from."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Iterator

import libcst as cst

if TYPE_CHECKING:  # pragma: no cover
    from memlint.analysis.model import Binding, SemanticModel

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
        if type(expr) in (cst.Integer, cst.Float, cst.SimpleString):
            return ast.literal_eval(expr.value)  # its source text: no code to generate
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


def is_self_attribute(expr: cst.CSTNode) -> bool:
    """`self.attr`: an attribute read straight off a method's `self`."""
    return (
        isinstance(expr, cst.Attribute)
        and isinstance(expr.value, cst.Name)
        and expr.value.value == "self"
    )


def method_call(node: cst.CSTNode, *names: str) -> str | None:
    """For `x.name(...)` with name in `names`, the name; else None."""
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in names
    ):
        return node.func.attr.value
    return None


def is_builtin(func: cst.BaseExpression, name: str, model: "SemanticModel") -> bool:
    """Whether `func` is the builtin `name`: spelled so and bound nowhere in scope, or
    `builtins.name`."""
    if isinstance(func, cst.Name):
        return func.value == name and not model.lookup(name, func)[1]
    return model.qualified_name(func) == f"builtins.{name}"


def sole_binding(name: cst.Name, model: "SemanticModel") -> "Binding | None":
    """The binding that gives `name` its value, when exactly one may reach it; None when
    the name is unbound or may be bound differently on some path."""
    _, bindings = model.lookup(name.value, name)
    reaching = model.reaching(bindings, name)
    return reaching[0] if len(reaching) == 1 else None


def with_value(b: "Binding") -> cst.BaseExpression | None:
    """For a binding made by `with <expr> as name:`, the `<expr>`; else None."""
    if not isinstance(b.stmt, cst.With):
        return None
    for item in b.stmt.items:
        if (
            item.asname is not None
            and isinstance(item.asname.name, cst.Name)
            and item.asname.name.value == b.name
        ):
            return item.item
    return None


def with_item(name: cst.Name, model: "SemanticModel") -> cst.BaseExpression | None:
    """For a name bound only by `with <expr> as name:`, the `<expr>`."""
    b = sole_binding(name, model)
    if b is None or b.kind != "with":
        return None
    return with_value(b)


def context_calls(node: cst.CSTNode, model: "SemanticModel") -> Iterator[tuple[cst.Call, str | None]]:
    """The calls whose context `node` runs in (`with <call>:` around it), innermost first,
    each with its qualified name."""
    for anc in model.ancestors(node):
        if isinstance(anc, cst.With):
            for item in anc.items:
                if isinstance(item.item, cst.Call):
                    yield item.item, model.qualified_name(item.item.func)


def keyword_edit(call: cst.Call, keyword: str, value: str, code_for,
                 position: int | None = None) -> tuple[cst.CSTNode, str] | None:
    """A (node, text) replacement that makes `call` pass `keyword=value`: the value of an
    existing argument (`keyword=`, or the positional one at `position`) is replaced, else
    the argument is appended after the last one (by rewriting that argument, whose range
    excludes its comma, so the call's layout and any trailing comma stay as they are).
    None for a call without arguments."""
    existing = arg(call, keyword, position)
    if existing is not None:
        return existing.value, value
    if not call.args:
        return None
    last = call.args[-1]
    bare = last.with_changes(comma=cst.MaybeSentinel.DEFAULT, whitespace_after_arg=cst.SimpleWhitespace(""))
    return last, f"{code_for(bare)}, {keyword}={value}"
