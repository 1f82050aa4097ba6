"""View panel: numeric camera (centre, zoom, rotation dial), render quality and the training-frame overlay."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDial,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.types import Camera

QUALITIES = (0.25, 0.5, 1.0, 2.0, 4.0)


class ViewPanel(QWidget):
    """Numeric view controls; every edit is an intent signal.

    Signals
    -------
    cameraEdited(camera: Camera)
        Centre, zoom or rotation typed or dialled.
    qualityChanged(scale: float)
        Render resolution as a multiple of the canvas' device pixels (0.25 ... 4).
    overlayToggled(on: bool)
        Show the training frame [-1, 1]² outline.
    resetRequested()
    editStarted(), editFinished()
        Bracket a dial drag (one drag = one undo step).
    """

    cameraEdited = Signal(object)
    qualityChanged = Signal(float)
    overlayToggled = Signal(bool)
    resetRequested = Signal()
    editStarted = Signal()
    editFinished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._camera = Camera()
        self._x, self._y = self._coord("x"), self._coord("y")
        self._zoom = QDoubleSpinBox()
        self._zoom.setRange(0.001, 100000.0)
        self._zoom.setDecimals(3)
        self._zoom.setStepType(QDoubleSpinBox.StepType.AdaptiveDecimalStepType)
        self._zoom.setSuffix(" ×")
        self._zoom.setKeyboardTracking(False)
        self._zoom.setToolTip("Magnification: 1 = the training frame fits the shorter side; < 1 shows "
                              "extrapolation beyond it")
        self._zoom.valueChanged.connect(lambda v: self._emit(zoom=float(v)))
        self._dial = QDial()
        self._dial.setRange(-180, 180)
        self._dial.setWrapping(True)
        self._dial.setNotchesVisible(True)
        self._dial.setFixedSize(64, 64)
        self._dial.setToolTip("Rotation of the view (Shift-drag on the canvas also rotates)")
        self._dial.valueChanged.connect(lambda v: self._emit(rotation=float(v)))
        self._dial.sliderPressed.connect(self.editStarted)
        self._dial.sliderReleased.connect(self.editFinished)
        self._angle = QDoubleSpinBox()
        self._angle.setRange(-180.0, 180.0)
        self._angle.setDecimals(1)
        self._angle.setSuffix("°")
        self._angle.setWrapping(True)
        self._angle.setKeyboardTracking(False)
        self._angle.valueChanged.connect(lambda v: self._emit(rotation=float(v)))
        self._quality = QComboBox()
        for q in QUALITIES:
            self._quality.addItem(f"{q:g}× canvas", q)
        self._quality.setToolTip("Render resolution relative to the canvas' device pixels "
                                 "(> 1× renders super-resolution, < 1× is faster)")
        self._quality.currentIndexChanged.connect(
            lambda i: self.qualityChanged.emit(float(self._quality.itemData(i))))
        self._render_size = QLabel("–")
        self._overlay = QCheckBox("Show training frame")
        self._overlay.setToolTip("Outline the training frame [-1, 1]²: outside it the model extrapolates")
        self._overlay.toggled.connect(self.overlayToggled)
        reset = QPushButton("Reset view")
        reset.setToolTip("Back to the identity camera (Home, or double-click the canvas)")
        reset.clicked.connect(self.resetRequested)
        rotation = QHBoxLayout()
        rotation.addWidget(self._dial)
        rotation.addWidget(self._angle)
        form = QFormLayout()
        form.addRow("Centre", self._x)
        form.addRow("", self._y)
        form.addRow("Zoom", self._zoom)
        form.addRow("Rotation", rotation)
        form.addRow("Quality", self._quality)
        form.addRow("Render size", self._render_size)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._overlay)
        layout.addWidget(reset)
        layout.addStretch(1)

    def _coord(self, name: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(-1e6, 1e6)
        box.setDecimals(4)
        box.setSingleStep(0.05)
        box.setPrefix(f"{name} ")
        box.setKeyboardTracking(False)
        box.setToolTip(f"View centre {name} in frame coordinates (training frame = [-1, 1])")
        box.valueChanged.connect(lambda _v: self._emit(center=(self._x.value(), self._y.value())))
        return box

    def _emit(self, **change: object) -> None:
        self.cameraEdited.emit(dataclasses.replace(self._camera, **change))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ view API
    def set_camera(self, camera: Camera) -> None:
        self._camera = camera
        for box, value in ((self._x, camera.center[0]), (self._y, camera.center[1]),
                           (self._zoom, camera.zoom), (self._angle, camera.rotation)):
            with QSignalBlocker(box):
                box.setValue(value)
        with QSignalBlocker(self._dial):
            self._dial.setValue(round(camera.rotation))

    def set_quality(self, scale: float) -> None:
        index = self._quality.findData(scale)
        with QSignalBlocker(self._quality):
            self._quality.setCurrentIndex(index if index >= 0 else self._quality.findData(1.0))

    def set_overlay(self, on: bool) -> None:
        with QSignalBlocker(self._overlay):
            self._overlay.setChecked(on)

    def set_render_size(self, width: int, height: int) -> None:
        self._render_size.setText(f"{width} × {height} px")

    @property
    def dial(self) -> QDial:
        return self._dial
