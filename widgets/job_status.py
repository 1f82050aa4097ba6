"""Status-bar indicator of a background job ("Exporting 42 %"): click to show its progress window."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget


class JobStatusWidget(QWidget):
    """A flat button with the job's name and percentage plus a thin bar; hidden while idle.

    Signals
    -------
    showRequested()
        The user clicked it (bring the progress window back).
    """

    showRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.button = QPushButton()
        self.button.setFlat(True)
        self.button.setToolTip("A background job is running: click for details and Cancel")
        self.button.clicked.connect(self.showRequested)
        self._bar = QProgressBar()
        self._bar.setRange(0, 100)
        self._bar.setTextVisible(False)
        self._bar.setMaximumWidth(80)
        self._bar.setMaximumHeight(10)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button)
        layout.addWidget(self._bar)
        self._label = ""
        self.hide()

    def start(self, label: str) -> None:
        self._label = label
        self.set_fraction(0.0)
        self.show()

    def set_fraction(self, fraction: float) -> None:
        percent = round(100 * min(max(fraction, 0.0), 1.0))
        self._bar.setValue(percent)
        self.button.setText(f"{self._label} {percent} %")

    def text(self) -> str:
        return self.button.text()

    def finish(self) -> None:
        self.hide()
