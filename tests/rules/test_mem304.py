"""MEM304 parallel-result-reduced: the reductions and loops, the version gate, the list
that must stay a list, the fixes, and the file filter that keeps other joblib code unparsed."""

from __future__ import annotations

import textwrap

from memlint.api import check_source, fix_source
from memlint.engine.registry import get_rule

HEAD = "import functools\nimport numpy as np\nfrom joblib import Parallel, delayed\n"


def found(source: str, joblib: str = "1.6.0") -> list[int]:
    text = HEAD + textwrap.dedent(source).lstrip("\n")
    return [d.location.row - 3 for d in check_source(text, "t.py", select=["MEM304"], versions={"joblib": joblib})]


def fixed(source: str) -> str:
    text = HEAD + textwrap.dedent(source).lstrip("\n")
    return fix_source(text, "t.py", select=["MEM304"], versions={"joblib": "1.6.0"})[len(HEAD):]


def test_each_reduction_of_the_list_is_found():
    assert found("""
        a = max(Parallel(n_jobs=2)(delayed(f)(x) for x in xs))
        b = functools.reduce(np.add, Parallel(n_jobs=2)(delayed(f)(x) for x in xs))
        c = np.concatenate(Parallel(n_jobs=2)(delayed(f)(x) for x in xs))
        parts = Parallel(n_jobs=2)(delayed(f)(x) for x in xs)
        d = np.mean(parts, axis=0)
        """) == [1, 2, 3, 5]


def test_a_list_kept_or_indexed_is_left_alone():
    assert found("""
        parts = Parallel(n_jobs=2)(delayed(f)(x) for x in xs)
        total = sum(parts)
        first = parts[0]
        items = list(Parallel(n_jobs=2)(delayed(f)(x) for x in xs))
        for r in Parallel(n_jobs=2)(delayed(f)(x) for x in xs):
            print(r)
        """) == []


def test_the_generator_exists_from_joblib_1_3():
    source = "total = sum(Parallel(n_jobs=2)(delayed(f)(x) for x in xs))\n"
    assert found(source, "1.2.0") == []
    assert found(source, "1.3.0") == [1]


def test_the_fix_keeps_a_trailing_comma_and_the_other_arguments():
    assert fixed("""
        total = sum(Parallel(
            n_jobs=2,
            verbose=1,
        )(delayed(f)(x) for x in xs))
        """) == textwrap.dedent("""
        total = sum(Parallel(
            n_jobs=2,
            verbose=1, return_as="generator",
        )(delayed(f)(x) for x in xs))
        """).lstrip("\n")


def test_joblib_code_without_a_reduction_is_not_parsed():
    rule = get_rule("MEM304")
    plain = HEAD + "out = Parallel(n_jobs=2)(delayed(f)(x) for x in xs)\nprint(out[0])\n"
    assert not rule.could_match(plain.encode())
    reduced = HEAD + "out = Parallel(n_jobs=2)(delayed(f)(x) for x in xs)\nprint(sum(out))\n"
    assert rule.could_match(reduced.encode())
    within = HEAD + "with Parallel(n_jobs=2) as run:\n    parts = run(delayed(f)(x) for x in xs)\n    t = sum(parts)\n"
    assert rule.could_match(within.encode())
