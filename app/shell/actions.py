"""Every menu / toolbar / shortcut command of the main window as one typed bundle of QActions."""

from __future__ import annotations

from dataclasses import dataclass, fields

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle, QWidget

_Key = QKeySequence.StandardKey


@dataclass
class Actions:
    """The window's commands; canvas-only shortcuts (arrows, +/-, R) fire when the canvas has focus."""

    open_model: QAction
    open_session: QAction
    open_recipe: QAction
    save_session: QAction
    save_image: QAction
    quit: QAction
    undo: QAction
    redo: QAction
    copy_view: QAction
    pan_left: QAction
    pan_right: QAction
    pan_up: QAction
    pan_down: QAction
    zoom_in: QAction
    zoom_out: QAction
    rotate_cw: QAction
    rotate_ccw: QAction
    reset_view: QAction
    overlay: QAction
    prev_seed: QAction
    next_seed: QAction
    random_seed: QAction
    random_walk: QAction
    shortcuts_help: QAction
    about: QAction

    def canvas_actions(self) -> list[QAction]:
        return [self.pan_left, self.pan_right, self.pan_up, self.pan_down, self.zoom_in, self.zoom_out,
                self.rotate_cw, self.rotate_ccw, self.reset_view, self.copy_view]

    def all(self) -> list[QAction]:
        return [getattr(self, f.name) for f in fields(self)]


def _action(parent: QObject, text: str, shortcut: str | _Key | list[str] | None = None, tip: str = "",
            checkable: bool = False) -> QAction:
    a = QAction(text, parent)
    if isinstance(shortcut, list):
        a.setShortcuts([QKeySequence(s) for s in shortcut])
    elif shortcut is not None:
        a.setShortcut(QKeySequence(shortcut))
    keys = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    a.setToolTip(f"{tip or text.replace('…', '').replace('&', '')}" + (f" ({keys})" if keys else ""))
    a.setStatusTip(tip)
    a.setCheckable(checkable)
    return a


def create_actions(window: QWidget, canvas: QWidget) -> Actions:
    """Build the actions; view-navigation shortcuts are scoped to the canvas so spin boxes keep their keys."""
    icon = window.style().standardIcon
    sp = QStyle.StandardPixmap
    acts = Actions(
        open_model=_action(window, "&Open Checkpoint…", _Key.Open, "Open a generator checkpoint"),
        open_session=_action(window, "Open &Session…", "Ctrl+Shift+O", "Open a saved .json session"),
        open_recipe=_action(window, "Open &Recipe of an Image or Video…", "Ctrl+Alt+O",
                            "Restore the model, view, styles and masks an exported PNG / TIFF / video was made with "
                            "(you can also drop the file on the window)"),
        save_session=_action(window, "Save Session &As…", "Ctrl+Shift+S", "Save camera, anchors and panels"),
        save_image=_action(window, "Save &Image…", _Key.Save,
                           "Save the current view at its full render resolution as PNG (recipe embedded)"),
        quit=_action(window, "&Quit", _Key.Quit),
        undo=_action(window, "&Undo", _Key.Undo),
        redo=_action(window, "&Redo", _Key.Redo),
        copy_view=_action(window, "&Copy View", _Key.Copy,
                          "Copy the picture on the canvas to the clipboard (canvas focused, or from the Edit menu)"),
        pan_left=_action(window, "Pan Left", "Left"),
        pan_right=_action(window, "Pan Right", "Right"),
        pan_up=_action(window, "Pan Up", "Up"),
        pan_down=_action(window, "Pan Down", "Down"),
        zoom_in=_action(window, "Zoom &In", ["+", "=", "Ctrl++"], "Zoom in about the view centre"),
        zoom_out=_action(window, "Zoom &Out", ["-", "Ctrl+-"], "Zoom out: see the extrapolation"),
        rotate_cw=_action(window, "Rotate Clockwise", "R", "Turn the view 15° clockwise"),
        rotate_ccw=_action(window, "Rotate Counter-clockwise", "Shift+R", "Turn the view 15° counter-clockwise"),
        reset_view=_action(window, "&Reset View", ["Home", "0"], "Back to the identity camera"),
        overlay=_action(window, "Show &Training Frame", "F", "Outline the training frame [-1, 1]²",
                        checkable=True),
        prev_seed=_action(window, "Previous Seed", "[", "Active anchor: seed − 1"),
        next_seed=_action(window, "Next Seed", "]", "Active anchor: seed + 1"),
        random_seed=_action(window, "Random Seed", "Ctrl+D", "Active anchor: a random seed"),
        # not Ctrl+Space: that is Spotlight on macOS and the input-source switch on many desktops
        random_walk=_action(window, "Random &Walk", "Ctrl+Shift+W", "Animate the active anchor", checkable=True),
        shortcuts_help=_action(window, "&Keyboard Shortcuts", _Key.HelpContents),
        about=_action(window, "&About"),
    )
    acts.open_model.setIcon(icon(sp.SP_DialogOpenButton))
    acts.save_image.setIcon(icon(sp.SP_DialogSaveButton))
    acts.undo.setIcon(icon(sp.SP_ArrowBack))
    acts.redo.setIcon(icon(sp.SP_ArrowForward))
    acts.reset_view.setIcon(icon(sp.SP_BrowserReload))
    acts.random_walk.setIcon(icon(sp.SP_MediaPlay))
    acts.overlay.setIcon(icon(sp.SP_TitleBarNormalButton))
    for a in acts.canvas_actions():
        a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        canvas.addAction(a)
    return acts
