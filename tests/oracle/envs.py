"""Pinned virtual environments for the oracle tests, built once and reused.

Each environment is a `python -m venv` plus `pip install` of exact pins, kept in a cache
directory outside the repository: `$MEMLINT_ORACLE_CACHE`, else
`$XDG_CACHE_HOME/memlint-oracle`, else `~/.cache/memlint-oracle`. Its folder name carries a
hash of the pins and of the base interpreter, so a change of either builds a new one. A
folder is used only once its `ready.json` exists (written last), and a file lock keeps two
test runs from building the same environment at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Bump to rebuild every environment (e.g. after changing how they are built).
LAYOUT = 1

# name -> exact pins. Old joblib and dask releases predate NumPy 2, so they get 1.26.4.
ENVIRONMENTS: dict[str, tuple[str, ...]] = {
    "joblib-1.4.2": ("joblib==1.4.2", "numpy==1.26.4"),
    "joblib-1.6.0": ("joblib==1.6.0", "numpy==2.2.6"),
    "dask-2024.5.0": ("dask==2024.5.0", "numpy==1.26.4"),
    "dask-2026.8.0": ("dask==2026.8.0", "numpy==2.2.6"),
    "ray-2.60.0": ("ray==2.60.0", "numpy==2.2.6"),
    # The CPU build of torch 2.13.0 (973 MB installed, about 30 s from this machine's
    # wheel); h5py for the handle a Dataset keeps open.
    "torch-2.13.0": ("torch==2.13.0+cpu", "numpy==2.2.6", "h5py==3.16.0"),
    "netcdf4-1.7.2": ("netCDF4==1.7.2", "h5netcdf==1.6.1", "xarray==2025.1.2", "dask==2026.8.0",
                      "numpy==2.2.6"),
}

PIP_TIMEOUT = 1200


class EnvironmentBuildError(Exception):
    pass


@dataclass(frozen=True)
class Env:
    name: str
    path: Path
    pins: tuple[str, ...]
    versions: dict  # distribution -> installed version, as pip installed it
    build_seconds: float | None  # None when taken from the cache

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def requirements_txt(self) -> str:
        return "".join(f"{pin}\n" for pin in self.pins)


def cache_root() -> Path:
    explicit = os.environ.get("MEMLINT_ORACLE_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "memlint-oracle"


def _base_interpreter() -> str:
    return getattr(sys, "_base_executable", None) or sys.executable


def env_key(name: str) -> str:
    pins = ENVIRONMENTS[name]
    ident = json.dumps(
        {
            "layout": LAYOUT,
            "pins": sorted(pins),
            "python": sys.version,
            "interpreter": os.path.realpath(_base_interpreter()),
            "platform": sys.platform,
        },
        sort_keys=True,
    )
    return f"{name}-{hashlib.sha256(ident.encode()).hexdigest()[:12]}"


def get_env(name: str) -> Env:
    """The environment `name`, built first if the cache has none."""
    pins = ENVIRONMENTS[name]
    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvironmentBuildError(f"cannot create the oracle cache directory {root}: {exc}") from exc
    path = root / env_key(name)
    with open(root / f"{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready = _read_ready(path)
        if ready is not None:
            return Env(name, path, pins, ready["versions"], None)
        started = time.monotonic()
        _build(name, path, pins)
        ready = _read_ready(path)
        assert ready is not None
        return Env(name, path, pins, ready["versions"], time.monotonic() - started)


def _read_ready(path: Path) -> dict | None:
    marker = path / "ready.json"
    if not marker.is_file() or not (path / "bin" / "python").exists():
        return None
    try:
        return json.loads(marker.read_text())
    except (OSError, ValueError):
        return None


def _run(cmd: list[str], what: str, timeout: float) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise EnvironmentBuildError(f"{what}: timed out after {timeout:.0f} s") from None
    except OSError as exc:
        raise EnvironmentBuildError(f"{what}: {exc}") from None
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise EnvironmentBuildError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


def _build(name: str, path: Path, pins: tuple[str, ...]) -> None:
    if path.exists():
        shutil.rmtree(path)  # a build that did not finish
    what = f"building oracle environment {name} ({' '.join(pins)}) in {path}"
    try:
        _run([sys.executable, "-m", "venv", str(path)], f"{what}: python -m venv", 300)
        python = str(path / "bin" / "python")
        # Wheels only: an sdist build would need compilers and take minutes.
        _run(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--no-input", "--only-binary=:all:", *pins],
            f"{what}: pip install", PIP_TIMEOUT,
        )
        names = [p.split("==")[0] for p in pins]
        out = _run(
            [python, "-c",
             "import json, sys; from importlib.metadata import version; "
             "print(json.dumps({n: version(n) for n in sys.argv[1:]}))", *names],
            f"{what}: reading installed versions", 120,
        )
        versions = json.loads(out)
        wrong = {n: v for n, v in versions.items() if f"{n}=={v}" not in pins}
        if wrong:
            raise EnvironmentBuildError(f"{what}: pip installed {wrong}, not the pins")
        (path / "ready.json").write_text(json.dumps({"pins": list(pins), "versions": versions}))
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
