"""Panorama panel: an upright cylinder strip of the view (cross-faded wrap), its seam check and export."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from widgets.strip_view import StripView


@dataclass(frozen=True)
class StripSettings:
    """What the panel asks for: strip width (px), one turn in view heights, yaw (degrees), blend (0..0.5)."""

    width: int = 720
    turn: float = 6.0
    yaw: float = 0.0
    blend: float = 0.125


class PanoramaPanel(QWidget):
    """An upright cylinder strip of the current view: centre and zoom from the view, the rest here.

    Signals
    -------
    settingsChanged()
        Width, turn length, yaw or blend changed (re-render).
    exportRequested()
        Export the panorama at high resolution (the export dialog, cylinder projection).
    """

    settingsChanged = Signal()
    exportRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        d = StripSettings()
        self._width = QSpinBox()
        self._width.setRange(64, 4096)
        self._width.setValue(d.width)
        self._width.setSuffix(" px")
        self._width.setToolTip("Strip width in pixels: one full turn of the cylinder")
        self._turn = QDoubleSpinBox()
        self._turn.setRange(1.0, 64.0)
        self._turn.setDecimals(1)
        self._turn.setValue(d.turn)
        self._turn.setSuffix(" × height")
        self._turn.setToolTip("Length of one turn in view heights (the strip's aspect ratio). The strip runs "
                              "straight along x through the view centre at the view's zoom, so a longer turn "
                              "reaches further beyond the training frame.")
        self._yaw = QDoubleSpinBox()
        self._yaw.setRange(-180.0, 180.0)
        self._yaw.setWrapping(True)
        self._yaw.setSuffix("°")
        self._yaw.setToolTip("Turns the cylinder: where the strip starts (360° / width per column)")
        self._blend = QDoubleSpinBox()
        self._blend.setRange(0.0, 50.0)
        self._blend.setDecimals(1)
        self._blend.setSingleStep(2.5)
        self._blend.setValue(100 * d.blend)
        self._blend.setSuffix(" %")
        self._blend.setToolTip("Share of the strip width, at its right end, that fades into the content just "
                               "left of its start, so the right end runs on into the left end without a seam. "
                               "Each pixel there mixes two real renders; 0 % shows the hard seam.")
        self._period: float | None = None
        self._turn_tip, self._blend_tip = self._turn.toolTip(), self._blend.toolTip()
        for sig in (self._width.valueChanged, self._turn.valueChanged, self._yaw.valueChanged,
                    self._blend.valueChanged):
            sig.connect(lambda _v: self.settingsChanged.emit())
        export = QPushButton("Export Panorama…")
        export.setToolTip("Render the strip at any size in tiles (the same turn, yaw and blend)")
        export.clicked.connect(self.exportRequested)
        self.strip = StripView()
        self._message = QLabel()
        self._message.setWordWrap(True)
        controls = QHBoxLayout()
        for text, box in (("Width", self._width), ("Turn", self._turn), ("Yaw", self._yaw),
                          ("Blend", self._blend)):
            label = QLabel(text)
            label.setToolTip(box.toolTip())
            controls.addWidget(label)
            controls.addWidget(box)
        controls.addStretch(1)
        controls.addWidget(export)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.strip, 1)
        layout.addWidget(self._message)

    def set_period(self, period: float | None) -> None:
        """A model periodic along x (period in frame units) sets the turn itself: Turn and Blend are off."""
        self._period = period
        for box in (self._turn, self._blend):
            box.setEnabled(period is None)
        if period is None:
            self._turn.setToolTip(self._turn_tip)
            self._blend.setToolTip(self._blend_tip)
        else:
            own = (f"This model is periodic along x: one turn is its own period ({period:g} frame units), so "
                   "the strip wraps exactly without a cross-fade; its length in heights follows the view's zoom.")
            self._turn.setToolTip(own)
            self._blend.setToolTip(own)

    def period(self) -> float | None:
        return self._period

    def turn_editable(self) -> bool:
        """Whether Turn and Blend can be changed (not for a periodic model, whose turn is its period)."""
        return self._turn.isEnabled() and self._blend.isEnabled()

    def settings(self) -> StripSettings:
        return StripSettings(self._width.value(), self._turn.value(), self._yaw.value(), self._blend.value() / 100.0)

    def set_settings(self, s: StripSettings) -> None:
        self._width.setValue(s.width)
        self._turn.setValue(s.turn)
        self._yaw.setValue(s.yaw)
        self._blend.setValue(100 * s.blend)

    def show_strip(self, image: np.ndarray, text: str) -> None:
        self.strip.set_image(image)
        self._message.setText(text)

    def set_message(self, text: str) -> None:
        self._message.setText(text)

    def message(self) -> str:
        return self._message.text()

    def image(self) -> np.ndarray | None:
        return self.strip.image()

    def height_to_fill_width(self) -> int:
        """Panel height at which the strip fills the panel's width (0 before the first strip)."""
        strip = self.strip.height_for_width(self.strip.width())
        if strip == 0:
            return 0
        return self.sizeHint().height() - self.strip.sizeHint().height() + strip
