"""The controls a dock shows for its background job: a start button, Cancel and a thin progress bar."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QProgressBar, QPushButton


class JobControls:
    """Three widgets the dock places where it likes, and the one rule that ties them: while the job runs,
    start is disabled, Cancel enabled and the bar visible."""

    def __init__(self, start_text: str, on_start: Any, on_cancel: Any) -> None:
        self.start = QPushButton(start_text)
        self.start.clicked.connect(on_start)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(on_cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumHeight(12)
        self.progress.setTextVisible(False)

    def set_busy(self, busy: bool, fraction: float = 0.0) -> None:
        self.start.setEnabled(not busy)
        self.cancel.setEnabled(busy)
        self.progress.setVisible(busy)
        self.progress.setValue(round(100 * fraction))
