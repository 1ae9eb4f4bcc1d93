"""MEM502: a 32 MB array sent with each of 24 tasks of a ProcessPoolExecutor (spawn).

The pool pickles every task's arguments: the array is serialized once per task.
Usage: python mem502_per_task.py
"""

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from oracle_observe import PickledBytes, emit

TASKS = 24


def score(table, i):
    return float(table[i::TASKS].sum())


def main():
    table = np.random.default_rng(0).random(4_000_000)
    with PickledBytes() as sent:
        with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as ex:
            futures = [ex.submit(score, table, i) for i in range(TASKS)]
            scores = [f.result() for f in futures]
    emit(scores=scores, pickled_mib=sent.mib, table_mib=table.nbytes / 2**20, tasks=TASKS)


if __name__ == "__main__":
    main()
