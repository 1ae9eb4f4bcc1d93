"""MEM502's documented rewrite: each worker receives the array once, through `initializer=`
and `initargs=`, and the tasks read it from a module global.
Usage: python mem502_initializer.py
"""

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from oracle_observe import PickledBytes, emit

TASKS = 24
TABLE = None


def load_table(table):
    global TABLE
    TABLE = table


def score(i):
    return float(TABLE[i::TASKS].sum())


def main():
    table = np.random.default_rng(0).random(4_000_000)
    with PickledBytes() as sent:
        with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn"),
                                 initializer=load_table, initargs=(table,)) as ex:
            futures = [ex.submit(score, i) for i in range(TASKS)]
            scores = [f.result() for f in futures]
    emit(scores=scores, pickled_mib=sent.mib, table_mib=table.nbytes / 2**20, tasks=TASKS)


if __name__ == "__main__":
    main()
