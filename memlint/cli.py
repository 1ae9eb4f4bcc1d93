"""`memlint [check] [PATHS...]`, `memlint rule CODE`, `memlint rules`, `memlint server`: arguments -> runner ->
reporter -> exit code (0 nothing found, 1 findings remain, 2 usage/config/internal error)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Sequence

from memlint import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
COMMANDS = ("check", "rule", "rules", "server")


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


def _patterns(value: str) -> list[str]:
    return [p.strip() for p in value.split(",") if p.strip()]


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="memlint check",
        description="Check files and directories (the default command: `memlint PATHS` is "
                    "`memlint check PATHS`).",
    )
    p.add_argument("paths", nargs="*", type=Path, help="files or directories to check (default: .); - reads stdin")
    p.add_argument("--fix", action="store_true", help="apply safe fixes")
    p.add_argument("--fix-only", action="store_true",
                   help="apply fixes, then neither report nor exit 1 for the findings left")
    p.add_argument("--unsafe-fixes", action="store_true", help="also consider unsafe fixes")
    p.add_argument("--diff", action="store_true", help="print the diff of the fixes, change nothing; exit 1 if any")
    p.add_argument("--select", type=_codes, default=None, help="codes or prefixes to enable (replaces the config)")
    p.add_argument("--ignore", type=_codes, default=[], help="codes or prefixes to disable")
    p.add_argument("--extend-select", type=_codes, default=[], help="codes or prefixes to enable in addition")
    p.add_argument("--exclude", type=_patterns, default=None,
                   help="file patterns to leave out, comma-separated (replaces the config's)")
    p.add_argument("--extend-exclude", type=_patterns, default=[],
                   help="file patterns to leave out in addition to the config's")
    p.add_argument("--show-fixes", action="store_true", help="with --fix, list the fixes applied per file")
    p.add_argument("--add-noqa", action="store_true",
                   help="write `# noqa: CODE` on every line with a finding, change nothing else")
    p.add_argument("--format", "--output-format", dest="format", default="full",
                   help="full, concise, json, json-lines, github or sarif")
    p.add_argument("--stdin-filename", default=None, help="the file name of the source read from stdin")
    p.add_argument("--show-findings", action="store_true",
                   help="with --fix on stdin, also write the findings left to stderr")
    p.add_argument("--force-exclude", action="store_true",
                   help="apply the excludes to files named on the command line too (pre-commit)")
    p.add_argument("-e", "--exit-zero", action="store_true", help="exit 0 even when findings remain")
    p.add_argument("--exit-non-zero-on-fix", action="store_true",
                   help="with --fix, exit 1 when any file was changed, even if nothing remains")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="print the findings and nothing else (no summary, no hints)")
    p.add_argument("-s", "--silent", action="store_true",
                   help="print nothing; the exit code still says whether findings remain")
    p.add_argument("-o", "--output-file", type=Path, default=None,
                   help="write the report to this file instead of standard output")
    p.add_argument("--statistics", action="store_true", help="print the count of findings per rule")
    p.add_argument("--show-settings", action="store_true",
                   help="print the project root, config file, enabled rules and library versions "
                        "memlint uses for the given file, and check nothing")
    p.add_argument("--config", type=Path, default=None, help="path to a pyproject.toml or memlint.toml")
    p.add_argument("-j", "--jobs", type=_jobs, default=0, help="worker processes (default 0: one per core; 1: none)")
    p.add_argument("-n", "--no-cache", action="store_true", help="neither read nor write the result cache")
    p.add_argument(
        "--cache-dir", type=Path, default=None,
        help="where to keep the result cache (default: .memlint_cache in the project root, or $MEMLINT_CACHE_DIR)",
    )
    p.add_argument("--version", action="version", version=f"memlint {__version__}")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from memlint.engine import codecache

    codecache.install()  # before the first dataclass (memlint's, then libcst's) is made
    try:
        if argv and argv[0] in ("-h", "--help"):
            print(_TOP_HELP, end="")
            return EXIT_OK
        if argv and argv[0] == "rule":
            return _rule_command(argv[1:])
        if argv and argv[0] == "rules":
            return _rules_command(argv[1:])
        if argv and argv[0] == "server":
            from memlint.server import main as serve

            return serve(argv[1:])
        if argv and argv[0] == "check":
            argv = argv[1:]
        elif argv:
            _unknown_command(argv[0])
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # --help, --version: argparse printed them
            return exc.code if isinstance(exc.code, int) else EXIT_OK
        code = _check(args)
        _flush()
        return code
    except UsageError as exc:
        _say(str(exc))
        return EXIT_ERROR
    except _OutputError as exc:
        _say(f"memlint: error: {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    finally:
        codecache.save()


class _OutputError(Exception):
    """The report could not be written (standard output closed, full or gone)."""


def _flush() -> None:
    """Push the report out now, while a failure can still be said: at exit, Python would
    print a traceback-like notice of its own."""
    _write("")


def _detach_stdout() -> None:
    # What is still buffered can never be written: point the stream at /dev/null, so the
    # interpreter's own flush at exit finds nothing to complain about.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _write(output: str | bytes) -> None:
    """Write to standard output (bytes: exactly those, for editors replacing a buffer). The
    reader leaving (`memlint check | head`) ends the output quietly, as ruff does; a closed
    or full output is an error of the run."""
    if sys.stdout is None:
        raise _OutputError("standard output is closed")
    try:
        if isinstance(output, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(output)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(output)
            sys.stdout.flush()
    except BrokenPipeError:
        _detach_stdout()
    except OSError as exc:
        _detach_stdout()
        raise _OutputError(f"cannot write to standard output: {exc.strerror or exc}") from None


def _say(line: str) -> None:
    if sys.stderr is not None:
        try:
            print(line, file=sys.stderr)
        except OSError:
            pass


COMMANDS = {
    "check": "check files and directories (the default: `memlint PATHS` is `memlint check PATHS`)",
    "rule": "show a rule's documentation, by code or name (`memlint rule --all`: every rule)",
    "rules": "list every rule (`--format markdown` for the documentation of all)",
    "server": "run the language server over stdio (for editors; needs the `lsp` extra)",
}
_TOP_HELP = (
    "usage: memlint [COMMAND] [OPTIONS] [PATHS...]\n\n"
    "Find memory and serialization hazards of numpy memmaps, dask, joblib, Ray, process pools\n"
    "and PyTorch data loading.\n\nCommands:\n"
    + "".join(f"  {name:<7} {text}\n" for name, text in COMMANDS.items())
    + "\nRun `memlint COMMAND --help` for the options of a command.\n"
)


def _unknown_command(first: str) -> None:
    """A first argument that names no command, is no option and no existing path, but is
    close to a command's name, is a misspelled command, not a missing file."""
    import difflib

    if first.startswith("-") or first == "-" or Path(first).exists():
        return
    close = difflib.get_close_matches(first, list(COMMANDS), n=1, cutoff=0.6)
    if close:
        raise UsageError(f"memlint: error: unknown command {first!r}; did you mean {close[0]!r}?")


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
    if args.exclude is not None:
        overrides["exclude"] = tuple(args.exclude)
    if args.extend_exclude:
        overrides["extend_exclude"] = tuple(args.extend_exclude)
    if args.fix_only:
        args.fix = True
    if args.add_noqa and (args.fix or args.diff):
        raise UsageError("memlint: error: --add-noqa cannot be combined with --fix or --diff")
    if args.exit_zero and args.exit_non_zero_on_fix:
        raise UsageError("memlint: error: --exit-zero cannot be combined with --exit-non-zero-on-fix")
    args.quiet = args.quiet or args.silent
    projects = ProjectCache(args.config, overrides)
    opts = FixOptions(fix=args.fix, unsafe=args.unsafe_fixes, diff=args.diff)
    paths = args.paths or [Path(".")]
    if args.stdin_filename is not None:
        # As ruff does: --stdin-filename means the source comes from stdin.
        for other in (p for p in args.paths if str(p) != "-"):
            print(f"memlint: warning: ignoring {other} in favour of standard input", file=sys.stderr)
        paths = [Path("-")]
    if args.show_settings:
        return _show_settings(paths, projects)
    try:
        if [str(p) for p in paths] == ["-"]:
            if args.add_noqa:
                raise UsageError("memlint: error: --add-noqa needs files, not stdin")
            return _check_stdin(args, projects, opts)
        if any(str(p) == "-" for p in paths):
            raise UsageError("memlint: error: `-` (stdin) cannot be combined with other paths")
        notices: list[str] = []
        files = relevant_files(paths, projects, force_exclude=args.force_exclude, notices=notices)
        for notice in notices:
            print(f"memlint: warning: {notice}", file=sys.stderr)
        if args.add_noqa:
            return _add_noqa(files, projects)
        run = RunOptions(jobs=args.jobs or None, cache=not args.no_cache, cache_dir=args.cache_dir)
        result = run_files(files, projects, opts, run)
    except _config_error_types() as exc:
        print(_one_line(exc), file=sys.stderr)
        return EXIT_ERROR
    return _report(args, result)


