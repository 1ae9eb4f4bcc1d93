"""The shapes behind the false findings and the misses of the downstream review, written
as small projects of several modules and checked as a user would (`check_paths` on the
project, with its own requirements). Each is written from the shape, not copied."""

from __future__ import annotations

import textwrap
from pathlib import Path

from memlint.api import check_paths


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def found(root: Path) -> list[tuple[str, int, str]]:
    return sorted(
        (Path(d.filename).relative_to(root).as_posix(), d.location.row, d.code)
        for d in check_paths([root])
    )


def test_another_librarys_map_partitions_in_a_package_that_also_uses_dask(tmp_path):
    root = write_project(tmp_path, {
        "pyproject.toml": "[project]\nname = 'pkg'\nversion = '0'\n",
        "requirements.txt": "dask==2026.8.0\n",
        "pkg/__init__.py": "",
        "pkg/partition_manager.py": """
            import numpy as np

            class PartitionManager:
                @classmethod
                def map_partitions(cls, partitions, func):
                    return np.array([[func(p) for p in row] for row in partitions])
            """,
        "pkg/frame.py": """
            import numpy as np
            from .partition_manager import PartitionManager

            class Frame:
                _partition_mgr_cls = PartitionManager

                def __init__(self, partitions):
                    self._partitions = np.array(partitions)

                def reduce(self, func):
                    return self._partition_mgr_cls.map_partitions(self._partitions, func)
            """,
        "pkg/lazy.py": """
            import dask.array as da

            def lazy(x):
                return da.from_array(x, chunks=100).map_blocks(abs)
            """,
    })
    assert found(root) == []


def test_staticmethods_small_state_and_a_fitted_forest(tmp_path):
    root = write_project(tmp_path, {
        "pyproject.toml": "[project]\nname = 'pkg'\nversion = '0'\n",
        "requirements.txt": "dask==2026.8.0\n",
        "readers/calibration.py": """
            import dask.array as da
            import numpy as np
            from sklearn.ensemble import RandomForestRegressor

            class Calibrator:
                def __init__(self, path):
                    self.table = np.load(path)

                @staticmethod
                def _interp(block, table):
                    return np.interp(block, table[0], table[1])

                def calibrate(self, data):
                    return data.map_blocks(self._interp, self.table, dtype=float)

                def labels(self, data):
                    return data.map_blocks(np.searchsorted, self.classes_, dtype=int)

                def fit(self, X, y):
                    self.model_ = RandomForestRegressor(n_estimators=100).fit(X, y)
                    return self

                def predict(self, data):
                    return data.map_blocks(self.model_.predict, dtype=float, drop_axis=1)
            """,
    })
    assert found(root) == [("readers/calibration.py", 24, "MEM203")]


def test_a_memmap_reshaped_for_workers_and_one_reshaped_for_a_copy(tmp_path):
    root = write_project(tmp_path, {
        "pyproject.toml": "[project]\nname = 'ephys'\nversion = '0'\n",
        "requirements.txt": "joblib==1.4.2\n",
        "ephys/io.py": """
            import numpy as np

            def read_block(path, n, width):
                raw = np.memmap(path, dtype="<i2", mode="r")
                out = np.zeros((n, width), dtype="<i2")
                out[:] = raw[: n * width].reshape(n, width)
                return out
            """,
        "ephys/run.py": """
            import numpy as np
            from joblib import Parallel, delayed

            def per_channel(path, n_channels):
                traces = np.memmap(path, dtype="<i2", mode="r").reshape(-1, n_channels)
                by_time = np.memmap(path, dtype="<i2", mode="r").reshape(n_channels, -1).T
                means = Parallel(n_jobs=2)(delayed(np.mean)(traces, axis=0) for _ in range(2))
                spread = Parallel(n_jobs=2)(delayed(np.std)(by_time, axis=0) for _ in range(2))
                return means, spread
            """,
    })
    # The first view reaches the workers C-ordered: wrong on joblib 1.4.2. The second is
    # F-ordered once transposed, which 1.4.2 rebuilds right; the copy never reaches joblib.
    assert found(root) == [("ephys/run.py", 5, "MEM101")]
    (root / "requirements.txt").write_text("joblib==1.6.0\n")
    # From 1.5.0 on it is the other way round: the transposed view arrives wrong (MEM102).
    assert found(root) == [("ephys/run.py", 8, "MEM102")]
