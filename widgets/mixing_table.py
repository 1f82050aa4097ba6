"""Style-mixing panel: the per-layer table (layers × anchors), the crossover preset and reset."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from widgets.mixing_grid import MixingGrid


class MixingTable(QWidget):
    """Per-layer style mixing: which anchors drive which of the generator's style layers.

    Rows run from the coarse layers (top: layout, pose) to the fine ones (bottom: texture, colour). While
    the table is off the blend sliders of the Latent panel drive every layer; editing a cell turns it on.

    Signals
    -------
    enabledToggled(on: bool)
        Use the table (on) or the Latent panel's blend sliders (off).
    cellsEdited(edits: list)
        New raw weights as (row, column, value) triples.
    crossoverRequested(coarse: int, fine: int, layer: int)
        Preset: layers before ``layer`` from anchor ``coarse``, the rest from anchor ``fine``.
    resetRequested()
        Every layer back to the sliders' blend.
    editStarted(), editFinished()
        Bracket a drag in the table (one drag = one undo step).
    """

    enabledToggled = Signal(bool)
    cellsEdited = Signal(list)
    crossoverRequested = Signal(int, int, int)
    resetRequested = Signal()
    editStarted = Signal()
    editFinished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._enabled = QCheckBox("Mix per layer")
        self._enabled.setToolTip("On: this table says which anchor drives each style layer (replacing the blend "
                                 "sliders). Off: the blend sliders drive every layer.")
        self._enabled.toggled.connect(self.enabledToggled)
        self.grid = MixingGrid()
        self.grid.cellsEdited.connect(self.cellsEdited)
        self.grid.editStarted.connect(self.editStarted)
        self.grid.editFinished.connect(self.editFinished)
        self._coarse, self._fine = QComboBox(), QComboBox()
        self._split = QSpinBox()
        self._layers = 0
        self._split.setToolTip("Crossover: the first style layer that takes the fine anchor")
        for w in (self._coarse, self._fine):
            w.setToolTip("Anchor for these layers")
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            w.setMinimumContentsLength(8)
            w.activated.connect(self._on_preset_edited)
        self._split.valueChanged.connect(self._on_preset_edited)
        reset = QPushButton("Reset")
        reset.setToolTip("Every layer back to the blend sliders' mix")
        reset.clicked.connect(self.resetRequested)
        apply = QPushButton("Apply")
        apply.setToolTip("Coarse layers from the first anchor, fine layers from the second")
        apply.clicked.connect(self._on_preset_edited)
        top = QHBoxLayout()
        top.addWidget(self._enabled)
        top.addStretch(1)
        top.addWidget(reset)
        split_row = QHBoxLayout()
        split_row.addWidget(self._split)
        split_row.addWidget(apply)
        split_row.addStretch(1)
        preset = QFormLayout()
        preset.addRow("Coarse layers from", self._coarse)
        preset.addRow("Fine layers from", self._fine)
        preset.addRow("Crossover at layer", split_row)
        hint = QLabel("Rows: coarse layers (layout) at the top, fine layers (texture, colour) below.")
        hint.setWordWrap(True)
        hint.setEnabled(False)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addLayout(preset)
        box.addWidget(hint)
        box.addWidget(self.grid)
        box.addStretch(1)

    # ------------------------------------------------------------------ view API
    def set_table(self, rows: list[list[float]], enabled: bool, row_labels: list[str],
                  col_labels: list[str]) -> None:
        """Show the table (or, when off, the sliders' blend in every row) and the anchors for the presets."""
        with QSignalBlocker(self._enabled):
            self._enabled.setChecked(enabled)
        self.grid.set_table(rows, row_labels, col_labels)
        self.grid.setEnabled(bool(rows))
        for combo, default in ((self._coarse, 0), (self._fine, 1)):
            with QSignalBlocker(combo):
                current = combo.currentIndex()
                combo.clear()
                combo.addItems(col_labels)
                keep = current if 0 <= current < len(col_labels) else default
                combo.setCurrentIndex(min(keep, len(col_labels) - 1))
        if len(row_labels) != self._layers:  # a new model: the crossover starts in the middle
            self._layers = len(row_labels)
            with QSignalBlocker(self._split):
                self._split.setRange(1, max(self._layers - 1, 1))
                self._split.setValue(max(self._layers // 2, 1))

    def enabled(self) -> bool:
        return self._enabled.isChecked()

    def set_preset(self, coarse: int, fine: int, layer: int) -> None:
        for w, v in ((self._coarse, coarse), (self._fine, fine), (self._split, layer)):
            with QSignalBlocker(w):
                w.setCurrentIndex(v) if isinstance(w, QComboBox) else w.setValue(v)

    def preset(self) -> tuple[int, int, int]:
        return self._coarse.currentIndex(), self._fine.currentIndex(), self._split.value()

    def _on_preset_edited(self) -> None:
        coarse, fine, layer = self.preset()
        if coarse >= 0 and fine >= 0:
            self.crossoverRequested.emit(coarse, fine, layer)
