"""MEM404: a task that returns `ray.put(value)`.

The value belongs to the worker that put it, not to the caller: when that worker dies (here
it is killed once the tasks are done, as when it crashes or its node goes away), the value
is lost and getting it fails, although every task succeeded (Ray's anti-pattern "Returning
ray.put() ObjectRefs from a task harms performance and fault tolerance"). Each task also
returns its worker's process id; the caller takes either an inner reference or the value.
Usage: python mem404_return_put.py
"""

import os
import shutil
import signal
import tempfile
import time

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import numpy as np  # noqa: E402
import ray  # noqa: E402

from oracle_observe import emit  # noqa: E402

TASKS = 4


@ray.remote
def make(i):
    return ray.put(np.full(1_000_000, float(i))), os.getpid()


def main():
    tmp = tempfile.mkdtemp(prefix="ray")
    try:
        ray.init(num_cpus=1, include_dashboard=False, _temp_dir=tmp, log_to_driver=False)
        got = ray.get([make.remote(i) for i in range(TASKS)])
        for pid in {pid for _, pid in got}:
            os.kill(pid, signal.SIGKILL)
        time.sleep(1.0)
        try:
            values = [ray.get(v, timeout=60) if isinstance(v, ray.ObjectRef) else v for v, _ in got]
            emit(error=None, sums=[float(v.sum()) for v in values])
        except Exception as exc:  # noqa: BLE001 - what the caller sees is the observation
            emit(error=type(exc).__name__, sums=None)
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
