"""The larger fuzz run (not in CI): hostile variants of the real files of a corpus that
some rule can match, each checked and fixed in process with the properties of the test
suite's fuzz tier (tests/fuzz/properties.py). Prints the cases tried and every failure.

    python benchmarks/fuzz.py --corpus /tmp/bench-cache/corpus --cases 1000 [--seed 1]

The corpus is a directory of unpacked sources, as `benchmarks/run.py --cache DIR` leaves
under DIR/corpus (or DIR/corpus-downstream).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests" / "fuzz"))

from mutations import rule_examples, variants  # noqa: E402
from properties import problems  # noqa: E402


def seeds(corpus: Path, limit_bytes: int) -> list[str]:
    """The files of `corpus` some rule can match (under `limit_bytes` each)."""
    from memlint.engine.checker import could_match, decode
    from memlint.engine.registry import all_rules

    rules = tuple(all_rules().values())
    found = []
    for path in sorted(corpus.rglob("*.py")):
        data = path.read_bytes()
        if len(data) <= limit_bytes and could_match(data, rules, True):
            try:
                found.append(decode(data)[0])
            except Exception:  # noqa: BLE001 - a seed that does not decode is no seed
                continue
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append", required=True)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-seed-bytes", type=int, default=60_000)
    args = parser.parse_args()

    from memlint.engine.runner import ProjectCache

    sources = [s for corpus in args.corpus for s in seeds(corpus, args.max_seed_bytes)]
    sources += rule_examples()
    print(f"{len(sources)} seed files", flush=True)
    failures = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        (root / "pyproject.toml").write_text("[tool.memlint]\n")
        projects = ProjectCache()
        for name, data in variants(sources, random.Random(args.seed), args.cases):
            path = root / f"{name[:80]}.py"
            path.write_bytes(data)
            found = problems(data, str(path), projects.for_file(path), 10.0 + len(data) / 50_000)
            if found:
                failures += 1
                print(f"FAIL {name} ({len(data)} bytes): {'; '.join(found)[:300]}", flush=True)
                (HERE / "fuzz-failures").mkdir(exist_ok=True)
                (HERE / "fuzz-failures" / path.name).write_bytes(data)
            path.unlink()
    print(f"{args.cases} cases, {failures} failures, {time.perf_counter() - start:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
