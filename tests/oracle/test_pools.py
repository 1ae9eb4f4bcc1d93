"""The process-pool and joblib data-flow rules, each hazard run with the real library (and
the Python of the oracle environments), then its fix or documented rewrite, with the
same results."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.oracle


def test_mem501_imap_fix_takes_items_as_needed(oracle_project, observed):
    project = oracle_project("mem501_pool_map_generator.py", "joblib-1.6.0")
    findings = project.findings_of("MEM501")
    assert [f["location"]["row"] for f in findings] == [project.row_of("pool.map(total, frames())")]

    before = project.run()
    items = len(before["sums"])
    assert before["parent_peak_growth_mib"] > 0.8 * items * before["item_mib"], before

    project.fix("--unsafe-fixes")
    assert "sums = list(pool.imap(total, frames()))" in project.source
    assert project.findings_of("MEM501") == []

    after = project.run()
    assert after["sums"] == before["sums"]
    assert after["parent_peak_growth_mib"] < 0.3 * before["parent_peak_growth_mib"], after
    observed("MEM501", "Python 3.11 (joblib-1.6.0 env)",
             f"parent peak +{before['parent_peak_growth_mib']:.0f} MiB for {items} items of {before['item_mib']:.0f} MiB",
             f"+{after['parent_peak_growth_mib']:.0f} MiB, same sums")


@pytest.mark.parametrize("env", ["joblib-1.4.2", "joblib-1.6.0"])
def test_mem304_generator_fix_frees_each_result(oracle_project, observed, env):
    project = oracle_project("mem304_parallel_sum.py", env)
    findings = project.findings_of("MEM304")
    assert [f["location"]["row"] for f in findings] == [project.row_of("total = sum(Parallel")]

    before = project.run()
    assert before["parent_peak_growth_mib"] > 0.8 * before["tasks"] * before["result_mib"], before

    project.fix()
    assert 'Parallel(n_jobs=2, return_as="generator")' in project.source
    assert project.findings_of("MEM304") == []

    after = project.run()
    assert (after["checksum"], after["first"]) == (before["checksum"], before["first"])  # same order, same bits
    # The generator holds only the results not yet added up.
    assert after["parent_peak_growth_mib"] < 0.3 * before["parent_peak_growth_mib"], after
    observed("MEM304", env,
             f"parent peak +{before['parent_peak_growth_mib']:.0f} MiB for {before['tasks']} results of {before['result_mib']:.0f} MiB",
             f"+{after['parent_peak_growth_mib']:.0f} MiB, the same sum to the bit")


@pytest.mark.parametrize("env", ["joblib-1.4.2", "joblib-1.6.0"])
def test_mem302_writes_into_an_argument_are_lost_or_raise(oracle_project, observed, env):
    project = oracle_project("mem302_worker_writes.py", env)
    findings = project.findings_of("MEM302")
    assert [f["location"]["row"] for f in findings] == [project.row_of("delayed(mark)(out, i)")]

    small, large = project.run("small"), project.run("large")
    assert small["error"] is None and small["written"] == 0, small  # lost without a word
    assert "read-only" in large["error"] and large["written"] == 0, large

    project.rewrite_as("mem302_worker_writes_returned.py")  # no fix: the message's rewrite
    assert project.findings_of("MEM302") == []
    expected = [float(i + 1) for i in range(8)]
    for size in ("small", "large"):
        after = project.run(size)
        assert after["error"] is None and after["head"] == expected, after
    observed("MEM302", env, f"8 KB array: 0 of 8 writes reach the parent, no error; 8 MB: {large['error'][:60]}",
             "values returned and written by the parent: all 8, both sizes")


@pytest.mark.parametrize("env", ["joblib-1.4.2", "joblib-1.6.0"])
def test_mem303_compressed_dumps_and_npz_archives_map_nothing(oracle_project, observed, env):
    project = oracle_project("mem303_mmap_compressed.py", env)
    rows = sorted(f["location"]["row"] for f in project.findings_of("MEM303"))
    assert rows == [project.row_of('joblib.load("features.pkl.gz"'), project.row_of('np.load("bundle.npz"')]

    before = project.run()
    if env == "joblib-1.4.2":
        assert before["joblib_error"].startswith("ValueError"), before
    else:
        assert before["joblib_type"] == "ndarray" and before["joblib_warned"], before  # in memory
    assert before["npz_type"] == "ndarray", before  # not a memmap, and no warning

    project.rewrite_as("mem303_mmap_uncompressed.py")  # no fix: the message's rewrite
    assert project.findings_of("MEM303") == []
    after = project.run()
    assert after["joblib_type"] == "memmap" and after["npz_type"] == "memmap", after
    assert after["joblib_sum"] == after["npz_sum"] == before["npz_sum"]
    joblib_before = before["joblib_error"] or f"a {before['joblib_type']} in memory, with a warning"
    observed("MEM303", env, f"compressed dump: {joblib_before[:70]}; .npz: an ndarray, no warning",
             "uncompressed dump and .npy: both memmaps, the same sums")


def test_mem502_initializer_sends_the_array_once_per_worker(oracle_project, observed):
    project = oracle_project("mem502_per_task.py", "joblib-1.6.0")
    findings = project.findings_of("MEM502")
    assert [f["location"]["row"] for f in findings] == [project.row_of("ex.submit(score, table, i)")]

    before = project.run()
    assert before["pickled_mib"] > 0.9 * before["tasks"] * before["table_mib"], before

    project.rewrite_as("mem502_initializer.py")  # no fix: the message's rewrite
    assert project.findings_of("MEM502") == []
    after = project.run()
    assert after["scores"] == before["scores"]
    assert after["pickled_mib"] < 2.5 * after["table_mib"], after  # once for each of 2 workers
    observed("MEM502", "Python 3.11 (joblib-1.6.0 env), spawn",
             f"{before['pickled_mib']:.0f} MiB pickled for a {before['table_mib']:.0f} MiB array and {before['tasks']} tasks",
             f"{after['pickled_mib']:.0f} MiB (once per worker), the same scores")


def test_mem503_forkserver_workers_do_not_see_what_main_set(oracle_project, observed):
    project = oracle_project("mem503_main_only_global.py", "joblib-1.6.0")
    config = project.root / "memlint.toml"
    base = config.read_text()
    config.write_text(base + 'target-version = "py313"\n')  # the default is fork on Linux
    assert project.findings_of("MEM503") == []
    config.write_text(base + 'target-version = "py314"\n')  # forkserver
    findings = project.findings_of("MEM503")
    assert [f["location"]["row"] for f in findings] == [project.row_of("return None if TABLE is None")]
    assert "Python 3.14 (target-version)" in findings[0]["message"]

    expected = [10.0 * i for i in range(8)]
    forked, fresh = project.run("fork"), project.run("forkserver")
    assert forked["values"] == expected, forked
    assert fresh["values"] == [None] * 8, fresh  # wrong, and nothing raised

    project.rewrite_as("mem503_initializer.py")  # no fix: the message's rewrite
    assert project.findings_of("MEM503") == []
    for method in ("fork", "forkserver", "spawn"):
        after = project.run(method)
        assert after["values"] == expected, after
    observed("MEM503", "Python 3.11 (joblib-1.6.0 env), forkserver as 3.14's default",
             "8 of 8 lookups read None in the workers (right under fork), nothing raised",
             "initializer=: all 8 right under fork, forkserver and spawn")


def test_mem504_memmaps_reach_the_file_only_when_the_workers_open_it(oracle_project, observed):
    project = oracle_project("mem504_memmap_to_process.py", "joblib-1.6.0")
    findings = project.findings_of("MEM504")
    assert [f["location"]["row"] for f in findings] == [project.row_of("ctx.Process(target=fill, args=(out, i))")]
    before = project.run()
    assert before["exitcodes"] == [0] * 4 and before["file"] == [0.0] * 4, before  # every write lost, no error
    project.rewrite_as("mem504_path_to_process.py")  # no fix: the message's rewrite
    assert project.findings_of("MEM504") == []
    after = project.run()
    assert after["file"] == [1.0, 2.0, 3.0, 4.0], after

    project = oracle_project("mem504_wplus_in_workers.py", "joblib-1.6.0")
    findings = project.findings_of("MEM504")
    assert [f["location"]["row"] for f in findings] == [project.row_of('out = np.memmap(PATH, dtype="f8", mode="w+"')]
    truncated = project.run()
    assert truncated["file"] == [0.0, 0.0, 0.0, 4.0], truncated  # only the last writer's item
    project.rewrite_as("mem504_rplus_in_workers.py")
    assert project.findings_of("MEM504") == []
    assert project.run()["file"] == [1.0, 2.0, 3.0, 4.0]
    observed("MEM504", "Python 3.11 (joblib-1.6.0 env)",
             f"a memmap in Process(args=) under spawn: file {before['file']} after 4 writes; "
             f"workers opening it with w+: {truncated['file']}",
             "the path passed and reopened with r+: [1.0, 2.0, 3.0, 4.0], both")