def _show_settings(paths: list[Path], projects) -> int:
    """ruff's --show-settings: what memlint would use for one file (or directory)."""
    from memlint.engine.registry import all_rules
    from memlint.versions import LIBRARIES, PYTHON

    if len(paths) != 1 or str(paths[0]) == "-":
        raise UsageError("memlint: error: --show-settings takes exactly one file or directory")
    path = paths[0].resolve()
    if not path.exists():
        raise UsageError(f"memlint: error: {paths[0]}: no such file or directory")
    target = path if path.is_file() else path / "__init__.py"
    try:
        project = projects.for_file(target)
    except _config_error_types() as exc:
        print(_one_line(exc), file=sys.stderr)
        return EXIT_ERROR
    config = project.config
    enabled = [code for code in all_rules() if config.is_enabled(code, target)]
    lines = [
        f"Resolved settings for: {path}",
        f"Project root: {config.root}",
        f"Config file: {config.path if config.path is not None else 'none (the defaults)'}",
        f"Enabled rules ({len(enabled)}): {', '.join(enabled)}",
        "Library versions:",
    ]
    for library in (PYTHON, *LIBRARIES):
        lines.append(f"  {project.resolve(library).describe()}")
    lines.append(f"Unknown versions: {config.unknown_versions}")
    print("\n".join(lines))
    return 0


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    return text if text.startswith("memlint") else f"memlint: error: {text}"


