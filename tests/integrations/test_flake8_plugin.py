"""The flake8 plugin, run by the real flake8 in a subprocess: on a fixture tree, `flake8
--select MEM` reports exactly the findings `memlint check` reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("flake8")
pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]

MEMMAP_RESHAPE = 'np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)'

TREE = {
    # MEM101 as a library configures it: a reshape is reported without a joblib sink.
    "pyproject.toml": """
        [tool.memlint.rules.MEM101]
        require-sink = false
        """,
    "pkg/layout.py": f"""
        import numpy as np
        from joblib import Parallel, delayed

        data = {MEMMAP_RESHAPE}
        kept = {MEMMAP_RESHAPE}  # noqa: MEM101
        ignored = {MEMMAP_RESHAPE}  # memlint: ignore[MEM101]
        # memlint: ignore[MEM101]
        above = {MEMMAP_RESHAPE}
        joined = np.memmap(\"\"\"data
        .bin\"\"\", dtype=np.float64, mode="r").reshape(5, 3)  # noqa: MEM101
        split = np.memmap(
            "data.bin", dtype=np.float64, mode="r"
        ).reshape(5, 3)  # noqa: MEM101
        shaped = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))  # noqa: MEM101
        other = 1  # noqa: E501
        """,
    "pkg/transpose.py": """
        import numpy as np
        from joblib import Parallel, delayed

        def run(path):
            data = np.memmap(path, dtype=np.float64, mode="r", shape=(3, 4))
            return Parallel(n_jobs=2)(delayed(np.sum)(data.T, axis=1) for _ in range(2))
        """,
    "pkg/clean.py": """
        import numpy as np

        data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))
        """,
    "pkg/skipped.py": f"""
        # memlint: skip-file
        import numpy as np

        data = {MEMMAP_RESHAPE}
        """,
    # File-level exemptions, read as flake8 and ruff read them.
    "pkg/flake8_noqa.py": f"""
        # flake8: noqa
        import numpy as np

        data = {MEMMAP_RESHAPE}
        """,
    "pkg/flake8_noqa_codes.py": f"""
        # flake8: noqa: E501
        import numpy as np

        data = {MEMMAP_RESHAPE}
        """,
    "pkg/ruff_noqa.py": f"""
        import numpy as np
        # ruff: noqa: MEM101

        data = {MEMMAP_RESHAPE}
        """,
    # Encodings and newlines: flake8 decodes the lines, memlint the bytes; columns agree.
    "pkg/bom_crlf.py": b'\xef\xbb\xbfimport numpy as np\r\ndata = np.memmap("d", mode="r").reshape(5, 3)\r\n',
    "pkg/latin1.py": b'# -*- coding: latin-1 -*-\nimport numpy as np\ns = "\xe9"; data = np.memmap(s, mode="r").reshape(5, 3)\n',
    # A project of its own, pinned to a joblib that rebuilds C-order reshapes correctly.
    "fixed/memlint.toml": """
        [versions]
        joblib = "1.6.0"
        [rules.MEM101]
        require-sink = false
        """,
    "fixed/job.py": f"""
        import numpy as np

        data = {MEMMAP_RESHAPE}
        stale = {MEMMAP_RESHAPE}  # noqa: MEM101
        """,
}

# What a reader of TREE expects, to make sure the comparison below compares something.
EXPECTED = {
    ("pkg/layout.py", 4, "MEM101"),
    ("pkg/layout.py", 11, "MEM101"),  # a noqa on the closing line does not cover line 11
    ("pkg/layout.py", 13, "MEM002"),  # ... so it suppresses nothing
    ("pkg/layout.py", 14, "MEM002"),  # nothing to suppress on a line with shape=
    ("pkg/transpose.py", 6, "MEM102"),
    ("pkg/bom_crlf.py", 2, "MEM101"),
    ("pkg/latin1.py", 3, "MEM101"),
    ("fixed/job.py", 4, "MEM002"),  # joblib 1.6.0: the noqa suppresses nothing
}


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"))
    return root


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory) -> str:
    """A dist-info naming this checkout's plugin, first on sys.path: flake8 finds plugins
    through installed distributions' entry points, and takes the first distribution of a
    name, so this one wins over an installed memlint-sci, and `memlint` imports from REPO."""
    site = tmp_path_factory.mktemp("site")
    info = site / "memlint_sci-0.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: memlint-sci\nVersion: 0.0.0\n")
    (info / "entry_points.txt").write_text("[flake8.extension]\nMEM = memlint.flake8_plugin:Plugin\n")
    return os.pathsep.join([str(site), str(REPO)])


def flake8(*args: str, cwd: Path, pythonpath: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": pythonpath}
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args],
        cwd=cwd, capture_output=True, text=True, env=env, timeout=300,
    )


def flake8_findings(proc: subprocess.CompletedProcess) -> set[tuple[str, int, int, str]]:
    out = set()
    for line in proc.stdout.splitlines():
        path, row, col, code = line.split("|")
        out.add((Path(path).as_posix().removeprefix("./"), int(row), int(col), code))
    return out


def memlint_findings(memlint, root: Path) -> set[tuple[str, int, int, str]]:
    run = memlint("check", "--format", "json", ".", cwd=root)
    assert run.returncode in (0, 1), run
    return {
        (Path(d["filename"]).relative_to(root.resolve()).as_posix(), d["location"]["row"],
         d["location"]["column"], d["code"])
        for d in json.loads(run.stdout)
    }


FORMAT = "--format=%(path)s|%(row)d|%(col)d|%(code)s"


def test_flake8_reports_what_memlint_check_reports(tmp_path, plugin_path, memlint):
    root = write_tree(tmp_path, TREE)
    proc = flake8("--select", "MEM", FORMAT, ".", cwd=root, pythonpath=plugin_path)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    from_flake8 = flake8_findings(proc)
    from_memlint = memlint_findings(memlint, root)
    assert from_flake8 == from_memlint
    assert {(f, r, c) for f, r, _, c in from_memlint} == EXPECTED


def test_flake8_applies_noqa_itself(tmp_path, plugin_path):
    # With --disable-noqa the findings under `# noqa` come back: the plugin left them to
    # flake8. memlint's own `# memlint: ignore[...]` and skip-file still hold.
    root = write_tree(tmp_path, TREE)
    proc = flake8("--select", "MEM", "--disable-noqa", FORMAT, ".", cwd=root, pythonpath=plugin_path)
    rows = {(f, r, c) for f, r, _, c in flake8_findings(proc)}
    assert {("pkg/layout.py", 5, "MEM101"), ("pkg/layout.py", 9, "MEM101")} <= rows
    assert not {r for f, r, c in rows if f == "pkg/layout.py" and r in (6, 8)}
    assert not any(f == "pkg/skipped.py" for f, _, _ in rows)


def test_flake8_select_narrows_and_stdin(tmp_path, plugin_path):
    root = write_tree(tmp_path, TREE)
    proc = flake8("--select", "MEM002", FORMAT, ".", cwd=root, pythonpath=plugin_path)
    assert {c for *_, c in flake8_findings(proc)} == {"MEM002"}
    source = (root / "pkg" / "layout.py").read_text()
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "MEM", FORMAT, "-"],
        cwd=root, input=source, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": plugin_path}, timeout=300,
    )
    assert {(r, c) for _, r, _, c in flake8_findings(proc)} == {
        (r, c) for f, r, c in EXPECTED if f == "pkg/layout.py"
    }


def test_flake8_bad_config_is_one_clear_line(tmp_path, plugin_path):
    root = write_tree(tmp_path, {"memlint.toml": "selekt = ['MEM']\n", "a.py": "import numpy\n"})
    proc = flake8("--select", "MEM", ".", cwd=root, pythonpath=plugin_path)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out
    assert "selekt" in out and "memlint.toml" in out


def test_after_add_noqa_flake8_and_memlint_are_both_silent(tmp_path, plugin_path, memlint):
    tree = {k: v for k, v in TREE.items() if not k.startswith("fixed/")}
    root = write_tree(tmp_path, tree)
    run = memlint("--add-noqa", ".", cwd=root)
    assert run.returncode == 0 and run.stderr.startswith("Added 5 noqa directives."), run
    # What is left is MEM002 (stale noqa comments), which --add-noqa does not baseline.
    expected = {(f, r, c) for f, r, c in EXPECTED if c == "MEM002" and f.startswith("pkg/")}
    from_memlint = memlint_findings(memlint, root)
    assert {(f, r, c) for f, r, _, c in from_memlint} == expected
    proc = flake8("--select", "MEM", FORMAT, ".", cwd=root, pythonpath=plugin_path)
    assert flake8_findings(proc) == from_memlint


ODD_BODY = f"import numpy as np\n# caf\xe9\ndata = {MEMMAP_RESHAPE}\n"


@pytest.mark.parametrize("data", [
    b"\xef\xbb\xbf" + ODD_BODY.encode(),  # a BOM
    b"\xef\xbb\xbf# -*- coding: utf-8 -*-\n" + ODD_BODY.encode(),  # a BOM and a cookie
    b"# -*- coding: latin-1 -*-\n" + ODD_BODY.encode("latin-1"),
    b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\n" + ODD_BODY.encode("cp1252"),
    b"\xef\xbb\xbf\xef\xbb\xbf" + ODD_BODY.encode(),  # two BOMs: Python rejects it
    b"\xef\xbb\xbf# -*- coding: latin-1 -*-\n" + ODD_BODY.encode(),  # a BOM and another cookie
    ODD_BODY.encode("latin-1"),  # not UTF-8 and no cookie
    ODD_BODY.replace("\n", "\r\n").encode(),
], ids=["bom", "bom-cookie", "latin1", "shebang-cp1252", "two-boms", "bom-latin1", "undeclared", "crlf"])
def test_flake8_and_memlint_decode_a_file_alike(data, tmp_path, plugin_path, memlint):
    root = write_tree(tmp_path, {"pyproject.toml": TREE["pyproject.toml"]})
    (root / "odd.py").write_bytes(data)
    proc = flake8("--select", "MEM", FORMAT, "odd.py", cwd=root, pythonpath=plugin_path)
    assert "Traceback" not in proc.stderr
    assert flake8_findings(proc) == memlint_findings(memlint, root)
