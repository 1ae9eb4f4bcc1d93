"""Check one file: decode, prefilter, parse once, build the model, dispatch every enabled
rule in a single walk, suppress, position, and (on request) fix until stable."""

from __future__ import annotations

import codecs
import functools
import io
import sys
import tokenize
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence

from memlint.diagnostics import Diagnostic, Fix, Location
from memlint.engine.rule import Rule

SYNTAX_ERROR = ("MEM001", "syntax-error")
MAX_FIX_ROUNDS = 10


@dataclass
class Settings:
    """Everything a check needs besides the source; picklable for worker processes when
    the version functions are module-level or bound methods of picklable objects."""

    rules: Sequence[type[Rule]]
    options: Mapping[str, Mapping[str, Any]]
    resolve_version: Callable[[str], Any]
    affected: Callable[[str, str], bool]
    # Codes of every rule enabled for the file, kept when `rules` is narrowed to those that
    # can match it (MEM002 judges suppressions against all of them). None: the codes of `rules`.
    enabled_codes: frozenset[str] | None = None
    # False under flake8, which applies noqa comments itself: memlint applies only its own
    # `# memlint: ignore[...]` comments (and still records which noqa comment would be used).
    apply_noqa: bool = True
    # Check a large file with findings whole, never from its first pass's statements
    # alone: what --fix writes comes from the whole module.
    whole_files: bool = False
    # Findings are likely (a document open in an editor, checked again at each edit): the
    # first pass, which pays where most files have none, is skipped, and the statements it
    # would keep are checked at once at their own positions (the findings are the same).
    expect_findings: bool = False
    # The project index (memlint.index.ProjectIndex) of the files' project; None: the
    # file is checked alone (its own definitions are still followed).
    index: Any = None
    # Whether the rules' project triggers count in the file being checked (set by
    # `lint_text`: see Rule.project_triggers).
    project_triggers: bool = False

    def enabled(self) -> frozenset[str]:
        if self.enabled_codes is None:
            return frozenset(r.code for r in self.rules)
        return self.enabled_codes


@dataclass
class FileResult:
    filename: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    fixed_text: str | None = None  # set when fixing changed the text
    fixes_applied: int = 0
    encoding: str = "utf-8"
    fix_error: str | None = None
    fixed_codes: list[str] = field(default_factory=list)  # code of each fix applied
    # The other files of the project the findings were drawn from (through the project
    # index), with their size and mtime_ns then: the cached findings hold while they do.
    dependencies: dict[str, tuple[int, int]] = field(default_factory=dict)


class DecodeError(Exception):
    pass


