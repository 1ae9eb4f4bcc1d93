from __future__ import annotations

import importlib.metadata
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

import memlint.versions as versions
from memlint.config import Config
from memlint.versions import (
    LIBRARIES,
    ResolvedVersion,
    VersionResolver,
    ranges_overlap,
)


OWN_INTERPRETER = VersionResolver.__dict__["_own_interpreter"]


@pytest.fixture(autouse=True)
def installed(monkeypatch):
    """What the running interpreter has installed; empty unless a test adds to it. The
    interpreter counts as the project's own (tests of that question set its prefix)."""
    packages: dict[str, str] = {}
    monkeypatch.setattr(versions, "_installed_version", packages.get)
    monkeypatch.setattr(VersionResolver, "_own_interpreter", property(lambda self: True))
    return packages


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


def resolver(root: Path, files: dict[str, str] | None = None, **settings) -> VersionResolver:
    write(root, files or {})
    return VersionResolver(Config(root=root, **settings))


UV_LOCK = """
version = 1

[[package]]
name = "joblib"
version = "1.3.2"

[[package]]
name = "numpy"
version = "1.26.4"
"""

PYPROJECT = """
[project]
name = "demo"
dependencies = ["joblib>=1.2,<1.5", "numpy"]
"""


# -- priority of the sources ---------------------------------------------------------------


def test_sources_in_priority_order(tmp_path, installed):
    installed["joblib"] = "1.0.0"
    files = {
        "uv.lock": UV_LOCK,
        "requirements.txt": "joblib==1.4.2\n",
        "pyproject.toml": PYPROJECT,
    }
    r = resolver(tmp_path, files, versions={"joblib": "1.1.0"})
    assert r.resolve("joblib") == ResolvedVersion(
        "joblib", Version("1.1.0"), None, "[tool.memlint.versions]"
    )

    r = resolver(tmp_path)
    assert r.resolve("joblib").describe() == "joblib 1.3.2 (uv.lock)"

    (tmp_path / "uv.lock").unlink()
    assert resolver(tmp_path).resolve("joblib").describe() == "joblib 1.4.2 (requirements.txt)"

    (tmp_path / "requirements.txt").unlink()
    found = resolver(tmp_path).resolve("joblib")
    assert found.version is None
    assert found.specifier == SpecifierSet(">=1.2,<1.5")
    assert found.describe() == "joblib >=1.2,<1.5 (pyproject.toml)"

    (tmp_path / "pyproject.toml").unlink()
    assert resolver(tmp_path).resolve("joblib").describe() == "joblib 1.0.0 (installed)"

    del installed["joblib"]
    found = resolver(tmp_path).resolve("joblib")
    assert found == ResolvedVersion("joblib", None, None, None)
    assert found.describe() == "joblib (version unknown)"


def test_real_installed_version(tmp_path, monkeypatch):
    monkeypatch.undo()  # the real importlib.metadata lookup
    found = VersionResolver(Config(root=tmp_path, installed_versions=True)).resolve("numpy")
    assert found.source == "installed"
    assert found.version == Version(importlib.metadata.version("numpy"))


def test_config_version_names_are_normalized(tmp_path):
    r = resolver(tmp_path, versions={"Dask": "2024.5.0"})
    assert r.resolve("dask").version == Version("2024.5.0")
    assert r.resolve("DASK").version == Version("2024.5.0")


# -- lock files ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["uv.lock", "poetry.lock", "pdm.lock"])
def test_package_lock_files(tmp_path, name):
    lock = UV_LOCK + '\n[[package]]\nname = "Ray"\nversion = "2.9.3"\n'
    r = resolver(tmp_path, {name: lock})
    assert r.resolve("ray").describe() == f"ray 2.9.3 ({name})"


@pytest.mark.parametrize("name", ["pylock.toml", "pylock.dev.toml"])
def test_pylock_files(tmp_path, name):
    lock = 'lock-version = "1.0"\n\n[[packages]]\nname = "dask"\nversion = "2024.5.0"\n'
    assert resolver(tmp_path, {name: lock}).resolve("dask").describe() == f"dask 2024.5.0 ({name})"


def test_lock_file_names_are_normalized(tmp_path):
    lock = '[[package]]\nname = "Modin"\nversion = "0.26.0"\n'
    assert resolver(tmp_path, {"uv.lock": lock}).resolve("modin").version == Version("0.26.0")


