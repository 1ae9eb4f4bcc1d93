"""MEM302: two joblib workers write `out[i] = i + 1` into the array they are given.

Each worker gets a copy (a read-only memory map above max_nbytes): small arrays lose the
writes silently, large ones raise. Usage: python mem302_worker_writes.py small|large
"""

import sys

import numpy as np
from joblib import Parallel, delayed

from oracle_observe import emit

SIZES = {"small": 1_000, "large": 1_000_000}  # 8 KB and 8 MB of float64


def mark(out, i):
    out[i] = i + 1


def main():
    n = SIZES[sys.argv[1]]
    out = np.zeros(n)
    try:
        Parallel(n_jobs=2)(delayed(mark)(out, i) for i in range(8))
    except Exception as exc:
        emit(error=f"{type(exc).__name__}: {exc}", written=int(np.count_nonzero(out)))
        return
    emit(error=None, written=int(np.count_nonzero(out)), head=out[:8].tolist())


if __name__ == "__main__":
    main()
