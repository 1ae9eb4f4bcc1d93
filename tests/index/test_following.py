"""Values followed across functions, classes and modules, checked as a user would: a small
project of several modules with its own requirements, `check_paths` on it. Each blind spot
of the downstream review is an invalid case written from its shape; the look-alikes that
must stay quiet are next to them."""

from __future__ import annotations

import textwrap
from pathlib import Path

from memlint.api import check_paths

REQUIREMENTS = {"pyproject.toml": "[project]\nname = 'pkg'\nversion = '0'\n",
                "requirements.txt": "dask==2025.1.0\nnumpy\nscikit-learn==1.5.0\n",
                "pkg/__init__.py": ""}


def check(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, int, str, bool]]:
    """(file, line, code, says "may") of each finding."""
    for name, text in {**REQUIREMENTS, **files}.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return sorted(
        (Path(d.filename).relative_to(tmp_path).as_posix(), d.location.row, d.code, " may " in d.message)
        for d in check_paths([tmp_path])
    )


LOADER = """
    import numpy as np

    def open_raw(path):
        return np.memmap(path, dtype="f4", mode="r")

    def open_copy(path):
        return np.array(np.memmap(path, dtype="f4", mode="r"))

    def open_many(paths):
        for p in paths:
            yield np.memmap(p, dtype="f4", mode="r")
    """


def test_a_memmap_returned_by_a_loader_of_another_module(tmp_path):
    found = check(tmp_path, {"pkg/io.py": LOADER, "pkg/lazy.py": """
        import dask.array as da
        from .io import open_raw, open_copy

        def lazy(path):
            return da.from_array(open_raw(path), chunks=4096)

        def eager(path):
            return da.from_array(open_copy(path), chunks=4096)
        """})
    assert found == [("pkg/lazy.py", 5, "MEM201", False)]


def test_the_loader_is_the_one_imported_not_one_of_the_same_name(tmp_path):
    found = check(tmp_path, {"pkg/io.py": LOADER, "pkg/other.py": """
        import numpy as np

        def open_raw(path):
            return np.fromfile(path, dtype="f4")
        """, "pkg/lazy.py": """
        import dask.array as da
        from pkg.other import open_raw

        def lazy(path):
            return da.from_array(open_raw(path), chunks=4096)
        """})
    assert found == []


def test_an_absolute_import_of_a_module_and_a_generator_loader(tmp_path):
    found = check(tmp_path, {"pkg/io.py": LOADER, "pkg/lazy.py": """
        import dask.array as da
        import pkg.io

        def lazy(path):
            return da.from_array(pkg.io.open_raw(path), chunks=4096)

        def each(paths):
            return [da.from_array(m) for m in pkg.io.open_many(paths)]
        """})
    # The generator's items are followed no further: a call of it is not what it yields.
    assert found == [("pkg/lazy.py", 5, "MEM201", False)]


def test_a_memmap_stored_by_a_base_class_of_another_module(tmp_path):
    found = check(tmp_path, {"pkg/base.py": """
        import numpy as np

        class FileHandler:
            def read(self):
                self._data = np.memmap(self.filename, dtype="u2", mode="r")
                self._names = ["a", "b"]
        """, "pkg/reader.py": """
        import dask.array as da
        from .base import FileHandler

        class ChannelReader(FileHandler):
            def channel(self, i):
                return da.from_array(self._data[i::3], chunks=1000)

            def names(self):
                return da.from_array(self._names)
        """})
    assert found == [("pkg/reader.py", 6, "MEM201", False)]


def test_a_memmap_behind_a_cached_property_and_a_method(tmp_path):
    found = check(tmp_path, {"pkg/reader.py": """
        from functools import cached_property

        import dask.array as da
        import numpy as np

        class Reader:
            @cached_property
            def _data(self):
                return self.read()

            def read(self):
                data = np.memmap(self.filename, dtype="u2", mode="r")
                if data[0] > 1024:
                    data = data.view(data.dtype.newbyteorder())
                return data

            def channel(self, i):
                return da.from_array(self._data[:, i], chunks=1000)
        """})
    assert found == [("pkg/reader.py", 18, "MEM201", True)]


