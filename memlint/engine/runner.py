"""Run the checker over files: group them by project, build each project's settings once,
look files up in the result cache, check the rest (in a process pool when there is enough
work to pay for one), fix, write fixed files atomically.

Per file, cheapest first: a cache entry matching the file's size and mtime; else read it and
run the byte prefilter (a file no enabled rule can match is done); else a cache entry
matching its content hash; else check it.
"""

from __future__ import annotations

import collections
import gc
import itertools
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from memlint.diagnostics import Diagnostic
from memlint.engine.checker import FileResult, Settings

# A pool is started only for at least this many bytes of files to check (below it, the
# workers' start-up would cost more than it saves).
POOL_MIN_BYTES = 256 * 1024


@dataclass
class Project:
    """A project root with its config; library versions are resolved on first use."""

    config: "object"  # memlint.config.Config
    resolver: "object | None" = None  # memlint.versions.VersionResolver, made when needed
    # Settings by the codes per-file-ignores remove: most projects have one for all files.
    _settings: dict = field(default_factory=dict, repr=False, compare=False)
    _for_every_file: Settings | None = field(default=None, repr=False, compare=False)
    _index: "object | None" = field(default=None, repr=False, compare=False)

    @property
    def index(self):
        """The project index of the project's files (memlint.index.ProjectIndex)."""
        if self._index is None:
            from memlint.analysis.reach import MODELED_LIBRARIES
            from memlint.index import ProjectIndex

            self._index = ProjectIndex(self.config.root, opaque=MODELED_LIBRARIES)
        return self._index

    def _resolver(self):
        if self.resolver is None:
            from memlint.versions import VersionResolver

            self.resolver = VersionResolver(self.config)
        return self.resolver

    def resolve(self, library: str):
        return self._resolver().resolve(library)

    def affected(self, library: str, specifier: str) -> bool:
        return self._resolver().affected(library, specifier)

    def settings_for(self, filename: str) -> Settings:
        from memlint.engine.registry import all_rules

        cfg = self.config
        if not cfg.per_file_ignores:
            # One answer for every file (asked once per file read: 2,900 times on a large
            # tree).
            if self._for_every_file is None:
                self._for_every_file = self._settings_of(
                    tuple(code for code in all_rules() if cfg.is_enabled(code)))
            return self._for_every_file
        return self._settings_of(tuple(code for code in all_rules() if cfg.is_enabled(code, filename)))

    def _settings_of(self, key: tuple[str, ...]) -> Settings:
        from memlint.engine.registry import all_rules

        cfg = self.config
        found = self._settings.get(key)
        if found is None:
            rules = [all_rules()[code] for code in key]
            options = {r.code: cfg.options_for(r.code, {k: o.default for k, o in r.options.items()})
                       for r in rules}
            rules = [r.configured(options[r.code]) for r in rules]
            found = self._settings[key] = Settings(rules, options, self.resolve, self.affected,
                                                   index=self.index)
        return found

    def enabled(self, code: str, filename: str) -> bool:
        return self.config.is_enabled(code, filename)

    def skip_key(self) -> str:
        """What the prefilter's verdict depends on: memlint's code and the config."""
        from memlint.engine.cache import code_fingerprint

        return f"{code_fingerprint()}:{self.config.fingerprint()}"

    def result_key(self) -> str:
        """What a file's findings depend on besides its content: also the resolved
        versions of the libraries the enabled rules declare."""
        from memlint.engine.registry import all_rules

        libraries = {
            lib for code, rule in all_rules().items() if self.config.is_enabled(code) for lib in rule.libraries
        }
        return f"{self.skip_key()}:{self._resolver().fingerprint(libraries)}"


@dataclass
class FixOptions:
    fix: bool = False
    unsafe: bool = False
    diff: bool = False  # compute fixes, print a diff, write nothing


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    fixed: int = 0  # fixes applied (or that would be, with --diff)
    diffs: list[tuple[str, str]] = field(default_factory=list)  # (file name, unified diff)
    errors: list[str] = field(default_factory=list)  # one-line problems (unreadable files...)
    sources: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, bytes] = field(default_factory=dict)  # fixed bytes by filename
    fixed_codes: dict[str, list[str]] = field(default_factory=dict)  # codes fixed, by file


