"""MEM304: the results of 48 joblib tasks, each a 16 MB array, summed in the parent.

Parallel returns them as a list: the parent holds all 48 before `sum` adds them up.
Usage: python mem304_parallel_sum.py
"""

import time

import numpy as np
from joblib import Parallel, delayed

from oracle_observe import PeakGrowth, emit

TASKS = 48
ROWS = 2_000_000  # 16 MB of float64 per result


def block(i):
    time.sleep(0.05)  # some work: the parent adds each result up before the next arrives
    return np.full(ROWS, i * 0.1)


def main():
    with PeakGrowth() as growth:
        total = sum(Parallel(n_jobs=2)(delayed(block)(i) for i in range(TASKS)))
    emit(checksum=float(total.sum()), first=float(total[0]), parent_peak_growth_mib=growth.mib,
         result_mib=ROWS * 8 / 2**20, tasks=TASKS)


if __name__ == "__main__":
    main()
