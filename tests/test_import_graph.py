"""The architecture's one rule about imports: they point one way.

`autodiff` ← `nn` ← `viz`: the engine imports neither of the others, `nn`
does not import `viz`, and no module imports another in a cycle — counting
imports written inside functions, which hide a cycle from Python but not
from a reader.  The graph is read from the source with `ast`, so nothing is
imported to check it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("autodiff", "nn", "viz")
# A package may import the packages before it in this order, never after.
RANK = {name: i for i, name in enumerate(PACKAGES)}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module name an ``ImportFrom`` reads from."""
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base.pop()  # a module's relative imports start at its package
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """(imported project module, line) for every import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(name, is_package, node)
            for alias in node.names:
                # `from pkg import submodule` imports the submodule itself
                sub = f"{source}.{alias.name}"
                targets.append(sub if sub in MODULES else source)
        for target in targets:
            # the longest project module that the dotted name starts with
            parts = target.split(".")
            while parts and ".".join(parts) not in MODULES:
                parts.pop()
            if parts:
                out.append((".".join(parts), node.lineno))
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def test_the_packages_are_found():
    assert {"autodiff", "nn", "viz", "autodiff.value", "nn.layers"} <= set(MODULES)
    assert any(target == "autodiff" for target, _ in GRAPH["nn.layers"])


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_one_way(name):
    own = RANK[name.split(".")[0]]
    upward = [
        f"{MODULES[name].relative_to(ROOT)}:{line} imports {target}"
        for target, line in GRAPH[name]
        if RANK[target.split(".")[0]] > own
    ]
    assert not upward, "autodiff <- nn <- viz is broken:\n" + "\n".join(upward)


def _cycles() -> list[list[str]]:
    """Every strongly connected component of more than one module, or a
    module importing itself (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components = []
    counter = 0
    for start in MODULES:
        if start in index:
            continue
        work = [(start, iter(sorted({t for t, _ in GRAPH[start]})))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted({t for t, _ in GRAPH[child]}))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    self_loop = any(t == node for t, _ in GRAPH[node])
                    if len(component) > 1 or self_loop:
                        components.append(sorted(component))
    return components


def test_no_import_cycle_even_inside_functions():
    cycles = _cycles()
    described = []
    for component in cycles:
        members = set(component)
        for name in component:
            for target, line in GRAPH[name]:
                if target in members:
                    described.append(f"  {MODULES[name].relative_to(ROOT)}:{line} -> {target}")
    assert not cycles, "import cycles:\n" + "\n".join(sorted(set(described)))


def test_the_cycle_finder_finds_a_cycle(monkeypatch):
    # The check above must be able to fail: a made-up back edge is caught.
    fake = {name: list(edges) for name, edges in GRAPH.items()}
    fake["autodiff.graph"] = fake["autodiff.graph"] + [("autodiff", 1)]
    monkeypatch.setitem(globals(), "GRAPH", fake)
    assert any("autodiff.graph" in c and "autodiff" in c for c in _cycles())
