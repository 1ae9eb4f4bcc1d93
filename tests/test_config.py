from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import memlint.engine.registry as registry
from memlint.config import (
    Config,
    ConfigError,
    find_project_root,
    load_config,
)
from memlint.engine.rule import Option


def fake_rule(code: str, **options: Option) -> type:
    return type(f"Fake{code}", (), {"code": code, "options": options})


FAKE_RULES = {
    "MEM001": fake_rule("MEM001"),
    "MEM101": fake_rule("MEM101"),
    "MEM102": fake_rule("MEM102"),
    "MEM201": fake_rule("MEM201"),
    "MEM203": fake_rule(
        "MEM203",
        **{
            "large-literal-min-items": Option(100, int, "items"),
            "ratio": Option(0.5, float, "a fraction"),
            "names": Option(("a",), tuple, "call names"),
            "strict": Option(False, bool, "be strict"),
        },
    ),
    "MEM301": fake_rule("MEM301"),
    "MEM401": fake_rule("MEM401"),
}


@pytest.fixture(autouse=True)
def fake_registry(monkeypatch):
    calls = []

    def all_rules():
        calls.append(1)
        return dict(FAKE_RULES)

    monkeypatch.setattr(registry, "all_rules", all_rules)
    return calls


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def pyproject(tmp_path: Path, body: str) -> Path:
    return write(tmp_path / "pyproject.toml", "[tool.memlint]\n" + textwrap.dedent(body))


# -- discovery -------------------------------------------------------------------------


def test_project_root_is_nearest_ancestor_with_pyproject(tmp_path):
    write(tmp_path / "pyproject.toml", "")
    write(tmp_path / "pkg" / "sub" / "mod.py", "")
    assert find_project_root(tmp_path / "pkg" / "sub" / "mod.py") == tmp_path.resolve()
    assert find_project_root(tmp_path / "pkg" / "sub") == tmp_path.resolve()
    assert find_project_root(tmp_path) == tmp_path.resolve()


def test_project_root_stops_at_nearer_memlint_toml(tmp_path):
    write(tmp_path / "pyproject.toml", "")
    write(tmp_path / "inner" / "memlint.toml", "")
    write(tmp_path / "inner" / "a.py", "")
    assert find_project_root(tmp_path / "inner" / "a.py") == (tmp_path / "inner").resolve()


def test_project_root_without_any_marker_is_the_directory_itself_not_the_cwd(tmp_path, monkeypatch):
    from memlint.config import CONFIG_FILES, ROOT_MARKERS

    start = tmp_path / "a" / "b"
    start.mkdir(parents=True)
    above = start.resolve().parents
    markers = (*CONFIG_FILES, *ROOT_MARKERS)
    if any((d / n).exists() for d in above for n in markers) or any(
        next(d.glob("requirements*.txt"), None) for d in above
    ):
        pytest.skip("a project marker above the temporary directory")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert find_project_root(start) == start.resolve()
    config = load_config(start)
    assert config.root == start.resolve()
    assert config.path is None
    assert config.select == ("MEM",)


def test_memlint_toml_wins_over_pyproject(tmp_path):
    pyproject(tmp_path, 'select = ["MEM1"]\n')
    write(tmp_path / "memlint.toml", 'select = ["MEM2"]\n')
    config = load_config(tmp_path / "x.py")
    assert config.select == ("MEM2",)
    assert config.path == (tmp_path / "memlint.toml").resolve()
    assert config.root == tmp_path.resolve()


def test_pyproject_without_table_gives_defaults(tmp_path):
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    write(tmp_path / "src" / "m.py", "")
    config = load_config(tmp_path / "src" / "m.py")
    assert config.root == tmp_path.resolve()
    assert config.select == ("MEM",)
    assert config.fingerprint() == Config.default(tmp_path).fingerprint()


def test_explicit_config_path(tmp_path):
    write(tmp_path / "memlint.toml", 'select = ["MEM2"]\n')
    other = write(tmp_path / "conf" / "pyproject.toml", '[tool.memlint]\nignore = ["MEM3"]\n')
    custom = write(tmp_path / "conf" / "ci.toml", 'ignore = ["MEM4"]\n')
    config = load_config(tmp_path, config_path=other)
    assert config.ignore == ("MEM3",)
    assert config.select == ("MEM",)
    assert config.root == (tmp_path / "conf").resolve()
    assert load_config(tmp_path, config_path=custom).ignore == ("MEM4",)


