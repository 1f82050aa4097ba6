"""The canvas: paints the newest frame where its camera puts it and turns gestures into view intents."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QNativeGestureEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QResizeEvent,
    QShowEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import QGestureEvent, QPinchGesture, QSizePolicy, QWidget

from widgets.image_items import to_qimage

WHEEL_STEP = 1.2  # zoom factor per wheel notch
FRAME_CORNERS = ((-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0))


BRUSH_KEYS = {Qt.Key.Key_BracketLeft: 1 / 1.25, Qt.Key.Key_BracketRight: 1.25}  # [ / ]: brush size


class CanvasWidget(QWidget):
    """Shows rendered frames; every gesture becomes an intent signal (the widget never changes the view).

    A frame is drawn through ``image_to_frame`` (its own camera) followed by the inverse of the current
    ``widget_to_frame`` map, so while a render is pending the last frame appears moved, scaled or turned
    as a preview, and a coarse pass appears where its final pixels will be.

    Signals
    -------
    panRequested(dx: float, dy: float)
        Drag the content by (dx, dy) widget pixels.
    zoomRequested(factor: float, x: float, y: float)
        Zoom by ``factor`` about widget point (x, y).
    rotateRequested(degrees: float)
        Turn the content clockwise on screen by ``degrees`` about the view centre.
    resetRequested()
        Double-click: back to the identity view.
    gestureStarted(kind: str), gestureFinished()
        Bracket a drag ("pan" or "rotate"), so one drag can become one undo step.
    cursorMoved(x: float, y: float)
        Frame coordinates under the cursor.
    cursorLeft()
    viewportChanged(width: float, height: float, device_pixel_ratio: float)
        The widget's logical size or its screen's pixel ratio changed.
    paintStarted(x: float, y: float, erase: bool), paintMoved(x: float, y: float), paintFinished()
        A brush stroke at widget points (brush tools only; right-drag erases; middle-drag still pans).
    brushResizeRequested(factor: float)
        [ / ] with a brush tool: scale the brush.
    """

    panRequested = Signal(float, float)
    zoomRequested = Signal(float, float, float)
    rotateRequested = Signal(float)
    resetRequested = Signal()
    gestureStarted = Signal(str)
    gestureFinished = Signal()
    cursorMoved = Signal(float, float)
    cursorLeft = Signal()
    viewportChanged = Signal(float, float, float)
    paintStarted = Signal(float, float, bool)
    paintMoved = Signal(float, float)
    paintFinished = Signal()
    brushResizeRequested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(64, 64)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.grabGesture(Qt.GestureType.PinchGesture)
        self.setToolTip("Drag: pan · Shift-drag: rotate · Wheel / pinch: zoom about the cursor · "
                        "Double-click: reset view")
        self._image: QImage | None = None
        self._image_to_frame = QTransform()
        self._frame_to_widget = QTransform()
        self._widget_to_frame = QTransform()
        self._overlay = True
        self._message = ""
        self._busy = False
        self._drag: str | None = None
        self._last = QPointF()
        self._background = QColor(38, 38, 42)
        self._tool = "view"  # "view": drags pan; "paint" / "erase": drags are brush strokes
        self._brush = (60.0, 0.5)  # diameter in widget pixels, hardness
        self._stroke = False
        self._hover: QPointF | None = None
        self._mask: QImage | None = None
        self._mask_to_frame = QTransform()
        self._mask_visible = True

    # ------------------------------------------------------------------ view API
    def show_frame(self, image: np.ndarray, image_to_frame: QTransform) -> None:
        """Show ``image`` (uint8 [H, W, 3]) whose pixel coordinates map to frame coordinates this way."""
        self._image = to_qimage(image)
        self._image_to_frame = image_to_frame
        self.update()

    def clear_frame(self) -> None:
        self._image = None
        self.update()

    def set_view(self, widget_to_frame: QTransform) -> None:
        """The current camera as a map from widget to frame coordinates."""
        inverse, ok = widget_to_frame.inverted()
        if ok:
            self._widget_to_frame, self._frame_to_widget = widget_to_frame, inverse
            self.update()

    def set_overlay_visible(self, visible: bool) -> None:
        self._overlay = visible
        self.update()

    def overlay_visible(self) -> bool:
        return self._overlay

    def set_message(self, text: str) -> None:
        """A hint drawn in the middle when there is no frame (e.g. no model loaded)."""
        self._message = text
        self.update()

    def message(self) -> str:
        return self._message

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.update()

    def has_frame(self) -> bool:
        return self._image is not None

    def viewport(self) -> tuple[float, float, float]:
        return float(self.width()), float(self.height()), float(self.devicePixelRatioF())

    # ------------------------------------------------------------------ brush and masks (style painting)
    def set_tool(self, tool: str) -> None:
        """ "view" (drags pan), "paint" or "erase" (left drags are strokes)."""
        self._tool = tool
        self.setCursor(Qt.CursorShape.OpenHandCursor if tool == "view" else Qt.CursorShape.CrossCursor)
        self.update()

    def tool(self) -> str:
        return self._tool

    def set_brush(self, diameter: float, hardness: float) -> None:
        """The brush outline: diameter in widget pixels and hardness (inner ring) in 0..1."""
        self._brush = (diameter, hardness)
        self.update()

    def set_mask_overlay(self, image: np.ndarray | None, image_to_frame: QTransform) -> None:
        """Painted masks as an RGBA uint8 image whose pixel coordinates map to frame coordinates this way."""
        self._mask = None if image is None else to_qimage(image)
        self._mask_to_frame = image_to_frame
        self.update()

    def has_mask_overlay(self) -> bool:
        return self._mask is not None

    def set_mask_overlay_visible(self, visible: bool) -> None:
        self._mask_visible = visible
        self.update()

    def mask_overlay_visible(self) -> bool:
        return self._mask_visible

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self._background)
        if self._image is not None:
            p.save()
            t = self._image_to_frame * self._frame_to_widget
            scaled = abs(t.m11() - 1.0) > 1e-6 or abs(t.m22() - 1.0) > 1e-6 or t.isRotating()
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scaled)
            p.setTransform(t)
            p.drawImage(QPointF(0.0, 0.0), self._image)
            p.restore()
        elif self._message:
            p.setPen(QColor(200, 200, 205))
            p.drawText(self.rect().adjusted(16, 16, -16, -16),
                       Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message)
        if self._mask_visible and self._mask is not None and self._image is not None:
            p.save()
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.setTransform(self._mask_to_frame * self._frame_to_widget)
            p.drawImage(QPointF(0.0, 0.0), self._mask)
            p.restore()
        if self._overlay and self._image is not None:
            self._paint_frame_outline(p)
        if self._tool != "view" and self._hover is not None:
            self._paint_brush_outline(p, self._hover)
        if self._busy:
            p.setPen(QColor(255, 255, 255, 190))
            p.drawText(self.rect().adjusted(6, 6, -8, -6),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, "rendering…")
        p.end()

    def _paint_frame_outline(self, p: QPainter) -> None:
        poly = QPolygonF([self._frame_to_widget.map(QPointF(x, y)) for x, y in FRAME_CORNERS])
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(0, 0, 0, 170), 3.0))
        p.drawPolygon(poly)
        dashed = QPen(QColor(255, 255, 255, 230), 1.2, Qt.PenStyle.DashLine)
        p.setPen(dashed)
        p.drawPolygon(poly)
        corner = poly.at(0) + QPointF(4.0, 14.0)  # near the frame's (-1, -1) corner, wherever it turned
        if self.rect().contains(corner.toPoint()):
            p.setPen(QColor(0, 0, 0, 200))
            p.drawText(corner + QPointF(1.0, 1.0), "training frame")
            p.setPen(QColor(255, 255, 255))
            p.drawText(corner, "training frame")

    def _paint_brush_outline(self, p: QPainter, at: QPointF) -> None:
        radius, hardness = self._brush[0] / 2, self._brush[1]
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        p.setBrush(Qt.BrushStyle.NoBrush)
        for colour, width in ((QColor(0, 0, 0, 160), 3.0), (QColor(255, 255, 255, 230), 1.2)):
            p.setPen(QPen(colour, width))
            p.drawEllipse(at, radius, radius)
        if 0.0 < hardness < 1.0:  # the hard core: the feather lies between the two rings
            p.setPen(QPen(QColor(255, 255, 255, 150), 1.0, Qt.PenStyle.DotLine))
            p.drawEllipse(at, radius * hardness, radius * hardness)

    # ------------------------------------------------------------------ gestures
    def _start_stroke(self, event: QMouseEvent) -> bool:
        if self._tool == "view" or event.button() not in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            return False
        self._stroke = True
        pos = event.position()
        self.paintStarted.emit(pos.x(), pos.y(), self._tool == "erase" or event.button() == Qt.MouseButton.RightButton)
        event.accept()
        return True

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self._start_stroke(event):
            return
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            self._drag = "rotate" if shift and event.button() == Qt.MouseButton.LeftButton else "pan"
            self._last = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            self.gestureStarted.emit(self._drag)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        fp = self._widget_to_frame.map(pos)
        self.cursorMoved.emit(fp.x(), fp.y())
        if self._tool != "view":
            self._hover = pos
            self.update()
        if self._stroke:
            self.paintMoved.emit(pos.x(), pos.y())
        elif self._drag == "pan":
            d = pos - self._last
            if d.x() or d.y():
                self.panRequested.emit(d.x(), d.y())
        elif self._drag == "rotate":
            c = QRectF(self.rect()).center()
            a0 = math.atan2(self._last.y() - c.y(), self._last.x() - c.x())
            a1 = math.atan2(pos.y() - c.y(), pos.x() - c.x())
            delta = math.degrees(math.remainder(a1 - a0, 2 * math.pi))
            if delta:
                self.rotateRequested.emit(delta)
        self._last = pos

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._stroke and event.buttons() == Qt.MouseButton.NoButton:
            self._stroke = False
            self.paintFinished.emit()
        if self._drag is not None and event.buttons() == Qt.MouseButton.NoButton:
            self._drag = None
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            self.gestureFinished.emit()
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self._start_stroke(event):  # a quick second dab, not a view reset
            return
        if event.button() == Qt.MouseButton.LeftButton:
            self.resetRequested.emit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120.0
        if notches:
            pos = event.position()
            self.zoomRequested.emit(WHEEL_STEP ** notches, pos.x(), pos.y())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        factor = BRUSH_KEYS.get(Qt.Key(event.key()))
        if factor is not None and self._tool != "view":
            self.brushResizeRequested.emit(factor)
            event.accept()
            return
        super().keyPressEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._hover = None
        self.update()
        self.cursorLeft.emit()
        super().leaveEvent(event)

    def event(self, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and self._tool != "view" and isinstance(event, QKeyEvent)
                and Qt.Key(event.key()) in BRUSH_KEYS):
            event.accept()  # with a brush, [ and ] resize it instead of stepping the seed
            return True
        if isinstance(event, QNativeGestureEvent):  # trackpad pinch / rotate (macOS, Wayland)
            pos = event.position()
            if event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
                self.zoomRequested.emit(1.0 + event.value(), pos.x(), pos.y())
                return True
            if event.gestureType() == Qt.NativeGestureType.RotateNativeGesture:
                self.rotateRequested.emit(-event.value())
                return True
        if event.type() == QEvent.Type.Gesture and isinstance(event, QGestureEvent):
            pinch = event.gesture(Qt.GestureType.PinchGesture)
            if isinstance(pinch, QPinchGesture):
                center = self.mapFromGlobal(pinch.centerPoint().toPoint())
                if pinch.scaleFactor() > 0:
                    self.zoomRequested.emit(pinch.scaleFactor(), float(center.x()), float(center.y()))
                turn = pinch.rotationAngle() - pinch.lastRotationAngle()
                if turn:
                    self.rotateRequested.emit(turn)
                return True
        if event.type() == QEvent.Type.DevicePixelRatioChange:
            self.viewportChanged.emit(*self.viewport())
        return super().event(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.viewportChanged.emit(*self.viewport())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.viewportChanged.emit(*self.viewport())
