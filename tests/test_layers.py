"""The import graph of the package: no cycle, and no layer imports a higher one.

An AST walk over ``src/migbench`` (every import, lazy ones inside functions included), so the
check needs nothing installed and cannot be fooled by what happens to be imported already.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "migbench"

#: The layers, lowest first: a module may import its own layer and the ones before it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "foundation",
        (
            "migbench.errors",
            "migbench.version",
            "migbench.schema",
            "migbench.jsonio",
            "migbench.fileio",
            "migbench.gcpause",
            "migbench.markdown",
            "migbench.protocols",
            "migbench.citation",
            "migbench.licensing",
        ),
    ),
    ("scoring", ("migbench.scoring",)),
    ("systems", ("migbench.crossval", "migbench.harness", "migbench.leaderboard")),
    ("corpus", ("migbench.corpus",)),
    ("annotation", ("migbench.annotation",)),
    ("labelstudio", ("migbench.labelstudio",)),
    ("docs", ("migbench.docs",)),
    ("dataset", ("migbench.dataset",)),
    ("models", ("migbench.models",)),
    ("predict", ("migbench.predict",)),
    ("cli", ("migbench.cli", "migbench.__main__")),
    ("api", ("migbench",)),
)


def modules() -> dict[str, Path]:
    """Return every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("migbench", *path.relative_to(PACKAGE).with_suffix("").parts)
        found[".".join(parts).removesuffix(".__init__")] = path
    return found


def imports(path: Path, known: set[str]) -> set[str]:
    """Return the package's modules that a file imports, wherever in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from migbench import jsonio`` imports the module jsonio, not a name of migbench.
            submodules = {f"{node.module}.{alias.name}" for alias in node.names}
            found |= submodules & known or {node.module}
            if submodules - known:
                found.add(node.module)
    return {name for name in found if name in known}


def layer_of(module: str) -> int:
    """Return the index in :data:`LAYERS` of the most specific layer that holds ``module``."""
    best, best_length = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer; add it to LAYERS")
    return best


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(path, set(found)) - {name} for name, path in found.items()}


@pytest.mark.integration
def test_every_module_has_a_layer(graph):
    for module in graph:
        layer_of(module)


def test_no_module_imports_a_higher_layer(graph):
    upward = [
        f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
        for module, targets in sorted(graph.items())
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert upward == []


def test_the_import_graph_has_no_cycle(graph):
    assert cycles(graph) == []


#: What importing the dataset build must not load: the baselines (the build is their input, not
#: their user) and the libraries that only drawing, assigning new splits or a server need.
NOT_IMPORTED_BY_THE_BUILD = ("baselines", "matplotlib", "sklearn", "label_studio_sdk.client")


@pytest.mark.integration
def test_importing_the_dataset_build_loads_no_baseline_and_no_library_it_does_not_need():
    code = (
        "import sys, migbench.dataset.build, migbench.cli; "
        f"print(sorted({{m.split('.')[0] for m in sys.modules if m.startswith("
        f"{NOT_IMPORTED_BY_THE_BUILD!r})}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PACKAGE.parent.parent, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checks_find_a_cycle_and_an_upward_import():
    # The checks themselves must be able to fail.
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
    assert layer_of("migbench.scoring.gold") < layer_of("migbench.cli.options")
    assert layer_of("migbench.annotation.store") < layer_of("migbench.labelstudio.export")