def decode(data: bytes) -> tuple[str, str]:
    """Decode source bytes as Python does (BOM, coding cookie, else UTF-8), keeping
    newlines exactly as they are."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise DecodeError(str(exc)) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        where = data[: exc.start].count(b"\n") + 1
        if encoding in ("utf-8", "utf-8-sig"):
            raise DecodeError(
                f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x} on line {where}) and "
                "declares no other encoding; add a coding declaration such as "
                "`# -*- coding: latin-1 -*-` or re-encode it as UTF-8"
            ) from None
        raise DecodeError(f"file cannot be decoded as {encoding} (line {where})") from None
    except LookupError:
        raise DecodeError(f"unknown encoding {encoding!r} declared") from None
    return text, encoding  # utf-8-sig drops the BOM, one: Python rejects a second


def encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-sig":
        return codecs.BOM_UTF8 + text.encode("utf-8")
    return text.encode(encoding)


def could_match(data: bytes, rules: Sequence[type[Rule]],
                project: "bool | Callable[[], bool]" = True) -> list[type[Rule]]:
    """The rules whose triggers the bytes satisfy (with `project`, their project triggers
    too: see Rule.project_triggers; a callable is asked only when a project trigger is
    what decides). Each string is searched for at most
    once per file (rules share strings such as b"memmap"); within a group, the strings
    every group of the rule holds are searched for first (a file without b"MEM" has no
    suppression MEM002 could judge, whatever else it holds) and those most files hold
    (`for `, `return`) last. First, a few strings one of which every group holds (see
    _cover): most files hold none of them and cost those few searches only; and a group
    whose strings hold one of those the file lacks is not searched further."""
    rules = tuple(rules)
    found: dict[bytes, bool] = {}

    def has(word: bytes) -> bool:
        hit = found.get(word)
        if hit is None:
            hit = found[word] = word in data
        return hit

    if not any(has(s) for s in _cover(rules)):
        return []
    words: dict[bytes, bool] = {}

    def has_name(word: bytes) -> bool:
        # A name trigger (Rule.name_triggers) as a whole word somewhere: no statement can
        # use the name otherwise, not even through an import of it.
        hit = words.get(word)
        if hit is None:
            hit = words[word] = has(word) and _has_word(data, word)
        return hit

    def holds(groups) -> bool:
        return any(all(has_name(t) if name else has(t) for t, name in group) for group in groups)

    asked: list[bool] = []

    def in_project() -> bool:
        if not asked:
            asked.append(project() if callable(project) else bool(project))
        return asked[0]

    order = _search_orders(rules)
    return [
        r for r in rules
        if (holds(order[r][0]) or (order[r][1] and holds(order[r][1]) and in_project()))
        and (r.shape_filter is None or r.shape_filter(data))
    ]


_ORDERS: dict[tuple, dict] = {}


def _search_orders(rules: tuple[type[Rule], ...]) -> dict:
    """For each rule, its groups and its project-trigger groups as searched: each a tuple
    of (string, is a name trigger), in the order of _search_order, after the strings of
    the cover its strings hold (one the file lacks rules the group out at once)."""
    found = _ORDERS.get(rules)
    if found is None:
        cover = _cover(rules)

        def searched(groups):
            out = []
            for group in groups:
                parts = [c for c in cover if any(c in t and c != t for t in group)]
                out.append(tuple((c, False) for c in parts)
                           + tuple((t, t in rule.name_triggers) for t in group))
            return tuple(out)

        found = {}
        for rule in rules:
            found[rule] = (searched(_search_order(rule, False)), searched(rule.project_triggers))
        _ORDERS[rules] = found
    return found


_COVERS: dict[tuple, tuple[bytes, ...]] = {}
# Shorter common parts than this would be in most files: no use as a first test.
_COVER_MIN = 4
_COVER_WORD_MIN = 6


def _cover(rules: tuple[type[Rule], ...]) -> tuple[bytes, ...]:
    """Strings such that every trigger group of `rules` holds one of them, or a string
    containing one, chosen greedily: each time the string (a trigger, or a part of at least
    _COVER_MIN bytes two triggers share) held by the most groups not yet covered, the
    one that is not a keyword (`return`, `for `), then the longer, on a tie. For every rule:
    `mmap` (memmap, mmap_mode), `dask`, `Parallel`, ` ray` (import ray, from ray), `MEM`,
    `get_context`, `Pool` and `Process(` (multiprocessing's and concurrent.futures'
    pools and processes), `xarray`, `torch.utils.data` (PyTorch's datasets and loaders)."""
    found = _COVERS.get(rules)
    if found is not None:
        return found
    groups = [group for rule in rules for group in _groups(rule, True)]
    strings = sorted({t for group in groups for t in group})
    candidates = set(strings)
    parts = [_parts(t) for t in strings]
    for i in range(len(strings)):
        for j in range(i + 1, len(strings)):
            shared = parts[i] & parts[j]
            if shared:
                candidates.add(max(sorted(shared), key=len))
    holders = {t: {g for g, group in enumerate(groups) if t in group} for t in strings}
    covers = {c: set().union(*(holders[t] for t in strings if c in t)) for c in sorted(candidates)}
    uncovered = set(range(len(groups)))
    chosen: list[bytes] = []
    while uncovered:
        best = max(covers, key=lambda c: (len(covers[c] & uncovered), not _is_keyword(c), len(c)))
        chosen.append(best)
        uncovered -= covers[best]
    found = _COVERS[rules] = tuple(chosen)
    return found


def _is_keyword(word: bytes) -> bool:
    import keyword

    return keyword.iskeyword(word.decode("ascii", "replace").strip())


def _parts(word: bytes) -> set[bytes]:
    """The parts of `word` at least _COVER_MIN bytes long; a part of letters and digits
    only, at least _COVER_WORD_MIN (a short plain word, "data" or "array", is in most
    files; " ray" is not)."""
    return {
        part for i in range(len(word)) for j in range(i + _COVER_MIN, len(word) + 1)
        if len(part := word[i:j]) >= _COVER_WORD_MIN or not part.isalnum()
    }


def _has_word(data: bytes, word: bytes) -> bool:
    """Whether `word` occurs in `data` not inside a longer name (bytes of non-ASCII
    letters count as other characters: the test may only be too lenient)."""
    check_before = _is_name_byte(word[0])
    check_after = _is_name_byte(word[-1])
    at = data.find(word)
    while at >= 0:
        end = at + len(word)
        if not (check_before and at > 0 and _is_name_byte(data[at - 1])) and not (
            check_after and end < len(data) and _is_name_byte(data[end])
        ):
            return True
        at = data.find(word, at + 1)
    return False


def _is_name_byte(b: int) -> bool:
    return b == 95 or 48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122  # _ 0-9 A-Z a-z


def _groups(rule: type[Rule], project: bool) -> tuple[tuple[bytes, ...], ...]:
    return rule.triggers + rule.project_triggers if project else rule.triggers


_ORDERED: dict[tuple[type, bool], tuple[tuple[bytes, ...], ...]] = {}


def _search_order(rule: type[Rule], project: bool) -> tuple[tuple[bytes, ...], ...]:
    found = _ORDERED.get((rule, project))
    if found is None:
        import keyword

        groups = _groups(rule, project)
        shared = set(groups[0]).intersection(*groups) if groups else set()

        def order(t: bytes) -> int:
            if t in shared:
                return 0
            return 2 if keyword.iskeyword(t.decode("ascii", "replace").strip()) else 1

        found = _ORDERED[rule, project] = tuple(tuple(sorted(g, key=order)) for g in groups)
    return found


def syntax_error(filename: str, text: str, fallback: Exception | None = None) -> Diagnostic:
    """MEM001 at the position Python's own parser gives (its messages are the clearest)."""
    from memlint.engine.parsing import python_compile

    row, col, msg = 1, 1, str(fallback) if fallback else "invalid syntax"
    try:
        python_compile(text, ast_only=True)
    except SyntaxError as exc:
        row = exc.lineno or 1
        col = exc.offset or 1
        msg = exc.msg
    except (ValueError, RecursionError, MemoryError) as exc:  # NUL bytes, deep nesting
        msg = str(exc)
        if _is_too_complex(fallback):
            return _too_complex(filename, fallback)
    else:
        if _is_too_complex(fallback):
            return _too_complex(filename, fallback)
        if isinstance(fallback, SyntaxError):  # from compiling to bytecode
            row, col, msg = fallback.lineno or 1, fallback.offset or 1, fallback.msg
        elif fallback is not None:
            msg = _first_line(str(fallback))
    loc = Location(max(row, 1), max(col, 1))
    return Diagnostic(
        SYNTAX_ERROR[0], SYNTAX_ERROR[1], f"SyntaxError: {msg}", filename, loc, loc
    )


def _is_too_complex(exc: Exception | None) -> bool:
    from memlint.engine.parsing import TooComplex

    return isinstance(exc, TooComplex)


def _too_complex(filename: str, exc: Exception) -> Diagnostic:
    """MEM001 for a file Python accepts but memlint's parser must not take."""
    loc = Location(getattr(exc, "row", 1), 1)
    return Diagnostic(SYNTAX_ERROR[0], SYNTAX_ERROR[1], f"memlint cannot analyse this file: {exc}",
                      filename, loc, loc)


def _first_line(s: str) -> str:
    return s.strip().splitlines()[0] if s.strip() else s


def internal_error(filename: str, exc: BaseException) -> Diagnostic:
    """MEM001 for a file memlint failed on: reported, never a crash of the whole run."""
    loc = Location(1, 1)
    if isinstance(exc, RecursionError):
        return Diagnostic(SYNTAX_ERROR[0], SYNTAX_ERROR[1],
                          "memlint cannot analyse this file: it nests too deeply for its parser",
                          filename, loc, loc)
    detail = _first_line(str(exc)) if str(exc).strip() else ""
    message = (
        f"memlint could not analyse this file ({type(exc).__name__}{': ' + detail if detail else ''}); "
        "please report it with the file"
    )
    return Diagnostic(SYNTAX_ERROR[0], SYNTAX_ERROR[1], message, filename, loc, loc)


def crash_error(filename: str) -> Diagnostic:
    """MEM001 for a file whose check killed the process checking it."""
    loc = Location(1, 1)
    message = ("memlint's parser crashed on this file (the process checking it died); "
               "please report it with the file")
    return Diagnostic(SYNTAX_ERROR[0], SYNTAX_ERROR[1], message, filename, loc, loc)


def decode_error(filename: str, message: str) -> Diagnostic:
    loc = Location(1, 1)
    return Diagnostic(SYNTAX_ERROR[0], SYNTAX_ERROR[1], message, filename, loc, loc)


# Files smaller than this are parsed whole at once: a first, partial pass would not pay.
PARTIAL_MIN_CHARS = 2_000


# libcst generates code and visits trees recursively, a few frames a level: a chain of
# operators as long as memlint.engine.parsing lets through (about 3,000 links) needs more
# than Python's default 1,000. Python frames do not grow the C stack from 3.11 on; before,
# a lower limit keeps the C stack safe (deeper files are then MEM001).
RECURSION_LIMIT = 20_000 if sys.version_info >= (3, 11) else 6_000


@contextmanager
def _deep_recursion():
    before = sys.getrecursionlimit()
    if before < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)
    try:
        yield
    finally:
        if before < RECURSION_LIMIT:
            sys.setrecursionlimit(before)


