"""Odd and hostile input: what a user sees when a file, a tree or the machine misbehaves.
Every case here failed once: a traceback, a hang, a crash or a fix that broke a file."""

from __future__ import annotations

import pytest

# A safe MEM203 fix that adds `import dask` where the file has no import at the top.
BODY = (
    "x = 1\n"
    "import dask.array as da\n"
    "import numpy as np\n"
    "from scipy.spatial import cKDTree\n"
    "model = cKDTree(points)\n"
    "y = da.ones(10, chunks=5).map_blocks(predict, model=model, meta=np.empty(0))\n"
)
FIXED_CALL = "model=dask.delayed(model)"


@pytest.mark.parametrize("header", [
    "# -*- coding: latin-1 -*-\n",
    "#!/usr/bin/env python\n",
    "#!/usr/bin/env python\n# vim: set fileencoding=latin-1 :\n",
])
def test_an_added_import_goes_below_the_shebang_and_the_encoding_line(header, memlint, project):
    encoding = "latin-1" if "coding" in header else "utf-8"
    path = project({"a.py": (header + "# caf\xe9\n" + BODY).encode(encoding)}) / "a.py"
    run = memlint("check", "--no-cache", "--fix", "a.py", cwd=path.parent)
    assert run.returncode == 0, run
    data = path.read_bytes()
    lines = data.split(b"\n")
    assert b"\n".join(lines[: header.count("\n")]) + b"\n" == header.encode()
    assert lines[header.count("\n")] == b"import dask"
    assert FIXED_CALL.encode() in data and "# caf\xe9".encode(encoding) in data
    compile(data, "a.py", "exec")  # Python still reads the file with its declared encoding


FIXABLE = "import numpy as np\n" + BODY.replace("x = 1\n", "")


def fixable(tmp_path, name="a.py"):
    path = tmp_path / name
    path.write_text(FIXABLE)
    return path


def test_fix_follows_no_link_out_of_the_project(memlint, tmp_path):
    outside = tmp_path / "elsewhere" / "shared.py"
    outside.parent.mkdir()
    outside.write_text(FIXABLE)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.memlint]\n")
    (project / "a.py").symlink_to(outside)
    run = memlint("check", "--no-cache", "--fix", ".", cwd=project)
    assert outside.read_text() == FIXABLE and (project / "a.py").is_symlink()
    assert run.returncode == 0, run
    assert f"skipping {project / 'a.py'}: it links to {outside.resolve()}, outside the project" in run.stderr


def test_fix_writes_through_a_link_inside_the_project(memlint, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.memlint]\n")
    real = fixable(tmp_path, "real.py")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "link.py").symlink_to(real)
    run = memlint("check", "--no-cache", "--fix", "sub/link.py", cwd=tmp_path)
    assert run.returncode == 0, run
    assert (tmp_path / "sub" / "link.py").is_symlink() and FIXED_CALL in real.read_text()


def test_fix_leaves_a_read_only_file_alone(memlint, tmp_path):
    path = fixable(tmp_path)
    path.chmod(0o444)
    run = memlint("check", "--no-cache", "--fix", "a.py", cwd=tmp_path)
    assert path.read_text() == FIXABLE and "read-only" in run.stderr and run.returncode == 1, run


def test_fix_keeps_mode_owner_and_hard_links(memlint, tmp_path):
    import os

    path = fixable(tmp_path)
    path.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(path, 4321, 4321)
    twin = tmp_path / "twin.txt"
    os.link(path, twin)
    run = memlint("check", "--no-cache", "--fix", "a.py", cwd=tmp_path)
    assert run.returncode == 0, run
    st = path.stat()
    assert FIXED_CALL in twin.read_text() and st.st_nlink == 2 and st.st_mode & 0o777 == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (4321, 4321)
    os.unlink(twin)
    path.write_text(FIXABLE)
    if os.geteuid() == 0:
        os.chown(path, 4321, 4321)
    assert memlint("check", "--no-cache", "--fix", "a.py", cwd=tmp_path).returncode == 0
    st = path.stat()
    assert FIXED_CALL in path.read_text() and st.st_mode & 0o777 == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (4321, 4321)


