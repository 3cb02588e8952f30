"""The layout's promises, checked on the source: Block Kit building depends on nothing else in
handlers, errors and replies sit above it, and no module imports another that imports it back."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LISTENER_PACKAGES = ("handlers.actions", "handlers.commands", "handlers.events", "handlers.modals", "handlers.options")


def _modules() -> dict[str, set[str]]:
    """Every module of handlers/ and the handlers modules it imports at module level."""
    found: dict[str, set[str]] = {}
    files = sorted((ROOT / "handlers").rglob("*.py"))
    names = {_name(path) for path in files}
    for path in files:
        imported: set[str] = set()
        for node in ast.parse(path.read_text()).body:  # module level only: what importing it runs
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "handlers":
                imported.add(node.module)
                imported |= {f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in names}
            elif isinstance(node, ast.Import):
                imported |= {a.name for a in node.names if a.name.split(".")[0] == "handlers"}
        found[_name(path)] = imported
    return found


def _name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _reaches(modules: dict[str, set[str]], start: str) -> set[str]:
    """What importing ``start`` imports, directly or not (parent packages run first, as Python does)."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            module = ".".join(parts[:depth])
            if module in modules and module not in seen:
                seen.add(module)
                todo.extend(modules[module])
    return seen - {start}


def test_block_kit_depends_on_nothing_else_in_handlers():
    modules = _modules()
    for name in (m for m in modules if m.startswith("handlers.blocks")):
        outside = {m for m in _reaches(modules, name) if not m.startswith("handlers.blocks") and m != "handlers"}
        assert not outside, f"{name} imports {sorted(outside)}"


def test_errors_and_replies_sit_above_the_blocks_and_below_the_listeners():
    modules = _modules()
    for name in ("handlers.errors", "handlers.replies"):
        reached = _reaches(modules, name)
        assert "handlers.blocks.messages" in reached or name == "handlers.errors"
        assert not {m for m in reached if m.startswith(LISTENER_PACKAGES)}, f"{name} imports a listener"
    assert "handlers.errors" not in _reaches(modules, "handlers.replies")


def test_no_module_imports_one_that_imports_it_back():
    modules = _modules()
    for name in modules:
        assert name not in _reaches(modules, name), f"{name} is part of an import cycle"


def test_importing_the_blocks_loads_no_listener():
    code = "import sys, handlers.blocks.messages, handlers.blocks.modals, handlers.blocks.home; " \
           "print(sorted(m for m in sys.modules if m.startswith('handlers')))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert all(name.startswith("'handlers.blocks") or name == "'handlers'" for name in loaded.strip("[]\n").split(", "))
