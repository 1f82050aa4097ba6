"""The main window: canvas in the middle, dockable panels, menus, toolbar and status bar (layout only)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressBar,
    QScrollArea,
    QToolBar,
    QWidget,
)

from app.shell.actions import Actions, create_actions
from app.shell.tool_docks import ToolDocks
from widgets.canvas_widget import CanvasWidget
from widgets.latent_panel import LatentPanel
from widgets.mixing_table import MixingTable
from widgets.model_panel import ModelPanel
from widgets.paint_toolbar import PaintToolbar
from widgets.seed_browser import SeedBrowser
from widgets.view_panel import ViewPanel

if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent

TITLE = "INR Explorer"


class MainWindow(QMainWindow):
    """Holds the views and the actions; the controllers do the wiring.

    Signals
    -------
    filesDropped(paths: list)
        Files were dropped on the window (checkpoints, sessions or .npy / .npz latents).
    closing()
        The window is about to close (save settings, stop the engine).
    """

    filesDropped = Signal(list)
    closing = Signal()

    def __init__(self, thumb_size: int = 64) -> None:
        super().__init__()
        self.setWindowTitle(TITLE)
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.canvas = CanvasWidget()
        self.setCentralWidget(self.canvas)
        self.model_panel = ModelPanel()
        self.view_panel = ViewPanel()
        self.latent_panel = LatentPanel()
        self.seed_browser = SeedBrowser(thumb_size)
        self.model_dock = self._dock("Model", self.model_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.view_dock = self._dock("View", self.view_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.latent_dock = self._dock("Latent", self.latent_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.seed_dock = self._dock("Seeds", self.seed_browser, Qt.DockWidgetArea.RightDockWidgetArea)
        self.resizeDocks([self.model_dock, self.latent_dock], [300, 290], Qt.Orientation.Horizontal)
        self.acts = create_actions(self, self.canvas)
        self._build_menus(self.acts)
        self._build_toolbar(self.acts)
        self._build_status_bar()
        # ---- export, keyframes and analysis tools (issues #5, #7, #8): app/shell/tool_docks.py ----
        self.tools = ToolDocks(self)
        # ---- end of export, keyframes and analysis tools ----
        # ---- style mixing and painting (issue #6): widgets/mixing_table.py, widgets/paint_toolbar.py ----
        self.mixing_table = MixingTable()
        self.mixing_dock = self._dock("Mixing", self.mixing_table, Qt.DockWidgetArea.RightDockWidgetArea)
        self.paint_toolbar = PaintToolbar(self)
        self.addToolBar(self.paint_toolbar)
        self.panels_menu.addAction(self.mixing_dock.toggleViewAction())
        self.panels_menu.addAction(self.paint_toolbar.toggleViewAction())
        # ---- end of style mixing and painting ----
        self.canvas.setFocus()

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title.lower()}_dock")  # saveState needs object names
        scroll = QScrollArea()
        scroll.setWidget(widget)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        dock.setWidget(scroll)
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self, a: Actions) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addAction(a.open_model)
        self.recent_menu = QMenu("Open &Recent", self)
        file.addMenu(self.recent_menu)
        file.addSeparator()
        file.addAction(a.open_session)
        file.addAction(a.open_recipe)
        file.addAction(a.save_session)
        file.addSeparator()
        file.addAction(a.save_image)
        self.save_latent_menu = QMenu("Save &Latent", self)
        file.addMenu(self.save_latent_menu)
        file.addSeparator()
        file.addAction(a.quit)
        edit = bar.addMenu("&Edit")
        edit.addAction(a.undo)
        edit.addAction(a.redo)
        edit.addSeparator()
        edit.addAction(a.copy_view)
        view = bar.addMenu("&View")
        for act in (a.zoom_in, a.zoom_out, a.rotate_cw, a.rotate_ccw, a.reset_view):
            view.addAction(act)
        pan = view.addMenu("&Pan")
        for act in (a.pan_left, a.pan_right, a.pan_up, a.pan_down):
            pan.addAction(act)
        view.addSeparator()
        view.addAction(a.overlay)
        self.quality_menu = view.addMenu("Render &Quality")
        view.addSeparator()
        panels = view.addMenu("Pa&nels")
        for dock in (self.model_dock, self.view_dock, self.latent_dock, self.seed_dock):
            panels.addAction(dock.toggleViewAction())
        latent = bar.addMenu("&Latent")
        for act in (a.prev_seed, a.next_seed, a.random_seed, a.random_walk):
            latent.addAction(act)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(a.shortcuts_help)
        help_menu.addAction(a.about)
        self.file_menu, self.view_menu, self.panels_menu = file, view, panels  # for tools that add entries
        self.latent_menu, self.help_menu = latent, help_menu

    def _build_toolbar(self, a: Actions) -> None:
        self.toolbar = QToolBar("Main toolbar", self)
        self.toolbar.setObjectName("main_toolbar")
        for act in (a.open_model, a.save_image, None, a.undo, a.redo, None, a.reset_view, a.overlay,
                    a.random_walk):
            if act is None:
                self.toolbar.addSeparator()
            else:
                self.toolbar.addAction(act)
        self.addToolBar(self.toolbar)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.cursor_label = QLabel()
        self.cursor_label.setToolTip("Frame coordinates under the cursor (training frame = [-1, 1]²)")
        self.cursor_label.setMinimumWidth(190)
        self.time_label = QLabel()
        self.time_label.setToolTip("Time of the last render pass (stride: every n-th pixel)")
        self.model_label = QLabel("no model")
        self.device_label = QLabel()
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(90)
        self.busy_bar.setMaximumHeight(12)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        for w in (self.busy_bar, self.cursor_label, self.time_label, self.model_label, self.device_label):
            bar.addPermanentWidget(w)

    def show_busy(self, busy: bool) -> None:
        """The status bar's busy bar (a model is loading)."""
        self.busy_bar.setVisible(busy)

    def show_model(self, label: str, device: str, name: str) -> None:
        """The loaded model in the status bar, and its name in the title bar."""
        self.model_label.setText(label)
        self.device_label.setText(device)
        self.setWindowTitle(f"{name} — {TITLE}")

    def show_cursor(self, text: str) -> None:
        """The frame coordinates under the cursor ('' when it left the canvas)."""
        self.cursor_label.setText(text)

    def show_timing(self, text: str) -> None:
        """The last render pass' time and size."""
        self.time_label.setText(text)

    def show_status(self, text: str, error: bool = False, timeout_ms: int = 8000) -> None:
        """A transient message; errors stay longer and are red."""
        bar = self.statusBar()
        bar.setStyleSheet("QStatusBar { color: #e06c6c; }" if error else "")
        bar.showMessage(text, 20000 if error else timeout_ms)

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        paths = [p for p in paths if Path(p).is_file()]
        if paths:
            event.acceptProposedAction()
            self.filesDropped.emit(paths)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.emit()
        super().closeEvent(event)
