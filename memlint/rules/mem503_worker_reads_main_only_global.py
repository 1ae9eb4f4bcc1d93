from __future__ import annotations

import functools
import re

import libcst as cst

from memlint.analysis import pools
from memlint.engine import shapes
from memlint.engine.rule import Invalid, Rule, Valid, one_line

# The shape, as text: a function handed to workers that is a lambda, a def nested in
# another or in the `__main__` block, or a def that names what only the parent sets (a
# name assigned or imported in the `__main__` block, or declared `global` in a def).
_HANDED = re.compile(
    rb"(?:\binitializer\s*=|\bProcess\([^)]{0,300}?\btarget\s*=)\s*(lambda\b|[A-Za-z_]\w{0,100})"
)
_LAMBDA = re.compile(rb"\s*lambda\b")
_GUARD = re.compile(rb"^if[ \t]+(?:__name__[ \t]*==[ \t]*['\"]__main__['\"]|['\"]__main__['\"][ \t]*==[ \t]*__name__)", re.M)
_GLOBAL = re.compile(rb"^[ \t]+global[ \t]+([\w, \t]{1,400})", re.M)
_SET_IN_BLOCK = re.compile(
    rb"^[ \t]+(?:([A-Za-z_]\w*)[ \t]*(?::[^=\n]{0,100})?=(?!=)|(?:from[ \t]+[\w.]+[ \t]+)?import[ \t]+([^\n#]{1,400}))", re.M
)
_WORD = re.compile(rb"[A-Za-z_]\w*")


@functools.lru_cache(maxsize=4)
def _could_start_afresh(data: bytes) -> bool:
    # What process pools and `Process` are handed (threads share the parent's memory).
    handed = [m.group(1) for m in _HANDED.finditer(data)]
    for m in shapes.process_pool_calls(data):
        function = m.group("function")
        if function is not None:
            handed.append(function.rsplit(b".", 1)[-1])
        elif _LAMBDA.match(data, m.end("method") + 1):
            handed.append(b"lambda")
    if not handed:
        return False
    parent_set: set[bytes] | None = None
    for name in handed:
        if name == b"lambda":
            return True
        found = shapes.first_def(data, name)
        if found is None:
            continue
        if found.group(1):
            header = shapes.enclosing_line(data, found)
            if not header.startswith(b"class"):
                return True  # nested in a def, or in the `__main__` block
            continue
        if parent_set is None:
            parent_set = _parent_set(data)
        if parent_set and parent_set & set(_WORD.findall(shapes.def_body(data, found))):
            return True
    return False


def _parent_set(data: bytes) -> set[bytes]:
    """Names a `__main__` block assigns or imports, and names declared `global`."""
    names: set[bytes] = set()
    for m in _GLOBAL.finditer(data):
        names.update(_WORD.findall(m.group(1)))
    for guard in _GUARD.finditer(data):
        end = re.compile(rb"\n(?=[^\s#])").search(data, guard.end())
        block = data[guard.end():end.start() if end else len(data)]
        for m in _SET_IN_BLOCK.finditer(block):
            if m.group(1):
                names.add(m.group(1))
            else:
                names.update(w for w in _WORD.findall(m.group(2)) if w not in (b"as", b"import"))
    return names