def _check_stdin(args, projects, opts) -> int:
    from memlint.engine.runner import RunResult, process_bytes

    name = args.stdin_filename or "-"
    path = Path(name).resolve() if args.stdin_filename else Path.cwd() / "-"
    if sys.stdin is None:
        raise UsageError("memlint: error: standard input is closed")
    try:
        data = sys.stdin.buffer.read()
    except OSError as exc:
        raise UsageError(f"memlint: error: cannot read standard input: {exc.strerror or exc}") from None
    project = projects.for_file(path)
    filename = str(path) if args.stdin_filename else "-"
    if opts.fix and not opts.diff:
        result, fixed, error = process_bytes(data, filename, project, opts)
        # Editors replace the buffer with stdout: the source and nothing else.
        _write(fixed if fixed is not None else data)
        if error:
            print(f"memlint: {name}: {error}", file=sys.stderr)
        remaining = [d for d in result.diagnostics]
        if args.show_findings and remaining:
            from memlint import reporters
            from memlint.engine.checker import DecodeError, decode

            try:
                after = {filename: decode(fixed if fixed is not None else data)[0]}
            except DecodeError:
                after = None
            sys.stderr.write(reporters.render(
                args.format, remaining, cwd=Path.cwd(), show_fixes_hint=False,
                unsafe_fixes_enabled=args.unsafe_fixes, sources=after,
            ))
        if args.exit_non_zero_on_fix and fixed is not None:
            return EXIT_FINDINGS
        if args.fix_only:
            return EXIT_OK
        return EXIT_OK if not remaining or args.exit_zero else EXIT_FINDINGS
    result, fixed, error = process_bytes(data, filename, project, opts)
    out = RunResult(diagnostics=sorted(result.diagnostics, key=lambda d: d.sort_key()))
    from memlint.engine.checker import decode, DecodeError

    try:
        out.sources[filename] = decode(data)[0]
    except DecodeError:
        pass
    if fixed is not None and opts.diff:
        from memlint.engine.runner import file_diff

        out.fixed = result.fixes_applied
        out.diffs.append((name, file_diff(name, data, fixed)))
    if error:
        out.errors.append(f"memlint: {name}: {error}")
    return _report(args, out)


def _report(args, result) -> int:
    from memlint import reporters

    for err in result.errors:
        print(err, file=sys.stderr)
    if args.diff:
        if not args.silent:
            # In the order of the findings: by file (worker processes finish in any order).
            _write("".join(text for _, text in sorted(result.diffs, key=lambda d: d[0])))
        if result.fixed and not args.quiet:
            noun = "fix" if result.fixed == 1 else "fixes"
            print(f"Would apply {result.fixed} {noun}.", file=sys.stderr)
        return EXIT_FINDINGS if result.diffs and not args.exit_zero else EXIT_OK
    if args.fix_only:
        return _report_fix_only(args, result)
    diagnostics = result.diagnostics
    if args.statistics:
        output = reporters.render_statistics(diagnostics, unsafe_fixes_enabled=args.unsafe_fixes,
                                             json_format=args.format in ("json", "json-lines"))
    else:
        listing = ""
        if args.show_fixes and args.fix and args.format in ("full", "concise"):
            listing = _fixes_listing(result)
        output = listing + reporters.render(
            args.format,
            diagnostics,
            cwd=Path.cwd(),
            unsafe_fixes_enabled=args.unsafe_fixes,
            sources=result.sources or None,
            fixed=result.fixed if args.fix else 0,
            quiet=args.quiet,
        )
    _emit(args, output)
    if result.errors and any("cannot read" in e for e in result.errors):
        return EXIT_ERROR
    if args.exit_non_zero_on_fix and args.fix and result.fixed:
        return EXIT_FINDINGS
    if diagnostics and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK


