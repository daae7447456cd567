"""The layer order of DESIGN.md section 1, enforced on every import (module level or
inside a function): core ``medialake`` -> ``warehouse``, ``connectors`` -> ``tasks`` ->
``flows`` -> ``jobs`` (job control) -> ``dashboards``, ``playback`` -> ``cli``.

- No import runs back down the list (a lower layer importing a higher one);
  ``warehouse`` and ``connectors`` do not import each other.
- The CLI (the roof) is imported by nothing outside itself.
- No two modules import each other, directly or round a longer circle.
- Connectors import neither Prefect nor DuckDB, the warehouse not Prefect.
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
    "jobs": 4,
    "dashboards": 5,
    "playback": 5,
    "cli": 6,
}
APART = {"warehouse", "connectors"}  # the same floor, and strangers to each other
FORBIDDEN = {"connectors": ("prefect", "duckdb"), "warehouse": ("prefect",)}


def layer_of(module: str) -> str | None:
    """The layer a dotted module name belongs to (None: not one of ours)."""
    top = module.split(".")[0]
    return top if top in LAYERS else None


def imports(path: Path, typing: bool = True) -> list[tuple[int, str]]:
    """Every absolute import of a file: (line, module); ``from a import b`` gives
    ``a.b`` (the module, when ``b`` is one) and ``a``. ``typing=False`` leaves out
    the imports under ``if TYPE_CHECKING:``, which never run."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[ast.AST] = set()
    if not typing:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped.update(n for part in node.body for n in ast.walk(part))
    found = []
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def modules(root: Path = REPO) -> dict[str, Path]:
    """Every module of our packages by dotted name (a package by its own name)."""
    found = {}
    for package in LAYERS:
        for path in sorted((root / package).rglob("*.py")):
            name = ".".join(path.relative_to(root).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def wrong_imports(root: Path = REPO) -> list[str]:
    """Imports against the layer order, the roof rule or the forbidden libraries."""
    wrong = []
    for name, path in modules(root).items():
        here = layer_of(name)
        assert here is not None
        for line, target in imports(path):
            where = f"{path.relative_to(root)}:{line} {name} -> {target}"
            there = layer_of(target)
            if target.split(".")[0] in FORBIDDEN.get(here, ()):
                wrong.append(where)
            if there is None or there == here:
                continue
            if LAYERS[there] > LAYERS[here] or {here, there} == APART:
                wrong.append(where)
    return sorted(set(wrong))


def graph(root: Path = REPO) -> dict[str, set[str]]:
    """Which of our modules each of our modules imports when it runs."""
    known = modules(root)
    return {
        name: {t for _, t in imports(path, typing=False) if t in known} - {name}
        for name, path in known.items()
    }


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import circles: strongly connected groups of more than one module
    (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return sorted(found)


def test_no_import_runs_against_the_layer_order() -> None:
    assert wrong_imports() == []


def test_no_two_modules_import_each_other() -> None:
    assert circles(graph()) == []


def test_every_package_has_a_layer() -> None:
    ours = {
        path.parent.name
        for path in REPO.glob("*/__init__.py")
        if path.parent.name not in ("tests", "bench")
    }
    assert ours == set(LAYERS)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for package in LAYERS:
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_check_catches_an_import_back_up(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "tasks/bad.py": "def f():\n    from flows.sync import sync\n",
            "flows/sync.py": "import jobs.control\n",
            "warehouse/q.py": "from connectors import errors\n",
            "dashboards/page.py": "from cli.main import app\n",
            "connectors/c.py": "import duckdb\n",
            "jobs/control.py": "from flows import sync\n",
        },
    )
    assert wrong_imports(root) == [
        "connectors/c.py:1 connectors.c -> duckdb",
        "dashboards/page.py:1 dashboards.page -> cli.main",
        "dashboards/page.py:1 dashboards.page -> cli.main.app",
        "flows/sync.py:1 flows.sync -> jobs.control",
        "tasks/bad.py:2 tasks.bad -> flows.sync",
        "tasks/bad.py:2 tasks.bad -> flows.sync.sync",
        "warehouse/q.py:1 warehouse.q -> connectors",
        "warehouse/q.py:1 warehouse.q -> connectors.errors",
    ]


def test_the_check_catches_a_circle(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "jobs/control.py": (
                "import jobs.embedded\ndef f():\n    from jobs import on_prefect\n"
            ),
            "jobs/on_prefect.py": "from jobs.control import Started\n",
            "jobs/base.py": "import jobs.control\n",
            "jobs/embedded.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from jobs.base import x\n"
            ),
            "flows/a.py": "from flows import b\n",
            "flows/b.py": "from flows import c\n",
            "flows/c.py": "import flows.a\n",
        },
    )
    assert circles(graph(root)) == [
        ["flows.a", "flows.b", "flows.c"],
        ["jobs.control", "jobs.on_prefect"],
    ]
