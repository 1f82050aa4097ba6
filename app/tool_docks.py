"""Layout of the export, keyframe and analysis tools: their docks, actions, menu entries and status widget."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from widgets.job_status import JobStatusWidget
from widgets.keyframe_panel import KeyframePanel

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget

    from app.main_window import MainWindow


@dataclass
class ToolActions:
    """Commands of the tools (menus and shortcuts)."""

    export_image: QAction
    export_video: QAction
    add_keyframe: QAction

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
    """

    def __init__(self, window: MainWindow) -> None:
        self.acts = ToolActions(
            export_image=_action(window, "&Export Image…", "Ctrl+E",
                                 "Render the current view at any size to PNG (8/16 bit) or TIFF, in tiles"),
            export_video=_action(window, "Export &Video…", "Ctrl+Shift+E",
                                 "Render the keyframes as an MP4 / AVI video or a PNG sequence"),
            add_keyframe=_action(window, "Add &Keyframe", "Ctrl+K",
                                 "Capture the current camera and style as a video keyframe"),
        )
        window.addActions(self.acts.all())  # shortcuts work while the menus are closed
        self.job_status = JobStatusWidget()
        window.statusBar().addPermanentWidget(self.job_status)
        self.keyframe_panel = KeyframePanel()
        self.keyframe_dock = window._dock("Keyframes", self.keyframe_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.docks: list[QDockWidget] = [self.keyframe_dock]
        self._build_menus(window)

    def _build_menus(self, window: MainWindow) -> None:
        file, a = window.file_menu, self.acts
        before = window.save_latent_menu.menuAction()
        for act in (a.export_image, a.export_video):
            file.insertAction(before, act)
        file.insertSeparator(before)
        window.latent_menu.addSeparator()
        window.latent_menu.addAction(a.add_keyframe)
        for dock in self.docks:
            window.panels_menu.addAction(dock.toggleViewAction())