def test_missing_explicit_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="nope.toml: cannot read config file"):
        load_config(tmp_path, config_path=tmp_path / "nope.toml")


def test_all_settings_are_read(tmp_path):
    pyproject(
        tmp_path,
        """
        select = ["MEM1", "MEM2"]
        ignore = ["MEM102"]
        extend-select = ["MEM301"]
        exclude = ["build/"]
        extend-exclude = ["gen_*.py"]
        per-file-ignores = { "tests/*" = ["MEM2"], "conftest.py" = ["MEM101", "MEM3"] }
        unknown-versions = "skip"
        target-version = "py314"

        [tool.memlint.versions]
        Dask = "2024.5.0"

        [tool.memlint.rules.MEM203]
        large-literal-min-items = 10
        ratio = 1
        names = ["x", "y"]
        """,
    )
    config = load_config(tmp_path)
    assert config.select == ("MEM1", "MEM2")
    assert config.ignore == ("MEM102",)
    assert config.extend_select == ("MEM301",)
    assert config.exclude == ("build/",)
    assert config.extend_exclude == ("gen_*.py",)
    assert config.per_file_ignores == (("tests/*", ("MEM2",)), ("conftest.py", ("MEM101", "MEM3")))
    assert config.unknown_versions == "skip"
    assert config.target_version == "3.14"
    assert dict(config.versions) == {"dask": "2024.5.0"}
    options = config.rule_options["MEM203"]
    assert options["large-literal-min-items"] == 10
    # TOML integers become floats and arrays tuples where the schema says so.
    assert options["ratio"] == 1.0 and isinstance(options["ratio"], float)
    assert options["names"] == ("x", "y")


def test_registry_not_loaded_without_codes(tmp_path, fake_registry):
    pyproject(tmp_path, 'exclude = ["a"]\nunknown-versions = "skip"\n')
    load_config(tmp_path)
    assert fake_registry == []


