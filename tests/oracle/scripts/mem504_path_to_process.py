"""MEM504's documented rewrite: the children get the path and shape, and open the file
with "r+". Usage: python mem504_path_to_process.py
"""

import multiprocessing as mp

import numpy as np

from oracle_observe import emit

PATH = "shared.dat"
N = 1_000_000


def fill(path, shape, i):
    out = np.memmap(path, dtype="f8", mode="r+", shape=shape)
    out[i] = i + 1
    out.flush()


if __name__ == "__main__":
    out = np.memmap(PATH, dtype="f8", mode="w+", shape=(N,))
    ctx = mp.get_context("spawn")
    children = [ctx.Process(target=fill, args=(PATH, out.shape, i)) for i in range(4)]
    for child in children:
        child.start()
    for child in children:
        child.join()
    on_disk = np.memmap(PATH, dtype="f8", mode="r", shape=(N,))
    emit(file=[float(v) for v in on_disk[:4]], exitcodes=[c.exitcode for c in children])
