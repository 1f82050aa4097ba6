"""Style-painting glue: canvas strokes -> ViewState.painting (a stroke = one undo step), mask tools, overlay."""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QTransform

from app.state import mask_io
from app.state import masks as mk
from app.state.brush import Brush, Stroke
from widgets.palette import ANCHOR_COLORS

if TYPE_CHECKING:
    from app.controllers.views import ModelEvents, PaintCanvas, PaintToolbar, StatusLine, WidgetToFrame
    from app.shell.dialogs import Dialogs
    from app.state.masks import LayerKey, LayerRange, Painting
    from app.state.view_state import ViewState, ViewStore

MASK_IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.tif *.tiff *.bmp *.webp);;All files (*)"
PNG_FILTER = "PNG images (*.png)"
SIZE_RANGE = (1.0, 2000.0)  # brush diameter in screen pixels
COMMAND_TEXT = {"fill": "Fill mask", "invert": "Invert mask", "clear": "Clear mask", "clear-all": "Clear all masks"}


class PaintController(QObject):
    """Owns the paint toolbar, brush strokes on the canvas, the mask tools and the mask overlay.

    Strokes are computed on the GUI thread in mask pixels (fast numpy on the touched tiles only); the render
    itself is an ordinary newest-wins request, so painting never waits for a render in flight.

    Parameters
    ----------
    bar, canvas
        The paint toolbar and the canvas (strokes in, brush outline and mask overlay out).
    store, view, models
        The view-state store, the widget -> frame map and the model events (style-layer count).
    dialogs, status
        File pickers / message boxes, and the window's status line.
    """

    def __init__(self, bar: PaintToolbar, canvas: PaintCanvas, store: ViewStore, view: WidgetToFrame,
                 models: ModelEvents, dialogs: Dialogs, status: StatusLine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store, self.view, self.dialogs, self.status = store, view, dialogs, status
        self.bar, self.canvas = bar, canvas
        self.tool = "view"
        self.size, self.hardness, self.opacity = self.bar.brush()
        self.anchor = 0
        self.layers: LayerRange = None
        self._stroke: Stroke | None = None
        self._strokes = 0
        self._overlay_cache: dict[object, np.ndarray] = {}
        self._overlay_timer = QTimer(self)
        self._overlay_timer.setSingleShot(True)
        self._overlay_timer.setInterval(0)  # one overlay per event-loop pass, however many moves arrived
        self._overlay_timer.timeout.connect(self._refresh_overlay)
        b, c = self.bar, self.canvas
        b.toolChanged.connect(self.set_tool)
        b.brushChanged.connect(self._on_bar_brush_changed)
        b.anchorChanged.connect(self.set_anchor)
        b.layerRangeChanged.connect(lambda r: setattr(self, "layers", r))
        b.overlayToggled.connect(c.set_mask_overlay_visible)
        b.maskCommandRequested.connect(self.run_command)
        c.paintStarted.connect(self._on_canvas_paint_started)
        c.paintMoved.connect(self._on_canvas_paint_moved)
        c.paintFinished.connect(self._on_canvas_paint_finished)
        c.brushResizeRequested.connect(self._on_canvas_brush_resize_requested)
        c.viewportChanged.connect(lambda *_: self._push_brush())
        store.changed.connect(self._on_store_changed)
        models.modelChanged.connect(self._on_model_changed)
        self._push_brush()
        self._show_anchors(store.state)

    @property
    def state(self) -> ViewState:
        return self.store.state

    @property
    def key(self) -> LayerKey:
        return self.anchor, self.layers

    def set_num_layers(self, n: int) -> None:
        self.bar.set_num_layers(n)
        self.layers = self.bar.layer_range()

    # ------------------------------------------------------------------ tool settings
    def set_tool(self, tool: str) -> None:
        self.tool = tool
        self.bar.set_tool(tool)
        self.canvas.set_tool(tool)

    def set_brush(self, size: float, hardness: float, opacity: float) -> None:
        self.size = min(max(size, SIZE_RANGE[0]), SIZE_RANGE[1])
        self.hardness, self.opacity = min(max(hardness, 0.0), 1.0), min(max(opacity, 0.01), 1.0)
        self.bar.set_brush(self.size, self.hardness, self.opacity)
        self._push_brush()

    def set_anchor(self, index: int) -> None:
        self.anchor = min(max(index, 0), len(self.state.anchors) - 1)
        self._show_anchors(self.state)

    def _on_bar_brush_changed(self, size: float, hardness: float, opacity: float) -> None:
        self.set_brush(size, hardness, opacity)

    def _on_canvas_brush_resize_requested(self, factor: float) -> None:
        self.set_brush(self.size * factor, self.hardness, self.opacity)

    def _push_brush(self) -> None:
        # the outline is drawn at the size the screen shows: diameter in widget pixels
        self.canvas.set_brush(self.size, self.hardness)

    # ------------------------------------------------------------------ strokes
    def _frame_point(self, x: float, y: float) -> tuple[float, float, float]:
        """Widget point -> frame point, and frame units per widget pixel."""
        m = self.view.widget_to_frame()
        fx, fy = m[:, :2] @ (x, y) + m[:, 2]
        return float(fx), float(fy), float(np.sqrt(abs(np.linalg.det(m[:, :2]))))

    def _on_canvas_paint_started(self, x: float, y: float, erase: bool) -> None:
        fx, fy, scale = self._frame_point(x, y)
        brush = Brush(radius=self.size / 2 * scale, hardness=self.hardness, opacity=self.opacity,
                      erase=erase or self.tool == "erase")
        self._strokes += 1
        self._stroke = Stroke(self.state.painting, self.anchor, self.layers, brush)
        self._extend(fx, fy)

    def _on_canvas_paint_moved(self, x: float, y: float) -> None:
        if self._stroke is not None:
            fx, fy, _ = self._frame_point(x, y)
            self._extend(fx, fy)

    def _on_canvas_paint_finished(self) -> None:
        self._stroke = None

    def _extend(self, fx: float, fy: float) -> None:
        assert self._stroke is not None
        painting = self._stroke.to(fx, fy)
        text = "Erase stroke" if self._stroke.brush.erase else f"Paint {self.state.anchors[self.anchor].label()}"
        self._set(painting, text, ("stroke", self._strokes))

    def _set(self, painting: Painting, text: str, key: object = None) -> None:
        self.store.set(dataclasses.replace(self.state, painting=painting), text, key)

    # ------------------------------------------------------------------ mask tools
    def run_command(self, command: str) -> None:
        p = self.state.painting
        if command == "import":
            self.import_mask()
        elif command == "export":
            self.export_masks()
        elif command == "fill":
            self._set(mk.filled(p, self.key), COMMAND_TEXT[command])
        elif command == "invert":
            self._set(mk.inverted(p, self.key), COMMAND_TEXT[command])
        elif command in ("clear", "clear-all"):
            self._set(mk.cleared(p, self.key if command == "clear" else None), COMMAND_TEXT[command])

    def import_mask(self, path: str = "") -> bool:
        """A greyscale image becomes the selected anchor's mask over the training frame (or its saved extent)."""
        path = path or self.dialogs.open_file("Import mask (greyscale image)", MASK_IMAGE_FILTER)
        if not path:
            return False
        name = os.path.basename(path)
        try:
            image = mask_io.read_mask_image(path)
        except ValueError as e:
            self.dialogs.message("Cannot import mask", str(e), error=True)
            return False
        x0, y0, x1, y1 = image.extent
        grid = (round((x1 - x0) * mk.PPU), round((y1 - y0) * mk.PPU))
        h, w = image.raster.shape
        notes = list(image.notes)
        if (w, h) != grid:
            notes.append(f"{w} × {h} was resampled to the mask grid ({grid[0]} × {grid[1]} over the frame)")
        painting = mk.with_raster(self.state.painting, self.key, image.raster, image.extent)
        self._set(painting, f"Import mask {name}")
        if notes:
            self.dialogs.message("Mask imported with conversions", f"{name}: " + "; ".join(notes) + ".")
        self.status.show_status(f"Imported {name} as the mask of {self.state.anchors[self.anchor].label()}")
        return True

    def export_masks(self, path: str = "") -> list[str]:
        """Each painted mask as a 16-bit greyscale PNG (frame extent in a text chunk): path, or path-N-label.png."""
        p = self.state.painting
        if not p:
            self.status.show_status("Nothing painted to export", error=True)
            return []
        path = path or self.dialogs.save_file("Export masks", PNG_FILTER, "mask.png")
        if not path:
            return []
        base, ext = os.path.splitext(path)
        written: list[str] = []
        for m in p.layers:
            label = self.state.anchors[m.anchor].label().replace(" ", "") if m.anchor < len(self.state.anchors) else "x"
            span = "" if m.layers is None else f"-layers{m.layers[0]}-{m.layers[1]}"
            out = path if len(p.layers) == 1 else f"{base}-{m.anchor + 1}-{label}{span}{ext or '.png'}"
            try:
                mask_io.write_mask_png(out, *mk.raster_of(p, m.key))
            except OSError as e:
                self.dialogs.message("Cannot export masks", f"{out}: {e.strerror or e}", error=True)
                return written
            written.append(out)
        plural = "s" * (len(written) > 1)
        self.status.show_status(f"Exported {len(written)} mask{plural} ({os.path.basename(written[0])}"
                                f"{', …' if len(written) > 1 else ''})")
        return written

    # ------------------------------------------------------------------ display
    def _on_store_changed(self, old: ViewState, new: ViewState) -> None:
        if old.anchors != new.anchors:
            if len(new.anchors) > len(old.anchors):
                self.anchor = len(new.anchors) - 1  # a new anchor is usually added to be painted
            self._show_anchors(new)
        if old.painting != new.painting or len(old.anchors) != len(new.anchors):
            self._overlay_timer.start()

    def _show_anchors(self, s: ViewState) -> None:
        self.anchor = min(self.anchor, len(s.anchors) - 1)
        self.bar.set_anchors([a.label() for a in s.anchors], self.anchor)

    def _refresh_overlay(self) -> None:
        made = mask_io.overlay(self.state.painting, len(self.state.anchors), ANCHOR_COLORS, self._overlay_cache)
        if made is None:
            self.canvas.set_mask_overlay(None, QTransform())
            return
        rgba, (x0, y0, _, _) = made
        self.canvas.set_mask_overlay(rgba, QTransform(1 / mk.PPU, 0, 0, 1 / mk.PPU, x0, y0))

    def _on_model_changed(self, info: dict[str, Any]) -> None:
        self.set_num_layers(int(info.get("num_ws", 1)))
