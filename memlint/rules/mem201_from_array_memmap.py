from __future__ import annotations

import libcst as cst

from memlint.analysis import memmap as mm
from memlint.analysis.calls import arg, is_none, keyword_edit, literal
from memlint.engine.rule import FixSpec, Invalid, Replace, Rule, Valid

# dask hashes a memmap's whole buffer to name the array when no name is given
# (PR #10876 in 2024.2.0; fixed by #11161 in 2024.6.0; back with #11320 in 2024.8.1) ...
HASHING = (">=2024.2.0,<2024.6.0", ">=2024.8.1,<2024.12.0")
# ... and from 2024.12.0 copies any array-like into memory first, whatever the name (#11524).
COPYING = ">=2024.12.0"
DOCS = "https://docs.dask.org/en/stable/array-creation.html#memory-mapping"

# qualified name -> (array parameter, its position, takes name=, position of name (None:
# keyword only), takes a sequence of arrays)
_FROM_ARRAY = ("x", 0, True, 2, False)
_ASARRAY = ("a", 0, True, None, False)  # passes **kwargs on to from_array
_ASANYARRAY = ("a", 0, False, None, False)
_SEQUENCE = ("seq", 0, False, None, True)
SINKS = {}
for _module in ("dask.array", "dask.array.core"):
    SINKS[f"{_module}.from_array"] = _FROM_ARRAY
    SINKS[f"{_module}.asarray"] = _ASARRAY
    SINKS[f"{_module}.asanyarray"] = _ASANYARRAY
    SINKS[f"{_module}.concatenate"] = _SEQUENCE
    SINKS[f"{_module}.stack"] = _SEQUENCE


