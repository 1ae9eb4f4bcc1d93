"""MEM102, documented rewrite: pass a C-contiguous copy of the transposed view.

Usage: python mem102_transpose_contiguous.py WORKDIR
"""

import os
import sys

import numpy as np
from joblib import Parallel, delayed

from oracle_observe import emit


def row(block, i):
    return os.getpid(), block[i].tolist()


def main(workdir):
    path = os.path.join(workdir, "data.bin")
    np.arange(12, dtype=np.float64).tofile(path)
    data = np.memmap(path, dtype=np.float64, mode="r", shape=(3, 4))
    view = np.ascontiguousarray(data.T)
    out = Parallel(n_jobs=2)(delayed(row)(view, i) for i in range(4))
    emit(
        parent=[data.T[i].tolist() for i in range(4)],
        workers=[r for _, r in out],
        worker_pids=sorted({pid for pid, _ in out}),
        parent_pid=os.getpid(),
    )


if __name__ == "__main__":
    main(sys.argv[1])
