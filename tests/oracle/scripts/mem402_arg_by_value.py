"""MEM402: the same 8 MB lookup table passed by value to 16 `.remote()` calls.

Ray serializes a by-value argument and stores it again for every call: sixteen copies of
the table are made and shipped. `ray.put` once and passing the reference stores one. The
table's `__reduce__` counts, in the driver, how many times it is serialized.
Usage: python mem402_arg_by_value.py
"""

import os
import shutil
import tempfile

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import numpy as np  # noqa: E402
import ray  # noqa: E402

from oracle_observe import emit, pickled_size  # noqa: E402

CALLS = 16
SERIALIZED = []


class Table:
    def __init__(self, values):
        self.values = values

    def __reduce__(self):
        SERIALIZED.append(1)
        return (Table, (self.values,))


@ray.remote
def score(table, i):
    return float(table.values[i * 1_000 : (i + 1) * 1_000].sum())


def main():
    tmp = tempfile.mkdtemp(prefix="ray")
    try:
        ray.init(num_cpus=1, include_dashboard=False, _temp_dir=tmp, log_to_driver=False)
        table = Table(np.arange(1_000_000, dtype=np.float64))
        table_bytes = pickled_size(table.values)
        refs = [score.remote(table, i) for i in range(CALLS)]
        results = ray.get(refs)
        emit(
            calls=CALLS,
            serialized=len(SERIALIZED),
            table_bytes=table_bytes,
            total=float(sum(results)),
        )
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
