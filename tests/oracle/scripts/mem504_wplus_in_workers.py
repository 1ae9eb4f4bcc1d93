"""MEM504: pool workers each open the shared output with mode "w+" and write one item.

"w+" creates the file anew: each open truncates what the workers before wrote, and only
the last writer's item survives. Usage: python mem504_wplus_in_workers.py
"""

import multiprocessing as mp
import time

import numpy as np

from oracle_observe import emit

PATH = "out.dat"
N = 1000


def write_one(i):
    time.sleep(0.2 * i)  # one after the other, as workers that start at different times
    out = np.memmap(PATH, dtype="f8", mode="w+", shape=(N,))
    out[i] = i + 1
    out.flush()


if __name__ == "__main__":
    np.memmap(PATH, dtype="f8", mode="w+", shape=(N,)).flush()
    with mp.get_context("fork").Pool(4) as pool:
        pool.map(write_one, range(4))
    emit(file=[float(v) for v in np.memmap(PATH, dtype="f8", mode="r", shape=(N,))[:4]])
