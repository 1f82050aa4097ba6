"""CanvasWidget: gestures become intent signals; frames are painted through their transforms."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QTransform, QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.gui_support import canvas_pixels, drag, send_mouse
from widgets.canvas_widget import CanvasWidget


@pytest.fixture
def canvas(qtbot: Any) -> CanvasWidget:
    c = CanvasWidget()
    qtbot.addWidget(c)
    c.setFixedSize(64, 48)
    c.show()
    qtbot.waitExposed(c)
    return c


def test_drag_pans_and_brackets_the_gesture(canvas: CanvasWidget) -> None:
    events: list[Any] = []
    canvas.gestureStarted.connect(lambda k: events.append(("start", k)))
    canvas.panRequested.connect(lambda dx, dy: events.append((dx, dy)))
    canvas.gestureFinished.connect(lambda: events.append("end"))
    drag(canvas, (10, 10), (30, 20), steps=4)
    pans = [e for e in events if isinstance(e, tuple) and e[0] != "start"]
    assert events[0] == ("start", "pan") and events[-1] == "end"
    assert np.allclose(np.sum(pans, axis=0), (20, 10)) and len(pans) == 4


def test_shift_drag_rotates_about_the_centre(canvas: CanvasWidget) -> None:
    turns: list[float] = []
    canvas.rotateRequested.connect(turns.append)
    # a quarter turn clockwise on screen around the centre (32, 24)
    drag(canvas, (52, 24), (32, 44), steps=8, modifiers=Qt.KeyboardModifier.ShiftModifier)
    assert sum(turns) == pytest.approx(90.0, abs=1e-6)


def test_wheel_double_click_and_cursor(canvas: CanvasWidget) -> None:
    zooms: list[tuple[float, float, float]] = []
    canvas.zoomRequested.connect(lambda f, x, y: zooms.append((f, x, y)))
    pos = QPointF(20, 30)
    ev = QWheelEvent(pos, canvas.mapToGlobal(pos), QPoint(), QPoint(0, 240), Qt.MouseButton.NoButton,
                     Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(canvas, ev)
    assert zooms == [(pytest.approx(1.44), 20.0, 30.0)]
    resets: list[bool] = []
    canvas.resetRequested.connect(lambda: resets.append(True))
    send_mouse(canvas, "double", 5, 5)
    assert resets == [True]
    canvas.set_view(QTransform(0.5, 0, 0, 0.5, -1.0, -2.0))  # widget -> frame
    cursor: list[tuple[float, float]] = []
    canvas.cursorMoved.connect(lambda x, y: cursor.append((x, y)))
    send_mouse(canvas, "move", 4, 8, button=Qt.MouseButton.NoButton)
    assert cursor == [(1.0, 2.0)]


def test_paints_frames_through_transforms(canvas: CanvasWidget) -> None:
    canvas.set_overlay_visible(False)
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    canvas.show_frame(image, QTransform())  # image pixels = frame coordinates, view = identity
    assert np.array_equal(canvas_pixels(canvas), image)
    canvas.set_view(QTransform().translate(10, 0))  # widget x maps to frame x + 10: content shifts left
    assert np.array_equal(canvas_pixels(canvas)[:, :54], image[:, 10:])
    canvas.clear_frame()
    canvas.set_message("No model loaded")
    assert not canvas.has_frame() and canvas_pixels(canvas).std() > 0  # the hint text is drawn


def test_trackpad_pinch_zooms_and_rotates(canvas: CanvasWidget) -> None:
    from PySide6.QtGui import QNativeGestureEvent, QPointingDevice

    got: list[tuple[str, float]] = []
    canvas.zoomRequested.connect(lambda f, x, y: got.append(("zoom", f)))
    canvas.rotateRequested.connect(lambda d: got.append(("turn", d)))
    dev = QPointingDevice.primaryPointingDevice()
    pos = QPointF(10, 12)
    for kind, value in ((Qt.NativeGestureType.ZoomNativeGesture, 0.25),
                        (Qt.NativeGestureType.RotateNativeGesture, 5.0)):
        ev = QNativeGestureEvent(kind, dev, 2, pos, pos, canvas.mapToGlobal(pos), value, QPointF())
        QApplication.sendEvent(canvas, ev)
    assert got == [("zoom", 1.25), ("turn", -5.0)]
