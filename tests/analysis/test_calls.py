"""memlint.analysis.calls: the helpers that read names back to the one place that binds them.

The name asked about is the argument of the last `use(...)` call.
"""

from __future__ import annotations

import textwrap

import libcst

from memlint.analysis.builder import build
from memlint.analysis.calls import context_calls, is_self_attribute, sole_binding, with_item, with_value


def _parse(src: str):
    module = libcst.parse_module(textwrap.dedent(src).lstrip("\n"))
    model, _ = build(module)
    uses: list[libcst.Call] = []

    class Uses(libcst.CSTVisitor):
        def visit_Call(self, node: libcst.Call) -> None:
            if isinstance(node.func, libcst.Name) and node.func.value == "use":
                uses.append(node)

    module.visit(Uses())
    assert uses, "the source must mark the name with use(...)"
    return module, model, uses[-1].args[0].value


def test_sole_binding_is_the_one_assignment_that_reaches():
    module, model, name = _parse(
        """
        x = 1
        x = load()
        use(x)
        """
    )
    b = sole_binding(name, model)
    assert b is not None and b.kind == "assign"
    assert module.code_for_node(b.value) == "load()"


def test_sole_binding_none_when_two_paths_bind_it():
    _, model, name = _parse(
        """
        if flag:
            x = 1
        else:
            x = 2
        use(x)
        """
    )
    assert sole_binding(name, model) is None


def test_sole_binding_none_when_unbound():
    _, model, name = _parse("use(x)\n")
    assert sole_binding(name, model) is None


def test_sole_binding_of_a_def():
    _, model, name = _parse(
        """
        def f():
            pass
        use(f)
        """
    )
    b = sole_binding(name, model)
    assert b is not None and b.kind == "def" and isinstance(b.node, libcst.FunctionDef)


def test_with_item_is_the_context_expression_of_its_as_name():
    module, model, name = _parse(
        """
        with open(a) as f, client_for(b) as c:
            use(c)
        """
    )
    assert module.code_for_node(with_item(name, model)) == "client_for(b)"


def test_with_item_none_when_rebound_after_the_with():
    _, model, name = _parse(
        """
        with open(a) as f:
            f = other()
            use(f)
        """
    )
    assert with_item(name, model) is None


def test_with_value_of_a_binding_not_made_by_with_is_none():
    _, model, name = _parse(
        """
        f = other()
        use(f)
        """
    )
    assert with_value(sole_binding(name, model)) is None


def test_is_self_attribute():
    def expr(code):
        return libcst.parse_expression(code)

    assert is_self_attribute(expr("self.table"))
    assert not is_self_attribute(expr("other.table"))
    assert not is_self_attribute(expr("self.model.table"))  # an attribute of an attribute
    assert not is_self_attribute(expr("self"))


def test_context_calls_innermost_first_with_qualified_names():
    module, model, name = _parse(
        """
        import joblib
        from dask import config
        with joblib.parallel_config(backend="threading"):
            with open(path) as f, config.set(scheduler="sync"):
                use(x)
        with other():
            pass
        """
    )
    found = [(module.code_for_node(call), q) for call, q in context_calls(name, model)]
    assert found == [
        ("open(path)", None),
        ('config.set(scheduler="sync")', "dask.config.set"),
        ('joblib.parallel_config(backend="threading")', "joblib.parallel_config"),
    ]
