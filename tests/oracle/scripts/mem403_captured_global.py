"""MEM403: a remote function that reads a 16 MB module-level array.

cloudpickle pickles the array into the function itself: Ray exports a 16 MB function, and
every worker that runs it loads that copy (Ray's anti-pattern "Closure capturing large
objects harms performance"; above 10 MB Ray warns that the function "is very large"). What
Ray exports is recorded where it checks the function's size.
Usage: python mem403_captured_global.py
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

TABLE = np.arange(2_000_000, dtype=np.float64)


@ray.remote
def score(i):
    return float(TABLE[i * 1_000 : (i + 1) * 1_000].sum())


def main():
    tmp = tempfile.mkdtemp(prefix="ray")
    try:
        ray.init(num_cpus=1, include_dashboard=False, _temp_dir=tmp, log_to_driver=False)
        results = ray.get([score.remote(i) for i in range(CALLS)])
        emit(exported_bytes=max(EXPORTED), table_bytes=pickled_size(TABLE),
             total=float(sum(results)))
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