def test_lock_without_the_library_means_absent(tmp_path, installed):
    installed["dask"] = "2024.5.0"  # installed here, but the project does not depend on it
    files = {"uv.lock": UV_LOCK, "requirements.txt": "dask==2024.1.0\n"}
    r = resolver(tmp_path, files)
    found = r.resolve("dask")
    assert found.absent
    assert found.version is None and found.source == "uv.lock"
    assert found.describe() == "dask (not in uv.lock)"
    assert r.affected("dask", ">=0") is False


def test_absent_even_when_unknown_versions_assume_affected(tmp_path):
    r = resolver(tmp_path, {"poetry.lock": UV_LOCK}, unknown_versions="assume-affected")
    assert r.affected("ray", "<3") is False


@pytest.mark.parametrize(
    "lock", ["version = 1\n", "package = []\n", '[[package]]\nversion = "1.0"\n']
)
def test_empty_lock_is_not_evidence_of_absence(tmp_path, lock):
    r = resolver(tmp_path, {"uv.lock": lock, "requirements.txt": "dask==2024.1.0\n"})
    assert r.resolve("dask").describe() == "dask 2024.1.0 (requirements.txt)"


def test_library_found_in_a_later_lock_file(tmp_path):
    pdm = '[[package]]\nname = "distributed"\nversion = "2024.2.1"\n'
    r = resolver(tmp_path, {"uv.lock": UV_LOCK, "pdm.lock": pdm})
    assert r.resolve("distributed").describe() == "distributed 2024.2.1 (pdm.lock)"
    assert r.resolve("joblib").source == "uv.lock"


def test_lock_with_several_versions_uses_the_newest(tmp_path):
    lock = UV_LOCK + '\n[[package]]\nname = "numpy"\nversion = "2.0.1"\n'
    assert resolver(tmp_path, {"uv.lock": lock}).resolve("numpy").version == Version("2.0.1")


def test_listed_without_version_falls_through(tmp_path):
    lock = UV_LOCK + '\n[[package]]\nname = "ray"\nsource = { editable = "ray" }\n'
    # poetry.lock does not list ray, but uv.lock does: ray is not absent
    files = {"uv.lock": lock, "poetry.lock": UV_LOCK, "requirements.txt": "ray==2.1.0\n"}
    r = resolver(tmp_path, files)
    found = r.resolve("ray")
    assert not found.absent
    assert found.describe() == "ray 2.1.0 (requirements.txt)"


@pytest.mark.parametrize(
    "content",
    [
        "[[package]\nname = 'dask'\n",  # TOML syntax error
        "package = 3\n",  # wrong shape
        '[[package]]\nname = "dask"\nversion = "not a version"\n',
        b"\xff\xfe\x00garbage",
    ],
)
def test_malformed_lock_is_skipped(tmp_path, content):
    path = tmp_path / "uv.lock"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    r = resolver(tmp_path, {"requirements.txt": "dask==2024.1.0\n"})
    assert r.resolve("dask").describe() == "dask 2024.1.0 (requirements.txt)"


# -- requirements files ----------------------------------------------------------------------


def test_requirements_syntax(tmp_path):
    text = """
    # a comment line
    numpy==1.26.4  # trailing comment
    dask[array,dataframe]==2024.5.0 ; python_version >= "3.8"
    joblib==1.4.2 \\
        --hash=sha256:0123456789abcdef
    ray >= 2.0  # a range, not a pin
    modin~=0.26
    Distributed === 2024.5.1
    -e ./local/package
    --index-url https://example.invalid/simple
    """
    r = resolver(tmp_path, {"requirements.txt": text})
    assert r.resolve("numpy").version == Version("1.26.4")
    assert r.resolve("dask").version == Version("2024.5.0")
    assert r.resolve("joblib").version == Version("1.4.2")
    assert r.resolve("distributed").version == Version("2024.5.1")
    assert r.resolve("ray").source is None
    assert r.resolve("modin").source is None


def test_wildcard_pin_is_not_exact(tmp_path):
    r = resolver(tmp_path, {"requirements.txt": "dask==2024.5.*\n"})
    assert r.resolve("dask").source is None


def test_markers_prefer_the_pin_that_applies_here(tmp_path):
    text = 'numpy==1.0.0; python_version < "3"\nnumpy==2.0.0; python_version >= "3"\n'
    r = resolver(tmp_path, {"requirements.txt": text})
    assert r.resolve("numpy").version == Version("2.0.0")


