"""MEM602 dataset-opens-handle: the handles a dataset may keep open, how the workers start,
and the look-alikes that stay quiet."""

from __future__ import annotations

import textwrap

from memlint.api import check_source

HEAD = "import h5py, lmdb, sqlite3, tables\nimport torch\nfrom torch.utils.data import DataLoader, Dataset\n"


def reports(init: str, loader: str = "DataLoader(D(p), num_workers=2)", python: str = "3.12"):
    body = textwrap.indent(textwrap.dedent(init).strip("\n"), " " * 8)
    text = (HEAD + "class D(Dataset):\n    def __init__(self, p):\n" + body + "\n"
            "    def __len__(self):\n        return 1\n    def __getitem__(self, i):\n        return i\n"
            + loader + "\n")
    return check_source(text, "t.py", select=["MEM602"], versions={"python": python})


def rows(init: str, **kw) -> list[int]:
    return [d.location.row - 5 for d in reports(init, **kw)]


def test_the_handles():
    assert rows("""
        self.a = h5py.File(p, "r")
        self.b = h5py.File(p, "r")["images"]
        self.c = tables.open_file(p)
        self.d = open(p, "rb")
        self.e = lmdb.open(p, readonly=True)
        f = h5py.File(p, "r")
        self.g = f["labels"]
        """) == [1, 2, 3, 4, 5, 7]


def test_what_is_not_a_kept_handle():
    assert rows("""
        self.x = h5py.File(p, "r")["x"][:]
        self.y = h5py.File(p, "r")["y"][()]
        self.n = len(h5py.File(p, "r")["x"])
        with h5py.File(p, "r") as f:
            self.m = f["x"].shape
        self.db = sqlite3.connect(p)
        self.count = self.db.execute("select 1").fetchone()[0]
        self.db.close()
        self.file = None
        """) == []


def test_how_the_workers_start_decides_the_words():
    init = 'self.file = h5py.File(p, "r")'
    (spawn,) = reports(init, 'DataLoader(D(p), num_workers=2, multiprocessing_context="spawn")')
    assert "under the spawn start method each worker receives the dataset pickled" in spawn.message
    (set_start,) = reports(init, 'torch.multiprocessing.set_start_method("forkserver")\nDataLoader(D(p), num_workers=2)')
    assert "under the forkserver start method" in set_start.message
    (new,) = reports(init, python="3.14")
    assert "Python 3.14 and later" in new.message and "raises" in new.message
    (old,) = reports(init, python="3.12")
    assert "under fork, Linux's default before Python 3.14 (Python 3.12" in old.message
    (forked,) = reports(init, 'DataLoader(D(p), num_workers=2, multiprocessing_context="fork")', python="3.14")
    assert "forked, every worker shares the one handle" in forked.message
    assert reports(init, "DataLoader(D(p), num_workers=0)") == []
    assert reports(init, "DataLoader(D(p))") == []
