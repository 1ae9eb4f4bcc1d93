"""Which dask and distributed calls hash (tokenize) their arguments, and which arguments.

- `dask.base.tokenize(*args)` hashes all of them.
- `dask.delayed` names a task with a hash only when it is pure: `delayed(obj, pure=True)`
  hashes `obj` (unless `name=` is given); `delayed(f, pure=True)(*args)`,
  `delayed(f)(*args, pure=True)`, a function decorated with `@delayed(pure=True)`, or any
  of them inside `with dask.config.set(delayed_pure=True)` hash the call's arguments
  (unless `dask_key_name=` is given). The default, `delayed(f)(x)`, uses a random name.
- A distributed client (`distributed.Client(...)`, `dask.distributed.Client`,
  `get_client()`): `submit(f, *args, **kwargs)` and `map(f, *iterables, **kwargs)` hash
  their arguments (default `pure=True`) unless `key=` names the tasks; `scatter(data)` hashes
  each item of a list or tuple, or `data` itself (default `hash=True`); a dict is keyed by
  its own keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from memlint.analysis.calls import arg, context_calls, is_none, literal, sole_binding, with_item

if TYPE_CHECKING:  # pragma: no cover
    from memlint.analysis.model import SemanticModel

TOKENIZE = ("dask.base.tokenize", "dask.tokenize.tokenize", "dask.tokenize")
DELAYED = ("dask.delayed", "dask.delayed.delayed")
CLIENTS = ("distributed.Client", "distributed.client.Client", "dask.distributed.Client")
GET_CLIENT = ("distributed.get_client", "distributed.worker.get_client",
              "distributed.client.get_client", "dask.distributed.get_client")
CONFIG_SET = ("dask.config.set",)

# Client method parameters that are not task arguments.
_SUBMIT_OWN = {"key", "workers", "resources", "retries", "priority", "fifo_timeout",
               "allow_other_workers", "actor", "actors", "pure"}
_MAP_OWN = _SUBMIT_OWN | {"batch_size"}

# The parameter that switches hashing off, per kind of call, for a fix.
SWITCH = {"submit": "pure", "map": "pure", "scatter": "hash", "delayed": "pure",
          "delayed-call": "pure"}


@dataclass(frozen=True)
class Hashing:
    """A call that hashes some of its arguments.

    `kind` is "tokenize", "delayed" (the wrapped object), "delayed-call" (arguments of a
    pure delayed function), "submit", "map" or "scatter"; `values` the argument expressions
    whose values are hashed; `iterated` those whose *items* are hashed (the iterables of
    `map`, the list given to `scatter`); `where` says, for a message, what makes the call
    hash. `switch_call` is the call where `pure=False` / `hash=False` turns the hashing off
    (None for tokenize): the call itself, or `delayed(f, pure=True)` when the flag is set
    there inline.
    """

    call: cst.Call
    kind: str
    values: tuple[cst.BaseExpression, ...]
    iterated: tuple[cst.BaseExpression, ...] = ()
    where: str = ""
    switch_call: cst.Call | None = None
    has_star_kwargs: bool = False
    switch_position: int | None = None  # where the flag sits positionally in switch_call


def hashing_call(call: cst.Call, model: "SemanticModel") -> Hashing | None:
    """How `call` hashes its arguments, None when it does not (or may not)."""
    q = model.qualified_name(call.func)
    if q in TOKENIZE:
        return Hashing(call, "tokenize", tuple(a.value for a in call.args if not a.star))
    if q in DELAYED:
        return _delayed_object(call, model)
    if isinstance(call.func, cst.Attribute) and not q:
        method = call.func.attr.value
        if method in ("submit", "map", "scatter") and is_client(call.func.value, model):
            return _client_call(call, method)
    return _delayed_call(call, model)


# -- dask.delayed -------------------------------------------------------------------------


def _delayed_object(call: cst.Call, model: "SemanticModel") -> Hashing | None:
    """`delayed(obj, name=None, pure=None, ...)` hashes `obj` when pure."""
    if not call.args or call.args[0].keyword is not None or call.args[0].star:
        return None
    name = arg(call, "name", 1)
    if name is not None and not is_none(name.value):
        return None
    pure = arg(call, "pure", 2)
    on, where = _pure(pure, call, model)
    if not on:
        return None
    return Hashing(call, "delayed", (call.args[0].value,), where=where, switch_call=call,
                   has_star_kwargs=_star_kwargs(call), switch_position=2)


def _delayed_call(call: cst.Call, model: "SemanticModel") -> Hashing | None:
    """A call of a delayed function whose key is a hash of its arguments."""
    found = _delayed_function(call.func, model)
    if found is None:
        return None
    wrapper, decorated = found
    if arg(call, "dask_key_name") is not None:
        return None
    at_call = arg(call, "pure")
    # `pure=` at the call overrides the wrapper's, so the call is where to turn it off,
    # unless the flag sits inline in `delayed(f, pure=True)(...)`.
    switch_call = call
    if at_call is not None:
        on, where = _pure(at_call, call, model)
    else:
        flag = arg(wrapper, "pure", 2) if wrapper is not None else None
        on, where = _pure(flag, call, model)
        if flag is not None and decorated:
            where = "decorated with `delayed(pure=True)`"
        elif flag is not None and wrapper is call.func:
            switch_call = wrapper
    if not on:
        return None
    values = tuple(
        a.value for a in call.args
        if not a.star and not (a.keyword is not None and a.keyword.value in ("pure", "dask_key_name"))
    )
    return Hashing(call, "delayed-call", values, where=where, switch_call=switch_call,
                   has_star_kwargs=_star_kwargs(switch_call),
                   switch_position=2 if switch_call is not call else None)


def _delayed_function(func: cst.BaseExpression, model: "SemanticModel") -> tuple[cst.Call | None, bool] | None:
    """For a delayed function, the `delayed(...)` call that made it (None for a bare
    `@delayed` decorator) and whether it is a decorator; None when `func` is not one."""
    if isinstance(func, cst.Call) and model.qualified_name(func.func) in DELAYED:
        return func, False  # delayed(f, ...)(...)
    if not isinstance(func, cst.Name):
        return None
    b = sole_binding(func, model)
    if b is None:
        return None
    if b.kind == "def" and isinstance(b.node, cst.FunctionDef):
        for deco in b.node.decorators:
            d = deco.decorator
            if model.qualified_name(d) in DELAYED:
                return None, True  # @delayed
            if isinstance(d, cst.Call) and model.qualified_name(d.func) in DELAYED and not any(
                a.keyword is None for a in d.args
            ):
                return d, True  # @delayed(pure=True)
        return None
    if b.kind in ("assign", "annassign") and isinstance(b.value, cst.Call):
        if model.qualified_name(b.value.func) in DELAYED and b.value.args:
            return b.value, False  # g = delayed(f, pure=True); g(...)
    return None


def _pure(argument: cst.Arg | None, at: cst.CSTNode, model: "SemanticModel") -> tuple[bool, str]:
    """Whether a delayed call is pure: an explicit literal, else `delayed_pure` set by an
    enclosing `with dask.config.set(...)` (False by default)."""
    if argument is not None:
        value = literal(argument.value, None)
        return value is True, "`pure=True`" if value is True else ""
    for ctx, q in context_calls(at, model):
        if q in CONFIG_SET and _sets_delayed_pure(ctx):
            return True, "`dask.config.set(delayed_pure=True)` is in effect"
    return False, ""


def _sets_delayed_pure(call: cst.Call) -> bool:
    for a in call.args:
        if a.keyword is not None and a.keyword.value == "delayed_pure":
            return literal(a.value, None) is True
        if a.keyword is None and isinstance(a.value, cst.Dict):
            for el in a.value.elements:
                if isinstance(el, cst.DictElement) and literal(el.key, None) == "delayed_pure":
                    return literal(el.value, None) is True
    return False


# -- distributed --------------------------------------------------------------------------


def _star_kwargs(call: cst.Call) -> bool:
    return any(a.star == "**" for a in call.args)


def _client_call(call: cst.Call, method: str) -> Hashing | None:
    star_kwargs = _star_kwargs(call)
    if method == "scatter":
        data = arg(call, "data", 0)
        switch = arg(call, "hash", 4)
        if data is None or data.star or (switch is not None and literal(switch.value, None) is not True):
            return None
        value = data.value
        if isinstance(value, (cst.Dict, cst.DictComp)):
            return None  # keyed by the dict's keys
        if isinstance(value, (cst.List, cst.Tuple, cst.ListComp, cst.GeneratorExp, cst.Set)):
            return Hashing(call, "scatter", (), (value,), _default("hash", switch), call, star_kwargs, 4)
        return Hashing(call, "scatter", (value,), (), _default("hash", switch), call, star_kwargs, 4)
    own = _SUBMIT_OWN if method == "submit" else _MAP_OWN
    pure = arg(call, "pure")
    if pure is not None and literal(pure.value, None) is not True:
        return None
    for flag in ("actor", "actors"):
        a = arg(call, flag)
        if a is not None and literal(a.value, None) is not False:
            return None  # actors are never pure
    key = arg(call, "key")
    if key is not None and not is_none(key.value):
        if method == "submit" or isinstance(key.value, (cst.List, cst.ListComp)):
            return None  # the key is given: nothing is hashed
    positional = [a for a in call.args if a.keyword is None and not a.star]
    keywords = tuple(a.value for a in call.args if a.keyword is not None and a.keyword.value not in own)
    if not positional:
        return None
    rest = tuple(a.value for a in positional[1:])
    where = _default("pure", pure)
    if method == "submit":
        return Hashing(call, "submit", rest + keywords, (), where, call, star_kwargs)
    return Hashing(call, "map", keywords, rest, where, call, star_kwargs)


def _default(name: str, given: cst.Arg | None) -> str:
    return f"`{name}=True`" + ("" if given is not None else " by default")


def is_client(expr: cst.BaseExpression, model: "SemanticModel", depth: int = 0) -> bool:
    """Whether `expr` is a distributed client on every path that reaches it."""
    if depth > 8:
        return False
    if isinstance(expr, cst.Call):
        return model.qualified_name(expr.func) in CLIENTS + GET_CLIENT
    if isinstance(expr, cst.Name):
        context = with_item(expr, model)
        if context is not None:
            return is_client(context, model, depth + 1)
    if isinstance(expr, (cst.Name, cst.Attribute)):
        # Across modules too: a client a helper of the project makes (`connect()`).
        origins = model.origins(expr, across=True)
        if len(origins) == 1 and origins[0].expr is expr:
            return False
        return bool(origins) and all(
            o.certain and is_client(o.expr, o.model or model, depth + 1) for o in origins
        )
    return False
