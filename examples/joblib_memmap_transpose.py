"""joblib #1019: a transposed view of a memmap is rebuilt with the base's memory order in
process workers (every joblib version), so they see wrong values.

Run: python examples/joblib_memmap_transpose.py
"""

import os
import tempfile

import numpy as np
from joblib import Parallel, delayed


def first_row(block):
    return np.array(block[0])


def main():
    path = os.path.join(tempfile.mkdtemp(), "data.bin")
    np.arange(12, dtype=np.float64).tofile(path)
    data = np.memmap(path, dtype=np.float64, mode="r", shape=(3, 4))
    rows = Parallel(n_jobs=2)(delayed(first_row)(data.T) for _ in range(2))
    ok = all(np.array_equal(r, data.T[0]) for r in rows)
    print("workers saw the right values" if ok else "workers saw WRONG values")
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
