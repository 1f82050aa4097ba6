"""Strip view: a wide image (a panorama strip) scaled to the full width of the widget, aspect kept."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from widgets.image_items import to_qimage


class StripView(QWidget):
    """Shows one uint8 RGB image as wide as the widget (smoothly scaled, square pixels).

    When the widget is shorter than the scaled image needs, the image is fitted to the height instead and
    centred; `height_for_width` says how tall the widget should be to fill its width (the panorama dock is
    sized from it).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._array: np.ndarray | None = None
        self._qimage: QImage | None = None
        self.setMinimumHeight(24)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_image(self, image: np.ndarray) -> None:
        self._array = np.ascontiguousarray(image, dtype=np.uint8)
        self._qimage = to_qimage(self._array)
        self.updateGeometry()
        self.update()

    def image(self) -> np.ndarray | None:
        return self._array

    def height_for_width(self, width: int) -> int:
        """Height at which the image fills ``width`` pixels of width (0 without an image)."""
        if self._array is None:
            return 0
        h, w = self._array.shape[:2]
        return max(1, round(width * h / w))

    def target_rect(self) -> QRect:
        """Where the image is drawn: full width when the height allows, else full height, centred."""
        if self._array is None:
            return QRect()
        h, w = self._array.shape[:2]
        scale = min(self.width() / w, self.height() / h)
        tw, th = max(1, round(w * scale)), max(1, round(h * scale))
        return QRect((self.width() - tw) // 2, (self.height() - th) // 2, tw, th)

    def sizeHint(self) -> QSize:
        return QSize(480, max(self.minimumHeight(), self.height_for_width(480)))

    def paintEvent(self, event: QPaintEvent) -> None:
        if self._qimage is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(self.target_rect(), self._qimage)
        p.end()

    def minimumSizeHint(self) -> QSize:
        return QSize(64, self.minimumHeight())
