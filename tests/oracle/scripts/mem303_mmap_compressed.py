"""MEM303: `mmap_mode="r"` on a compressed joblib dump and on an `.npz` archive.

joblib cannot map a compressed stream (before 1.5.0 it fails, from 1.5.0 it loads the
array into memory with a warning); numpy ignores mmap_mode for .npz files.
Usage: python mem303_mmap_compressed.py
"""

import os
import warnings

import joblib
import numpy as np

from oracle_observe import emit

DATA = np.arange(250_000, dtype=np.float64)  # 2 MB


def main():
    joblib.dump(DATA, "features.pkl.gz", compress=3)
    np.savez("bundle.npz", values=DATA)
    out = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            loaded = joblib.load("features.pkl.gz", mmap_mode="r")
            out.update(joblib_type=type(loaded).__name__, joblib_sum=float(loaded.sum()), joblib_error=None)
        except Exception as exc:
            out.update(joblib_type=None, joblib_sum=None, joblib_error=f"{type(exc).__name__}: {exc}")
    out["joblib_warned"] = any("mmap" in str(w.message) for w in caught)
    values = np.load("bundle.npz", mmap_mode="r")["values"]
    out.update(npz_type=type(values).__name__, npz_sum=float(values.sum()))
    for name in ("features.pkl.gz", "bundle.npz"):
        os.remove(name)
    emit(**out)


if __name__ == "__main__":
    main()
