"""Module names, relative imports and re-exports, as the project index reads them."""

from __future__ import annotations

import textwrap

from memlint.index import ProjectIndex
from memlint.index.exports import DEFINED, IMPORT, read_exports
from memlint.index.modules import absolute, module_name


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


def test_a_file_is_named_from_its_outermost_package(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "", "pkg/io/__init__.py": "", "pkg/io/raw.py": "",
                     "script.py": "", "src/lib/__init__.py": ""})
    assert module_name(tmp_path / "pkg/io/raw.py", tmp_path)[:2] == ("pkg.io.raw", tmp_path)
    assert module_name(tmp_path / "pkg/io/__init__.py", tmp_path) == ("pkg.io", tmp_path, True)
    assert module_name(tmp_path / "script.py", tmp_path)[0] == "script"
    assert module_name(tmp_path / "src/lib/__init__.py", tmp_path)[:2] == ("lib", tmp_path / "src")


def test_relative_imports_climb_from_the_module_or_its_package():
    assert absolute(".common", "pkg.io.raw", False) == "pkg.io.common"
    assert absolute("..core.netcdf", "pkg.io.raw", False) == "pkg.core.netcdf"
    assert absolute(".raw", "pkg.io", True) == "pkg.io.raw"
    assert absolute(".", "pkg.io.raw", False) == "pkg.io"
    assert absolute("...x", "pkg.raw", False) is None  # above the top package


def test_exports_are_the_imports_and_definitions_of_the_top_level():
    found = read_exports(textwrap.dedent("""
        import numpy as np
        import dask.array
        from .common import (da,
                             delayed as dl)
        try:
            from ._fast import kernel
        except ImportError:
            kernel = None

        def load(path):
            import pandas as pd
            return pd.read_csv(path)

        class Reader:
            pass
        LIMIT = 10
        """))
    assert found.names["np"] == (IMPORT, "numpy")
    assert found.names["dask"] == (IMPORT, "dask")
    assert found.names["da"] == (IMPORT, ".common.da")
    assert found.names["dl"] == (IMPORT, ".common.delayed")
    assert found.names["kernel"] == (IMPORT, "._fast.kernel")
    assert found.names["load"] == (DEFINED, "def")
    assert found.names["Reader"] == (DEFINED, "class")
    assert found.names["LIMIT"] == (DEFINED, None)
    assert "pd" not in found.names  # imported inside a def: not the module's


def test_a_re_export_is_followed_to_the_library_it_names(tmp_path):
    write(tmp_path, {
        "pkg/__init__.py": "from .compat import np\n",
        "pkg/compat.py": "import numpy as np\n",
        "pkg/io.py": "def load(path):\n    return path\n",
        "pkg/more.py": '"""from numpy import memmap as fake"""\nfrom dask.array import from_array, \\\n    map_blocks as mb\nfrom joblib import (\n    Parallel,\n    delayed)\n',
    })
    index = ProjectIndex(tmp_path)
    index.begin(str(tmp_path / "pkg/io.py"), (tmp_path / "pkg/io.py").read_text())
    assert index.canonical("pkg.compat.np.memmap") == "numpy.memmap"
    assert index.canonical("pkg.np.memmap") == "numpy.memmap"
    assert index.canonical("pkg.io.load") == "pkg.io.load"
    assert index.canonical("numpy.memmap") == "numpy.memmap"
    # imports over several lines; a docstring that spells one binds nothing
    assert index.canonical("pkg.more.mb") == "dask.array.map_blocks"
    assert index.canonical("pkg.more.delayed") == "joblib.delayed"
    assert index.canonical("pkg.more.fake") == "pkg.more.fake"
    model, node = index.symbol("pkg.io.load")
    assert node.name.value == "load" and model.path.endswith("io.py")
    assert index.symbol("pkg.io.missing") is None


def test_the_index_reads_nothing_outside_the_project_root(tmp_path):
    write(tmp_path, {"outside/__init__.py": "", "outside/mod.py": "X = 1\n", "proj/app.py": ""})
    index = ProjectIndex(tmp_path / "proj")
    index.begin(str(tmp_path / "proj/app.py"), "")
    assert index.file_of("outside.mod") is None
    assert index.dependencies() == {}
