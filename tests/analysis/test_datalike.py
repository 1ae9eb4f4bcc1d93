"""The data-like analysis on its own: each kind, each look-alike that is not data-like, and
the dask value helpers. Each case ends with `probe(<expr>)`; the analysis is asked about
that expression."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from memlint.analysis import datalike as dl
from memlint.analysis.builder import build


def _probe(source: str):
    module = cst.parse_module(textwrap.dedent(source).lstrip("\n"))
    model, calls = build(module, frozenset({"Call"}))
    probes = [c for c in calls if isinstance(c.func, cst.Name) and c.func.value == "probe"]
    assert probes, "the source must call probe(<expr>)"
    return probes[-1].args[0].value, model


def data(source: str, min_items: int = 100):
    expr, model = _probe(source)
    return dl.datalike(expr, model, min_items)


def dask(source: str):
    expr, model = _probe(source)
    return dl.dask_value(expr, model)


# -- data-like kinds ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source, kind, certain",
    [
        # instances of classes defined in the module
        ("""
         import pandas as pd
         class Mapper:
             def __init__(self, s):
                 self.s = s
         mapper = Mapper(pd.Series(range(30_000)))
         probe(mapper)
         """, dl.INSTANCE, True),
        ("""
         import pandas as pd
         class Table:
             def __init__(self, path):
                 self.frame = pd.read_csv(path)
         probe(Table("a.csv"))
         """, dl.INSTANCE, True),
        # `self` in a method of a class that stores data
        ("""
         import pandas as pd
         class Loader:
             def __init__(self, path):
                 self.df_patient = pd.read_csv(path)
             def run(self):
                 probe(self)
         """, dl.INSTANCE, True),
        # imported classes not known to be small
        ("""
         import numpy as np
         from scipy.interpolate import LinearNDInterpolator
         points = np.load("p.npy")
         probe(LinearNDInterpolator(points, np.load("v.npy")))
         """, dl.OBJECT, True),
        # pandas constructors and readers
        ("import pandas as pd\nprobe(pd.read_parquet('x.parquet'))", dl.PANDAS, True),
        ("import pandas\nprobe(pandas.read_csv('x.csv'))", dl.PANDAS, True),
        ("from pandas import DataFrame\nimport numpy as np\nprobe(DataFrame(np.zeros((1000, 3))))",
         dl.PANDAS, True),
        ("import pandas as pd\nprobe(pd.Series(range(30_000)))", dl.PANDAS, True),
        ("import pandas as pd\na = pd.read_csv('a')\nb = pd.read_csv('b')\nprobe(pd.concat([a, b]))",
         dl.PANDAS, True),
        # numpy constructors and loaders
        ("import numpy as np\nprobe(np.zeros((1000, 1000)))", dl.NUMPY, True),
        ("import numpy as np\nprobe(np.load('x.npy'))", dl.NUMPY, True),
        ("import numpy as np\nprobe(np.random.rand(500, 3))", dl.NUMPY, True),
        ("import numpy as np\nprobe(np.random.normal(0, 1, size=10_000))", dl.NUMPY, True),
        ("import numpy as np\nprobe(np.arange(1_000))", dl.NUMPY, True),
        ("import numpy as np\nN = 2000\nprobe(np.ones(N * 2))", dl.NUMPY, True),
        ("import numpy as N\nprobe(N.array(N.load('a.npy')))", dl.NUMPY, True),
        # fitted models
        ("""
         from sklearn.ensemble import RandomForestClassifier
         est = RandomForestClassifier()
         est.fit(X, y)
         probe(est)
         """, dl.FITTED, True),
        ("""
         from scipy.spatial import cKDTree
         probe(cKDTree(points))
         """, dl.OBJECT, False),
        ("import numpy as np\ndef f(X):\n    probe(np.zeros((X.shape[0], 3)))", dl.NUMPY, False),
        ("import numpy as np\ndef f(X):\n    n = len(X)\n    probe(np.empty(n))", dl.NUMPY, False),
        ("probe(make_model().fit(X, y))", dl.FITTED, False),
        ("""
         class Wrapper:
             def fit(self, X, y):
                 self.model.fit(X, y)
             def predict(self, X):
                 probe(self.model)
         """, dl.FITTED, False),
        ("""
         class Wrapper:
             def predict(self, X):
                 probe(self.estimators_)
         """, dl.FITTED, False),
        # large literals and comprehensions
        ("probe([" + ", ".join(str(i) for i in range(120)) + "])", dl.LITERAL, True),
        ("probe({" + ", ".join(f"{i}: {i}" for i in range(100)) + "})", dl.LITERAL, True),
        ("probe([i * i for i in range(10_000)])", dl.COMPREHENSION, True),
        ("probe({i: str(i) for i in range(500)})", dl.COMPREHENSION, True),
        ("probe(list(range(1000)))", dl.COMPREHENSION, True),
        # small containers holding data
        ("""
         import numpy as np
         class Mapper:
             def __init__(self, table):
                 self.table = table
         probe((Mapper(np.load(path)), 3))
         """, dl.CONTAINER, True),
        ("import numpy as np\nprobe({'lut': np.load('lut.npy')})", dl.CONTAINER, True),
        # names, derived values, in-place updates
        ("import numpy as np\nlut = np.load('lut.npy')\nlut /= 1000\nprobe(lut)", dl.NUMPY, True),
        ("import pandas as pd\ndf = pd.read_csv('x')\nprobe(df[['a', 'b']])", dl.PANDAS, True),
        ("import pandas as pd\ndf = pd.read_csv('x')\nprobe(df.values)", dl.NUMPY, True),
        ("import pandas as pd\ndf = pd.read_csv('x')\nprobe(df.loc[df.a > 0])", dl.PANDAS, True),
        ("import pandas as pd\ndf = pd.read_csv('x')\nprobe(df.to_numpy().astype('f4'))", dl.NUMPY, True),
        ("import numpy as np\na = np.load('a.npy')\nprobe(a * 2 + 1)", dl.NUMPY, True),
        ("""
         import pandas as pd
         df = pd.read_csv("x")
         def run():
             probe(df)
         """, dl.PANDAS, True),
        ("""
         import pandas as pd
         def run(flag):
             df = None
             if flag:
                 df = pd.read_csv("x")
             probe(df)
         """, dl.PANDAS, False),
        ("""
         import numpy as np
         if cond:
             a = np.load("a.npy")
         else:
             a = np.load("b.npy")
         probe(a)
         """, dl.NUMPY, True),
        ("import numpy as np\nprobe(big := np.load('a.npy'))", dl.NUMPY, True),
    ],
)
def test_data_like(source, kind, certain):
    found = data(source)
    assert found is not None
    assert (found.kind, found.certain) == (kind, certain)


@pytest.mark.parametrize(
    "source",
    [
        # scalars, strings, small literals, dtypes
        "probe(3)",
        "probe('a long string' * 3)",
        "probe([1, 2, 3])",
        "probe({'a': 1, 'b': 2})",
        "probe([i for i in range(10)])",
        "import numpy as np\nprobe(np.dtype('f8'))",
        "import numpy as np\nprobe(np.float64(3))",
        "import numpy as np\nprobe(np.zeros(3))",
        "import numpy as np\nprobe(np.linspace(0, 1))",
        "import numpy as np\nprobe(np.random.normal())",
        "import numpy as np\nprobe(np.array([1, 2, 3]))",
        "import pandas as pd\nprobe(pd.Series([1, 2, 3]))",
        "import pandas as pd\nprobe(pd.DataFrame())",
        "import pandas as pd\nprobe(pd.Timestamp('2024-01-01'))",
        # reductions and single cells of data
        "import pandas as pd\ndf = pd.read_csv('x')\nprobe(df.sum())",
        "import numpy as np\na = np.load('a.npy')\nprobe(a[0])",
        "import pandas as pd\ndf = pd.read_csv('x')\nprobe(df.shape)",
        "import pandas as pd\ndf = pd.read_csv('x')\nprobe(df.at[0, 'a'])",
        # dask collections, delayed values, futures
        "import dask.array as da\nprobe(da.zeros((10_000, 10_000)))",
        "import dask\nimport pandas as pd\ndf = pd.read_csv('x')\nprobe(dask.delayed(df))",
        "from dask import delayed\nimport numpy as np\nbig = delayed(np.load('a.npy'))\nprobe(big)",
        """
        import numpy as np
        from dask.distributed import Client
        client = Client()
        big = client.scatter(np.load("a.npy"), broadcast=True)
        probe(big)
        """,
        """
        import pandas as pd
        _es = client.scatter([pd.read_csv("x")])[0]
        probe(_es)
        """,
        # unknown values, modules, classes, functions
        "def f(x):\n    probe(x)",
        "import numpy as np\nprobe(np)",
        "class A:\n    pass\nprobe(A)",
        "def g():\n    pass\nprobe(g)",
        "probe(open('x'))",
        "from pathlib import Path\nprobe(Path('x'))",
        "from dask.distributed import Lock\nprobe(Lock('x'))",
        "class Oops(Exception):\n    pass\nprobe(Oops('x'))",
        "import enum\nclass Color(enum.Enum):\n    RED = 1\nprobe(Color(1))",
        "class Plain:\n    def run(self):\n        probe(self)",
        # instances of classes that store nothing, or only small literals
        "class Stateless:\n    def __call__(self, x):\n        return x\nprobe(Stateless())",
        """
        class NodeCounter:
            def __init__(self):
                self.n = 0
                self.name = "counter"
            def f(self, x):
                self.n += 1
                return x
        probe(NodeCounter())
        """,
        "import numpy as np\nprobe(np.load('a.npy')[:5])",
        "import pandas as pd\nhead = pd.read_sql(q, con)\nprobe(head.iloc[:0])",
        "class W:\n    def run(self):\n        probe(self.n_features_in_)",
        "probe(ValueError('x'))",
        # no evidence of size: unknown contents, small fitted state, parameter-sized shapes
        """
        class Holder:
            def __init__(self, table):
                self.table = table
        def f(t):
            probe(Holder(t))
        """,
        """
        from dataclasses import dataclass
        @dataclass
        class Params:
            scale: float
        probe(Params(2.0))
        """,
        "from .interp import MultilinearInterpolator\nprobe(MultilinearInterpolator(grid))",
        "from pyspectral import AtmosphericalCorrection\nprobe(AtmosphericalCorrection('x', 'y'))",
        "import pandas as pd\ndef f(values):\n    probe(pd.Series(values))",
        "import numpy as np\ndef f(n):\n    probe(np.zeros(n))",
        "import numpy as np\ndef f(n_centers=3, n_features=2):\n    probe(np.zeros((n_centers, n_features)))",
        """
        from sklearn.preprocessing import StandardScaler
        class Wrapper:
            def fit(self, X):
                self._transformer = StandardScaler().fit(X)
            def transform(self, X):
                probe(self._transformer)
        """,
        """
        import numpy as np
        from sklearn.preprocessing import PolynomialFeatures
        class Poly:
            def __init__(self):
                self._transformer = PolynomialFeatures(2)
            def fit(self, X):
                self._transformer.fit(np.ones((1, X.shape[1])))
            def transform(self, X):
                probe(self._transformer)
        """,
        "class W:\n    def run(self):\n        probe(self.classes_)",
        "class W:\n    def run(self):\n        probe(self.references_)",
    ],
)
def test_not_data_like(source):
    assert data(source) is None


def test_min_items_option():
    source = "probe([" + ", ".join(str(i) for i in range(20)) + "])"
    assert data(source) is None
    found = data(source, min_items=20)
    assert found is not None and found.kind == dl.LITERAL and found.length == 20
    assert found.container == "list"


def test_descriptions():
    found = data("""
        import pandas as pd
        class Mapper:
            def __init__(self, s):
                self.s = s
        probe(Mapper(pd.Series(range(30_000))))
        """)
    assert found.what == "an instance of `Mapper` (built from a pandas object from `pd.Series(...)`)"
    assert data("probe([i for i in range(500)])").what == "a list built over `range(500)`"


def test_sized_and_container_details():
    assert data("import numpy as np\nprobe(np.load('a'))").sized
    assert not data("import numpy as np\nclass M:\n    def __init__(self, t):\n        self.t = t\nprobe(M(np.load('a')))").sized
    found = data("import numpy as np\nprobe((np.load('a'), np.load('b')))")
    assert found.kind == dl.CONTAINER and found.sized and found.length == 2
    found = data("import numpy as np\nclass M:\n    def __init__(self, t):\n        self.t = t\nprobe([M(np.load(a)), M(b)])")
    assert found.container == "list" and not found.sized


def test_for_loop_over_literal_is_uncertain():
    found = data("""
        import numpy as np
        for a in [np.load("a.npy"), 1]:
            probe(a)
        """)
    assert found is not None and found.kind == dl.NUMPY and not found.certain


# -- dask values --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source, kind",
    [
        ("import dask.array as da\nprobe(da.from_array(x, chunks=10))", dl.ARRAY),
        ("import dask.array as dsa\nprobe(dsa.random.random((10, 10)))", dl.ARRAY),
        ("from dask import array as da\nprobe(da.ones(5))", dl.ARRAY),
        ("import dask\nimport dask.array\nprobe(dask.array.zeros(5))", dl.ARRAY),
        ("from dask.array import from_zarr\nprobe(from_zarr('x'))", dl.ARRAY),
        ("import dask.array as da\nx = da.ones(5)\nprobe(x.map_blocks(f))", dl.ARRAY),
        ("import dask.array as da\nx = da.ones(5)\nprobe((x + 1).T[:3])", dl.ARRAY),
        ("import dask.array as da\nprobe(da.map_blocks(f, x))", dl.ARRAY),
        ("import dask.dataframe as dd\nprobe(dd.read_csv('*.csv'))", dl.DATAFRAME),
        ("import dask.dataframe as dd\nddf = dd.read_parquet('p')\nprobe(ddf.map_partitions(f))", dl.DATAFRAME),
        ("import dask.dataframe as dd\nddf = dd.read_parquet('p')\nprobe(ddf['a'])", dl.DATAFRAME),
        ("import dask.dataframe as dd\nddf = dd.from_pandas(df, npartitions=4)\nprobe(ddf.loc[ddf.a > 0])", dl.DATAFRAME),
        ("import dask.bag as db\nprobe(db.from_sequence(range(10)))", dl.BAG),
        ("import dask\nprobe(dask.delayed(f)(1))", dl.DELAYED),
        ("import dask\nprobe(dask.delayed(obj))", dl.DELAYED),
        ("from dask import delayed\nprobe(delayed(f, pure=True)(1).sum())", dl.DELAYED),
        ("from dask.delayed import delayed\n@delayed\ndef f(x):\n    return x\nprobe(f(1))", dl.DELAYED),
        ("import dask\n@dask.delayed(pure=True)\ndef f(x):\n    return x\nprobe(f(1))", dl.DELAYED),
        ("import dask.array as da\nx = da.ones(5)\nparts = x.to_delayed()\nprobe(parts[0])", dl.DELAYED),
        ("import dask.array as da\nx = da.ones(5)\nfor part in x.to_delayed().ravel():\n    probe(part)", dl.DELAYED),
        ("from dask.distributed import Client\nc = Client()\nprobe(c.scatter(x))", dl.FUTURE),
        ("from distributed import get_client\nc = get_client()\nprobe(c.submit(f, 1))", dl.FUTURE),
        ("probe(self.client.scatter([x])[0])", dl.FUTURE),
        ("with Client() as c:\n    probe(c.map(f, xs))", None),  # Client not imported
        ("from dask.distributed import Client\nwith Client() as c:\n    probe(c.map(f, xs))", dl.FUTURE),
    ],
)
def test_dask_values(source, kind):
    found = dask(source)
    assert (found.kind if found is not None else None) == kind


@pytest.mark.parametrize(
    "source",
    [
        "import dask.array as da\nx = da.ones(5)\nprobe(x.sum().compute())",
        "import dask.array as da\nx = da.ones(5)\nprobe(x.compute())",
        "import dask.array as da\nx = da.ones(5)\nprobe(x.sum())",
        "import dask.array as da\nx = da.ones(5)\nprobe(x.shape)",
        "import dask.array as da\nprobe(da.store(x, y))",
        "import dask.dataframe as dd\nddf = dd.read_csv('x')\nprobe(ddf.npartitions)",
        "import dask.dataframe as dd\nddf = dd.read_csv('x')\nprobe(ddf.to_parquet('p'))",
        "from joblib import delayed\nprobe(delayed(f)(1))",
        "import matplotlib.pyplot as plt\nprobe(plt.scatter(x, y))",
        "import numpy as np\nprobe(np.zeros(5))",
        "import dask.dataframe as dd\nprobe(dd.utils.make_meta(x))",
        "import dask.dataframe as dd\nprobe(dd.make_meta(x))",
        "import dask.array as da\nprobe(da.chunk.sum(x))",
        "from dask.array.utils import meta_from_array\nprobe(meta_from_array(x))",
        "import dask.array as da\nprobe(da.core.normalize_chunks(5, (10,)))",
    ],
)
def test_not_dask_values(source):
    assert dask(source) is None


def test_collection_helpers():
    expr, model = _probe("import dask.array as da\nprobe(da.ones(5))")
    assert dl.is_dask_collection(expr, model)
    assert not dl.is_delayed(expr, model) and not dl.is_future(expr, model)
    expr, model = _probe("import dask\nprobe(dask.delayed(x))")
    assert dl.is_delayed(expr, model) and not dl.is_dask_collection(expr, model)
    expr, model = _probe("probe(client.scatter(x))")
    assert dl.is_future(expr, model) and not dl.is_delayed(expr, model)


def test_collection_on_some_paths_is_uncertain():
    found = dask("""
        import dask.array as da
        import numpy as np
        x = np.ones(5)
        if big:
            x = da.ones(5)
        probe(x)
        """)
    assert found is not None and found.kind == dl.ARRAY and not found.certain


def test_is_delayed_call():
    source = """
        import dask
        from dask import delayed as dly
        import joblib
        @dask.delayed
        def g(x):
            return x
        dask.delayed(f)(1)
        dly(f, pure=True)(2)
        g(3)
        joblib.delayed(f)(4)
        f(5)
        """
    module = cst.parse_module(textwrap.dedent(source).lstrip("\n"))
    model, calls = build(module, frozenset({"Call"}))
    tasks = [c for c in calls if dl.is_delayed_call(c, model)]
    assert [c.args[0].value.value for c in tasks] == ["1", "2", "3"]


# -- captured values ----------------------------------------------------------------------------
def _func(source: str):
    module = cst.parse_module(textwrap.dedent(source).lstrip("\n"))
    model, nodes = build(module, frozenset({"Lambda", "FunctionDef"}))
    return nodes[-1], model


def test_captured_by_lambda_and_nested_def():
    func, model = _func("""
        import pandas as pd
        def run(ddf):
            lookup = pd.read_csv("lookup.csv")
            n = 3
            return ddf.map_partitions(lambda df, k=n: df.merge(lookup, on="id").head(k))
        """)
    found = dl.captured(func, model)
    assert [(model.module.code_for_node(e), d.kind) for e, d in found] == [("lookup", dl.PANDAS)]

    func, model = _func("""
        import numpy as np
        def run(x):
            table = np.load("t.npy")
            def apply(block):
                local = table[block]
                return local
            return apply
        """)
    assert [d.kind for _, d in dl.captured(func, model)] == [dl.NUMPY]


def test_captured_self_attribute_and_defaults():
    func, model = _func("""
        import pandas as pd
        class Loader:
            def __init__(self):
                self.df_patient = pd.read_csv("p.csv")
            def run(self, ddf):
                return ddf.map_partitions(lambda df: df.merge(self.df_patient, on="PtID"))
        """)
    found = dl.captured(func, model)
    assert [model.module.code_for_node(e) for e, _ in found] == ["self.df_patient"]

    func, model = _func("""
        import numpy as np
        big = np.load("a.npy")
        f = lambda x, b=big: x + b
        """)
    assert [model.module.code_for_node(e) for e, _ in dl.captured(func, model)] == ["big"]


def test_captures_nothing_large():
    func, model = _func("""
        def run(ddf, cols):
            return ddf.map_partitions(lambda df: df.sort_values("UTCDtTm").drop_duplicates(subset=cols))
        """)
    assert dl.captured(func, model) == []


# -- fix spelling -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source, expected",
    [
        ("import dask.array as da\nprobe(1)", ("dask.delayed", True)),
        ("import dask\nprobe(1)", ("dask.delayed", False)),
        ("import dask.array\nprobe(1)", ("dask.delayed", False)),
        ("from dask import delayed\ndask = 3\nprobe(1)", ("delayed", False)),
        ("from dask import delayed as dly\nprobe(1)", ("dly", False)),
        ("dask = 3\nprobe(1)", None),
    ],
)
def test_delayed_spelling(source, expected):
    expr, model = _probe(source)
    assert dl.delayed_spelling(model, expr) == expected


def test_captured_self_instance_holding_data():
    func, model = _func("""
        import numpy as np
        class Handler:
            def __init__(self, path):
                self.lut = np.load(path)
            def run(self, x):
                return x.map_blocks(lambda block: self._getitem(block))
        """)
    found = dl.captured(func, model)
    assert [(model.module.code_for_node(e), d.kind) for e, d in found] == [("self", dl.INSTANCE)]
    assert "self.lut" in found[0][1].what
