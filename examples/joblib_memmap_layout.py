"""joblib #1703: a memmap opened without shape= and reshaped is rebuilt column-major in
joblib < 1.5 process workers, which then compute on scrambled values.

Run: python examples/joblib_memmap_layout.py  (prints whether the workers saw the right rows)
"""

import os
import tempfile

import numpy as np
from joblib import Parallel, delayed


def row(data, i):
    return np.array(data[i])


def main():
    path = os.path.join(tempfile.mkdtemp(), "data.bin")
    np.arange(15, dtype=np.float64).tofile(path)
    data = np.memmap(path, dtype=np.float64, mode="r").reshape(5, 3)
    rows = Parallel(n_jobs=2)(delayed(row)(data, i) for i in range(5))
    ok = all(np.array_equal(r, data[i]) for i, r in enumerate(rows))
    print("workers saw the right values" if ok else "workers saw SCRAMBLED values")
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
