"""The dependency contract of DESIGN.md §2, in one place: the engine and the command line import no Qt; widgets
never run models; the app reaches the engine only through its thread-safe seams (and runs engine work only in
its job modules)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QT = ("PySide6", "pyqtgraph", "shiboken6")

# package -> modules it must never import (anywhere in its files, TYPE_CHECKING blocks included)
FORBIDDEN = {
    "engine": (*QT, "app", "widgets", "cli"),
    "cli": (*QT, "app", "widgets"),  # a front end beside app/
    "widgets": ("torch", "app"),
    "app": ("torch",),
}
# package -> the only engine modules its code may import at run time (None: any)
ENGINE_SEAMS: dict[str, set[str]] = {
    "widgets": {"engine.types", "engine.formats"},  # frozen values and the format table: pure data
    "app": {"engine.types", "engine.service", "engine.coords", "engine.styles", "engine.serialize",
            "engine.recipes", "engine.image_writers",  # recipes and saved PNGs: on the GUI thread
            "engine.latents",  # latent files: numpy only, read and written on the GUI thread
            "engine.formats",  # the export format table
            "engine.cluster"},  # a scheduler address checked before an export starts (Dask not imported)
}
# job modules hold the functions that run on the engine thread (through RenderService.submit); only they
# may call the engine's export, video and analysis functions
JOB_MODULES = {"export_jobs.py", "analysis_jobs.py"}
JOB_ENGINE_MODULES = {"engine.export", "engine.video", "engine.analysis", "engine.analysis_jobs", "engine.renderer",
                      "engine.superres",
                      "engine.foveation", "engine.panorama"}


def imports_of(path: Path, runtime_only: bool = False) -> set[str]:
    """Absolute modules a file imports; ``runtime_only`` skips ``if TYPE_CHECKING:`` blocks."""
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if runtime_only and isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                out.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                out.add(child.module)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return out


def _under(name: str, prefixes: tuple[str, ...] | set[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_static_contract() -> None:
    bad = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            bad += [f"{rel} imports {m}" for m in sorted(imports_of(path)) if _under(m, forbidden)]
            seams = ENGINE_SEAMS.get(package)
            if seams is None:
                continue
            allowed = seams | (JOB_ENGINE_MODULES if package == "app" and path.name in JOB_MODULES else set())
            bad += [f"{rel} imports {m} (not an engine seam for {package}/)"
                    for m in sorted(imports_of(path, runtime_only=True))
                    if (m == "engine" or m.startswith("engine.")) and m not in allowed]
    assert not bad, bad


def _run(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)


def test_importing_every_engine_and_cli_module_loads_no_qt() -> None:
    _run("import pkgutil, sys, importlib, engine, cli\n"
         "for pkg in (engine, cli):\n"
         "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
         "        importlib.import_module(m.name)\n"
         f"bad = [m for m in sys.modules if m.split('.')[0] in {(*QT, 'app', 'widgets')!r}]\n"
         "assert not bad, bad\n")


def test_importing_every_widget_loads_no_torch_engine_runtime_or_app() -> None:
    _run("import sys, importlib, pkgutil, widgets\n"
         "for m in pkgutil.iter_modules(widgets.__path__): importlib.import_module('widgets.' + m.name)\n"
         "bad = [m for m in sys.modules if m == 'torch' or m.startswith(('engine.service', 'engine.renderer',"
         " 'engine.models', 'app'))]\n"
         "assert not bad, bad")


def test_importing_the_app_does_not_import_torch() -> None:
    _run("import sys, app.bootstrap; assert 'torch' not in sys.modules")
