"""Spectrum panel: 2D log-magnitude spectrum and the azimuthal power profile (log y) with overlays."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from widgets.job_controls import JobControls

if TYPE_CHECKING:
    from PySide6.QtGui import QImage

OVERLAYS = (("bicubic", "Bicubic from native", "#4fc3f7"), ("lanczos", "Lanczos from native", "#f06292"))
MAIN_PEN = "#ffd54f"


class SpectrumPanel(QWidget):
    """Shows a spectrum and its radial profile; every control is an intent signal.

    Signals
    -------
    refreshRequested()
        Compute the spectrum of the current view now.
    followToggled(on: bool)
        Recompute whenever the view's final frame changes.
    averageRequested(seeds: int)
        Mean spectrum over seeds 0..N-1 of the current view (a background job).
    cancelRequested()
    overlaysChanged(methods: tuple)
        Which upsampled-from-native curves to add ("bicubic", "lanczos").
    saveCsvRequested(), savePlotRequested()
    """

    refreshRequested = Signal()
    followToggled = Signal(bool)
    averageRequested = Signal(int)
    cancelRequested = Signal()
    overlaysChanged = Signal(tuple)
    saveCsvRequested = Signal()
    savePlotRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image_view = pg.GraphicsLayoutWidget()
        self.image_view.setMinimumHeight(90)
        # no height preference: in a dock's scroll area the view then fills what the dock has
        self.image_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.image_view.setMaximumHeight(280)
        self._box = box = self.image_view.addViewBox(lockAspect=True, invertY=True)
        box.setMouseEnabled(False, False)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._image.setColorMap(pg.colormap.get("viridis"))
        box.addItem(self._image)
        self.plot = pg.PlotWidget()
        self.plot.setMinimumHeight(110)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.plot.setLogMode(x=False, y=True)
        self.plot.setLabel("bottom", "frequency", units="cycles / px")
        self.plot.setLabel("left", "mean power")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.addLegend(offset=(-10, 10))
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._follow = QCheckBox("Follow the view")
        self._follow.setToolTip("Recompute after every final render (costs one extra render of the view)")
        self._follow.toggled.connect(self.followToggled)
        update = QPushButton("Update")
        update.setToolTip("Spectrum of the current view (rendered in float, as 'main.py spectrum' does)")
        update.clicked.connect(self.refreshRequested)
        self._seeds = QSpinBox()
        self._seeds.setRange(1, 1024)
        self._seeds.setValue(8)
        self._seeds.setSuffix(" seeds")
        self._seeds.setToolTip("Average the spectrum over seeds 0..N-1 of this view (camera, size, ψ kept)")
        self._job = JobControls("Average", lambda: self.averageRequested.emit(self._seeds.value()),
                                self.cancelRequested)
        self.average_button, self.cancel_button = self._job.start, self._job.cancel
        self._progress = self._job.progress
        self._overlay_boxes: dict[str, QCheckBox] = {}
        overlay_row = QHBoxLayout()
        for key, text, _color in OVERLAYS:
            cb = QCheckBox(text)
            cb.setToolTip("The same view rendered at the model's native density, upsampled to this size: "
                          "how a resize differs from evaluating the generator at more points")
            cb.toggled.connect(self._emit_overlays)
            self._overlay_boxes[key] = cb
            overlay_row.addWidget(cb)
        csv = QPushButton("Save CSV…")
        csv.setToolTip("Frequencies and mean power (the columns 'main.py spectrum' writes, plus overlays)")
        csv.clicked.connect(self.saveCsvRequested)
        png = QPushButton("Save Plot…")
        png.clicked.connect(self.savePlotRequested)
        self._message = QLabel()
        self._message.setWordWrap(True)
        grid = QGridLayout()
        grid.addWidget(self._follow, 0, 0)
        grid.addWidget(update, 0, 1)
        grid.addWidget(self._seeds, 1, 0)
        grid.addWidget(self.average_button, 1, 1)
        grid.addWidget(self._progress, 2, 0)
        grid.addWidget(self.cancel_button, 2, 1)
        grid.addWidget(csv, 3, 0)
        grid.addWidget(png, 3, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image_view, 2)
        layout.addWidget(self.plot, 3)
        layout.addLayout(overlay_row)
        layout.addLayout(grid)
        layout.addWidget(self._message)
        self.set_busy(False)

    # ------------------------------------------------------------------ view API
    def show_spectrum(self, log_magnitude: np.ndarray, freqs: np.ndarray, profile: np.ndarray,
                      overlays: dict[str, np.ndarray], label: str) -> None:
        """Show a 2D log-magnitude spectrum and its profile (plus overlay profiles on the same frequencies)."""
        self._image.setImage(np.asarray(log_magnitude, np.float64), autoLevels=True)
        self._box.autoRange(padding=0.0)
        self.plot.clear()
        self._curves.clear()
        self.plot.setTitle(label)
        curves = [("view", label.split(" (")[0], MAIN_PEN, profile)]
        curves += [(k, text, color, overlays[k]) for k, text, color in OVERLAYS if k in overlays]
        for key, name, color, y in curves:
            # skip the zero frequency and keep the log axis finite
            ys = np.maximum(np.asarray(y, np.float64)[1:], np.finfo(np.float64).tiny)
            self._curves[key] = self.plot.plot(np.asarray(freqs, np.float64)[1:], ys, pen=pg.mkPen(color, width=2),
                                               name=name)

    def set_busy(self, busy: bool, fraction: float = 0.0) -> None:
        self._job.set_busy(busy, fraction)

    def set_message(self, text: str) -> None:
        self._message.setText(text)

    def message(self) -> str:
        return self._message.text()

    def set_follow(self, on: bool) -> None:
        with QSignalBlocker(self._follow):
            self._follow.setChecked(on)

    def set_overlays(self, methods: tuple[str, ...]) -> None:
        for key, cb in self._overlay_boxes.items():
            with QSignalBlocker(cb):
                cb.setChecked(key in methods)

    def overlay_box(self, key: str) -> QCheckBox:
        return self._overlay_boxes[key]

    def set_seeds(self, n: int) -> None:
        self._seeds.setValue(n)

    def curve(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of a shown curve ("view", "bicubic", "lanczos"), as plotted (zero frequency skipped)."""
        x, y = self._curves[key].getOriginalDataset()
        return np.asarray(x), np.asarray(y)

    def image(self) -> np.ndarray | None:
        image: np.ndarray | None = self._image.image
        return image

    def plot_image(self) -> QImage:
        image: QImage = self.plot.grab().toImage()
        return image

    def _emit_overlays(self) -> None:
        self.overlaysChanged.emit(tuple(k for k, cb in self._overlay_boxes.items() if cb.isChecked()))
