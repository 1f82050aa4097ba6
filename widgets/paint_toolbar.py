"""Paint toolbar: brush and eraser, brush size / hardness / opacity, painted anchor, layer range, mask tools."""

from __future__ import annotations

import functools

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMenu,
    QSpinBox,
    QToolBar,
    QToolButton,
    QWidget,
)

from widgets.palette import anchor_color

MASK_COMMANDS: tuple[tuple[str, str], ...] = (
    ("fill", "&Fill with This Anchor"), ("invert", "&Invert This Mask"), ("clear", "&Clear This Mask"),
    ("clear-all", "Clear &All Masks"), ("", ""), ("import", "&Import Greyscale Image…"), ("export", "&Export Masks…"))
RANGES = (("all", "All layers"), ("coarse", "Coarse layers"), ("fine", "Fine layers"))


def _spin(low: int, high: int, value: int, suffix: str, tip: str) -> QSpinBox:
    s = QSpinBox()
    s.setRange(low, high)
    s.setValue(value)
    s.setSuffix(suffix)
    s.setToolTip(tip)
    s.setKeyboardTracking(False)
    return s


class PaintToolbar(QToolBar):
    """Style painting: paint a weight map for the selected anchor on the canvas.

    Signals
    -------
    toolChanged(tool: str)
        "view" (drag pans), "paint" or "erase".
    brushChanged(size: float, hardness: float, opacity: float)
        Diameter in screen pixels, hardness and opacity in 0..1.
    anchorChanged(index: int)
        The anchor the brush paints.
    layerRangeChanged(layers: object)
        None (all layers) or the style-layer range (first, stop) strokes paint.
    overlayToggled(on: bool)
        Show the painted masks over the image.
    maskCommandRequested(command: str)
        "fill", "invert", "clear", "clear-all", "import" or "export".
    """

    toolChanged = Signal(str)
    brushChanged = Signal(float, float, float)
    anchorChanged = Signal(int)
    layerRangeChanged = Signal(object)
    overlayToggled = Signal(bool)
    maskCommandRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Paint", parent)
        self.setObjectName("paint_toolbar")
        self.brush_action = self._toggle("Brush", "B", "Paint the selected anchor's style (B)")
        self.eraser_action = self._toggle("Eraser", "E", "Erase the selected anchor's paint (E; "
                                          "right-drag erases with the brush too)")
        self.overlay_action = self._toggle("Masks", "M", "Show the painted masks over the image (M)")
        self.overlay_action.setChecked(True)
        self.brush_action.toggled.connect(lambda on: self._on_tool_toggled("paint", on))
        self.eraser_action.toggled.connect(lambda on: self._on_tool_toggled("erase", on))
        self.overlay_action.toggled.connect(self.overlayToggled)
        self._anchor = QComboBox()
        self._anchor.setToolTip("The anchor (style) the brush paints")
        # grow with the labels ("12: seed 123456"), so a longer seed is not clipped
        self._anchor.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._anchor.activated.connect(self.anchorChanged)
        self._size = _spin(1, 2000, 60, " px", "Brush diameter on screen ([ / ] resize)")
        self._hardness = _spin(0, 100, 50, " %", "Hardness: 100 % = hard edge, lower = wider feather")
        self._opacity = _spin(1, 100, 100, " %", "Opacity: the most one stroke paints")
        for s in (self._size, self._hardness, self._opacity):
            s.valueChanged.connect(self._on_brush_edited)
        self._range = QComboBox()
        for key, text in RANGES:
            self._range.addItem(text, key)
        self._range.setToolTip("Which style layers a stroke paints: all, only the coarse (layout) or only "
                               "the fine (texture) ones")
        self._range.activated.connect(self._on_range_edited)
        self._split = _spin(1, 1, 1, "", "Crossover: the first fine layer")
        self._split.valueChanged.connect(self._on_range_edited)
        self._split.setEnabled(False)
        self._layers = 0
        tools = QToolButton()
        tools.setText("Mask")
        tools.setToolTip("Mask tools: fill, invert, clear, import, export")
        tools.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(tools)
        for key, text in MASK_COMMANDS:
            if not key:
                menu.addSeparator()
            else:
                menu.addAction(text, functools.partial(self.maskCommandRequested.emit, key))
        tools.setMenu(menu)
        for item in (self.brush_action, self.eraser_action, None, QLabel(" Anchor "), self._anchor,
                     QLabel(" Size "), self._size, QLabel(" Hardness "), self._hardness, QLabel(" Opacity "),
                     self._opacity, None, self._range, QLabel(" at "), self._split, None, self.overlay_action,
                     tools):
            if item is None:
                self.addSeparator()
            elif isinstance(item, QAction):
                self.addAction(item)
            else:
                self.addWidget(item)

    def _toggle(self, text: str, key: str, tip: str) -> QAction:
        act = QAction(text, self)
        act.setCheckable(True)
        act.setShortcut(QKeySequence(key))
        act.setToolTip(tip)
        return act

    # ------------------------------------------------------------------ view API
    def set_tool(self, tool: str) -> None:
        for act, name in ((self.brush_action, "paint"), (self.eraser_action, "erase")):
            with QSignalBlocker(act):
                act.setChecked(tool == name)

    def tool(self) -> str:
        return "paint" if self.brush_action.isChecked() else "erase" if self.eraser_action.isChecked() else "view"

    def set_brush(self, size: float, hardness: float, opacity: float) -> None:
        for spin, value in ((self._size, size), (self._hardness, hardness * 100), (self._opacity, opacity * 100)):
            with QSignalBlocker(spin):
                spin.setValue(round(value))

    def brush(self) -> tuple[float, float, float]:
        return float(self._size.value()), self._hardness.value() / 100, self._opacity.value() / 100

    def set_anchors(self, labels: list[str], active: int) -> None:
        with QSignalBlocker(self._anchor):
            self._anchor.clear()
            for i, label in enumerate(labels):
                swatch = QPixmap(12, 12)
                swatch.fill(QColor(*anchor_color(i)))
                self._anchor.addItem(QIcon(swatch), f"{i + 1}: {label}")
            self._anchor.setCurrentIndex(min(max(active, 0), len(labels) - 1))

    def anchor(self) -> int:
        return self._anchor.currentIndex()

    def set_num_layers(self, n: int) -> None:
        """The model's style-layer count: the crossover runs over 1..n-1 and starts in the middle."""
        if n != self._layers:
            self._layers = n
            with QSignalBlocker(self._split):
                self._split.setRange(1, max(n - 1, 1))
                self._split.setValue(max(n // 2, 1))

    def layer_range(self) -> tuple[int, int] | None:
        key, k = self._range.currentData(), self._split.value()
        if key == "coarse":
            return (0, k)
        return (k, max(self._layers, k + 1)) if key == "fine" else None

    def set_overlay(self, on: bool) -> None:
        with QSignalBlocker(self.overlay_action):
            self.overlay_action.setChecked(on)

    # ------------------------------------------------------------------ edits
    def _on_tool_toggled(self, tool: str, on: bool) -> None:
        if on:  # brush and eraser exclude each other; both off = view (drag pans)
            self.set_tool(tool)
        self.toolChanged.emit(self.tool())

    def _on_brush_edited(self) -> None:
        self.brushChanged.emit(*self.brush())

    def _on_range_edited(self) -> None:
        self._split.setEnabled(self._range.currentData() != "all")
        self.layerRangeChanged.emit(self.layer_range())
