"""File pickers and message boxes behind one small interface, so tests can answer them without blocking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from engine.recipes import SUFFIXES as RECIPE_SUFFIXES

if TYPE_CHECKING:
    from collections.abc import Callable

CHECKPOINT_FILTER = "Checkpoints (*.pt *.pth *.pkl *.safetensors);;All files (*)"
SESSION_FILTER = "Sessions (*.json)"
NPY_FILTER = "Latents (*.npy *.npz)"
PNG_FILTER = "PNG images (*.png)"
RECIPE_FILTER = "Images and videos with a recipe (" + " ".join(f"*{s}" for s in RECIPE_SUFFIXES) + ")"


class Dialogs:
    """Real dialogs: pickers are modal (they are the user's own action); messages never block."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.open_boxes: list[QMessageBox] = []

    def open_file(self, title: str, file_filter: str, directory: str = "") -> str:
        path, _ = QFileDialog.getOpenFileName(self.parent, title, directory, file_filter)
        return path

    def save_file(self, title: str, file_filter: str, suggested: str = "") -> str:
        path, _ = QFileDialog.getSaveFileName(self.parent, title, suggested, file_filter)
        return path

    def message(self, title: str, text: str, error: bool = False, details: str = "") -> QMessageBox:
        """A window-modal box that returns at once (the app keeps running and rendering behind it)."""
        icon = QMessageBox.Icon.Critical if error else QMessageBox.Icon.Information
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self.parent)
        if details:
            box.setDetailedText(details)
        self._track(box)
        box.open()
        return box

    def ask(self, title: str, text: str, on_answer: Callable[[bool], None]) -> QMessageBox:
        """A Yes/No question answered asynchronously through ``on_answer``."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.parent)
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.finished.connect(
            lambda _r: on_answer(box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)))
        self._track(box)
        box.open()
        return box

    def _track(self, box: QMessageBox) -> None:
        self.open_boxes.append(box)
        box.finished.connect(lambda _r: self.open_boxes.remove(box) if box in self.open_boxes else None)
