"""The app's composition root: builds the store, the render client and the per-concern controllers."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from app.bridge import main_thread_gc
from app.bridge.render_client import RenderClient
from app.controllers.analysis import AnalysisController
from app.controllers.export import ExportController
from app.controllers.foveation import FoveationController
from app.controllers.keyframe import KeyframeController
from app.controllers.latent import LatentController
from app.controllers.layer import LayerController
from app.controllers.mixing import MixingController
from app.controllers.model import DEFAULT, NO_MODEL_HINT, ModelController
from app.controllers.paint import PaintController
from app.controllers.panorama import PanoramaController
from app.controllers.seed_browser import SeedBrowserController
from app.controllers.session import SessionController
from app.controllers.spectrum import SpectrumController
from app.controllers.superres import SrController
from app.controllers.view import ViewController
from app.shell.dialogs import RECIPE_SUFFIXES, Dialogs
from app.shell.help_text import about_html, app_version, shortcuts_html
from app.state.view_state import ViewStore
from engine.latents import LATENT_SUFFIXES, read_latent
from widgets.export_dialog import ExportDialog
from widgets.job_progress import JobProgressDialog
from widgets.video_dialog import VideoDialog

if TYPE_CHECKING:
    from pathlib import Path

    from app.shell.main_window import MainWindow
    from app.state.settings import AppPaths, Settings
    from engine.service import RenderService

SESSION_SUFFIXES = (".json",)



class Controller(QObject):
    """Wires the main window to the engine through the per-concern controllers.

    Parameters
    ----------
    window
        The main window (views only).
    settings, paths
        User settings and where settings / autosave live.
    service
        The engine service (a fresh threaded one by default; tests may pass their own).
    dialogs
        File pickers and message boxes (tests pass answering fakes).
    """

    def __init__(self, window: MainWindow, settings: Settings, paths: AppPaths,
                 service: RenderService | None = None, dialogs: Dialogs | None = None) -> None:
        super().__init__(window)
        main_thread_gc.install()  # before the engine thread starts: it must never collect Qt wrappers
        self.window, self.settings, self.paths = window, settings, paths
        self.dialogs = dialogs or Dialogs(window)
        self.store = ViewStore(parent=self)
        self.client = RenderClient(service, parent=self)
        a, tools = window.acts, window.tools
        self.view = ViewController(window.canvas, window.view_panel, a, window.quality_menu, window, self.store,
                                   self.client, settings, parent=self)
        self.models = ModelController(window.model_panel, a.open_model, window.recent_menu, window, self.client,
                                      settings, self.dialogs, parent=self)
        self.seeds = SeedBrowserController(window.seed_browser, window.seed_dock, self.store, self.client,
                                           self.models, lambda seed: self.latent.set_seed(seed), parent=self)
        self.latent = LatentController(window.latent_panel, a, window.save_latent_menu, self.seeds, window,
                                       self.store, self.client, self.models, self.dialogs, parent=self)
        self.sessions = SessionController(a, window, self.store, self.models, self.latent, self.view, self.client,
                                          settings, paths, self.dialogs, parent=self)
        # export, keyframes and analysis tools (issues #5, #7, #8)
        self.exports = ExportController(ExportDialog(window), JobProgressDialog(window), tools.job_status,
                                        tools.acts.export_image, window, self.view, self.store,
                                        self.client.service, settings, self.models, self.dialogs, parent=self)
        self.keyframes = KeyframeController(tools.keyframe_panel, VideoDialog(window), tools.acts.add_keyframe,
                                            tools.acts.export_video, window, self.store, self.view, self.models,
                                            self.sessions, self.exports, self.dialogs, parent=self)
        self.spectrum = SpectrumController(tools.spectrum_panel, tools.spectrum_dock, tools.acts.spectrum,
                                           lambda: tools.show_dock(tools.spectrum_dock), self.view, self.models,
                                           self.dialogs, window, parent=self)
        self.analysis = AnalysisController(tools.pca_panel, tools.pca_dock, tools.ablation_panel,
                                           tools.consistency_panel, tools.acts.consistency,
                                           lambda: tools.show_dock(tools.analysis_dock), self.store, self.view,
                                           self.models, parent=self)
        self.layers = LayerController(tools.layer_viewer, tools.layer_dock, self.view, self.models, parent=self)
        self.superres = SrController(tools.sr_panel, tools.acts.sr_compare, lambda: tools.show_dock(tools.sr_dock),
                                     self.view, self.models, parent=self)
        self.foveation = FoveationController(tools.foveation_panel, tools.foveation_dock, window.canvas, self.view,
                                             self.models, parent=self)
        self.panorama = PanoramaController(tools.panorama_panel, tools.panorama_dock, window, self.view, self.models,
                                           self.exports, parent=self)
        # style mixing and painting (issue #6)
        self.mixing = MixingController(window.mixing_table, window, self.store, self.client, parent=self)
        self.paint = PaintController(window.paint_toolbar, window.canvas, self.store, self.view, self.models,
                                     self.dialogs, window, parent=self)
        self._closed = False
        self.log_file: Path | None = None  # set by app.bootstrap (the About box names it)
        undo = self.store.undo_stack
        a.undo.triggered.connect(undo.undo)
        a.redo.triggered.connect(undo.redo)
        undo.canUndoChanged.connect(a.undo.setEnabled)
        undo.canRedoChanged.connect(a.redo.setEnabled)
        undo.undoTextChanged.connect(self._on_undo_text_changed)
        undo.redoTextChanged.connect(self._on_redo_text_changed)
        a.undo.setEnabled(False)
        a.redo.setEnabled(False)
        a.quit.triggered.connect(window.close)
        a.shortcuts_help.triggered.connect(
            lambda: self.dialogs.message("Keyboard shortcuts", shortcuts_html(window.findChildren(QAction))))
        a.about.triggered.connect(self.show_about)
        a.copy_view.triggered.connect(self.sessions.copy_view)
        window.filesDropped.connect(self.open_paths)
        window.closing.connect(self.close)
        self.models.modelChanged.connect(lambda info: self.view.set_model_available(True))
        self.models.modelChanged.connect(lambda info: self.view.set_precisions_available(
            list(info.get("precisions", ["float32"]))))
        self.models.loadFailed.connect(self._on_load_failed)
        self.view.set_model_available(False, NO_MODEL_HINT)
        if settings.geometry:
            window.restoreGeometry(settings.geometry)
        if settings.window_state:
            window.restoreState(settings.window_state)

    def start(self, model: str | None) -> None:
        """Open ``model`` (command line), else the last model, else the embedded default; offer crash restore."""
        last = self.settings.last_model
        if model is None:
            model = last if last and (last == DEFAULT or os.path.isfile(last)) else DEFAULT
        if model == DEFAULT:
            self.models.load(DEFAULT)
        else:
            self.open_paths([model])
        self.sessions.start()

    def show_about(self) -> None:
        info = {**self.client.service.about(), "log": str(self.log_file or "")}
        self.dialogs.message("About INR Explorer", about_html(app_version(), info))

    def open_paths(self, paths: list[str]) -> None:
        """Open dropped or command-line files by kind: sessions, exported images / videos (their recipes), .npy /
        .npz latents (as anchors) or checkpoints."""
        for path in paths:
            suffix = os.path.splitext(path)[1].lower()
            if suffix in SESSION_SUFFIXES:
                self.sessions.open_session(path)
            elif suffix in RECIPE_SUFFIXES:  # an exported image or video: its recipe
                self.sessions.open_recipe(path)
            elif suffix in LATENT_SUFFIXES:
                self.latent.load_anchor(self._latent_kind(path), path)
            else:
                self.models.load(path)

    def _latent_kind(self, path: str) -> str:
        """A dropped latent is what its .npz key says; else a z when it has exactly z_dim values and z_dim
        differs from w_dim, else a w (an unreadable file: "w", whose loader then says why)."""
        info = self.models.info or {}
        try:
            a, kind = read_latent(path)
        except ValueError:
            return "w"
        if kind is not None:
            return kind
        size = a.size
        return "z" if size == info.get("z_dim") and info.get("z_dim") != info.get("w_dim") else "w"

    def _on_undo_text_changed(self, text: str) -> None:
        self.window.acts.undo.setText(f"&Undo {text}".strip())

    def _on_redo_text_changed(self, text: str) -> None:
        self.window.acts.redo.setText(f"&Redo {text}".strip())

    def _on_load_failed(self, error: str) -> None:
        if self.models.info is None:
            self.view.set_model_available(False, f"{NO_MODEL_HINT}\n\n{error}")

    def close(self) -> None:
        """Save settings and the autosave, and stop the engine thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.latent.set_walking(False)
        self.settings.geometry = bytes(self.window.saveGeometry().data())
        self.settings.window_state = bytes(self.window.saveState().data())
        self.sessions.close()
        self.settings.save(self.paths.settings_file)
        self.client.shutdown()
