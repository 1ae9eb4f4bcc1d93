"""The Python API: check or fix source text and paths without the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

from memlint.diagnostics import Diagnostic


class StaticVersions:
    """Library versions given explicitly, nothing looked up: for the API and tests.
    A library not given is unknown, and `unknown` ("assume-affected" or "skip") decides."""

    def __init__(self, versions: Mapping[str, str], unknown: str = "assume-affected") -> None:
        from packaging.version import Version

        self.versions = {k.lower(): Version(v) for k, v in versions.items()}
        self.unknown = unknown

    def resolve(self, library: str):
        from memlint.versions import ResolvedVersion

        v = self.versions.get(library.lower())
        return ResolvedVersion(library, v, None, "given" if v is not None else None)

    def affected(self, library: str, specifier: str) -> bool:
        from packaging.specifiers import SpecifierSet

        v = self.versions.get(library.lower())
        if v is None:
            return self.unknown == "assume-affected"
        return SpecifierSet(specifier).contains(v, prereleases=True)


def _settings(select, options, versions, unknown, filename):
    from memlint.engine.checker import Settings
    from memlint.engine.registry import all_rules

    rules = [
        r for code, r in all_rules().items()
        if select is None or any(code.startswith(s.upper()) for s in select)
    ]
    opts = {
        r.code: {**{k: o.default for k, o in r.options.items()}, **dict((options or {}).get(r.code, {}))}
        for r in rules
    }
    resolver = StaticVersions(versions or {}, unknown)
    return Settings([r.configured(opts[r.code]) for r in rules], opts, resolver.resolve, resolver.affected)


def check_source(
    source: str,
    filename: str = "<string>",
    *,
    select: Sequence[str] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    versions: Mapping[str, str] | None = None,
    unknown_versions: str = "assume-affected",
) -> list[Diagnostic]:
    """Findings for `source`. Library versions come only from `versions`; others are
    unknown (see `unknown_versions`)."""
    from memlint.engine.checker import check_text

    return check_text(source, filename, _settings(select, options, versions, unknown_versions, filename))


def fix_source(
    source: str,
    filename: str = "<string>",
    *,
    unsafe: bool = False,
    select: Sequence[str] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    versions: Mapping[str, str] | None = None,
    unknown_versions: str = "assume-affected",
) -> str:
    """`source` with its fixes applied (safe ones, plus unsafe ones when `unsafe`)."""
    from memlint.engine.checker import fix_text

    settings = _settings(select, options, versions, unknown_versions, filename)
    text, _, _, _ = fix_text(source, filename, settings, unsafe=unsafe)
    return text


def check_paths(paths: Sequence[str | Path], config: str | Path | None = None) -> list[Diagnostic]:
    """Findings for files and directories, with the projects' config and versions."""
    from memlint.engine.runner import FixOptions, ProjectCache, relevant_files, run_files

    projects = ProjectCache(Path(config) if config else None)
    files = relevant_files([Path(p) for p in paths], projects)
    return run_files(files, projects, FixOptions()).diagnostics
