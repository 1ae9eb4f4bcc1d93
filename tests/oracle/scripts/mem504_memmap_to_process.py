"""MEM504: four spawned processes each write one item into the memmap they are given.

A memmap pickles by value: each child writes into its own in-memory copy, and the file
keeps its zeros. Usage: python mem504_memmap_to_process.py
"""

import multiprocessing as mp

import numpy as np

from oracle_observe import emit

PATH = "shared.dat"
N = 1_000_000


def fill(out, i):
    out[i] = i + 1
    out.flush()


if __name__ == "__main__":
    out = np.memmap(PATH, dtype="f8", mode="w+", shape=(N,))
    ctx = mp.get_context("spawn")
    children = [ctx.Process(target=fill, args=(out, i)) for i in range(4)]
    for child in children:
        child.start()
    for child in children:
        child.join()
    on_disk = np.memmap(PATH, dtype="f8", mode="r", shape=(N,))
    emit(file=[float(v) for v in on_disk[:4]], exitcodes=[c.exitcode for c in children])
