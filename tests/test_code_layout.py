"""The shape of the code base: no import cycles in the package, no helpers imported from conftest."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "flask_aiconvos"


def module_imports() -> dict[str, set[str]]:
    """Each package module → the package modules it imports when it is imported.

    Imports under ``if TYPE_CHECKING:`` are left out: they never run.
    """
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        name = path.stem
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1 and node.module:
                    found.add(node.module.split(".")[0])
                elif node.level == 1:
                    found.update(alias.name for alias in node.names)
                elif node.module and node.module.startswith("flask_aiconvos."):
                    found.add(node.module.split(".")[1])
        graph[name] = found & {p.stem for p in PACKAGE.glob("*.py")}
    return graph


def test_the_package_has_no_import_cycles() -> None:
    graph = module_imports()
    visiting: list[str] = []
    done: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = visiting[visiting.index(name) :] + [name]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        visiting.append(name)
        for imported in sorted(graph[name]):
            visit(imported)
        visiting.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_no_module_imports_inside_a_function() -> None:
    """A lazy import to dodge a cycle means the shared piece belongs in a leaf module."""
    lazy = []
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom) and inner.level == 1:
                        lazy.append(f"{path.name}:{inner.lineno}")
    assert lazy == []


def test_the_read_side_does_not_import_the_write_side() -> None:
    graph = module_imports()
    for reader in (
        "queries",
        "list_request",
        "plans",
        "trends",
        "formatters",
        "exporting",
        "views",
    ):
        assert "recording" not in graph[reader], reader


def test_the_leaf_modules_import_nothing_of_the_package() -> None:
    graph = module_imports()
    for leaf in ("errors", "i18n", "state", "search_text"):
        assert graph[leaf] == set(), (leaf, graph[leaf])
    # The vocabulary's labels are translatable, and nothing else of the package is under it.
    assert graph["vocab"] == {"i18n"}, graph["vocab"]


def test_tests_import_nothing_from_conftest() -> None:
    offenders = []
    for path in (ROOT / "tests").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            if any(name.split(".")[-1] == "conftest" for name in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_docstrings_cite_nothing_outside_the_repository() -> None:
    outside = "PRODUCT" + ".md"  # the product brief is not part of the repository
    for path in [
        *PACKAGE.glob("*.py"),
        *(ROOT / "tests").rglob("*.py"),
        *(ROOT / "bench").glob("*.py"),
    ]:
        assert outside not in path.read_text(encoding="utf-8"), path
