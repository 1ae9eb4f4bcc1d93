"""The semantic model: names resolved through imports, and the values a name may hold.

Each source marks what is asked about with `use(...)`: the argument of the last `use` call
is resolved (`qualified`) or followed to its values (`origins`).
"""

from __future__ import annotations

import textwrap

import libcst
import pytest

from memlint.analysis.builder import build


def _parse(src: str):
    module = libcst.parse_module(textwrap.dedent(src).lstrip("\n"))
    model, _ = build(module)
    uses: list[libcst.Call] = []

    class Uses(libcst.CSTVisitor):
        def visit_Call(self, node: libcst.Call) -> None:
            if isinstance(node.func, libcst.Name) and node.func.value == "use":
                uses.append(node)

    module.visit(Uses())
    assert uses, "the source must mark the expression with use(...)"
    return module, model, uses[-1].args[0].value


def qualified(src: str) -> str | None:
    _, model, expr = _parse(src)
    return model.qualified_name(expr)


def origins(src: str) -> list[tuple[str, bool]]:
    """(source of each value the marked expression may have, whether it is certain)."""
    module, model, expr = _parse(src)
    return sorted((module.code_for_node(o.expr), o.certain) for o in model.origins(expr))


# -- names resolved through imports ---------------------------------------------------------


@pytest.mark.parametrize(
    "src, expected",
    [
        ("import numpy as np\nuse(np.memmap)", "numpy.memmap"),
        ("import numpy\nuse(numpy.memmap)", "numpy.memmap"),
        ("import numpy as N\nuse(N.memmap)", "numpy.memmap"),
        ("from numpy import memmap\nuse(memmap)", "numpy.memmap"),
        ("from numpy import memmap as mm\nuse(mm)", "numpy.memmap"),
        ("import dask.array as da\nuse(da.from_array)", "dask.array.from_array"),
        ("import dask.array as dsa\nuse(dsa.from_array)", "dask.array.from_array"),
        ("from dask import array as da\nuse(da.from_array)", "dask.array.from_array"),
        ("from dask.array import from_array\nuse(from_array)", "dask.array.from_array"),
        ("import dask\nuse(dask.array.from_array)", "dask.array.from_array"),
        ("import dask.array\nuse(dask.array.from_array)", "dask.array.from_array"),
        ("import joblib\nuse(joblib.Parallel)", "joblib.Parallel"),
        ("from joblib import Parallel, delayed\nuse(delayed)", "joblib.delayed"),
        ("from sklearn.utils.parallel import Parallel\nuse(Parallel)", "sklearn.utils.parallel.Parallel"),
        ("from ray import remote\nuse(remote)", "ray.remote"),
        ("import ray\nuse(ray.remote)", "ray.remote"),
        ("import numpy.lib.format as fmt\nuse(fmt.open_memmap)", "numpy.lib.format.open_memmap"),
        ("from numpy.lib.format import open_memmap\nuse(open_memmap)", "numpy.lib.format.open_memmap"),
        ("import numpy as np\nuse(np.lib.format.open_memmap)", "numpy.lib.format.open_memmap"),
        ("import joblib\nP = joblib.Parallel\nuse(P)", "joblib.Parallel"),
    ],
    ids=lambda v: v if isinstance(v, str) and "\n" not in v else None,
)
def test_import_spellings_resolve(src: str, expected: str) -> None:
    assert qualified(src) == expected


def test_last_attribute_spelling_alone_resolves_nothing() -> None:
    # `memmap` is not numpy's unless an import says so.
    assert qualified("use(memmap)") is None
    assert qualified("use(np.memmap)") is None
    assert qualified("import mylib as np\nuse(np.memmap)") == "mylib.memmap"
    assert qualified("from .io import memmap\nuse(memmap)") is None  # the project's own module


def test_function_level_import() -> None:
    src = """
    def load(path):
        import numpy as np
        return use(np.memmap)
    """
    assert qualified(src) == "numpy.memmap"


def test_function_level_import_is_not_visible_at_module_level() -> None:
    src = """
    def load(path):
        import numpy as np
    use(np.memmap)
    """
    assert qualified(src) is None


def test_module_import_is_visible_in_functions_and_methods() -> None:
    src = """
    import numpy as np
    class Reader:
        def read(self):
            return use(np.memmap)
    """
    assert qualified(src) == "numpy.memmap"


def test_class_body_names_are_not_visible_in_methods() -> None:
    src = """
    import numpy as np
    class Reader:
        np = None
        def read(self):
            return use(np.memmap)
    """
    assert qualified(src) == "numpy.memmap"


def test_shadowing_by_local_assignment() -> None:
    src = """
    import numpy as np
    np = FakeNumpy()
    use(np.memmap)
    """
    assert qualified(src) is None


