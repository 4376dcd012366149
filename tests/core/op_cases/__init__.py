"""Table-driven op cases, one module per op family. Each module defines ``CASES``."""

import importlib
import pkgutil

from .harness import Case, Const  # noqa: F401


def _modules():
    for mod in pkgutil.iter_modules(__path__):
        if mod.name != "harness":
            yield importlib.import_module(f"{__name__}.{mod.name}")


def all_cases() -> list:
    return [c for m in _modules() for c in m.CASES]


def covered_elsewhere() -> dict:
    """Ops whose behaviour is not an input->output function (placeholders, variables), mapped
    to the ``tests/core/<file>::<test>`` that covers them."""
    out = {}
    for m in _modules():
        out.update(getattr(m, "COVERED_BY", {}))
    return out
