"""MEM002 unused-suppression in whole files and through the command line."""

from __future__ import annotations

from library_settings import check_source, fix_source  # MEM101 with require-sink = false


RESHAPE = 'np.memmap("d.bin", dtype=np.float64, mode="r").reshape(5, 3)'
SHAPED = 'np.memmap("d.bin", dtype=np.float64, mode="r", shape=(5, 3))'


def codes(source: str, select=("MEM",), **kw):
    return [(d.code, d.location.row, d.message) for d in check_source(source, select=list(select), **kw)]


def test_only_a_file_with_unused_codes_is_reported_and_fixed_in_place():
    source = (
        "import numpy as np\r\n"
        f"a = {SHAPED}  # noqa: MEM101\r\n"
        f"b = {RESHAPE}  # noqa: MEM101\r\n"
        "# memlint: ignore[MEM101]\r\n"
        f"c = {SHAPED}\r\n"
        f"d = {SHAPED}  # noqa: MEM101"  # last line, no final newline
    )
    assert [(c, r) for c, r, _ in codes(source)] == [("MEM002", 2), ("MEM002", 4), ("MEM002", 6)]
    assert fix_source(source, select=["MEM"]) == (
        "import numpy as np\r\n"
        f"a = {SHAPED}\r\n"
        f"b = {RESHAPE}  # noqa: MEM101\r\n"
        f"c = {SHAPED}\r\n"
        f"d = {SHAPED}"
    )


def test_a_lone_stale_comment_on_the_last_line_goes_with_its_line_break():
    source = f"import numpy as np\nc = {SHAPED}\n# memlint: ignore[MEM101]"
    assert fix_source(source, select=["MEM"]) == f"import numpy as np\nc = {SHAPED}"


def test_separators_and_other_tools_codes_are_kept():
    source = f"import numpy as np\nb = {RESHAPE}  # noqa:E501,MEM101,MEM102,W291\n"
    assert fix_source(source, select=["MEM"]) == f"import numpy as np\nb = {RESHAPE}  # noqa:E501,MEM101,W291\n"


def test_a_rule_that_cannot_match_the_file_makes_its_code_unused():
    # No reshape, no .shape: MEM101 cannot fire, the file is never parsed by libcst.
    source = "x = compute()  # noqa: MEM101\n"
    assert codes(source) == [("MEM002", 1, "Unused `noqa` directive (unused: `MEM101`)")]


def test_ignore_and_per_code_selection():
    source = f"import numpy as np\nb = {SHAPED}  # noqa: MEM101\n"
    assert codes(source, select=["MEM002"]) == []  # MEM101 not enabled: not judged
    assert codes(source, select=["MEM101"]) == []  # MEM002 not enabled
    assert [c for c, _, _ in codes(source, select=["MEM002", "MEM101"])] == ["MEM002"]


def test_a_noqa_for_mem002_silences_it():
    source = f"import numpy as np\nb = {SHAPED}  # noqa: MEM101, MEM002\n"
    assert codes(source) == []


def test_a_file_that_does_not_compile_is_not_judged():
    assert codes("x = = 1  # noqa: MEM101\n") == []
    assert codes("x = '''\n# noqa: MEM101\n") == []


def test_the_version_decides(memlint, project):
    root = project({
        "requirements.txt": "joblib==1.6.0\n",
        "memlint.toml": "[rules.MEM101]\nrequire-sink = false\n",
        "job.py": f"import numpy as np\ndata = {RESHAPE}  # noqa: MEM101\n",
    })
    run = memlint("check", "--format", "concise", ".", cwd=root)
    assert run.returncode == 1
    assert run.stdout.splitlines()[0] == "job.py:2:70: MEM002 [*] Unused `noqa` directive (unused: `MEM101`)"
    run = memlint("check", "--fix", ".", cwd=root)
    assert run.returncode == 0, run
    assert (root / "job.py").read_text() == f"import numpy as np\ndata = {RESHAPE}\n"
    (root / "requirements.txt").write_text("joblib==1.4.2\n")
    (root / "job.py").write_text(f"import numpy as np\ndata = {RESHAPE}  # noqa: MEM101\n")
    run = memlint("check", ".", cwd=root)
    assert run.returncode == 0, run