def test_import_is_light():
    code = (
        "import sys, memlint.config; "
        "print(sorted(m for m in ('libcst', 'memlint.engine.registry', 'packaging.version') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "[]"


# -- validation errors -------------------------------------------------------------------

PYPROJECT_ERRORS = [
    ('selectt = ["MEM"]\n', "pyproject.toml: [tool.memlint] unknown key 'selectt'"),
    ("select = 3\n", "pyproject.toml: [tool.memlint] 'select' must be a list of strings, got int"),
    ('ignore = "MEM1"\n', "[tool.memlint] 'ignore' must be a list of strings, got str"),
    (
        'extend-select = ["MEM1", 2]\n',
        "'extend-select' must be a list of strings, got a list containing int",
    ),
    ('exclude = [true]\n', "'exclude' must be a list of strings, got a list containing bool"),
    ('extend-exclude = "x"\n', "'extend-exclude' must be a list of strings, got str"),
    ('select = ["MEM999"]\n', "[tool.memlint] 'select': unknown rule code or prefix 'MEM999'"),
    ('select = ["MEM9"]\n', "'select': unknown rule code or prefix 'MEM9'"),
    ('select = ["ALL"]\n', "'select': unknown rule code or prefix 'ALL' ('ALL' is not supported"),
    ('select = [""]\n', "'select': unknown rule code or prefix ''"),
    ('select = ["mem101"]\n', "'select': unknown rule code or prefix 'mem101'"),
    ('ignore = ["MEM5"]\n', "'ignore': unknown rule code or prefix 'MEM5'"),
    ('extend-select = ["X1"]\n', "'extend-select': unknown rule code or prefix 'X1'"),
    (
        'per-file-ignores = ["a"]\n',
        "'per-file-ignores' must be a table of pattern = [codes], got list",
    ),
    (
        'per-file-ignores = { "tests/*" = "MEM1" }\n',
        """'per-file-ignores."tests/*"' must be a list of strings, got str""",
    ),
    (
        'per-file-ignores = { "tests/*" = ["MEM7"] }\n',
        """'per-file-ignores."tests/*"': unknown rule code or prefix 'MEM7'""",
    ),
    (
        'unknown-versions = "maybe"\n',
        "'unknown-versions' must be 'assume-affected' or 'skip', got 'maybe'",
    ),
    ("unknown-versions = 1\n", "'unknown-versions' must be 'assume-affected' or 'skip', got 1"),
    ('versions = "dask"\n', "[tool.memlint] 'versions' must be a table, got str"),
    ('target-version = "3.12"\n', """'target-version' must be a Python version like "py312", got '3.12'"""),
    ("target-version = 312\n", """'target-version' must be a Python version like "py312", got 312"""),
    (
        '[tool.memlint.versions]\npandas = "2.0"\n',
        "[tool.memlint.versions] unknown library 'pandas'",
    ),
    (
        "[tool.memlint.versions]\ndask = 2024.5\n",
        "[tool.memlint.versions] 'dask' must be a version string, got float",
    ),
    (
        '[tool.memlint.versions]\nray = "two"\n',
        "[tool.memlint.versions] 'ray': invalid version 'two'",
    ),
    ("rules = 1\n", "[tool.memlint] 'rules' must be a table, got int"),
    (
        "[tool.memlint.rules.MEM999]\nx = 1\n",
        "pyproject.toml: [tool.memlint.rules.MEM999] unknown rule code 'MEM999'",
    ),
    (
        "[tool.memlint.rules]\nMEM203 = 5\n",
        "[tool.memlint.rules.MEM203] must be a table of options, got int",
    ),
    (
        "[tool.memlint.rules.MEM203]\nmin-items = 1\n",
        "[tool.memlint.rules.MEM203] unknown option 'min-items'",
    ),
    (
        "[tool.memlint.rules.MEM101]\nfoo = 1\n",
        "[tool.memlint.rules.MEM101] unknown option 'foo' (options of MEM101: none)",
    ),
    (
        "[tool.memlint.rules.MEM203]\nlarge-literal-min-items = true\n",
        "[tool.memlint.rules.MEM203] 'large-literal-min-items' must be int, got bool",
    ),
    (
        '[tool.memlint.rules.MEM203]\nlarge-literal-min-items = "10"\n',
        "'large-literal-min-items' must be int, got str",
    ),
    (
        "[tool.memlint.rules.MEM203]\nratio = true\n",
        "[tool.memlint.rules.MEM203] 'ratio' must be float, got bool",
    ),
    ('[tool.memlint.rules.MEM203]\nstrict = "yes"\n', "'strict' must be bool, got str"),
    ("[tool.memlint.rules.MEM203]\nnames = 3\n", "'names' must be tuple, got int"),
]


@pytest.mark.parametrize(("body", "message"), PYPROJECT_ERRORS)
def test_pyproject_validation_errors(tmp_path, monkeypatch, body, message):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.memlint]\n" + body)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    text = str(info.value)
    assert text.startswith("pyproject.toml: ")
    assert message in text
    assert "\n" not in text


MEMLINT_TOML_ERRORS = [
    ("select = 3\n", "memlint.toml: 'select' must be a list of strings, got int"),
    ('selectt = ["MEM"]\n', "memlint.toml: unknown key 'selectt'"),
    ('[tool.memlint]\nselect = ["MEM"]\n', "memlint.toml: unknown key 'tool'"),
    ("[rules.MEM999]\nx = 1\n", "memlint.toml: [rules.MEM999] unknown rule code 'MEM999'"),
    ('[versions]\njoblib = "x.y"\n', "memlint.toml: [versions] 'joblib': invalid version 'x.y'"),
]


@pytest.mark.parametrize(("body", "message"), MEMLINT_TOML_ERRORS)
def test_memlint_toml_validation_errors(tmp_path, monkeypatch, body, message):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "memlint.toml", body)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value).startswith(message)