def test_a_helper_parameter_fed_from_its_calls(tmp_path):
    found = check(tmp_path, {"pkg/calib.py": """
        import dask.array as da
        import numpy as np

        def _calibrate(counts, scale):
            return da.from_array(counts, chunks=100) * scale

        def _smooth(values):
            return da.from_array(values, chunks=100)

        def visible(path):
            return _calibrate(np.load(path, mmap_mode="r"), 0.5)

        def infrared(path):
            return _smooth(np.load(path)) + _smooth(np.zeros(10))
        """})
    assert found == [("pkg/calib.py", 5, "MEM201", False)]


def test_a_parameter_some_callers_feed_a_memmap_may_be_one(tmp_path):
    found = check(tmp_path, {"pkg/calib.py": """
        import dask.array as da
        import numpy as np

        def _lazy(values):
            return da.from_array(values, chunks=100)

        def a(path):
            return _lazy(np.memmap(path, mode="r"))

        def b(path):
            return _lazy(np.fromfile(path))
        """})
    assert found == [("pkg/calib.py", 5, "MEM201", True)]


def test_a_library_re_exported_by_a_module_of_the_project(tmp_path):
    found = check(tmp_path, {"pkg/compat.py": """
        import numpy as np
        import numpy as xp
        """, "pkg/__init__.py": "from .compat import np\n", "pkg/lazy.py": """
        import dask.array as da
        from . import np
        from .compat import xp

        data = np.memmap("d.bin", mode="r")
        arr = da.from_array(data)
        other = da.from_array(xp.memmap("e.bin", mode="r"))
        """})
    assert found == [("pkg/lazy.py", 6, "MEM201", False), ("pkg/lazy.py", 7, "MEM201", False)]


def test_a_fitted_forest_built_by_a_factory_of_another_module(tmp_path):
    found = check(tmp_path, {"pkg/models.py": """
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.preprocessing import StandardScaler

        def make_forest(X, y):
            return RandomForestClassifier(n_estimators=500).fit(X, y)

        def make_scaler(X):
            return StandardScaler().fit(X)
        """, "pkg/predict.py": """
        import dask.dataframe as dd
        from .models import make_forest, make_scaler

        def _predict(part, model):
            return model.predict(part)

        def predict(ddf, X, y):
            forest = make_forest(X, y)
            scaler = make_scaler(X)
            a = ddf.map_partitions(_predict, model=forest)
            b = ddf.map_partitions(_predict, model=scaler)
            return a, b
        """})
    assert found == [("pkg/predict.py", 10, "MEM203", False)]


def test_each_fitted_estimator_of_a_learned_list(tmp_path):
    found = check(tmp_path, {"pkg/ensemble.py": """
        import dask.dataframe as dd

        def _predict(part, estimator):
            return estimator.predict(part)

        class Blockwise:
            def fit(self, X, y):
                self.estimators_ = [self.estimator.fit(X, y)]
                return self

            def predict(self, ddf):
                return [ddf.map_partitions(_predict, estimator=est) for est in self.estimators_]

            def sizes(self, ddf):
                return [ddf.map_partitions(len, n=n) for n in self.sizes_]
        """})
    assert [(f, line, code) for f, line, code, _ in found] == [("pkg/ensemble.py", 12, "MEM203")]


def test_a_project_checked_from_outside_its_root(tmp_path, monkeypatch):
    """No project file above the sources and memlint started elsewhere: the packages are
    named by their `__init__.py` files, so modules are still followed, and a modeled
    library's own sources are still its own."""
    project = tmp_path / "sources"
    for name, text in {"pkg/__init__.py": "", "pkg/io.py": LOADER, "pkg/lazy.py": """
        import dask.array as da
        from .io import open_raw

        def lazy(path):
            return da.from_array(open_raw(path), chunks=4096)
        """, "dask/__init__.py": "", "dask/io.py": LOADER, "dask/lazy.py": """
        from . import array as da
        from .io import open_raw

        def lazy(path):
            return da.from_array(open_raw(path), chunks=4096)
        """}.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    found = sorted((Path(d.filename).relative_to(project).as_posix(), d.location.row, d.code)
                   for d in check_paths([project]))
    assert found == [("pkg/lazy.py", 5, "MEM201")]