def test_shadowing_by_assignment_inside_function() -> None:
    src = """
    import numpy as np
    def f():
        np = FakeNumpy()
        return use(np.memmap)
    """
    assert qualified(src) is None


def test_shadowing_by_parameter() -> None:
    src = """
    import numpy as np
    def f(np):
        return use(np.memmap)
    """
    assert qualified(src) is None


def test_shadowing_by_lambda_parameter_and_comprehension_variable() -> None:
    assert qualified("import numpy as np\nf = lambda np: use(np.memmap)") is None
    assert qualified("import numpy as np\n[use(np.memmap) for np in mods]") is None


def test_optional_import_with_none_fallback_still_resolves() -> None:
    src = """
    try:
        import numpy as np
    except ImportError:
        np = None
    use(np.memmap)
    """
    assert qualified(src) == "numpy.memmap"


def test_two_different_imports_on_two_paths_resolve_to_nothing() -> None:
    src = """
    try:
        import numpy as xp
    except ImportError:
        import cupy as xp
    use(xp.memmap)
    """
    assert qualified(src) is None


def test_global_import_inside_function_binds_at_module_level() -> None:
    src = """
    def setup():
        global np
        import numpy as np
    use(np.memmap)
    """
    assert qualified(src) == "numpy.memmap"


# -- value origins -----------------------------------------------------------------------


def test_same_module_scope() -> None:
    assert origins("x = a()\nuse(x)") == [("a()", True)]


def test_same_function_scope() -> None:
    src = """
    x = outer()
    def f():
        x = a()
        use(x)
    """
    assert origins(src) == [("a()", True)]


def test_through_several_names() -> None:
    assert origins("y = a()\nx = y\nuse(x)") == [("a()", True)]


def test_chained_calls_are_one_value() -> None:
    assert origins("x = a().squeeze().reshape(3, 4).T\nuse(x)") == [("a().squeeze().reshape(3, 4).T", True)]


def test_parentheses_spanning_lines() -> None:
    src = """
    x = (
        a(1,
          2)
        .reshape(3, 4)
    )
    use(x)
    """
    found = origins(src)
    assert len(found) == 1 and found[0][1] is True
    assert found[0][0].startswith("(") and ".reshape(3, 4)" in found[0][0]


def test_rebinding_keeps_only_the_newest() -> None:
    assert origins("x = a()\nx = b()\nuse(x)") == [("b()", True)]


def test_binding_after_the_use_is_ignored() -> None:
    assert origins("x = a()\nuse(x)\nx = b()") == [("a()", True)]


def test_if_without_else_may_keep_the_older_value() -> None:
    src = """
    x = a()
    if cond:
        x = b()
    use(x)
    """
    assert origins(src) == [("a()", False), ("b()", False)]


def test_if_elif_without_else() -> None:
    src = """
    x = a()
    if c1:
        x = b()
    elif c2:
        x = c()
    use(x)
    """
    assert origins(src) == [("a()", False), ("b()", False), ("c()", False)]


def test_if_else_where_every_branch_rebinds_hides_the_older_binding() -> None:
    src = """
    x = a()
    if c1:
        x = b()
    elif c2:
        x = c()
    else:
        x = d()
    use(x)
    """
    assert origins(src) == [("b()", False), ("c()", False), ("d()", False)]


def test_rebinding_nested_deeper_in_a_branch_does_not_cover_it() -> None:
    src = """
    x = a()
    if c1:
        x = b()
    else:
        if c2:
            x = c()
    use(x)
    """
    assert origins(src) == [("a()", False), ("b()", False), ("c()", False)]


def test_use_inside_the_branch_that_rebinds_is_certain() -> None:
    src = """
    x = a()
    if cond:
        x = b()
        use(x)
    """
    assert origins(src) == [("b()", True)]


def test_binding_in_another_branch_of_the_same_if_cannot_reach() -> None:
    src = """
    x = a()
    if cond:
        x = b()
    else:
        use(x)
    """
    assert origins(src) == [("a()", True)]


def test_binding_in_another_branch_reaches_through_a_loop() -> None:
    src = """
    x = a()
    for i in items:
        if i:
            x = b()
        else:
            use(x)
    """
    assert origins(src) == [("a()", False), ("b()", False)]


def test_try_except_both_paths() -> None:
    src = """
    try:
        x = a()
    except ValueError:
        x = b()
    use(x)
    """
    assert origins(src) == [("a()", False), ("b()", False)]


def test_try_except_hides_the_older_binding_when_both_rebind() -> None:
    src = """
    x = z()
    try:
        x = a()
    except ValueError:
        x = b()
    use(x)
    """
    assert origins(src) == [("a()", False), ("b()", False)]


