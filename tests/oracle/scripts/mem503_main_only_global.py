"""MEM503: a pool worker reads a global that only the `__main__` block sets.

Under fork (Linux's default before Python 3.14) the workers inherit it; under forkserver
(the default from 3.14) and spawn they import the module afresh and see None, and nothing
raises. Usage: python mem503_main_only_global.py [fork|forkserver|spawn]
"""

import multiprocessing as mp
import sys

import numpy as np

from oracle_observe import emit

TABLE = None


def lookup(i):
    return None if TABLE is None else float(TABLE[i])


if __name__ == "__main__":
    TABLE = np.arange(8.0) * 10
    method = sys.argv[1] if len(sys.argv) > 1 else None
    with mp.get_context(method).Pool(2) as pool:
        values = pool.map(lookup, range(8))
    emit(values=values, method=mp.get_context(method).get_start_method())
