"""MEM203: a bound method of a reader that keeps its file open, mapped over 8 blocks.

The method takes its instance into every task; the process scheduler (like distributed)
pickles each task, and an open file handle cannot be pickled. The threaded scheduler runs
it, which is how it passes a test. Usage: python mem203_bound_handle.py
"""

import os

import dask.array as da
import numpy as np

from oracle_observe import emit

PATH = "table.f8"


class Reader:
    def __init__(self, path):
        self.handle = open(path, "rb")

    def remap(self, block):
        # A read at an offset (no seek): the threads share the one handle.
        fd = self.handle.fileno()
        table = np.frombuffer(os.pread(fd, os.fstat(fd).st_size, 0), dtype=np.float64)
        return table[block]


def main():
    np.arange(1_000, dtype=np.float64).tofile(PATH)
    reader = Reader(PATH)
    codes = da.arange(8 * 500, chunks=500) % 1_000
    values = da.map_blocks(reader.remap, codes, meta=np.array((), dtype=np.float64))
    threads = float(values.sum().compute(scheduler="threads"))
    try:
        processes = float(values.sum().compute(scheduler="processes", num_workers=2))
    except Exception as exc:
        emit(threads=threads, error=f"{type(exc).__name__}: {exc}")
        return
    finally:
        os.remove(PATH)
    emit(threads=threads, processes=processes)


if __name__ == "__main__":
    main()
