"""The layer order of DESIGN.md section 1, enforced on every import (module level or
inside a function): core ``medialake`` -> ``warehouse``, ``connectors`` -> ``tasks`` ->
``flows`` -> the top (``dashboards``, ``playback``, the CLI). No import runs back up;
``warehouse`` and ``connectors`` do not import each other; connectors import neither
Prefect nor DuckDB, the warehouse not Prefect.

The CLI still lives in ``medialake/`` (``medialake.cli``, ``medialake.__main__`` and
``medialake.commands``) until it moves to a package of its own; it counts as the top
layer here. Imports within the top layer (the CLI borrowing from ``dashboards``) are not
checked: job control is not one package yet.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYERS = {
    "medialake": 0,
    "warehouse": 1,
    "connectors": 1,
    "tasks": 2,
    "flows": 3,
    "dashboards": 5,
    "playback": 5,
    "cli": 5,
}
CLI_MODULES = ("medialake.cli", "medialake.__main__", "medialake.commands")
FORBIDDEN = {"connectors": ("prefect", "duckdb"), "warehouse": ("prefect",)}


def layer_of(module: str) -> str | None:
    """The layer a dotted module name belongs to (None: not one of ours)."""
    if module in CLI_MODULES[:2] or module.startswith(CLI_MODULES[2]):
        return "cli"
    top = module.split(".")[0]
    return top if top in LAYERS else None


def imports(path: Path) -> list[tuple[int, str]]:
    """Every absolute import of a file: (line, module)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
    return found


def modules() -> list[tuple[str, Path]]:
    found = []
    for package in ("medialake", "warehouse", "connectors", "tasks", "flows",
                    "dashboards", "playback"):  # fmt: skip
        for path in sorted((REPO / package).rglob("*.py")):
            name = ".".join(path.relative_to(REPO).with_suffix("").parts)
            found.append((name.removesuffix(".__init__"), path))
    return found


def test_no_import_runs_against_the_layer_order() -> None:
    wrong = []
    for name, path in modules():
        here = layer_of(name)
        assert here is not None
        for line, target in imports(path):
            there = layer_of(target)
            if there is None or there == here:
                continue
            if LAYERS[there] > LAYERS[here] or (LAYERS[there] == LAYERS[here] == 1):
                wrong.append(f"{path.relative_to(REPO)}:{line} {name} -> {target}")
        for line, target in imports(path):
            top = target.split(".")[0]
            if top in FORBIDDEN.get(here, ()):
                wrong.append(f"{path.relative_to(REPO)}:{line} {name} -> {target}")
    assert wrong == []


def test_the_check_catches_an_import_back_up(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from flows.library_sync import library_sync\n")
    ((line, target),) = imports(bad)
    assert (line, layer_of(target), layer_of("tasks.context")) == (2, "flows", "tasks")
    assert LAYERS[layer_of(target) or ""] > LAYERS["tasks"]
