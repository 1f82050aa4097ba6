"""Layout of the export, keyframe and analysis tools: their docks, actions, menu entries and status widget."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QVBoxLayout, QWidget

from widgets.ablation_panel import AblationPanel
from widgets.consistency_panel import ConsistencyPanel
from widgets.foveation_panel import FoveationPanel
from widgets.job_status import JobStatusWidget
from widgets.keyframe_panel import KeyframePanel
from widgets.layer_viewer import LayerViewer
from widgets.panorama_panel import PanoramaPanel
from widgets.pca_dock import PcaPanel
from widgets.spectrum_dock import SpectrumPanel
from widgets.sr_compare import SrComparePanel

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget

    from app.shell.main_window import MainWindow


@dataclass
class ToolActions:
    """Commands of the tools (menus and shortcuts)."""

    export_image: QAction
    export_video: QAction
    add_keyframe: QAction
    spectrum: QAction
    consistency: QAction
    sr_compare: QAction

    def all(self) -> list[QAction]:
        return [getattr(self, f.name) for f in fields(self)]


def _action(window: MainWindow, text: str, shortcut: str | None, tip: str) -> QAction:
    a = QAction(text, window)
    if shortcut:
        a.setShortcut(QKeySequence(shortcut))
    keys = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    a.setToolTip(tip + (f" ({keys})" if keys else ""))
    a.setStatusTip(tip)
    return a


class ToolDocks:
    """Builds the tools' views into the main window (layout only; the controllers wire them).

    Attributes
    ----------
    acts : ToolActions
    job_status : JobStatusWidget
        "Exporting 42 %" in the status bar while an export runs.
    keyframe_panel, keyframe_dock
        The video keyframe list.
    spectrum_panel, pca_panel, ablation_panel, consistency_panel, sr_panel, layer_viewer, foveation_panel
        The analysis views, in the Spectrum, Embeddings, Analysis, Super-resolution, Layers and Foveation
        docks (hidden until opened).
    panorama_panel, panorama_dock, panorama_action
        The upright cylinder strip under the canvas, toggled from the View menu.
    """

    def __init__(self, window: MainWindow) -> None:
        self.acts = ToolActions(
            export_image=_action(window, "&Export Image…", "Ctrl+E",
                                 "Render the current view at any size to PNG (8/16 bit) or TIFF, in tiles"),
            export_video=_action(window, "Export &Video…", "Ctrl+Shift+E",
                                 "Render the keyframes as an MP4 / AVI video or a PNG sequence"),
            add_keyframe=_action(window, "Add &Keyframe", "Ctrl+K",
                                 "Capture the current camera and style as a video keyframe"),
            spectrum=_action(window, "&Spectrum of the View", None,
                             "Power spectrum and azimuthal profile of the current view"),
            consistency=_action(window, "Scale &Consistency…", None,
                                "PSNR / SSIM of s× renders downsampled against native renders"),
            sr_compare=_action(window, "Super-&Resolution Compare", None,
                               "The view at k× density against the native render upsampled"),
        )
        window.addActions(self.acts.all())  # shortcuts work while the menus are closed
        self.job_status = JobStatusWidget()
        window.statusBar().addPermanentWidget(self.job_status)
        self.keyframe_panel = KeyframePanel()
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.keyframe_dock = window._dock("Keyframes", self.keyframe_panel, right)
        window.tabifyDockWidget(window.seed_dock, self.keyframe_dock)
        window.seed_dock.raise_()
        self.spectrum_panel = SpectrumPanel()
        self.pca_panel = PcaPanel()
        self.ablation_panel = AblationPanel()
        self.consistency_panel = ConsistencyPanel()
        analysis = QWidget()
        column = QVBoxLayout(analysis)
        column.addWidget(self.ablation_panel)
        column.addWidget(self.consistency_panel)
        column.addStretch(1)
        self.spectrum_dock = window._dock("Spectrum", self.spectrum_panel, right)
        self.pca_dock = window._dock("Embeddings", self.pca_panel, right)
        self.analysis_dock = window._dock("Analysis", analysis, right)
        self.layer_viewer = LayerViewer()
        self.layer_dock = window._dock("Layers", self.layer_viewer, right)
        self.sr_panel = SrComparePanel()
        self.sr_dock = window._dock("Super-resolution", self.sr_panel, right)
        self.foveation_panel = FoveationPanel()
        self.foveation_dock = window._dock("Foveation", self.foveation_panel, right)
        self.analysis_docks: list[QDockWidget] = [self.spectrum_dock, self.pca_dock, self.analysis_dock,
                                                  self.sr_dock, self.layer_dock, self.foveation_dock]
        for dock in self.analysis_docks:  # tabs beside the latent panel, opened from the Analysis menu
            window.tabifyDockWidget(window.latent_dock, dock)
            dock.hide()
        window.latent_dock.raise_()
        self._window = window
        for dock in self.analysis_docks:
            dock.toggleViewAction().triggered.connect(lambda on, d=dock: self._on_dock_toggled(d, on))
        self.panorama_panel = PanoramaPanel()
        self.panorama_dock = window._dock("Panorama", self.panorama_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.panorama_dock.hide()
        self.panorama_action = self.panorama_dock.toggleViewAction()  # View → Panorama Strip
        self.panorama_action.setText("&Panorama Strip (Cylinder)")
        self.panorama_action.setStatusTip("An upright cylinder strip of the view whose ends meet (cross-faded "
                                          "wrap), with the measured seam and export")
        self.docks: list[QDockWidget] = [self.keyframe_dock, *self.analysis_docks, self.panorama_dock]
        self._build_menus(window)

    def show_dock(self, dock: QDockWidget) -> None:
        """Show and raise a tool dock with room for its plots (its tab group takes most of the column)."""
        dock.show()
        dock.raise_()
        if not dock.isFloating():
            w = self._window
            w.resizeDocks([dock], [max(420, int(0.62 * w.height()))], Qt.Orientation.Vertical)
            w.resizeDocks([dock], [max(dock.width(), min(440, w.width() // 3))], Qt.Orientation.Horizontal)

    def _on_dock_toggled(self, dock: QDockWidget, on: bool) -> None:
        if on:
            self.show_dock(dock)

    def _build_menus(self, window: MainWindow) -> None:
        file, a = window.file_menu, self.acts
        before = window.save_latent_menu.menuAction()
        for act in (a.export_image, a.export_video):
            file.insertAction(before, act)
        file.insertSeparator(before)
        window.latent_menu.addSeparator()
        window.latent_menu.addAction(a.add_keyframe)
        for dock in self.docks:
            if dock is not self.panorama_dock:
                window.panels_menu.addAction(dock.toggleViewAction())
        window.view_menu.insertAction(window.quality_menu.menuAction(), self.panorama_action)
        self.analysis_menu = QMenu("&Analysis", window)
        window.menuBar().insertMenu(window.help_menu.menuAction(), self.analysis_menu)
        self.analysis_menu.addAction(a.spectrum)
        self.analysis_menu.addAction(a.consistency)
        self.analysis_menu.addAction(a.sr_compare)
        self.analysis_menu.addSeparator()
        for dock in self.analysis_docks:
            self.analysis_menu.addAction(dock.toggleViewAction())
