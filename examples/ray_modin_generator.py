"""Modin #7004 / PR #7005: a Ray task that returns its output partitions (each followed by
its metadata) as one flattened list holds every partition in the worker's heap until the
task ends. Modin 0.29.0 turned `_deploy_ray_func` into a generator, so Ray stores and
frees each partition before the next one is built. The caller sets `num_returns` either way.

Run: python examples/ray_modin_generator.py  (needs ray; prints the worker's peak heap)
memlint reports MEM401 at the return; `memlint check --fix --unsafe-fixes` rewrites it into
`yield from (...)`: run the rewritten copy to compare the peaks. With ray 2.60.0 the
worker's heap peaked at 558 MiB returning the list and at 173 MiB yielding the items.
"""

import os
import threading
import time

import numpy as np
import ray

NUM_SPLITS = 8
PARTITION_MIB = 64
COLUMNS = 16
_PARTITIONS_METADATA_LEN = 3  # length, width, ip: as in Modin


def _split(k, rows):
    # Stands in for Modin's deployer: computes one output partition.
    return np.full((rows, COLUMNS), float(k))


@ray.remote
def _deploy_ray_func(num_splits, rows):
    ip = ray.util.get_node_ip_address()
    result = (_split(k, rows) for k in range(num_splits))
    return [i for r in result for i in [r, len(r), r.shape[1], ip]]


def _rss_anon_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _ray_workers():
    pids = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if f.read(5) == b"ray::":
                        pids.append(int(pid))
            except OSError:
                pass
    return pids


def _sample(stop, peaks, first):
    """Record the largest anonymous (heap) RSS of every Ray worker process."""
    pids, rescanned = [], 0.0
    while not stop.is_set():
        now = time.monotonic()
        if now - rescanned > 0.05:
            pids, rescanned = _ray_workers(), now
        for pid in pids:
            mib = _rss_anon_mib(pid)
            if mib is not None:
                first.setdefault(pid, mib)
                peaks[pid] = max(peaks.get(pid, 0.0), mib)
        time.sleep(0.002)


def main():
    ray.init(num_cpus=1, include_dashboard=False, object_store_memory=2 * 1024**3)
    rows = PARTITION_MIB * 2**20 // (8 * COLUMNS)
    ray.get(_deploy_ray_func.options(num_returns=4).remote(1, 1))  # start the worker
    stop, peaks, first = threading.Event(), {}, {}
    sampler = threading.Thread(target=_sample, args=(stop, peaks, first), daemon=True)
    sampler.start()
    time.sleep(0.2)
    refs = _deploy_ray_func.options(
        num_returns=NUM_SPLITS * (1 + _PARTITIONS_METADATA_LEN)
    ).remote(NUM_SPLITS, rows)
    lengths = ray.get(refs[1::4])
    ok = lengths == [rows] * NUM_SPLITS
    for k, ref in enumerate(refs[0::4]):
        ok = ok and float(ray.get(ref)[0, 0]) == float(k)
    time.sleep(0.2)
    stop.set()
    sampler.join()
    worker = max(peaks, key=lambda pid: peaks[pid] - first[pid])
    print(
        f"{NUM_SPLITS} partitions of {PARTITION_MIB} MiB: worker heap (RssAnon) peaked at "
        f"{peaks[worker]:.0f} MiB (idle {first[worker]:.0f} MiB); values "
        + ("correct" if ok else "WRONG")
    )
    ray.shutdown()
    return ok


if __name__ == "__main__":
    raise SystemExit(0 if main() else 1)
