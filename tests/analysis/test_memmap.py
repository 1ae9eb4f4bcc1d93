"""memlint.analysis.memmap: which values are memory-mapped, how the file was opened, and
what was done to the view's layout since (real-world-variants.md, sections 1.2 and 6).

The value asked about is the argument of the last `use(...)` call.
"""

from __future__ import annotations

import textwrap

import libcst
import pytest

from memlint.analysis import memmap as mm
from memlint.analysis.builder import build

HEADER = "import numpy as np\nimport joblib\n"


def memmaps(src: str, header: str = HEADER) -> list[mm.Memmap]:
    module = libcst.parse_module(header + textwrap.dedent(src).lstrip("\n"))
    model, _ = build(module)
    uses: list[libcst.Call] = []

    class Uses(libcst.CSTVisitor):
        def visit_Call(self, node: libcst.Call) -> None:
            if isinstance(node.func, libcst.Name) and node.func.value == "use":
                uses.append(node)

    module.visit(Uses())
    return mm.memmaps(uses[-1].args[0].value, model)


def one(src: str, header: str = HEADER) -> mm.Memmap:
    found = memmaps(src, header)
    assert len(found) == 1, found
    return found[0]


# -- sources ----------------------------------------------------------------------------


def test_np_memmap_without_shape_is_1d_c() -> None:
    m = one('x = np.memmap("f.bin", dtype="f8", mode="r")\nuse(x)')
    assert (m.kind, m.base_ndim, m.base_order, m.ops, m.certain) == (mm.MEMMAP, 1, "C", (), True)
    assert m.base_ndim_certain and m.from_1d_base and m.layout == "1D"


@pytest.mark.parametrize(
    "call, ndim",
    [
        ('np.memmap("f", dtype="f8", mode="r", shape=(3, 4))', 2),
        ('np.memmap("f", dtype="f8", mode="r", shape=[2, 3, 4])', 3),
        ('np.memmap("f", "f8", "r", 0, (3, 4))', 2),  # shape is the 5th positional argument
        ('np.memmap("f", "f8", "r", 0, (12,))', 1),
        ('np.memmap("f", dtype="f8", mode="r", shape=(12,))', 1),
        ('np.memmap("f", dtype="f8", mode="r", shape=12)', 1),
        ('np.memmap("f", dtype="f8", mode="r", shape=os.path.getsize("f") // 8)', 1),
        ('np.memmap("f", dtype="f8", mode="r", shape=len(index))', 1),
    ],
)
def test_np_memmap_shape_dimensions(call: str, ndim: int) -> None:
    m = one(f"x = {call}\nuse(x)")
    assert (m.base_ndim, m.base_ndim_certain) == (ndim, True)


def test_shape_through_a_name_bound_to_a_tuple() -> None:
    m = one('s = (3, 4)\nx = np.memmap("f", shape=s)\nuse(x)')
    assert m.base_ndim == 2


def test_shape_as_a_plain_name_is_taken_as_1d_but_not_for_sure() -> None:
    # rosettasciio/segfast `shape=count`, `shape=self.n_traces`: an element count.
    for shape in ("count", "self.n_traces"):
        m = one(f'def f(count):\n    x = np.memmap("f", shape={shape})\n    use(x)')
        assert (m.base_ndim, m.base_ndim_certain, m.from_1d_base) == (1, False, False)


def test_shape_named_like_a_shape_is_unknown() -> None:
    m = one('def f(shape, dims):\n    x = np.memmap("f", shape=shape)\n    use(x)')
    assert m.base_ndim is None
    m = one('def f(shape):\n    x = np.memmap("f", shape=shape[::-1])\n    use(x)')
    assert m.base_ndim is None


def test_shape_hidden_in_kwargs_is_unknown() -> None:
    m = one('def f(path, **kwds):\n    x = np.memmap(path, mode="r", **kwds)\n    use(x)')
    assert (m.kind, m.base_ndim, m.layout) == (mm.MEMMAP, None, None)


def test_shape_in_a_dict_literal_bound_in_the_same_function() -> None:
    # rosettasciio quantumdetector builds the memmap arguments as a dict literal.
    src = """
    def f(path):
        memmap_kwargs = {"filename": path, "dtype": "<u2", "shape": (10, 256, 256)}
        x = np.memmap(mode="r", **memmap_kwargs)
        use(x)
    """
    assert one(src).base_ndim == 3
    src_dict_call = 'kw = dict(dtype="<u2", shape=(4, 4))\nx = np.memmap("f", **kw)\nuse(x)'
    assert one(src_dict_call).base_ndim == 2
    no_shape = 'kw = {"dtype": "<u2"}\nx = np.memmap("f", **kw)\nuse(x)'
    assert (one(no_shape).base_ndim, one(no_shape).base_ndim_certain) == (1, True)


def test_order_f_memmap() -> None:
    m = one('x = np.memmap("f", shape=(3, 4), order="F")\nuse(x)')
    assert (m.base_order, m.layout) == ("F", "F")