def test_error_names_the_full_path_outside_cwd(tmp_path, monkeypatch):
    project = tmp_path / "proj"
    pyproject(project, "select = 1\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"^proj[/\\]pyproject.toml: \[tool.memlint\] 'select'"):
        load_config(project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(ConfigError) as info:
        load_config(project)
    assert str(info.value).startswith(str(project.resolve() / "pyproject.toml") + ": ")


def test_toml_syntax_error_names_file_and_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", '[tool.memlint]\nselect = ["MEM"\nignore = []\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    text = str(info.value)
    assert text.startswith("pyproject.toml: invalid TOML: ")
    assert "line 3" in text


def test_tool_memlint_must_be_a_table(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool]\nmemlint = 1\n")
    message = r"^pyproject.toml: \[tool\] 'memlint' must be a table, got int$"
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)


def test_prefixes_of_known_codes_are_valid(tmp_path):
    pyproject(
        tmp_path, 'select = ["M", "MEM", "MEM2", "MEM20", "MEM203"]\nignore = ["MEM0", "MEM001"]\n'
    )
    config = load_config(tmp_path)
    assert config.select == ("M", "MEM", "MEM2", "MEM20", "MEM203")
    assert config.ignore == ("MEM0", "MEM001")


# -- selection ---------------------------------------------------------------------------


def cfg(tmp_path: Path, **kwargs) -> Config:
    return Config(root=tmp_path, **kwargs)


def test_default_selects_every_mem_code(tmp_path):
    config = Config.default(tmp_path)
    assert config.is_enabled("MEM101")
    assert config.is_enabled("MEM404")
    assert not config.is_enabled("E501")


def test_prefix_selection_and_ignore(tmp_path):
    config = cfg(tmp_path, select=("MEM1", "MEM301"), ignore=("MEM102",))
    assert config.is_enabled("MEM101")
    assert not config.is_enabled("MEM102")
    assert not config.is_enabled("MEM201")
    assert config.is_enabled("MEM301")


def test_more_specific_select_beats_broader_ignore(tmp_path):
    config = cfg(tmp_path, select=("MEM101",), ignore=("MEM1",))
    assert config.is_enabled("MEM101")
    assert not config.is_enabled("MEM102")


def test_more_specific_ignore_beats_broader_select(tmp_path):
    config = cfg(tmp_path, select=("MEM",), ignore=("MEM2",))
    assert config.is_enabled("MEM101")
    assert not config.is_enabled("MEM201")
    assert not cfg(tmp_path, select=("MEM2",), ignore=("MEM20",)).is_enabled("MEM203")
    # extend-select takes part in the same contest
    assert cfg(tmp_path, ignore=("MEM2",), extend_select=("MEM20",)).is_enabled("MEM203")


def test_equally_specific_ignore_wins(tmp_path):
    assert not cfg(tmp_path, select=("MEM1",), ignore=("MEM1",)).is_enabled("MEM101")


def test_extend_select_adds_to_select(tmp_path):
    config = cfg(tmp_path, select=("MEM1",), extend_select=("MEM4",))
    assert config.is_enabled("MEM401")
    assert not config.is_enabled("MEM201")


def test_per_file_ignores(tmp_path):
    config = cfg(
        tmp_path,
        per_file_ignores={
            "tests/*": ["MEM2"],
            "conftest.py": ["MEM101"],
            "!src/*": ["MEM4"],
            "**/gen_*.py": ["MEM3"],
            "./scripts/*": ["MEM102"],
        },
    )
    root = tmp_path
    assert not config.is_enabled("MEM203", root / "tests" / "test_a.py")
    assert not config.is_enabled("MEM203", root / "tests" / "deep" / "test_a.py")  # * crosses /
    assert config.is_enabled("MEM101", root / "tests" / "test_a.py")
    assert config.is_enabled("MEM203", root / "src" / "a.py")
    # a bare file name pattern matches at any depth
    assert not config.is_enabled("MEM101", root / "pkg" / "conftest.py")
    assert config.is_enabled("MEM102", root / "pkg" / "conftest.py")
    # negated: MEM4 is ignored everywhere except under src/
    assert config.is_enabled("MEM401", root / "src" / "a.py")
    assert not config.is_enabled("MEM401", root / "scripts" / "a.py")
    # "**/" also matches at the root
    assert not config.is_enabled("MEM301", root / "gen_x.py")
    assert not config.is_enabled("MEM301", root / "a" / "gen_x.py")
    # a leading "./" is the root
    assert not config.is_enabled("MEM102", root / "scripts" / "a.py")
    # no filename: per-file ignores do not apply
    assert config.is_enabled("MEM203")


def test_per_file_ignores_override_a_specific_select(tmp_path):
    config = cfg(tmp_path, select=("MEM203",), per_file_ignores={"tests/*": ["MEM2"]})
    assert not config.is_enabled("MEM203", tmp_path / "tests" / "t.py")
    assert config.is_enabled("MEM203", tmp_path / "t.py")


def test_per_file_ignores_with_relative_filename(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = cfg(tmp_path, per_file_ignores={"tests/*": ["MEM"]})
    assert not config.is_enabled("MEM101", "tests/t.py")
    assert not config.is_enabled("MEM101", os.path.join("tests", "t.py"))
    assert config.is_enabled("MEM101", "src/t.py")


def test_per_file_ignores_through_a_symlink(tmp_path):
    real = tmp_path / "real"
    (real / "tests").mkdir(parents=True)
    try:
        (tmp_path / "link").symlink_to(real, target_is_directory=True)
    except OSError:
        pytest.skip("symlinks are not available")
    config = Config.default(real).with_overrides(per_file_ignores={"tests/*": ["MEM1"]})
    assert not config.is_enabled("MEM101", tmp_path / "link" / "tests" / "t.py")
    assert config.is_enabled("MEM101", tmp_path / "link" / "t.py")


def test_files_outside_root_match_on_absolute_path_and_name(tmp_path):
    config = cfg(tmp_path / "root", per_file_ignores={"t.py": ["MEM"], "*/other/*": ["MEM2"]})
    assert not config.is_enabled("MEM101", tmp_path / "other" / "t.py")
    assert not config.is_enabled("MEM201", tmp_path / "other" / "u.py")
    assert config.is_enabled("MEM101", tmp_path / "other" / "u.py")


# -- overrides, options, fingerprint -------------------------------------------------------


def test_with_overrides(tmp_path):
    base = cfg(tmp_path, select=("MEM1",), ignore=("MEM102",), extend_select=("MEM2",))
    replaced = base.with_overrides(select=["MEM3"])
    assert replaced.select == ("MEM3",)
    assert replaced.extend_select == ()
    assert replaced.ignore == ("MEM102",)
    added = base.with_overrides(ignore=["MEM101"], extend_select=["MEM4"])
    assert added.select == ("MEM1",)
    assert added.ignore == ("MEM102", "MEM101")
    assert added.extend_select == ("MEM2", "MEM4")
    assert not added.is_enabled("MEM101")
    assert added.is_enabled("MEM401")
    pfi = base.with_overrides(per_file_ignores={"a.py": ["MEM1"]})
    assert pfi.per_file_ignores == (("a.py", ("MEM1",)),)
    assert base.with_overrides() == base
    assert base.select == ("MEM1",)  # unchanged


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"select": ["MEM9"]}, "--select: unknown rule code or prefix 'MEM9'"),
        ({"ignore": ["X"]}, "--ignore: unknown rule code or prefix 'X'"),
        (
            {"extend_select": ["MEM1", "MEM8"]},
            "--extend-select: unknown rule code or prefix 'MEM8'",
        ),
        (
            {"per_file_ignores": {"a.py": ["Q"]}},
            "--per-file-ignores 'a.py': unknown rule code or prefix 'Q'",
        ),
    ],
)
def test_overrides_reject_unknown_codes(tmp_path, kwargs, message):
    with pytest.raises(ConfigError) as info:
        Config.default(tmp_path).with_overrides(**kwargs)
    assert str(info.value) == message