def test_an_edit_saved_while_fixing_is_kept(tmp_path, monkeypatch):
    import memlint.engine.runner as runner
    from memlint.engine.runner import FixOptions, ProjectCache, RunOptions, run_files

    path = fixable(tmp_path)
    real = runner.check_one
    edited = FIXABLE + "# saved by the editor meanwhile\n"

    def check_then_edit(data, filename, project, opts):
        out = real(data, filename, project, opts)
        path.write_text(edited)
        return out

    monkeypatch.setattr(runner, "check_one", check_then_edit)
    result = run_files([path], ProjectCache(), FixOptions(fix=True), RunOptions(jobs=1, cache=False))
    assert path.read_text() == edited
    assert result.fixed == 0 and [d.code for d in result.diagnostics] == ["MEM203"]
    assert any("changed while memlint was checking it" in e for e in result.errors)


DEEP = "import dask\nx = " + "(" * 3000 + "1" + ")" * 3000 + "\ny = x.map_blocks(f, m)\n"
UNCLOSED = "import dask\ny = x.map_blocks(f, m)\nx = " + "[" * 5000 + "1\n"
CHAIN = "import dask\nx = " + " + ".join(["a"] * 100_000) + "\ny = x.map_blocks(f, m)\n"
# Python's own parser, asked for its message, must not run under memlint's raised
# recursion limit either: on this it overflowed the C stack (signal 11).
CALLS = ("from multiprocessing import Pool\n\nwith Pool(8) as pool:\n"
         "    parsed = pool.starmap(parse, enumerate(open('events.log')))\n"
         "chained = a" + "()" * 100_000 + "\n")


@pytest.mark.parametrize("source, row, words", [
    (DEEP, 2, "SyntaxError: too many nested parentheses"),  # Python's own words
    (UNCLOSED, 3, "SyntaxError: too many nested parentheses"),
    (CHAIN, 2, "chains too many operators"),
    (CALLS, 5, "chains too many operators"),
], ids=["nested", "unclosed", "chain", "calls"])
@pytest.mark.parametrize("mode", ["check", "fix", "stdin"])
def test_deep_nesting_and_long_chains_are_mem001_in_bounded_time(source, row, words, mode, memlint, tmp_path):
    """libcst's native parser dies (signal 11) on a few thousand nested brackets and
    takes minutes over a long chain of operators: neither reaches it."""
    import time

    (tmp_path / "a.py").write_text(source)
    args = {"check": ["a.py"], "fix": ["--fix", "--unsafe-fixes", "a.py"],
            "stdin": ["--stdin-filename", "a.py", "-"]}[mode]
    start = time.monotonic()
    run = memlint("check", "--no-cache", "--output-format", "concise", *args, cwd=tmp_path,
                  input=source if mode == "stdin" else None)
    assert time.monotonic() - start < 30
    assert run.returncode == 1 and f"a.py:{row}:" in run.stdout and "MEM001" in run.stdout, run
    assert words in run.stdout and "Traceback" not in run.stderr
    assert (tmp_path / "a.py").read_text() == source


def test_real_code_with_long_expressions_is_still_parsed():
    """Big literals and long but flat expressions are not chains: the limits leave them."""
    from memlint.engine.parsing import too_complex

    table = "TABLE = [" + ", ".join(f"({-i}.5, 'k{i}', a.b[{i}] + {i})" for i in range(20_000)) + "]\n"
    formula = "y = " + " + ".join(f"c{i} * x ** {i % 7}" for i in range(600)) + "\n"
    calls = "".join(f"v{i} = f(a)(b).c.d[0] - g(x, y) * 2\n" for i in range(3000))
    assert too_complex(table + formula + calls) is None


def test_an_unreadable_directory_is_said(tmp_path, monkeypatch):
    import os

    from memlint.engine import discovery

    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "a.py").write_text(FIXABLE)
    (tmp_path / "b.py").write_text(FIXABLE)
    real = os.scandir

    def scandir(path):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    notices: list[str] = []
    found = discovery.discover([tmp_path], root=tmp_path, notices=notices)
    assert found == [(tmp_path / "b.py").resolve()]
    assert notices == [f"cannot read directory {(tmp_path / 'locked').resolve()}: Permission denied"]


