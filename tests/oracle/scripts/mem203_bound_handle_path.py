"""MEM203, rewritten: a module-level function given the path opens the file itself, in
each task, so nothing open is pickled. Usage: python mem203_bound_handle_path.py
"""

import os

import dask.array as da
import numpy as np

from oracle_observe import emit

PATH = "table.f8"


def remap(block, path):
    with open(path, "rb") as handle:
        table = np.frombuffer(handle.read(), dtype=np.float64)
    return table[block]


def main():
    np.arange(1_000, dtype=np.float64).tofile(PATH)
    codes = da.arange(8 * 500, chunks=500) % 1_000
    values = da.map_blocks(remap, codes, PATH, meta=np.array((), dtype=np.float64))
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