def test_try_except_that_does_not_rebind_keeps_the_older_value() -> None:
    src = """
    x = z()
    try:
        x = a()
    except ValueError:
        pass
    use(x)
    """
    assert origins(src) == [("a()", False), ("z()", False)]


def test_try_finally_binding_is_certain() -> None:
    # Without a handler, an exception in the body never reaches the use.
    src = """
    x = z()
    try:
        x = a()
    finally:
        cleanup()
    use(x)
    """
    assert origins(src) == [("a()", True)]


def test_loop_body_may_or_may_not_run() -> None:
    src = """
    x = a()
    for i in range(n):
        x = b()
    use(x)
    """
    assert origins(src) == [("a()", False), ("b()", False)]
    src_while = """
    x = a()
    while more():
        x = b()
    use(x)
    """
    assert origins(src_while) == [("a()", False), ("b()", False)]


def test_comprehension_variable_over_a_literal_list() -> None:
    assert origins("[use(x) for x in [a(), b()]]") == [("a()", False), ("b()", False)]


def test_for_variable_over_a_literal_tuple() -> None:
    src = """
    for x in (a(), b()):
        use(x)
    """
    assert origins(src) == [("a()", False), ("b()", False)]


def test_loop_variable_over_anything_else_is_unknown() -> None:
    assert origins("for x in items():\n    use(x)") == []


def test_parameters_are_unknown() -> None:
    assert origins("def f(x):\n    use(x)") == []


def test_conditional_expression_gives_both_values_uncertain() -> None:
    assert origins("x = a() if lazy else b()\nuse(x)") == [("a()", False), ("b()", False)]


def test_walrus_and_annotated_assignment() -> None:
    assert origins("if (x := a()):\n    use(x)") == [("a()", True)]
    assert origins("x: Array = a()\nuse(x)") == [("a()", True)]


def test_unpacking_and_augmented_assignment_are_unknown() -> None:
    assert origins("x, y = a()\nuse(x)") == []
    assert origins("x = a()\nx += 1\nuse(x)") == []


def test_name_used_in_a_nested_function() -> None:
    src = """
    def outer():
        x = a()
        def inner():
            return use(x)
        return inner
    """
    assert origins(src) == [("a()", True)]


def test_name_used_in_a_lambda_and_a_comprehension() -> None:
    assert origins("x = a()\nf = lambda: use(x)") == [("a()", True)]
    assert origins("x = a()\n[use(x) for i in range(3)]") == [("a()", True)]


def test_module_name_used_in_a_function_sees_its_final_binding() -> None:
    # A module-level function runs after the module has finished binding its names.
    src = """
    x = a()
    def f():
        return use(x)
    x = b()
    """
    assert origins(src) == [("b()", True)]


def test_name_rebound_to_a_non_memmap_before_use() -> None:
    src = """
    x = np.memmap("f")
    x = np.array(x)
    use(x)
    """
    assert origins(src) == [("np.array(x)", True)]


def test_self_attribute_assigned_in_another_method() -> None:
    src = """
    class Reader:
        def __init__(self, path):
            self._data = np.memmap(path)
        def block(self):
            return use(self._data)
    """
    assert origins(src) == [('np.memmap(path)', True)]


def test_self_attribute_assigned_in_two_methods_is_uncertain() -> None:
    src = """
    class Reader:
        def __init__(self, path):
            self._data = a()
        def reset(self):
            self._data = b()
        def block(self):
            return use(self._data)
    """
    assert origins(src) == [("a()", False), ("b()", False)]


def test_self_attribute_of_another_class_is_not_followed() -> None:
    src = """
    class Writer:
        def __init__(self):
            self._data = a()
    class Reader:
        def block(self):
            return use(self._data)
    """
    assert origins(src) == []


def test_self_attribute_through_a_local_name() -> None:
    src = """
    class Reader:
        def __init__(self, path):
            self.X = np.memmap(path).reshape(shape)
        def block(self):
            data = self.X
            return use(data)
    """
    assert origins(src) == [("np.memmap(path).reshape(shape)", True)]


def test_helpers_ancestors_enclosing_in_loop() -> None:
    module = libcst.parse_module("def f():\n    for i in r:\n        g(i)\n")
    model, _ = build(module)
    call = module.body[0].body.body[0].body.body[0].body[0].value
    assert isinstance(call, libcst.Call)
    assert isinstance(model.in_loop(call), libcst.For)
    assert model.enclosing(call, libcst.FunctionDef) is module.body[0]
    assert module in list(model.ancestors(call))


def test_literal_constants_are_their_own_origin() -> None:
    assert origins("mode = None\nuse(mode)") == [("None", True)]
