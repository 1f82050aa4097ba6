"""Mixing table, paint toolbar and the canvas' brush mode: pushes are silent, gestures become intents."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QTransform, QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.gui_support import canvas_pixels, send_mouse
from widgets.canvas_widget import CanvasWidget
from widgets.mixing_table import MixingTable
from widgets.paint_toolbar import PaintToolbar


def _record(*signals: Any) -> list[Any]:
    out: list[Any] = []
    for s in signals:
        s.connect(lambda *a, s=s: out.append(a))
    return out


def test_mixing_grid_click_drag_and_wheel(qtbot: Any) -> None:
    t = MixingTable()
    qtbot.addWidget(t)
    got = _record(t.cellsEdited, t.enabledToggled, t.crossoverRequested)
    brackets = _record(t.editStarted, t.editFinished)
    t.set_table([[1.0, 0.0]] * 6, False, [f"{i} layer" for i in range(6)], ["seed 3", "seed 8"])
    assert got == [] and not t.enabled() and t.preset() == (0, 1, 3)
    g = t.grid
    g.resize(g.sizeHint())
    assert g.shares()[0] == [1.0, 0.0]
    a, b = g.cell_rect(1, 1).center(), g.cell_rect(3, 0).center()
    send_mouse(g, "press", a.x(), a.y())
    send_mouse(g, "move", b.x(), b.y())  # fills rows 2..3 with the pressed column, whatever column it is over
    send_mouse(g, "release", b.x(), b.y())
    assert len(brackets) == 2
    edits = [e for (batch,) in got for e in batch]
    assert sorted({(r, c, v) for r, c, v in edits if v == 1.0}) == [(1, 1, 1.0), (2, 1, 1.0), (3, 1, 1.0)]
    assert g.table()[1:4] == [[0.0, 1.0]] * 3 and g.table()[0] == [1.0, 0.0]
    got.clear()
    pos = QPointF(g.cell_rect(0, 1).center())
    wheel = QWheelEvent(pos, g.mapToGlobal(pos), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(g, wheel)
    assert got == [([(0, 1, 0.1)],)]
    t.set_preset(1, 0, 2)
    assert got == [([(0, 1, 0.1)],)]
    t.grid.cellsEdited.emit([])  # forwarded
    assert got[-1] == ([],)


def test_mixing_preset_emits_crossover(qtbot: Any) -> None:
    t = MixingTable()
    qtbot.addWidget(t)
    t.set_table([[1.0, 0.0]] * 8, True, [str(i) for i in range(8)], ["a", "b"])
    got = _record(t.crossoverRequested)
    t._split.setValue(5)  # the crossover spin box is live
    assert got == [(0, 1, 5)]


def test_paint_toolbar_tools_and_silent_pushes(qtbot: Any) -> None:
    bar = PaintToolbar()
    qtbot.addWidget(bar)
    got = _record(bar.toolChanged, bar.brushChanged, bar.anchorChanged, bar.layerRangeChanged)
    bar.set_anchors(["seed 3", "seed 8"], 1)
    bar.set_brush(40, 0.25, 0.5)
    bar.set_num_layers(13)
    bar.set_tool("paint")
    assert got == [] and bar.anchor() == 1 and bar.brush() == (40.0, 0.25, 0.5) and bar.layer_range() is None
    bar.eraser_action.trigger()
    assert bar.tool() == "erase" and not bar.brush_action.isChecked() and got[-1] == ("erase",)
    bar.eraser_action.trigger()
    assert bar.tool() == "view" and got[-1] == ("view",)
    bar._range.setCurrentIndex(1)
    bar._range.activated.emit(1)
    assert got[-1] == ((0, 6),)
    bar._range.setCurrentIndex(2)
    bar._split.setValue(4)
    assert got[-1] == ((4, 13),)


def test_canvas_brush_mode_strokes_instead_of_panning(qtbot: Any) -> None:
    c = CanvasWidget()
    qtbot.addWidget(c)
    c.resize(80, 80)
    c.show()
    got = _record(c.paintStarted, c.paintMoved, c.paintFinished, c.panRequested, c.resetRequested)
    c.set_tool("paint")
    send_mouse(c, "press", 10, 10)
    send_mouse(c, "move", 20, 12)
    send_mouse(c, "release", 20, 12)
    send_mouse(c, "press", 30, 30, button=Qt.MouseButton.RightButton)
    send_mouse(c, "release", 30, 30, button=Qt.MouseButton.RightButton)
    send_mouse(c, "double", 5, 5)
    send_mouse(c, "release", 5, 5)
    assert got == [(10.0, 10.0, False), (20.0, 12.0), (), (30.0, 30.0, True), (), (5.0, 5.0, False), ()]
    got.clear()
    c.set_tool("view")
    send_mouse(c, "press", 10, 10)
    send_mouse(c, "move", 20, 12)
    send_mouse(c, "release", 20, 12)
    assert got == [(10.0, 2.0)]  # pans again (by the drag delta)


def test_canvas_draws_the_mask_overlay_where_the_frame_puts_it(qtbot: Any) -> None:
    c = CanvasWidget()
    qtbot.addWidget(c)
    c.resize(64, 64)
    c.show()
    c.set_overlay_visible(False)
    c.set_view(QTransform(2 / 63, 0, 0, 2 / 63, -1, -1))  # widget px -> frame
    c.show_frame(np.zeros((64, 64, 3), np.uint8), QTransform(2 / 63, 0, 0, 2 / 63, -1, -1))
    mask = np.zeros((2, 2, 4), np.uint8)
    mask[0, 1] = (0, 0, 255, 255)  # top-right quarter of the frame is blue
    c.set_mask_overlay(mask, QTransform(1.0, 0, 0, 1.0, -1.0, -1.0))  # 2 x 2 mask px over the frame
    px = canvas_pixels(c)
    assert px[10, 54, 2] > 200 and px[54, 10].max() == 0 and px[10, 10].max() == 0
    c.set_mask_overlay_visible(False)
    assert canvas_pixels(c)[10, 54].max() == 0
