"""dask #11152: `da.from_array` on a memmap without `name=` reads the whole file to hash it on
dask 2024.2.0 to 2024.5.2 (again from 2024.8.1 on), and 2024.2.1 to 2024.5.2 also copy it
into memory; the array was meant to be read lazily, one chunk per task.

Run: python examples/dask_from_array_memmap.py [size in MB, default 512]
(prints the peak resident memory before and after from_array, and how long it took)
"""

import os
import resource
import sys
import tempfile
import time

import dask
import dask.array as da
import numpy as np


def peak_rss_mb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20  # kB on Linux


def write_file(path, size_mb):
    block = np.arange(2**20, dtype=np.float64)  # 8 MB, written piece by piece
    with open(path, "wb") as f:
        for _ in range(max(1, size_mb // 8)):
            block.tofile(f)


def main(size_mb):
    path = os.path.join(tempfile.mkdtemp(), "data.bin")
    write_file(path, size_mb)
    try:
        data = np.memmap(path, dtype=np.float64, mode="r")
        before = peak_rss_mb()
        start = time.perf_counter()
        arr = da.from_array(data, chunks=2**22)
        elapsed = time.perf_counter() - start
        after = peak_rss_mb()
        first = float(arr[:10].sum().compute())
        print(
            f"dask {dask.__version__}: from_array on a {data.nbytes / 2**20:.0f} MB memmap took "
            f"{elapsed:.2f} s; peak RSS {before:.0f} MB before, {after:.0f} MB after "
            f"(first chunk sum {first:.0f})"
        )
        del arr, data
        return after
    finally:
        os.remove(path)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 512)
