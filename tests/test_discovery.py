"""File discovery: default excludes, exclude globs, .gitignore (root and nested), explicit paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from memlint.engine.discovery import DEFAULT_EXCLUDES, PathError, discover


def make_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def rel(found: list[Path], root: Path) -> list[str]:
    return [p.relative_to(root.resolve()).as_posix() for p in found]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path.resolve()


def test_walks_py_and_pyi_sorted_and_absolute(root: Path) -> None:
    make_tree(
        root,
        {
            "pkg/__init__.py": "",
            "pkg/b.py": "",
            "pkg/a.pyi": "",
            "pkg/sub/c.py": "",
            "pkg/notes.txt": "",
            "pkg/script": "",
            "top.py": "",
        },
    )
    found = discover([root], root)
    assert rel(found, root) == [
        "pkg/__init__.py",
        "pkg/a.pyi",
        "pkg/b.py",
        "pkg/sub/c.py",
        "top.py",
    ]
    assert all(p.is_absolute() for p in found)


def test_default_excludes_are_skipped_at_any_depth(root: Path) -> None:
    files = {f"{name}/x.py": "" for name in DEFAULT_EXCLUDES}
    files.update({"src/build/gen.py": "", "src/node_modules/m.py": "", "src/keep.py": ""})
    make_tree(root, files)
    assert rel(discover([root], root), root) == ["src/keep.py"]


def test_default_excludes_apply_to_directories_only(root: Path) -> None:
    make_tree(root, {"build.py": "", "dist.pyi": ""})
    assert rel(discover([root], root), root) == ["build.py", "dist.pyi"]


def test_exclude_and_extend_exclude_add_to_the_defaults(root: Path) -> None:
    make_tree(
        root,
        {
            "generated/a.py": "",
            "src/generated/b.py": "",
            "src/migrations/0001.py": "",
            "src/app.py": "",
            "src/app_test.py": "",
            "tests/data/big.py": "",
            "tests/test_app.py": "",
            "dist/x.py": "",
        },
    )
    found = discover(
        [root],
        root,
        exclude=["generated/", "*_test.py"],
        extend_exclude=["/tests/data", "src/migrations/*.py"],
    )
    assert rel(found, root) == ["src/app.py", "tests/test_app.py"]


def test_anchored_exclude_is_relative_to_root(root: Path) -> None:
    make_tree(root, {"vendor/a.py": "", "src/vendor/b.py": ""})
    assert rel(discover([root], root, exclude=["/vendor"]), root) == ["src/vendor/b.py"]


def test_root_gitignore(root: Path) -> None:
    make_tree(
        root,
        {
            ".gitignore": "# comment\n\nout/\n*_pb2.py\n/local.py\n",
            "out/a.py": "",
            "src/api_pb2.py": "",
            "src/local.py": "",
            "local.py": "",
            "src/main.py": "",
        },
    )
    assert rel(discover([root], root), root) == ["src/local.py", "src/main.py"]


def test_nested_gitignore_is_relative_to_its_directory(root: Path) -> None:
    make_tree(
        root,
        {
            ".gitignore": "*.pyi\n",
            "pkg/.gitignore": "/gen.py\nfixtures/\n!keep.pyi\n",
            "pkg/gen.py": "",
            "pkg/sub/gen.py": "",
            "pkg/fixtures/f.py": "",
            "pkg/keep.pyi": "",
            "pkg/other.pyi": "",
            "gen.py": "",
            "fixtures/f.py": "",
        },
    )
    assert rel(discover([root], root), root) == [
        "fixtures/f.py",
        "gen.py",
        "pkg/keep.pyi",
        "pkg/sub/gen.py",
    ]


def test_nested_gitignore_does_not_leak_to_siblings(root: Path) -> None:
    make_tree(root, {"a/.gitignore": "*.py\n", "a/x.py": "", "b/x.py": ""})
    assert rel(discover([root], root), root) == ["b/x.py"]


def test_gitignore_of_ancestors_applies_when_walking_a_subdirectory(root: Path) -> None:
    make_tree(root, {".gitignore": "gen/\n", "src/gen/a.py": "", "src/b.py": ""})
    assert rel(discover([root / "src"], root), root) == ["src/b.py"]


def test_respect_gitignore_false(root: Path) -> None:
    make_tree(root, {".gitignore": "*.py\n", "a.py": "", "sub/.gitignore": "*\n", "sub/b.py": ""})
    assert rel(discover([root], root, respect_gitignore=False), root) == ["a.py", "sub/b.py"]


def test_explicit_file_is_included_whatever_its_suffix_or_exclusion(root: Path) -> None:
    make_tree(
        root,
        {".gitignore": "ignored.py\n", "ignored.py": "", "script": "", "build/gen.py": ""},
    )
    paths = [root / "ignored.py", root / "script", root / "build" / "gen.py"]
    found = discover(paths, root, exclude=["script"])
    assert rel(found, root) == ["build/gen.py", "ignored.py", "script"]


def test_force_exclude_drops_explicit_files_that_match(root: Path) -> None:
    make_tree(root, {"build/gen.py": "", "skip/a.py": "", "b_skip.py": "", "ok.py": ""})
    paths = [root / "build" / "gen.py", root / "skip" / "a.py", root / "b_skip.py", root / "ok.py"]
    found = discover(
        paths, root, exclude=["skip/"], extend_exclude=["*_skip.py"], force_exclude=True
    )
    assert rel(found, root) == ["ok.py"]


def test_force_exclude_drops_an_explicit_excluded_directory(root: Path) -> None:
    make_tree(root, {"gen/a.py": "", "src/b.py": ""})
    found = discover([root / "gen", root / "src"], root, exclude=["gen"], force_exclude=True)
    assert rel(found, root) == ["src/b.py"]


def test_explicit_directory_is_walked_even_if_its_name_is_excluded(root: Path) -> None:
    make_tree(root, {"build/a.py": ""})
    assert rel(discover([root / "build"], root), root) == ["build/a.py"]


def test_duplicates_are_removed(root: Path) -> None:
    make_tree(root, {"pkg/a.py": ""})
    found = discover([root, root / "pkg", root / "pkg" / "a.py", root / "pkg" / ".." / "pkg"], root)
    assert rel(found, root) == ["pkg/a.py"]


def test_relative_paths_resolve_against_the_working_directory(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(root, {"pkg/a.py": ""})
    monkeypatch.chdir(root)
    assert discover([Path("pkg")], Path(".")) == [root / "pkg" / "a.py"]


def test_missing_path_raises(root: Path) -> None:
    with pytest.raises(PathError) as excinfo:
        discover([Path("foo/bar.py")], root)
    assert str(excinfo.value) == "memlint: path does not exist: foo/bar.py"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinked_directories_are_not_followed(root: Path, tmp_path_factory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    make_tree(outside, {"o.py": ""})
    make_tree(root, {"src/a.py": ""})
    try:
        (root / "src" / "link").symlink_to(outside, target_is_directory=True)
        (root / "src" / "loop").symlink_to(root, target_is_directory=True)
    except OSError:
        pytest.skip("cannot create symlinks here")
    assert rel(discover([root], root), root) == ["src/a.py"]


def test_paths_outside_the_root_still_honour_name_patterns(root: Path, tmp_path_factory) -> None:
    project = tmp_path_factory.mktemp("project").resolve()
    make_tree(root, {"lib/gen/a.py": "", "lib/b.py": "", "lib/sub/c.py": ""})
    found = discover([root / "lib"], project, exclude=["gen/", "/lib/sub"])
    # "/lib/sub" is anchored to the project root, which lib/ is not under.
    assert rel(found, root) == ["lib/b.py", "lib/sub/c.py"]
