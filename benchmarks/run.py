#!/usr/bin/env python3
"""Benchmark memlint against ruff, flake8 (with bugbear) and Fixit on real code.

    python -m pip install -e ".[bench]"
    python benchmarks/run.py                 # prints the tables; see --help

It downloads the pinned corpus with pip (wheels, which hold the same Python sources as the
sdists, unpacked into a cache directory), then runs every tool in alternation, round after
round, and prints medians, ratios to ruff and peak memory; then one-file timings against
flake8 as pre-commit runs it; then every memlint finding on the corpus; then checks that
memlint's partial first pass changes no result on the corpus. A script that prints
figures, not a timed test: machines differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = (
    ("dask", "2026.8.0"),
    ("distributed", "2026.8.0"),
    ("pandas", "3.1.1"),
    ("scikit-learn", "1.9.1"),
    ("xarray", "2026.9.0"),
    ("joblib", "1.6.0"),
)
# Downstream scientific packages whose every finding is reviewed in
# docs/real-world-findings.md (`--corpus downstream`).
DOWNSTREAM = (
    ("spikeinterface", "0.105.3"), ("suite2p", "1.1.0"), ("xmitgcm", "0.5.2"), ("mne", "1.13.2"),
    ("neo", "0.14.6"), ("nibabel", "5.4.2"), ("tifffile", "2026.3.3"), ("dask-image", "2026.5.0"),
    ("dask-ml", "2025.1.0"), ("modin", "0.28.0"), ("modin", "0.37.1"), ("satpy", "0.60.0"),
    ("pyresample", "1.35.0"), ("kilosort", "4.1.7"), ("tsfresh", "0.21.2"), ("sktime", "1.2.0"),
    ("napari", "0.9.2"), ("intake", "2.0.9"), ("rechunker", "0.5.4"), ("xgcm", "0.10.1"),
    ("hdbscan", "0.8.44"), ("umap-learn", "0.5.12"), ("tslearn", "0.10.0"),
    ("pynndescent", "0.7.0"), ("astropy", "8.0.2"),
)
CORPORA = {"benchmark": CORPUS, "downstream": DOWNSTREAM}
# Fixit takes minutes per project: it runs on one of them and is scaled by lines.
FIXIT_SUBSET = {"benchmark": "joblib", "downstream": "dask-ml"}


# -- the corpus ---------------------------------------------------------------------------


def fetch_corpus(cache: Path, kind: str = "benchmark") -> tuple[Path, list[str]]:
    """Download and unpack the pinned wheels of a corpus; returns the corpus root and notes
    about versions that had to be replaced."""
    packages = CORPORA[kind]
    root = cache / ("corpus" if kind == "benchmark" else f"corpus-{kind}")
    wheels = cache / "wheels"
    notes: list[str] = []
    root.mkdir(parents=True, exist_ok=True)
    wheels.mkdir(parents=True, exist_ok=True)
    for name, version in packages:
        target = root / f"{name}-{version}"
        if (target / ".complete").exists():
            continue
        got = _download(name, version, wheels)
        if got is None:
            nearest = _nearest_version(name, version)
            if nearest is None:
                raise SystemExit(f"cannot download {name} {version} nor find another version")
            notes.append(f"{name} {version} is not available: used {nearest}")
            got = _download(name, nearest, wheels)
            if got is None:
                raise SystemExit(f"cannot download {name} {nearest}")
        shutil.rmtree(target, ignore_errors=True)
        with zipfile.ZipFile(got) as zf:
            for member in zf.namelist():
                if member.endswith(".py") and ".dist-info/" not in member:
                    zf.extract(member, target)
        (target / ".complete").write_text(got.name + "\n")
    for name, version in packages:
        marker = root / f"{name}-{version}" / ".complete"
        if marker.exists() and version not in marker.read_text():
            notes.append(f"{name}: {marker.read_text().strip()}")
    return root, notes


def _download(name: str, version: str, dest: Path) -> Path | None:
    found = _find_wheel(name, version, dest)
    if found is None:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
             "-d", str(dest), f"{name}=={version}"],
            capture_output=True, text=True,
        )
        if proc.returncode == 0:
            found = _find_wheel(name, version, dest)
    return found


def _find_wheel(name: str, version: str, dest: Path) -> Path | None:
    for existing in dest.glob("*.whl"):
        dist, ver = existing.name.split("-")[:2]
        if dist.lower().replace("_", "-") == name and ver == version:
            return existing
    return None


def _nearest_version(name: str, wanted: str) -> str | None:
    from packaging.version import Version

    proc = subprocess.run([sys.executable, "-m", "pip", "index", "versions", name],
                          capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.strip().startswith("Available versions:"):
            versions = [Version(v.strip()) for v in line.split(":", 1)[1].split(",") if v.strip()]
            target = Version(wanted)
            return str(min(versions, key=lambda v: (abs(v.major - target.major), abs(v.minor - target.minor), v < target)))
    return None


def count(root: Path) -> tuple[int, int]:
    files = lines = 0
    for path in root.rglob("*.py"):
        files += 1
        lines += path.read_bytes().count(b"\n")
    return files, lines


# -- running ------------------------------------------------------------------------------


@dataclass
class Sample:
    wall: float
    cpu: float  # user + system of the process and its children
    rss_kb: int  # peak resident set of the largest process


@dataclass
class Tool:
    name: str
    argv: list[str]
    scale: float = 1.0  # multiply times by this (a subset scaled to the corpus)
    note: str = ""
    before: object = None  # callable run before each timed run (e.g. clear a cache)
    slow: bool = False  # runs only in the first --slow-rounds rounds
    samples: list[Sample] = field(default_factory=list)


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.pop("PYTHONDONTWRITEBYTECODE", None)  # measure as installed: bytecode cached
    e.pop("MEMLINT_CACHE_DIR", None)
    e["PYTHONPATH"] = str(REPO)
    return e


def run_once(argv: list[str], cwd: Path | None = None) -> tuple[Sample, str]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env(), cwd=cwd)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss), out.decode("utf-8", "replace")


def alternate(tools: list[Tool], rounds: int, slow_rounds: int) -> None:
    """Round after round, each tool once in turn, so that a change in the machine's load
    falls on all of them alike; slow tools take part in the first `slow_rounds` rounds."""
    for r in range(max(rounds, slow_rounds)):
        for tool in tools:
            if (tool.slow and r >= slow_rounds) or (not tool.slow and r >= rounds):
                continue
            if tool.before:
                tool.before()
            sample, _ = run_once(tool.argv)
            tool.samples.append(sample)
            print(f"  round {r + 1} {tool.name:<22} {sample.wall:7.2f} s", file=sys.stderr)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# -- the report ---------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    load = ""
    try:
        load = f", load average {os.getloadavg()[0]:.1f} at the end"
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores{mem}, Python {sys.version.split()[0]}{load}"


def version_of(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, env=env()).stdout
    except OSError:
        return "?"
    return " ".join(out.split()) or "?"


def table(tools: list[Tool], reference: str) -> str:
    ref = next(t for t in tools if t.name == reference)
    ref_wall = median([s.wall for s in ref.samples]) * ref.scale
    rows = ["| tool | median wall (s) | median CPU (s) | wall / ruff | peak memory (MB) | runs |",
            "|---|---:|---:|---:|---:|---:|"]
    for t in tools:
        wall = median([s.wall for s in t.samples]) * t.scale
        cpu = median([s.cpu for s in t.samples]) * t.scale
        rss = max((s.rss_kb for s in t.samples), default=0) / 1024
        name = t.name + (f" ({t.note})" if t.note else "")
        rows.append(f"| {name} | {wall:.2f} | {cpu:.2f} | {wall / ref_wall:.2f}x | {rss:.0f} | {len(t.samples)} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "memlint-bench"
    parser.add_argument("--cache", type=Path, default=default_cache, help=f"corpus cache (default {default_cache})")
    parser.add_argument("--rounds", type=int, default=5, help="rounds for memlint and ruff (default 5)")
    parser.add_argument("--slow-rounds", type=int, default=1, help="rounds for flake8 and Fixit (default 1)")
    parser.add_argument("--one-file-rounds", type=int, default=21, help="rounds of the one-file timings")
    parser.add_argument("--skip-slow", action="store_true", help="leave out flake8 and Fixit on the corpus")
    parser.add_argument("--corpus", choices=sorted(CORPORA), default="benchmark",
                        help="the benchmark corpus (default), or the downstream packages of "
                             "docs/real-world-findings.md")
    parser.add_argument("--findings", type=Path, default=None, help="also write memlint's findings (JSON) here")
    args = parser.parse_args()

    corpus, notes = fetch_corpus(args.cache, args.corpus)
    files, lines = count(corpus)
    print(f"corpus: {corpus} ({files} files, {lines:,} lines)")
    for note in notes:
        print(f"note: {note}")
    work = Path(tempfile.mkdtemp(prefix="memlint-bench-"))
    cache_dir = work / "memlint-cache"
    py = sys.executable
    bindir = Path(py).parent
    memlint = [py, "-m", "memlint", "check", "--exit-zero", "--format", "concise"]

    def clear_cache() -> None:
        shutil.rmtree(cache_dir, ignore_errors=True)

    subset = FIXIT_SUBSET[args.corpus]
    fixit_root = corpus / next(f"{n}-{v}" for n, v in CORPORA[args.corpus] if n == subset)
    _, fixit_lines = count(fixit_root)
    tools = [
        Tool("memlint cold", [*memlint, "--cache-dir", str(cache_dir), str(corpus)], before=clear_cache,
             note="empty cache, all cores"),
        Tool("memlint warm", [*memlint, "--cache-dir", str(cache_dir), str(corpus)], note="nothing changed"),
        Tool("memlint cold -j1", [*memlint, "--no-cache", "-j", "1", str(corpus)], note="one process"),
        Tool("ruff", [str(bindir / "ruff"), "check", "--isolated", "--no-cache", "--exit-zero", "-q", str(corpus)],
             note="default rules"),
    ]
    slow = [
        Tool("flake8 + bugbear", [str(bindir / "flake8"), "--isolated", "--exit-zero", "-q", str(corpus)],
             note="all cores", slow=True),
        Tool("fixit", [str(bindir / "fixit"), "lint", str(fixit_root)], scale=lines / fixit_lines,
             note=f"{subset} only, scaled by lines x{lines / fixit_lines:.1f}", slow=True),
    ]
    if not args.skip_slow:
        tools += slow
    print("warming up (bytecode, file cache) ...", file=sys.stderr)
    for tool in tools:
        if not tool.slow:
            run_once(tool.argv)
    alternate(tools, args.rounds, 0 if args.skip_slow else args.slow_rounds)

    print()
    print(f"machine: {machine()}")
    print("versions: " + "; ".join([
        version_of([py, "-m", "memlint", "--version"]),
        version_of([str(bindir / "ruff"), "--version"]),
        "flake8 " + version_of([str(bindir / "flake8"), "--version"]),
        version_of([str(bindir / "fixit"), "--version"]),
    ]))
    print()
    print(table(tools, "ruff"))

    print()
    print(one_file(args.one_file_rounds, work))

    print()
    findings = list_findings(corpus, args.findings)
    print()
    verify_partial(corpus)
    shutil.rmtree(work, ignore_errors=True)
    return 1 if findings is None else 0


# -- one file, as pre-commit runs it -------------------------------------------------------

NO_MATCH = "import os\n\n\ndef total(values):\n    return sum(v * 2 for v in values) + len(os.sep)\n"
FINDING = ('import numpy as np\nfrom joblib import Parallel, delayed\n\n'
           'data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)\n'
           'sums = Parallel(n_jobs=2)(delayed(np.sum)(data, axis=1) for _ in range(2))\n')


def one_file(rounds: int, work: Path) -> str:
    py = sys.executable
    flake8 = str(Path(py).parent / "flake8")
    rows = ["| file | memlint median (ms) | flake8 median (ms) | memlint / flake8 |", "|---|---:|---:|---:|"]
    for label, text in (("cannot match any rule", NO_MATCH), ("has a MEM101 finding", FINDING)):
        directory = work / label.replace(" ", "-")
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "pyproject.toml").write_text("[tool.memlint]\n")
        path = directory / "example.py"
        path.write_text(text)
        cmds = {
            "memlint": [py, "-m", "memlint", "--no-cache", str(path)],
            "flake8": [flake8, str(path)],
        }
        times: dict[str, list[float]] = {k: [] for k in cmds}
        for name, argv in cmds.items():
            run_once(argv, cwd=directory)  # warm-up
        for _ in range(rounds):
            for name, argv in cmds.items():
                times[name].append(run_once(argv, cwd=directory)[0].wall)
        m, f = median(times["memlint"]) * 1000, median(times["flake8"]) * 1000
        rows.append(f"| {label} | {m:.0f} | {f:.0f} | {m / f:.2f}x |")
    return "one file, whole process, memlint without cache (as a first pre-commit run):\n" + "\n".join(rows)


# -- findings and the partial-pass check --------------------------------------------------


def list_findings(corpus: Path, out: Path | None):
    sample, text = run_once([sys.executable, "-m", "memlint", "check", "--no-cache", "--exit-zero",
                             "--format", "json", str(corpus)])
    try:
        findings = json.loads(text)
    except ValueError:
        print("memlint did not print JSON: it crashed")
        return None
    print(f"memlint findings on the corpus: {len(findings)}")
    for f in findings:
        rel = os.path.relpath(f["filename"], corpus)
        print(f"  {rel}:{f['location']['row']}:{f['location']['column']}: {f['code']} {f['message'][:160]}")
    internal = [f for f in findings if f["code"] == "MEM001" and "could not analyse" in f["message"]]
    print(f"files memlint failed on (MEM001 internal errors): {len(internal)}")
    import sysconfig

    site = sysconfig.get_paths()["purelib"]
    _, text = run_once([sys.executable, "-m", "memlint", "check", "--no-cache", "--exit-zero",
                        "--format", "json", site])
    try:
        site_findings = json.loads(text)
    except ValueError:
        print(f"memlint crashed on {site}")
        return None
    failed = [f for f in site_findings if f["code"] == "MEM001"]
    print(f"{site}: {len(site_findings)} findings, {len(failed)} MEM001")
    for f in failed:
        print(f"  {f['filename']}:{f['location']['row']}: {f['message'][:160]}")
    if out is not None:
        out.write_text(json.dumps(findings, indent=2))
    return findings


def verify_partial(corpus: Path) -> bool:
    """Every file that can match, checked with and without the partial first pass: all
    rules together, then each rule alone (a rule that misses a finding in the first pass
    is hidden when another rule reports in the same file, since the file is then checked
    whole). Returns whether every comparison found the same findings."""
    sys.path.insert(0, str(REPO))
    from dataclasses import replace

    import memlint.engine.checker as checker
    from memlint.engine.checker import DecodeError, could_match, decode, first_pass_source
    from memlint.engine.runner import FixOptions, ProjectCache, RunOptions, relevant_files, run_files

    projects = ProjectCache()
    files = relevant_files([corpus], projects)
    start = time.perf_counter()
    with_pass = run_files(files, projects, FixOptions(), RunOptions(cache=False)).diagnostics
    middle = time.perf_counter()
    saved = checker.PARTIAL_MIN_CHARS
    checker.PARTIAL_MIN_CHARS = 10**12
    try:
        whole = run_files(files, projects, FixOptions(), RunOptions(cache=False)).diagnostics
    finally:
        checker.PARTIAL_MIN_CHARS = saved
    end = time.perf_counter()
    same = with_pass == whole
    print(f"partial first pass: {'same findings' if same else 'DIFFERENT findings'} as whole-file parsing "
          f"({len(whole)} findings; {middle - start:.1f} s with the pass, {end - middle:.1f} s without, all cores)")
    if not same:
        for d in sorted(set(map(repr, with_pass)) ^ set(map(repr, whole))):
            print("  differs:", d)

    # Each rule alone, with the pass, against the whole-file findings of that rule.
    by_code: dict[str, set] = {}
    for d in whole:
        by_code.setdefault(d.code, set()).add(repr(d))
    alone_same = True
    checked = 0
    total = matching = parsed = 0
    for path in files:
        data = path.read_bytes()
        total += len(data)
        settings = projects.for_file(path).settings_for(str(path))
        follows = checker.follows(settings, str(path))
        rules = [r for r in could_match(data, settings.rules, follows) if not r.judges_suppressions]
        if not rules:
            continue
        matching += len(data)
        try:
            text, _ = decode(data)
        except DecodeError:
            continue
        # What the work grows with: bytes the first pass parses.
        reduced = first_pass_source(text, rules, project=follows)
        parsed += len(text) if reduced is None else len(reduced)
        for rule in rules:
            checked += 1
            alone = replace(settings, rules=[rule], enabled_codes=frozenset([rule.code]))
            got = {repr(d) for d in checker.check_bytes(data, str(path), alone).diagnostics}
            want = {r for r in by_code.get(rule.code, ()) if f"filename={str(path)!r}" in r}
            if got != want:
                alone_same = False
                for d in sorted(got ^ want):
                    print(f"  {rule.code} alone differs:", d)
    print(f"each rule alone with the first pass: {'same findings' if alone_same else 'DIFFERENT findings'} "
          f"as whole-file parsing ({checked} file and rule pairs)")
    print(f"bytes read {total / 1e6:.1f} MB; in files some rule can match {matching / 1e6:.2f} MB; "
          f"parsed by the first pass {parsed / 1e6:.2f} MB")
    return same and alone_same


if __name__ == "__main__":
    raise SystemExit(main())
