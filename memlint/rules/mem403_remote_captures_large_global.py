from __future__ import annotations

import libcst as cst

from memlint.analysis import datalike as dl
from memlint.analysis import ray
from memlint.engine.rule import Invalid, Option, Rule, Valid


class RemoteCapturesLargeGlobal(Rule):
    """
    ## What it does
    Finds a Ray remote function, or an actor class, that reads a data-like value (a data
    frame, an array, a fitted model, a large literal, an object holding such data) bound
    outside it: at module level, or in the function that defines it. It reports the first
    read of each such name in the function or class.

    ## Why is this bad?
    Ray pickles a remote function or actor class with cloudpickle and uploads it once per
    definition. A function defined in a script (or nested in another function) carries the
    values it reads from outside with it, so a 1 GB global makes a 1 GB function that every
    worker downloads and unpickles. A function defined in an importable module is pickled by
    reference instead, and each worker then rebuilds the global by importing the module:
    the data is loaded again in every worker process. Either way the data does not go
    through the object store, where workers on one node would share one copy.

    ## Example
    ```python
    import numpy as np
    import ray

    embeddings = np.load("embeddings.npy")

    @ray.remote
    def nearest(query):
        return (embeddings @ query).argmax()
    ```

    ## Use instead
    ```python
    import numpy as np
    import ray

    @ray.remote
    def nearest(embeddings, query):
        return (embeddings @ query).argmax()

    embeddings_ref = ray.put(np.load("embeddings.npy"))
    results = [nearest.remote(embeddings_ref, q) for q in queries]
    ```
    Or load the data inside the task (or in an actor's `__init__`) when each worker
    should read it from storage itself.

    ## Fix safety
    There is no fix: moving the value into the object store changes the function's
    signature and every call site.

    Not reported: refs (a global bound to `ray.put(...)` is the recommended form), small
    values, modules, functions and classes, and instances of classes with no sign of data
    (an object built from nothing data-like is a guess, too weak for this rule).

    ## Affected versions
    Every Ray version.

    ## References
    - [Ray anti-pattern: Closure capturing large objects harms performance](https://docs.ray.io/en/latest/ray-core/patterns/closure-capture-large-objects.html)
    - [Ray anti-pattern: Using global variables to share state between tasks and actors](https://docs.ray.io/en/latest/ray-core/patterns/global-variables.html)
    """

    code = "MEM403"
    name = "remote-captures-large-global"
    summary = "Ray remote function or actor reads a large value from outside it, shipped with its code"
    libraries = ("ray",)
    # "import ray" / "from ray", not "ray": every "array" holds that.
    triggers = ((b"import ray", b"remote"), (b"from ray", b"remote"))
    # Every method of an actor class runs remotely: the first pass keeps classes whole.
    partial_classes = False
    options = {
        "large-literal-min-items": Option(
            dl.DEFAULT_MIN_ITEMS, int, "A literal container with at least this many items is data-like"
        ),
    }

    valid = (
        Valid(
            """
            import numpy as np
            import ray

            embeddings_ref = ray.put(np.load("embeddings.npy"))

            @ray.remote
            def nearest(embeddings, query):
                return (embeddings @ query).argmax()

            refs = [nearest.remote(embeddings_ref, q) for q in queries]
            """,
            note="the data goes through the object store",
        ),
        Valid(
            """
            import numpy as np
            import ray

            @ray.remote
            def nearest(path, query):
                embeddings = np.load(path)
                return (embeddings @ query).argmax()
            """,
            note="loaded inside the task",
        ),
        Valid(
            """
            import numpy as np
            import ray

            embeddings = np.load("embeddings.npy")

            def nearest(query):
                return (embeddings @ query).argmax()
            """,
            note="not a remote function",
        ),
        Valid(
            """
            import numpy as np
            import ray

            SCALE = 2.0
            LABELS = ["a", "b", "c"]

            @ray.remote
            def scale(x):
                return x * SCALE, LABELS[0]
            """,
            note="small values",
        ),
        Valid(
            """
            import ray
            from mylib import Settings

            settings = Settings()

            @ray.remote
            def run(x):
                return settings.apply(x)
            """,
            note="an object with no sign of data",
        ),
        Valid(
            """
            import ray
            from gymnasium.spaces import Discrete, MultiBinary

            def check(env):
                spaces = {"discrete": Discrete(5), "multi": MultiBinary([3, 10])}

                @ray.remote
                def _do_check(name):
                    return env(spaces[name])

                return _do_check
            """,
            note="a dict of objects with no sign of data (rllib's test_utils shape)",
        ),
        Valid(
            """
            import numpy as np
            import ray

            table = np.load("table.npy")

            @ray.remote
            class Scorer:
                def __init__(self, path):
                    self.table = np.load(path)

                def score(self, i):
                    return self.table[i]
            """,
            note="the actor loads its own copy; `self.table` is its state, not a capture",
        ),
        Valid(
            """
            import numpy as np
            import ray

            table = np.load("table.npy")

            @ray.remote(resources={"n": len(table)})
            def f(x):
                return x
            """,
            note="decorator arguments are evaluated by the driver",
        ),
    )
    invalid = (
        Invalid(
            """
            import numpy as np
            import ray

            embeddings = np.load("embeddings.npy")

            @ray.remote
            def nearest(query):
                scores = embeddings @ query
                return scores.argmax(), embeddings.shape
            """,
            lines=[8],
            message="`embeddings`, a numpy array from `np.load(...)` bound at module level",
        ),
        Invalid(
            """
            import pandas as pd
            from ray import remote

            lookup = pd.read_parquet("lookup.parquet")

            @remote
            class Enricher:
                def enrich(self, rows):
                    return rows.merge(lookup, on="key")
            """,
            lines=[9],
            message="actor class `Enricher`",
        ),
        Invalid(
            """
            import ray
            import numpy as np

            def build(path):
                weights = np.load(path)

                def apply(x):
                    return x @ weights

                return ray.remote(apply)
            """,
            lines=[8],
            message="bound in the enclosing function",
        ),
        Invalid(
            """
            import ray

            VOCAB = {i: str(i) for i in range(50_000)}

            @ray.remote(num_cpus=1)
            def decode(ids, vocab=VOCAB):
                return [vocab[i] for i in ids]
            """,
            lines=[6],
            note="a default value is stored on the function too",
        ),
    )

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        info = ray.remote_def(node, self.ctx.model)
        if info is not None:
            self._check(node, f"remote function `{node.name.value}`")

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        info = ray.remote_def(node, self.ctx.model)
        if info is not None:
            self._check(node, f"actor class `{node.name.value}`")

    def _check(self, defn: cst.FunctionDef | cst.ClassDef, label: str) -> None:
        model = self.ctx.model
        for expr, found in dl.captured(defn, model, self.option["large-literal-min-items"]):
            if _guess(found):
                continue  # an object with no sign of data: too weak a guess here
            what = "class" if isinstance(defn, cst.ClassDef) else "function"
            module_level = False
            if isinstance(expr, cst.Name):
                scope, _ = model.lookup(expr.value, expr)
                module_level = scope is model.module_scope
                where = "bound at module level" if module_level else "bound in the enclosing function"
            else:
                where = "held by the enclosing method's instance"
            if module_level:
                cost = (
                    f"it is pickled with the {what} when the module is a script, and loaded "
                    "again by every worker that imports the module otherwise"
                )
            else:
                cost = f"it is pickled with the {what}, and every worker unpickles its own copy"
            code = self.ctx.code_for(expr).strip()
            verb = "reads" if found.certain else "may read"
            self.report(
                expr,
                f"The {label} {verb} `{code}`, {found.what} {where}: {cost}. Pass it as an "
                f"argument through `ray.put({code})`, or load it inside the task.",
            )


def _guess(found: dl.DataLike) -> bool:
    """An object (or a container of objects) known only by its class, with no data seen."""
    inner = found
    while inner.kind == dl.CONTAINER and inner.element is not None:
        inner = inner.element
    return inner.kind in (dl.INSTANCE, dl.OBJECT) and not inner.certain
