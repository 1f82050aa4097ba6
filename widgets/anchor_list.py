"""Anchor list: one row per latent anchor with its blend-weight slider, active marker and remove button."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QLabel,
    QRadioButton,
    QSlider,
    QToolButton,
    QWidget,
)

STEPS = 1000  # slider resolution for a weight in [0, 1]


class AnchorList(QWidget):
    """Rows of (active radio, label, weight slider, percentage, remove).

    Weights are shown raw; the style blends the anchors with the weights normalised to sum 1.

    Signals
    -------
    activeChanged(index: int)
        The anchor that seed entry and the seed browser edit.
    weightChanged(index: int, weight: float)
        A slider moved (live, while dragging).
    removeRequested(index: int)
    sliderPressed(), sliderReleased()
        Bracket a slider drag (one drag = one undo step).
    """

    activeChanged = Signal(int)
    weightChanged = Signal(int, float)
    removeRequested = Signal(int)
    sliderPressed = Signal()
    sliderReleased = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setColumnStretch(2, 1)
        self._group = QButtonGroup(self)
        self._group.idClicked.connect(self.activeChanged)
        self._labels: list[str] = []
        self._sliders: list[QSlider] = []
        self._values: list[QLabel] = []
        self._radios: list[QRadioButton] = []

    def set_anchors(self, labels: list[str], weights: list[float], active: int) -> None:
        """Show the anchors; rows are rebuilt only when their number changes (a drag keeps its slider)."""
        if len(labels) != len(self._labels):
            self._rebuild(labels)
        elif labels != self._labels:
            for radio, label in zip(self._radios, labels, strict=True):
                radio.setText(label)
            self._labels = list(labels)
        for i, w in enumerate(weights):
            with QSignalBlocker(self._sliders[i]):
                self._sliders[i].setValue(round(w * STEPS))
            self._values[i].setText(f"{w * 100:.0f}%")
        if 0 <= active < len(self._radios):
            with QSignalBlocker(self._group):
                self._radios[active].setChecked(True)

    def weights(self) -> list[float]:
        return [s.value() / STEPS for s in self._sliders]

    def slider(self, index: int) -> QSlider:
        return self._sliders[index]

    def _rebuild(self, labels: list[str]) -> None:
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if isinstance(widget, QRadioButton):
                self._group.removeButton(widget)
            if widget is not None:
                # detach now: until the deferred delete runs, a visible old row would be painted under the new
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        self._labels = list(labels)
        self._sliders, self._values, self._radios = [], [], []
        for i, label in enumerate(labels):
            radio = QRadioButton(label)
            radio.setToolTip("Active anchor: the seed box and the seed browser change this one")
            self._group.addButton(radio, i)
            slider = QSlider(Qt.Orientation.Horizontal)
            slider.setRange(0, STEPS)
            slider.setToolTip("Blend weight of this anchor (weights are normalised to sum 1)")
            slider.valueChanged.connect(lambda v, i=i: self._on_slider_value_changed(i, v))
            slider.sliderPressed.connect(self.sliderPressed)
            slider.sliderReleased.connect(self.sliderReleased)
            value = QLabel()
            value.setMinimumWidth(36)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            remove = QToolButton()
            remove.setText("✕")
            remove.setAutoRaise(True)
            remove.setToolTip("Remove this anchor")
            remove.setEnabled(len(labels) > 1)
            remove.clicked.connect(lambda _=False, i=i: self.removeRequested.emit(i))
            self._grid.addWidget(radio, i, 0)
            self._grid.addWidget(slider, i, 2)
            self._grid.addWidget(value, i, 3)
            self._grid.addWidget(remove, i, 4)
            self._radios.append(radio)
            self._sliders.append(slider)
            self._values.append(value)

    def _on_slider_value_changed(self, index: int, value: int) -> None:
        self._values[index].setText(f"{value / STEPS * 100:.0f}%")
        self.weightChanged.emit(index, value / STEPS)
