"""Lazy package exports: `from pkg import Name` imports Name's module on first use.

`clockwork --help` imports every plugin's package; with lazy exports that costs
almost nothing until a resource class is actually needed (PEP 562 module __getattr__).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], list[str]]:
    """For a package `__init__`: `__getattr__, __all__ = lazy_exports(__name__, {...})`,
    mapping each exported name to the submodule (relative, e.g. ".resource") defining it."""

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(exports[name], package), name)

    return __getattr__, sorted(exports)