def process_bytes(
    data: bytes, filename: str, project: Project, opts: FixOptions
) -> tuple[FileResult, bytes | None, str | None]:
    """Check one file's bytes; with fixing, also return the fixed bytes (None when
    unchanged) and an error message when a fix had to be rolled back."""
    from memlint.engine.checker import check_bytes, decode, encode, fix_text
    from memlint.engine.notebook import is_notebook

    settings = project.settings_for(filename)
    result = check_bytes(data, filename, settings)
    result.dependencies = _dependencies(settings, filename)
    result.diagnostics = [d for d in result.diagnostics if project.enabled(d.code, filename)]
    if not (opts.fix or opts.diff) or not any(d.fix for d in result.diagnostics):
        return result, None, None
    if is_notebook(filename):
        return _fix_notebook(data, filename, project, settings, opts, result)
    text, encoding = decode(data)
    if encode(text, encoding) != data:
        # Some codecs (unicode_escape, raw_unicode_escape, ...) do not give back the bytes
        # they read: writing the fixed text would change what was not fixed.
        return result, None, (f"cannot fix: decoding it as {encoding} and encoding it back "
                              "does not give the same bytes; the file is left as it is")
    new_text, applied, remaining, error = fix_text(
        text, filename, settings, unsafe=opts.unsafe, fixed_codes=result.fixed_codes
    )
    result.diagnostics = [d for d in remaining if project.enabled(d.code, filename)]
    result.dependencies.update(_dependencies(settings, filename))
    result.fixes_applied = applied
    if new_text == text:
        return result, None, error
    result.fixed_text = new_text
    return result, encode(new_text, encoding), error


def _fix_notebook(data: bytes, filename: str, project: Project, settings: Settings, opts: FixOptions,
                  result: FileResult) -> tuple[FileResult, bytes | None, str | None]:
    """process_bytes's fixing for a notebook: its module fixed as any file, the changed
    cells' sources written back into its JSON text, every other byte kept."""
    from memlint.engine.checker import fix_text, lint_notebook
    from memlint.engine.notebook import Notebook, NotebookError

    broken = sorted({d.cell for d in result.diagnostics if d.code == "MEM001" and d.cell is not None})
    if broken:
        return result, None, f"cannot fix: cell {broken[0]} does not parse"
    notebook = Notebook.read(data)
    new_text, applied, remaining, error = fix_text(
        notebook.text, filename, settings, unsafe=opts.unsafe, fixed_codes=result.fixed_codes,
        top_level_await=True,
    )
    if new_text == notebook.text:
        result.diagnostics = [notebook.in_cells(d) for d in remaining if project.enabled(d.code, filename)]
        return result, None, error
    try:
        fixed = notebook.with_sources(notebook.sources_of(new_text))
        after = Notebook.read(fixed)
    except NotebookError as exc:
        return result, None, f"cannot fix: {exc}; the notebook is left as it is"
    if after.text != new_text:  # the fixed cells hold a boundary or marker now: check afresh
        remaining = lint_notebook(after, filename, settings)
    else:
        remaining = [after.in_cells(d) for d in remaining]
    result.diagnostics = [d for d in remaining if project.enabled(d.code, filename)]
    result.dependencies.update(_dependencies(settings, filename))
    result.fixes_applied = applied
    result.fixed_text = fixed.decode("utf-8-sig")
    return result, fixed, error


def file_diff(filename: str, before: bytes, after: bytes, cwd: Path | None = None) -> str:
    """The fix of a file as a unified diff (for a notebook, one per changed cell)."""
    from memlint.engine.checker import decode
    from memlint.engine.notebook import cell_diff, is_notebook

    if is_notebook(filename):
        return cell_diff(before, after, _shown_path(filename, cwd or Path.cwd()))
    return unified_diff(filename, decode(before)[0], decode(after)[0], cwd)


def _dependencies(settings: Settings, filename: str) -> dict[str, tuple[int, int]]:
    """The files the index read for the latest check of `filename` (not the file itself)."""
    index = settings.index
    if index is None:
        return {}
    own = os.path.abspath(filename)
    return {path: stamp for path, stamp in index.dependencies().items() if path != own}


