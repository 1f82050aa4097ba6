"""Scale-consistency panel: PSNR / SSIM of s x renders area-downsampled against native renders."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from widgets.job_controls import JobControls


class ConsistencyPanel(QWidget):
    """Scales and seeds in, a table out (the numbers of ``main.py consistency``).

    Signals
    -------
    runRequested(scales: tuple, seeds: int)
    cancelRequested()
    """

    runRequested = Signal(tuple, int)
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scales = QLineEdit("2 4")
        self._scales.setToolTip("Render scales s (integers): each renders s × native and area-downsamples")
        self._seeds = QSpinBox()
        self._seeds.setRange(1, 256)
        self._seeds.setValue(4)
        self._seeds.setSuffix(" seeds")
        self._seeds.setToolTip("Average over seeds 0..N-1")
        self._job = JobControls("Run", self._on_run_clicked, self.cancelRequested)
        self.run_button, self.cancel_button = self._job.start, self._job.cancel
        self._progress = self._job.progress
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["scale", "PSNR (dB)", "SSIM"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setMinimumHeight(90)
        self._message = QLabel()
        self._message.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(QLabel("Scales"))
        row.addWidget(self._scales, 1)
        row.addWidget(self._seeds)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self._progress, 1)
        layout = QVBoxLayout(self)
        title = QLabel("<b>Scale consistency</b>: render at s × the native grid, area-downsample, compare "
                       "with the native render")
        title.setWordWrap(True)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addLayout(buttons)
        layout.addWidget(self.table)
        layout.addWidget(self._message)
        self.set_busy(False)

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            for j, text in enumerate((f"{r['scale']:.0f}×", f"{r['psnr']:.2f}", f"{r['ssim']:.4f}")):
                self.table.setItem(i, j, QTableWidgetItem(text))

    def cell(self, row: int, col: int) -> str:
        item = self.table.item(row, col)
        return item.text() if item is not None else ""

    def set_busy(self, busy: bool, fraction: float = 0.0) -> None:
        self._job.set_busy(busy, fraction)

    def set_inputs(self, scales: str, seeds: int) -> None:
        self._scales.setText(scales)
        self._seeds.setValue(seeds)

    def set_message(self, text: str) -> None:
        self._message.setText(text)

    def message(self) -> str:
        return self._message.text()

    def _on_run_clicked(self) -> None:
        try:
            scales = tuple(int(v) for v in self._scales.text().replace(",", " ").split())
        except ValueError:
            scales = ()
        if not scales or min(scales) < 1:
            self.set_message("Scales: whole numbers ≥ 1, e.g. 2 4")
            return
        self.runRequested.emit(scales, self._seeds.value())