def test_options_for(tmp_path):
    config = cfg(tmp_path, rule_options={"MEM203": {"ratio": 0.9}})
    defaults = {"ratio": 0.5, "large-literal-min-items": 100}
    assert config.options_for("MEM203", defaults) == {"ratio": 0.9, "large-literal-min-items": 100}
    assert config.options_for("MEM101", {"a": 1}) == {"a": 1}
    assert defaults == {"ratio": 0.5, "large-literal-min-items": 100}


def test_fingerprint(tmp_path):
    settings = dict(
        select=("MEM1",), versions={"dask": "2024.5.0"}, rule_options={"MEM203": {"ratio": 1.0}}
    )
    a = cfg(tmp_path, **settings)
    b = cfg(tmp_path, **{**settings, "select": ["MEM1"]})
    assert len(a.fingerprint()) == 64
    assert a.fingerprint() == b.fingerprint()
    assert a == b and hash(a) == hash(b)
    different = [
        cfg(tmp_path, **{**settings, "select": ("MEM2",)}),
        cfg(tmp_path, **{**settings, "versions": {"dask": "2024.6.0"}}),
        cfg(tmp_path, **{**settings, "rule_options": {"MEM203": {"ratio": 2.0}}}),
        cfg(tmp_path, **settings, unknown_versions="skip"),
        cfg(tmp_path / "elsewhere", **settings),
        a.with_overrides(per_file_ignores={"t/*": ["MEM1"]}),
    ]
    assert len({c.fingerprint() for c in different} | {a.fingerprint()}) == len(different) + 1