def test_a_line_holding_only_a_backslash_moves_no_finding_and_no_edit(memlint, tmp_path):
    lines = FIXABLE.splitlines(keepends=True)
    # `\` alone joins the next line to it: the same program, one row lower for everything after.
    source = "".join(lines[:-1]) + "# keep this comment\n\\\n" + lines[-1]
    path = tmp_path / "a.py"
    path.write_text(source)
    run = memlint("check", "--no-cache", "--output-format", "concise", "a.py", cwd=tmp_path)
    row = source.splitlines().index(lines[-1].rstrip("\n")) + 1
    assert f"a.py:{row}:" in run.stdout and "MEM203" in run.stdout, run
    assert memlint("check", "--no-cache", "--fix", "a.py", cwd=tmp_path).returncode == 0
    fixed = path.read_text()
    assert "# keep this comment\n\\\n" in fixed and FIXED_CALL in fixed
    compile(fixed, "a.py", "exec")


def test_a_file_cpython_rejects_is_mem001_and_never_fixed(memlint, tmp_path):
    source = FIXABLE + "first = *rest\n"  # libcst takes it; CPython: "can't use starred expression here"
    path = tmp_path / "a.py"
    path.write_text(source)
    run = memlint("check", "--no-cache", "--fix", "--output-format", "concise", "a.py", cwd=tmp_path)
    assert path.read_text() == source
    assert run.returncode == 1 and "MEM001" in run.stdout and "starred" in run.stdout, run


def test_two_boms_are_what_python_says_and_never_become_one(memlint, tmp_path):
    data = b"\xef\xbb\xbf\xef\xbb\xbf" + FIXABLE.encode()
    path = tmp_path / "a.py"
    path.write_bytes(data)
    run = memlint("check", "--no-cache", "--fix", "--output-format", "concise", "a.py", cwd=tmp_path)
    assert path.read_bytes() == data
    assert run.returncode == 1 and "a.py:1:" in run.stdout and "MEM001" in run.stdout, run


def test_an_encoding_that_does_not_give_back_its_bytes_is_never_rewritten(memlint, tmp_path):
    # unicode_escape reads `\\x41` as "A": written back, the escape would be gone.
    data = b"# -*- coding: unicode_escape -*-\n" + FIXABLE.encode() + b"label = '\\x41'  # noqa: MEM101\n"
    path = tmp_path / "a.py"
    path.write_bytes(data)
    run = memlint("check", "--no-cache", "--fix", "a.py", cwd=tmp_path)
    assert path.read_bytes() == data
    assert "does not give the same bytes" in run.stderr and run.returncode == 1, run


@pytest.mark.parametrize("before, after, expected", [
    ("a = 1\nb = 2\n", "a = 1\n", "a = 1\n"),
    ("a = 1\nb = 2\n", "a = 1", "a = 1\n"),
    ("a = 1\r\nb = 2\r\n", "a = 1", "a = 1\r\n"),
    ("a = 1\nb = 2", "a = 1\n", "a = 1"),
    ("a = 1\r\nb = 2", "a = 1\r\n", "a = 1"),
    ("b = 2\n", "", ""),
])
def test_a_fix_keeps_whether_the_file_ends_with_a_line_break(before, after, expected):
    from memlint.engine.checker import _same_final_newline

    assert _same_final_newline(before, after) == expected


# -- bad input: one line and exit 2, or a finding, and the run goes on ------------------------

def test_a_damaged_result_cache_is_a_miss_and_is_rewritten(memlint, tmp_path):
    import json

    fixable(tmp_path)
    first = memlint("check", "a.py", cwd=tmp_path)
    (path,) = (tmp_path / ".memlint_cache").glob("*.json")
    data = json.loads(path.read_text())
    data["results"] = {"a.py": 5, "b.py": [], "c.py": [1, 2]}
    data["skip"] = {"x.py": "no", "y.py": []}
    path.write_text(json.dumps(data))
    again = memlint("check", "a.py", cwd=tmp_path)
    assert (again.returncode, again.stdout) == (first.returncode, first.stdout) == (1, first.stdout), again
    assert "Traceback" not in again.stderr
    rewritten = json.loads(path.read_text())
    assert list(rewritten["results"]) == ["a.py"] and rewritten["skip"] == {}