@pytest.mark.parametrize(
    "src, certain",
    [
        ('x = np.load("a.npy", mmap_mode="r")', True),
        ('x = np.load("a.npy", mmap_mode="r+")', True),
        ('x = np.load("a.npy", mmap_mode="c")', True),
        ('x = np.load("a.npy", "r")', True),
        ('def f(mmap_mode="r"):\n    x = np.load("a.npy", mmap_mode=mmap_mode)\n    use(x)', False),
        ('x = joblib.load("m.pkl", mmap_mode="r")', True),
    ],
)
def test_np_load_and_joblib_load_with_mmap_mode(src: str, certain: bool) -> None:
    if "use(" not in src:
        src += "\nuse(x)"
    m = one(src)
    assert m.kind in (mm.LOAD, mm.JOBLIB_LOAD)
    assert (m.base_ndim, m.certain) == (None, certain)


@pytest.mark.parametrize(
    "src",
    [
        'x = np.load("a.npy")',
        'x = np.load("a.npy", mmap_mode=None)',
        'mode = None\nx = np.load("a.npy", mmap_mode=mode)',
        'x = np.load("a.npy", **opts)',
        'x = joblib.load("m.pkl")',
        'x = np.fromfile("f.bin", dtype="f8")',
        'x = np.frombuffer(buf, dtype="f8")',
    ],
)
def test_not_memory_mapped(src: str) -> None:
    assert memmaps(src + "\nuse(x)") == []


def test_open_memmap() -> None:
    m = one('x = np.lib.format.open_memmap("a.npy", mode="r")\nuse(x)')
    assert (m.kind, m.base_ndim) == (mm.OPEN_MEMMAP, None)
    m = one(
        'from numpy.lib.format import open_memmap\n'
        'x = open_memmap("a.npy", mode="w+", dtype="f8", shape=(3, 4))\nuse(x)'
    )
    assert (m.kind, m.base_ndim, m.layout) == (mm.OPEN_MEMMAP, 2, "C")


def test_every_import_spelling_of_memmap() -> None:
    for header, call in [
        ("import numpy\n", "numpy.memmap"),
        ("import numpy as N\n", "N.memmap"),
        ("from numpy import memmap\n", "memmap"),
        ("from numpy import memmap as mm\n", "mm"),
    ]:
        assert one(f'x = {call}("f")\nuse(x)', header=header).kind == mm.MEMMAP


def test_a_local_function_named_memmap_is_not_numpy() -> None:
    assert memmaps('def memmap(p):\n    return p\nx = memmap("f")\nuse(x)', header="") == []


# -- propagators (section 6.2) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "expr, op",
    [
        ("x[0:5]", mm.SLICE),
        ("x[...]", mm.SLICE),
        ('x["data"]', mm.FIELD),
        ("x.squeeze()", mm.VIEW),
        ("np.squeeze(x)", mm.VIEW),
        ('x.view("f4")', mm.VIEW),
        ("np.asarray(x)", mm.VIEW),
        ("x.reshape(3, 4)", mm.RESHAPE),
        ("np.reshape(x, (3, 4))", mm.RESHAPE),
        ("x.T", mm.TRANSPOSE),
        ("x.transpose()", mm.TRANSPOSE),
        ("np.transpose(x)", mm.TRANSPOSE),
        ("x.swapaxes(0, 1)", mm.TRANSPOSE),
        ("np.swapaxes(x, 0, 1)", mm.TRANSPOSE),
        ("np.moveaxis(x, 0, 1)", mm.TRANSPOSE),
    ],
)
def test_views_keep_the_mapping_and_record_the_operation(expr: str, op: str) -> None:
    m = one(f'x = np.memmap("f", dtype="f8", mode="r", shape=(3, 4))\nuse({expr})')
    assert m.ops == (op,)


@pytest.mark.parametrize(
    "expr",
    [
        "np.array(x)",
        "x.copy()",
        "np.ascontiguousarray(x)",
        "np.asarray(x, dtype=np.float32)",
        'x.astype("f4")',
        "x * 1.0",
        "x + y",
        "np.concatenate([x, x])",
        "np.stack([x, x])",
        "x[[0, 2]]",  # fancy indexing copies
        "list(x)",
    ],
)
def test_copies_end_the_mapping(expr: str) -> None:
    assert memmaps(f'x = np.memmap("f", dtype="f8", mode="r", shape=(3, 4))\nuse({expr})') == []


def test_chained_views_in_order() -> None:
    # rosettasciio edax: `(np.memmap(...).squeeze().reshape(..., order="F").T)`
    src = """
    x = (
        np.memmap(f, mode="r", offset=1024, dtype=dt)
        .squeeze()
        .reshape((nz, nx, ny), order="F")
        .T
    )
    use(x)
    """
    m = one(src)
    assert m.ops == (mm.VIEW, mm.RESHAPE, mm.TRANSPOSE)
    assert m.layout == "C"  # F-order reshape of a 1-D base, then reversed


def test_followed_through_names_and_self_attributes() -> None:
    src = """
    class Reader:
        def __init__(self, path):
            self._raw = np.memmap(path, dtype="int16", mode="r").reshape(-1, 4).T
        def traces(self):
            return use(self._raw)
    """
    m = one(src)
    assert m.ops == (mm.RESHAPE, mm.TRANSPOSE)