def test_marker_that_does_not_apply_still_gives_a_pin(tmp_path):
    text = 'numpy==1.0.0; python_version < "3"\n'
    r = resolver(tmp_path, {"requirements.txt": text})
    assert r.resolve("numpy").version == Version("1.0.0")


def test_requirement_includes(tmp_path):
    files = {
        "requirements.txt": "-r reqs/base.txt\n--requirement=reqs/extra.txt\n",
        "reqs/base.txt": "-r common.txt\njoblib==1.3.0\n",
        "reqs/common.txt": "numpy==1.26.0\n-rbase.txt\n",  # a cycle back to base.txt
        "reqs/extra.txt": "--constraint ../constraints.txt\n",
        "constraints.txt": "dask==2024.2.0\n",
    }
    r = resolver(tmp_path, files)
    assert r.resolve("joblib").describe() == "joblib 1.3.0 (reqs/base.txt)"
    assert r.resolve("numpy").describe() == "numpy 1.26.0 (reqs/common.txt)"
    assert r.resolve("dask").describe() == "dask 2024.2.0 (constraints.txt)"


def test_include_through_a_symlinked_directory_loop(tmp_path):
    files = {"requirements.txt": "-r loop/requirements.txt\ndask==2024.1.0\n"}
    write(tmp_path, files)
    try:
        (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    except OSError:
        pytest.skip("symlinks are not available")
    assert VersionResolver(Config(root=tmp_path)).resolve("dask").version == Version("2024.1.0")


def test_continuation_at_end_of_file(tmp_path):
    r = resolver(tmp_path, {"requirements.txt": "# pins\nray==2.0.0 \\\n"})
    assert r.resolve("ray").version == Version("2.0.0")


def test_missing_include_is_skipped(tmp_path):
    r = resolver(tmp_path, {"requirements.txt": "-r nowhere.txt\nray==2.0.0\n"})
    assert r.resolve("ray").version == Version("2.0.0")


def test_requirements_txt_before_other_requirement_files(tmp_path):
    files = {
        "requirements-dev.txt": "joblib==1.0.0\nray==2.0.0\n",
        "requirements.txt": "joblib==1.4.0\n",
        "requirements/extra.txt": "numpy==1.0.0\nray==2.1.0\n",  # after the top-level files
        "docs/requirements.txt": "dask==1.0.0\n",  # other subdirectories are not searched
    }
    r = resolver(tmp_path, files)
    assert r.resolve("joblib").describe() == "joblib 1.4.0 (requirements.txt)"
    assert r.resolve("ray").describe() == "ray 2.0.0 (requirements-dev.txt)"
    assert r.resolve("numpy").describe() == "numpy 1.0.0 (requirements/extra.txt)"
    assert r.resolve("dask").source is None


def test_malformed_requirements_are_skipped(tmp_path):
    text = "joblib==\n[[[\nnumpy==1.2.3 ; bad marker ((\ndask==2024.1.0\n"
    path = tmp_path / "requirements.txt"
    path.write_bytes(text.encode() + b"\xff\xfe\n")
    r = resolver(tmp_path, {"pyproject.toml": PYPROJECT})
    assert r.resolve("dask").version == Version("2024.1.0")
    assert r.resolve("joblib").source == "pyproject.toml"
    assert r.resolve("numpy").source is None


# -- pyproject.toml ranges ---------------------------------------------------------------------


def test_optional_dependencies(tmp_path):
    text = """
    [project]
    name = "demo"
    dependencies = ["joblib>=1.3"]

    [project.optional-dependencies]
    cluster = ["dask[distributed]>=2024.1,<2024.7", "joblib<1.4"]
    """
    r = resolver(tmp_path, {"pyproject.toml": text})
    assert r.resolve("dask").describe() == "dask >=2024.1,<2024.7 (pyproject.toml)"
    # [project] dependencies decide when they name the library
    assert r.resolve("joblib").specifier == SpecifierSet(">=1.3")


def test_several_main_entries_are_intersected(tmp_path):
    text = '[project]\ndependencies = ["dask>=2024.1", "dask[array]<2024.7"]\n'
    found = resolver(tmp_path, {"pyproject.toml": text}).resolve("dask")
    assert found.specifier == SpecifierSet(">=2024.1,<2024.7")


def test_markers_in_pyproject(tmp_path):
    text = """
    [project]
    dependencies = [
        "numpy>=1.24,<2; python_version < '3'",
        "numpy>=2; python_version >= '3'",
        "ray<2.9; python_version < '3'",
    ]
    """
    r = resolver(tmp_path, {"pyproject.toml": text})
    assert r.resolve("numpy").specifier == SpecifierSet(">=2")
    # an entry whose marker does not hold here is still better than nothing
    assert r.resolve("ray").specifier == SpecifierSet("<2.9")


def test_unconstrained_dependency_falls_through(tmp_path, installed):
    installed["numpy"] = "2.1.0"
    r = resolver(tmp_path, {"pyproject.toml": PYPROJECT})
    assert r.resolve("numpy").describe() == "numpy 2.1.0 (installed)"


@pytest.mark.parametrize(
    "text",
    [
        "[project\n",
        "project = 1\n",
        "[project]\ndependencies = 'joblib>=1'\n",
        "[project]\ndependencies = [1, 'joblib >= = 1']\n",
        "[project]\noptional-dependencies = ['x']\n",
    ],
)
def test_malformed_pyproject_is_skipped(tmp_path, installed, text):
    installed["joblib"] = "1.2.0"
    r = resolver(tmp_path, {"pyproject.toml": text})
    assert r.resolve("joblib").describe() == "joblib 1.2.0 (installed)"


# -- affected ---------------------------------------------------------------------------------


def test_affected_with_an_exact_version(tmp_path):
    r = resolver(tmp_path, versions={"joblib": "1.4.2", "numpy": "1.5.0rc1"})
    assert r.affected("joblib", "<1.5.0")
    assert r.affected("joblib", SpecifierSet(">=1.4.2"))
    assert not r.affected("joblib", ">1.4.2")
    assert not r.affected("joblib", "<1.4.2")
    assert r.affected("numpy", ">=1.5.0rc1")  # pre-releases count


@pytest.mark.parametrize(
    ("project", "affected", "expected"),
    [
        (">=1.3,<1.5", "<1.5.0", True),
        (">=1.5", "<1.5.0", False),
        (">=1.5.0", "<=1.5.0", True),  # touching at an inclusive boundary
        (">1.5.0", "<=1.5.0", False),
        ("<1.5", ">=1.5", False),
        ("<=1.5", ">=1.5", True),
        ("~=1.4.0", ">=1.3.0,<1.5.0", True),
        ("~=1.4.0", ">=1.5.0", False),  # ~=1.4.0 stops below 1.5
        ("~=1.4", ">=1.9", True),  # ~=1.4 runs up to 2.0
        ("~=1.4", ">=2.0", False),
        (">=1.3", ">=2024.1", True),  # no upper bound
        (">=1.3", "<1.0", False),
        ("<2", "<1.0", True),  # no lower bound
        ("==1.4.2", "!=1.4.2", False),
        (">=1.4,!=1.4.2", "==1.4.2", False),
        (">=1.4,!=1.4.2", ">=1.4,<=1.4.2", True),  # 1.4 itself
        (">=1.4.2,!=1.4.2", "<=1.4.2", False),
        (">=1.4.2,<1.4.3,!=1.4.2", "<1.4.3", True),  # e.g. 1.4.2.1
        (">1.4,<1.4.1", ">=1.4", True),  # a narrow open interval
        (">1.4,<1.4.0.1", ">=1", True),  # narrower: 1.4.0.0.999999
        (">1.5", ">=1.5", True),  # just above an exclusive bound: 1.5.0.1
        ("!=1.4.*", ">=1.4", True),  # 1.5, past the hole
        ("!=1.4.*", ">=1.4,<1.6", True),
        ("!=1.4.*,!=1.5.*", ">=1.4,<1.6", False),
        ("==1.4.*", ">=1.4.5", True),
        ("==1.4.*", ">=1.5", False),
        ("!=1.4.*", ">=1.4,<1.5", False),
        (">=2024.1,<2024.7", ">=2024.6.1,<2024.8", True),
        (">=2024.1,<2024.7", ">=2024.7", False),
        ("", "<1.0", True),  # any version
        ("", "", True),
        ("<1.0", "", True),
        (">=1!1.0", "<2.0", False),  # epochs
    ],
)
def test_affected_with_a_range(tmp_path, project, affected, expected):
    text = f'[project]\ndependencies = ["dask{project}", "ray"]\n'
    r = resolver(tmp_path, {"pyproject.toml": text})
    if project:
        assert r.resolve("dask").specifier == SpecifierSet(project)
    assert ranges_overlap(SpecifierSet(project), SpecifierSet(affected)) is expected
    if project:
        assert r.affected("dask", affected) is expected


@pytest.mark.parametrize(("setting", "expected"), [("assume-affected", True), ("skip", False)])
def test_unknown_versions_setting(tmp_path, setting, expected):
    r = resolver(tmp_path, unknown_versions=setting)
    assert r.resolve("ray").source is None
    assert r.affected("ray", "<2.10") is expected


# -- caching and fingerprint ----------------------------------------------------------------


def test_lock_files_are_read_once(tmp_path, monkeypatch):
    files = {
        "uv.lock": UV_LOCK,
        "pylock.ci.toml": '[[packages]]\nname = "ray"\nversion = "2.0"\n',
    }
    write(tmp_path, files)
    reads: Counter[str] = Counter()
    real = versions._read_bytes
    monkeypatch.setattr(versions, "_read_bytes", lambda p: reads.update([p.name]) or real(p))
    r = VersionResolver(Config(root=tmp_path))
    for _ in range(2):
        for library in LIBRARIES:
            r.resolve(library)
        r.fingerprint()
    assert r.resolve("ray").describe() == "ray 2.0 (pylock.ci.toml)"
    assert r.resolve("dask").absent
    assert reads["uv.lock"] == 1
    assert reads["pylock.ci.toml"] == 1


def test_requirements_and_pyproject_read_once_each(tmp_path, monkeypatch):
    files = {
        "requirements.txt": "-r requirements-dev.txt\nray==2.0.0\n",
        "requirements-dev.txt": "-r requirements.txt\ndask==2024.1.0\n",
        "pyproject.toml": '[project]\ndependencies = ["modin>=0.20", "numpy>=1"]\n',
    }
    write(tmp_path, files)
    reads: Counter[str] = Counter()
    real = versions._read_bytes
    monkeypatch.setattr(versions, "_read_bytes", lambda p: reads.update([p.name]) or real(p))
    r = VersionResolver(Config(root=tmp_path))
    for library in LIBRARIES * 2:
        r.resolve(library)
    assert r.resolve("ray").version == Version("2.0.0")
    assert r.resolve("modin").specifier == SpecifierSet(">=0.20")
    assert reads["requirements.txt"] == 1
    assert reads["requirements-dev.txt"] == 1
    assert reads["pyproject.toml"] == 1


def test_resolve_is_cached(tmp_path):
    r = resolver(tmp_path, {"requirements.txt": "ray==2.0.0\n"})
    first = r.resolve("ray")
    (tmp_path / "requirements.txt").write_text("ray==2.5.0\n")
    assert r.resolve("ray") is first
    assert resolver(tmp_path).resolve("ray").version == Version("2.5.0")


def test_fingerprint(tmp_path):
    write(tmp_path, {"requirements.txt": "ray==2.0.0\n"})
    a = VersionResolver(Config(root=tmp_path)).fingerprint()
    assert a == VersionResolver(Config(root=tmp_path)).fingerprint()
    assert len(a) == 64
    write(tmp_path, {"requirements.txt": "ray==2.0.1\n"})
    b = VersionResolver(Config(root=tmp_path)).fingerprint()
    assert b != a
    c = VersionResolver(Config(root=tmp_path, unknown_versions="skip")).fingerprint()
    assert c != b


def test_describe_orders_bounds_readably():
    spec = SpecifierSet("<2024.7,!=2024.3.0,>=2024.1")
    found = ResolvedVersion("dask", None, spec, "pyproject.toml")
    assert found.describe() == "dask >=2024.1,<2024.7,!=2024.3.0 (pyproject.toml)"


# -- Python -----------------------------------------------------------------------------------
def test_python_from_target_version_first(tmp_path):
    r = resolver(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\nrequires-python = '>=3.10'\n",
                            ".python-version": "3.12.4\n"}, target_version="3.14")
    assert r.resolve("python").describe() == "Python 3.14 (target-version)"
    assert r.affected("python", ">=3.14")


