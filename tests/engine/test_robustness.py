"""memlint never crashes on a file: odd bytes, odd syntax and odd shapes of the patterns the
rules look for either give findings or nothing, and a file memlint cannot read is MEM001.
Every input below holds the rules' trigger strings, so each one is really analysed."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from memlint.config import Config
from memlint.engine.checker import check_bytes
from memlint.engine.runner import FixOptions, Project, process_bytes

REPO = Path(__file__).resolve().parents[2]
TRIGGERS = "# memmap reshape .shape Parallel delayed mmap_mode\n"


def code(text: str) -> bytes:
    return (TRIGGERS + textwrap.dedent(text).lstrip("\n")).encode()


INPUTS: dict[str, bytes] = {
    "triggers in a comment only": TRIGGERS.encode(),
    "empty after a BOM": b"\xef\xbb\xbf" + TRIGGERS.encode(),
    "NUL byte": TRIGGERS.encode() + b"x = 1\x00\n",
    "invalid UTF-8": TRIGGERS.encode() + b"s = '\xff\xfe'\n",
    "latin-1 declared": b"# -*- coding: latin-1 -*-\n" + TRIGGERS.encode() + b"s = '\xe9'\n",
    "unknown encoding declared": b"# -*- coding: klingon -*-\n" + TRIGGERS.encode(),
    "deep nesting": TRIGGERS.encode() + b"x = " + b"[" * 300 + b"]" * 300 + b"\n",
    "long line": TRIGGERS.encode() + b"x = [" + b"1, " * 40000 + b"]\n",
    "CRLF": code("import numpy as np\ndata = np.memmap('d', mode='r').reshape(2, 2)\n").replace(b"\n", b"\r\n"),
    "lone CR": code("import numpy as np\ndata = np.memmap('d', mode='r').reshape(2, 2)\n").replace(b"\n", b"\r"),
    "no final newline": code("import numpy as np\ndata = np.memmap('d', mode='r').reshape(2, 2)").rstrip(b"\n"),
    "form feed and tabs": code("\x0cimport numpy as np\nif True:\n\tdata = np.memmap('d')\n\tdata.reshape(2, 2)\n"),
    "unterminated string": TRIGGERS.encode() + b"x = '''never closed\nmemmap.reshape(1)\n",
    "continuation at end of file": TRIGGERS.encode() + b"x = 1 + \\\n",
    "indentation error": code("def f():\nreturn np.memmap('d').reshape(2, 2)\n"),
    "python 2 print": code("print 'memmap'\n"),
    "type parameters (3.12)": code("type Alias = list[int]\ndef f[T](x: T) -> T:\n    return x.reshape(1)\n"),
    "nested f-string quotes (3.12)": code("x = f\"{d[\"memmap\"]}\"\ny = x.reshape(1)\n"),
    "match and walrus": code(
        """
        import numpy as np
        match (m := np.memmap("d", mode="r")):
            case np.memmap() as mm if (n := mm.reshape(2, 2)) is not None:
                pass
            case [a, *rest]:
                rest.reshape(2)
            case {"k": v, **kw}:
                v.T
            case _:
                pass
        """
    ),
    "odd shapes of the patterns": code(
        """
        import numpy as np
        import numpy
        from numpy import memmap as mm, memmap
        from joblib import Parallel, delayed, parallel_backend
        import joblib as jl

        args, kw = ("d",), {"mode": "r"}
        a = np.memmap(*args).reshape(**kw)
        b = np.memmap().reshape()
        c = mm; d = c("f").reshape(-1, *args)
        e = (lambda: np.memmap("f"))().reshape(2, 2)
        f = numpy.lib.format.open_memmap("x.npy", mode="r").reshape(3, 3)
        g = np.load("x.npy", mmap_mode="r").reshape
        g2 = np.load("x.npy", mmap_mode=kw["mode"]).T.reshape(2, 2).T
        h = memmap("f", shape=3).reshape(3, 1)
        h.shape = (1, 3)
        i = memmap("f", shape=(3,)).reshape((3, 1), order="F")
        del h
        global_m = np.memmap("f")

        class K:
            attr = np.memmap("f").reshape(2, 2)

            def __init__(self):
                self.m = np.memmap("f", mode="r")

            def run(self):
                global global_m
                x = self.m.reshape(2, 2)
                return Parallel(n_jobs=2)(delayed(np.sum)(x.T) for _ in range(2))

        def gen():
            nonlocal_ = [np.memmap("f").reshape(2, 2) for _ in range(2)]
            with Parallel(n_jobs=2) as par:
                par(delayed(f)(m.T) for m in nonlocal_)
            with parallel_backend("threading"), Parallel() as p2:
                p2(delayed(f)(global_m.T) for _ in range(2))
            tasks = [delayed(f)(i.T)]
            Parallel(n_jobs=-1, backend=kw.get("b"))(*tasks)
            jl.Parallel()(jl.delayed(f)(x) for x in (global_m.T, global_m.transpose()))
            Parallel()(delayed(f)(*[global_m.T]) for _ in ())
            Parallel()()
            Parallel
            delayed(f)(global_m.T)
            return Parallel()(delayed()(global_m.T) for _ in range(1))

        @delayed
        def decorated(x=np.memmap("f").reshape(2, 2)):
            yield from x.T
        """
    ),
}

# Inputs Python itself accepts must not become MEM001 on this interpreter.
def python_accepts(data: bytes) -> bool:
    try:
        ast.parse(data)
    except (SyntaxError, ValueError):
        return False
    return True


def project(root: Path) -> Project:
    return Project(Config.default(root))


@pytest.mark.parametrize("name", list(INPUTS))
def test_check_never_raises(name, tmp_path):
    data = INPUTS[name]
    settings = project(tmp_path).settings_for(str(tmp_path / "x.py"))
    result = check_bytes(data, str(tmp_path / "x.py"), settings)
    for d in result.diagnostics:
        assert d.location.row >= 1 and d.location.column >= 1
        assert d.end_location >= d.location or d.code == "MEM001"
    mem001 = [d for d in result.diagnostics if d.code == "MEM001"]
    if python_accepts(data):
        assert not mem001, mem001
    assert all("could not analyse" not in d.message for d in mem001)


@pytest.mark.parametrize("name", list(INPUTS))
def test_fixing_never_raises(name, tmp_path):
    data = INPUTS[name]
    result, fixed, error = process_bytes(data, str(tmp_path / "x.py"), project(tmp_path),
                                         FixOptions(fix=True, unsafe=True))
    if fixed is not None:
        assert python_accepts(fixed)


def test_invalid_inputs_are_mem001_with_a_position(tmp_path):
    settings = project(tmp_path).settings_for(str(tmp_path / "x.py"))
    for name in ("NUL byte", "invalid UTF-8", "unknown encoding declared", "unterminated string",
                 "continuation at end of file", "indentation error", "python 2 print"):
        result = check_bytes(INPUTS[name], "x.py", settings)
        assert [d.code for d in result.diagnostics] == ["MEM001"], name


def test_memlints_own_source_and_numpy(tmp_path):
    """Real code: memlint's own sources and numpy's (numpy is a dependency, and its
    sources are full of memmaps and reshapes)."""
    import numpy

    roots = [REPO / "memlint", REPO / "tests", Path(numpy.__file__).parent]
    checked = 0
    for root in roots:
        proj = project(root)
        for path in sorted(root.rglob("*.py")):
            settings = proj.settings_for(str(path))
            result = check_bytes(path.read_bytes(), str(path), settings)
            assert not [d for d in result.diagnostics if d.code == "MEM001"], path
            checked += 1
    assert checked > 400


def test_every_installed_package(tmp_path):
    """Every file of the running interpreter's site-packages (about 2,800 files here, 2 s
    with the pool): no file memlint fails on."""
    import sysconfig

    from memlint.engine.runner import ProjectCache, RunOptions, relevant_files, run_files

    root = Path(sysconfig.get_paths()["purelib"])
    projects = ProjectCache()
    result = run_files(relevant_files([root], projects), projects, FixOptions(), RunOptions(cache=False))
    assert not [d for d in result.diagnostics if "could not analyse" in d.message]


def test_module_level_global_statement_does_not_loop():
    # `global x` at module level names the module scope itself: looking `x` up must end.
    from memlint.api import check_source

    assert check_source("global x\nx.map_blocks(f, m)\n", "g.py") == []
