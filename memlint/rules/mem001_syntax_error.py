from __future__ import annotations

from memlint.engine.rule import Rule


class SyntaxErrorRule(Rule):
    """
    ## What it does
    Reports a file that memlint could not analyse: it does not parse as Python, its
    bytes cannot be decoded (not UTF-8 and no other encoding declared), or memlint itself
    failed on it (then the message says so; please report such a file).

    ## Why is this bad?
    memlint cannot see hazards in a file it cannot read, so a silent skip would hide them.
    The run goes on with the other files.

    ## Example
    ```python
    import numpy as np
    data = np.memmap("data.bin", dtype=np.float64, mode="r"
    ```

    ## Use instead
    ```python
    import numpy as np
    data = np.memmap("data.bin", dtype=np.float64, mode="r")
    ```

    ## Fix safety
    There is no fix.

    ## Affected versions
    All versions of every library.

    ## References
    - [Python: Lexical analysis, encoding declarations](https://docs.python.org/3/reference/lexical_analysis.html#encoding-declarations)
    """

    code = "MEM001"
    name = "syntax-error"
    summary = "File could not be parsed or decoded"
    # Produced by the engine for files it tried to analyse; no hooks of its own.
    triggers = ()
