"""Embedding PCA panel: the top-3 principal components of a learned embedding as RGB, explained variance."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

BARS = 10  # explained-variance bars shown (the CLI's CSV has the same ten columns)


class PcaPanel(QWidget):
    """Shows one embedding's PCA; a combo picks the embedding (INR-GAN has one per scale).

    Signals
    -------
    refreshRequested()
        Compute the PCA of the loaded model's embeddings.
    embeddingChanged(name: str)
        Show another embedding.
    """

    refreshRequested = Signal()
    embeddingChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names = QComboBox()
        self._names.setToolTip("Learned per-position embedding (INR-GAN: one per scale)")
        self._names.currentTextChanged.connect(self.embeddingChanged)
        update = QPushButton("Update")
        update.clicked.connect(self.refreshRequested)
        self.image_view = pg.GraphicsLayoutWidget()
        self.image_view.setMinimumHeight(100)
        # no height preference: in a dock's scroll area the view then fills what the dock has
        self.image_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.image_view.setMaximumHeight(320)
        self._box = box = self.image_view.addViewBox(lockAspect=True, invertY=True)
        box.setMouseEnabled(False, False)
        self._image = pg.ImageItem(axisOrder="row-major")
        box.addItem(self._image)
        self.bars = pg.PlotWidget()
        self.bars.setMinimumHeight(90)
        self.bars.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.bars.setLabel("bottom", "principal component")
        self.bars.setLabel("left", "explained variance", units="%")
        self.bars.getAxis("left").enableAutoSIPrefix(False)
        self.bars.setMouseEnabled(False, False)
        self._bar_item: pg.BarGraphItem | None = None
        self._explained = np.zeros(0)
        self._message = QLabel()
        self._message.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self._names, 1)
        top.addWidget(update)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.image_view, 3)
        layout.addWidget(self.bars, 2)
        layout.addWidget(self._message)

    # ------------------------------------------------------------------ view API
    def set_embeddings(self, names: list[str], current: str = "") -> None:
        with QSignalBlocker(self._names):
            self._names.clear()
            self._names.addItems(names)
            if current in names:
                self._names.setCurrentText(current)
        self._names.setEnabled(len(names) > 1)

    def current(self) -> str:
        return self._names.currentText()

    def show_pca(self, rgb8: np.ndarray, explained: np.ndarray) -> None:
        """RGB of the top-3 projections (uint8 [H, W, 3]) and the explained-variance ratios."""
        self._image.setImage(np.asarray(rgb8), levels=(0, 255))
        self._image.show()
        self._box.autoRange(padding=0.0)
        self._explained = np.asarray(explained[:BARS], np.float64)
        if self._bar_item is not None:
            self.bars.removeItem(self._bar_item)
        x = np.arange(1, len(self._explained) + 1)
        brushes = [pg.mkBrush(c) for c in ("#e57373", "#81c784", "#64b5f6")] + \
            [pg.mkBrush("#9e9e9e")] * max(len(x) - 3, 0)
        percent = 100.0 * self._explained
        self._bar_item = pg.BarGraphItem(x=x, height=percent, width=0.7, brushes=brushes[:len(x)])
        self.bars.addItem(self._bar_item)
        self.bars.setXRange(0.3, BARS + 0.7)
        self.bars.setYRange(0, max(float(percent.max(initial=0.0)), 1e-6) * 1.1)

    def clear(self) -> None:
        self._image.clear()
        self._image.hide()
        if self._bar_item is not None:
            self.bars.removeItem(self._bar_item)
            self._bar_item = None
        self._explained = np.zeros(0)

    def set_message(self, text: str) -> None:
        self._message.setText(text)

    def message(self) -> str:
        return self._message.text()

    def image(self) -> np.ndarray | None:
        image: np.ndarray | None = self._image.image
        return image

    def explained(self) -> np.ndarray:
        return self._explained