RAY = {"requirements.txt": "ray==2.9.0\nnumpy\npandas\n", "pkg/utils/__init__.py": "",
       "pkg/utils/run.py": """
    def run_each(fun, items, meta=None, backend="loop"):
        if meta is None:
            meta = {}
        runner = _RUNNERS[backend]
        return runner(fun, items, meta)

    _RUNNERS = {}

    def _run_loop(fun, items, meta):
        return [fun(x, meta) for x in items]

    _RUNNERS["loop"] = _run_loop

    def _run_ray(fun, items, meta):
        import ray

        @ray.remote
        def task(fun, x, meta):
            return fun(x, meta)

        return ray.get([task.remote(fun, x, meta) for x in items])

    _RUNNERS["ray"] = _run_ray
    """}


def test_a_public_runner_fed_training_data_by_another_module_through_a_table(tmp_path):
    found = check(tmp_path, {**RAY, "pkg/tune.py": """
        from pkg.utils.run import run_each

        def _one(params, meta):
            return params

        class Search:
            def fit(self, X, y=None):
                def evaluate(grid):
                    meta = {}
                    meta["X"] = X
                    return run_each(_one, grid, meta=meta, backend="ray")

                self.scores_ = evaluate([1, 2, 3])
                return self
        """})
    assert found == [("pkg/utils/run.py", 21, "MEM402", True)]


def test_a_public_runner_its_package_feeds_only_small_values_stays_quiet(tmp_path):
    found = check(tmp_path, {**RAY, "pkg/tune.py": """
        from .utils.run import run_each

        class Search:
            def fit(self, X, y=None):
                meta = {"alpha": 0.5}
                meta["depth"] = 3
                return run_each(print, [1, 2], meta=meta, backend="ray")

        def transform(n, steps):
            return run_each(print, range(n), meta={"steps": steps})
        """})
    assert found == []


def test_a_runner_of_the_same_name_in_another_module_is_not_fed(tmp_path):
    found = check(tmp_path, {**RAY, "pkg/other.py": """
        import pandas as pd

        def run_each(fun, items, meta=None, backend="loop"):
            return [fun(x, meta) for x in items]

        frame = pd.read_parquet("big.parquet")
        run_each(print, [1, 2], meta={"frame": frame}, backend="ray")
        """})
    assert found == []


def test_a_list_filled_with_frames_passed_to_every_task(tmp_path):
    found = check(tmp_path, {**RAY, "pkg/jobs.py": """
        import pandas as pd
        import ray

        def run(paths, n):
            frames = []
            for p in paths:
                frames.append(pd.read_csv(p))
            return [step.remote(frames, i) for i in range(n)]
        """})
    assert found == [("pkg/jobs.py", 8, "MEM402", True)]


def test_training_data_of_fit_passed_to_every_task_may_be_large(tmp_path):
    found = check(tmp_path, {**RAY, "pkg/model.py": """
        import ray

        class Ensemble:
            def fit(self, X, y):
                self.refs_ = [train.remote(X, y, seed) for seed in range(8)]
                return self

            def score(self, n):
                return [evaluate.remote(n, seed) for seed in range(8)]

        def fit(X, seeds):
            return [train.remote(X, s) for s in seeds]
        """})
    assert found == [("pkg/model.py", 5, "MEM402", True), ("pkg/model.py", 5, "MEM402", True)]


def test_a_memmap_unpacked_from_a_loader_returning_a_tuple(tmp_path):
    found = check(tmp_path, {"pkg/io.py": """
        import numpy as np

        def load(path):
            header = {"rows": 10}
            return header, np.memmap(path, dtype="f4", mode="r")
        """, "pkg/lazy.py": """
        import dask.array as da
        from .io import load

        def lazy(path):
            header, raw = load(path)
            return da.from_array(raw, chunks=4096), da.from_array(header["rows"])
        """})
    assert found == [("pkg/lazy.py", 6, "MEM201", False)]


