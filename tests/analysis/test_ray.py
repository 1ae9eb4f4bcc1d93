"""Ray remote-function recognition and ObjectRef detection, through the semantic model."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest

from memlint.analysis import ray
from memlint.analysis.builder import build


def parse(src: str):
    module = cst.parse_module(textwrap.dedent(src).lstrip("\n"))
    model, _ = build(module)
    return module, model


def find(module: cst.Module, kind: type, name: str | None = None) -> list:
    found = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node):
            if isinstance(node, kind) and (name is None or node.name.value == name):
                found.append(node)
            return True

    module.visit(Collect())
    return found


def remote_names(src: str) -> dict[str, str]:
    """name -> form, for every function or class made remote."""
    module, model = parse(src)
    out = {}
    for defn in find(module, (cst.FunctionDef, cst.ClassDef)):
        info = ray.remote_def(defn, model)
        if info is not None:
            out[defn.name.value] = info.form
    return out


@pytest.mark.parametrize(
    "src, expected",
    [
        ("import ray\n@ray.remote\ndef f(): pass\n", {"f": ray.DECORATOR}),
        ("import ray\n@ray.remote(num_returns=2)\ndef f(): pass\n", {"f": ray.DECORATOR_CALL}),
        ("import ray as r\n@r.remote\ndef f(): pass\n", {"f": ray.DECORATOR}),
        ("from ray import remote\n@remote\ndef f(): pass\n", {"f": ray.DECORATOR}),
        ("from ray import remote as rr\n@rr(num_cpus=1)\ndef f(): pass\n", {"f": ray.DECORATOR_CALL}),
        ("import ray\ndef f(): pass\ng = ray.remote(f)\n", {"f": ray.CALL}),
        ("import ray\ndef f(): pass\nopts = {}\ng = ray.remote(**opts)(f)\n", {"f": ray.OPTIONS_CALL}),
        ("import ray\ndef f(): pass\nray.remote(num_cpus=0)(f).remote(1)\n", {"f": ray.OPTIONS_CALL}),
        ("import ray\n@ray.remote\nclass A:\n    def m(self): pass\n", {"A": ray.DECORATOR}),
        ("import ray\nclass A: pass\nH = ray.remote(num_gpus=1)(A)\n", {"A": ray.OPTIONS_CALL}),
        (
            "from ray.data._internal.remote_fn import cached_remote_fn\n"
            "def f(): pass\ng = cached_remote_fn(f)\n",
            {"f": ray.WRAPPER},
        ),
        ("import ray\ndef f(): pass\ndef g(): pass\nh = ray.remote(g)\n", {"g": ray.CALL}),
        ("import ray\nremote = ray.remote\n@remote\ndef f(): pass\n", {"f": ray.DECORATOR}),
        (
            "import ray\ndef outer():\n    @ray.remote(num_cpus=0)\n    def inner(): pass\n    return inner\n",
            {"inner": ray.DECORATOR_CALL},
        ),
        (
            "def outer():\n    import ray\n    def inner(): pass\n    return ray.remote(inner)\n",
            {"inner": ray.CALL},
        ),
    ],
)
def test_remote_forms(src, expected):
    assert remote_names(src) == expected


@pytest.mark.parametrize(
    "src",
    [
        "from mylib import remote\n@remote\ndef f(): pass\n",
        "import ray\ndef remote(f): return f\n@remote\ndef f(): pass\n",
        "import ray\n@ray.method(num_returns=2)\ndef f(): pass\n",
        "import ray\ndef f(): pass\nf(1)\nprint(f)\n",
        "def f(): pass\ng = ray.remote(f)\n",  # `ray` is never imported
        "import ray\ndef f(): pass\ng = ray.get(f)\n",
    ],
)
def test_not_remote(src):
    assert remote_names(src) == {}


def test_ray_stored_on_self_resolves():
    # autogluon keeps a lazily imported ray module on the instance.
    module, model = parse(
        """
        class Strategy:
            def __init__(self):
                import ray
                self.ray = ray

            def run(self, opts):
                def fit(x):
                    return x
                return self.ray.remote(**opts)(fit)
        """
    )
    (fit,) = find(module, cst.FunctionDef, "fit")
    info = ray.remote_def(fit, model)
    assert info is not None and info.form == ray.OPTIONS_CALL


def test_actor_methods_and_enclosing_remote():
    module, model = parse(
        """
        import ray

        @ray.remote
        class Actor:
            def step(self, x):
                def helper(y):
                    return y
                return helper(x)

        def plain(x):
            return x
        """
    )
    (step,) = find(module, cst.FunctionDef, "step")
    remote = ray.remote_function(step, model)
    assert remote is not None and remote.actor and remote.label == "actor method `Actor.step`"
    returns = find(module, cst.Return)
    labels = []
    for ret in returns:
        found = ray.enclosing_remote(ret, model)
        labels.append(found.label if found else None)
    # The helper's return is its own, not the actor method's; `plain` is not remote.
    assert labels == [None, "actor method `Actor.step`", None]
    # At any depth, the helper still runs in the worker.
    assert ray.runs_remotely(returns[0], model) is not None
    assert ray.runs_remotely(returns[2], model) is None


def test_dunders_and_self_called_helpers_are_not_actor_tasks():
    module, model = parse(
        """
        import ray

        @ray.remote
        class Actor:
            def __init__(self):
                self.items = []

            def _collect(self):
                return [x for x in self.items]

            def run(self):
                return len(self._collect())
        """
    )
    found = {f.name.value: ray.remote_function(f, model) is not None for f in find(module, cst.FunctionDef)}
    assert found == {"__init__": False, "_collect": False, "run": True}


def test_decorator_is_not_inside_the_function():
    module, model = parse(
        """
        import ray
        OPTS = {"num_cpus": 1}

        @ray.remote(**OPTS)
        def f():
            return OPTS
        """
    )
    uses = [n for n in model.names["OPTS"]][1:]
    assert [ray.runs_remotely(n, model) is not None for n in uses] == [False, True]


def test_is_generator_ignores_nested_scopes():
    module, model = parse(
        """
        def gen():
            yield 1

        def not_gen():
            def inner():
                yield 1
            return list(inner())
        """
    )
    gen, not_gen, inner = find(module, cst.FunctionDef)
    assert ray.is_generator(gen) and not ray.is_generator(not_gen) and ray.is_generator(inner)


def test_object_refs():
    module, model = parse(
        """
        import ray
        from ray import put as p
        from modin.core.execution.ray.common import RayWrapper
        a = ray.put(1)
        b = p(2)
        c = f.remote(a)
        d = f.options(num_returns=2).remote(a)
        e = RayWrapper.put(3)
        g = ray.get(a)
        h = [1, 2]
        if cond:
            h = ray.put(h)
        use(a, b, c, d, e, g, h)
        """
    )
    call = find(module, cst.Call)[-1]
    assert [ray.is_object_ref(arg.value, model) for arg in call.args] == [
        True, True, True, True, True, False, True,
    ]


def test_put_spelling():
    _, model = parse("import ray as r\nx = 1\n")
    assert ray.put_spelling(model, model.module.body[1]) == ("r.put", None)
    _, model = parse("from ray import put\nx = 1\n")
    assert ray.put_spelling(model, model.module.body[1]) == ("put", None)
    _, model = parse("from ray import remote\nx = 1\n")
    assert ray.put_spelling(model, model.module.body[1]) == ("ray.put", "import ray")
    _, model = parse("from ray import remote\nray = object()\nx = 1\n")
    assert ray.put_spelling(model, model.module.body[2]) is None
    module, model = parse("def f():\n    import ray\n    x = 1\n")
    (assign,) = find(module, cst.Assign)
    assert ray.put_spelling(model, assign) == ("ray.put", None)


def test_uses_ray():
    assert ray.uses_ray(parse("import ray.util\n")[1])
    assert ray.uses_ray(parse("from ray import remote\n")[1])
    assert not ray.uses_ray(parse("import rayon\n")[1])


def test_inside_and_uses_within():
    module, model = parse(
        """
        def f():
            out = []
            for x in xs:
                out.append(x)
            return out

        def g():
            out = []
            return out
        """
    )
    f, g = find(module, cst.FunctionDef)
    (loop,) = find(module, cst.For)
    names = model.names["out"]
    assert [ray.inside(n, f, model) for n in names] == [True, True, True, False, False]
    assert [ray.inside(n, loop, model) for n in names] == [False, True, False, False, False]
    assert not ray.inside(f, f, model)
    assert ray.names_within("out", g, model) == names[3:]
    binding = model.scope(f.body.body[0]).bindings["out"][0]
    assert ray.uses_within(binding, f, model) == [names[1], names[2]] == model.uses_of(binding)
