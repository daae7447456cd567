"""Conformance factories: one module per registered server kind.

Each module defines ``KIND`` and two context managers:

- ``live_client(tmp_path, sample)`` yields a connected client whose library holds music
  (at least one album with tracks) - a real server started here, or a fake that behaves
  like the real one;
- ``unreachable_client(tmp_path)`` yields a client pointed at nothing that answers.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def factories() -> dict[str, ModuleType]:
    """Every factory module by the kind it builds."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        found[module.KIND] = module
    return found