def lint_text(text: str, filename: str, settings: Settings) -> list[Diagnostic]:
    """Findings for decoded source `text`, but those its file-level `noqa` comments
    exempt it from (memlint.engine.suppression.file_exemption): the exempt rules do not
    run."""
    with _deep_recursion():
        return _lint_exempt(text, filename, settings)


def _lint_exempt(text: str, filename: str, settings: Settings) -> list[Diagnostic]:
    from memlint.engine.suppression import EVERYTHING, exempt, file_exemption

    codes = file_exemption(text)
    if codes == EVERYTHING:
        return []
    if codes:
        settings = replace(settings, rules=tuple(r for r in settings.rules if not exempt(r.code, codes)))
        return [d for d in _lint_text(text, filename, settings) if not exempt(d.code, codes)]
    return _lint_text(text, filename, settings)


def _lint_text(text: str, filename: str, settings: Settings) -> list[Diagnostic]:
    """Findings for decoded source `text` (already known to possibly match).

    A large file is first checked on the statements that can matter (see
    memlint.engine.partial); only when a rule reports something there is it checked
    again, by the rules that reported, and that result is the one returned (a rule quiet
    on what can matter is quiet on the whole file): on the same statements at their own
    positions when those rules' fixes need nothing else (`_padded_pass`), else on the
    whole file. A file only a suppression-judging rule can match is tokenized, never
    parsed by libcst."""
    from memlint.engine.suppression import Suppressions, skips_file

    if skips_file(text):
        return []
    from memlint.engine.parsing import TooComplex, as_parsed

    try:
        text = as_parsed(text)  # same rows and columns
    except TooComplex as exc:
        return [_too_complex(filename, exc)]
    settings = _with_index(settings, filename, text)
    settings = _with_project_triggers(settings, filename, text)
    walkers = [r for r in settings.rules if not r.judges_suppressions]
    judges = [r for r in settings.rules if r.judges_suppressions]
    out: list[Diagnostic] = []
    suppressions = None
    parsed = False
    if not any(_hooks(r) for r in walkers):
        reported = set()
    elif settings.expect_findings:
        reported = {r.code for r in walkers}
    else:
        reported = _first_pass(text, filename, walkers, settings)
    if reported is not None:
        walkers = [r for r in walkers if r.code in reported]
    if walkers and reported and not settings.whole_files and all(
        r.fix_availability == "none" or r.local_fixes for r in walkers
    ):
        found = _padded_pass(text, filename, walkers, settings)
        if found is not None:
            out, suppressions = found
            parsed = True
            walkers = []
    if walkers:
        import libcst as cst

        from memlint.engine.parsing import parse_module

        try:
            module = parse_module(text)
        except (cst.ParserSyntaxError, RecursionError, ValueError) as exc:
            return [syntax_error(filename, text, exc)]
        parsed = True
        ctx = _dispatch(module, text, filename, walkers, settings, complete=True)
        if ctx.reports:
            suppressions = Suppressions(text)
            out = _finish(ctx, filename, text, module, suppressions, settings.apply_noqa)
    if judges:
        suppressions = suppressions or Suppressions(text)
        out.extend(_judge(judges, suppressions, filename, text, settings, parsed))
        out.sort(key=Diagnostic.sort_key)
    return out


