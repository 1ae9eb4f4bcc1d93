"""Load libcst lazily: `import libcst as cst` in a rule module costs nothing until a file
is actually parsed, so a run over files that cannot match never pays libcst's import
(about 170 ms).

importlib's LazyLoader is not enough: on Python 3.11 the import statement itself reads
the module's `__spec__`, which makes a LazyLoader module load at once. The stand-in below
carries a real `__spec__` and loads libcst on the first other attribute it is asked for.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types


class _LazyModule(types.ModuleType):
    """Stands in for a module in sys.modules until one of its attributes is used."""

    def __getattr__(self, name: str):
        # Only called for attributes the stand-in does not have yet.
        real = _load(self)
        value = getattr(real, name)
        # Copy what the real module has now; later submodule imports (libcst.metadata)
        # land on the real module and come through here once.
        self.__dict__.update(real.__dict__)
        return value


def _load(stub: _LazyModule) -> types.ModuleType:
    name = stub.__name__
    current = sys.modules.get(name)
    if current is not None and current is not stub:
        return current
    del sys.modules[name]
    try:
        real = importlib.import_module(name)
    except BaseException:
        sys.modules[name] = stub
        raise
    return real


def install(name: str = "libcst") -> None:
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:  # pragma: no cover - libcst is a dependency
        return
    stub = _LazyModule(name)
    # `__path__` is left out on purpose: importing a submodule asks for it, which loads
    # the real package first.
    stub.__spec__ = spec
    sys.modules[name] = stub


def is_loaded(name: str = "libcst") -> bool:
    """Whether the real module has been imported (a stand-in does not count)."""
    return name in sys.modules and not isinstance(sys.modules[name], _LazyModule)