class WorkerReadsMainOnlyGlobal(Rule):
    """
    ## What it does
    Finds work handed to worker processes (a `multiprocessing` pool's `map`/`apply_async`
    family, a `ProcessPoolExecutor`'s `submit`/`map`, its `initializer=`, or
    `Process(target=...)`) that depends on the parent having been copied by fork:

    - the worker reads a module global that only the parent sets: in the `if __name__ ==
      "__main__":` block, or through `global` in `main()` or another def only that block
      calls, or in the def that makes the pool;
    - the function is defined inside that block, or inside another function, or is a
      `lambda`.

    It is reported when the code does not choose fork explicitly and the workers start
    afresh: with `get_context("spawn")` or `"forkserver"`, `mp_context=`,
    `set_start_method(...)`, or by default on Python 3.14 and later.

    ## Why is this bad?
    A worker started by spawn or forkserver imports the main module again, as
    `__mp_main__`: the `__main__` block and `main()` do not run there, so the global holds
    its module-level value (often `None`) and the worker computes with it without a word.
    Python 3.14 made forkserver the default start method on Linux (it was already spawn on
    macOS and Windows): code that was right under fork for years silently changes. A
    function defined in the `__main__` block cannot be found in the fresh module, and a
    lambda or a nested def cannot be pickled at all: a pool pickles the function of every
    task under any start method, and raises.

    ## Example
    ```python
    import multiprocessing as mp

    import numpy as np

    DATA = None

    def work(i):
        return float(DATA[i])

    if __name__ == "__main__":
        DATA = np.arange(10.0)
        with mp.Pool(2) as pool:
            print(pool.map(work, range(3)))
    ```

    ## Use instead
    ```python
    import multiprocessing as mp

    import numpy as np

    DATA = None

    def load(data):
        global DATA
        DATA = data

    def work(i):
        return float(DATA[i])

    if __name__ == "__main__":
        data = np.arange(10.0)
        with mp.Pool(2, initializer=load, initargs=(data,)) as pool:
            print(pool.map(work, range(3)))
    ```
    Pass what the worker needs as an argument, or through `initializer=`/`initargs=`,
    which runs in every worker. If the program really depends on fork, say so:
    `mp.get_context("fork").Pool(2)`. Define the functions workers run at the top level
    of a module.

    ## Fix safety
    There is no fix: the rewrite moves a value into the worker's arguments.

    ## Affected versions
    Reported on every Python version when the code names the spawn or forkserver start
    method; with the default start method, when the project's Python may be 3.14 or later
    (`target-version`, `requires-python`, `.python-version`, or the interpreter memlint
    runs on). A lambda or nested def handed to a process pool fails on every version and
    start method.

    ## References
    - [What's New in Python 3.14: forkserver is the default start method on Linux](https://docs.python.org/3/whatsnew/3.14.html#multiprocessing)
    - [multiprocessing: contexts and start methods](https://docs.python.org/3/library/multiprocessing.html#contexts-and-start-methods)
    - [multiprocessing programming guidelines: safe importing of the main module](https://docs.python.org/3/library/multiprocessing.html#the-spawn-and-forkserver-start-methods)
    - [pytorch #138957: DataLoader workers and the forkserver default](https://github.com/pytorch/pytorch/issues/138957)
    """

    code = "MEM503"
    name = "worker-reads-main-only-global"
    summary = "Worker processes started afresh do not see what only the parent's `__main__` set"
    libraries = ("python",)
    triggers = tuple((t,) for t in (b"Pool(", b"PoolExecutor(", b"Process(", b"get_context("))
    shape_filter = staticmethod(_could_start_afresh)
    # What the parent alone runs (a `__main__` block, a global set in `main()`) is decided
    # over the whole module.
    partial_parse = False

    valid = (
        Valid(
            """
            import multiprocessing as mp
            import numpy as np
            DATA = None
            def load(data):
                global DATA
                DATA = data
            def work(i):
                return float(DATA[i])
            if __name__ == "__main__":
                data = np.arange(10.0)
                with mp.Pool(2, initializer=load, initargs=(data,)) as pool:
                    print(pool.map(work, range(3)))
            """,
            versions={"python": "3.14"},
            note="the documented rewrite: initializer= runs in every worker",
        ),
        Valid(
            """
            import multiprocessing as mp
            import numpy as np
            DATA = None
            def work(i):
                return float(DATA[i])
            if __name__ == "__main__":
                DATA = np.arange(10.0)
                with mp.get_context("fork").Pool(2) as pool:
                    print(pool.map(work, range(3)))
            """,
            versions={"python": "3.14"},
            note="fork, said explicitly",
        ),
        Valid(
            """
            import multiprocessing as mp
            DATA = None
            def work(i):
                return DATA[i]
            if __name__ == "__main__":
                DATA = list(range(10))
                with mp.Pool(2) as pool:
                    print(pool.map(work, range(3)))
            """,
            versions={"python": "3.12"},
            note="the default start method on a Python before 3.14",
        ),
        Valid(
            """
            from multiprocessing.pool import ThreadPool
            DATA = None
            def work(i):
                return DATA[i]
            if __name__ == "__main__":
                DATA = list(range(10))
                with ThreadPool(2) as pool:
                    print(pool.map(work, range(3)))
            """,
            versions={"python": "3.14"},
            note="threads share the parent's globals",
        ),
        Valid(
            """
            from concurrent.futures import ProcessPoolExecutor
            SCALE = 3.0
            def work(x):
                return SCALE * x
            def main():
                with ProcessPoolExecutor() as ex:
                    return list(ex.map(work, range(3)))
            if __name__ == "__main__":
                main()
            """,
            versions={"python": "3.14"},
            note="a global every import of the module sets",
        ),
    )
    invalid = (
        Invalid(
            """
            import multiprocessing as mp

            import numpy as np

            DATA = None

            def work(i):
                return float(DATA[i])

            if __name__ == "__main__":
                DATA = np.arange(10.0)
                with mp.Pool(2) as pool:
                    print(pool.map(work, range(3)))
            """,
            lines=[8],
            versions={"python": "3.14"},
            message="sees `DATA = None`",
        ),
        Invalid(
            """
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            def work(x):
                return TABLE[x]

            def main():
                global TABLE
                TABLE = {i: i * i for i in range(1000)}
                ctx = mp.get_context("spawn")
                with ProcessPoolExecutor(mp_context=ctx) as ex:
                    return list(ex.map(work, range(10)))

            if __name__ == "__main__":
                main()
            """,
            lines=[5],
            message="NameError",
        ),
        Invalid(
            """
            from multiprocessing import Pool

            def run(paths):
                def load(path):
                    return open(path).read()
                with Pool() as pool:
                    return pool.map(load, paths) + pool.map(lambda p: p.upper(), paths)
            """,
            lines=[7, 7],
            message="cannot be pickled",
        ),
        Invalid(
            """
            import multiprocessing as mp

            if __name__ == "__main__":
                def child(path):
                    print(path)
                mp.set_start_method("forkserver")
                p = mp.Process(target=child, args=("a.txt",))
                p.start()
            """,
            lines=[7],
            message="__mp_main__",
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        model = self.ctx.model
        if not pools.handings(model):
            return
        from_314 = self.ctx.affected("python", pools.FORKSERVER_DEFAULT)
        for function, use in pools.handings(model):
            self._check_function(function, use, from_314)
        for func, uses in pools.workers(model).items():
            why = pools.fresh_start({u.start_method for u in uses}, from_314)
            if why is not None:
                self._check_globals(func, uses, why)

    # -- functions a fresh worker cannot get ------------------------------------------------
    def _check_function(self, function: cst.BaseExpression, use: pools.WorkerUse, from_314: bool) -> None:
        kind = self._unpicklable(function)
        if kind is None:
            return
        handed = self._handed(use)
        if kind != "main" and use.pool:
            self.report(function, (
                f"{self._spelled(function, kind)} is handed to {handed}, and cannot be pickled: "
                "a process pool pickles the function of every task, so this raises "
                "(`Can't pickle local object`) under every start method. Define it at the top "
                "level of a module."))
            return
        why = pools.fresh_start({use.start_method}, from_314)
        if why is None:
            return  # fork copies the parent: the function is there
        if kind == "main":
            what = (f"`{function.value}` is defined in the `if __name__ == \"__main__\":` block and "
                    f"handed to {handed}: under {why}, a worker imports the module afresh as "
                    "`__mp_main__`, where the block does not run, and cannot find it "
                    f"(`AttributeError: Can't get attribute '{function.value}'`)")
        else:
            what = (f"{self._spelled(function, kind)} is the target of {handed}: under {why} the "
                    f"target is pickled for the new process, and a "
                    f"{'lambda' if kind == 'lambda' else 'nested function'} cannot be pickled")
        self.report(function, f"{what}.{self._python(why)} Define it at the top level of a module.")

    def _unpicklable(self, function: cst.BaseExpression) -> str | None:
        """"lambda", "nested" (a def inside a function) or "main" (a def in the `__main__`
        block), or None."""
        model = self.ctx.model
        if isinstance(function, cst.Lambda):
            return "lambda"
        func = pools.defined(function, model)
        if func is None:
            return None
        outer = model.enclosing(func, (cst.FunctionDef, cst.ClassDef))
        if outer is not None:
            return "nested" if isinstance(outer, cst.FunctionDef) else None
        guards, _ = pools.parent_only(model)
        return "main" if any(anc is g for anc in model.ancestors(func) for g in guards) else None

    def _spelled(self, function: cst.BaseExpression, kind: str) -> str:
        if kind == "lambda":
            return "A lambda"
        return f"`{function.value}`, defined inside a function,"

    # -- globals only the parent sets --------------------------------------------------------
    def _check_globals(self, func: cst.FunctionDef, uses: list[pools.WorkerUse], why: str) -> None:
        model = self.ctx.model
        reported: set[str] = set()
        for name in model.references_within(func.body):
            if name.value in reported or not self._read(name):
                continue
            scope, bindings = model.lookup(name.value, name)
            if scope is not model.module_scope or not bindings:
                continue
            set_by_parent = [b for b in bindings if pools.in_parent_only(b.node, model) and b.kind != "global"]
            if not set_by_parent:
                continue
            seen = [b for b in bindings if not pools.in_parent_only(b.node, model)
                    and model.enclosing(b.node, cst.FunctionDef) is None]
            if any(b.kind in ("def", "class", "import") for b in seen):
                continue
            if any(model.enclosing(b.node, cst.FunctionDef) is not None and b not in set_by_parent
                   for b in bindings if b.kind != "global"):
                continue  # some other def sets it (an initializer, the worker itself)
            reported.add(name.value)
            self._report_global(name, func, uses[0], why, set_by_parent[0], seen)

    def _read(self, name: cst.Name) -> bool:
        parent = self.ctx.model.parent.get(name)
        if isinstance(parent, (cst.AssignTarget, cst.AugAssign)) and parent.target is name:
            return False
        return not (isinstance(parent, (cst.For, cst.CompFor)) and parent.target is name)

    def _report_global(self, name: cst.Name, func: cst.FunctionDef, use: pools.WorkerUse, why: str,
                       setter, seen) -> None:
        model = self.ctx.model
        where = ("the `if __name__ == \"__main__\":` block" if model.enclosing(setter.node, cst.FunctionDef) is None
                 else f"`{model.enclosing(setter.node, cst.FunctionDef).name.value}()`")
        if seen:
            value = seen[-1].value
            text = self.ctx.code_for(value).strip() if value is not None else "its module-level value"
            sees = f"sees `{name.value} = {one_line(text)}`"
        else:
            sees = f"has no `{name.value}` at all (NameError)"
        message = (
            f"`{func.name.value}` runs in worker processes ({self._handed(use)}) and reads the "
            f"global `{name.value}`, which only {where} sets. Under {why}, a worker imports "
            f"the module afresh as `__mp_main__`, where that code does not run: it {sees}."
            f"{self._python(why)} Pass the value as an argument or through `initializer=`/"
            "`initargs=`; if the program relies on fork, say so with "
            "`multiprocessing.get_context(\"fork\")`."
        )
        self.report(name, message)

    # -- words ---------------------------------------------------------------------------------
    def _python(self, why: str) -> str:
        """The project's Python, when the default start method of 3.14 is the reason."""
        if why != pools.DEFAULT_FROM_314:
            return ""
        return f" The project's Python: {self.ctx.version('python').describe()}."

    def _handed(self, use: pools.WorkerUse) -> str:
        call = use.call
        text = one_line(self.ctx.code_for(call.func).strip())
        return f"`{text}(...)`"
