"""The shape of the tree: no import cycles, tests that mirror the source, a current module map."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import grimp

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "compat"
ARCHITECTURE = REPO / "docs" / "architecture.md"
# Test directories that cut across modules rather than mirror one.
CROSS_CUTTING = {"integration", "reliability", "browser", "support", "fixtures"}


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
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
                    cycles.append(sorted(group))
    return cycles


def compat_graph() -> grimp.ImportGraph:
    # Imports under `if TYPE_CHECKING:` and inside functions count: a cycle through them is
    # still two modules that cannot be understood apart.
    sys.path.insert(0, str(REPO / "src"))
    try:
        return grimp.build_graph("compat", cache_dir=None)
    finally:
        sys.path.remove(str(REPO / "src"))


def test_no_module_imports_itself_through_others():
    assert import_cycles(compat_graph()) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path, monkeypatch):
    package = tmp_path / "loop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from loop import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from loop import a\n"
    )
    (package / "c.py").write_text("from loop import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles(grimp.build_graph("loop", cache_dir=None)) == [["loop.a", "loop.b"]]


def test_the_test_tree_mirrors_the_source_tree():
    sources = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    tests = {
        p.name
        for p in (REPO / "tests").iterdir()
        if p.is_dir() and not p.name.startswith((".", "_"))
    }
    assert tests - CROSS_CUTTING <= sources, "each test package mirrors a source package"
    for package in sorted(sources & tests):
        modules = {p.stem for p in (SRC / package).iterdir() if p.suffix == ".py" or p.is_dir()}
        for test in (REPO / "tests" / package).glob("test_*.py"):
            # test_<module>.py; test_<module>_<aspect>.py for one side of a module; or
            # test_<family>.py for modules named <family>_<variant> (the caching TTLs).
            name = test.stem.removeprefix("test_")
            assert any(
                name == m or name.startswith(m + "_") or m.startswith(name + "_") for m in modules
            ), f"tests/{package}/{test.name} tests no module of src/compat/{package}/"


def test_the_architecture_names_every_module_once():
    text = ARCHITECTURE.read_text(encoding="utf-8")
    named = [
        name
        for name in re.findall(r"`((?:[a-z0-9_]+/)*[a-z0-9_]+\.py)`", text)
        if not name.startswith("tests/")
    ]
    modules = {str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if p.name != "__init__.py"}
    assert modules - set(named) == set(), "docs/architecture.md: modules missing"
    assert set(named) - modules == set(), "docs/architecture.md: names modules that do not exist"
    twice = sorted({name for name in named if named.count(name) > 1})
    assert twice == [], "docs/architecture.md: modules named more than once"