def _first_pass(text: str, filename: str, rules: Sequence[type[Rule]], settings: Settings) -> set[str] | None:
    """The codes of the rules that report on a file's statements that can matter (none: the
    whole file would have no finding either, and is not parsed), or None when the first
    pass does not apply or its source did not parse: every rule then checks the file."""
    reduced = first_pass_source(text, rules, project=settings.project_triggers)
    if reduced is None:
        return None
    if not reduced:
        return set()  # no statement can hold a finding
    from memlint.engine.parsing import parse_module

    try:
        part = parse_module(reduced)
    except Exception:  # noqa: BLE001 - the whole-file parse decides what to say
        return None
    return {rep.code for rep in _dispatch(part, reduced, filename, rules, settings).reports}


def _padded_pass(text: str, filename: str, rules: Sequence[type[Rule]], settings: Settings):
    """The findings of `rules` (which reported in the first pass) from the statements the
    first pass keeps for them, parsed at their own rows and columns (the other lines left
    empty), with the suppressions of the whole text; None when that cannot be done and
    the whole file must be parsed. Those statements hold everything the rules' answers
    draw on (see memlint.engine.partial), so the findings are those of the whole file.
    A file Python cannot compile is left to the whole parse, which reports MEM001
    (compiling to bytecode: twice as fast as building Python's AST objects, and no more
    lenient)."""
    from memlint.engine.parsing import parse_module
    from memlint.engine.suppression import Suppressions

    padded = first_pass_source(text, rules, padded=True, project=settings.project_triggers)
    if not padded:
        return None
    from memlint.engine.parsing import python_compile

    try:
        python_compile(text)
        module = parse_module(padded)
    except Exception:  # noqa: BLE001 - the whole-file parse decides what to say
        return None
    ctx = _dispatch(module, padded, filename, rules, settings)
    suppressions = Suppressions(text)
    return _finish(ctx, filename, padded, module, suppressions, settings.apply_noqa), suppressions