def test_a_cache_directory_linking_out_of_the_project_is_not_written(memlint, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    fixable(project)
    (project / ".memlint_cache").symlink_to(outside)
    run = memlint("check", "a.py", cwd=project)
    assert run.returncode == 1 and "MEM203" in run.stdout, run
    assert list(outside.iterdir()) == []


def test_no_link_in_the_cache_directory_is_written_through(memlint, tmp_path):
    target = tmp_path / "elsewhere.txt"
    project = tmp_path / "project"
    (project / ".memlint_cache").mkdir(parents=True)
    fixable(project)
    (project / ".memlint_cache" / ".gitignore").symlink_to(target)  # dangling
    (project / ".memlint_cache" / "CACHEDIR.TAG").symlink_to(target)
    run = memlint("check", "a.py", cwd=project)
    assert run.returncode == 1 and not target.exists(), run


@pytest.mark.parametrize("case", ["symlink loop", "missing", "bad exclude"])
def test_bad_paths_and_patterns_are_one_line_and_exit_2(case, memlint, tmp_path):
    fixable(tmp_path)
    if case == "symlink loop":
        (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
        (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
        run = memlint("check", "loop1", cwd=tmp_path)
        expected = "memlint: cannot check loop1: a symlink loop"
    elif case == "missing":
        run = memlint("check", "nothere.py", cwd=tmp_path)
        expected = "memlint: path does not exist: nothere.py"
    else:
        (tmp_path / "pyproject.toml").write_text('[tool.memlint]\nexclude = ["build", "!"]\n')
        run = memlint("check", ".", cwd=tmp_path)
        expected = "pyproject.toml: [tool.memlint] 'exclude': invalid pattern '!'"
    assert run.returncode == 2 and expected in run.stderr, run
    assert len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_gitignore_lines_git_takes_and_pathspec_rejects_are_skipped(memlint, tmp_path):
    fixable(tmp_path, "kept.py")
    fixable(tmp_path, "ignored.py")
    (tmp_path / ".gitignore").write_text("!\n\\\nignored.py\n")
    run = memlint("check", "--output-format", "concise", ".", cwd=tmp_path)
    assert run.returncode == 1 and "kept.py" in run.stdout and "ignored.py" not in run.stdout, run
    assert "Traceback" not in run.stderr


def test_only_regular_files_are_read(memlint, tmp_path):
    import os

    fixable(tmp_path)
    os.mkfifo(tmp_path / "pipe.py")
    os.mkfifo(tmp_path / "uv.lock")  # a version source that would never end
    run = memlint("check", "--output-format", "concise", "pipe.py", "/dev/zero", "a.py", cwd=tmp_path)
    assert run.returncode == 1 and "a.py:" in run.stdout, run
    assert "skipping pipe.py: not a regular file" in run.stderr
    assert "skipping /dev/zero: not a regular file" in run.stderr
    walked = memlint("check", "--output-format", "concise", ".", cwd=tmp_path)  # FIFOs met walking
    assert walked.returncode == 1 and "a.py:" in walked.stdout, walked


def test_a_binary_file_named_py_is_said(memlint, tmp_path):
    (tmp_path / "blob.py").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    run = memlint("check", "--output-format", "concise", "blob.py", cwd=tmp_path)
    assert run.returncode == 1 and "blob.py:1:1: MEM001 not Python source" in run.stdout, run


def _closed_stream_run(tmp_path, **streams):
    import os
    import subprocess
    import sys

    from conftest import REPO

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "memlint", *streams.pop("args")], cwd=tmp_path,
                          env=env, capture_output=False, timeout=60, **streams)


def test_closed_or_full_standard_streams_are_one_line_and_exit_2(tmp_path):
    import subprocess

    fixable(tmp_path)
    err = tmp_path / "err.txt"
    cases = [
        ({"args": ["check", "a.py"], "stdout": subprocess.DEVNULL}, None, 1),  # a control
        ({"args": ["check", "a.py"], "stdout": open("/dev/full", "wb")}, "No space left on device", 2),
        ({"args": ["check", "--stdin-filename", "a.py", "-"], "stdin": open("/dev/null", "rb"),
          "stdout": open("/dev/full", "wb")}, "No space left on device", 2),
    ]
    for streams, words, code in cases:
        with open(err, "wb") as fh:
            proc = _closed_stream_run(tmp_path, stderr=fh, **streams)
        text = err.read_text()
        assert proc.returncode == code, text
        assert "Traceback" not in text and "Exception ignored" not in text, text
        if words:
            assert words in text and len(text.strip().splitlines()) == 1, text


@pytest.mark.parametrize("closed", ["stdin", "stdout"])
def test_a_closed_standard_stream_is_one_line(closed, tmp_path):
    import os
    import subprocess
    import sys

    from conftest import REPO

    fixable(tmp_path)
    args, redirect = {"stdin": ("--stdin-filename a.py -", "<&-"), "stdout": ("a.py", ">&-")}[closed]
    proc = subprocess.run(f"{sys.executable} -m memlint check {args} {redirect}", shell=True,
                          cwd=tmp_path, stderr=subprocess.PIPE, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    text = proc.stderr.decode()
    name = "input" if closed == "stdin" else "output"
    assert proc.returncode == 2 and f"memlint: error: standard {name} is closed" in text, text
    assert "Traceback" not in text


def test_a_file_deleted_while_fixing_is_one_line(tmp_path, monkeypatch):
    import memlint.engine.runner as runner
    from memlint.engine.runner import FixOptions, ProjectCache, RunOptions, run_files

    path = fixable(tmp_path)
    real = runner.check_one

    def check_then_delete(data, filename, project, opts):
        out = real(data, filename, project, opts)
        path.unlink(missing_ok=True)
        return out

    monkeypatch.setattr(runner, "check_one", check_then_delete)
    result = run_files([path], ProjectCache(), FixOptions(fix=True), RunOptions(jobs=1, cache=True))
    assert not path.exists() and result.fixed == 0
    assert any("cannot fix" in e and "No such file" in e for e in result.errors), result.errors


def test_a_named_path_memlint_may_not_read_is_one_line_and_the_run_goes_on(tmp_path, monkeypatch):
    import os
    from pathlib import Path

    from memlint.engine import discovery
    from memlint.engine.runner import FixOptions, ProjectCache, RunOptions, run_files

    fixable(tmp_path, "ok.py")
    secret = tmp_path / "locked" / "b.py"
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path / "locked")):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(discovery.os, "stat", stat)
    found = discovery.discover([secret, tmp_path / "ok.py"], root=tmp_path)
    assert found == sorted([secret, (tmp_path / "ok.py").resolve()])
    monkeypatch.undo()
    result = run_files(found, ProjectCache(), FixOptions(), RunOptions(jobs=1, cache=False))
    assert [Path(d.filename).name for d in result.diagnostics] == ["ok.py"]
    assert result.errors == [f"memlint: cannot read {secret}: No such file or directory"]