READERS = """
    import netCDF4

    class NetCDFAccessor:
        def create(self, path):
            return netCDF4.Dataset(path, "r")

    def choose(engine):
        return NetCDFAccessor()

    def open_with(path, engine):
        accessor = choose(engine)
        handle = accessor.create(path)
        return accessor, handle

    class BaseReader:
        def __init__(self, path, keep_open=False):
            self.path = path
            self.accessor, handle = self.opened()
            if keep_open:
                self.handle = handle
            else:
                handle.close()

        def opened(self):
            return open_with(self.path, "netcdf4")
    """


def test_a_bound_method_of_a_reader_whose_base_keeps_a_file_open(tmp_path):
    found = check(tmp_path, {"pkg/base.py": READERS, "pkg/lightning.py": """
        import dask.array as da
        from pkg.base import BaseReader

        class FlashReader(BaseReader):
            def project(self, azimuth):
                return azimuth * 2.0

            def coordinates(self, azimuth):
                return da.map_blocks(self.project, azimuth, dtype="f8")
        """})
    assert found == [("pkg/lightning.py", 9, "MEM203", True)]


def test_a_reader_that_keeps_only_the_path_stays_quiet(tmp_path):
    closing = READERS.replace("self.handle = handle", "self.name = str(handle)")
    found = check(tmp_path, {"pkg/base.py": closing, "pkg/lightning.py": """
        import dask.array as da
        from pkg.base import BaseReader

        class FlashReader(BaseReader):
            def project(self, azimuth):
                return azimuth * 2.0

            def coordinates(self, azimuth):
                return da.map_blocks(self.project, azimuth, dtype="f8")
        """})
    assert found == []


JOBLIB = {"requirements.txt": "joblib==1.4.2\nnumpy\nastropy\n"}


def test_fits_data_from_a_loader_of_another_module_reaches_parallel(tmp_path):
    found = check(tmp_path, {**JOBLIB, "pkg/io.py": """
        from astropy.io import fits

        def load(path):
            return fits.getdata(path)

        def load_native(path):
            data = fits.getdata(path)
            return data.astype(data.dtype.newbyteorder("="))
        """, "pkg/run.py": """
        from joblib import Parallel, delayed
        from .io import load, load_native

        def smooth(frame, i):
            return frame[i].mean()

        def run(path):
            frames = load(path)
            return Parallel(n_jobs=4)(delayed(smooth)(frames, i) for i in range(8))

        def run_native(path):
            frames = load_native(path)
            return Parallel(n_jobs=4)(delayed(smooth)(frames, i) for i in range(8))
        """})
    assert found == [("pkg/run.py", 9, "MEM301", False)]


def test_a_new_instance_holds_nothing_its_fit_stores_yet(tmp_path):
    found = check(tmp_path, {**RAY, "pkg/knn.py": """
        import ray

        class Neighbours:
            def __init__(self, k=3):
                self.k = k

            def fit(self, X, y):
                return self._fit_points(X, y)

            def _fit_points(self, X, y):
                self._X = X
                return self

            def predict(self, queries):
                return [nearest.remote(self, q) for q in queries]

        def search(grid):
            model = Neighbours()
            return [score.remote(model, params) for params in grid]
        """})
    assert found == [("pkg/knn.py", 15, "MEM402", True)]


def test_a_ref_made_by_a_helper_of_another_module_is_no_value(tmp_path):
    found = check(tmp_path, {**RAY, "pkg/store.py": """
        import ray

        def shared(value, remote=True):
            return ray.put(value) if remote else value
        """, "pkg/jobs.py": """
        import pandas as pd
        import ray
        from .store import shared

        def run(path, n):
            table = shared(pd.read_parquet(path))
            return [step.remote(table, i) for i in range(n)]
        """})
    assert found == []


def test_a_client_a_helper_of_another_module_makes(tmp_path):
    found = check(tmp_path, {"pkg/cluster.py": """
        from dask.distributed import Client

        def connect(address):
            return Client(address)
        """, "pkg/job.py": """
        import numpy as np
        from dask.distributed import wait
        from .cluster import connect

        def run(path):
            client = connect("tcp://scheduler:8786")
            data = np.memmap(path, dtype="f4", mode="r")
            future = client.submit(np.sum, data)
            wait(future)
            return future
        """})
    assert found == [("pkg/job.py", 8, "MEM202", False)]
