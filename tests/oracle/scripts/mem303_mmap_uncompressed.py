"""MEM303, rewritten: an uncompressed joblib dump and one `.npy` file per array, both
memory-mapped. Usage: python mem303_mmap_uncompressed.py
"""

import os
import warnings

import joblib
import numpy as np

from oracle_observe import emit

DATA = np.arange(250_000, dtype=np.float64)  # 2 MB


def main():
    joblib.dump(DATA, "features.pkl")
    np.save("values.npy", DATA)
    out = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = joblib.load("features.pkl", mmap_mode="r")
        out.update(joblib_type=type(loaded).__name__, joblib_sum=float(loaded.sum()), joblib_error=None)
    out["joblib_warned"] = any("mmap" in str(w.message) for w in caught)
    values = np.load("values.npy", mmap_mode="r")
    out.update(npz_type=type(values).__name__, npz_sum=float(values.sum()))
    del loaded, values
    for name in ("features.pkl", "values.npy"):
        os.remove(name)
    emit(**out)


if __name__ == "__main__":
    main()