class FromArrayMemmap(Rule):
    """
    ## What it does
    Finds a memory-mapped array (`np.memmap`, `np.load(..., mmap_mode=...)`, `open_memmap`,
    `joblib.load(..., mmap_mode=...)`, and their slices, fields, reshapes and other views)
    given to `dask.array.from_array`, `asarray` or `asanyarray`, or inside a list given to
    `dask.array.concatenate` or `stack`, on the dask versions that then read the whole file.

    ## Why is this bad?
    A memmap is meant to be read lazily, one chunk per task. But `from_array` names the
    array with a hash of its contents when no `name=` is given, and dask 2024.2.0 to 2024.5.2
    and 2024.8.1 to 2024.11.2 hash a memmap by reading every byte of the file (dask #11152,
    #11850; 2024.2.1 to 2024.5.2 also pickle it, a full copy in memory: on 2024.5.0 a 512 MB
    file took the peak RSS from 53 MB to 1582 MB, and stayed at 53 MB with `name=False`,
    measured with `examples/dask_from_array_memmap.py`). From 2024.12.0,
    `from_array` copies any array-like into memory before anything else, whatever the name
    (dask PR #11524, #11850): a 512 MB file took 1070 MB of RSS on 2025.1.0 and 2026.8.0,
    against 44 MB on 2024.1.1. `concatenate` and `stack` call `asarray` on each element, so
    they behave the same, without a way to pass a name.

    ## Example
    ```python
    import dask.array as da
    import numpy as np

    data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(65536, 1024))
    arr = da.from_array(data, chunks=(4096, 1024))
    ```

    ## Use instead
    On dask 2024.2.0 to 2024.5.2 and 2024.8.1 to 2024.11.2, skip the hash:
    ```python
    arr = da.from_array(data, chunks=(4096, 1024), name=False)
    ```
    On dask 2024.12.0 and later, open the memmap inside each chunk's task, as in the
    "Memory mapping" section of dask's documentation:
    ```python
    import dask.array as da
    import numpy as np

    def load_rows(path, shape, dtype, block_info=None):
        (start, stop), _ = block_info[None]["array-location"]
        return np.array(np.memmap(path, dtype=dtype, mode="r", shape=shape)[start:stop])

    shape = (65536, 1024)
    arr = da.map_blocks(load_rows, "data.bin", shape, np.float64, dtype=np.float64,
                        chunks=((4096,) * 16, (1024,)))
    ```

    ## Fix safety
    On the hashing versions the fix adds `name=False` (or replaces `name=None`/`name=True`)
    in `from_array` and `asarray`: dask then names the array with a random id instead of a
    content hash. The values are the same; only two `from_array` calls on the same data no
    longer share one graph key. There is no fix for `asanyarray`, `concatenate` and `stack`
    (they take no name), nor from 2024.12.0 on, where the copy needs the per-block pattern.

    ## Affected versions
    - dask 2024.2.0 to 2024.5.2 and 2024.8.1 to 2024.11.2: the whole file is read to hash
      it, unless `name=` is given (`False` or a string).
    - dask 2024.12.0 and later (checked up to 2026.8.0): the whole file is copied into
      memory, whatever the name.
    - dask 2024.1.1 and earlier, and 2024.6.0 to 2024.8.0: not affected.

    ## References
    - [dask #11152: large memory use when loading a file with np.memmap](https://github.com/dask/dask/issues/11152)
    - [dask #11161: tokenizing a memmap no longer reads it (2024.6.0)](https://github.com/dask/dask/pull/11161)
    - [dask #11850: from_array loads an entire memmap into memory](https://github.com/dask/dask/issues/11850)
    - [dask #11524: from_array creates a copy (2024.12.0)](https://github.com/dask/dask/pull/11524)
    - [dask docs: memory mapping](https://docs.dask.org/en/stable/array-creation.html#memory-mapping)
    """

    code = "MEM201"
    name = "from-array-memmap"
    summary = "dask from_array on a memmap reads or copies the whole file"
    libraries = ("dask",)
    triggers = ((b"dask", b"memmap"), (b"dask", b"open_memmap"), (b"dask", b"mmap_mode"))
    # The memmap may be opened in a module the file imports (the project index follows it
    # there): then a call of `from_array` is enough to look.
    project_triggers = ((b"dask", b"from_array"),)
    name_triggers = frozenset({b"memmap", b"open_memmap", b"mmap_mode"})
    source_triggers = frozenset({b"memmap", b"open_memmap", b"mmap_mode"})
    fix_availability = "sometimes"

    valid = (
        Valid(
            """
            import dask.array as da
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            arr = da.from_array(data, chunks=1024)
            """,
            versions={"dask": "2024.1.1"},
            note="tokenized from its metadata, nothing is read",
        ),
        Valid(
            """
            import dask.array as da
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            arr = da.from_array(data, chunks=1024)
            """,
            versions={"dask": "2024.6.0"},
            note="2024.6.0 restored the metadata token",
        ),
        Valid(
            """
            import dask.array as da
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            arr = da.from_array(data, chunks=1024)
            """,
            versions={"dask": "2024.8.0"},
        ),
        Valid(
            """
            import dask.array as da
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            arr = da.from_array(data, chunks=1024, name=False)
            """,
            versions={"dask": "2024.5.2"},
            note="name=False skips the hash",
        ),
        Valid(
            """
            import dask.array as da
            import numpy as np
            data = np.load("data.npy", mmap_mode="r")
            arr = da.asarray(data, name="raw-data")
            """,
            versions={"dask": "2024.11.2"},
            note="an explicit name skips the hash",
        ),
        Valid(
            """
            import dask.array as da
            import h5py
            dset = h5py.File("data.h5")["x"]
            arr = da.from_array(dset, chunks=(1000, 1000))
            """,
            versions={"dask": "2026.8.0"},
            note="h5py/zarr datasets are the intended use: read per block",
        ),
        Valid(
            """
            import dask.array as da
            import numpy as np
            img = np.load("small.npy")
            arr = da.from_array(np.array(img) / 255.0, chunks=256)
            """,
            versions={"dask": "2026.8.0"},
            note="an in-memory array: no file is read",
        ),
        Valid(
            """
            import dask
            import dask.array as da
            import numpy as np
            def mmap_load_chunk(filename, shape, dtype, offset, sl):
                data = np.memmap(filename, mode="r", shape=shape, dtype=dtype, offset=offset)
                return data[sl]
            load = dask.delayed(mmap_load_chunk)
            chunks = [da.from_delayed(load("data.bin", (100, 10), "f8", 0, slice(i, i + 10)),
                                      shape=(10, 10), dtype="f8") for i in range(0, 100, 10)]
            arr = da.concatenate(chunks)
            """,
            versions={"dask": "2026.8.0"},
            note="the per-block loader of dask's docs: the memmap is opened inside each task",
        ),
        Valid(
            """
            import dask.array as da
            import numpy as np
            class ArrayWrapper:
                def __init__(self, data):
                    self._data = data
            data = np.memmap("cube.bin", dtype=">f4", mode="r", shape=(100, 100, 100))
            arr = da.from_array(ArrayWrapper(data), name="cube")
            """,
            versions={"dask": "2026.8.0"},
            note="a wrapper that hides the ndarray from dask's copy (spectral-cube)",
        ),
        Valid(
            """
            import dask.array as da
            arr = da.from_npy_stack("stack-dir", mmap_mode="r")
            """,
            versions={"dask": "2026.8.0"},
            note="dask opens each file per block",
        ),
    )
    invalid = (
        Invalid(
            """
            import dask.array as da
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            arr = da.from_array(data, chunks=1024)
            """,
            lines=[4],
            message="reads the whole file to hash it",
            versions={"dask": "2024.2.0"},
            fixed="""
            import dask.array as da
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            arr = da.from_array(data, chunks=1024, name=False)
            """,
        ),
        Invalid(
            """
            import dask.array as dsa
            import numpy as np
            def read(path, shape, chunks):
                raw = np.memmap(path, dtype=">f8", mode="r")
                raw = np.reshape(raw, shape)
                return dsa.from_array(raw, chunks=(chunks,))
            """,
            lines=[6],
            versions={"dask": "2024.5.2"},
            note="xmitgcm's alias and a function-form reshape; a tuple as the last argument",
            fixed="""
            import dask.array as dsa
            import numpy as np
            def read(path, shape, chunks):
                raw = np.memmap(path, dtype=">f8", mode="r")
                raw = np.reshape(raw, shape)
                return dsa.from_array(raw, chunks=(chunks,), name=False)
            """,
        ),
        Invalid(
            """
            from dask.array import from_array
            import numpy as np
            full = np.memmap("merlin.mib", dtype=[("hdr", "V384"), ("data", ">u2", (256, 256))], mode="r")
            data = full["data"]
            arr = from_array(
                data,
                chunks=(10000, 256, 256),
                name=None,
            )
            """,
            lines=[5],
            versions={"dask": "2024.8.1"},
            note="a structured field (dask #11152's reproducer); name=None still hashes",
            fixed="""
            from dask.array import from_array
            import numpy as np
            full = np.memmap("merlin.mib", dtype=[("hdr", "V384"), ("data", ">u2", (256, 256))], mode="r")
            data = full["data"]
            arr = from_array(
                data,
                chunks=(10000, 256, 256),
                name=False,
            )
            """,
        ),
        Invalid(
            """
            import dask
            import dask.array
            import numpy
            arr = dask.array.asarray(numpy.load("x.npy", mmap_mode="r+"))
            """,
            lines=[4],
            versions={"dask": "2024.11.2"},
            fixed="""
            import dask
            import dask.array
            import numpy
            arr = dask.array.asarray(numpy.load("x.npy", mmap_mode="r+"), name=False)
            """,
        ),
        Invalid(
            """
            import dask.array as da
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            arr = da.from_array(data, chunks=1024, name=False)
            """,
            lines=[4],
            message="copies the whole file into memory",
            versions={"dask": "2024.12.0"},
            note="the copy happens whatever the name: no fix",
        ),
        Invalid(
            """
            from dask import array as da
            import numpy as np
            cube = np.lib.format.open_memmap("cube.npy", mode="r")
            parts = da.concatenate([cube[:100], cube[100:]], axis=0)
            """,
            lines=[4],
            message="memory-mapping",
            versions={"dask": "2026.8.0"},
        ),
        Invalid(
            """
            import dask.array as da
            import numpy as np
            data = np.memmap("data.bin", dtype="<u2", mode="r", shape=(512, 512, 64))
            planes = da.stack([data[:, :, i] for i in range(64)])
            view = da.asanyarray(data.squeeze())
            """,
            lines=[4, 5],
            message="name=False",
            versions={"dask": "2024.2.0"},
            note="stack and asanyarray take no name: no fix, the message says how to wrap",
        ),
        Invalid(
            """
            import dask.array as da
            import numpy as np
            def read(path, lazy):
                if lazy:
                    data = np.memmap(path, dtype="<f4", mode="r")
                else:
                    data = np.fromfile(path, dtype="<f4")
                return da.from_array(data)
            """,
            lines=[8],
            message="may",
            versions={"dask": "2024.9.1"},
            fixed="""
            import dask.array as da
            import numpy as np
            def read(path, lazy):
                if lazy:
                    data = np.memmap(path, dtype="<f4", mode="r")
                else:
                    data = np.fromfile(path, dtype="<f4")
                return da.from_array(data, name=False)
            """,
        ),
        Invalid(
            """
            import dask.array as da
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            arr = da.from_array(data)
            """,
            lines=[4],
            message="version unknown",
            note="no version known: both hazards are possible; the name fix is still offered",
            fixed="""
            import dask.array as da
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r")
            arr = da.from_array(data, name=False)
            """,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        model = self.ctx.model
        spec = SINKS.get(model.qualified_name(node.func) or "")
        if spec is None:
            return
        param, position, takes_name, name_position, sequence = spec
        given = arg(node, param, position)
        if given is None or given.star:
            return
        found = self._memmaps(given.value, sequence)
        if not found:
            return
        hashing_versions = any(self.ctx.affected("dask", r) for r in HASHING)
        copying = self.ctx.affected("dask", COPYING)
        name_state = _name_state(node, takes_name, name_position)
        hashing = hashing_versions and name_state in ("absent", "none", "kwargs")
        if not (hashing or copying):
            return
        # A name may hide in **kwargs: then the hash only may happen.
        certain = all(m.certain for m in found) and (name_state != "kwargs" or copying)
        self._report(node, found, certain, hashing, copying, name_state, takes_name, sequence,
                     name_position)

    def _memmaps(self, expr: cst.BaseExpression, sequence: bool) -> list[mm.Memmap]:
        model = self.ctx.model
        if not sequence:
            return mm.memmaps(expr, model)
        out: list[mm.Memmap] = []
        for origin in model.origins(expr, across=True):
            e = origin.expr
            where = origin.model or model
            elements: list[cst.BaseExpression] = []
            if isinstance(e, (cst.List, cst.Tuple)):
                elements = [el.value for el in e.elements if isinstance(el, cst.Element)]
            elif isinstance(e, (cst.ListComp, cst.GeneratorExp)):
                elements = [e.elt]
            for el in elements:
                for m in mm.memmaps(el, where):
                    out.append(m if origin.certain else mm.Memmap(
                        m.source, m.kind, m.base_ndim, m.base_order, m.ops, False))
        return out

    def _report(self, node: cst.Call, found, certain, hashing, copying, name_state, takes_name, sequence,
                name_position) -> None:
        version = self.ctx.version("dask").describe()
        callee = self.ctx.code_for(node.func).strip()
        what = {
            mm.MEMMAP: "`np.memmap`", mm.LOAD: "`np.load(..., mmap_mode=...)`",
            mm.OPEN_MEMMAP: "`open_memmap`", mm.JOBLIB_LOAD: "`joblib.load(..., mmap_mode=...)`",
        }[found[0].kind]
        verb = "gets" if certain else "may get"
        subject = (
            f"`{callee}` {verb} a list holding memory-mapped arrays ({what})" if sequence
            else f"`{callee}` {verb} a memory-mapped array ({what})"
        )
        hash_text = "reads the whole file to hash it" + (
            " when no `name=` is given" if takes_name else "") + " (dask #11152, #11850)"
        copy_text = ("copies the whole file into memory whatever the `name=` (dask PR #11524, "
                     "#11850)")
        if hashing and copying:
            cost = (f"{version}: dask 2024.2.0 to 2024.5.2 and 2024.8.1 to 2024.11.2 "
                    f"{hash_text.replace('reads', 'read')}, and dask 2024.12.0 and later "
                    f"{copy_text.replace('copies', 'copy')}")
        elif hashing:
            cost = f"{version} {hash_text}"
        else:
            cost = f"{version} {copy_text}"
        advice = []
        if hashing:
            if takes_name:
                advice.append("pass `name=False`")
            elif sequence:
                advice.append("wrap each memmap in `da.from_array(x, name=False)` first")
            else:
                advice.append("use `da.from_array(x, name=False)` instead")
        if copying:
            advice.append(
                "from 2024.12.0, open the memmap inside each chunk's task instead (the "
                f"per-block loader of dask's \"memory mapping\" docs: {DOCS})"
                if hashing else
                "open the memmap inside each chunk's task instead (the per-block loader of "
                f"dask's \"memory mapping\" docs: {DOCS})"
            )
        advice_text = "; ".join(advice)
        message = f"{subject}: {cost}. {advice_text[:1].upper()}{advice_text[1:]}."
        fix = None
        if hashing and takes_name and name_state in ("absent", "none"):
            edit = keyword_edit(node, "name", "False", self.ctx.code_for, name_position)
            if edit is not None:
                fix = FixSpec("safe", "Pass name=False to skip hashing the file", [Replace(*edit)])
        self.report(node, message, fix=fix)


def _name_state(call: cst.Call, takes_name: bool, position: int | None) -> str:
    """"absent", "none" (name=None or name=True: hashed), "given" (False, a string, or any
    other expression: not hashed as far as can be told), "kwargs" (may be in **kwargs)."""
    if not takes_name:
        return "absent"
    given = arg(call, "name", position)
    if given is None:
        return "kwargs" if any(a.star == "**" for a in call.args) else "absent"
    if is_none(given.value) or literal(given.value, None) is True:
        return "none"
    return "given"