def test_libcst_loaded_through_memlint_keeps_its_submodules_as_attributes(tmp_path):
    """Other users of libcst in the same process (hypothesmith, codemods) read
    `libcst._nodes.whitespace`: memlint's lazy loading must not hide it."""
    import subprocess
    import sys

    from conftest import REPO

    fixable(tmp_path)
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from memlint.engine.runner import FixOptions, ProjectCache, check_one\n"
        "p = Path('a.py')\n"
        "check_one(p.read_bytes(), str(p.resolve()), ProjectCache().for_file(p.resolve()), FixOptions())\n"
        "print(hasattr(sys.modules['libcst._nodes'], 'whitespace'))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert out.stdout.strip() == "True", out.stderr


def test_fix_in_a_directory_memlint_may_not_write_is_one_line(tmp_path, monkeypatch):
    import tempfile

    from memlint.engine.runner import FixOptions, ProjectCache, RunOptions, run_files

    paths = [fixable(tmp_path, "a.py"), fixable(tmp_path, "b.py")]

    def refuse(*args, **kwargs):  # what a read-only directory does to the temporary file
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    result = run_files(paths, ProjectCache(), FixOptions(fix=True), RunOptions(jobs=1, cache=False))
    assert [p.read_text() for p in paths] == [FIXABLE, FIXABLE]
    assert result.fixed == 0 and [d.code for d in result.diagnostics] == ["MEM203", "MEM203"]
    assert result.errors == [f"memlint: cannot fix {p}: Permission denied" for p in paths]


def test_many_unclosed_brackets_in_a_larger_file_are_answered_at_once():
    """The look for runs of opening brackets (used when the scan ends inside one) must not
    backtrack: 150 unclosed braces once made it run for ever."""
    import time

    from memlint.engine.parsing import too_complex

    body = "".join(f"def f{i}(a):\n    return [a + {i}, (a, {i})]\n" for i in range(600))
    start = time.monotonic()
    assert too_complex(body[:12_000] + "nested = " + "{" * 150 + "1\n" + body) is None
    assert too_complex("x = " + "f(a, " * 300 + "1\n") is not None
    assert time.monotonic() - start < 5
