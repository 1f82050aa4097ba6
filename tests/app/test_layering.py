"""Layering: widgets never run models; app reaches the engine only through its thread-safe seams."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_ENGINE_MODULES = {"engine.types", "engine.service", "engine.coords", "engine.styles", "engine.serialize",
                      "engine.recipes", "engine.image_writers",  # recipes and saved PNGs: on the GUI thread
                      "engine.latents",  # latent files: numpy only, read and written on the GUI thread
                      "engine.formats",  # the export format table (pure data)
                      "engine.cluster"}  # a scheduler address checked before an export starts (Dask not imported)
# job modules hold the functions that run on the engine thread (through RenderService.submit); only they
# may call the engine's export, video and analysis functions
JOB_MODULES = {"export_jobs.py", "analysis_jobs.py"}
JOB_ENGINE_MODULES = {"engine.export", "engine.video", "engine.analysis", "engine.renderer", "engine.superres",
                      "engine.foveation", "engine.panorama"}


def _runtime_imports(path: Path) -> set[str]:
    """Modules imported by a file, except under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                out.update(a.name for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                out.add(child.module)
            visit(child)

    visit(tree)
    return out


def test_widgets_import_no_torch_engine_runtime_or_app() -> None:
    code = ("import sys, importlib, pkgutil, widgets\n"
            "for m in pkgutil.iter_modules(widgets.__path__): importlib.import_module('widgets.' + m.name)\n"
            "bad = [m for m in sys.modules if m == 'torch' or m.startswith(('engine.service', 'engine.renderer',"
            " 'engine.models', 'app'))]\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    for path in (ROOT / "widgets").glob("*.py"):
        mods = _runtime_imports(path)
        assert not {m for m in mods if m.split(".")[0] in ("torch", "app")}, path
        assert {m for m in mods if m.startswith("engine")} <= {"engine.types", "engine.formats"}, path


def test_app_imports_no_torch_and_only_engine_seams() -> None:
    for path in (ROOT / "app").glob("*.py"):
        mods = _runtime_imports(path)
        assert "torch" not in {m.split(".")[0] for m in mods}, path
        engine = {m for m in mods if m == "engine" or m.startswith("engine.")}
        allowed = APP_ENGINE_MODULES | (JOB_ENGINE_MODULES if path.name in JOB_MODULES else set())
        assert engine <= allowed, (path, engine - allowed)


def test_importing_the_app_does_not_import_torch() -> None:
    code = "import sys, app.bootstrap; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
