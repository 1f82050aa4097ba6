"""Foveation panel: a foveated render of the view (dense around a focus), its sample density and saving."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from widgets.image_items import image_box


class FoveationPanel(QWidget):
    """Shows a foveated render; click it to move the focus. Controls are intents.

    Signals
    -------
    refreshRequested()
    focusPicked(x: float, y: float)
        A click on the image, in its pixel coordinates (column, row).
    followCursorToggled(on: bool)
        Put the focus under the canvas cursor.
    settingsChanged(radius: float, levels: int)
        Fovea radius in pixels (0 = the engine's default, a side / 8) and number of density levels.
    """

    refreshRequested = Signal()
    focusPicked = Signal(float, float)
    followCursorToggled = Signal(bool)
    settingsChanged = Signal(float, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._radius = QDoubleSpinBox()
        self._radius.setRange(0.0, 4096.0)
        self._radius.setSpecialValueText("auto (side / 8)")
        self._radius.setSuffix(" px")
        self._levels = QSpinBox()
        self._levels.setRange(1, 8)
        self._levels.setValue(4)
        self._levels.setToolTip("Level k renders every 2^k-th row and column; density falls like 1 / d²")
        for sig in (self._radius.valueChanged, self._levels.valueChanged):
            sig.connect(lambda _v: self.settingsChanged.emit(self._radius.value(), self._levels.value()))
        self._follow = QCheckBox("Focus follows the canvas cursor")
        self._follow.toggled.connect(self.followCursorToggled)
        self._density = QCheckBox("Show the sample density")
        self._density.setToolTip("Grey = designed density (white = every pixel); red = rendered samples")
        self._density.toggled.connect(self._redraw)
        update = QPushButton("Render")
        update.clicked.connect(self.refreshRequested)
        self.image_view = pg.GraphicsLayoutWidget()
        self.image_view.setMinimumHeight(120)
        # no height preference: in a dock's scroll area the view then fills what the dock has
        self.image_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self._box, self._image = image_box(self.image_view)
        self._image.clicked.connect(lambda x, y: self.focusPicked.emit(x - 0.5, y - 0.5))
        self._focus = pg.ScatterPlotItem(size=12, pen=pg.mkPen("#ffd54f", width=2), brush=None, symbol="o")
        self._box.addItem(self._focus)
        self._stats = QLabel()
        self._stats.setWordWrap(True)
        self._images: tuple[np.ndarray, np.ndarray] | None = None
        form = QFormLayout()
        form.addRow("Fovea radius", self._radius)
        form.addRow("Levels", self._levels)
        row = QHBoxLayout()
        row.addWidget(self._density)
        row.addWidget(update)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._follow)
        layout.addLayout(row)
        layout.addWidget(self.image_view, 1)
        layout.addWidget(self._stats)

    def show_result(self, image: np.ndarray, density: np.ndarray, focus: tuple[float, float], text: str) -> None:
        self._images = (np.asarray(image), np.asarray(density))
        self._focus.setData([focus[0] + 0.5], [focus[1] + 0.5])
        self._stats.setText(text)
        self._redraw()
        self._box.autoRange(padding=0.0)

    def set_message(self, text: str) -> None:
        self._stats.setText(text)

    def message(self) -> str:
        return self._stats.text()

    def set_follow(self, on: bool) -> None:
        with QSignalBlocker(self._follow):
            self._follow.setChecked(on)

    def set_density_visible(self, on: bool) -> None:
        self._density.setChecked(on)

    def settings(self) -> tuple[float, int]:
        return self._radius.value(), self._levels.value()

    def shown_image(self) -> np.ndarray | None:
        image: np.ndarray | None = self._image.image
        return image

    def _redraw(self) -> None:
        if self._images is not None:
            self._image.setImage(self._images[1 if self._density.isChecked() else 0], levels=(0, 255))
