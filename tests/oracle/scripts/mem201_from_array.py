"""MEM201: da.from_array on a 512 MiB memmap.

dask 2024.2.0 to 2024.5.2 tokenize the memmap by pickling it: the whole file is read and
copied into RAM (dask #11152). Usage: python mem201_from_array.py FILE ROWS COLS
"""

import sys
import time

import dask.array as da
import numpy as np

from oracle_observe import PeakGrowth, emit


def main(path, rows, cols):
    data = np.memmap(path, dtype=np.float64, mode="r", shape=(rows, cols))
    started = time.perf_counter()
    with PeakGrowth() as graph:
        x = da.from_array(data, chunks=(rows // 8, cols))
    seconds = time.perf_counter() - started
    emit(
        graph_peak_growth_mib=graph.mib,
        graph_seconds=round(seconds, 2),
        total=float(x.sum().compute(scheduler="threads")),
        corners=[float(x[0, 0].compute()), float(x[-1, -1].compute())],
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
