"""Which findings a suppression comment covers: `# noqa` exactly where flake8 applies it,
`# memlint: ignore[...]` on the statement, and which comments count as used (for MEM002)."""

from __future__ import annotations

import textwrap

from library_settings import check_source  # MEM101 with require-sink = false
from memlint.engine.suppression import Suppressions


RESHAPE = 'np.memmap("d.bin", dtype=np.float64, mode="r").reshape(5, 3)'


def rows(source: str, select=("MEM101",)) -> list[int]:
    found = check_source(textwrap.dedent(source).lstrip("\n"), select=list(select))
    return [d.location.row for d in found if d.code == "MEM101"]


def test_noqa_on_the_finding_line():
    assert rows(f"""
        import numpy as np
        a = {RESHAPE}  # noqa: MEM101
        b = {RESHAPE}  # noqa: mem1
        c = {RESHAPE}  # NOQA
        d = {RESHAPE}  # noqa:MEM102
        e = {RESHAPE}  # noqa: E501
        """) == [5, 6]


def test_noqa_on_another_line_of_a_bracketed_statement_does_not_count():
    # flake8 maps `# noqa` line by line inside brackets; so does memlint.
    assert rows("""
        import numpy as np
        data = np.memmap(
            "d.bin", dtype=np.float64, mode="r",
        ).reshape(5, 3)  # noqa: MEM101
        """) == [2]


def test_noqa_after_a_multiline_string_or_backslash_covers_the_joined_lines():
    assert rows('''
        import numpy as np
        data = np.memmap("""d
        .bin""", dtype=np.float64, mode="r").reshape(5, 3)  # noqa: MEM101
        more = \\
            np.memmap("d.bin", dtype=np.float64, mode="r").reshape(5, 3)  # noqa: MEM101
        ''') == []


def test_memlint_ignore_covers_the_statement():
    assert rows(f"""
        import numpy as np
        # memlint: ignore[MEM101]
        a = {RESHAPE}
        b = np.memmap(
            "d.bin", dtype=np.float64, mode="r",
        ).reshape(5, 3)  # memlint: ignore[MEM1]
        c = {RESHAPE}
        # memlint: ignore[MEM102]
        d = {RESHAPE}
        """) == [7, 9]


def test_skip_file():
    assert rows(f"""
        import numpy as np
        a = {RESHAPE}
        # memlint: skip-file
        """) == []


def test_file_level_noqa_comments_as_ruff_and_flake8_read_them():
    body = f"import numpy as np\na = {RESHAPE}\n"
    for comment in ("# ruff: noqa", "# flake8: noqa", "# memlint: noqa", "# RUFF: NOQA", "#ruff:noqa",
                    "# ruff: noqa: MEM101", "# memlint: noqa: MEM1, E501", "# ruff: noqa: MEM",
                    "# flake8: noqa: E501", "# FLAKE8=noqa"):  # flake8 skips the file whatever follows
        assert rows(comment + "\n" + body) == [], comment
    for comment in ("# ruff: noqa: MEM102", "# memlint: noqa: E501", "#flake8: noqa"):
        assert rows(comment + "\n" + body) == [3], comment
    # Not on a line of its own, or inside a string: not a file-level comment.
    assert rows(f"import numpy as np\na = {RESHAPE}  # ruff: noqa\n") == [2]
    assert rows(f'import numpy as np\nDOC = """\n# flake8: noqa\n"""\na = {RESHAPE}\n') == [5]


def test_a_file_level_noqa_elsewhere_on_a_code_line_is_not_one():
    assert rows(f"import numpy as np\nb = 1  # ruff: noqa: MEM101\na = {RESHAPE}\n") == [3]


def test_used_codes_are_recorded_on_every_covering_comment():
    text = "a = 1  # noqa: MEM101  # memlint: ignore[MEM1]\n"
    sup = Suppressions(text)
    noqa, ignore = sup.items
    assert (noqa.kind, noqa.codes, ignore.kind, ignore.codes) == ("noqa", ("MEM101",), "ignore", ("MEM1",))
    # Under flake8 only memlint's own comments are applied, but both count as used.
    assert sup.suppressing("MEM101", 1, kinds=("ignore",)) is ignore
    assert noqa.used == {"MEM101"} and ignore.used == {"MEM101"}
    assert sup.suppressing("MEM102", 1) is ignore
    assert text[noqa.column - 1 + noqa.span[0]: noqa.column - 1 + noqa.span[1]] == "# noqa: MEM101"
    assert text[ignore.column - 1 + ignore.codes_span[0]: ignore.column - 1 + ignore.codes_span[1]] == "MEM1"


def test_a_file_that_does_not_tokenize_is_marked_incomplete():
    assert Suppressions("x = '''\n# noqa: MEM101\n").complete is False
    assert Suppressions("x = 1  # noqa: MEM101\n").complete is True
