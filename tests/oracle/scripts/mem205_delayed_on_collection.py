"""MEM205: a dask array of 8 chunks passed to `dask.delayed(summarize)(...)`.

A delayed function receives its arguments computed: the task gets the whole array as one
NumPy array, in one worker's memory. Usage: python mem205_delayed_on_collection.py
"""

import dask
import dask.array as da
import numpy as np

from oracle_observe import emit

CHUNK = 1_000_000
CHUNKS = 8


def summarize(block):
    return float(block.sum()), int(block.nbytes)


def main():
    x = da.arange(CHUNK * CHUNKS, chunks=CHUNK, dtype=np.float64)
    summary = dask.delayed(summarize)(x)

    total, received = dask.compute(summary, scheduler="sync")[0]
    emit(
        tasks=1,
        array_bytes=int(x.nbytes),
        task_max_received=received,
        total=total,
    )


if __name__ == "__main__":
    main()
