"""MEM204: the same 2 MB array passed to `dask.delayed(score)(...)` on each of 20 loop
iterations.

A delayed call embeds its plain arguments in its own task, so every one of the 20 tasks
carries the whole array; a distributed scheduler serializes and ships each task on its
own. Wrapping the array once in `dask.delayed` before the loop makes it one graph key that
every task refers to. Usage: python mem204_delayed_in_loop.py
"""

import dask
import numpy as np

from oracle_observe import emit, pickled_size

CALLS = 20


def score(i, weights):
    return float(weights[i * 1_000 : (i + 1) * 1_000].sum())


def main():
    weights = np.arange(250_000, dtype=np.float64)
    parts = []
    for i in range(CALLS):
        parts.append(dask.delayed(score)(i, weights))

    graph = {}
    for part in parts:
        graph.update(part.__dask_graph__())
    sizes = [pickled_size(graph[part.key]) for part in parts]
    emit(
        tasks=len(sizes),
        task_max_bytes=max(sizes),
        task_total_bytes=sum(sizes),
        graph_total_bytes=sum(pickled_size(task) for task in graph.values()),
        weights_bytes=int(250_000 * 8),
        total=float(sum(dask.compute(*parts, scheduler="sync"))),
    )


if __name__ == "__main__":
    main()
