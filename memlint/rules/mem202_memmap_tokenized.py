from __future__ import annotations

import libcst as cst

from memlint.analysis import memmap as mm
from memlint.analysis.calls import keyword_edit
from memlint.analysis.hashing import SWITCH, hashing_call
from memlint.engine.rule import FixSpec, Invalid, Replace, Rule, Valid

# Versions whose tokenize reads a memmap's whole buffer: PR #10876 (2024.2.0) until #11161
# (2024.6.0), and again since #11320 (2024.8.1), still so in 2026.8.0.
HASHING = (">=2024.2.0,<2024.6.0", ">=2024.8.1")

_WHAT = {
    mm.MEMMAP: "`np.memmap`", mm.LOAD: "`np.load(..., mmap_mode=...)`",
    mm.OPEN_MEMMAP: "`open_memmap`", mm.JOBLIB_LOAD: "`joblib.load(..., mmap_mode=...)`",
}


class MemmapTokenized(Rule):
    """
    ## What it does
    Finds a memory-mapped array (`np.memmap`, `np.load(..., mmap_mode=...)`, `open_memmap`,
    and their views) hashed by dask: passed to `dask.base.tokenize`, wrapped by
    `dask.delayed(x, pure=True)`, given to a pure delayed function (`delayed(f, pure=True)`,
    `@delayed(pure=True)`, a call with `pure=True`, or inside
    `dask.config.set(delayed_pure=True)`), or given to a distributed client's `submit` or
    `map` (pure by default) or `scatter` (hashed by default), on the dask versions whose
    hash reads the whole file.

    ## Why is this bad?
    dask names a pure task with a hash of its inputs. From 2024.2.0 to 2024.5.2, and again
    from 2024.8.1 on, hashing a memmap reads every byte of its file (a non-contiguous view
    is even copied first): a lazy, memory-mapped input is read in full on the client before
    any task runs (dask #11152, #11850). The default `dask.delayed(f)(x)` is not pure and is
    not affected.

    ## Example
    ```python
    import numpy as np
    from dask.distributed import Client

    client = Client()
    data = np.memmap("data.bin", dtype=np.float64, mode="r")
    future = client.submit(np.sum, data)
    ```

    ## Use instead
    ```python
    future = client.submit(np.sum, data, pure=False)
    ```
    Better still, send the file name and open the memmap inside the task.

    ## Fix safety
    The fix adds `pure=False` to `submit`, `map`, `delayed(x, ...)` and calls of pure
    delayed functions (a `pure=` given at the call overrides the decorator's), or
    `hash=False` to `scatter`. It is unsafe: the task is then named with a random id, so two
    identical calls are no longer computed once and shared. There is no fix for `tokenize`
    itself.

    ## Affected versions
    dask 2024.2.0 to 2024.5.2, and 2024.8.1 and later (checked up to 2026.8.0). dask 2024.1.1
    and earlier, and 2024.6.0 to 2024.8.0, hash a memmap from its file name, modification
    time and layout without reading it. The client methods hash with dask's `tokenize`, so
    the dask version decides.

    ## References
    - [dask #11152: large memory use when loading a file with np.memmap](https://github.com/dask/dask/issues/11152)
    - [dask #11161: tokenizing a memmap no longer reads it (2024.6.0)](https://github.com/dask/dask/pull/11161)
    - [dask #11320: ensure pickle does not change tokens (2024.8.1)](https://github.com/dask/dask/pull/11320)
    - [dask #11850: from_array loads an entire memmap into memory](https://github.com/dask/dask/issues/11850)
    - [distributed: pure functions by default](https://distributed.dask.org/en/stable/client.html#pure-functions-by-default)
    """

    code = "MEM202"
    name = "memmap-tokenized"
    summary = "Memmap hashed by dask tokenize, pure delayed or a client call reads the whole file"
    libraries = ("dask",)
    triggers = (
        (b"dask", b"memmap"),
        (b"dask", b"open_memmap"),
        (b"dask", b"mmap_mode"),
        (b"distributed", b"memmap"),
        (b"distributed", b"open_memmap"),
        (b"distributed", b"mmap_mode"),
    )
    name_triggers = frozenset({b"memmap", b"open_memmap", b"mmap_mode"})
    source_triggers = frozenset({b"memmap", b"open_memmap", b"mmap_mode"})
    fix_availability = "sometimes"

    valid = (
        Valid(
            """
            import dask
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            total = dask.delayed(np.sum)(data)
            """,
            versions={"dask": "2024.5.0"},
            note="delayed is not pure by default: the key is random, nothing is hashed",
        ),
        Valid(
            """
            import numpy as np
            from dask.distributed import Client
            client = Client()
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            future = client.submit(np.sum, data, pure=False)
            scattered = client.scatter(data, hash=False)
            """,
            versions={"dask": "2024.5.0"},
        ),
        Valid(
            """
            from dask.base import tokenize
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            token = tokenize(data)
            """,
            versions={"dask": "2024.1.1"},
            note="before 2024.2.0 a memmap is hashed from its metadata",
        ),
        Valid(
            """
            from dask.base import tokenize
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            token = tokenize(data)
            """,
            versions={"dask": "2024.6.0"},
        ),
        Valid(
            """
            from dask.base import tokenize
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            token = tokenize(data)
            """,
            versions={"dask": "2024.8.0"},
        ),
        Valid(
            """
            import dask
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            task = dask.delayed(np.sum, pure=True)(data, dask_key_name="sum-data")
            leaf = dask.delayed(data, name="data", pure=True)
            """,
            versions={"dask": "2024.5.0"},
            note="an explicit key or name: nothing is hashed",
        ),
        Valid(
            """
            import numpy as np
            from distributed import Client
            client = Client()
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            futures = client.scatter({"data": data})
            future = client.submit(np.sum, data, key="sum-data")
            """,
            versions={"dask": "2024.5.0"},
            note="a dict is keyed by its own keys; submit with key= does not hash",
        ),
        Valid(
            """
            import numpy as np
            from dask.distributed import Client
            client = Client()
            futures = client.map(load_block, ["a.bin", "b.bin"], dtype=np.float64)
            """,
            versions={"dask": "2024.5.0"},
            note="file names are sent; the memmap is opened inside the task",
        ),
        Valid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            result = pool.submit(np.sum, data)
            import dask
            """,
            versions={"dask": "2024.5.0"},
            note="not a dask client",
        ),
    )
    invalid = (
        Invalid(
            """
            from dask.base import tokenize
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            token = tokenize(data, "v1")
            """,
            lines=[4],
            message="reads the whole file",
            versions={"dask": "2024.2.0"},
        ),
        Invalid(
            """
            import numpy as np
            from dask.distributed import Client
            client = Client()
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            future = client.submit(np.sum, data)
            """,
            lines=[5],
            message="pure=True",
            versions={"dask": "2024.5.2"},
            unsafe=True,
            fixed="""
            import numpy as np
            from dask.distributed import Client
            client = Client()
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            future = client.submit(np.sum, data, pure=False)
            """,
        ),
        Invalid(
            """
            import numpy as np
            import distributed
            class Job:
                def __init__(self):
                    self.client = distributed.Client("tcp://scheduler:8786")
                def run(self, path):
                    cube = np.load(path, mmap_mode="r")
                    parts = self.client.scatter([cube[:10], cube[10:]])
                    return self.client.map(np.sum, [cube[:10], cube[10:]], axis=0)
            """,
            lines=[8, 9],
            versions={"dask": "2024.8.1"},
            unsafe=True,
            note="a client held on self; scatter and map over lists of memmap views",
            fixed="""
            import numpy as np
            import distributed
            class Job:
                def __init__(self):
                    self.client = distributed.Client("tcp://scheduler:8786")
                def run(self, path):
                    cube = np.load(path, mmap_mode="r")
                    parts = self.client.scatter([cube[:10], cube[10:]], hash=False)
                    return self.client.map(np.sum, [cube[:10], cube[10:]], axis=0, pure=False)
            """,
        ),
        Invalid(
            """
            import dask
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            a = dask.delayed(np.sum, pure=True)(data)
            b = dask.delayed(np.mean)(data, pure=True)
            c = dask.delayed(data, pure=True)
            """,
            lines=[4, 5, 6],
            versions={"dask": "2026.8.0"},
            unsafe=True,
            fixed="""
            import dask
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            a = dask.delayed(np.sum, pure=False)(data)
            b = dask.delayed(np.mean)(data, pure=False)
            c = dask.delayed(data, pure=False)
            """,
        ),
        Invalid(
            """
            from dask import delayed
            import numpy as np
            @delayed(pure=True)
            def total(block):
                return block.sum()
            data = np.lib.format.open_memmap("x.npy", mode="r")
            t = total(data[::2])
            """,
            lines=[7],
            message="decorated",
            versions={"dask": "2024.3.0"},
            unsafe=True,
            note="a decorated pure function: pure=False at the call overrides the decorator",
            fixed="""
            from dask import delayed
            import numpy as np
            @delayed(pure=True)
            def total(block):
                return block.sum()
            data = np.lib.format.open_memmap("x.npy", mode="r")
            t = total(data[::2], pure=False)
            """,
        ),
        Invalid(
            """
            import dask
            import numpy as np
            with dask.config.set(delayed_pure=True):
                data = np.memmap("data.bin", dtype=np.float64, mode="r")
                t = dask.delayed(np.sum)(data)
            """,
            lines=[5],
            message="delayed_pure",
            versions={"dask": "2024.11.2"},
            unsafe=True,
            fixed="""
            import dask
            import numpy as np
            with dask.config.set(delayed_pure=True):
                data = np.memmap("data.bin", dtype=np.float64, mode="r")
                t = dask.delayed(np.sum)(data, pure=False)
            """,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        h = hashing_call(node, model)
        if h is None:
            return
        found: list[mm.Memmap] = []
        for expr in h.values:
            found.extend(mm.memmaps(expr, model))
            found.extend(self._in_literal(expr))  # tokenize hashes what containers hold
        for expr in h.iterated:
            found.extend(self._items(expr))
        if not found:
            return
        if not any(self.ctx.affected("dask", r) for r in HASHING):
            return
        self._report(node, h, found)

    def _in_literal(self, expr: cst.BaseExpression) -> list[mm.Memmap]:
        """Memmaps held by a list, tuple, set or dict literal."""
        model = self.ctx.model
        out: list[mm.Memmap] = []
        if isinstance(expr, (cst.List, cst.Tuple, cst.Set)):
            for el in expr.elements:
                if isinstance(el, cst.Element):
                    out.extend(mm.memmaps(el.value, model))
        elif isinstance(expr, cst.Dict):
            for el in expr.elements:
                if isinstance(el, cst.DictElement):
                    out.extend(mm.memmaps(el.value, model))
        return out

    def _items(self, expr: cst.BaseExpression) -> list[mm.Memmap]:
        """Memmaps among the items of an iterable: list/tuple elements, a comprehension's
        element, or rows of a memmap iterated directly."""
        model = self.ctx.model
        out = list(mm.memmaps(expr, model))  # iterating a memmap yields memmap rows
        for origin in model.origins(expr):
            e = origin.expr
            if isinstance(e, (cst.List, cst.Tuple, cst.Set)):
                for el in e.elements:
                    if isinstance(el, cst.Element):
                        out.extend(mm.memmaps(el.value, model))
            elif isinstance(e, (cst.ListComp, cst.GeneratorExp)):
                out.extend(mm.memmaps(e.elt, model))
        return out

    def _report(self, node: cst.Call, h, found: list[mm.Memmap]) -> None:
        version = self.ctx.version("dask").describe()
        callee = self.ctx.code_for(node.func).strip()
        if h.kind == "delayed-call" and isinstance(node.func, cst.Call):
            callee = self.ctx.code_for(node.func).strip() + "(...)"
        verb = "gets" if all(m.certain for m in found) else "may get"
        what = _WHAT[found[0].kind]
        how = {
            "tokenize": "hashes its arguments",
            "delayed": f"hashes the object it wraps ({h.where})",
            "delayed-call": f"names the task with a hash of its arguments ({h.where})",
            "submit": f"names the task with a hash of its arguments ({h.where})",
            "map": f"names each task with a hash of its arguments ({h.where})",
            "scatter": f"names the data with a hash of it ({h.where})",
        }[h.kind]
        message = (
            f"`{callee}` {verb} a memory-mapped array ({what}) and {how}: {version} reads "
            "the whole file to hash a memmap (dask #11152, #11850)."
        )
        fix = None
        if h.switch_call is None:
            message += " Hash the file name and its modification time instead."
        else:
            switch = SWITCH[h.kind]
            message += f" Pass `{switch}=False`, or send the file name and open the memmap in the task."
            if not h.has_star_kwargs:  # **kwargs may hold the flag already
                edit = keyword_edit(h.switch_call, switch, "False", self.ctx.code_for, h.switch_position)
                if edit is not None:
                    fix = FixSpec("unsafe", f"Pass {switch}=False (identical calls are no longer shared)",
                                  [Replace(*edit)])
        self.report(node, message, fix=fix)
