"""Layer viewer: one layer's activations as RGB of three channels or one channel in grey."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

NORMS = (("channel", "Min–max per channel"), ("joint", "Min–max over the shown channels"),
         ("percentile", "1–99 % percentiles per channel"), ("symmetric", "Symmetric ±max |a| (0 = grey)"))


class LayerViewer(QWidget):
    """Pick a layer, channels and a normalisation; the controller computes and sends the image.

    Signals
    -------
    layerChanged(name: str)
    displayChanged()
        Mode, channels or normalisation changed (no new activations needed).
    refreshRequested()
    """

    layerChanged = Signal(str)
    displayChanged = Signal()
    refreshRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layer = QComboBox()
        self._layer.setToolTip("The generator's layers in execution order (CIPS: lff = Fourier features, emb = the "
                               "sampled embedding; INR-GAN: coord_fuser = coordinate features; CREPS: line layers "
                               "show row lines in slots 0..K-1 and column lines in K..2K-1 of each channel)")
        self._layer.currentTextChanged.connect(self.layerChanged)
        update = QPushButton("Update")
        update.clicked.connect(self.refreshRequested)
        self._mode = QComboBox()
        self._mode.addItem("RGB of three channels", "rgb")
        self._mode.addItem("One channel, grey", "grey")
        self._channels = [QSpinBox() for _ in range(3)]
        for i, (box, name) in enumerate(zip(self._channels, "RGB", strict=True)):
            box.setPrefix(f"{name} ")
            box.setValue(i)
            box.valueChanged.connect(self.displayChanged)
        self._norm = QComboBox()
        for key, text in NORMS:
            self._norm.addItem(text, key)
        for combo in (self._mode, self._norm):
            combo.currentIndexChanged.connect(self._on_option_changed)
        self.image_view = pg.GraphicsLayoutWidget()
        self.image_view.setMinimumHeight(120)
        # no height preference: in a dock's scroll area the view then fills what the dock has
        self.image_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self._box = box = self.image_view.addViewBox(lockAspect=True, invertY=True)
        box.setMouseEnabled(False, False)
        self._image = pg.ImageItem(axisOrder="row-major")
        box.addItem(self._image)
        self._message = QLabel()
        self._message.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self._layer, 1)
        top.addWidget(update)
        chans = QHBoxLayout()
        for b in self._channels:
            chans.addWidget(b)
        form = QFormLayout()
        form.addRow("Show", self._mode)
        form.addRow("Channels", chans)
        form.addRow("Normalise", self._norm)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(self.image_view, 1)
        layout.addWidget(self._message)
        self._on_option_changed()

    # ------------------------------------------------------------------ view API
    def set_layers(self, names: list[str], current: str = "") -> None:
        with QSignalBlocker(self._layer):
            self._layer.clear()
            self._layer.addItems(names)
            if current in names:
                self._layer.setCurrentText(current)
        self._layer.setEnabled(bool(names))

    def layer(self) -> str:
        return self._layer.currentText()

    def set_channel_count(self, count: int) -> None:
        for i, box in enumerate(self._channels):
            with QSignalBlocker(box):
                box.setRange(0, max(count - 1, 0))
                if box.value() >= count:
                    box.setValue(min(i, max(count - 1, 0)))

    def set_options(self, mode: str, channels: tuple[int, ...], norm: str) -> None:
        with QSignalBlocker(self._mode), QSignalBlocker(self._norm):
            self._mode.setCurrentIndex(max(self._mode.findData(mode), 0))
            self._norm.setCurrentIndex(max(self._norm.findData(norm), 0))
        for box, c in zip(self._channels, channels, strict=False):
            with QSignalBlocker(box):
                box.setValue(c)
        self._on_option_changed()

    def options(self) -> tuple[str, tuple[int, ...], str]:
        """(mode "rgb" | "grey", channel indices, normalisation key)."""
        mode = str(self._mode.currentData())
        chans = tuple(b.value() for b in self._channels[: 3 if mode == "rgb" else 1])
        return mode, chans, str(self._norm.currentData())

    def show_image(self, rgb8: np.ndarray) -> None:
        self._image.setImage(np.asarray(rgb8), levels=(0, 255))
        self._image.show()
        self._box.autoRange(padding=0.0)

    def clear(self) -> None:
        self._image.clear()
        self._image.hide()

    def image(self) -> np.ndarray | None:
        image: np.ndarray | None = self._image.image
        return image

    def layer_combo(self) -> QComboBox:
        return self._layer

    def image_visible(self) -> bool:
        return self._image.isVisible()

    def set_message(self, text: str) -> None:
        self._message.setText(text)

    def message(self) -> str:
        return self._message.text()

    def _on_option_changed(self) -> None:
        grey = self._mode.currentData() == "grey"
        for box in self._channels[1:]:
            box.setVisible(not grey)
        self._channels[0].setPrefix("channel " if grey else "R ")
        self.displayChanged.emit()
