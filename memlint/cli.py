"""`memlint [check] [PATHS...]`, `memlint rule CODE`, `memlint rules`: arguments -> runner ->
reporter -> exit code (0 nothing found, 1 findings remain, 2 usage/config/internal error)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from memlint import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
COMMANDS = ("check", "rule", "rules")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    # One line and exit 2 on a bad flag, as the other linters do.
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"memlint: error: {message} (see `memlint --help`)")


def _jobs(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"expected 0 (all cores) or more, got {n}")
    return n


def _codes(value: str) -> list[str]:
    return [c.strip().upper() for c in value.split(",") if c.strip()]


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="memlint",
        description="Find memory and serialization hazards of numpy memmaps, dask, joblib and ray.",
    )
    p.add_argument("paths", nargs="*", type=Path, help="files or directories to check (default: .); - reads stdin")
    p.add_argument("--fix", action="store_true", help="apply safe fixes")
    p.add_argument("--unsafe-fixes", action="store_true", help="also consider unsafe fixes")
    p.add_argument("--diff", action="store_true", help="print the diff of the fixes, change nothing; exit 1 if any")
    p.add_argument("--select", type=_codes, default=None, help="codes or prefixes to enable (replaces the config)")
    p.add_argument("--ignore", type=_codes, default=[], help="codes or prefixes to disable")
    p.add_argument("--extend-select", type=_codes, default=[], help="codes or prefixes to enable in addition")
    p.add_argument("--format", "--output-format", dest="format", default="full", help="full, concise or json")
    p.add_argument("--stdin-filename", default=None, help="the file name of the source read from stdin")
    p.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings remain")
    p.add_argument("--statistics", action="store_true", help="print the count of findings per rule")
    p.add_argument("--config", type=Path, default=None, help="path to a pyproject.toml or memlint.toml")
    p.add_argument("-j", "--jobs", type=_jobs, default=0, help="worker processes (default 0: one per core; 1: none)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the result cache")
    p.add_argument(
        "--cache-dir", type=Path, default=None,
        help="where to keep the result cache (default: .memlint_cache in the project root, or $MEMLINT_CACHE_DIR)",
    )
    p.add_argument("--version", action="version", version=f"memlint {__version__}")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "rule":
            return _rule_command(argv[1:])
        if argv and argv[0] == "rules":
            return _rules_command(argv[1:])
        if argv and argv[0] == "check":
            argv = argv[1:]
        return _check(build_parser().parse_args(argv))
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def _config_error_types() -> tuple[type[BaseException], ...]:
    from memlint.config import ConfigError
    from memlint.engine.discovery import PathError

    return (ConfigError, PathError)


def _check(args: argparse.Namespace) -> int:
    from memlint import reporters
    from memlint.engine.runner import FixOptions, ProjectCache, RunOptions, relevant_files, run_files

    if args.format not in reporters.FORMATS:
        raise UsageError(
            f"memlint: error: unknown --format {args.format!r} (choose from {', '.join(reporters.FORMATS)})"
        )
    if args.config is not None and not args.config.is_file():
        raise UsageError(f"memlint: error: config file not found: {args.config}")
    overrides: dict = {}
    if args.select is not None:
        overrides["select"] = tuple(args.select)
    if args.ignore:
        overrides["ignore"] = tuple(args.ignore)
    if args.extend_select:
        overrides["extend_select"] = tuple(args.extend_select)
    projects = ProjectCache(args.config, overrides)
    opts = FixOptions(fix=args.fix, unsafe=args.unsafe_fixes, diff=args.diff)
    paths = args.paths or [Path(".")]
    try:
        if [str(p) for p in paths] == ["-"]:
            return _check_stdin(args, projects, opts)
        if any(str(p) == "-" for p in paths):
            raise UsageError("memlint: error: `-` (stdin) cannot be combined with other paths")
        files = relevant_files(paths, projects)
        run = RunOptions(jobs=args.jobs or None, cache=not args.no_cache, cache_dir=args.cache_dir)
        result = run_files(files, projects, opts, run)
    except _config_error_types() as exc:
        print(_one_line(exc), file=sys.stderr)
        return EXIT_ERROR
    return _report(args, result)


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    return text if text.startswith("memlint") else f"memlint: error: {text}"


def _check_stdin(args, projects, opts) -> int:
    from memlint.engine.runner import RunResult, process_bytes

    name = args.stdin_filename or "-"
    path = Path(name).resolve() if args.stdin_filename else Path.cwd() / "-"
    data = sys.stdin.buffer.read()
    project = projects.for_file(path)
    filename = str(path) if args.stdin_filename else "-"
    if opts.fix and not opts.diff:
        result, fixed, error = process_bytes(data, filename, project, opts)
        # Editors replace the buffer with stdout: the source and nothing else.
        sys.stdout.buffer.write(fixed if fixed is not None else data)
        sys.stdout.flush()
        if error:
            print(f"memlint: {name}: {error}", file=sys.stderr)
        remaining = [d for d in result.diagnostics]
        return EXIT_OK if not remaining or args.exit_zero else EXIT_FINDINGS
    result, fixed, error = process_bytes(data, filename, project, opts)
    out = RunResult(diagnostics=sorted(result.diagnostics, key=lambda d: d.sort_key()))
    from memlint.engine.checker import decode, DecodeError

    try:
        out.sources[filename] = decode(data)[0]
    except DecodeError:
        pass
    if fixed is not None and opts.diff:
        from memlint.engine.runner import unified_diff

        out.fixed = result.fixes_applied
        out.diffs.append(unified_diff(name, out.sources.get(filename, ""), result.fixed_text or ""))
    if error:
        out.errors.append(f"memlint: {name}: {error}")
    return _report(args, out)


def _report(args, result) -> int:
    from memlint import reporters

    for err in result.errors:
        print(err, file=sys.stderr)
    if args.diff:
        sys.stdout.write("".join(result.diffs))
        if result.fixed:
            noun = "fix" if result.fixed == 1 else "fixes"
            print(f"Would apply {result.fixed} {noun}.", file=sys.stderr)
        return EXIT_FINDINGS if result.diffs and not args.exit_zero else EXIT_OK
    diagnostics = result.diagnostics
    if args.statistics:
        sys.stdout.write(reporters.render_statistics(diagnostics, unsafe_fixes_enabled=args.unsafe_fixes))
    else:
        output = reporters.render(
            args.format,
            diagnostics,
            cwd=Path.cwd(),
            unsafe_fixes_enabled=args.unsafe_fixes,
            sources=result.sources or None,
        )
        sys.stdout.write(output)
        if args.fix and result.fixed and args.format in ("full", "concise"):
            noun = "error" if result.fixed == 1 else "errors"
            print(f"Fixed {result.fixed} {noun}.")
    if result.errors and any("cannot read" in e for e in result.errors):
        return EXIT_ERROR
    if diagnostics and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK


def _rule_command(argv: list[str]) -> int:
    from memlint.engine.registry import all_rules, get_rule

    if len(argv) != 1:
        raise UsageError("memlint: error: usage: memlint rule CODE")
    rule = get_rule(argv[0])
    if rule is None:
        known = ", ".join(all_rules())
        raise UsageError(f"memlint: error: unknown rule code {argv[0]!r} (known: {known})")
    print(f"# {rule.name} ({rule.code})\n")
    print(f"{rule.summary}.\n")
    print(rule.docs())
    return EXIT_OK


def _rules_command(argv: list[str]) -> int:
    from memlint.docs import rules_markdown
    from memlint.engine.registry import all_rules

    fmt = "text"
    if argv[:1] == ["--format"] and len(argv) == 2:
        fmt = argv[1]
    elif argv:
        raise UsageError("memlint: error: usage: memlint rules [--format text|markdown]")
    if fmt == "markdown":
        sys.stdout.write(rules_markdown())
        return EXIT_OK
    if fmt != "text":
        raise UsageError(f"memlint: error: unknown format {fmt!r} for `memlint rules`")
    for code, rule in all_rules().items():
        fix = {"always": "fix", "sometimes": "fix", "none": ""}[rule.fix_availability]
        print(f"{code}  {rule.name:<32} {fix:<4} {rule.summary}")
    return EXIT_OK