def test_config_is_immutable(tmp_path):
    config = cfg(tmp_path, versions={"dask": "1.0"}, rule_options={"MEM203": {"ratio": 1.0}})
    with pytest.raises(AttributeError):
        config.select = ("MEM1",)  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.versions["dask"] = "2.0"  # type: ignore[index]
    with pytest.raises(TypeError):
        config.rule_options["MEM203"]["ratio"] = 3.0  # type: ignore[index]


def test_config_pickles(tmp_path):
    config = cfg(
        tmp_path,
        select=("MEM1",),
        per_file_ignores={"tests/*": ["MEM101"]},
        versions={"dask": "1.0"},
        rule_options={"MEM203": {"ratio": 1.0}},
    )
    assert config.is_enabled("MEM102", tmp_path / "tests" / "t.py")  # fills the caches
    for clone in (pickle.loads(pickle.dumps(config)), copy.deepcopy(config)):
        assert clone == config
        assert clone.fingerprint() == config.fingerprint()
        assert not clone.is_enabled("MEM101", tmp_path / "tests" / "t.py")
        with pytest.raises(TypeError):
            clone.versions["dask"] = "2.0"  # type: ignore[index]


def test_project_roots_with_a_shared_memo_match_fresh_lookups(tmp_path):
    from memlint.config import find_project_root

    (tmp_path / "outer" / "sub" / "inner" / "deep").mkdir(parents=True)
    (tmp_path / "outer" / "pyproject.toml").write_text("")
    (tmp_path / "outer" / "sub" / "inner" / "memlint.toml").write_text("")
    memo: dict = {}
    dirs = [tmp_path / "outer" / "sub" / "inner" / "deep", tmp_path / "outer" / "sub",
            tmp_path / "outer", tmp_path / "outer" / "sub" / "inner"]
    got = [find_project_root(d, memo) for d in dirs]
    assert got == [find_project_root(d) for d in dirs]
    assert got == [tmp_path / "outer" / "sub" / "inner", tmp_path / "outer", tmp_path / "outer",
                   tmp_path / "outer" / "sub" / "inner"]


@pytest.mark.parametrize("text, message", [
    ('selct = ["MEM"]\n', "memlint.toml: unknown key 'selct'; did you mean 'select'?"),
    ('target-versoin = "py312"\n', "memlint.toml: unknown key 'target-versoin'; did you mean 'target-version'?"),
    ('select = ["MEM1001"]\n', "memlint.toml: 'select': unknown rule code or prefix 'MEM1001'; did you mean 'MEM101'?"),
    ("[rules.MEM203]\nratoi = 0.3\n",
     "memlint.toml: [rules.MEM203] unknown option 'ratoi'; did you mean 'ratio'? "
     "(options of MEM203: large-literal-min-items, names, ratio, strict)"),
    ('colour = "blue"\n', "memlint.toml: unknown key 'colour'"),
])
def test_a_misspelled_key_or_code_gets_a_suggestion(tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "memlint.toml").write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(tmp_path)
    assert str(raised.value) == message