def _emit(args, output: str) -> None:
    """The report: to --output-file, else standard output; nothing with --silent."""
    if args.silent:
        return
    if args.output_file is None:
        _write(output)
        return
    try:
        args.output_file.parent.mkdir(parents=True, exist_ok=True)
        args.output_file.write_text(output, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"memlint: error: cannot write {args.output_file}: {exc.strerror or exc}") from None


def _report_fix_only(args, result) -> int:
    """--fix-only: what was fixed, never the findings left (exit 0 unless an error)."""
    if args.format in ("full", "concise"):
        listing = _fixes_listing(result) if args.show_fixes else ""
        noun = "error" if result.fixed == 1 else "errors"
        summary = "" if args.quiet else (
            f"Fixed {result.fixed} {noun}.\n" if result.fixed else "No errors fixed.\n")
        _emit(args, listing + summary)
    if result.errors and any("cannot read" in e for e in result.errors):
        return EXIT_ERROR
    if args.exit_non_zero_on_fix and result.fixed:
        return EXIT_FINDINGS
    return EXIT_OK


def _fixes_listing(result) -> str:
    """`--show-fixes`: per file, how many fixes of each rule were applied (ruff's shape)."""
    from collections import Counter

    from memlint.engine.registry import all_rules
    from memlint.reporters.common import display_path

    rules = all_rules()
    lines = []
    for filename in sorted(result.fixed_codes):
        counts = Counter(result.fixed_codes[filename])
        if not counts:
            continue
        lines.append(f"- {display_path(filename, Path.cwd())}:")
        for code, n in sorted(counts.items()):
            name = rules[code].name if code in rules else ""
            lines.append(f"    {n} × {code} ({name})" if name else f"    {n} × {code}")
    if not lines:
        return "No fixes applied.\n"
    return "Fixes applied:\n" + "".join(line + "\n" for line in lines)


def _add_noqa(files, projects) -> int:
    from memlint.engine.noqa import add_noqa_files

    added, errors = add_noqa_files(files, projects)
    for err in errors:
        print(err, file=sys.stderr)
    noun = "directive" if added == 1 else "directives"
    print(f"Added {added} noqa {noun}.", file=sys.stderr)
    return EXIT_ERROR if any("cannot read" in e for e in errors) else EXIT_OK


_RULE_USAGE = (
    "usage: memlint rule CODE | NAME | --all\n\n"
    "Show a rule's documentation: by its code (MEM101) or its name (memmap-reshape), or\n"
    "every rule's with --all.\n"
)


def _rule_command(argv: list[str]) -> int:
    import difflib

    from memlint.engine.registry import all_rules, get_rule

    if argv[:1] in (["-h"], ["--help"]):
        print(_RULE_USAGE, end="")
        return EXIT_OK
    if argv == ["--all"]:
        _write("\n\n".join(_rule_text(rule) for rule in all_rules().values()) + "\n")
        return EXIT_OK
    if len(argv) != 1 or argv[0].startswith("-"):
        raise UsageError("memlint: error: usage: memlint rule CODE | NAME | --all")
    by_name = {rule.name: rule for rule in all_rules().values()}
    rule = get_rule(argv[0]) or by_name.get(argv[0].lower())
    if rule is None:
        close = difflib.get_close_matches(argv[0], [*all_rules(), *by_name], n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else " (`memlint rules` lists them)"
        raise UsageError(f"memlint: error: unknown rule {argv[0]!r}{hint}")
    _write(_rule_text(rule) + "\n")
    return EXIT_OK


def _rule_text(rule) -> str:
    return f"# {rule.name} ({rule.code})\n\n{rule.summary}.\n\n{rule.docs()}"


def _rules_command(argv: list[str]) -> int:
    from memlint.docs import rules_markdown
    from memlint.engine.registry import all_rules

    fmt = "text"
    if argv[:1] in (["-h"], ["--help"]):
        print("usage: memlint rules [--format text|markdown]\n\nList every rule: code, name, "
              "whether it has a fix, summary.")
        return EXIT_OK
    if argv[:1] == ["--format"] and len(argv) == 2:
        fmt = argv[1]
    elif argv:
        raise UsageError("memlint: error: usage: memlint rules [--format text|markdown]")
    if fmt == "markdown":
        _write(rules_markdown())
        return EXIT_OK
    if fmt != "text":
        raise UsageError(f"memlint: error: unknown format {fmt!r} for `memlint rules`")
    lines = []
    for code, rule in all_rules().items():
        fix = {"always": "fix", "sometimes": "fix", "none": ""}[rule.fix_availability]
        lines.append(f"{code}  {rule.name:<32} {fix:<4} {rule.summary}\n")
    _write("".join(lines))
    return EXIT_OK
