"""Dependency rules of DESIGN.md §2: the engine imports no Qt; widgets never run models."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = {
    "engine": ("PySide6", "pyqtgraph", "superqt", "shiboken6", "app", "widgets", "cli"),
    "cli": ("PySide6", "pyqtgraph", "superqt", "shiboken6", "app", "widgets"),  # a front end beside app/
    "widgets": ("torch", "engine.service", "engine.renderer", "engine.models", "engine.checkpoints", "app"),
}


def imports_of(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_static_import_rules() -> None:
    bad = []
    for package, forbidden in RULES.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for name in imports_of(path):
                if any(name == f or name.startswith(f + ".") for f in forbidden):
                    bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, bad


def test_importing_every_engine_and_cli_module_loads_no_qt() -> None:
    code = (
        "import pkgutil, sys, importlib, engine, cli\n"
        "for pkg in (engine, cli):\n"
        "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'superqt', 'app', 'widgets')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)
