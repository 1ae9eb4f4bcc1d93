"""MEM202: a memmap given to a pure delayed call, `dask.delayed(np.sum, pure=True)(data)`.

A pure call names its task by hashing its arguments; dask 2024.2.0 to 2024.5.2 hash a
memmap by pickling it, which reads the whole file and copies it into RAM (dask #11152),
while building the graph, before anything is computed.
Usage: python mem202_delayed_pure.py FILE ROWS COLS
"""

import sys
import time

import dask
import numpy as np

from oracle_observe import PeakGrowth, emit


def main(path, rows, cols):
    data = np.memmap(path, dtype=np.float64, mode="r", shape=(rows, cols))
    started = time.perf_counter()
    with PeakGrowth() as graph:
        task = dask.delayed(np.sum, pure=True)(data)
    seconds = time.perf_counter() - started
    emit(
        graph_peak_growth_mib=graph.mib,
        graph_seconds=round(seconds, 2),
        total=float(task.compute(scheduler="sync")),
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
