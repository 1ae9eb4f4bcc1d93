"""Rule discovery: every module `memlint/rules/memNNN_*.py` holds one Rule subclass."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from memlint.engine.rule import Rule


@lru_cache(maxsize=None)
def all_rules() -> dict[str, type[Rule]]:
    """Code -> rule class, in code order. Importing the rule modules does not load libcst."""
    from memlint.engine import lazy

    lazy.install()
    import memlint.rules as package

    found: dict[str, type[Rule]] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if not info.name.startswith("mem"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value is not Rule
                and value.__module__ == module.__name__
            ):
                if value.code in found:
                    raise RuntimeError(f"rule code {value.code} is defined twice")
                found[value.code] = value
    return dict(sorted(found.items()))


def get_rule(code: str) -> type[Rule] | None:
    return all_rules().get(code.upper())
