"""dask #10787: an object holding a 30,000-row pandas Series, passed to `map_blocks`, is
copied into every one of the 100 tasks: dask sizes the object by its header (a few dozen
bytes) and never lifts it into a graph key of its own. memlint reports MEM203, and
`memlint --fix` passes `dask.delayed(mapper)` instead, which stores it once. (`meta=` is
given, so dask does not infer the output by calling `apply_mapper` on the delayed object.)

Run: python examples/dask_map_blocks_mapper.py  (prints the pickled size of the mapped
tasks and a checksum of the result)
"""

import cloudpickle
import dask.array as da
import numpy as np
import pandas as pd


class Mapper:
    """Maps integer codes to values through a lookup table."""

    def __init__(self, table):
        self.table = table

    def lookup(self, codes):
        return self.table.to_numpy()[codes % len(self.table)]


def apply_mapper(block, mapper):
    return mapper.lookup(block)


def main():
    mapper = Mapper(pd.Series(np.linspace(0.0, 1.0, 30_000)))
    codes = da.arange(1_000_000, chunks=10_000)
    mapped = codes.map_blocks(apply_mapper, mapper, meta=np.array((), dtype=np.float64))

    # What a distributed scheduler ships: each task of the graph, pickled on its own.
    graph = dict(mapped.__dask_graph__())
    sizes = [len(cloudpickle.dumps(task)) for task in graph.values()]
    print(f"{len(graph)} tasks, pickled one by one: {sum(sizes) / 1e6:.2f} MB in all, "
          f"{max(sizes) / 1e6:.3f} MB for the largest")
    print(f"checksum: {float(mapped.sum().compute())!r}")


if __name__ == "__main__":
    main()
