from __future__ import annotations

import pytest

from .envs import ENVIRONMENTS, EnvironmentBuildError, get_env
from .harness import Project

_envs: dict = {}
_failures: dict[str, str] = {}
_observations: list[tuple[str, str, str, str]] = []


@pytest.fixture(scope="session")
def oracle_env():
    """`oracle_env("joblib-1.4.2")`: the pinned environment, built on first use. A build that
    fails fails every test that needs it, with pip's own words."""

    def get(name: str):
        assert name in ENVIRONMENTS, name
        if name in _failures:
            pytest.fail(_failures[name], pytrace=False)
        if name not in _envs:
            try:
                _envs[name] = get_env(name)
            except EnvironmentBuildError as exc:
                _failures[name] = f"cannot build the oracle environment: {exc}"
                pytest.fail(_failures[name], pytrace=False)
        return _envs[name]

    return get


@pytest.fixture
def oracle_project(tmp_path, memlint, oracle_env):
    """`oracle_project("script.py", "joblib-1.4.2")`: a temporary project holding the script."""
    count = 0

    def make(script: str, env_name: str) -> Project:
        nonlocal count
        count += 1
        return Project(tmp_path / f"project{count}", oracle_env(env_name), script, memlint)

    return make


@pytest.fixture
def observed(request):
    """`observed(rule, env, before, after)`: a line for the end-of-run summary."""

    def record(rule: str, env: str, before: str, after: str) -> None:
        _observations.append((rule, env, before, after))

    return record


def pytest_terminal_summary(terminalreporter):
    if not (_envs or _failures or _observations):
        return
    tr = terminalreporter
    tr.section("memlint oracles")
    for name, env in sorted(_envs.items()):
        how = f"built in {env.build_seconds:.0f} s" if env.build_seconds is not None else "from the cache"
        tr.write_line(f"{name}: {how} ({env.path})")
    for name, message in sorted(_failures.items()):
        tr.write_line(f"{name}: {message.splitlines()[0]}")
    for rule, env, before, after in _observations:
        tr.write_line(f"{rule} on {env}: before: {before}; after: {after}")
