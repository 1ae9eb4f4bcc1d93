"""MEM101 on the shapes real code takes (real-world-variants.md, section 1) and on the safe
look-alikes (section 1.3): exact rows, messages, and fixed sources."""

from __future__ import annotations

import textwrap

import pytest

from memlint.api import check_source, fix_source

# These tests are about which reshapes are hazards, with `require-sink = false` (every such
# reshape reported); the tests at the end are about the sink.
LIBRARY = {"MEM101": {"require-sink": False}}

OLD = {"joblib": "1.4.2"}  # C-order reshapes of 1-D memmaps are rebuilt wrong
NEW = {"joblib": "1.6.0"}  # F-order reshapes of 1-D memmaps are rebuilt wrong


def _src(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


def findings(code: str, versions=OLD):
    return check_source(_src(code), "example.py", select=["MEM101"], versions=versions, options=LIBRARY)


def rows(code: str, versions=OLD) -> list[int]:
    return [d.location.row for d in findings(code, versions)]


def fixed(code: str, versions=OLD) -> str:
    return fix_source(_src(code), "example.py", select=["MEM101"], versions=versions, options=LIBRARY)


# -- real occurrences ------------------------------------------------------------------------------


def test_joblib_issue_1703_reproducer_chained_and_fixed() -> None:
    code = """
    import numpy as np
    from joblib import Parallel, delayed
    data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)
    results = Parallel(n_jobs=2)(delayed(run)(idx, data) for idx in range(5))
    """
    (d,) = findings(code)
    assert (d.location.row, d.location.column, d.end_location.row, d.end_location.column) == (3, 8, 3, 71)
    assert "joblib 1.4.2 (given)" in d.message and "joblib #1703" in d.message
    assert rows(code, NEW) == []
    assert fixed(code) == _src("""
    import numpy as np
    from joblib import Parallel, delayed
    data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))
    results = Parallel(n_jobs=2)(delayed(run)(idx, data) for idx in range(5))
    """)


def test_joblib_test_helper_returning_the_reshaped_memmap() -> None:
    code = """
    import numpy as np
    def make_memmap(path):
        mm = np.memmap(path)
        return mm.reshape(5, 2)
    """
    assert rows(code) == [4]
    # the only use of `mm`: the shape moves into np.memmap
    assert fixed(code) == _src("""
    import numpy as np
    def make_memmap(path):
        mm = np.memmap(path, shape=(5, 2))
        return mm
    """)


def test_rosettasciio_edax_chain_across_lines() -> None:
    # `(np.memmap(...).squeeze().reshape((nz, nx, ny), order="F").T)`: an F-order reshape
    # of a 1-D memmap, wrong from joblib 1.5.0 on.
    code = """
    import numpy as np
    def read(f, mode, data_type, nz, nx, ny):
        data = (
            np.memmap(f, mode=mode, offset=1024, dtype=data_type)
            .squeeze()
            .reshape((nz, nx, ny), order="F")
            .T
        )
        return data
    """
    # The chain ends in a full transpose of the F-ordered view: a C-contiguous view of a
    # 1-D base, which joblib >= 1.5.0 rebuilds right and older versions wrong. That is the
    # transposed view's hazard (MEM102's), not the reshape's: MEM101 judges the whole chain.
    assert rows(code, OLD) == []
    assert rows(code, NEW) == []

def test_rosettasciio_edax_with_kwds_has_an_unknown_shape() -> None:
    # `**kwds` may carry `shape=`: memlint cannot tell, so it stays quiet.
    code = """
    import numpy as np
    def read(f, mode, data_type, nz, nx, ny, **kwds):
        data = (
            np.memmap(f, mode=mode, offset=1024, dtype=data_type, **kwds)
            .squeeze()
            .reshape((nz, nx, ny), order="F")
            .T
        )
        return data
    """
    assert rows(code, OLD) == rows(code, NEW) == []


def test_rosettasciio_ripple_rebinding_in_if_elif_branches() -> None:
    code = """
    import numpy as np
    def file_reader(filename, offset, endian, mmap_mode, record_by, width, height, depth):
        data_type = np.dtype("u2").newbyteorder(endian)
        data = np.memmap(filename, offset=offset, dtype=data_type, mode=mmap_mode)
        if record_by == "vector":
            size = (height, width, depth)
            data = data.reshape(size)
        elif record_by == "image":
            size = (depth, height, width)
            data = data.reshape(size)
        elif record_by == "dontcare":
            size = (height, width)
            data = data.reshape(size)
        return data
    """
    found = findings(code)
    assert [d.location.row for d in found] == [7, 10, 13]
    # each branch sees only the memmap: another branch's rebinding cannot reach it
    assert all(" is 1-D" in d.message for d in found)
    assert rows(code, NEW) == []


def test_rosettasciio_blockfile_memmap_on_one_branch_and_try_except() -> None:
    code = """
    import numpy as np
    def file_reader(f, lazy, NY, NX, DP_SZ, endianess, offset):
        if not lazy:
            f.seek(offset)
            data = np.fromfile(f, dtype=endianess + "u1")
        else:
            data = np.memmap(f, mode="r", offset=offset, dtype=endianess + "u1")
        try:
            data = data.reshape((NY, NX, DP_SZ * DP_SZ + 6))
        except ValueError:
            data = np.pad(data, (0, 10), mode="constant")
            data = data.reshape((NY, NX, DP_SZ * DP_SZ + 6))
        data = data[:, :, 6:]
        data = data.reshape((NY, NX, DP_SZ, DP_SZ), order="C").squeeze()
        return data
    """
    (d,) = findings(code)
    assert d.location.row == 9
    assert "may be 1-D" in d.message  # a memmap only when lazy
    assert d.fix is None


def test_rosettasciio_empad_reshape_then_slice() -> None:
    code = """
    import numpy as np
    def read(path, lazy, size, height):
        if lazy:
            data = np.memmap(path, dtype="<u4", mode="r")
        else:
            data = np.fromfile(path, dtype="<u4")
        return data.reshape(size)[..., :height, :]
    """
    # `[..., :height, :]` after an N-D reshape is not contiguous: joblib ships the strides
    assert rows(code) == []


def test_xmitgcm_np_reshape_after_a_1d_shape() -> None:
    code = """
    import numpy as np
    import dask.array as dsa
    def read(fname, nz, shape, chunks):
        data_raw = np.memmap(fname, dtype=">f8", mode="r", shape=(nz,))
        data_raw = np.reshape(data_raw, shape)  # memmap -> ndarray
        return dsa.from_array(data_raw, chunks=chunks)
    """
    (d,) = findings(code)
    assert (d.location.row, d.location.column) == (5, 16)
    assert "a reshape may make an N-D view" in d.message  # `shape` is not known here
    assert d.fix is None


def test_xmitgcm_read_raw_data_shape_assignment() -> None:
    code = """
    import numpy as np
    def read_raw_data(datafile, dtype, shape, use_mmap=False, offset=0):
        number_of_values = int(np.prod(shape))
        if use_mmap:
            data = np.memmap(datafile, dtype=dtype, mode="r", offset=offset, shape=(number_of_values,))
        else:
            with open(datafile, "rb") as f:
                data = np.fromfile(f, dtype=dtype, count=number_of_values)
        data.shape = shape
        return data
    """
    (d,) = findings(code)
    assert (d.location.row, d.location.column) == (9, 5)
    assert "`.shape = ...`" in d.message and "may be 1-D" in d.message


def test_shape_assignment_of_a_tuple() -> None:
    code = """
    import numpy as np
    data = np.memmap("f.bin", dtype="<f4", mode="r")
    data.shape = (10, 20)
    flat = np.memmap("g.bin", dtype="<f4", mode="r")
    flat.shape = (200,)
    flat.shape = -1
    """
    (d,) = findings(code)
    assert d.location.row == 3
    assert "is 1-D, and `.shape = ...` makes an N-D view" in d.message


def test_faiss_reshape_then_non_contiguous_slice_is_quiet() -> None:
    code = """
    import numpy as np
    def ivecs_mmap(fname):
        a = np.memmap(fname, dtype="int32", mode="r")
        d = a[0]
        return a.reshape(-1, d + 1)[:, 1:]
    def fvecs_mmap(fname):
        return ivecs_mmap(fname).view("float32")
    def bvecs_mmap(fname):
        x = np.memmap(fname, dtype="uint8", mode="r")
        d = x[:4].view("int32")[0]
        return x.reshape(-1, d + 4)[:, 4:]
    """
    assert rows(code) == rows(code, NEW) == []


def test_faiss_shape_without_the_slice_is_reported() -> None:
    code = """
    import numpy as np
    def ivecs_rows(fname):
        a = np.memmap(fname, dtype="int32", mode="r")
        d = a[0]
        return a.reshape(-1, d + 1)[0:10]
    """
    (d,) = findings(code)
    assert d.location.row == 5
    assert "file size" in d.message and d.fix is None  # -1: no fix


def test_torch_dataset_init_assigns_the_reshaped_memmap_to_self() -> None:
    code = """
    import numpy as np
    class TokenDataset:
        def __init__(self, X_path, X_shape):
            self.X = np.memmap(X_path, dtype="int8", mode="r").reshape(X_shape)
        def __getitem__(self, i):
            return self.X[i]
    """
    (d,) = findings(code)
    assert (d.location.row, d.location.column) == (4, 18)
    assert "may make an N-D view" in d.message
    assert d.fix is None  # the dimensions are not explicit


def test_lidar_loader_chained_with_minus_one_and_dict_item() -> None:
    code = """
    import numpy as np
    import os
    points = np.memmap(os.path.join(src, frame), dtype=np.float32, mode='r').reshape(-1, 4)
    data = {}
    data[split] = np.memmap(p, dtype='<u2', mode='r').reshape(-1, 128)
    """
    assert rows(code) == [3, 5]
    assert fixed(code) == _src(code)  # -1: the row count comes from the file


def test_several_statements_on_one_line() -> None:
    code = """
    import numpy as np
    a = np.memmap(path, dtype='<u2', mode='r').reshape(L, P, 3); n = len(a)
    """
    assert rows(code) == [2]
    assert fixed(code) == _src("""
    import numpy as np
    a = np.memmap(path, dtype='<u2', mode='r', shape=(L, P, 3)); n = len(a)
    """)


def test_np_load_and_joblib_load_with_mmap_mode() -> None:
    code = """
    import numpy as np
    import joblib
    a = np.load("flat.npy", mmap_mode="r").reshape(5, 3)
    b = np.load(path, mmap_mode="r").reshape(-1, len(libraries), 7)
    c = joblib.load("m.pkl", mmap_mode="r").reshape(10, 10)
    d = np.load("x.npy", mmap_mode="r").reshape((-1,))
    e = np.lib.format.open_memmap("y.npy", mode="r").reshape(2, 8)
    """
    found = findings(code)
    assert [d.location.row for d in found] == [3, 4, 5, 7]
    assert all("may be 1-D" in d.message for d in found)
    assert all(d.fix is None for d in found)


def test_np_load_mmap_mode_from_a_parameter() -> None:
    code = """
    import numpy as np
    def read(path, mmap_mode=None):
        return np.load(path, mmap_mode=mmap_mode).reshape(3, 4)
    def read_eager(path):
        mode = None
        return np.load(path, mmap_mode=mode).reshape(3, 4)
    """
    assert rows(code) == [3]


def test_memmap_with_shape_hidden_in_a_dict_literal() -> None:
    code = """
    import numpy as np
    def with_shape(path):
        memmap_kwargs = {"filename": path, "dtype": "<u2", "shape": (10, 256, 256)}
        return np.memmap(mode="r", **memmap_kwargs).reshape(10, 65536)
    def without_shape(path):
        memmap_kwargs = {"filename": path, "dtype": "<u2"}
        return np.memmap(mode="r", **memmap_kwargs).reshape(10, 65536)
    """
    assert rows(code) == [7]


def test_one_dimensional_shapes_in_every_spelling() -> None:
    code = """
    import numpy as np
    def f(path, n, count):
        a = np.memmap(path, dtype="f4", mode="r", shape=(n,)).reshape(2, 3)
        b = np.memmap(path, dtype="f4", mode="r", shape=12).reshape(3, 4)
        c = np.memmap(path, "f4", "r", 0, (12,)).reshape(3, 4)
        d = np.memmap(path, dtype="f4", mode="r", shape=count).reshape(3, 4)
        e = np.memmap(path, dtype="f4", mode="r", shape=os.path.getsize(path) // 4).reshape(3, 4)
    """
    found = findings(code)
    assert [d.location.row for d in found] == [3, 4, 5, 6, 7]
    assert "may be 1-D" in found[3].message  # `count` is taken as an element count
    assert [d.fix is not None for d in found] == [True, True, True, False, True]
    assert fixed(code) == _src("""
    import numpy as np
    def f(path, n, count):
        a = np.memmap(path, dtype="f4", mode="r", shape=(2, 3))
        b = np.memmap(path, dtype="f4", mode="r", shape=(3, 4))
        c = np.memmap(path, "f4", "r", 0, (3, 4))
        d = np.memmap(path, dtype="f4", mode="r", shape=count).reshape(3, 4)
        e = np.memmap(path, dtype="f4", mode="r", shape=(3, 4))
    """)


def test_f_order_fix_adds_order() -> None:
    code = """
    import numpy as np
    grid = np.memmap("g.bin", dtype="f8", mode="r").reshape((4, 6), order="F")
    """
    assert rows(code, OLD) == []
    assert rows(code, NEW) == [2]
    assert fixed(code, NEW) == _src("""
    import numpy as np
    grid = np.memmap("g.bin", dtype="f8", mode="r", shape=(4, 6), order="F")
    """)


def test_fix_keeps_a_multiline_call_layout() -> None:
    code = """
    import numpy as np
    data = np.memmap(
        "data.bin",
        dtype=np.float64,
        mode="r",
    ).reshape(5, 3)
    """
    assert rows(code) == [2]
    assert fixed(code) == _src("""
    import numpy as np
    data = np.memmap(
        "data.bin",
        dtype=np.float64,
        mode="r",
        shape=(5, 3),
    )
    """)


def test_no_fix_when_the_name_has_other_uses_or_dimensions_come_later() -> None:
    code = """
    import numpy as np
    raw = np.memmap("d.bin", dtype="f8", mode="r")
    total = raw.sum()
    grid = raw.reshape(5, 3)
    other = np.memmap("e.bin", dtype="f8", mode="r")
    nrows = compute()
    grid2 = other.reshape(nrows, 3)
    """
    found = findings(code)
    assert [d.location.row for d in found] == [4, 7]
    assert [d.fix for d in found] == [None, None]
    assert fixed(code) == _src(code)


def test_version_unknown_is_assumed_affected_for_both_orders() -> None:
    code = """
    import numpy as np
    a = np.memmap("a.bin").reshape(2, 2)
    b = np.memmap("b.bin").reshape(2, 2, order="F")
    """
    found = findings(code, versions={})
    assert [d.location.row for d in found] == [2, 3]
    assert "joblib (version unknown)" in found[0].message


def test_import_aliases() -> None:
    code = """
    import numpy
    import numpy as N
    from numpy import memmap as mm
    a = numpy.memmap("a.bin").reshape(2, 2)
    b = N.memmap("b.bin").reshape(2, 2)
    c = mm("c.bin").reshape(2, 2)
    """
    assert rows(code) == [4, 5, 6]


def test_function_level_import_and_shadowed_numpy() -> None:
    code = """
    def load(path):
        import numpy as np
        return np.memmap(path).reshape(2, 2)
    def other(np, path):
        return np.memmap(path).reshape(2, 2)
    """
    assert rows(code) == [3]


# -- safe look-alikes (section 1.3) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(
            """
            import numpy as np
            def load_memmap(filename, shape, order):
                Yr = np.memmap(filename, mode="r", shape=shape, dtype=np.float32, order=order)
                return Yr.reshape(shape[1:] + (-1,), order="F")
            def traces(path, n_channels, dtype, itemsize):
                n_samples = os.path.getsize(path) // (itemsize * n_channels)
                return np.memmap(path, dtype=dtype, mode="r", shape=(n_samples, n_channels))
            data = np.memmap("f.bin", dtype="<f4", mode="r", shape=(10, 20))
            a = data.reshape(20, 10)
            b = data.reshape(200)
            """,
            id="full-N-D-shape-then-reshapes",
        ),
        pytest.param(
            """
            import numpy as np
            data = np.memmap("f.bin", dtype="<f4", mode="r")
            n = len(data)
            m = data.shape[0]
            block = data[0:1024]
            """,
            id="len-shape0-slices-only",
        ),
        pytest.param(
            """
            import numpy as np
            from joblib import Parallel, delayed
            def work(path, i):
                m = np.memmap(path, dtype="f8", mode="r", shape=(10, 20))
                return m[i].sum()
            Parallel(n_jobs=2)(delayed(work)("data.bin", i) for i in range(10))
            """,
            id="file-name-shipped",
        ),
        pytest.param(
            """
            import numpy as np
            data = np.memmap("f.bin", dtype="<f4", mode="r")
            a = np.array(data).reshape(3, 4)
            b = data.copy().reshape(3, 4)
            c = np.ascontiguousarray(data).reshape(3, 4)
            d = (data * 1.0).reshape(3, 4)
            e = np.asarray(data, dtype=np.float64).reshape(3, 4)
            data = np.array(data)
            f = data.reshape(3, 4)
            images = [np.concatenate([np.memmap(p, mode="r")]).reshape(-1, 3, 4) for p in paths]
            """,
            id="copied-before-reshape",
        ),
        pytest.param(
            """
            import numpy as np
            from joblib import Parallel, delayed
            out = np.memmap("out.bin", dtype=float, mode="w+", shape=(10, 20))
            Parallel(n_jobs=2)(delayed(fill)(out, i) for i in range(10))
            grid = out.reshape(20, 10)
            """,
            id="output-opened-w+-with-shape",
        ),
        pytest.param(
            """
            import numpy as np
            data = np.fromfile("data.bin", dtype=np.float64).reshape(5, 3)
            also = np.load("data.npy").reshape(5, 3)
            eager = np.load("data.npy", mmap_mode=None).reshape(5, 3)
            """,
            id="not-memory-mapped",
        ),
        pytest.param(
            """
            import numpy as np
            flat = np.memmap("d.bin", mode="r").reshape(-1)
            flat2 = np.memmap("d.bin", mode="r").reshape((12,))
            strided = np.memmap("d.bin", mode="r")[::2].reshape(3, 2)
            """,
            id="1-D-results-and-strided-inputs",
        ),
        pytest.param(
            """
            import numpy as np
            def f(path, shape):
                return np.memmap(path, dtype="<u2", mode="r", shape=shape).reshape(10, 20)
            """,
            id="shape-variable-of-unknown-dimensions",
        ),
        pytest.param(
            """
            import numpy as np
            data = np.fromfile("d.bin")
            if lazy:
                data = np.memmap("d.bin", mode="r")
            else:
                grid = data.reshape(4, 4)
            """,
            id="memmap-bound-in-another-branch",
        ),
    ],
)
def test_safe_look_alikes_are_quiet(code: str) -> None:
    assert rows(code, OLD) == [] and rows(code, NEW) == []


