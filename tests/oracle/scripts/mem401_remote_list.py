"""MEM401: a Ray task that builds a list of eight 61 MiB arrays and returns it.

The whole list sits on the worker's heap until the task ends; Ray's generator pattern frees
each value once it is stored (Modin #7004/#7005). A thread in the worker samples its
anonymous (heap) memory and writes the peak to a file the driver reads.
Usage: python mem401_remote_list.py
"""

import os
import shutil
import tempfile
import threading
import time

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

import numpy as np  # noqa: E402
import ray  # noqa: E402

from oracle_observe import emit  # noqa: E402

PARTS = 8
PART_ITEMS = 8_000_000  # float64: 61 MiB


def heap_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("no RssAnon")


def watch_heap(report):
    """Write this process's peak heap growth to `report` until the process ends."""

    def sample(start):
        peak = 0.0
        while True:
            grown = heap_mib() - start
            if grown > peak:
                peak = grown
                with open(report, "w") as f:
                    f.write(str(peak))
            time.sleep(0.002)

    threading.Thread(target=sample, args=(heap_mib(),), daemon=True).start()


@ray.remote
def split(report, parts):
    watch_heap(report)
    out = []
    for i in range(parts):
        out.append(np.full(PART_ITEMS, float(i)))
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="ray")
    report = os.path.join(tmp, "heap-peak")
    try:
        ray.init(num_cpus=1, include_dashboard=False, _temp_dir=tmp, object_store_memory=1_200_000_000,
                 log_to_driver=False)
        refs = split.options(num_returns=PARTS).remote(report, PARTS)
        sums = [float(v.sum()) for v in ray.get(refs)]
        time.sleep(0.2)  # let the sampler see the task's end
        with open(report) as f:
            peak = float(f.read())
        emit(worker_heap_peak_mib=round(peak, 1), sums=sums, part_mib=PART_ITEMS * 8 / 2**20)
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
