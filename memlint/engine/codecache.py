"""Keep the code that `dataclasses` compiles for each class, across runs.

A dataclass's `__init__`, `__repr__`, `__eq__`, `__hash__` (and, frozen, `__setattr__` and
`__delattr__`) are generated as source text and compiled when the class is created. libcst
defines about 340 node classes this way: two thirds of `import libcst` (170 to 230 ms here)
is that compiling, paid by every run that parses a file, once per worker process. The
compiled code depends on nothing but the generated text (and the interpreter), so it is
kept, as `__pycache__` keeps a module's bytecode: in one file per bytecode version, in the
user's cache directory (`$XDG_CACHE_HOME/memlint`, `~/.cache/memlint`, or
`$MEMLINT_STARTUP_CACHE`; `MEMLINT_STARTUP_CACHE=off` turns it off).

It works by giving the `dataclasses` module its own `exec`: a string it is asked to run is
compiled once (exactly as the built-in `exec` would: file name `<string>`, no inherited
`__future__` flags) and looked up by its text afterwards. What runs is the same code; only
the compiling is skipped. Nothing here ever fails a run: a missing, unreadable or corrupt
file means compiling as usual, and a cache that cannot be written is left alone.

Unlike `__pycache__`, the place may be any folder the user names, so what it holds is
trusted only as ssh and ccache trust their files: the directory and the file must belong
to the current user and be writable by no one else (the directory is made 0700, the file
0600), and the file must carry the keyed hash (BLAKE2b) this user's runs put on what
they write, with a key kept in the same private directory. Anything else is compiled as
usual and never loaded: a crafted file cannot make a run execute its code.
"""

from __future__ import annotations

import builtins
import importlib.util
import marshal
import os
import stat
import sys
import types

ENV = "MEMLINT_STARTUP_CACHE"
# A file holding more entries than this (other libcst versions over time) is rewritten
# with those this process used.
MAX_ENTRIES = 5000

_codes: dict[str, types.CodeType] | None = None  # loaded on the first string to run
_used: set[str] = set()
_new = 0  # entries compiled by this process and not yet saved


def directory() -> str | None:
    """Where the cache lives, or None when it is turned off."""
    configured = os.environ.get(ENV)
    if configured is not None:
        return None if configured.strip().lower() in ("", "0", "off", "false", "no") else configured
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        home = os.path.expanduser("~")
        if home.startswith("~"):
            return None  # no home directory to speak of: never a `~` folder in the cwd
        base = os.path.join(home, ".cache")
    return os.path.join(base, "memlint")


def _path() -> str | None:
    where = directory()
    if where is None:
        return None
    tag = sys.implementation.cache_tag or "python"
    return os.path.join(where, f"dataclass-code.{tag}-{importlib.util.MAGIC_NUMBER.hex()}"
                               f"-O{sys.flags.optimize}.marshal")


def install() -> None:
    """Route `dataclasses`' compiling through the cache (once per process)."""
    import dataclasses

    if dataclasses.__dict__.get("exec") is _exec or _path() is None:
        return
    if "exec" in dataclasses.__dict__:  # pragma: no cover - someone else's; leave it be
        return
    dataclasses.exec = _exec  # type: ignore[attr-defined]


def _exec(source, globals=None, locals=None, /):  # noqa: A002 - the built-in's signature
    if type(source) is not str:
        return builtins.exec(source, globals, locals)
    if globals is None:
        # The built-in runs in the caller's namespaces: those of `dataclasses`.
        caller = sys._getframe(1)
        globals = caller.f_globals
        if locals is None:
            locals = caller.f_locals
    return builtins.exec(_code(source), globals, locals)


def _code(source: str) -> types.CodeType:
    global _codes, _new
    if _codes is None:
        _codes = _load()
    _used.add(source)
    code = _codes.get(source)
    if code is None:
        code = _codes[source] = compile(source, "<string>", "exec", dont_inherit=True)
        _new += 1
    return code


def _load() -> dict[str, types.CodeType]:
    path = _path()
    if path is None:
        return {}
    try:
        key = _key(os.path.dirname(path), create=False)
        if key is None or not _trusted(path, directory=False):
            return {}
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return {}
    signature, payload = data[:_SIGNATURE], data[_SIGNATURE:]
    if signature != _sign(key, payload):  # a local file: no timing to guard
        return {}
    try:
        found = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return {}
    if type(found) is not dict or not all(
        type(k) is str and type(v) is types.CodeType for k, v in found.items()
    ):
        return {}
    return found


_SIGNATURE = 32  # bytes of keyed BLAKE2b before the marshalled codes
_KEY_FILE = "dataclass-code.key"


def _sign(key: bytes, payload: bytes) -> bytes:
    # Keyed BLAKE2b is a MAC by design, and a built-in module (hmac loads OpenSSL: 3 ms).
    from hashlib import blake2b

    return blake2b(payload, key=key, digest_size=_SIGNATURE).digest()


def _trusted(path: str, directory: bool) -> bool:
    """Whether `path` is a directory (or a regular file, not a link) of the current user's
    that no one else may write to."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    kind = stat.S_ISDIR(st.st_mode) if directory else stat.S_ISREG(st.st_mode)
    owner = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return kind and owner and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _key(where: str, create: bool) -> bytes | None:
    """The secret this user's runs sign the cache with, kept in `where` (which must be
    trusted); made when missing and `create`."""
    if not _trusted(where, directory=True):
        return None
    path = os.path.join(where, _KEY_FILE)
    try:
        if _trusted(path, directory=False):
            with open(path, "rb") as fh:
                key = fh.read()
            if len(key) == 32:
                return key
        if not create:
            return None
        key = os.urandom(32)
        tmp = f"{path}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        os.replace(tmp, path)
        return key
    except OSError:
        return None


def save() -> None:
    """Write the cache if this process compiled anything new, with what the file holds
    now (a worker may have added libcst's classes since this process read it), atomically:
    a concurrent run reads the old file or the new one, never half of one. The directory
    is made private to the user; a place that is not is left alone."""
    global _new
    path = _path()
    if not _new or _codes is None or path is None:
        return
    where = os.path.dirname(path)
    keep = {**_load(), **_codes}
    if len(keep) > MAX_ENTRIES:
        keep = {k: v for k, v in _codes.items() if k in _used}
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(where, mode=0o700, exist_ok=True)
        key = _key(where, create=True)
        if key is None or os.path.lexists(path) and not _trusted(path, directory=False):
            return
        payload = marshal.dumps(keep)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(_sign(key, payload) + payload)
        os.replace(tmp, path)
    except (OSError, ValueError):  # ValueError: an interpreter that cannot marshal code
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return
    _new = 0