def test_view_used_only_by_thread_workers_is_quiet() -> None:
    code = """
    import numpy as np
    from joblib import Parallel, delayed, parallel_config
    data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)
    a = Parallel(n_jobs=2, backend="threading")(delayed(row)(data, i) for i in range(5))
    b = Parallel(n_jobs=2, prefer="threads")(delayed(row)(data, i) for i in range(5))
    with parallel_config(backend="threading"):
        c = Parallel(n_jobs=2)(delayed(row)(data, i) for i in range(5))
    """
    assert rows(code) == []


def test_view_also_sent_to_process_workers_is_reported() -> None:
    code = """
    import numpy as np
    from joblib import Parallel, delayed
    data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)
    a = Parallel(n_jobs=2, backend="threading")(delayed(row)(data, i) for i in range(5))
    b = Parallel(n_jobs=2)(delayed(row)(data, i) for i in range(5))
    """
    assert rows(code) == [3]


def test_noqa_suppresses() -> None:
    code = """
    import numpy as np
    data = np.memmap("data.bin", mode="r").reshape(5, 3)  # noqa: MEM101
    """
    assert rows(code) == []


def _unsafe_fix(code: str) -> str:
    return fix_source(_src(code), "example.py", select=["MEM101"], versions=OLD, options=LIBRARY, unsafe=True)


