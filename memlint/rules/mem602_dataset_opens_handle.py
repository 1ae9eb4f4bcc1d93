from __future__ import annotations

import os
import re

import libcst as cst

from memlint.analysis import loaders, pools
from memlint.engine import shapes
from memlint.engine.rule import Invalid, Rule, Valid, one_line

# The shape, as text, in a class's `__init__`: a call opening a file or a connection.
_OPENS = re.compile(rb"\b(?:File|open|open_file|connect|Dataset|ZipFile)\(")


def _could_open(data: bytes) -> bool:
    return shapes.in_an_init(data, _OPENS)


class DatasetOpensHandle(Rule):
    """
    ## What it does
    Finds a map-style dataset (a class with `__getitem__` and `__len__`, such as a
    `torch.utils.data.Dataset` subclass) whose `__init__` stores an open handle on `self`
    (`h5py.File`, an HDF5 dataset of one, `tables.open_file`, `netCDF4.Dataset`,
    `lmdb.open`, `sqlite3.connect`, `open`, ...), when an instance reaches
    `DataLoader(..., num_workers=N)` with N not 0.

    ## Why is this bad?
    Workers started by spawn or forkserver receive the dataset pickled, and no open handle
    pickles: the loader raises as it starts its workers (`TypeError: h5py objects cannot
    be pickled`). Python 3.14 made forkserver the default start method on Linux (it was
    already spawn on macOS and Windows), so code that ran under fork for years fails
    there. Under fork every worker shares the one handle the parent opened, with its file
    position and library state: h5py's maintainers say it does not support reading one
    file object from several processes, and a shared `open()` file moves one offset for
    all of them.

    ## Example
    ```python
    import h5py
    from torch.utils.data import DataLoader, Dataset

    class Frames(Dataset):
        def __init__(self, path):
            self.file = h5py.File(path, "r")

        def __len__(self):
            return len(self.file["x"])

        def __getitem__(self, i):
            return self.file["x"][i]

    loader = DataLoader(Frames("frames.h5"), num_workers=4, multiprocessing_context="spawn")
    ```

    ## Use instead
    ```python
    import h5py
    from torch.utils.data import DataLoader, Dataset

    class Frames(Dataset):
        def __init__(self, path):
            self.path = path
            self.file = None
            with h5py.File(path, "r") as f:
                self.length = len(f["x"])

        def __len__(self):
            return self.length

        def __getitem__(self, i):
            if self.file is None:  # once in each worker
                self.file = h5py.File(self.path, "r")
            return self.file["x"][i]

    loader = DataLoader(Frames("frames.h5"), num_workers=4, multiprocessing_context="spawn")
    ```
    Store the path, and open the file in the worker: on first use in `__getitem__`, or
    in the loader's `worker_init_fn`.

    ## Fix safety
    There is no fix: the rewrite moves the open into `__getitem__`.

    ## Affected versions
    Every PyTorch version. It raises when the code names the spawn or forkserver start
    method (`multiprocessing_context=`, `set_start_method`), and with the default start
    method on Python 3.14 and later; under fork the handle is shared, which the message
    says may go wrong.

    ## References
    - [pytorch #11929: h5py in a Dataset with DataLoader workers](https://github.com/pytorch/pytorch/issues/11929)
    - [pytorch #11887: loading HDF5 files with multiple workers](https://github.com/pytorch/pytorch/issues/11887)
    - [h5py: multiprocessing (open files in each process)](https://docs.h5py.org/en/stable/mpi.html)
    - [What's New in Python 3.14: forkserver is the default start method on Linux](https://docs.python.org/3/whatsnew/3.14.html#multiprocessing)
    """

    code = "MEM602"
    name = "dataset-opens-handle"
    summary = "A dataset keeps a file handle open from `__init__`; DataLoader workers cannot share it"
    libraries = ("python",)
    triggers = ((b"torch.utils.data", b"__getitem__"),)
    shape_filter = staticmethod(_could_open)
    # A dataset's methods, and the DataLoaders that read it anywhere in the module.
    partial_parse = False

    valid = (
        Valid(
            """
            import h5py
            from torch.utils.data import DataLoader, Dataset
            class Frames(Dataset):
                def __init__(self, path):
                    self.path = path
                    self.file = None
                    with h5py.File(path, "r") as f:
                        self.length = len(f["x"])
                def __len__(self):
                    return self.length
                def __getitem__(self, i):
                    if self.file is None:
                        self.file = h5py.File(self.path, "r")
                    return self.file["x"][i]
            loader = DataLoader(Frames("frames.h5"), num_workers=4, multiprocessing_context="spawn")
            """,
            note="the documented rewrite: opened lazily in each worker",
        ),
        Valid(
            """
            import h5py
            from torch.utils.data import DataLoader, Dataset
            class Frames(Dataset):
                def __init__(self, path):
                    self.x = h5py.File(path, "r")["x"][:]
                def __len__(self):
                    return len(self.x)
                def __getitem__(self, i):
                    return self.x[i]
            loader = DataLoader(Frames("frames.h5"), num_workers=4)
            """,
            note="the data read out into an array",
        ),
        Valid(
            """
            import h5py
            from torch.utils.data import DataLoader, Dataset
            class Frames(Dataset):
                def __init__(self, path):
                    self.file = h5py.File(path, "r")
                def __len__(self):
                    return len(self.file["x"])
                def __getitem__(self, i):
                    return self.file["x"][i]
            loader = DataLoader(Frames("frames.h5"), batch_size=8)
            """,
            note="no worker processes",
        ),
    )
    invalid = (
        Invalid(
            """
            from h5py import File as H5File
            from torch.utils.data import DataLoader, Dataset

            class Frames(Dataset):
                def __init__(self, path):
                    self.file = H5File(path, "r")

                def __len__(self):
                    return len(self.file["x"])

                def __getitem__(self, i):
                    return self.file["x"][i]

            loader = DataLoader(Frames("frames.h5"), num_workers=4, multiprocessing_context="spawn")
            """,
            lines=[6],
        ),
        Invalid(
            """
            import h5py
            from torch.utils.data import DataLoader, Dataset

            class Frames(Dataset):
                def __init__(self, path):
                    self.file = h5py.File(path, "r")

                def __len__(self):
                    return len(self.file["x"])

                def __getitem__(self, i):
                    return self.file["x"][i]

            loader = DataLoader(Frames("frames.h5"), num_workers=4, multiprocessing_context="spawn")
            """,
            lines=[6],
            message="raises",
        ),
        Invalid(
            """
            import sqlite3
            import torch

            class Rows(torch.utils.data.Dataset):
                def __init__(self, db):
                    self.conn = sqlite3.connect(db)
                    self.n = self.conn.execute("select count(*) from t").fetchone()[0]

                def __len__(self):
                    return self.n

                def __getitem__(self, i):
                    return self.conn.execute("select * from t where id = ?", (i,)).fetchone()

            loader = torch.utils.data.DataLoader(Rows("rows.db"), num_workers=2)
            """,
            lines=[6],
            versions={"python": "3.12"},
            message="shares the one handle",
        ),
    )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        model = self.ctx.model
        init = loaders.own_init(node)
        if init is None or not loaders.is_map_style(node, model):
            return
        stored = list(loaders.first_per_attribute(
            (stmt, attr, opener) for stmt, attr, value in loaders.stored_on_self(init, model)
            if isinstance(stmt, cst.Assign) and (opener := loaders.opened_handle(value, init, model))
            and not loaders.closed_in(attr, init, model)
        ))
        loads = loaders.loadings(node, model) if stored else []
        for stmt, attr, opener in stored if loads else ():
            self._report(stmt, node, attr, opener, loads)

    def _report(self, stmt, cls: cst.ClassDef, attr: str, opener: str, loads: list[loaders.Loading]) -> None:
        from_314 = self.ctx.affected("python", pools.FORKSERVER_DEFAULT)
        load = loads[0]
        why = None
        for candidate in loads:
            why = pools.fresh_start({candidate.start_method}, from_314)
            if why is not None:
                load = candidate
                break
        call = one_line(load.model.module.code_for_node(load.call), 50)
        where = ""
        if load.model is not self.ctx.model and load.model.path:
            where = f" in `{os.path.basename(load.model.path)}`"
        head = (f"`self.{attr}` is an open handle ({opener}) that `{cls.name.value}.__init__` "
                f"stores, and `{call}`{where} reads the dataset with worker processes")
        if why is not None:
            python = ""
            if why == pools.DEFAULT_FROM_314:
                python = f" ({self.ctx.version('python').describe()})"
            body = (f": under {why}{python} each worker receives the dataset pickled, and "
                    "no open handle pickles, so the loader raises as it starts them "
                    "(h5py: `TypeError: h5py objects cannot be pickled`)")
        else:
            forked = ("forked" if load.start_method == "fork" else
                      f"under fork, Linux's default before Python 3.14 ({self.ctx.version('python').describe()})")
            body = (f": {forked}, every worker shares the one handle the parent opened, with "
                    "its file position and library state, which h5py and sqlite3 do not "
                    "support and may give wrong data; under spawn or forkserver (the default "
                    "from Python 3.14 on Linux) it raises, since no handle pickles")
        self.report(stmt, (
            f"{head}{body}. Store the path and open it in the worker: on first use in "
            "`__getitem__` (`if self.file is None: self.file = ...`) or in the loader's "
            "`worker_init_fn`."))
