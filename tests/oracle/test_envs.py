"""The oracle environments: a build that cannot succeed says why, and leaves nothing behind."""

from __future__ import annotations

import pytest

from . import envs

pytestmark = pytest.mark.oracle


def test_failed_build_names_environment_and_pip_error(tmp_path, monkeypatch):
    monkeypatch.setenv("MEMLINT_ORACLE_CACHE", str(tmp_path / "cache"))
    # An invalid requirement: pip refuses it before asking any index.
    monkeypatch.setitem(envs.ENVIRONMENTS, "broken", ("joblib=>1",))
    with pytest.raises(envs.EnvironmentBuildError) as info:
        envs.get_env("broken")
    message = str(info.value)
    assert message.startswith("building oracle environment broken (joblib=>1)")
    assert "pip install failed (exit 1)" in message
    assert "Invalid requirement: 'joblib=>1'" in message  # pip's own words
    leftovers = [p.name for p in (tmp_path / "cache").iterdir() if not p.name.endswith(".lock")]
    assert leftovers == []


def test_cache_location_and_key(tmp_path, monkeypatch):
    monkeypatch.setenv("MEMLINT_ORACLE_CACHE", str(tmp_path))
    assert envs.cache_root() == tmp_path
    monkeypatch.delenv("MEMLINT_ORACLE_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert envs.cache_root() == tmp_path / "xdg" / "memlint-oracle"
    key = envs.env_key("joblib-1.4.2")
    assert key.startswith("joblib-1.4.2-") and key == envs.env_key("joblib-1.4.2")
    monkeypatch.setitem(envs.ENVIRONMENTS, "joblib-1.4.2", ("joblib==1.4.2", "numpy==1.26.3"))
    assert envs.env_key("joblib-1.4.2") != key  # new pins, new environment
