"""MEM601 dataset-python-containers: what grows with the data, the DataLoaders that make
it a hazard (in the module or another of the project), and the look-alikes."""

from __future__ import annotations

import textwrap

from memlint.api import check_paths, check_source

HEAD = "import glob, json, os\nimport numpy as np\nimport pandas as pd\nimport torch\nfrom torch.utils.data import DataLoader, Dataset\n"


def found(init: str, loader: str = "DataLoader(D(root), num_workers=4)") -> list[int]:
    body = textwrap.indent(textwrap.dedent(init).strip("\n"), " " * 8)
    text = (HEAD + "class D(Dataset):\n    def __init__(self, root):\n" + body + "\n"
            "    def __len__(self):\n        return 1\n    def __getitem__(self, i):\n        return i\n"
            + loader + "\n")
    return [d.location.row - 7 for d in check_source(text, "t.py", select=["MEM601"])]


def test_what_grows_with_the_data():
    assert found("""
        self.a = glob.glob(root + "/*.png")
        self.b = [p.strip() for p in open(root)]
        self.c = {i: p for i, p in enumerate(sorted(glob.glob(root)))}
        self.d = pd.read_csv(root)["path"].tolist()
        self.e = open(root).read().splitlines()
        names = []
        for dirpath, _, files in os.walk(root):
            for f in files:
                names.append(os.path.join(dirpath, f))
        self.f = names
        self.g = json.load(open(root))
        self.h = pd.read_csv(root)
        """) == [1, 2, 3, 4, 5, 10, 11, 12]


def test_arrays_literals_and_what_comes_in_stay_quiet():
    assert found("""
        self.paths = np.array(glob.glob(root), dtype="S")
        self.table = pd.read_parquet(root, dtype_backend="pyarrow")
        self.labels = torch.tensor([0, 1])
        self.classes = ["a", "b", "c"]
        self.root = root
        self.n = len(glob.glob(root))
        self.x, self.y = root, root
        """) == []


def test_the_loader_decides():
    init = "self.paths = glob.glob(root)"
    assert found(init, "DataLoader(D(root), num_workers=0)") == []
    assert found(init, "DataLoader(D(root))") == []
    assert found(init, "ds = D(root)\nloader = DataLoader(ds, 32, True, None, None, 2)") == [1]
    assert found(init, "train, val = torch.utils.data.random_split(D(root), [0.9, 0.1])\n"
                       "DataLoader(train, num_workers=n)") == [1]
    assert found(init, "DataLoader(torch.utils.data.ConcatDataset([D(root), D(root)]), num_workers=2)") == [1]


def test_the_message_names_the_loader_and_the_rewrite():
    text = HEAD + textwrap.dedent("""\
        class D(Dataset):
            def __init__(self, root):
                self.paths = sorted(glob.glob(root))
            def __len__(self):
                return len(self.paths)
            def __getitem__(self, i):
                return self.paths[i]
        loader = DataLoader(D("x"), num_workers=n_workers)
        """)
    (d,) = check_source(text, "t.py", select=["MEM601"])
    assert (d.location.row, d.location.column) == (8, 9)
    assert d.message.startswith("`self.paths` may be a list of the paths of `glob.glob(...)`, stored by `D.__init__`")
    assert "`DataLoader(D(\"x\"), num_workers=n_workers)` reads the dataset with worker processes" in d.message
    assert "np.array(items, dtype=np.bytes_)" in d.message


def test_a_dataset_of_one_module_loaded_in_another(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg/__init__.py").write_text("")
    (tmp_path / "pkg/data.py").write_text(
        "import glob\nfrom torch.utils.data import Dataset\n\nclass Images(Dataset):\n"
        "    def __init__(self, root):\n        self.paths = glob.glob(root + '/*.jpg')\n"
        "    def __len__(self):\n        return len(self.paths)\n"
        "    def __getitem__(self, i):\n        return self.paths[i]\n"
    )
    (tmp_path / "pkg/train.py").write_text(
        "from torch.utils.data import DataLoader\nfrom pkg.data import Images\n\n"
        "def main(root):\n    ds = Images(root)\n    for batch in DataLoader(ds, batch_size=8, num_workers=6):\n        pass\n"
    )
    found = [d for d in check_paths([tmp_path]) if d.code == "MEM601"]
    assert [(d.filename.replace("\\", "/").rsplit("/", 1)[-1], d.location.row) for d in found] == [("data.py", 6)]
    assert "in `train.py` reads the dataset with 6 worker processes" in found[0].message


def test_an_attribute_set_to_none_first_then_filled():
    assert found("""
        self.paths = None
        self.paths = sorted(glob.glob(root))
        """) == [2]
