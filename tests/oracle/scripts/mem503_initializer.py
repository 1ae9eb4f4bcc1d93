"""MEM503's documented rewrite: the table reaches every worker through `initializer=`.
Usage: python mem503_initializer.py [fork|forkserver|spawn]
"""

import multiprocessing as mp
import sys

import numpy as np

from oracle_observe import emit

TABLE = None


def load(table):
    global TABLE
    TABLE = table


def lookup(i):
    return None if TABLE is None else float(TABLE[i])


if __name__ == "__main__":
    table = np.arange(8.0) * 10
    method = sys.argv[1] if len(sys.argv) > 1 else None
    with mp.get_context(method).Pool(2, initializer=load, initargs=(table,)) as pool:
        values = pool.map(lookup, range(8))
    emit(values=values, method=mp.get_context(method).get_start_method())
