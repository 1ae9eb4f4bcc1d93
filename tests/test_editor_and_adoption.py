"""Editor mode (`--fix --stdin-filename F -`), `--format json` on stdin, `--add-noqa`,
`--show-fixes`, `--fix-only` and `--force-exclude`, through the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

RESHAPE = 'np.memmap("d.bin", dtype=np.float64, mode="r").reshape(5, 3)'
SHAPED = 'np.memmap("d.bin", dtype=np.float64, mode="r", shape=(5, 3))'
TRANSPOSE = (
    "from joblib import Parallel, delayed\n"
    'grid = np.memmap("g.bin", dtype=np.float64, mode="r", shape=(3, 4))\n'
    "out = Parallel(n_jobs=2)(delayed(np.sum)(grid.T, axis=1) for _ in range(2))\n"
)


# MEM101 configured as a library would: a reshape is reported without a joblib sink.
LIBRARY = '[tool.memlint.rules.MEM101]\nrequire-sink = false\n'


def pinned(project, joblib="1.4.2", **files):
    return project({"pyproject.toml": "[project]\nname = 'p'\nversion = '0'\n" + LIBRARY,
                    "requirements.txt": f"joblib=={joblib}\n", **files})


# -- editor mode -------------------------------------------------------------------------


def test_fix_on_stdin_prints_the_fixed_source_and_nothing_else(memlint, project, tmp_path):
    root = pinned(project)
    source = f"import numpy as np\r\ndata = {RESHAPE}\r\n"
    run = memlint("--fix", "--stdin-filename", str(root / "src" / "job.py"), "-",
                  cwd=tmp_path, input=source.encode())
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout == f"import numpy as np\r\ndata = {SHAPED}\r\n"


def test_nothing_to_fix_gives_back_the_input_bytes(project):
    root = pinned(project)
    for data in (
        b"\xef\xbb\xbfimport numpy as np\r\nx = np.memmap('d', shape=(2, 2)).reshape(4)  \r\n\r\n",
        "# -*- coding: latin-1 -*-\nimport numpy as np\ns = 'd\u00e9j\u00e0'\nx = np.memmap(s).shape\n".encode("latin-1"),
        b"",
        b"no newline at the end, not even python",
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "memlint", "--fix", "--stdin-filename", "job.py", "-"],
            cwd=root, input=data, capture_output=True, env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert (proc.stdout, proc.stderr) == (data, b"")


def test_findings_left_go_to_stderr_only_when_asked(memlint, project):
    root = pinned(project)
    source = f"import numpy as np\n{TRANSPOSE}data = {RESHAPE}\n"
    fixed = source.replace(RESHAPE, SHAPED)
    run = memlint("--fix", "--stdin-filename", "job.py", "-", cwd=root, input=source)
    assert (run.returncode, run.stdout, run.stderr) == (1, fixed, "")  # MEM102 is left
    run = memlint("--fix", "--show-findings", "--format", "concise", "--stdin-filename", "job.py", "-",
                  cwd=root, input=source)
    assert run.stdout == fixed
    assert run.stderr.splitlines()[0].startswith("job.py:4:42: MEM102 ")
    assert "Found 1 error." in run.stderr
    for flag in ("--exit-zero", "--fix-only"):
        run = memlint("--fix", flag, "--stdin-filename", "job.py", "-", cwd=root, input=source)
        assert (run.returncode, run.stdout, run.stderr) == (0, fixed, "")


def test_a_file_that_does_not_parse_comes_back_unchanged(memlint, project):
    root = pinned(project)
    source = f"import numpy as np\ndata = {RESHAPE}\ndef broken(:\n"
    run = memlint("--fix", "--stdin-filename", "job.py", "-", cwd=root, input=source)
    assert (run.returncode, run.stdout, run.stderr) == (1, source, "")


def test_versions_come_from_the_project_of_the_stdin_filename(memlint, project, tmp_path):
    old = pinned(project, "1.4.2")
    new = old / "sub"
    new.mkdir()
    (new / "pyproject.toml").write_text("[project]\nname = 'q'\nversion = '0'\n")
    (new / "requirements.txt").write_text("joblib==1.6.0\n")
    source = f"import numpy as np\ndata = {RESHAPE}\n"
    run = memlint("--fix", "--stdin-filename", str(new / "job.py"), "-", cwd=tmp_path, input=source)
    assert (run.returncode, run.stdout) == (0, source)  # joblib 1.6.0: nothing to fix
    run = memlint("--fix", "--stdin-filename", str(old / "job.py"), "-", cwd=new, input=source)
    assert run.stdout == source.replace(RESHAPE, SHAPED)


def test_json_diagnostics_on_stdin(memlint, project):
    root = pinned(project)
    run = memlint("--format", "json", "--stdin-filename", "src/job.py", "-", cwd=root,
                  input=f"import numpy as np\ndata = {RESHAPE}\n")
    assert run.returncode == 1
    (d,) = json.loads(run.stdout)
    assert d["code"] == "MEM101" and d["filename"] == str((root / "src" / "job.py").resolve())
    assert "joblib 1.4.2 (requirements.txt)" in d["message"]
    assert d["fix"]["applicability"] == "safe"


# -- adoption ----------------------------------------------------------------------------


def test_add_noqa_silences_every_finding_without_breaking_code(memlint, project):
    job = (
        "import numpy as np\n"
        f"{TRANSPOSE}"
        f"a = {RESHAPE}  # type: ignore\n"
        f'b = np.memmap("""d\n.bin""", dtype=np.float64, mode="r").reshape(5, 3)\n'
        f"c = {RESHAPE}  # noqa: E501\n"
        "d = \\\n"
        f"    {RESHAPE}\n"
        f"e = {SHAPED}  # noqa: MEM101\n"
    )
    root = pinned(project, **{"job.py": job, "clean.py": f"import numpy as np\nx = {SHAPED}\n"})
    clean_before = (root / "clean.py").read_bytes()
    run = memlint("--add-noqa", ".", cwd=root)
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "Added 5 noqa directives.\n")
    assert (root / "job.py").read_text() == (
        "import numpy as np\n"
        f"{TRANSPOSE.replace('range(2))', 'range(2))  # noqa: MEM102')}"
        f"a = {RESHAPE}  # type: ignore  # noqa: MEM101\n"
        f'b = np.memmap("""d\n.bin""", dtype=np.float64, mode="r").reshape(5, 3)  # noqa: MEM101\n'
        f"c = {RESHAPE}  # noqa: E501, MEM101\n"
        "d = \\\n"
        f"    {RESHAPE}  # noqa: MEM101\n"
        f"e = {SHAPED}  # noqa: MEM101\n"  # a stale noqa (MEM002) is not baselined
    )
    assert (root / "clean.py").read_bytes() == clean_before
    run = memlint("check", "--format", "concise", ".", cwd=root)
    assert [line.split(" ")[1] for line in run.stdout.splitlines()[:-2]] == ["MEM002"]
    run = memlint("--add-noqa", ".", cwd=root)
    assert run.stderr == "Added 0 noqa directives.\n"


def test_add_noqa_refuses_fix_and_stdin(memlint, project):
    root = pinned(project)
    run = memlint("--add-noqa", "--fix", ".", cwd=root)
    assert run.returncode == 2 and "cannot be combined" in run.stderr
    run = memlint("--add-noqa", "-", cwd=root, input="x = 1\n")
    assert run.returncode == 2 and "stdin" in run.stderr


def test_show_fixes_lists_what_was_fixed(memlint, project):
    root = pinned(project, **{
        "src/job.py": f"import numpy as np\na = {RESHAPE}\nb = {SHAPED}  # noqa: MEM101\n",
        "src/other.py": f"import numpy as np\n{TRANSPOSE}",
    })
    run = memlint("check", "--fix", "--show-fixes", "--format", "concise", ".", cwd=root)
    lines = run.stdout.splitlines()
    assert lines[:4] == [
        "Fixes applied:", "- src/job.py:", "    1 × MEM002 (unused-suppression)", "    1 × MEM101 (memmap-reshape)",
    ]
    assert lines[4].startswith("src/other.py:4:42: MEM102 ")
    assert lines[5:] == ["Found 3 errors (2 fixed, 1 remaining)."]
    assert run.returncode == 1  # MEM102 in other.py has no fix


def test_fix_only_does_not_report_what_is_left(memlint, project):
    root = pinned(project, **{"job.py": f"import numpy as np\n{TRANSPOSE}a = {RESHAPE}\n"})
    run = memlint("check", "--fix-only", ".", cwd=root)
    assert (run.returncode, run.stdout) == (0, "Fixed 1 error.\n")
    assert SHAPED in (root / "job.py").read_text()
    run = memlint("check", "--fix-only", ".", cwd=root)
    assert (run.returncode, run.stdout) == (0, "No errors fixed.\n")


def test_force_exclude_applies_to_files_named_explicitly(memlint, project):
    root = pinned(project, **{
        "memlint.toml": 'extend-exclude = ["generated/"]\n' + LIBRARY.replace("tool.memlint.", ""),
        "generated/job.py": f"import numpy as np\na = {RESHAPE}\n",
    })
    assert memlint("check", "generated/job.py", cwd=root).returncode == 1
    run = memlint("check", "--force-exclude", "generated/job.py", cwd=root)
    assert (run.returncode, run.stdout.strip()) == (0, "All checks passed!")
