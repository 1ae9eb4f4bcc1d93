"""MEM102 on real shapes (real-world-variants.md, sections 0.1 and 1) and safe look-alikes:
exact rows and messages. The version table is the one measured with joblib 1.4.2 and
1.6.0 (a process backend, the worker's copy compared with the parent's array)."""

from __future__ import annotations

import textwrap

import pytest

from memlint.api import check_source, fix_source

OLD = {"joblib": "1.4.2"}
NEW = {"joblib": "1.6.0"}
HEAD = "import numpy as np\nfrom joblib import Parallel, delayed\n"


def _src(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


def findings(code: str, versions=OLD):
    return check_source(_src(code), "example.py", select=["MEM102"], versions=versions)


def rows(code: str, versions=OLD) -> list[tuple[int, int]]:
    return [(d.location.row, d.location.column) for d in findings(code, versions)]


def test_transposed_nd_memmap_every_version() -> None:
    code = HEAD + _src("""
    data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(3, 4))
    cols = Parallel(n_jobs=2)(delayed(np.sum)(data.T, axis=1) for _ in range(2))
    """)
    for versions in (OLD, NEW, {}):
        (d,) = findings(code, versions)
        assert (d.location.row, d.location.column, d.end_location.column) == (4, 43, 49)
        assert "joblib #1019, every version" in d.message
        assert "np.ascontiguousarray(view)" in d.message and "Transpose inside the worker" in d.message
        assert d.fix is None
    assert fix_source(code, "example.py", select=["MEM102"]) == code


@pytest.mark.parametrize(
    "view",
    ["data.T", "data.transpose()", "np.transpose(data)", "data.swapaxes(0, 1)",
     "np.swapaxes(data, 0, 1)", "np.moveaxis(data, 0, -1)", "data.T[:, 0:2]"],
)
def test_every_transpose_spelling(view: str) -> None:
    code = HEAD + f'data = np.memmap("d.bin", dtype="f8", mode="r", shape=(3, 4))\nParallel(n_jobs=2)(delayed(f)({view}) for _ in range(2))\n'
    assert [r for r, _ in rows(code)] == [4]


def test_through_a_name_and_across_lines() -> None:
    code = """
    import numpy as np
    import joblib
    cube = np.load("cube.npy", mmap_mode="r")
    view = np.swapaxes(cube, 0, 2)
    results = joblib.Parallel(n_jobs=4)(
        joblib.delayed(process)(
            view,
            i,
        )
        for i in range(8)
    )
    """
    assert rows(code) == [(7, 9)]


def test_neuropy_transposed_reshape_on_self_reaches_a_method() -> None:
    # NeuroPy BinarysignalIO: a 1-D memmap, C-reshaped, transposed, kept on self.
    code = HEAD + _src("""
    class BinarysignalIO:
        def __init__(self, filename, n_channels):
            self._raw_traces = np.memmap(filename, dtype="int16", mode="r").reshape(-1, n_channels).T
        def band_power(self):
            return Parallel(n_jobs=4)(delayed(power)(self._raw_traces, ch) for ch in range(8))
    """)
    # F-contiguous view of a 1-D base: joblib < 1.5 rebuilds it F-ordered (right),
    # 1.5.0 and later C-ordered (wrong).
    assert findings(code, OLD) == []
    (d,) = findings(code, NEW)
    assert d.location.row == 7
    assert "joblib 1.6.0 (given) rebuilds it with the wrong memory order (joblib #1703)" in d.message


def test_f_order_reshape_of_a_1d_memmap_transposed_is_wrong_before_1_5() -> None:
    code = HEAD + _src("""
    m = np.memmap("d.bin", dtype="f8", mode="r").reshape(4, 3, order="F").T
    out = Parallel(n_jobs=2)(delayed(f)(m) for _ in range(2))
    """)
    assert [r for r, _ in rows(code, OLD)] == [4]
    assert rows(code, NEW) == []


def test_rosettasciio_edax_chain_sent_to_workers() -> None:
    code = HEAD + _src("""
    def read(f, nz, nx, ny, **kwds):
        data = (
            np.memmap(f, mode="r", offset=1024, dtype="<u2", **kwds)
            .squeeze()
            .reshape((nz, nx, ny), order="F")
            .T
        )
        return Parallel(n_jobs=2)(delayed(g)(data) for _ in range(2))
    """)
    # the shape may come through **kwds: layout unknown, a transposed view in any version
    assert [r for r, _ in rows(code, OLD)] == [10]
    assert [r for r, _ in rows(code, NEW)] == [10]


def test_f_ordered_file_transposed() -> None:
    code = HEAD + _src("""
    m = np.memmap("d.bin", dtype="f8", mode="r", shape=(4, 3), order="F")
    a = Parallel(n_jobs=2)(delayed(f)(m.T) for _ in range(2))
    b = Parallel(n_jobs=2)(delayed(f)(m) for _ in range(2))
    """)
    assert [r for r, _ in rows(code, OLD)] == [4]


def test_every_parallel_spelling() -> None:
    code = HEAD + _src("""
    data = np.memmap("d.bin", dtype="f8", mode="r", shape=(3, 4))
    pool = Parallel(n_jobs=2)
    a = pool(delayed(f)(data.T) for _ in range(2))
    with Parallel(n_jobs=2) as parallel:
        b = parallel(delayed(f)(x=data.T) for _ in range(2))
    tasks = [delayed(f)(data.T) for _ in range(2)]
    c = Parallel(n_jobs=2)(tasks)
    more = []
    for i in range(3):
        more.append(delayed(f)(data.T, i))
    d = Parallel(n_jobs=2)(more)
    task = delayed(f)
    e = Parallel(n_jobs=2)(task(data.T) for _ in range(2))
    """)
    assert [r for r, _ in rows(code)] == [5, 7, 8, 12, 15]


def test_sklearn_parallel() -> None:
    code = """
    import numpy as np
    from sklearn.utils.parallel import Parallel, delayed
    data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(3, 4))
    Parallel(n_jobs=2)(delayed(f)(np.moveaxis(data, 0, 1)) for _ in range(2))
    """
    assert [r for r, _ in rows(code)] == [4]


def test_backend_given_by_a_variable_says_may() -> None:
    code = HEAD + _src("""
    def run(data_path, backend):
        data = np.memmap(data_path, dtype="f8", mode="r", shape=(3, 4))
        return Parallel(n_jobs=2, backend=backend)(delayed(f)(data.T) for _ in range(2))
    """)
    (d,) = findings(code)
    assert d.location.row == 5
    assert "workers that may be processes" in d.message


def test_memmap_on_one_branch_says_may() -> None:
    code = HEAD + _src("""
    def run(path, lazy):
        if lazy:
            data = np.memmap(path, dtype="f8", mode="r", shape=(3, 4))
        else:
            data = np.zeros((3, 4))
        return Parallel(n_jobs=2)(delayed(f)(data.T) for _ in range(2))
    """)
    (d,) = findings(code)
    assert d.location.row == 8 and "This argument may be a transposed view" in d.message


# -- safe look-alikes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        pytest.param('Parallel(n_jobs=2, backend="threading")(delayed(f)(data.T) for _ in range(2))', id="backend-threading"),
        pytest.param('Parallel(n_jobs=2, prefer="threads")(delayed(f)(data.T) for _ in range(2))', id="prefer-threads"),
        pytest.param('Parallel(n_jobs=2, require="sharedmem")(delayed(f)(data.T) for _ in range(2))', id="require-sharedmem"),
        pytest.param('from joblib import parallel_config\nwith parallel_config(backend="threading"):\n    Parallel(n_jobs=2)(delayed(f)(data.T) for _ in range(2))', id="parallel-config"),
        pytest.param('from joblib import parallel_backend\nwith parallel_backend("threading"):\n    Parallel(n_jobs=2)(delayed(f)(data.T) for _ in range(2))', id="parallel-backend"),
        pytest.param("Parallel(n_jobs=1)(delayed(f)(data.T) for _ in range(2))", id="n-jobs-1"),
        pytest.param("Parallel(n_jobs=2)(delayed(f)(np.ascontiguousarray(data.T)) for _ in range(2))", id="ascontiguousarray"),
        pytest.param("Parallel(n_jobs=2)(delayed(f)(data.T.copy()) for _ in range(2))", id="copy"),
        pytest.param("Parallel(n_jobs=2)(delayed(f)(np.array(data.T)) for _ in range(2))", id="np-array"),
        pytest.param("Parallel(n_jobs=2)(delayed(f)(data) for _ in range(2))", id="untransposed"),
        pytest.param("Parallel(n_jobs=2)(delayed(f)(data.T.T) for _ in range(2))", id="transposed-back"),
        pytest.param("Parallel(n_jobs=2)(delayed(f)(data.T[0:2]) for _ in range(2))", id="non-contiguous-view"),
        pytest.param("x = np.zeros((3, 4))\nParallel(n_jobs=2)(delayed(f)(x.T) for _ in range(2))", id="in-memory-array"),
        pytest.param('Parallel(n_jobs=2)(delayed(f)("data.bin", i) for i in range(2))', id="file-name-shipped"),
        pytest.param('out = np.memmap("o.bin", dtype=float, mode="w+", shape=(3, 4))\nParallel(n_jobs=2)(delayed(fill)(out, i) for i in range(3))', id="output-memmap"),
        pytest.param('flat = np.memmap("d.bin", mode="r")\nParallel(n_jobs=2)(delayed(f)(flat.T) for _ in range(2))', id="1-D-transpose-is-a-no-op"),
        pytest.param("total = np.sum(data.T)", id="no-parallel"),
    ],
)
def test_safe_look_alikes_are_quiet(code: str) -> None:
    src = HEAD + 'data = np.memmap("d.bin", dtype="f8", mode="r", shape=(3, 4))\n' + code + "\n"
    assert rows(src, OLD) == [] and rows(src, NEW) == []


def test_explicit_process_backend_inside_a_thread_context_is_reported() -> None:
    code = HEAD + _src("""
    from joblib import parallel_config
    data = np.memmap("d.bin", dtype="f8", mode="r", shape=(3, 4))
    with parallel_config(backend="threading"):
        Parallel(n_jobs=2, backend="loky")(delayed(f)(data.T) for _ in range(2))
    """)
    assert [r for r, _ in rows(code)] == [6]


def test_noqa_and_ignore_comments() -> None:
    code = HEAD + _src("""
    data = np.memmap("d.bin", dtype="f8", mode="r", shape=(3, 4))
    a = Parallel(n_jobs=2)(delayed(f)(data.T) for _ in range(2))  # noqa: MEM102
    # memlint: ignore[MEM102]
    b = Parallel(n_jobs=2)(delayed(f)(data.T) for _ in range(2))
    c = Parallel(n_jobs=2)(delayed(f)(data.T) for _ in range(2))  # noqa: MEM101
    """)
    assert [r for r, _ in rows(code)] == [7]
