"""MEM501: Pool.map over a generator yielding 30 arrays of 16 MB, summed by 2 workers.

Pool.map turns the generator into a list before the first task: every array is in the
parent's memory at once. Usage: python mem501_pool_map_generator.py
"""

from multiprocessing import Pool

import numpy as np

from oracle_observe import PeakGrowth, emit

ITEMS = 30
ROWS = 2_000_000  # 16 MB of float64 each


def frames():
    for i in range(ITEMS):
        yield np.full(ROWS, float(i))


def total(frame):
    return float(frame.sum())


def main():
    with Pool(2) as pool, PeakGrowth() as growth:
        sums = pool.map(total, frames())
    emit(sums=sums, parent_peak_growth_mib=growth.mib, item_mib=ROWS * 8 / 2**20)


if __name__ == "__main__":
    main()
