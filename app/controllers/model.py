"""Model glue: open / drop / recent / command line -> engine-thread load with a busy indicator; model facts."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from app.bridge import jobs
from app.shell.dialogs import CHECKPOINT_FILTER

if TYPE_CHECKING:
    from app.controllers.views import Action, LoadClient, Menu, ModelChrome, ModelPanelView
    from app.shell.dialogs import Dialogs
    from app.state.settings import Settings
    from engine.service import JobResult, LoadResult

DEFAULT = "default"
NO_MODEL_HINT = ("No model loaded.\n\nOpen a checkpoint with File → Open (Ctrl+O), pick a recent file, "
                 "or drop a file on this window.")


class ModelController(QObject):
    """Loads models on the engine thread and shows what is loaded.

    Parameters
    ----------
    panel, open_action, recent_menu
        The model panel, File → Open and File → Open Recent.
    chrome
        The window's busy bar, status-bar labels, title and status line.
    client, settings, dialogs
        The render client (loads, hash jobs), user settings (device, recent files), file pickers / messages.

    Signals
    -------
    modelChanged(info: dict)
        A model finished loading (the new epoch is current).
    loadFailed(message: str)
        A load failed (the previous model, if any, stays).
    hashReady(sha256: str)
        The loaded file's SHA-256 (computed in the background after a load).
    """

    modelChanged = Signal(dict)
    loadFailed = Signal(str)
    hashReady = Signal(str)

    def __init__(self, panel: ModelPanelView, open_action: Action, recent_menu: Menu, chrome: ModelChrome,
                 client: LoadClient, settings: Settings, dialogs: Dialogs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel, self.recent_menu, self.chrome = panel, recent_menu, chrome
        self.client, self.settings, self.dialogs = client, settings, dialogs
        self.info: dict[str, Any] | None = None
        self.path = ""
        self.sha256 = ""
        self.loading_path = ""
        self._pending: list[tuple[str, str]] = []
        self._recent_actions: list[QAction] = []  # File → Open Recent's entries (owned here, replaced on change)
        panel.openRequested.connect(self.open_dialog)
        panel.recentActivated.connect(self.load)
        panel.deviceChanged.connect(self._on_panel_device_changed)
        panel.set_devices(client.service.devices())
        panel.set_device(settings.device)
        open_action.triggered.connect(self.open_dialog)
        client.loadFinished.connect(self._on_load_finished)
        self._show_recent()

    @property
    def loading(self) -> bool:
        return bool(self.loading_path)

    def open_dialog(self) -> None:
        start = os.path.dirname(self.path) if self.path and self.path != DEFAULT else ""
        path = self.dialogs.open_file("Open checkpoint", CHECKPOINT_FILTER, start)
        if path:
            self.load(path)

    def load(self, path: str, device: str | None = None) -> None:
        """Load ``path`` (or "default") on the engine thread; the current model stays until it succeeds."""
        device = device or self.settings.device
        if self.loading:  # one load at a time: remember the newest wish
            self._pending = [(path, device)]
            return
        self.loading_path = path
        self.panel.set_loading(True, path)
        self.chrome.show_busy(True)
        name = "the default generator" if path == DEFAULT else os.path.basename(path)
        self.chrome.show_status(f"Loading {name} on {device}…", timeout_ms=0)
        self.client.load(path, device)

    def _on_load_finished(self, result: LoadResult) -> None:
        path, self.loading_path = self.loading_path, ""
        self.panel.set_loading(False)
        self.chrome.show_busy(False)
        if result.error is not None:
            self._on_load_failed(path, result.error)
        else:
            self._on_loaded(path, dict(result.info or {}))
        if self._pending:
            self.load(*self._pending.pop())

    def _on_loaded(self, path: str, info: dict[str, Any]) -> None:
        self.info, self.path, self.sha256 = info, path, ""
        self.panel.set_info(info, "default generator (embedded)" if path == DEFAULT else path)
        self.panel.set_error("")
        family, res = info.get("family", "?"), info.get("resolution", "?")
        name = "default" if path == DEFAULT else os.path.basename(path)
        self.chrome.show_model(f"{name} · {family} {res}px", str(info.get("device", "")), name)
        self.chrome.show_status(f"Loaded {name}: {family}, {res} × {res}, {info.get('num_params', 0):,} parameters")
        if path != DEFAULT:
            self.settings.add_recent(path)
            self._show_recent()
        self.settings.last_model = path if path == DEFAULT else os.path.abspath(path)
        self.client.submit(jobs.file_sha256(self._file(path)), self._on_hash_done)
        self.modelChanged.emit(info)

    def _on_load_failed(self, path: str, error: str) -> None:
        if path == DEFAULT and "no such file" in error:
            error = ("The embedded default generator is not available (resources/default_generator."
                     "safetensors is missing).")
        elif not os.path.exists(path) and path != DEFAULT:
            self.settings.remove_recent(path)
            self._show_recent()
        kept = "\n\nThe current model stays loaded." if self.info is not None else ""
        self.panel.set_error(error)
        self.chrome.show_status(f"Could not load: {error}", error=True)
        if path != DEFAULT:
            self.dialogs.message("Could not open checkpoint", f"{error}{kept}", error=True)
        self.loadFailed.emit(error)

    def _on_hash_done(self, result: JobResult) -> None:
        if result.error is None and isinstance(result.value, str):
            self.sha256 = result.value
            self.hashReady.emit(result.value)

    def _file(self, path: str) -> str:
        if path == DEFAULT:
            from importlib.resources import files

            return str(files("resources") / "default_generator.safetensors")
        return path

    def _on_panel_device_changed(self, device: str) -> None:
        self.settings.device = device
        if self.path and not self.loading:
            self.load(self.path, device)

    def _show_recent(self) -> None:
        self.panel.set_recent(self.settings.recent_files)
        menu = self.recent_menu
        menu.clear()
        for act in self._recent_actions:
            act.deleteLater()
        self._recent_actions = []
        for path in self.settings.recent_files:
            act = QAction(os.path.basename(path), self)
            self._recent_actions.append(act)
            act.setToolTip(path)
            act.triggered.connect(lambda _=False, p=path: self.load(p))
            menu.addAction(act)
        menu.setEnabled(bool(self.settings.recent_files))
