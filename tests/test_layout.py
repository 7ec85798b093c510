"""The package's layers stay honest: each layer imports only from the layers below it.

From the bottom up: ``sim.config`` (everything about a config), ``sim.model``
(the world, its agents and submodels), ``sim.runs`` (running configs and
keeping their results), then the top: ``sim.plots``, ``sim.commands``,
``sim.app`` and the ``experiments`` package. A module may import from its
own layer and the layers below, never from a layer above, and the import
graph between modules has no cycles. Imports made only for type hints
(under ``if TYPE_CHECKING:``) are allowed anywhere, since they never run.

The check reads the source (AST), so it also sees imports inside functions,
which a runtime check would miss.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Rank of each layer: a module may import from layers of equal or lower rank.
LAYERS = {
    "sim.config": 0,
    "sim.model": 1,
    "sim.runs": 2,
    "sim.plots": 3,
    "sim.commands": 4,
    "sim.app": 4,
    "experiments": 4,
}


def layer_of(module: str) -> str | None:
    """The layer a dotted module name belongs to (the longest matching prefix)."""
    matches = [name for name in LAYERS if module == name or module.startswith(name + ".")]
    return max(matches, key=len) if matches else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def source_files() -> list[Path]:
    return sorted([*(ROOT / "sim").rglob("*.py"), *(ROOT / "experiments").rglob("*.py")])


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def runtime_imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) of every import that can run, resolved to absolute names.

    ``from sim.model import workers`` counts as importing ``sim.model.workers``
    when that is a module, else ``sim.model``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in child.names:
                    candidate = f"{base}.{alias.name}"
                    is_module = (ROOT / Path(*candidate.split("."))).with_suffix(".py").is_file() or (
                        ROOT / Path(*candidate.split(".")) / "__init__.py").is_file()
                    found.append((child.lineno, candidate if is_module else base))
            visit(child)

    visit(tree)
    return found


def project_imports(path: Path) -> list[tuple[int, str]]:
    return [(line, name) for line, name in runtime_imports(path)
            if name == "sim" or name.startswith(("sim.", "experiments"))]


@pytest.mark.parametrize("path", source_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_from_a_layer_above_its_own(path):
    here = module_name(path)
    rank = LAYERS.get(layer_of(here) or "", None)
    if rank is None:
        return  # sim/__init__.py, the public API, sits above everything
    wrong = [f"line {line}: {name}" for line, name in project_imports(path)
             if layer_of(name) is not None and LAYERS[layer_of(name)] > rank]
    assert not wrong, f"{here} (layer {layer_of(here)}) imports from a layer above it: {wrong}"


def test_the_model_core_imports_only_the_config_and_itself():
    """The sharpest rule, stated on its own: sim.model never reaches the run machinery, commands, plots or app."""
    offenders = []
    for path in (ROOT / "sim" / "model").rglob("*.py"):
        for line, name in project_imports(path):
            if not (name.startswith(("sim.model", "sim.config"))):
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not offenders, offenders


def test_no_import_cycles_between_modules():
    graph: dict[str, set[str]] = {}
    for path in source_files():
        here = module_name(path)
        graph[here] = {name for _, name in project_imports(path) if name != here}
    # a package's __init__ re-exporting its own modules is not a cycle of design: drop edges
    # from a package to its children
    for here, targets in graph.items():
        graph[here] = {t for t in targets if not t.startswith(here + ".")}
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in graph:
                continue
            if state.get(target) == 1:
                return stack[stack.index(target):] + [target]
            if state.get(target) is None:
                found = walk(target)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None:
            found = walk(node)
            if found:
                return found
    return None


# --------------------------------------------------------------------------- the checker itself


def test_the_checker_sees_imports_inside_functions_and_skips_type_hints(tmp_path, monkeypatch):
    """A check that cannot fail is no check: a planted upward import is found."""
    module = ROOT / "sim" / "model" / "_planted_for_test.py"
    module.write_text("from typing import TYPE_CHECKING\n"
                      "if TYPE_CHECKING:\n    from sim.runs import store\n"
                      "def f():\n    from sim.commands import run\n")
    try:
        names = [name for _, name in project_imports(module)]
        assert "sim.commands.run" in names
        assert "sim.runs.store" not in names
        with pytest.raises(AssertionError, match="sim.commands.run"):
            test_no_module_imports_from_a_layer_above_its_own(module)
    finally:
        module.unlink()


def test_the_cycle_finder_finds_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None
