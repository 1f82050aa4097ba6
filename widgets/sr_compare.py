"""Super-resolution compare: k x density render vs the native render upsampled, split view + synced crops."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from widgets.image_items import image_box
from widgets.job_controls import JobControls

METHODS = ("nearest", "bicubic", "lanczos")
CROP_FRACTION = 0.25  # crop side as a fraction of the image side


class SrComparePanel(QWidget):
    """Left of the split: the generator evaluated at k x density; right: the native render upsampled.

    Clicking the image moves the zoomed crop (the same region of both sides below it).

    Signals
    -------
    compareRequested(factor: int)
    cancelRequested()
    """

    compareRequested = Signal(int)
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._images: dict[str, np.ndarray] = {}
        self._centre = (0.5, 0.5)  # crop centre as fractions of the image
        self._factor = QSpinBox()
        self._factor.setRange(2, 8)
        self._factor.setValue(4)
        self._factor.setPrefix("k = ")
        self._factor.setToolTip("Density factor: the dense side samples the generator k × more finely")
        self._method = QComboBox()
        for m in METHODS:
            self._method.addItem(m.capitalize(), m)
        self._method.setCurrentIndex(2)
        self._method.setToolTip("How the native render is upsampled for the right side")
        self._method.currentIndexChanged.connect(self._redraw)
        self._job = JobControls("Compare", lambda: self.compareRequested.emit(self._factor.value()),
                                self.cancelRequested)
        self.compare_button, self.cancel_button = self._job.start, self._job.cancel
        self._progress = self._job.progress
        self.view = pg.GraphicsLayoutWidget()
        self.view.setMinimumHeight(120)
        # no height preference: in a dock's scroll area the view then fills what the dock has
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.view.setMaximumHeight(360)
        self._box, self._split = image_box(self.view)
        self._split.clicked.connect(self._on_image_clicked)
        self._crop_rect = pg.ROI((0, 0), (1, 1), movable=False, resizable=False, pen=pg.mkPen("#ffd54f"))
        self._box.addItem(self._crop_rect)
        self._slider = QSlider(Qt.Orientation.Horizontal)
        self._slider.setRange(0, 100)
        self._slider.setValue(50)
        self._slider.setToolTip("Split: k × render on the left, upsampled native render on the right")
        self._slider.valueChanged.connect(self._redraw)
        self.crops = pg.GraphicsLayoutWidget()
        self.crops.setMinimumHeight(80)
        self.crops.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.crops.setMaximumHeight(220)
        self._crop_boxes = [image_box(self.crops, 0, i) for i in range(2)]
        self._crop_labels = QHBoxLayout()
        self._left_label, self._right_label = QLabel("k × render"), QLabel("upsampled")
        for lab in (self._left_label, self._right_label):
            lab.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self._crop_labels.addWidget(lab)
        self._metrics = QLabel()
        self._metrics.setWordWrap(True)
        self._metrics.setTextFormat(Qt.TextFormat.RichText)
        grid = QGridLayout()
        grid.addWidget(self._factor, 0, 0)
        grid.addWidget(self._method, 0, 1)
        grid.addWidget(self.compare_button, 1, 0)
        grid.addWidget(self.cancel_button, 1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self._progress)
        layout.addWidget(self.view, 3)
        layout.addWidget(self._slider)
        layout.addWidget(self.crops, 2)
        layout.addLayout(self._crop_labels)
        layout.addWidget(self._metrics)
        self.set_busy(False)

    # ------------------------------------------------------------------ view API
    def show_comparison(self, images: dict[str, np.ndarray], metrics: dict[str, dict[str, float]],
                        factor: int) -> None:
        """``images``: uint8 [kH, kW, 3] for "render" and each method; ``metrics`` per method vs the render."""
        self._images = dict(images)
        rows = "".join(f"<tr><td>{m}</td><td align=right>{r['psnr']:.2f}</td><td align=right>{r['ssim']:.4f}</td>"
                       f"</tr>" for m, r in metrics.items())
        self._metrics.setText(f"<table cellspacing=6><tr><th>vs {factor}× render</th><th>PSNR dB</th>"
                              f"<th>SSIM</th></tr>{rows}</table>")
        self._left_label.setText(f"{factor}× render")
        self._redraw()
        self._box.autoRange(padding=0.0)

    def set_busy(self, busy: bool, fraction: float = 0.0) -> None:
        self._job.set_busy(busy, fraction)

    def set_message(self, text: str) -> None:
        self._metrics.setText(text)

    def message(self) -> str:
        return self._metrics.text()

    def factor_box(self) -> QSpinBox:
        """The upsampling factor k (Compare renders k times denser)."""
        return self._factor

    def method(self) -> str:
        return str(self._method.currentData())

    def set_method(self, method: str) -> None:
        self._method.setCurrentIndex(max(self._method.findData(method), 0))

    def set_split(self, percent: int) -> None:
        self._slider.setValue(percent)

    def set_crop_centre(self, fx: float, fy: float) -> None:
        """Centre of the zoomed crop as fractions of the image (0..1)."""
        self._centre = (min(max(fx, 0.0), 1.0), min(max(fy, 0.0), 1.0))
        self._redraw()

    def split_image(self) -> np.ndarray | None:
        image: np.ndarray | None = self._split.image
        return image

    def crop_images(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        return self._crop_boxes[0][1].image, self._crop_boxes[1][1].image

    def crop_box(self) -> tuple[int, int, int, int]:
        """(x, y, w, h) of the crop in dense pixels."""
        if "render" not in self._images:
            return (0, 0, 0, 0)
        h, w = self._images["render"].shape[:2]
        cw, ch = max(1, round(w * CROP_FRACTION)), max(1, round(h * CROP_FRACTION))
        x = min(max(round(self._centre[0] * w - cw / 2), 0), w - cw)
        y = min(max(round(self._centre[1] * h - ch / 2), 0), h - ch)
        return x, y, cw, ch

    # ------------------------------------------------------------------ internals
    def _redraw(self) -> None:
        render, other = self._images.get("render"), self._images.get(self.method())
        if render is None or other is None:
            return
        cut = round(render.shape[1] * self._slider.value() / 100)
        split = other.copy()
        split[:, :cut] = render[:, :cut]
        if 0 < cut < split.shape[1]:
            split[:, cut] = (255, 213, 79)  # the split line
        self._split.setImage(split, levels=(0, 255))
        x, y, cw, ch = self.crop_box()
        with QSignalBlocker(self._crop_rect):
            self._crop_rect.setPos((x, y))
            self._crop_rect.setSize((cw, ch))
        for (box, item), img in zip(self._crop_boxes, (render, other), strict=True):
            item.setImage(np.ascontiguousarray(img[y:y + ch, x:x + cw]), levels=(0, 255))
            box.autoRange(padding=0.0)
        self._right_label.setText(f"{self.method()} upsampled")

    def _on_image_clicked(self, x: float, y: float) -> None:
        render = self._images.get("render")
        if render is not None:
            self.set_crop_centre(x / render.shape[1], y / render.shape[0])
