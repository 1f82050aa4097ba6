"""Camera glue: canvas gestures and view controls -> ViewState; ViewState + canvas size -> render requests."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QActionGroup, QTransform

from app.state import camera_math as cm
from engine.types import PRECISIONS, Camera, Frame, RenderRequest
from widgets.view_panel import QUALITIES

if TYPE_CHECKING:
    from app.controllers.views import Menu, ViewActions, ViewCanvas, ViewClient, ViewControls, ViewReadout
    from app.state.settings import Settings
    from app.state.view_state import ViewState, ViewStore

MAX_RENDER_PIXELS = 16_000_000  # cap for high quality settings on big screens (memory of one frame)
KEY_PAN_FRACTION = 0.1  # arrow keys pan by this part of the canvas
KEY_ZOOM = 1.25
KEY_ROTATE = 15.0
WHEEL_MERGE_SECONDS = 0.6  # wheel notches closer than this are one undo step


def to_qtransform(m: np.ndarray) -> QTransform:
    """2 x 3 affine (column-vector convention) -> QTransform (row-vector convention)."""
    return QTransform(m[0, 0], m[1, 0], m[0, 1], m[1, 1], m[0, 2], m[1, 2])


PRECISION_LABELS = {"float32": "float32 (exact)", "tf32": "TF32 (CUDA)", "float16": "float16", "bfloat16": "bfloat16"}
PRECISION_TIP = ("Arithmetic of the interactive frames; exports always render in float32. A reduced precision is "
                 "first measured on the loaded model against float32 and refused, with a message, when it is "
                 "more than 2 uint8 levels off. Reduced precision is a GPU speed-up; on the CPU it is slower.")


class ViewController(QObject):
    """Owns the canvas side of the app: camera edits, render scheduling and frame display.

    Parameters
    ----------
    canvas, panel, acts
        The canvas (gestures in, frames out), the view panel and the canvas commands (keys, overlay).
    quality_menu, readout
        View → Render Quality (filled here), and the status bar's cursor / timing read-outs and status line.
    store, client, settings
        The view-state store, the render client and user settings (quality, precision, overlay).
    """

    def __init__(self, canvas: ViewCanvas, panel: ViewControls, acts: ViewActions, quality_menu: Menu,
                 readout: ViewReadout, store: ViewStore, client: ViewClient, settings: Settings,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.canvas, self.panel, self.acts, self.readout = canvas, panel, acts, readout
        self.store, self.client, self.settings = store, client, settings
        self.has_model = False
        self.last_final: tuple[Frame, RenderRequest] | None = None
        self.last_shown: tuple[Frame, RenderRequest] | None = None
        self._viewport = self.canvas.viewport()
        self._gesture: int | None = None
        self._gesture_count = 0
        self._wheel_burst = (0, 0.0)
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(0)  # coalesce several changes of one event into one request
        self._render_timer.timeout.connect(self.render_now)
        c, a, p = canvas, acts, panel
        c.panRequested.connect(self._on_canvas_pan_requested)
        c.zoomRequested.connect(self._on_canvas_zoom_requested)
        c.rotateRequested.connect(lambda deg: self._edit_camera(cm.rotated(self.camera, -deg), "Rotate"))
        c.resetRequested.connect(self.reset_view)
        c.gestureStarted.connect(self._on_gesture_started)
        c.gestureFinished.connect(self._on_gesture_finished)
        c.cursorMoved.connect(self._on_canvas_cursor_moved)
        c.cursorLeft.connect(lambda: readout.show_cursor(""))
        c.viewportChanged.connect(self._on_canvas_viewport_changed)
        a.pan_left.triggered.connect(lambda: self._key_pan(1, 0))
        a.pan_right.triggered.connect(lambda: self._key_pan(-1, 0))
        a.pan_up.triggered.connect(lambda: self._key_pan(0, 1))
        a.pan_down.triggered.connect(lambda: self._key_pan(0, -1))
        a.zoom_in.triggered.connect(lambda: self._key_zoom(KEY_ZOOM))
        a.zoom_out.triggered.connect(lambda: self._key_zoom(1 / KEY_ZOOM))
        a.rotate_cw.triggered.connect(lambda: self._edit_camera(cm.rotated(self.camera, -KEY_ROTATE), "Rotate"))
        a.rotate_ccw.triggered.connect(lambda: self._edit_camera(cm.rotated(self.camera, KEY_ROTATE), "Rotate"))
        a.reset_view.triggered.connect(self.reset_view)
        a.overlay.toggled.connect(self.set_overlay)
        p.cameraEdited.connect(lambda cam: self._edit_camera(cam, "Edit view"))
        p.resetRequested.connect(self.reset_view)
        p.qualityChanged.connect(self.set_quality)
        p.overlayToggled.connect(self.set_overlay)
        p.editStarted.connect(lambda: self._on_gesture_started("dial"))
        p.editFinished.connect(self._on_gesture_finished)
        self._quality_actions = QActionGroup(self)
        for q in QUALITIES:
            act = QAction(f"{q:g}× canvas", self._quality_actions)
            act.setCheckable(True)
            act.setData(q)
            act.triggered.connect(lambda _=False, q=q: self.set_quality(q))
            quality_menu.addAction(act)
        quality_menu.addSection("Precision (interactive frames)")
        self._precision_actions = QActionGroup(self)
        for mode in PRECISIONS:
            act = QAction(PRECISION_LABELS[mode], self._precision_actions)
            act.setCheckable(True)
            act.setData(mode)
            act.setStatusTip(PRECISION_TIP)
            act.setToolTip(PRECISION_TIP)
            act.triggered.connect(lambda _=False, m=mode: self.set_precision(m))
            quality_menu.addAction(act)
        quality_menu.setToolTipsVisible(True)
        store.changed.connect(self._on_store_changed)
        client.frameReady.connect(self._on_frame_ready)
        client.renderFailed.connect(self._on_render_failed)
        client.busyChanged.connect(self._on_busy_changed)
        self.set_quality(settings.quality)
        self.set_precision(settings.precision)
        self.set_overlay(settings.overlay)
        self._push_camera(self.camera)

    # ------------------------------------------------------------------ state
    @property
    def camera(self) -> Camera:
        return self.store.state.camera

    def render_size(self) -> tuple[int, int]:
        w, h, dpr = self._viewport
        scale = dpr * self.settings.quality
        rw, rh = max(1, round(w * scale)), max(1, round(h * scale))
        if rw * rh > MAX_RENDER_PIXELS:
            shrink = (MAX_RENDER_PIXELS / (rw * rh)) ** 0.5
            rw, rh = max(1, int(rw * shrink)), max(1, int(rh * shrink))
        return rw, rh

    def widget_to_frame(self, camera: Camera | None = None) -> np.ndarray:
        w, h, _ = self._viewport
        return cm.widget_to_frame(camera or self.camera, self.render_size(), (max(w, 1.0), max(h, 1.0)))

    def current_request(self) -> RenderRequest:
        return RenderRequest(self.store.state.style(), self.camera, self.render_size(),
                             precision=self.settings.precision, epoch=self.client.epoch)

    def set_model_available(self, available: bool, message: str = "") -> None:
        self.has_model = available
        if not available:
            self.canvas.clear_frame()
            self.last_final = self.last_shown = None
        self.canvas.set_message(message)
        self.schedule_render()

    def schedule_render(self) -> None:
        if self.has_model:
            self._render_timer.start()

    def render_now(self) -> None:
        self._render_timer.stop()
        if self.has_model:
            self.client.render(self.current_request())

    def reset_view(self) -> None:
        self._edit_camera(Camera(), "Reset view")

    def set_quality(self, quality: float) -> None:
        quality = min(QUALITIES, key=lambda q: abs(q - quality))  # sessions may hold any number
        self.settings.quality = quality
        self.panel.set_quality(quality)
        for act in self._quality_actions.actions():
            act.setChecked(act.data() == quality)
        self._push_camera(self.camera)
        self.schedule_render()

    def set_precision(self, mode: str) -> None:
        """Arithmetic of interactive frames (exports stay float32); the engine measures a reduced one on the
        model first and renders float32 with a message when it is refused (`_on_frame_ready`)."""
        self.settings.precision = mode if mode in PRECISIONS else "float32"
        for act in self._precision_actions.actions():
            act.setChecked(act.data() == self.settings.precision)
        self.schedule_render()

    def set_precisions_available(self, modes: list[str]) -> None:
        """Enable the precisions the model's device has (the others stay listed, greyed out)."""
        for act in self._precision_actions.actions():
            act.setEnabled(act.data() in modes)
        if self.settings.precision not in modes:
            self.set_precision("float32")

    def set_overlay(self, on: bool) -> None:
        self.settings.overlay = on
        self.canvas.set_overlay_visible(on)
        self.panel.set_overlay(on)
        self.acts.overlay.setChecked(on)

    # ------------------------------------------------------------------ edits
    def _merge_key(self, kind: str) -> tuple[str, int] | None:
        return (kind, self._gesture) if self._gesture is not None else None

    def _edit_camera(self, camera: Camera, text: str, merge_key: object = None) -> None:
        key = merge_key if merge_key is not None else self._merge_key(text)
        self.store.set(self.store.state.with_camera(camera), text, key)

    def _on_canvas_pan_requested(self, dx: float, dy: float) -> None:
        self._edit_camera(cm.panned(self.camera, self.widget_to_frame(), dx, dy), "Pan")

    def _on_canvas_zoom_requested(self, factor: float, x: float, y: float) -> None:
        key: object = self._merge_key("Zoom")
        if key is None:  # wheel: notches in quick succession are one step
            burst, last = self._wheel_burst
            now = time.monotonic()
            if now - last > WHEEL_MERGE_SECONDS:
                burst += 1
            self._wheel_burst = (burst, now)
            key = ("wheel", burst)
        self._edit_camera(cm.zoomed(self.camera, self.widget_to_frame(), factor, x, y), "Zoom", key)

    def _key_pan(self, sx: int, sy: int) -> None:
        w, h, _ = self._viewport
        self._edit_camera(cm.panned(self.camera, self.widget_to_frame(), sx * w * KEY_PAN_FRACTION,
                                    sy * h * KEY_PAN_FRACTION), "Pan")

    def _key_zoom(self, factor: float) -> None:
        w, h, _ = self._viewport
        self._edit_camera(cm.zoomed(self.camera, self.widget_to_frame(), factor, w / 2, h / 2), "Zoom")

    def _on_gesture_started(self, kind: str) -> None:
        self._gesture_count += 1
        self._gesture = self._gesture_count

    def _on_gesture_finished(self) -> None:
        self._gesture = None

    # ------------------------------------------------------------------ display
    def _push_camera(self, camera: Camera) -> None:
        self.canvas.set_view(to_qtransform(self.widget_to_frame(camera)))
        self.panel.set_camera(camera)
        self.panel.set_render_size(*self.render_size())

    def _on_store_changed(self, old: ViewState, new: ViewState) -> None:
        if old.camera != new.camera:
            self._push_camera(new.camera)
        self.schedule_render()

    def _on_canvas_viewport_changed(self, width: float, height: float, dpr: float) -> None:
        viewport = (width, height, dpr)
        if viewport != self._viewport:
            self._viewport = viewport
            self._push_camera(self.camera)
            self.schedule_render()

    def _on_canvas_cursor_moved(self, x: float, y: float) -> None:
        outside = max(abs(x), abs(y)) > 1.0
        self.readout.show_cursor(f"x {x:+.4f}  y {y:+.4f}" + ("  (extrapolated)" if outside else ""))

    def _on_frame_ready(self, frame: Frame, request: RenderRequest) -> None:
        assert frame.image is not None
        m = cm.image_to_frame(request.camera, request.size, frame.stride)
        image = frame.image
        if frame.stride > 1:  # coarse pixels are drawn centred; one edge pixel more covers the last rows
            image = np.pad(image, ((0, 1), (0, 1), (0, 0)), mode="edge")
        self.canvas.show_frame(image, to_qtransform(m))
        self.last_shown = (frame, request)
        if frame.final:
            self.last_final = (frame, request)
        w, h = request.size
        what = f"{w}×{h}" if frame.stride == 1 else f"1/{frame.stride} preview"
        used = frame.extra.get("precision", "float32")
        self.readout.show_timing(f"{frame.seconds * 1000:.0f} ms · {what}"
                                 + ("" if used == "float32" else f" · {used}"))
        note = frame.extra.get("precision_note")
        if note and self.settings.precision != "float32":  # refused: say why once, show float32 as chosen
            self.set_precision("float32")
            self.readout.show_status(f"Rendering in float32: {note}", error=True)

    def _on_render_failed(self, message: str) -> None:
        self.readout.show_status(f"Render failed: {message}", error=True)

    def _on_busy_changed(self, busy: bool) -> None:
        self.canvas.set_busy(busy)

    def frame_matches_view(self) -> bool:
        """Whether the final frame on screen is exactly the current view (then it can be saved as is)."""
        if self.last_final is None:
            return False
        req = self.last_final[1]
        cur = self.current_request()
        return (req.camera, req.style, req.size, req.epoch) == (cur.camera, cur.style, cur.size, cur.epoch)

