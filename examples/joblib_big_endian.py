"""joblib #1545: an array with a non-native (big-endian) dtype larger than `max_nbytes` (1 MB)
crashes joblib 1.3.0 to 1.4.2 process workers with `BrokenProcessPool: A task has failed to
un-serialize`. Raw instrument files and FITS data are big-endian.

Run: python examples/joblib_big_endian.py  (prints the sums, or the error it got)
"""

import os
import tempfile

import numpy as np
from joblib import Parallel, delayed


def main():
    path = os.path.join(tempfile.mkdtemp(), "scan.bin")
    np.arange(4 * 200_000, dtype=">f8").tofile(path)  # 6.4 MB of big-endian doubles
    try:
        data = np.fromfile(path, dtype=">f8").reshape(4, -1)
        expected = [float(row.sum()) for row in data]
        try:
            sums = Parallel(n_jobs=2)(delayed(np.sum)(data[i]) for i in range(4))
        except Exception as exc:  # joblib's BrokenProcessPool
            print(f"Parallel failed: {type(exc).__name__}: {exc}")
            return False
        sums = [float(s) for s in sums]
        print(f"row sums from the workers: {sums}")
        ok = sums == expected
        print("same as computed in this process" if ok else f"DIFFERENT from {expected}")
        return ok
    finally:
        os.remove(path)


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
