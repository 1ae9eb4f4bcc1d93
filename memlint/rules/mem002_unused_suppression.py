from __future__ import annotations

from typing import TYPE_CHECKING

from memlint.diagnostics import SAFE, Diagnostic, Edit, Fix, Location
from memlint.engine.rule import Invalid, Rule, Valid

if TYPE_CHECKING:  # pragma: no cover
    from memlint.engine.suppression import Suppression, Suppressions

# Codes this rule never judges: MEM001 is reported by the engine for files it cannot read
# (a suppression of it cannot be checked in a file that reads fine), and a code that covers
# MEM002 may be there to silence this very rule.
_EXEMPT = ("MEM001", "MEM002")
_KIND_NAMES = {"noqa": "`noqa`", "ignore": "`memlint: ignore`"}


class UnusedSuppression(Rule):
    """
    ## What it does
    Finds a `# noqa: MEMxxx` or `# memlint: ignore[MEMxxx]` comment that suppresses nothing:
    no finding of the named memlint rule starts on the statement it covers.

    Only memlint codes of rules enabled for the file are judged. Codes of other tools
    (`# noqa: E501`), codes of rules that are not selected, unknown codes and a bare
    `# noqa` are left alone.

    ## Why is this bad?
    A stale suppression hides the next real finding on that statement, and it tells the
    reader that a hazard is known and accepted where there is none. Suppressions go stale
    when code is rewritten, and also when the project moves to a library version that is
    no longer affected: memlint judges them against the versions it resolved for the
    project, so after such an upgrade they can go.

    ## Example
    ```python
    import numpy as np

    data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))  # noqa: MEM101
    ```

    ## Use instead
    ```python
    import numpy as np

    data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))
    ```

    ## Fix safety
    The fix is safe: comments do not change what the program does. It removes the unused
    codes from the comment and keeps the others (`# noqa: E501, MEM101` becomes
    `# noqa: E501`); when nothing is left it removes the directive, and the whole line when
    the comment stood alone on it. Text that follows the directive, such as a reason, is
    kept as a plain comment.

    ## Affected versions
    Not tied to a library. What counts as unused follows the library versions memlint
    resolved for the project, as every finding does.

    ## References
    - [ruff: RUF100 unused-noqa](https://docs.astral.sh/ruff/rules/unused-noqa/)
    - [flake8: selecting and ignoring violations, in-line ignoring](https://flake8.pycqa.org/en/latest/user/violations.html#in-line-ignoring-errors)
    """

    code = "MEM002"
    name = "unused-suppression"
    summary = "Suppression comment that suppresses nothing"
    judges_suppressions = True
    # A judged comment holds a directive (in its usual spellings) and a MEM code: a file
    # whose only suppressions are for other tools is not even tokenized.
    triggers = ((b"noqa", b"MEM"), (b"NOQA", b"MEM"), (b"NoQA", b"MEM"), (b"memlint", b"MEM"))
    fix_availability = "always"

    valid = (
        Valid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)  # noqa: MEM101
            import joblib
            sums = joblib.Parallel(n_jobs=2)(joblib.delayed(sum)(data) for _ in range(2))
            """,
            extend_select=("MEM101",),
            note="the noqa suppresses a real MEM101 finding",
        ),
        Valid(
            """
            import numpy as np
            # memlint: ignore[MEM101]
            data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)
            import joblib
            sums = joblib.Parallel(n_jobs=2)(joblib.delayed(sum)(data) for _ in range(2))
            """,
            extend_select=("MEM101",),
            note="an ignore comment on the line above a real finding",
        ),
        Valid(
            '''
            import numpy as np
            data = np.memmap("""data
            .bin""", dtype=np.float64, mode="r").reshape(5, 3)  # noqa: MEM101
            import joblib
            sums = joblib.Parallel(n_jobs=2)(joblib.delayed(sum)(data) for _ in range(2))
            ''',
            extend_select=("MEM101",),
            note="lines joined by a multi-line string share a noqa, as flake8 maps it",
        ),
        Valid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))  # noqa
            """,
            extend_select=("MEM101",),
            note="a bare noqa is never reported",
        ),
        Valid(
            """
            x = 1  # noqa: E501
            y = 2  # noqa: F401,W291
            """,
            extend_select=("MEM101",),
            note="codes of other tools are not memlint's to judge",
        ),
        Valid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))  # noqa: MEM102
            """,
            extend_select=("MEM101",),
            note="MEM102 is not enabled here, so its code is not judged",
        ),
        Valid(
            """
            x = 1  # noqa: MEM999
            """,
            extend_select=("MEM101",),
            note="an unknown code (perhaps of a newer memlint) is left alone",
        ),
        Valid(
            """
            x = 1  # noqa: MEM
            y = 2  # noqa: MEM002, MEM001
            """,
            extend_select=("MEM101",),
            note="codes that cover MEM002 itself, and MEM001, are not judged",
        ),
        Valid(
            '''
            text = """
            # noqa: MEM101
            """
            ''',
            extend_select=("MEM101",),
            note="text inside a string is not a comment",
        ),
        Valid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)  # noqa: MEM101
            """,
            note="without MEM101 enabled (only MEM002 is), its code is not judged",
        ),
    )
    invalid = (
        Invalid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))  # noqa: MEM101
            """,
            lines=[2],
            extend_select=("MEM101",),
            message="Unused `noqa` directive (unused: `MEM101`)",
            fixed="""
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))
            """,
        ),
        Invalid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)  # noqa: MEM101
            """,
            lines=[2],
            versions={"joblib": "1.6.0"},
            extend_select=("MEM101",),
            message="`MEM101`",
            note="joblib 1.6.0 rebuilds C-order reshapes correctly: nothing to suppress",
            fixed="""
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)
            """,
        ),
        Invalid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)  # noqa: E501, MEM101, MEM102
            import joblib
            sums = joblib.Parallel(n_jobs=2)(joblib.delayed(sum)(data) for _ in range(2))
            """,
            lines=[2],
            extend_select=("MEM101", "MEM102"),
            message="(unused: `MEM102`)",
            note="the used code and the other tool's code stay",
            fixed="""
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r").reshape(5, 3)  # noqa: E501, MEM101
            import joblib
            sums = joblib.Parallel(n_jobs=2)(joblib.delayed(sum)(data) for _ in range(2))
            """,
        ),
        Invalid(
            """
            import numpy as np
            # memlint: ignore[MEM101]
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))
            """,
            lines=[2],
            extend_select=("MEM101",),
            message="Unused `memlint: ignore` directive",
            note="a comment alone on its line goes with its line",
            fixed="""
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))
            """,
        ),
        Invalid(
            """
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))  # type: ignore  # noqa: MEM1
            """,
            lines=[2],
            extend_select=("MEM101",),
            message="(unused: `MEM1`)",
            note="a prefix is judged like a code; the other comment stays",
            fixed="""
            import numpy as np
            data = np.memmap("data.bin", dtype=np.float64, mode="r", shape=(5, 3))  # type: ignore
            """,
        ),
        Invalid(
            """
            x = 1  # NOQA:MEM101 kept for the benchmark run
            """,
            lines=[1],
            extend_select=("MEM101",),
            note="the reason that followed the directive stays as a comment",
            fixed="""
            x = 1  # kept for the benchmark run
            """,
        ),
    )

    @classmethod
    def check_suppressions(
        cls, suppressions: "Suppressions", *, filename: str, text: str, enabled: frozenset[str]
    ) -> list[Diagnostic]:
        from memlint.engine.fixes import LineIndex

        index = LineIndex(text)
        judged_codes = [c for c in enabled if c not in _EXEMPT]
        out: list[Diagnostic] = []
        for s in suppressions.items:
            if s.codes is None:  # a bare noqa comment
                continue
            unused = [
                c for c in s.codes
                if _judged(c, judged_codes) and not any(u.upper().startswith(c.upper()) for u in s.used)
            ]
            if not unused:
                continue
            line = index.line(s.row) if s.row <= len(index.starts) else ""
            if line[s.column - 1 : s.column - 1 + len(s.text)] != s.text:
                continue  # rows counted differently (a lone \r): do not guess
            names = ", ".join(f"`{c}`" for c in unused)
            kind = _KIND_NAMES[s.kind]
            start = Location(s.row, s.column + s.span[0])
            end = Location(s.row, s.column + s.span[1])
            out.append(
                Diagnostic(
                    cls.code,
                    cls.name,
                    f"Unused {kind} directive (unused: {names})",
                    filename,
                    start,
                    end,
                    fix=_fix(s, unused, line, index),
                )
            )
        return out


def _judged(code: str, enabled: list[str]) -> bool:
    """Whether `code` (a code or a prefix) names memlint rules this run can vouch for."""
    c = code.upper()
    if not c.startswith("MEM") or "MEM002".startswith(c):
        return False
    return any(e.startswith(c) for e in enabled)


def _fix(s: "Suppression", unused: list[str], line: str, index) -> Fix:
    comment = s.text
    col = s.column  # 1-based column of the comment's `#`
    kept = [c for c in s.codes or () if c not in unused]
    if kept:
        c0, c1 = s.codes_span
        raw = comment[c0:c1]
        sep = ", " if "," in raw and ", " in raw else ("," if "," in raw else " ")
        noun = "code" if len(unused) == 1 else "codes"
        title = f"Remove unused {noun} {', '.join(f'`{c}`' for c in unused)}"
        edit = Edit(sep.join(kept), Location(s.row, col + c0), Location(s.row, col + c1))
        return Fix(SAFE, title, (edit,))

    title = f"Remove unused {_KIND_NAMES[s.kind]} directive"
    d0, d1 = s.span
    before = comment[:d0].rstrip()
    after = comment[d1:].strip()
    if before:
        new = before + (" " + after if after else "")
    elif after:
        new = after if after.startswith("#") else "# " + after
    else:
        new = None
    comment_end = Location(s.row, col + len(comment))
    if new is not None:
        return Fix(SAFE, title, (Edit(new, Location(s.row, col), comment_end),))

    code_before = line[: col - 1]
    if code_before.strip():
        # Drop the comment and the blanks that separated it from the code.
        start = Location(s.row, len(code_before.rstrip()) + 1)
        return Fix(SAFE, title, (Edit("", start, Location(s.row, len(line) + 1)),))
    # The comment stood alone on its line: the line goes.
    if s.row < len(index.starts):
        return Fix(SAFE, title, (Edit("", Location(s.row, 1), Location(s.row + 1, 1)),))
    if s.row > 1:  # last line, no final newline: take the line break before it
        prev = index.line(s.row - 1)
        start = Location(s.row - 1, len(prev) + 1)
        return Fix(SAFE, title, (Edit("", start, Location(s.row, len(line) + 1)),))
    return Fix(SAFE, title, (Edit("", Location(s.row, 1), Location(s.row, len(line) + 1)),))
