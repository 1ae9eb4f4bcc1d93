"""MEM403, rewritten as Ray's anti-pattern page says: the array is put in the object store
once and its reference passed to each call; the function no longer carries it.
Usage: python mem403_captured_global_put.py
"""

import os
import shutil
import tempfile

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import numpy as np  # noqa: E402
import ray  # noqa: E402

from oracle_observe import emit, pickled_size, record_ray_exports  # noqa: E402

CALLS = 8
EXPORTED = record_ray_exports()


@ray.remote
def score(table, i):
    return float(table[i * 1_000 : (i + 1) * 1_000].sum())


def main():
    tmp = tempfile.mkdtemp(prefix="ray")
    try:
        ray.init(num_cpus=1, include_dashboard=False, _temp_dir=tmp, log_to_driver=False)
        table = np.arange(2_000_000, dtype=np.float64)
        table_ref = ray.put(table)
        results = ray.get([score.remote(table_ref, i) for i in range(CALLS)])
        emit(exported_bytes=max(EXPORTED), table_bytes=pickled_size(table),
             total=float(sum(results)))
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
