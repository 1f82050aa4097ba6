"""Progress window of a long background job (export, video, analysis): bar, ETA, Cancel, keep exploring."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from PySide6.QtGui import QKeyEvent

STEPS = 1000


class JobProgressDialog(QDialog):
    """A non-modal progress window: the app keeps rendering and taking gestures behind it.

    Signals
    -------
    cancelRequested()
        Cancel was pressed (the job stops at its next tile; the dialog stays until it has).
    """

    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(False)
        self.setMinimumWidth(380)
        self._title = QLabel()
        self._title.setWordWrap(True)
        self._bar = QProgressBar()
        self._bar.setRange(0, STEPS)
        self._bar.setTextVisible(False)  # the line below says the percentage (rounded, with the ETA)
        self._eta = QLabel()
        buttons = QDialogButtonBox()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        hide = QPushButton("Keep Exploring")
        hide.setToolTip("Hide this window; the status bar shows the progress (click it to come back)")
        hide.clicked.connect(self.hide)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.addButton(hide, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addWidget(self._bar)
        layout.addWidget(self._eta)
        layout.addWidget(buttons)

    def start(self, window_title: str, text: str) -> None:
        self.setWindowTitle(window_title)
        self._title.setText(text)
        self._bar.setValue(0)
        self._eta.setText("waiting for the engine…")
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")

    def set_progress(self, fraction: float, eta_text: str) -> None:
        self._bar.setValue(round(min(max(fraction, 0.0), 1.0) * STEPS))
        self._eta.setText(f"{100 * fraction:.0f} %" + (f" · {eta_text}" if eta_text else ""))

    def title_text(self) -> str:
        return self._title.text()

    def fraction(self) -> float:
        return self._bar.value() / STEPS

    def eta_text(self) -> str:
        return self._eta.text()

    def _on_cancel_clicked(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Cancelling…")
        self.cancelRequested.emit()

    def reject(self) -> None:  # Escape hides; it never cancels a long export by accident
        self.hide()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)
