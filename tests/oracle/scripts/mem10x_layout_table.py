"""MEM101/MEM102's layout table: one view of a memory-mapped file (the VIEW line, written by
the test), handed to joblib process workers, and what the workers see of it.

Usage: python mem10x_layout_table.py WORKDIR
"""

import os
import sys

import numpy as np
from joblib import Parallel, delayed

from oracle_observe import emit


def seen(view):
    return os.getpid(), view.tolist()


def main(workdir):
    path = os.path.join(workdir, "data.bin")
    np.arange(24, dtype=np.float64).tofile(path)
    view = VIEW
    out = Parallel(n_jobs=2)(delayed(seen)(view) for _ in range(2))
    emit(
        parent=view.tolist(),
        workers=[v for _, v in out],
        worker_pids=sorted({pid for pid, _ in out}),
        parent_pid=os.getpid(),
    )


if __name__ == "__main__":
    main(sys.argv[1])
