"""MEM301: a 1.6 MB big-endian array handed to joblib process workers.

joblib 1.3.0 to 1.4.2 dump it to a temporary memmap (it is above max_nbytes, 1 MB) and the
workers fail to load it back: BrokenProcessPool (joblib #1545).
Usage: python mem301_big_endian.py
"""

import numpy as np
from joblib import Parallel, delayed

from oracle_observe import emit


def part_sum(block, i):
    return block.dtype.str, int(block[i::4].sum())


def main():
    data = np.arange(400_000, dtype=">i4")
    try:
        out = Parallel(n_jobs=2)(delayed(part_sum)(data, i) for i in range(4))
        error = None
    except Exception as exc:  # the hazard: report it rather than die
        out, error = None, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    emit(
        nbytes=int(data.nbytes),
        parent=[part_sum(data, i)[1] for i in range(4)],
        workers=None if out is None else [s for _, s in out],
        worker_dtypes=None if out is None else sorted({d for d, _ in out}),
        error=error,
    )


if __name__ == "__main__":
    main()
