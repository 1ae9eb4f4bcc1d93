"""MEM303 mmap-mode-ignored: compressed joblib dumps by suffix and by `compress=`, `.npz`
archives by name and by `np.savez`, the version wording, and the look-alikes."""

from __future__ import annotations

import textwrap

from memlint.api import check_source


def found(source: str, joblib: str = "1.6.0") -> list[tuple[int, str]]:
    text = textwrap.dedent(source).lstrip("\n")
    return [(d.location.row, d.message) for d in check_source(text, "t.py", select=["MEM303"], versions={"joblib": joblib})]


def test_suffixes_and_compress_levels():
    rows = [row for row, _ in found("""
        import joblib
        a = joblib.load("a.pkl.xz", mmap_mode="r")
        b = joblib.load("b.pkl.Z", mmap_mode="c")
        joblib.dump(x, out, compress=True)
        c = joblib.load(out, mmap_mode="r")
        joblib.dump(y, plain, compress=0)
        d = joblib.load(plain, mmap_mode="r")
        joblib.dump(z, other, compress=level)
        e = joblib.load(other, mmap_mode="r")
        f = joblib.load("f.pkl.gz", mmap_mode=None)
        """)]
    assert rows == [2, 3, 5]  # a level the code does not spell out says nothing


def test_the_words_follow_the_joblib_version():
    source = 'import joblib\nx = joblib.load("x.pkl.gz", mmap_mode="r")\n'
    (old,) = found(source, "1.4.2")
    (new,) = found(source, "1.5.0")
    assert "fails" in old[1] and "joblib 1.4.2" in old[1]
    assert "into memory" in new[1] and "joblib 1.5.0" in new[1]


def test_npz_archives_by_name_and_by_writer():
    rows = [row for row, _ in found("""
        import numpy as np
        np.savez(path, a=a)
        x = np.load(path, mmap_mode="r")
        y = np.load("y.NPZ", mmap_mode="r")
        z = np.load("z.npy", mmap_mode="r")
        w = np.load(other, mmap_mode="r")
        """)]
    assert rows == [3, 4]