def test_python_from_requires_python_is_a_range(tmp_path):
    r = resolver(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\nrequires-python = '>=3.12'\n",
                            ".python-version": "3.12.4\n"})
    assert r.resolve("python").describe() == "Python >=3.12 (requires-python)"
    assert r.affected("python", ">=3.14")  # 3.14 is admitted
    assert not r.affected("python", "<3.12")


def test_python_from_python_version_file(tmp_path):
    r = resolver(tmp_path, {".python-version": "3.13\n"})
    assert r.resolve("python").describe() == "Python 3.13 (.python-version)"
    assert not r.affected("python", ">=3.14")


def test_python_falls_back_to_the_running_interpreter(tmp_path):
    import sys

    r = resolver(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\nrequires-python = 'not a range'\n"})
    found = r.resolve("python")
    assert found.source == "running interpreter"
    assert found.version == Version(".".join(map(str, sys.version_info[:3])))


# -- conda environments and requirements/ folders -------------------------------------------------
ENVIRONMENT_YML = """
name: lab
channels:
  - conda-forge
dependencies:
  - python=3.11
  - joblib=1.6.0  # conda's single "="
  - conda-forge::numpy=1.26
  - dask>=2024.12
  - h5py=3.16.0=nompi_py311
  - pip
  - pip:
    - ray==2.60.0
    - "distributed>=2026.1,<2027"
"""


def test_a_conda_environment_file(tmp_path):
    r = resolver(tmp_path, {"environment.yml": ENVIRONMENT_YML})
    assert r.resolve("joblib").describe() == "joblib 1.6.0 (environment.yml)"
    assert r.resolve("numpy").describe() == "numpy ==1.26.* (environment.yml)"
    assert r.resolve("dask").describe() == "dask >=2024.12 (environment.yml)"
    assert r.resolve("ray").describe() == "ray 2.60.0 (environment.yml)"
    assert r.resolve("distributed").describe() == "distributed >=2026.1,<2027 (environment.yml)"
    assert r.affected("joblib", ">=1.5") and not r.affected("joblib", "<1.5")
    assert r.affected("dask", ">=2025") and not r.affected("dask", "<2024.12")


def test_environment_yaml_and_what_comes_first(tmp_path):
    r = resolver(tmp_path, {
        "environment.yaml": "dependencies:\n  - joblib=1.4.2\n  - dask=2024.5.0\n",
        "requirements.txt": "joblib==1.6.0\n",
        "pyproject.toml": '[project]\nname = "p"\ndependencies = ["dask>=2026"]\n',
    })
    assert r.resolve("joblib").describe() == "joblib 1.6.0 (requirements.txt)"  # pins before conda
    assert r.resolve("dask").describe() == "dask 2024.5.0 (environment.yaml)"  # conda before ranges


def test_a_requirements_folder(tmp_path):
    r = resolver(tmp_path, {
        "requirements/base.txt": "joblib==1.6.0\n",
        "requirements/prod.txt": "-r base.txt\ndask==2026.8.0\njoblib==1.4.2\n",
    })
    assert r.resolve("joblib").describe() == "joblib 1.6.0 (requirements/base.txt)"
    assert r.resolve("dask").describe() == "dask 2026.8.0 (requirements/prod.txt)"


def test_an_environment_file_without_dependencies_or_with_odd_lines(tmp_path):
    r = resolver(tmp_path, {"environment.yml": "name: x\nchannels: [conda-forge]\nvariables:\n  - joblib=1.0.0\n"})
    assert r.resolve("joblib").version is None
    r = resolver(tmp_path / "b", {"environment.yml": "dependencies:\n  - joblib =1.6.0\n  - numpy>=\n  - :::\n"})
    assert r.resolve("joblib").describe() == "joblib 1.6.0 (environment.yml)"
    assert r.resolve("numpy").version is None and r.resolve("numpy").specifier is None


# -- the running interpreter, only when it is the project's own ---------------------------------
@pytest.mark.parametrize("prefix, used", [
    (".venv", True),  # a virtual environment in the project
    ("envs/lab", True),  # a conda environment made with --prefix inside it
    ("../elsewhere/.venv", False),  # pre-commit's, pipx's or another project's
])
def test_the_interpreter_counts_only_as_the_projects_own_environment(tmp_path, installed, monkeypatch, prefix, used):
    installed["joblib"] = "1.4.2"
    root = tmp_path / "project"
    (root / prefix).mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr(versions, "_interpreter_prefix", lambda: str(root / prefix))
    monkeypatch.setattr(VersionResolver, "_own_interpreter", OWN_INTERPRETER)
    found = resolver(root).resolve("joblib")
    assert found.describe() == ("joblib 1.4.2 (installed)" if used else "joblib (version unknown)")
    trusted = resolver(root / "again", installed_versions=True).resolve("joblib")
    assert trusted.describe() == "joblib 1.4.2 (installed)"


def test_installed_versions_must_be_a_boolean(tmp_path):
    from memlint.config import ConfigError, load_config

    (tmp_path / "memlint.toml").write_text('installed-versions = "yes"\n')
    with pytest.raises(ConfigError, match="'installed-versions' must be true or false"):
        load_config(tmp_path)
