"""MEM302, rewritten: each worker returns its value and the parent writes it.
Usage: python mem302_worker_writes_returned.py small|large
"""

import sys

import numpy as np
from joblib import Parallel, delayed

from oracle_observe import emit

SIZES = {"small": 1_000, "large": 1_000_000}


def value(i):
    return i + 1


def main():
    n = SIZES[sys.argv[1]]
    out = np.zeros(n)
    try:
        out[:8] = Parallel(n_jobs=2)(delayed(value)(i) for i in range(8))
    except Exception as exc:
        emit(error=f"{type(exc).__name__}: {exc}", written=int(np.count_nonzero(out)))
        return
    emit(error=None, written=int(np.count_nonzero(out)), head=out[:8].tolist())


if __name__ == "__main__":
    main()
