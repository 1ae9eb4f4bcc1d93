"""MEM402 large-arg-by-value: repetition shapes, look-alikes, and the fix."""

from __future__ import annotations

import textwrap

import pytest

from memlint.api import check_source, fix_source


def check(src: str):
    return check_source(textwrap.dedent(src).lstrip("\n"), select=["MEM402"])


def fixed(src: str) -> str:
    return fix_source(textwrap.dedent(src).lstrip("\n"), select=["MEM402"])


def dedent(src: str) -> str:
    return textwrap.dedent(src).lstrip("\n")


@pytest.mark.parametrize(
    "src",
    [
        # Put once, passed to many calls (xgboost_ray).
        """
        import ray
        import xgboost as xgb
        model = xgb.Booster(model_file="m.json")
        model_ref = ray.put(model)
        refs = [actor.predict.remote(model_ref, data) for actor in actors]
        """,
        # Put on the same name inside the loop that uses it (autogluon).
        """
        import ray
        import pandas as pd
        X = pd.read_csv("x.csv")
        for key in keys:
            X_ref = ray.put(X)
            jobs.append(fit.remote(X_ref, key))
        """,
        # The ref is a task's result.
        """
        import ray
        import numpy as np
        data = load.remote("x.npy")
        refs = [work.remote(data, i) for i in range(8)]
        """,
        # The module never imports ray: `.remote` means something else.
        """
        import numpy as np
        data = np.load("x.npy")
        for i in range(3):
            git.remote(data, i)
        """,
        # The second call is inside an `if`: it may not run.
        """
        import ray
        import pandas as pd
        df = pd.read_csv("x.csv")
        a = f.remote(df)
        if check:
            b = g.remote(df)
        """,
        # Two calls in two functions.
        """
        import ray
        import pandas as pd
        df = pd.read_csv("x.csv")
        def one():
            return f.remote(df)
        def two():
            return g.remote(df)
        """,
        # Rebound between the calls: two different values.
        """
        import ray
        import pandas as pd
        df = pd.read_csv("a.csv")
        a = f.remote(df)
        df = pd.read_csv("b.csv")
        b = f.remote(df)
        """,
        # Passed inside a container, not as a direct argument.
        """
        import ray
        import numpy as np
        data = np.load("x.npy")
        refs = [work.remote([data], i) for i in range(8)]
        """,
    ],
)
def test_quiet(src):
    assert check(src) == []


def test_actor_creation_in_a_loop():
    found = check(
        """
        import ray
        import numpy as np
        table = np.load("t.npy")
        actors = [Scorer.remote(table) for _ in range(4)]
        """
    )
    assert [d.location.row for d in found] == [4]


def test_while_loop_and_with_block_repeats():
    found = check(
        """
        import ray
        import pandas as pd
        df = pd.read_csv("x.csv")
        a = f.remote(df)
        with timer():
            b = g.remote(df)
        """
    )
    assert [d.location.row for d in found] == [6]
    assert "2 `.remote()` calls" in found[0].message


def test_uncertain_binding_says_may_and_has_no_fix():
    found = check(
        """
        import ray
        import pandas as pd
        if big:
            df = pd.read_csv("x.csv")
        else:
            df = None
        refs = [f.remote(df, i) for i in range(4)]
        """
    )
    assert len(found) == 1 and "may be" in found[0].message and found[0].fix is None


def test_fix_hoists_out_of_the_outermost_loop_that_keeps_the_value():
    assert fixed(
        """
        import ray
        import numpy as np
        for path in paths:
            data = np.load(path)
            for epoch in range(3):
                refs = [step.remote(data, i) for i in range(4)]
        """
    ) == dedent(
        """
        import ray
        import numpy as np
        for path in paths:
            data = np.load(path)
            data_ref = ray.put(data)
            for epoch in range(3):
                refs = [step.remote(data_ref, i) for i in range(4)]
        """
    )


def test_fix_adds_import_ray_when_only_names_are_imported():
    assert fixed(
        """
        from ray import get, remote
        import numpy as np

        data = np.load("x.npy")
        out = get([f.remote(data, i) for i in range(4)])
        """
    ) == dedent(
        """
        from ray import get, remote
        import numpy as np
        import ray

        data = np.load("x.npy")
        data_ref = ray.put(data)
        out = get([f.remote(data_ref, i) for i in range(4)])
        """
    )


def test_fix_uses_an_imported_put():
    assert fixed(
        """
        from ray import put
        import numpy as np
        data = np.load("x.npy")
        refs = [f.remote(data, i) for i in range(4)]
        """
    ) == dedent(
        """
        from ray import put
        import numpy as np
        data = np.load("x.npy")
        data_ref = put(data)
        refs = [f.remote(data_ref, i) for i in range(4)]
        """
    )


@pytest.mark.parametrize(
    "src",
    [
        # `ray` names something else where the put would go.
        """
        from ray import remote
        import numpy as np
        ray = object()
        data = np.load("x.npy")
        refs = [f.remote(data, i) for i in range(4)]
        """,
        # The chosen ref name is taken.
        """
        import ray
        import numpy as np
        data = np.load("x.npy")
        data_ref = None
        refs = [f.remote(data, i) for i in range(4)]
        """,
        # A method call on the value between the calls may change it.
        """
        import ray
        import numpy as np
        data = np.load("x.npy")
        a = f.remote(data)
        data.sort()
        b = f.remote(data)
        """,
        # The loop is the test of an `elif`.
        """
        import ray
        import numpy as np
        data = np.load("x.npy")
        if a:
            pass
        elif any([f.remote(data, i) for i in range(3)]):
            pass
        """,
    ],
)
def test_reported_without_fix(src):
    found = check(src)
    assert len(found) == 1 and found[0].fix is None


def test_fix_leaves_other_arguments_and_later_rebinding_alone():
    assert fixed(
        """
        import ray
        import pandas as pd
        df = pd.read_csv("x.csv")
        for i in range(4):
            f.remote(df, n=len(df), cols=df.columns)
        df = None
        """
    ) == dedent(
        """
        import ray
        import pandas as pd
        df = pd.read_csv("x.csv")
        df_ref = ray.put(df)
        for i in range(4):
            f.remote(df_ref, n=len(df), cols=df.columns)
        df = None
        """
    )


def test_threshold_option_for_literals():
    src = dedent(
        """
        import ray
        table = [1, 2, 3, 4, 5]
        refs = [f.remote(table, i) for i in range(4)]
        """
    )
    assert check_source(src, select=["MEM402"]) == []
    found = check_source(src, select=["MEM402"], options={"MEM402": {"large-literal-min-items": 5}})
    assert len(found) == 1
