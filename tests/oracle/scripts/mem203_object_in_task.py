"""MEM203: an object holding a 2 MB lookup table passed to map_blocks over 40 blocks.

dask lifts an argument into its own graph key only when `sizeof` says it is big, and the
size of a plain Python object is its shell (dask #10787, #7860): the table is pickled into
every task. Usage: python mem203_object_in_task.py
"""

import dask.array as da
import numpy as np
from dask.core import flatten

from oracle_observe import emit, pickled_size


class Lookup:
    def __init__(self, table):
        self.table = table


def remap(block, lookup):
    return lookup.table[block]


def main():
    lookup = Lookup(np.arange(250_000, dtype=np.float64) * 0.5)
    codes = da.arange(40 * 5_000, chunks=5_000) % 250_000
    values = codes.map_blocks(remap, lookup, meta=np.array((), dtype=np.float64))

    graph = dict(values.__dask_graph__())
    sizes = [pickled_size(graph[key]) for key in flatten(values.__dask_keys__())]
    emit(
        tasks=len(sizes),
        task_max_bytes=max(sizes),
        task_total_bytes=sum(sizes),
        table_bytes=int(lookup.table.nbytes),
        total=float(values.sum().compute(scheduler="threads")),
    )


if __name__ == "__main__":
    main()
