"""MEM401 remote-returns-list: bigger scenarios, the example reproduction, the CLI fix."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from memlint.api import check_source, fix_source

REPO = Path(__file__).resolve().parents[2]


def findings(src: str) -> list[tuple[int, str]]:
    return [(d.location.row, d.message) for d in check_source(textwrap.dedent(src), select=["MEM401"])]


def test_examples_report_the_modin_reproduction(memlint):
    run = memlint("check", "--select", "MEM401", "examples/", cwd=REPO)
    assert run.returncode == 1
    assert "ray_modin_generator.py:34:5: MEM401" in run.stdout
    assert "remote function `_deploy_ray_func` returns a list comprehension" in run.stdout


def test_unsafe_fix_of_the_reproduction(memlint, tmp_path):
    target = tmp_path / "repro.py"
    shutil.copy(REPO / "examples" / "ray_modin_generator.py", target)
    plain = memlint("check", "--fix", "--select", "MEM401", str(target), cwd=tmp_path)
    assert plain.returncode == 1  # the fix is unsafe: not applied by --fix alone
    run = memlint("check", "--fix", "--unsafe-fixes", "--select", "MEM401", str(target), cwd=tmp_path)
    assert run.returncode == 0, run
    text = target.read_text()
    assert "    yield from (i for r in result for i in [r, len(r), r.shape[1], ip])\n" in text
    assert "return [i for r" not in text


@pytest.mark.parametrize(
    "src",
    [
        # Modin HEAD: the fixed generator.
        """
        import ray
        @ray.remote
        def _deploy_ray_func(deployer, *args, **kwargs):
            result = deployer(*args, **kwargs)
            ip = get_ip()
            for r in result:
                for item in [r, len(r), len(r.columns), ip]:
                    yield item
        """,
        # Modin deferred_execution: returns a generator method's result.
        """
        import ray
        @ray.remote(num_returns=4)
        def _remote_exec_single_chain(*args, remote_executor=None):
            return remote_executor.construct(num_returns=4, args=args)
        """,
        # A small tuple of scalars with num_returns=2.
        """
        import ray
        @ray.remote(num_returns=2)
        def _get_index_and_columns(df):
            return len(df.index), len(df.columns)
        """,
        # A list built by a non-remote helper of a remote function.
        """
        import ray
        def helper(xs):
            out = []
            for x in xs:
                out.append(x)
            return out
        @ray.remote
        def task(xs):
            return helper(xs)
        """,
        # The list is appended once, outside a loop.
        """
        import ray
        @ray.remote
        def task(x):
            out = []
            out.append(x)
            return out
        """,
        # A lambda made remote is not a def in the module.
        """
        import ray
        f = ray.remote(lambda xs: [x for x in xs])
        """,
    ],
)
def test_quiet_look_alikes(src):
    assert findings(src) == []


def test_each_remote_form_is_recognized():
    body = "    return [x * 2 for x in xs]\n"
    forms = {
        "decorator": "import ray\n@ray.remote\ndef f(xs):\n" + body,
        "decorator call": "import ray\n@ray.remote(num_cpus=1)\ndef f(xs):\n" + body,
        "call": "import ray\ndef f(xs):\n" + body + "g = ray.remote(f)\n",
        "options call": "import ray\nopts = {}\ndef f(xs):\n" + body + "g = ray.remote(**opts)(f)\n",
        "actor method": "import ray\n@ray.remote\nclass A:\n    def f(self, xs):\n    " + body,
        "actor by call": "import ray\nclass A:\n    def f(self, xs):\n    " + body + "H = ray.remote(A)\n",
        "alias": "import ray as rr\n@rr.remote\ndef f(xs):\n" + body,
        "from import": "from ray import remote\n@remote\ndef f(xs):\n" + body,
        "nested": "import ray\ndef outer():\n    @ray.remote\n    def f(xs):\n    " + body + "    return f\n",
    }
    for form, src in forms.items():
        assert len(findings(src)) == 1, form


def test_fix_keeps_other_statements_and_comments():
    src = textwrap.dedent(
        """
        import ray

        @ray.remote(num_returns=2)
        def split(df):
            '''Two halves.'''
            # the halves
            halves = []
            n = len(df) // 2
            for part in (df[:n], df[n:]):
                halves.append(part.copy())  # a copy each
            return halves
        """
    )
    fixed = fix_source(src, unsafe=True, select=["MEM401"])
    assert fixed == textwrap.dedent(
        """
        import ray

        @ray.remote(num_returns=2)
        def split(df):
            '''Two halves.'''
            # the halves
            n = len(df) // 2
            for part in (df[:n], df[n:]):
                yield part.copy()  # a copy each
        """
    )
    assert fix_source(src, unsafe=False, select=["MEM401"]) == src


@pytest.mark.parametrize(
    "src",
    [
        # The list is read besides being appended to.
        """
        import ray
        @ray.remote
        def f(xs):
            out = []
            for x in xs:
                out.append(x)
                log(len(out))
            return out
        """,
        # An early return with a value.
        """
        import ray
        @ray.remote
        def f(xs):
            out = []
            if not xs:
                return out
            for x in xs:
                out.append(x)
            return out
        """,
        # The return is not the last statement of the function.
        """
        import ray
        @ray.remote
        def f(xs, flag):
            out = []
            for x in xs:
                out.append(x)
            if flag:
                return out
            return None
        """,
        # async actor method.
        """
        import ray
        @ray.remote
        class A:
            async def f(self, xs):
                out = []
                for x in xs:
                    out.append(x)
                return out
        """,
        # Also appended inside a nested function.
        """
        import ray
        @ray.remote
        def f(xs):
            out = []
            for x in xs:
                out.append(x)
                def add():
                    out.append(x)
                add()
            return out
        """,
    ],
)
def test_reported_without_fix(src):
    src = textwrap.dedent(src)
    found = check_source(src, select=["MEM401"])
    assert len(found) == 1 and found[0].fix is None


def test_early_return_of_the_empty_list_is_quiet():
    src = textwrap.dedent(
        """
        import ray
        @ray.remote
        def f(xs):
            out = []
            if not xs:
                return out
            for x in xs:
                out.append(x)
            return out
        """
    )
    assert [d.location.row for d in check_source(src, select=["MEM401"])] == [10]


def test_return_inside_the_loop_is_reported():
    src = textwrap.dedent(
        """
        import ray
        @ray.remote
        def f(xs):
            out = []
            for x in xs:
                if x is None:
                    return out
                out.append(x)
            return out
        """
    )
    assert [d.location.row for d in check_source(src, select=["MEM401"])] == [8, 10]