def first_pass_source(text: str, rules: Sequence[type[Rule]], padded: bool = False,
                      project: bool = True) -> str | None:
    """What the first pass parses of `text` for `rules` (the walking rules that can match
    it): the reduced source, "" when nothing can match, None when the whole file is
    parsed at once (a small file, or a rule that must see every statement). `padded`:
    the same statements at their own rows (memlint.engine.partial.reduce_source)."""
    if len(text) < PARTIAL_MIN_CHARS or not all(r.partial_parse for r in rules):
        return None
    from memlint.engine.partial import reduce_source

    whole = [g for r in rules if not r.partial_classes for g in _trigger_groups(text, [r], project)]
    sources = sorted({t.decode("utf-8", "replace") for r in rules for t in r.source_triggers})
    return reduce_source(text, _trigger_groups(text, rules, project), whole,
                         _name_triggers(text, rules, project), padded=padded, sources=sources,
                         shapes=_unit_shapes(text, rules, project))


def _unit_shapes(text: str, rules: Sequence[type[Rule]], project: bool) -> dict:
    """For each trigger group the file satisfies that only rules with a unit shape wait
    for, the test a def must pass to be a seed (any of those rules' tests)."""
    tests: dict[tuple[str, ...], list] = {}
    unshaped: set[tuple[str, ...]] = set()
    data = None
    for rule in rules:
        for group in _trigger_groups(text, [rule], project):
            if rule.unit_shape is None:
                unshaped.add(group)
                continue
            if data is None:
                data = text.encode("utf-8", "surrogatepass")
            tests.setdefault(group, []).append(rule.unit_shape(data))
    out = {}
    for group, found in tests.items():
        if group not in unshaped:
            out[group] = found[0] if len(found) == 1 else _any_of(tuple(found))
    return out


@functools.lru_cache(maxsize=8)
def _any_of(tests: tuple) -> Callable[[str], bool]:
    return lambda code: any(test(code) for test in tests)


