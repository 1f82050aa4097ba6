"""Seed-browser glue: pages of seeds, thumbnails rendered as background engine jobs, picks."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer

from engine.service import JobResult, render_job
from engine.types import Anchor, Camera, Frame, RenderRequest, StyleSpec

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.controllers.views import Dock, JobClient, ModelEvents, SeedBrowserView
    from app.state.view_state import ViewStore
    from engine.renderer import CancelToken

REFRESH_DELAY_MS = 300  # wait for a truncation drag to settle before re-rendering thumbnails


class SeedBrowserController(QObject):
    """Fills the seed browser with thumbnails of its page (identity camera, current ψ and cutoff).

    Thumbnails are rendered only while the browser is visible, one engine job per seed, so interactive
    renders (which go first on the engine thread) are never stuck behind a page of thumbnails.

    Parameters
    ----------
    browser, dock
        The seed browser and its dock (thumbnails render only while it is shown).
    store, client, models
        The view state (ψ and cutoff), the render client's job side and the model events.
    on_pick
        Called with a picked seed.
    """

    def __init__(self, browser: SeedBrowserView, dock: Dock, store: ViewStore, client: JobClient,
                 models: ModelEvents, on_pick: Callable[[int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store, self.client, self.models = store, client, models
        self.browser, self.dock = browser, dock
        self._tokens: list[CancelToken] = []
        self._generation = 0
        self._dirty = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        self.browser.seedPicked.connect(on_pick)
        self.browser.pageRequested.connect(self._on_page_requested)
        dock.visibilityChanged.connect(self._on_dock_visibility_changed)
        models.modelChanged.connect(self._on_model_changed)

    def set_current(self, seed: int | None) -> None:
        self.browser.set_current(seed)

    def schedule_refresh(self) -> None:
        self._dirty = True
        self._timer.start()

    def refresh(self) -> None:
        """Cancel the thumbnails in flight and render the current page (if visible and a model is loaded)."""
        for token in self._tokens:
            token.cancel()
        self._tokens.clear()
        self._generation += 1
        if self.models.info is None or not self.dock.isVisible():
            self._dirty = True
            return
        self._dirty = False
        state = self.store.state
        size = self.browser.thumb_size()
        generation = self._generation
        for seed in self.browser.seeds():
            style = StyleSpec(anchors=(Anchor(seed=seed),), psi=state.psi, cutoff=state.cutoff)
            req = RenderRequest(style, Camera(), (size, size), epoch=self.client.epoch)
            self._tokens.append(self.client.submit(
                render_job(req), functools.partial(self._on_thumbnail_done, seed=seed, generation=generation)))

    def _on_thumbnail_done(self, result: JobResult, seed: int, generation: int) -> None:
        frame: Any = result.value
        if generation != self._generation or not isinstance(frame, Frame) or frame.image is None:
            return
        self.browser.set_thumbnail(seed, frame.image)

    def _on_page_requested(self, first: int) -> None:
        self.browser.set_page(first, self.browser.current())
        self.refresh()

    def _on_dock_visibility_changed(self, visible: bool) -> None:
        if visible and self._dirty:
            self.schedule_refresh()

    def _on_model_changed(self, info: dict[str, Any]) -> None:
        self.schedule_refresh()
