from __future__ import annotations

import os
import re

import libcst as cst

from memlint.analysis import loaders
from memlint.engine import shapes
from memlint.engine.rule import Invalid, Rule, Valid, one_line

# The shape, as text, in a class's `__init__`: what fills a container with one Python
# object per item of the data (a loop, a listing, a reader, a parser, a range).
_GROWS = re.compile(
    rb"\b(?:glob|iglob|rglob|listdir|scandir|walk|readlines|splitlines|tolist|reader|DictReader|"
    rb"range|open|loads?|safe_load)\(|\bread_\w+\(|\.(?:append|extend|add|insert|update|setdefault)\("
    rb"|\b(?:for|while)\b"
)


def _could_hold_objects(data: bytes) -> bool:
    return shapes.in_an_init(data, _GROWS)


class DatasetPythonContainers(Rule):
    """
    ## What it does
    Finds a map-style dataset (a class with `__getitem__` and `__len__`, such as a
    `torch.utils.data.Dataset` subclass) whose `__init__` stores on `self` a Python list,
    dict or set that grows with the data (built over `glob`, a directory listing, a
    file's lines, `json.load`, `.tolist()`, or filled in a loop), or a pandas data frame
    read from a file, when an instance reaches `DataLoader(..., num_workers=N)` with N not
    0, in the same module or another module of the project.

    ## Why is this bad?
    Each `DataLoader` worker is a copy of the parent holding the dataset. Reading an item
    of a Python container writes the item's reference count, so every page the items sit
    on is copied into the worker that reads them: the memory of each worker grows by the
    whole container, although nothing is modified (pytorch #13246 and its duplicates; the
    PyTorch docs warn about it). Measured with a list of 3 million path strings: 231 MB of
    private memory per forked worker, 1 MB when the same paths are a numpy bytes array. A
    pandas column of `object` dtype, or of pandas 3's `str` without pyarrow, behaves like
    the list; an Arrow-backed string column like the array.

    ## Example
    ```python
    import glob

    from torch.utils.data import DataLoader, Dataset

    class Images(Dataset):
        def __init__(self, root):
            self.paths = sorted(glob.glob(f"{root}/*.jpg"))

        def __len__(self):
            return len(self.paths)

        def __getitem__(self, i):
            return load(self.paths[i])

    loader = DataLoader(Images("data"), batch_size=64, num_workers=8)
    ```

    ## Use instead
    ```python
    import glob

    import numpy as np
    from torch.utils.data import DataLoader, Dataset

    class Images(Dataset):
        def __init__(self, root):
            self.paths = np.array(sorted(glob.glob(f"{root}/*.jpg")), dtype=np.bytes_)

        def __len__(self):
            return len(self.paths)

        def __getitem__(self, i):
            return load(self.paths[i].decode())

    loader = DataLoader(Images("data"), batch_size=64, num_workers=8)
    ```
    A numpy array holds its items in one buffer that reading never writes. For items of
    varied length, concatenate their bytes into one array with an array of offsets; for a
    data frame, keep numeric columns as numpy arrays and text as Arrow-backed strings
    (`dtype="string[pyarrow]"`, or `dtype_backend="pyarrow"` when reading).

    ## Fix safety
    There is no fix: `__getitem__` has to decode what it reads.

    ## Affected versions
    Every PyTorch version, with any start method of the workers (under spawn and
    forkserver each worker unpickles its own copy of the whole dataset instead).

    ## References
    - [pytorch #13246: DataLoader workers' memory grows with Python lists in the dataset](https://github.com/pytorch/pytorch/issues/13246)
    - [PyTorch docs: torch.utils.data, multi-process data loading (the copy-on-read warning)](https://pytorch.org/docs/stable/data.html#multi-process-data-loading)
    - [Demystify RAM usage in multi-process data loaders](https://ppwwyyxx.com/blog/2022/Demystify-RAM-Usage-in-Multiprocess-DataLoader/)
    """

    code = "MEM601"
    name = "dataset-python-containers"
    summary = "A dataset's Python containers are copied into every DataLoader worker that reads them"
    # `from torch.utils.data import Dataset` or `DataLoader`, `torch.utils.data.Subset`...
    triggers = ((b"torch.utils.data", b"__getitem__"),)
    shape_filter = staticmethod(_could_hold_objects)
    # A dataset's methods, and the DataLoaders that read it anywhere in the module.
    partial_parse = False

    valid = (
        Valid(
            """
            import glob
            import numpy as np
            from torch.utils.data import DataLoader, Dataset
            class Images(Dataset):
                def __init__(self, root):
                    self.paths = np.array(sorted(glob.glob(f"{root}/*.jpg")), dtype=np.bytes_)
                def __len__(self):
                    return len(self.paths)
                def __getitem__(self, i):
                    return self.paths[i].decode()
            loader = DataLoader(Images("data"), batch_size=64, num_workers=8)
            """,
            note="the documented rewrite: a numpy bytes array",
        ),
        Valid(
            """
            import glob
            from torch.utils.data import DataLoader, Dataset
            class Images(Dataset):
                def __init__(self, root):
                    self.paths = sorted(glob.glob(f"{root}/*.jpg"))
                def __len__(self):
                    return len(self.paths)
                def __getitem__(self, i):
                    return self.paths[i]
            loader = DataLoader(Images("data"), batch_size=64, num_workers=0)
            """,
            note="num_workers=0: the main process reads it",
        ),
        Valid(
            """
            from torch.utils.data import DataLoader, Dataset
            class Pairs(Dataset):
                def __init__(self, x, y):
                    self.x, self.y = x, y
                    self.classes = ["cat", "dog"]
                def __len__(self):
                    return len(self.x)
                def __getitem__(self, i):
                    return self.x[i], self.y[i]
            loader = DataLoader(Pairs(x, y), num_workers=4)
            """,
            note="a small literal list, and arrays handed in",
        ),
        Valid(
            """
            import glob
            from torch.utils.data import Dataset
            class Images(Dataset):
                def __init__(self, root):
                    self.paths = sorted(glob.glob(f"{root}/*.jpg"))
                def __len__(self):
                    return len(self.paths)
                def __getitem__(self, i):
                    return self.paths[i]
            """,
            note="no DataLoader with workers reads it in the project",
        ),
    )
    invalid = (
        Invalid(
            """
            import os
            from torch.utils.data import DataLoader, Dataset

            class Crops(Dataset):
                def __init__(
                    self, root, size=(224, 224),
                ):
                    self.names = os.listdir(root)
                    self.size = size

                def __len__(self):
                    return len(self.names)

                def __getitem__(self, i):
                    return self.names[i]

            loader = DataLoader(Crops("crops"), num_workers=2)
            """,
            lines=[8],
            message="may be",
        ),
        Invalid(
            """
            from glob import glob as find
            from torch.utils.data import DataLoader, Dataset

            class Tiles(Dataset):
                def __init__(self, root):
                    self.paths = find(root + "/*.png")

                def __len__(self):
                    return len(self.paths)

                def __getitem__(self, i):
                    return self.paths[i]

            loader = DataLoader(Tiles("tiles"), num_workers=2)
            """,
            lines=[6],
        ),
        Invalid(
            """
            from torch.utils.data import DataLoader, Dataset

            class Shuffled(Dataset):
                def __init__(self, data, n):
                    self.data = data
                    self.order = list(range(n))

                def __len__(self):
                    return len(self.order)

                def __getitem__(self, i):
                    return self.data[self.order[i]]

            loader = DataLoader(Shuffled(data, 10**7), num_workers=2)
            """,
            lines=[6],
            message="may be",
        ),
        Invalid(
            """
            import glob

            from torch.utils.data import DataLoader, Dataset

            class Images(Dataset):
                def __init__(self, root):
                    self.paths = sorted(glob.glob(f"{root}/*.jpg"))

                def __len__(self):
                    return len(self.paths)

                def __getitem__(self, i):
                    return load(self.paths[i])

            loader = DataLoader(Images("data"), batch_size=64, num_workers=8)
            """,
            lines=[7],
            message="8 worker processes",
        ),
        Invalid(
            """
            import json

            import torch

            class Captions:
                def __init__(self, index_file, workers):
                    self.samples = []
                    with open(index_file) as f:
                        for line in f:
                            self.samples.append(json.loads(line))
                    self.vocab = json.load(open("vocab.json"))

                def __len__(self):
                    return len(self.samples)

                def __getitem__(self, i):
                    return self.samples[i]

            def make(index_file, workers):
                data = torch.utils.data.Subset(Captions(index_file, workers), range(100))
                return torch.utils.data.DataLoader(data, num_workers=workers)
            """,
            lines=[7, 11],
            message="may",
        ),
    )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        model = self.ctx.model
        init = loaders.own_init(node)
        if init is None or not loaders.is_map_style(node, model):
            return
        stored = list(loaders.first_per_attribute(
            (stmt, attr, growing) for stmt, attr, value in loaders.stored_on_self(init, model)
            if (growing := self._growing(attr, value, init)) is not None
        ))
        loads = loaders.loadings(node, model) if stored else []
        for stmt, attr, growing in stored if loads else ():
            self._report(stmt, node, attr, growing, loads[0])

    def _growing(self, attr: str, value: cst.BaseExpression, init: cst.FunctionDef) -> loaders.Growing | None:
        """What the container `init` stores is, when it grows with the data."""
        model = self.ctx.model
        growing = loaders.python_objects(value, init, model)
        if growing is None and loaders.is_empty(value):
            growing = loaders.filled(loaders.self_uses(attr, init, model), init, model)
        return growing

    def _report(self, stmt, cls: cst.ClassDef, attr: str, growing: loaders.Growing, load: loaders.Loading) -> None:
        verb = "is" if growing.certain else "may be"
        call = one_line(self.ctx.module.code_for_node(load.call) if load.model is self.ctx.model
                        else load.model.module.code_for_node(load.call), 50)
        where = ""
        if load.model is not self.ctx.model and load.model.path:
            where = f" in `{os.path.basename(load.model.path)}`"
        workers = f"{load.workers} worker processes" if load.certain else "worker processes (`num_workers` is not 0)"
        if not load.certain:
            verb = "may be" if verb == "is" else verb
        message = (
            f"`self.{attr}` {verb} {growing.what}, stored by `{cls.name.value}.__init__`, and "
            f"`{call}`{where} reads the dataset with {workers}: reading an item writes its "
            "reference count, so each worker gets its own copy of every page the items sit "
            "on, and its memory grows by the whole container (pytorch #13246; measured: "
            "231 MB per worker for 3 million paths in a list, 1 MB as a numpy bytes array). "
            "Store it as a numpy array (`np.array(items, dtype=np.bytes_)`, decoded in "
            "`__getitem__`), one bytes buffer with an array of offsets, or Arrow-backed "
            "strings for a data frame."
        )
        self.report(stmt, message)