def write_atomic(path: Path, data: bytes, st: os.stat_result | None = None) -> None:
    """Write through a temporary file in the same directory and rename it over the
    original, keeping its permission bits and, where the user may set them, its owner
    and group: a crash never leaves half a file. A file with other hard links is
    rewritten in place instead, so every name keeps seeing it."""
    import tempfile

    st = st or path.stat()
    if st.st_nlink > 1:
        with open(path, "r+b") as fh:
            fh.write(data)
            fh.truncate()
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".memlint", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if hasattr(os, "fchown"):
                try:
                    os.fchown(fh.fileno(), st.st_uid, st.st_gid)
                except OSError:
                    pass  # not ours to give away: the file keeps the writer's owner
        os.chmod(tmp, st.st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_fixed(path: Path, before: bytes, data: bytes, root: Path) -> str | None:
    """Write the fixed `data` over `path`, which held `before` when it was read; or say
    why not (None: written). As formatters do: no write through a link that leads out of
    the project, none to a read-only file, and none over an edit made since the file
    was read (it is left as it now is)."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        return f"cannot fix {path}: {exc.strerror if isinstance(exc, OSError) and exc.strerror else exc}"
    if real != path.absolute() and not real.is_relative_to(root.resolve()):
        return f"not fixing {path}: it links to {real}, outside the project"
    try:
        st = os.stat(real)
        if not st.st_mode & 0o222 or not os.access(real, os.W_OK):
            return f"not fixing {path}: the file is read-only"
        with open(real, "rb") as fh:
            now = fh.read()
        if now != before:
            return f"not fixing {path}: it changed while memlint was checking it"
        write_atomic(real, data, st)
    except OSError as exc:
        return f"cannot fix {path}: {exc.strerror or exc}"
    return None


def unified_diff(filename: str, before: str, after: str, cwd: Path | None = None) -> str:
    """The fix as a unified diff that `git apply` and `patch -p1` take from `cwd` (default:
    the working directory): the path relative to it where it can be, behind `a/` and
    `b/`."""
    import difflib

    shown = _shown_path(filename, cwd or Path.cwd())
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            fromfile=f"a/{shown}",
            tofile=f"b/{shown}",
        )
    )


def _shown_path(filename: str, cwd: Path) -> str:
    path = Path(filename)
    try:
        return path.resolve().relative_to(cwd.resolve()).as_posix()
    except ValueError:  # outside the working directory: the absolute path, after a/ or b/
        return path.resolve().as_posix().lstrip("/")


class ProjectCache:
    """Config and version resolution, once per project root."""

    def __init__(self, config_path: Path | None = None, overrides: dict | None = None) -> None:
        self.config_path = config_path
        self.overrides = overrides or {}
        self._by_root: dict[Path, Project] = {}
        self._root_of_dir: dict[Path, Path] = {}
        self._roots_above: dict = {}  # find_project_root's memo

    def for_file(self, path: Path) -> Project:
        from memlint.config import find_project_root, load_config

        if self.config_path is not None:
            root = self.config_path.resolve().parent
        else:
            directory = path.parent
            root = self._root_of_dir.get(directory)
            if root is None:
                root = find_project_root(directory, self._roots_above)
                self._root_of_dir[directory] = root
        project = self._by_root.get(root)
        if project is None:
            config = load_config(root, self.config_path)
            if self.overrides:
                config = config.with_overrides(**self.overrides)
            project = Project(config)
            self._by_root[root] = project
        return project


@dataclass
class RunOptions:
    """How to run: worker processes (None: one per core; 1: none) and the cache
    (`cache_dir` None: `.memlint_cache` in each project root, or MEMLINT_CACHE_DIR)."""

    jobs: int | None = None
    cache: bool = True
    cache_dir: Path | None = None


@dataclass
class _Task:
    path: Path
    filename: str
    data: bytes
    project: int  # index into the run's project list
    digest: str | None
    rel: str | None
    st: os.stat_result | None = None  # taken before reading: a later edit is seen next run


def run_files(
    files: Iterable[Path],
    projects: ProjectCache,
    opts: FixOptions,
    run: RunOptions | None = None,
) -> RunResult:
    from memlint.engine.checker import could_match, follows
    from memlint.engine.notebook import is_notebook

    run = run or RunOptions(cache=False)
    out = RunResult()
    fixing = opts.fix or opts.diff
    caches: dict[int, object] = {}  # id(project) -> ResultCache
    project_list: list[Project] = []
    project_index: dict[int, int] = {}
    jobs = run.jobs or default_jobs()

    # First every file's project and, with the cache, its stat (an unchanged file is
    # answered from it without being read); the rest are read, filtered and checked as
    # they come, largest first when a pool may check them.
    pending: list[tuple[Path, Project, object, str | None, os.stat_result | None]] = []
    for path in files:
        filename = str(path)
        project = projects.for_file(path)
        if id(project) not in project_index:
            project_index[id(project)] = len(project_list)
            project_list.append(project)
        cache = _cache_for(project, caches, run) if run.cache else None
        rel = st = None
        if cache is not None:
            rel = _relative(path, cache.root)
            try:
                st = os.stat(path)
            except OSError:
                st = None
            if st is not None:
                if cache.skipped(rel, st):
                    continue
                hit = cache.by_stat(rel, st, filename)
                if hit is not None and not (fixing and any(d.fix for d in hit)):
                    out.diagnostics.extend(hit)
                    continue
        pending.append((path, project, cache, rel, st))
    if jobs > 1 and len(pending) > 1:
        pending.sort(key=lambda entry: -_size(entry[0], entry[4]))

    def tasks() -> Iterator[_Task]:
        for path, project, cache, rel, st in pending:
            filename = str(path)
            try:
                data = path.read_bytes()
            except OSError as exc:
                out.errors.append(f"memlint: cannot read {filename}: {exc.strerror or exc}")
                continue
            settings = project.settings_for(filename)
            # (A file with NUL bytes goes on: check_bytes says it is not Python source. So
            # does a notebook: its code is found in its JSON, which check_bytes reads.)
            if b"\0" not in data and not is_notebook(filename) and not could_match(
                    data, settings.rules, lambda: follows(settings, filename)):
                if cache is not None and st is not None:
                    cache.store_skip(rel, st)
                continue
            digest = None
            if cache is not None and st is not None:
                from memlint.engine.cache import content_hash

                digest = content_hash(data)
                hit = cache.by_hash(rel, digest, st, filename)
                if hit is not None and not (fixing and any(d.fix for d in hit)):
                    out.diagnostics.extend(hit)
                    continue
            yield _Task(path, filename, data, project_index[id(project)], digest, rel if st else None, st)

    with _fewer_collections():
        for task, (result, fixed, error) in _check_all(tasks(), project_list, opts, run):
            result, fixed = _collect(out, task, result, fixed, error, opts, project_list[task.project])
            cache = caches.get(id(project_list[task.project]))
            if cache is not None and task.rel is not None:
                _remember(cache, task, result, fixed, opts)
    for cache in caches.values():
        cache.save()
    out.diagnostics.sort(key=Diagnostic.sort_key)
    out.errors.sort()
    return out


def _size(path: Path, st: os.stat_result | None) -> int:
    if st is None:
        try:
            st = os.stat(path)
        except OSError:
            return 0
    return st.st_size


@contextmanager
def _fewer_collections():
    """A parse builds hundreds of thousands of nodes, almost none of them in reference
    cycles (92 cyclic objects on the whole benchmark corpus): reference counting frees
    each tree, and the cyclic collector only walked it, 45 times even with a young
    generation of 50,000 (3% of the run). While checking, the collector is off and what
    is loaded is frozen (never walked); check_one collects what is left after each file,
    which is then little."""

    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _cache_for(project: Project, caches: dict, run: RunOptions):
    key = id(project)
    if key not in caches:
        from memlint.engine.cache import ResultCache, default_dir

        root = Path(project.config.root)
        directory = run.cache_dir if run.cache_dir is not None else default_dir(root)
        caches[key] = ResultCache(directory, root, project.skip_key(), project.result_key)
    return caches[key]


def _collect(out: RunResult, task: _Task, result: FileResult, fixed, error, opts: FixOptions,
             project: Project) -> tuple[FileResult, bytes | None]:
    """Add a file's outcome to the run's, writing its fixes (with --fix); returns what is
    now true of the file on disk: its findings, and the bytes written (None: unchanged)."""
    if error:
        out.errors.append(f"memlint: {task.filename}: {error}")
    if fixed is not None and not opts.diff:
        refused = write_fixed(task.path, task.data, fixed, Path(project.config.root))
        if refused is not None:
            out.errors.append(f"memlint: {refused}")
            result, fixed = check_one(task.data, task.filename, project, FixOptions())[0], None
    out.diagnostics.extend(result.diagnostics)
    if fixed is not None:
        out.fixed += result.fixes_applied
        out.fixed_codes[task.filename] = result.fixed_codes
        if opts.diff:
            out.diffs.append((task.filename, file_diff(task.filename, task.data, fixed)))
    return result, fixed


def _remember(cache, task: _Task, result: FileResult, fixed, opts: FixOptions) -> None:
    """Store what is now known about the file on disk: with --diff nothing was written and
    the findings are those after fixing, so the entry is dropped instead."""
    from memlint.engine.cache import content_hash

    if fixed is not None and opts.diff:
        cache.forget(task.rel)
        return
    st = task.st
    if fixed is not None:
        try:
            st = os.stat(task.path)  # the file just written
        except OSError:
            st = None
    if st is None:
        cache.forget(task.rel)
        return
    data = fixed if fixed is not None else task.data
    digest = task.digest if fixed is None and task.digest else content_hash(data)
    cache.store(task.rel, st, digest, result.diagnostics, result.dependencies)


# -- checking, serially or in worker processes ----------------------------------------------

_WORKER_PROJECTS: list[Project] = []
# Objects allocated and still alive since the last collection, above which the next file
# done is followed by one (most files leave a thousand or two).
COLLECT_AFTER = 5_000
_WORKER_OPTS: FixOptions | None = None


def check_one(data: bytes, filename: str, project: Project, opts: FixOptions):
    """process_bytes, except that a file memlint cannot handle becomes a MEM001 finding
    rather than ending the run."""
    try:
        return process_bytes(data, filename, project, opts)
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others
        from memlint.engine.checker import internal_error

        return FileResult(filename, [internal_error(filename, exc)]), None, None
    finally:
        if not gc.isenabled():
            # The file's cycles, if any (see _fewer_collections), once enough new objects
            # have survived to hold some (half a millisecond a collection, whatever it
            # finds); what survives is kept for longer (loaded modules, caches) and is
            # frozen too.
            if gc.get_count()[0] > COLLECT_AFTER:
                gc.collect()
            gc.freeze()


def _check_all(tasks: Iterable[_Task], projects: list[Project], opts: FixOptions, run: RunOptions):
    """Check the tasks as they come: serially, or, once they add up to POOL_MIN_BYTES, in
    a pool of worker processes (which then check the first while the rest are read)."""
    jobs = run.jobs or default_jobs()
    tasks = iter(tasks)
    first: list[_Task] = []
    if jobs > 1:
        size = 0
        for task in tasks:
            first.append(task)
            size += len(task.data)
            if size >= POOL_MIN_BYTES and len(first) > 1:
                yield from _pooled(itertools.chain(first, tasks), projects, opts, jobs)
                return
    for task in itertools.chain(first, tasks):
        yield task, check_one(task.data, task.filename, projects[task.project], opts)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# Files go to the workers in chunks of about this many bytes, largest files first: the
# slowest start at once and the others fill in around them.
CHUNK_BYTES = 128 * 1024


def _pooled(tasks: Iterable[_Task], projects: list[Project], opts: FixOptions, jobs: int):
    import multiprocessing

    # The rules are imported once here: forked workers inherit them. libcst (about 170 ms
    # to import) is loaded by each worker as it starts, meanwhile the parent goes on
    # reading and filtering files: importing it here first held up every worker.
    from memlint.engine.registry import all_rules

    all_rules()
    if sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
    else:  # pragma: no cover - spawn: each worker imports for itself
        context = multiprocessing.get_context()
    for project in projects:
        project.result_key()  # resolves the versions once, not once per worker
    # What is loaded now (libcst, the rules) is shared with the forked workers: kept out
    # of their collections, its pages are never written to and stay shared.
    gc.freeze()
    pool = _Workers(context, jobs, projects, opts)
    try:
        chunk: list[tuple[int, _Task]] = []
        size = 0
        numbers = itertools.count()
        for task in tasks:
            chunk.append((next(numbers), task))
            size += len(task.data)
            if size >= CHUNK_BYTES:
                pool.send(chunk)
                chunk, size = [], 0
            yield from pool.finished(block=False)
        if chunk:
            pool.send(chunk)
        yield from pool.finished(block=True)
    finally:
        pool.close()
        gc.unfreeze()


class _Workers:
    """Worker processes checking chunks of files. A worker that dies (libcst's native
    parser can crash the process) breaks the pool: the files being checked at that moment
    (each worker marks the one it is on in shared memory) are checked again one at a time
    in a process of their own, the crashing one becomes a MEM001 finding naming it, and
    every other file goes to a new pool. Nothing waits for a result that cannot come."""

    def __init__(self, context, jobs: int, projects: list[Project], opts: FixOptions) -> None:
        self.context, self.jobs, self.projects, self.opts = context, jobs, projects, opts
        self.waiting: collections.deque = collections.deque()  # (future, [(key, task)])
        self.executor, self.current = self._start(jobs)

    def _start(self, jobs: int):
        from concurrent.futures import ProcessPoolExecutor

        current = self.context.RawArray("q", [-1] * jobs)  # the key each worker is on
        slots = self.context.Value("i", 0)
        executor = ProcessPoolExecutor(jobs, mp_context=self.context, initializer=_init_worker,
                                       initargs=(self.projects, self.opts, current, slots))
        return executor, current

    def send(self, items: list[tuple[int, _Task]]) -> None:
        work = [(key, t.data, t.filename, t.project) for key, t in items]
        self.waiting.append((self.executor.submit(_work, work), items))

    def finished(self, block: bool):
        from concurrent.futures.process import BrokenProcessPool

        while self.waiting and (block or self.waiting[0][0].done()):
            future, items = self.waiting.popleft()
            try:
                results = future.result()
            except BrokenProcessPool:
                yield from self._recover(items)
                continue
            tasks = dict(items)
            for key, result in results:
                yield tasks[key], result

    def _recover(self, items: list[tuple[int, _Task]]):
        lost = items + [entry for _, chunk in self.waiting for entry in chunk]
        self.waiting.clear()
        on = {key for key in self.current if key >= 0}
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.executor, self.current = self._start(self.jobs)
        suspects = [(key, task) for key, task in lost if key in on]
        for key, task in suspects:
            yield task, self._alone(key, task)
        rest = [(key, task) for key, task in lost if key not in on]
        for i in range(0, len(rest), 8):
            self.send(rest[i:i + 8])

    def _alone(self, key: int, task: _Task):
        """The file checked in a process of its own: its result, or a MEM001 finding when
        that process dies too."""
        from concurrent.futures.process import BrokenProcessPool

        alone, _ = self._start(1)
        with alone:
            try:
                [(_, result)] = alone.submit(_work, [(key, task.data, task.filename, task.project)]).result()
                return result
            except BrokenProcessPool:
                from memlint.engine.checker import crash_error

                return FileResult(task.filename, [crash_error(task.filename)]), None, None

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


_CURRENT = None  # the worker's slot in the pool's shared array of keys being checked
_SLOT = 0


def _init_worker(projects: list[Project], opts: FixOptions, current=None, slots=None) -> None:
    global _WORKER_PROJECTS, _WORKER_OPTS, _CURRENT, _SLOT
    _WORKER_PROJECTS, _WORKER_OPTS = projects, opts
    if current is not None:
        with slots.get_lock():
            _SLOT = slots.value % len(current)
            slots.value += 1
        _CURRENT = current
    from memlint.engine import lazy

    lazy.install()
    import libcst

    libcst.Module  # the stand-in loads on first attribute access
    import memlint.analysis.builder  # noqa: F401
    import memlint.engine.partial  # noqa: F401
    from memlint.engine import codecache

    codecache.save()  # the parent never loads libcst: its classes' code is kept from here


def _work(chunk: list[tuple[int, bytes, str, int]]):
    out = []
    for i, data, filename, project in chunk:
        if _CURRENT is not None:
            _CURRENT[_SLOT] = i
        out.append((i, check_one(data, filename, _WORKER_PROJECTS[project], _WORKER_OPTS)))
    if _CURRENT is not None:
        _CURRENT[_SLOT] = -1
    return out


def relevant_files(
    paths: Sequence[Path], projects: ProjectCache, force_exclude: bool = False,
    notices: list[str] | None = None,
) -> list[Path]:
    """Expand the given paths, with the excludes of the project the first of them is in
    (applied to files named explicitly too with `force_exclude`, as pre-commit needs);
    what the walk left out that deserves a word goes to `notices`."""
    from memlint.engine.discovery import discover

    try:
        first = paths[0].resolve() if paths else Path.cwd()
    except (RuntimeError, OSError):  # a symlink loop: discover says so in one line
        first = paths[0].absolute()
    anchor = first if first.is_dir() else first.parent
    cfg = projects.for_file(anchor / "__init__.py").config
    return discover(paths, root=cfg.root, exclude=cfg.exclude, extend_exclude=cfg.extend_exclude,
                    force_exclude=force_exclude, notices=notices)
