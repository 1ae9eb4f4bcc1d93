"""MEM404 return-ray-put: forms, look-alikes and the fix."""

from __future__ import annotations

import textwrap

from memlint.api import check_source, fix_source


def check(src: str):
    return check_source(textwrap.dedent(src), select=["MEM404"])


def test_ref_bound_then_returned_in_a_tuple():
    found = check(
        """
        import ray
        @ray.remote(num_returns=2)
        def f(df):
            ref = ray.put(df)
            return ref, len(df)
        """
    )
    assert [d.location.row for d in found] == [6]
    assert found[0].fix is not None and found[0].fix.applicability == "unsafe"


def test_fix_is_not_applied_without_unsafe_fixes():
    src = "import ray\n@ray.remote\ndef f(x):\n    return ray.put(x)\n"
    assert fix_source(src, select=["MEM404"]) == src
    assert fix_source(src, unsafe=True, select=["MEM404"]) == src.replace("ray.put(x)", "x")


def test_ref_on_some_path_only_says_may_and_has_no_fix():
    found = check(
        """
        import ray
        @ray.remote
        def f(x, big):
            out = x
            if big:
                out = ray.put(x)
            return out
        """
    )
    assert len(found) == 1 and "may return" in found[0].message and found[0].fix is None


def test_modin_ray_wrapper_put():
    found = check(
        """
        from modin.core.execution.ray.common import RayWrapper
        import ray

        @ray.remote
        def f(x):
            return RayWrapper.put(x)
        """
    )
    assert len(found) == 1


def test_put_in_driver_code_and_in_lambdas_is_quiet():
    assert check(
        """
        import ray
        def driver(x):
            return ray.put(x)
        @ray.remote
        def task(xs):
            refs = list(map(lambda v: ray.put(v), xs))
            return len(refs)
        """
    ) == []
