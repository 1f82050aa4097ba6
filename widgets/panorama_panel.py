"""Panorama panel: the view's ring unrolled onto a cylinder strip (seamless wrap), seam check, export."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


class PanoramaPanel(QWidget):
    """A cylinder strip of the current view: centre and zoom from the view, yaw and thickness here.

    Signals
    -------
    settingsChanged()
        Width, thickness or yaw changed (re-render).
    exportRequested()
        Export the panorama at high resolution (the export dialog, cylinder projection).
    """

    settingsChanged = Signal()
    exportRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._width = QSpinBox()
        self._width.setRange(64, 4096)
        self._width.setValue(480)
        self._width.setSuffix(" px")
        self._width.setToolTip("Strip width: one full turn around the view centre")
        self._thickness = QSpinBox()
        self._thickness.setRange(5, 95)
        self._thickness.setValue(60)
        self._thickness.setSuffix(" %")
        self._thickness.setToolTip("Ring thickness (height of the strip) as a share of the largest seamless one")
        self._yaw = QDoubleSpinBox()
        self._yaw.setRange(-180.0, 180.0)
        self._yaw.setWrapping(True)
        self._yaw.setSuffix("°")
        self._yaw.setToolTip("Where the strip starts around the ring")
        for sig in (self._width.valueChanged, self._thickness.valueChanged, self._yaw.valueChanged):
            sig.connect(lambda _v: self.settingsChanged.emit())
        export = QPushButton("Export Panorama…")
        export.clicked.connect(self.exportRequested)
        self.image_view = pg.GraphicsLayoutWidget()
        self.image_view.setMinimumHeight(120)
        # no height preference: in a dock's scroll area the view then fills what the dock has
        self.image_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self._box = self.image_view.addViewBox(lockAspect=True, invertY=True)
        self._box.setMouseEnabled(False, False)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._box.addItem(self._image)
        self._message = QLabel()
        self._message.setWordWrap(True)
        controls = QHBoxLayout()
        for text, box in (("Width", self._width), ("Thickness", self._thickness), ("Yaw", self._yaw)):
            controls.addWidget(QLabel(text))
            controls.addWidget(box)
        controls.addStretch(1)
        controls.addWidget(export)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.image_view, 1)
        layout.addWidget(self._message)

    def settings(self) -> tuple[int, float, float]:
        """(strip width, thickness fraction 0..1, yaw in degrees)."""
        return self._width.value(), self._thickness.value() / 100.0, self._yaw.value()

    def set_settings(self, width: int, thickness: float, yaw: float) -> None:
        self._width.setValue(width)
        self._thickness.setValue(round(100 * thickness))
        self._yaw.setValue(yaw)

    def show_strip(self, image: np.ndarray, text: str) -> None:
        self._image.setImage(np.asarray(image), levels=(0, 255))
        self._box.autoRange(padding=0.0)
        self._message.setText(text)

    def set_message(self, text: str) -> None:
        self._message.setText(text)

    def message(self) -> str:
        return self._message.text()

    def image(self) -> np.ndarray | None:
        image: np.ndarray | None = self._image.image
        return image
