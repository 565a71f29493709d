"""The engine stays pure: no Flask, no SQLAlchemy, nothing else from matchmaker."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "matchmaker" / "matching"
ALLOWED_THIRD_PARTY = {"numpy", "scipy", "sklearn"}


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(absolute top-level modules, sibling modules imported relatively) of one file."""
    absolute: set[str] = set()
    relative: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            absolute.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                relative.add((node.module or "").split(".")[0])
            else:
                absolute.add((node.module or "").split(".")[0])
    return absolute, relative


def test_only_stdlib_numpy_scipy_sklearn_and_siblings():
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) >= 10
    for path in files:
        absolute, _ = _imports(path)
        foreign = {m for m in absolute
                   if m not in sys.stdlib_module_names and m not in ALLOWED_THIRD_PARTY}
        assert not foreign, f"{path.name} imports {sorted(foreign)}"


def test_cli_path_does_not_need_scikit_learn():
    graph = {p.stem: _imports(p) for p in PACKAGE.glob("*.py")}
    seen, todo = set(), ["jsonio"]
    while todo:
        name = todo.pop()
        if name in seen or name not in graph:
            continue
        seen.add(name)
        assert "sklearn" not in graph[name][0], f"{name} (reached from jsonio) imports sklearn"
        todo.extend(graph[name][1])
    assert {"jsonio", "solver", "_lap", "_ssp", "types"} <= seen
