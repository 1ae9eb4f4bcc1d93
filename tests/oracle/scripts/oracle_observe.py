"""What an oracle script observed, printed as one JSON line the test reads back.

Memory comes from /proc/self/status (Linux): VmRSS is the resident set now, VmHWM its peak
since the process started. Both count file-backed pages of a memmap as well as anonymous
memory, as the kernel does when it runs out of memory.
"""

import json
import pickle

MARK = "MEMLINT-ORACLE "


def _status_mib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0  # kB -> MiB
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak():
    # Linux >= 4.0 resets VmHWM to the current VmRSS; where that is refused, the peak
    # since the process started is used, which the scripts keep low before measuring.
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def rss_mib():
    return _status_mib("VmRSS")


def peak_rss_mib():
    return _status_mib("VmHWM")


class PeakGrowth:
    """`with PeakGrowth() as g: ...` then `g.mib`: how far the peak resident set rose above
    the resident set at the start of the block."""

    def __enter__(self):
        _reset_peak()
        self.start = rss_mib()
        self.mib = None
        return self

    def __exit__(self, *exc):
        self.mib = round(max(0.0, peak_rss_mib() - self.start), 1)
        return False


def pickled_size(obj):
    return len(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def emit(**observed):
    print(MARK + json.dumps(observed, sort_keys=True), flush=True)


def record_ray_exports():
    """A list that receives the pickled size of each function or actor Ray exports, taken
    where Ray checks it (call before the first `.remote()`)."""
    import ray._private.function_manager as function_manager

    sizes = []
    check = function_manager.check_oversized_function

    def record(pickled, *args, **kwargs):
        sizes.append(len(pickled))
        return check(pickled, *args, **kwargs)

    function_manager.check_oversized_function = record
    return sizes


class PickledBytes:
    """`with PickledBytes() as sent: ...` then `sent.mib`: how much multiprocessing pickled in
    this process during the block, for its queues and pipes (`ForkingPickler.dumps`) and for
    the processes it spawned (`reduction.dump`)."""

    def __enter__(self):
        from multiprocessing import reduction

        self._reduction = reduction
        self._dumps, self._dump = reduction.ForkingPickler.dumps, reduction.dump
        self.bytes = 0
        dumps, dump = self._dumps, self._dump

        def counted_dumps(obj, protocol=None):
            data = dumps(obj, protocol)
            self.bytes += len(data)
            return data

        def counted_dump(obj, file, protocol=None):
            start = file.tell()
            dump(obj, file, protocol)
            self.bytes += file.tell() - start

        reduction.ForkingPickler.dumps = counted_dumps
        reduction.dump = counted_dump
        return self

    def __exit__(self, *exc):
        self._reduction.ForkingPickler.dumps = self._dumps
        self._reduction.dump = self._dump
        self.mib = round(self.bytes / 2**20, 1)
        return False


def private_dirty_mib():
    """This process's private dirty memory (Linux's /proc/self/smaps_rollup): the pages it
    wrote that no other process shares, copies of the parent's among them."""
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            if line.startswith("Private_Dirty:"):
                return int(line.split()[1]) / 1024.0
    raise RuntimeError("Private_Dirty not in /proc/self/smaps_rollup")
