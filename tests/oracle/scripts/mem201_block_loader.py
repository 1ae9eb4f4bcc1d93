"""MEM201, documented rewrite: each block maps the file itself inside its own task, so
building the graph reads nothing and copies nothing.

Usage: python mem201_block_loader.py FILE ROWS COLS
"""

import sys
import time

import dask
import dask.array as da
import numpy as np

from oracle_observe import PeakGrowth, emit


def load_block(path, shape, start, stop):
    data = np.memmap(path, dtype=np.float64, mode="r", shape=shape)
    return np.asarray(data[start:stop])


def memmap_array(path, shape, block_rows):
    blocks = []
    for start in range(0, shape[0], block_rows):
        stop = min(start + block_rows, shape[0])
        block = dask.delayed(load_block)(path, shape, start, stop)
        blocks.append(da.from_delayed(block, shape=(stop - start,) + shape[1:], dtype=np.float64))
    return da.concatenate(blocks, axis=0)


def main(path, rows, cols):
    started = time.perf_counter()
    with PeakGrowth() as graph:
        x = memmap_array(path, (rows, cols), rows // 8)
    seconds = time.perf_counter() - started
    emit(
        graph_peak_growth_mib=graph.mib,
        graph_seconds=round(seconds, 2),
        total=float(x.sum().compute(scheduler="threads")),
        corners=[float(x[0, 0].compute()), float(x[-1, -1].compute())],
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