def _name_triggers(text: str, rules: Sequence[type[Rule]], project: bool) -> frozenset[str]:
    """The strings of the trigger groups `text` satisfies that every rule waiting for them
    there declares to be names (one that a rule takes as plain text counts as text)."""
    names: set[str] = set()
    plain: set[str] = set()
    for rule in rules:
        declared = {t.decode("utf-8", "replace") for t in rule.name_triggers}
        for group in _groups(rule, project):
            words = [t.decode("utf-8", "replace") for t in group]
            if all(w in text for w in words):
                for w in words:
                    (names if w in declared else plain).add(w)
    return frozenset(names - plain)


def _trigger_groups(text: str, rules: Sequence[type[Rule]], project: bool) -> list[tuple[str, ...]]:
    """The trigger groups (as text) the file satisfies."""
    out: list[tuple[str, ...]] = []
    for rule in rules:
        for group in _groups(rule, project):
            words = tuple(t.decode("utf-8", "replace") for t in group)
            if all(w in text for w in words) and words not in out:
                out.append(words)
    return out


def follows(settings: Settings, filename: str) -> bool:
    """Whether the index can follow values of `filename` into other modules of its
    project (the project triggers count)."""
    return settings.index is not None and settings.index.follows(filename)


def _with_project_triggers(settings: Settings, filename: str, text: str) -> Settings:
    """The settings with the rules that can match `text` only through project triggers
    left out, unless the file imports a module of its project that holds one of their
    source triggers (a memmap opened there, for MEM201's `from_array` calls)."""
    rules = settings.rules
    relying = [r for r in rules if r.project_triggers and not _trigger_groups(text, [r], False)]
    if not relying:
        return settings
    evidence = sorted({e.decode("utf-8", "replace") for r in relying for e in r.source_triggers})
    if follows(settings, filename) and settings.index.imports_holding(text, evidence):
        return replace(settings, project_triggers=True)
    return replace(settings, rules=[r for r in rules if r not in relying])


def _with_index(settings: Settings, filename: str, text: str) -> Settings:
    """The settings with an index that knows the file being checked is `text` (a file
    checked alone gets an index of its own, which knows only that file)."""
    from memlint.index import ProjectIndex

    if settings.index is None:
        settings = replace(settings, index=ProjectIndex(None))
    settings.index.begin(filename, text)
    return settings


def _dispatch(module, text: str, filename: str, rules: Sequence[type[Rule]], settings: Settings,
              complete: bool = False):
    """Build the model and run every rule's hooks over it in one walk; returns the
    Context holding the rules' reports. `complete`: the module is the whole file (not
    the first pass's statements), which the index then answers from."""
    from memlint.analysis.builder import build
    from memlint.engine.context import Context

    hooks: dict[str, list[Callable]] = {}
    hooked = frozenset(t for r in rules for t in _hooks(r))
    model, collected = build(module, hooked)
    model.attach(settings.index, filename, complete=complete)
    if complete and settings.index is not None:
        settings.index.adopt(model)
    ctx = Context(
        filename=filename,
        source=text,
        module=module,
        model=model,
        options=settings.options,
        resolve_version=settings.resolve_version,
        affected=settings.affected,
    )
    for rule_cls in rules:
        rule = rule_cls(ctx)
        for type_name, method in _hooks(rule_cls).items():
            hooks.setdefault(type_name, []).append(getattr(rule, method))
    for node in collected:
        for handler in hooks.get(type(node).__name__, ()):
            handler(node)
    return ctx