def test_a_minus_one_dimension_is_counted_from_the_file_size_as_an_unsafe_fix():
    code = """
        import os
        import numpy as np
        a = np.memmap("rec.dat", dtype=np.int16, mode="r").reshape(4, -1)
        b = np.memmap(f"{root}/rec.dat", mode="r+").reshape(-1, 8)
        """
    assert fix_source(_src(code), "example.py", select=["MEM101"], versions=OLD, options=LIBRARY) == _src(code)
    assert _unsafe_fix(code) == _src("""
        import os
        import numpy as np
        a = np.memmap("rec.dat", dtype=np.int16, mode="r", shape=(4, os.path.getsize("rec.dat") // (np.dtype(np.int16).itemsize * 4)))
        b = np.memmap(f"{root}/rec.dat", mode="r+", shape=(os.path.getsize(f"{root}/rec.dat") // (8), 8))
        """)


def test_no_counted_fix_where_the_path_or_the_mode_forbids_it():
    code = """
        import numpy as np
        a = np.memmap(path_of(run), dtype=np.int16, mode="r").reshape(-1, 4)
        f = open("rec.dat", "rb")
        b = np.memmap(f, dtype=np.int16, mode="r").reshape(-1, 4)
        c = np.memmap("new.dat", dtype=np.int16, mode="w+").reshape(-1, 4)
        d = np.memmap("rec.dat", dtype=np.int16, mode="r").reshape(-1, -1)
        """
    assert len(findings(code)) == 4
    assert _unsafe_fix(code) == _src(code)


def test_by_default_a_file_without_parallel_is_not_considered() -> None:
    # Reporting only views that reach a `Parallel` run of the module, the rule has nothing
    # to parse in a file without one; with `require-sink = false` it has.
    from memlint.engine.registry import get_rule

    rule = get_rule("MEM101")
    source = b"import numpy as np\nm = np.memmap('f')\nr = m.reshape(2, 3)\n"
    assert not rule.configured({"require-sink": True}).could_match(source)
    assert rule.configured({"require-sink": False}).could_match(source)
    assert rule.configured({"require-sink": True}).could_match(source + b"from joblib import Parallel\n")
    assert rule.configured({"require-sink": True}).code == "MEM101"
