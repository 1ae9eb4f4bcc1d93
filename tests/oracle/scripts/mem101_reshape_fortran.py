"""MEM101: a 1-D memmap reshaped to (5, 3) in Fortran order and handed to joblib process
workers.

From joblib 1.5.0 on the workers rebuild the view row-major and read scrambled rows (the
other side of the joblib #1704 fix). Usage: python mem101_reshape_fortran.py WORKDIR
"""

import os
import sys

import numpy as np
from joblib import Parallel, delayed

from oracle_observe import emit


def row(data, i):
    return os.getpid(), data[i].tolist()


def main(workdir):
    path = os.path.join(workdir, "data.bin")
    np.arange(15, dtype=np.float64).tofile(path)
    data = np.memmap(path, dtype=np.float64, mode="r").reshape(5, 3, order="F")
    out = Parallel(n_jobs=2)(delayed(row)(data, i) for i in range(5))
    emit(
        parent=[data[i].tolist() for i in range(5)],
        workers=[r for _, r in out],
        worker_pids=sorted({pid for pid, _ in out}),
        parent_pid=os.getpid(),
    )


if __name__ == "__main__":
    main(sys.argv[1])