def _judge(judges, suppressions, filename: str, text: str, settings: Settings, parsed: bool) -> list[Diagnostic]:
    """Findings of the suppression-judging rules, themselves subject to suppression."""
    if not suppressions.items or not suppressions.complete:
        return []
    found: list[Diagnostic] = []
    for rule_cls in judges:
        found.extend(
            rule_cls.check_suppressions(
                suppressions, filename=filename, text=text, enabled=settings.enabled()
            )
        )
    if found and not parsed:
        # Never offer to edit a file that does not compile (it was not parsed here).
        from memlint.engine.parsing import python_compile

        try:
            python_compile(text, ast_only=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return []
    kinds = ("noqa", "ignore") if settings.apply_noqa else ("ignore",)
    return [d for d in found if suppressions.suppressing(d.code, d.location.row, kinds) is None]


_HOOKS: dict[type, dict[str, str]] = {}


def _hooks(rule_cls: type[Rule]) -> dict[str, str]:
    # Rule.hooks() inspects the class; once per class is enough.
    found = _HOOKS.get(rule_cls)
    if found is None:
        found = _HOOKS[rule_cls] = rule_cls.hooks()
    return found


def _finish(ctx, filename: str, text: str, module, suppressions, apply_noqa: bool = True) -> list[Diagnostic]:
    from memlint.engine.fixes import LineIndex, build_fix
    from memlint.engine.positions import Positions

    index = LineIndex(text)
    # Positions cost a codegen pass: paid only by files that have findings, and only for
    # the top-level statements that hold what is reported.
    position = Positions(module, text, ctx.model.parent, index.starts)
    out: list[Diagnostic] = []
    seen: set[tuple] = set()
    for rep in ctx.reports:
        start, end = position(rep.node)
        if rep.end_node is not None:
            end = position(rep.end_node)[1]
        key = (rep.code, start, end, rep.message)
        if key in seen:
            continue
        seen.add(key)
        kinds = ("noqa", "ignore") if apply_noqa else ("ignore",)
        if suppressions.suppressing(rep.code, start.row, kinds) is not None:
            continue
        fix: Fix | None = None
        if rep.fix is not None:
            fix = build_fix(rep.fix, index=index, position=position, module=module)
        out.append(
            Diagnostic(rep.code, rep.name, rep.message, filename, start, end, fix=fix)
        )
    out.sort(key=Diagnostic.sort_key)
    return out


def check_text(text: str, filename: str, settings: Settings) -> list[Diagnostic]:
    rules = could_match(text.encode("utf-8", "surrogatepass"), settings.rules, lambda: follows(settings, filename))
    if not rules:
        return []
    return lint_text(text, filename, _with_rules(settings, rules))


def _with_rules(settings: Settings, rules: Sequence[type[Rule]]) -> Settings:
    return replace(settings, rules=rules, enabled_codes=settings.enabled())


def check_bytes(data: bytes, filename: str, settings: Settings) -> FileResult:
    from memlint.engine.notebook import is_notebook

    if is_notebook(filename):
        return check_notebook(data, filename, settings)
    result = FileResult(filename)
    if b"\0" in data:  # a binary file: Python rejects NUL bytes in source too
        row = data.count(b"\n", 0, data.index(b"\0")) + 1
        loc = Location(row, 1)
        result.diagnostics = [Diagnostic(SYNTAX_ERROR[0], SYNTAX_ERROR[1],
                                         "not Python source: the file holds NUL bytes (a binary file?)",
                                         filename, loc, loc)]
        return result
    # A file that cannot match any enabled rule is neither decoded nor parsed; MEM001 is
    # about files memlint could not analyse, not a general syntax check.
    rules = could_match(data, settings.rules, lambda: follows(settings, filename))
    if not rules:
        return result
    try:
        text, result.encoding = decode(data)
    except DecodeError as exc:
        result.diagnostics = [decode_error(filename, str(exc))]
        return result
    result.diagnostics = lint_text(text, filename, _with_rules(settings, rules))
    return result


def check_notebook(data: bytes, filename: str, settings: Settings) -> FileResult:
    """A notebook's findings, at their cells: MEM001 when it is no notebook memlint can
    read (not JSON, no cells)."""
    from memlint.engine.notebook import Notebook, NotebookError

    result = FileResult(filename)
    try:
        notebook = Notebook.read(data)
    except NotebookError as exc:
        result.diagnostics = [decode_error(filename, str(exc))]
        return result
    result.diagnostics = lint_notebook(notebook, filename, settings)
    return result


def lint_notebook(notebook, filename: str, settings: Settings) -> list[Diagnostic]:
    """The findings of a notebook's code cells read as one module (`notebook.text`),
    at their cells. A cell Python cannot compile alone (the kernel compiles each cell
    alone) is MEM001 at its own row and column, and the other cells are checked
    without it."""
    rules = could_match(notebook.text.encode("utf-8", "surrogatepass"), settings.rules,
                        lambda: follows(settings, filename))
    if not rules:
        return []
    broken, text = _broken_cells(notebook, filename)
    found = lint_text(text, filename, _with_rules(settings, rules))
    return sorted(broken + [notebook.in_cells(d) for d in found], key=Diagnostic.sort_key)


def _broken_cells(notebook, filename: str) -> tuple[list[Diagnostic], str]:
    """MEM001 for each code cell Python does not compile, and the notebook's module with
    those cells' lines left empty (rows unchanged)."""
    from memlint.engine.notebook import blank, cell_texts
    from memlint.engine.parsing import python_compile

    broken: list[Diagnostic] = []
    pieces = []
    for number, piece in cell_texts(notebook):
        try:
            python_compile(piece, ast_only=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            found = syntax_error(filename, piece, exc)
            broken.append(replace(found, cell=number))
            piece = blank(piece)
        pieces.append(piece)
    if not broken:
        return [], notebook.text
    return broken, notebook.boundary.join(pieces)


def fix_text(
    text: str, filename: str, settings: Settings, *, unsafe: bool,
    fixed_codes: list[str] | None = None, top_level_await: bool = False,
) -> tuple[str, int, list[Diagnostic], str | None]:
    """Apply fixes until nothing changes (at most MAX_FIX_ROUNDS rounds). Returns the new
    text, the number of fixes applied, the findings left, and an error when a fix made
    code that does not parse (that fix is left out; the others of its round are kept).
    The code of each applied fix is appended to `fixed_codes` when given (--show-fixes)."""
    from memlint.engine.fixes import applicable, apply_fixes

    applied_total = 0
    error = None
    settings = replace(settings, whole_files=True)
    diagnostics = check_text(text, filename, settings)
    if any(applicable(d.fix, unsafe) for d in diagnostics):
        # libcst parses some code CPython rejects (a starred expression where none is
        # allowed): such a file is left as it is, and is MEM001 as any that does not parse.
        from memlint.engine.parsing import python_compile

        try:
            python_compile(text, top_level_await=top_level_await)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            return text, 0, [syntax_error(filename, text, exc)], None
    original = text
    rejected: set = set()  # fixes whose result did not parse: never tried again
    for _ in range(MAX_FIX_ROUNDS):
        fixable = [d for d in diagnostics if applicable(d.fix, unsafe) and d.fix not in rejected]
        if not fixable:
            break
        fixes = [d.fix for d in fixable]
        taken: list[Fix] = []
        new_text, applied = apply_fixes(text, fixes, taken)
        if applied == 0 or new_text == text:
            break
        problem = _parse_problem(new_text, filename)
        if problem is not None:
            # Roll the round back, then keep those fixes that parse on their own.
            error = (
                f"a fix produced code that does not parse ({problem}); "
                "that fix was not applied"
            )
            new_text, applied, taken = text, 0, []
            for fix in fixes:
                candidate, n = apply_fixes(new_text, [fix])
                if n and _parse_problem(candidate, filename) is None:
                    new_text, applied = candidate, applied + n
                    taken.append(fix)
                else:
                    rejected.add(fix)
            if applied == 0:
                break
        text = new_text
        applied_total += applied
        if fixed_codes is not None:
            code_of = {id(d.fix): d.code for d in fixable}
            fixed_codes.extend(code_of[id(f)] for f in taken)
        diagnostics = check_text(text, filename, settings)
    return _same_final_newline(original, text), applied_total, diagnostics, error


def _same_final_newline(before: str, after: str) -> str:
    """`after` ending in a line break exactly when `before` does (a fix that deletes the
    last statement takes its line break, or the one before it, with it)."""
    if after == before or not after:
        return after
    ends = before.endswith(("\n", "\r"))
    if ends and not after.endswith(("\n", "\r")):
        from memlint.engine.fixes import LineIndex

        return after + LineIndex(before).newline()
    if not ends and after.endswith(("\n", "\r")):
        return after[:-2] if after.endswith("\r\n") else after[:-1]
    return after


def _parse_problem(text: str, filename: str) -> str | None:
    """Why `text` does not parse (for libcst or for Python), or None when it does."""
    from memlint.engine.parsing import parse_module, python_compile

    try:
        parse_module(text)
        python_compile(text, ast_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure means: keep the original
        return _first_line(str(exc))
    return None