def test_memmap_on_some_paths_only_is_uncertain() -> None:
    src = """
    if lazy:
        x = np.memmap("f", dtype="u1", mode="r")
    else:
        x = np.fromfile("f", dtype="u1")
    use(x)
    """
    m = one(src)
    assert m.certain is False
    assert one('x = np.memmap("f") if lazy else np.fromfile("f")\nuse(x)').certain is False


def test_name_rebound_to_a_copy_is_no_longer_a_memmap() -> None:
    assert memmaps('x = np.memmap("f")\nx = np.array(x)\nuse(x)') == []


# -- layout of the view ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr, layout",
    [
        ("m1", "1D"),
        ("m1.T", "1D"),
        ("m1[::2]", "strided"),
        ("m1.reshape(3, 4)", "C"),
        ("m1.reshape(-1, 4).T", "F"),
        ('m1.reshape(4, 3, order="F")', "F"),
        ('m1.reshape(4, 3, order="F").T', "C"),
        ("m1.reshape(-1, 4)[:, 1:]", "strided"),
        ("m1.reshape(-1, 4)[0:2]", "C"),
        ("m1.reshape(-1)", "1D"),
        ("m2", "C"),
        ("m2.T", "F"),
        ("m2.T.T", "C"),
        ("m2.T[0:2]", "strided"),
        ("m2.T[:, 0:2]", "F"),
        ("m2[:, ::2]", "strided"),
        ("m2[1]", "1D"),
        ("np.swapaxes(m2, 0, 1)", "F"),
        ("m3.swapaxes(0, 1)", None),  # 3-D: may not be contiguous at all
    ],
)
def test_view_layout(expr: str, layout: str | None) -> None:
    src = f"""
    m1 = np.memmap("f", dtype="f8", mode="r")
    m2 = np.memmap("f", dtype="f8", mode="r", shape=(3, 4))
    m3 = np.memmap("f", dtype="f8", mode="r", shape=(2, 3, 4))
    use({expr})
    """
    assert one(src).layout == layout


@pytest.mark.parametrize(
    "expr, affected",
    [
        # Measured with joblib 1.4.2 and 1.6.0 (process backend, values compared).
        ("m2.T", ""),  # N-D base: every version (joblib #1019)
        ("np.transpose(m2)", ""),
        ("m2.swapaxes(0, 1)", ""),
        ("m2.T[:, 0:2]", ""),
        ("mf.T", ""),  # an F-ordered file transposed to C
        ("m1.reshape(-1, 4).T", ">=1.5.0"),  # 1-D base: C reshape then .T
        ('m1.reshape(4, 3, order="F").T', "<1.5.0"),
        ("load.T", ""),  # unknown layout: a transposed view
        ("m2", None),
        ("m2.T.T", None),
        ("m2.T[0:2]", None),  # strides are shipped
        ("m1.T", None),  # a 1-D transpose changes nothing
        ("m1.reshape(3, 4)", None),  # no transpose: MEM101's business
    ],
)
def test_transpose_hazard_versions(expr: str, affected: str | None) -> None:
    src = f"""
    m1 = np.memmap("f", dtype="f8", mode="r")
    m2 = np.memmap("f", dtype="f8", mode="r", shape=(3, 4))
    mf = np.memmap("f", dtype="f8", mode="r", shape=(4, 3), order="F")
    load = np.load("a.npy", mmap_mode="r")
    use({expr})
    """
    assert mm.transpose_hazard(one(src)) == affected


# -- reshape_info ------------------------------------------------------------------------------------


def _reshape(expr: str):
    module = libcst.parse_module(HEADER + f"r = {expr}\n")
    model, _ = build(module)
    call = module.body[-1].body[0].value
    target, dims, order = mm.reshape_info(call, model)
    code = [module.code_for_node(d) for d in dims] if dims is not None else None
    return (module.code_for_node(target) if target is not None else None), code, order


@pytest.mark.parametrize(
    "expr, expected",
    [
        ("m.reshape(5, 3)", ("m", ["5", "3"], "C")),
        ("m.reshape((5, 3))", ("m", ["5", "3"], "C")),
        ('m.reshape(5, 3, order="F")', ("m", ["5", "3"], "F")),
        ("m.reshape(-1, n)", ("m", ["-1", "n"], "C")),
        ("m.reshape(*dims)", ("m", None, "C")),
        ("m.reshape(shape)", ("m", None, "C")),
        ("m.reshape(5, 3, order=order)", ("m", ["5", "3"], None)),
        ("np.reshape(m, (5, 3))", ("m", ["5", "3"], "C")),
        ('np.reshape(m, (5, 3), "F")', ("m", ["5", "3"], "F")),
        ("np.reshape(m, newshape=(5, 3))", ("m", ["5", "3"], "C")),
        ("m.sum(1)", (None, None, None)),
    ],
)
def test_reshape_info(expr: str, expected) -> None:
    assert _reshape(expr) == expected
