"""MEM205, rewritten as dask's delayed best practices say: one delayed call per block of
`x.to_delayed()`, so each task receives one chunk. Usage: python
mem205_delayed_on_collection_blocks.py
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
    summaries = [dask.delayed(summarize)(block) for block in x.to_delayed().ravel()]

    results = dask.compute(*summaries, scheduler="sync")
    emit(
        tasks=len(results),
        array_bytes=int(x.nbytes),
        task_max_received=max(received for _, received in results),
        total=float(sum(total for total, _ in results)),
    )


if __name__ == "__main__":
    main()
