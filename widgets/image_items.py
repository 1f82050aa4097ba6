"""Image pieces several views share: numpy -> QImage, and a clickable pyqtgraph image in a fixed view box."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QImage


def to_qimage(image: np.ndarray) -> QImage:
    """uint8 [H, W, 3] (RGB) or [H, W, 4] (RGBA) -> a QImage that owns a copy of the pixels."""
    a = np.ascontiguousarray(image, dtype=np.uint8)
    h, w = a.shape[:2]
    if a.ndim == 3 and a.shape[2] == 4:
        return QImage(a.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
    return QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()  # copy: own the pixels


class ClickableImage(pg.ImageItem):
    """An image item that reports clicks in its pixel coordinates."""

    clicked = Signal(float, float)

    def mouseClickEvent(self, event: Any) -> None:
        pos = event.pos()
        self.clicked.emit(float(pos.x()), float(pos.y()))


def image_box(view: pg.GraphicsLayoutWidget, row: int = 0, col: int = 0) -> tuple[pg.ViewBox, ClickableImage]:
    """A view box at (row, col) of ``view`` with square pixels, y down and no mouse panning, holding a
    row-major `ClickableImage`."""
    box = view.addViewBox(row=row, col=col, lockAspect=True, invertY=True)
    box.setMouseEnabled(False, False)
    item = ClickableImage(axisOrder="row-major")
    box.addItem(item)
    return box, item
