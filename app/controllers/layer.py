"""Layer-viewer glue: a layer's activations for the current view (engine job), channels and normalisation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QTimer

from app.bridge import analysis_jobs
from app.bridge.job_runner import JobRunner
from engine.types import LayerRequest

if TYPE_CHECKING:
    from app.controllers.views import Dock, FollowingView, LayerPanel, ModelEvents
    from engine.service import JobResult
    from engine.types import Frame, RenderRequest

MAX_SIDE = 160  # activations are computed at most this many pixels on the long side (C x H x W floats)
FOLLOW_DELAY_MS = 400


def layer_size(size: tuple[int, int]) -> tuple[int, int]:
    """The view's aspect ratio at no more than MAX_SIDE pixels per side (same camera, fewer samples)."""
    return analysis_jobs.fit_within(size, MAX_SIDE)


def compose(acts: np.ndarray, mode: str, channels: tuple[int, ...], norm: str) -> np.ndarray:
    """Activations [C, H, W] -> uint8 [H, W, 3]: three channels as RGB or one as grey, normalised.

    ``norm``: "channel" (min-max per channel), "joint" (one min-max over the shown channels), "percentile"
    (1st-99th percentile per channel, clipped) or "symmetric" (±max |a| per channel, so 0 is mid-grey).
    """
    chans = list(channels[:3] if mode == "rgb" else channels[:1])
    x = np.asarray(np.asarray(acts)[chans], np.float64)  # pick the shown channels before widening them
    if norm == "joint":
        lo, hi = np.full((len(chans), 1, 1), x.min()), np.full((len(chans), 1, 1), x.max())
    elif norm == "percentile":
        p = np.percentile(x.reshape(len(chans), -1), [1, 99], axis=1)
        lo, hi = p[0][:, None, None], p[1][:, None, None]
    elif norm == "symmetric":
        m = np.abs(x).max(axis=(1, 2), keepdims=True)
        lo, hi = -m, m
    else:
        lo, hi = x.min(axis=(1, 2), keepdims=True), x.max(axis=(1, 2), keepdims=True)
    y = np.clip((x - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0, 1.0)
    if mode != "rgb":
        y = np.repeat(y, 3, axis=0)
    out: np.ndarray = (y.transpose(1, 2, 0) * 255 + 0.5).astype(np.uint8)
    return out


class LayerController(QObject):
    """Fetches the model's viewable layers, computes activations of the view and shows them.

    Parameters
    ----------
    panel, dock
        The layer viewer and its dock (it follows the view only while shown).
    view, models
        The current view (request, render client, whether the newest frame shows it) and the model's facts
        and load signal.
    """

    def __init__(self, panel: LayerPanel, dock: Dock, view: FollowingView, models: ModelEvents,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view, self.models, self.panel, self.dock = view, models, panel, dock
        self.runner = JobRunner(view.client.service, self)
        self.acts: np.ndarray | None = None
        self.layers: list[str] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FOLLOW_DELAY_MS)
        self._timer.timeout.connect(self._on_follow_timer)
        self.panel.layerChanged.connect(lambda _name: self.refresh())
        self.panel.refreshRequested.connect(self.refresh)
        self.panel.displayChanged.connect(self._show)
        self.dock.visibilityChanged.connect(self._on_dock_visibility_changed)
        view.client.frameReady.connect(self._on_frame_ready)
        models.modelChanged.connect(self._on_model_changed)

    def _on_model_changed(self, info: dict[str, Any]) -> None:
        self.acts, self.layers = None, []
        self.panel.clear()
        self.panel.set_layers([])
        self.panel.set_message("Reading the model's layers…")
        self.runner.abandon()
        self.runner.start(analysis_jobs.layer_names_job(), self._on_names_done)

    def _on_names_done(self, result: JobResult) -> None:
        if result.error is not None or result.cancelled:
            self.panel.set_message(f"Layers unavailable: {result.error or 'cancelled'}")
            return
        family, names = result.value
        self.layers = list(names)
        if not names:
            self.panel.set_message(f"Viewing layer activations is not supported for the {family} family.")
            return
        default = next((n for n in names if n not in ("lff", "emb")), names[0])
        self.panel.set_layers(names, default)
        self.panel.set_message("")
        if self.dock.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Activations of the selected layer for the current view (newest request wins)."""
        layer = self.panel.layer()
        if self.models.info is None or not layer or layer not in self.layers:
            return
        req = self.view.current_request()
        size = layer_size(req.size)
        self.runner.abandon()
        self.runner.start(analysis_jobs.analysis_job(LayerRequest(req.style, req.camera, size, layer)),
                          lambda r: self._on_layer_done(r, layer))

    def _on_layer_done(self, result: JobResult, layer: str) -> None:
        if result.cancelled:
            return
        if result.error is not None:
            self.panel.set_message(f"{layer}: {result.error}")
            return
        self.acts = result.value
        self.panel.set_channel_count(self.acts.shape[0])
        self._show()
        a = self.acts
        self.panel.set_message(f"{layer}: {a.shape[0]} channels at {a.shape[2]} × {a.shape[1]} px "
                               f"(values {a.min():.3g} … {a.max():.3g})")

    def _show(self) -> None:
        if self.acts is not None:
            self.panel.show_image(compose(self.acts, *self.panel.options()))

    def _on_dock_visibility_changed(self, visible: bool) -> None:
        if visible:
            self.refresh()

    def _on_frame_ready(self, frame: Frame, request: RenderRequest) -> None:
        if frame.final and self.dock.isVisible():
            self._timer.start()

    def _on_follow_timer(self) -> None:
        if self.dock.isVisible() and self.view.frame_matches_view():
            self.refresh()
