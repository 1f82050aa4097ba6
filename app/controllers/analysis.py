"""Analysis glue: embedding PCA, ablation toggles (into the view's StyleSpec) and scale consistency."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from app.bridge import analysis_jobs
from app.bridge.analysis_jobs import PCAReport
from app.bridge.job_runner import JobRunner
from engine.types import ConsistencyRequest, PCARequest

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.controllers.views import (
        AblationPanel,
        Action,
        ConsistencyPanel,
        Dock,
        ModelEvents,
        PCAPanel,
        RenderSource,
    )
    from app.state.view_state import ViewState, ViewStore
    from engine.service import JobResult


class AnalysisController(QObject):
    """Wires the PCA panel, the ablation checkboxes and the scale-consistency panel.

    Parameters
    ----------
    pca_panel, pca_dock, ablation_panel, consistency_panel
        The views it drives (the PCA refreshes when its dock is shown).
    consistency_action, show_consistency
        Analysis → Scale Consistency and how to bring its dock up.
    store, view, models
        The view state (ablations live in it), the render source (its engine service) and the model events.
    """

    def __init__(self, pca_panel: PCAPanel, pca_dock: Dock, ablation_panel: AblationPanel,
                 consistency_panel: ConsistencyPanel, consistency_action: Action,
                 show_consistency: Callable[[], None], store: ViewStore, view: RenderSource, models: ModelEvents,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store, self.view, self.models = store, view, models
        self.pca_panel, self.pca_dock, self.ablation_panel = pca_panel, pca_dock, ablation_panel
        self.consistency_panel, self._show_consistency = consistency_panel, show_consistency
        self.pca: PCAReport | None = None
        self._pca_runner = JobRunner(view.client.service, self)
        self._consistency_runner = JobRunner(view.client.service, self)
        self.pca_panel.refreshRequested.connect(self.refresh_pca)
        self.pca_panel.embeddingChanged.connect(self._show_embedding)
        pca_dock.visibilityChanged.connect(self._on_pca_dock_visibility)
        self.ablation_panel.ablationChanged.connect(self.set_ablate)
        c = self.consistency_panel
        c.runRequested.connect(self.run_consistency)
        c.cancelRequested.connect(self._consistency_runner.cancel)
        self._consistency_runner.progressChanged.connect(lambda f, _eta: c.set_busy(True, f))
        consistency_action.triggered.connect(self._on_consistency_action)
        store.changed.connect(self._on_store_changed)
        models.modelChanged.connect(self._on_model_changed)
        self.ablation_panel.set_available((), "")
        c.set_message("Runs 'main.py consistency' on the loaded model (identity camera, seeds 0…N−1).")

    # ------------------------------------------------------------------ model
    def _on_model_changed(self, info: dict[str, Any]) -> None:
        available = tuple(info.get("ablations", ()))
        self.ablation_panel.set_available(available, str(info.get("family", "")))
        state = self.store.state
        kept = tuple(a for a in state.ablate if a in available)
        if kept != state.ablate:  # a new family without that input: drop the toggle rather than fail renders
            self.store.replace(dataclasses.replace(state, ablate=kept))
        self.pca = None
        self.pca_panel.clear()
        self.pca_panel.set_embeddings([])
        self.consistency_panel.set_rows([])
        if self.pca_dock.isVisible():
            self.refresh_pca()

    # ------------------------------------------------------------------ ablations
    def set_ablate(self, ablate: tuple[str, ...]) -> None:
        available = tuple((self.models.info or {}).get("ablations", ()))
        ablate = tuple(a for a in ablate if a in available)
        self.store.set(dataclasses.replace(self.store.state, ablate=ablate), "Ablation")

    def _on_store_changed(self, old: ViewState, new: ViewState) -> None:
        if old.ablate != new.ablate:
            self.ablation_panel.set_ablate(new.ablate)

    # ------------------------------------------------------------------ PCA
    def _on_pca_dock_visibility(self, visible: bool) -> None:
        if visible and self.pca is None and self.models.info is not None and not self._pca_runner.busy:
            self.refresh_pca()

    def refresh_pca(self) -> None:
        if self.models.info is None or self._pca_runner.busy:
            return
        self.pca_panel.set_message("Computing…")
        self._pca_runner.start(analysis_jobs.analysis_job(PCARequest()), self._on_pca_done)

    def _on_pca_done(self, result: JobResult) -> None:
        if result.error is not None or result.cancelled:
            self.pca_panel.set_message(f"PCA failed: {result.error or 'cancelled'}")
            return
        report: PCAReport = result.value
        self.pca = report
        names = list(report.results)
        if not names:
            self.pca_panel.clear()
            self.pca_panel.set_embeddings([])
            self.pca_panel.set_message(
                f"{report.family} has no learned per-position embeddings: its coordinates enter only through "
                "Fourier / sinusoidal features (row and column lines for CREPS), so there is nothing to project. "
                "The Fourier-feature ablation still shows what those features contribute.")
            return
        current = self.pca_panel.current()
        self.pca_panel.set_embeddings(names, current if current in names else names[0])
        self._show_embedding(self.pca_panel.current())

    def _show_embedding(self, name: str) -> None:
        if self.pca is None or name not in self.pca.results:
            return
        res = self.pca.results[name]
        self.pca_panel.show_pca(PCAReport.rgb8(res), res.explained)
        h, w = res.rgb.shape[:2]
        self.pca_panel.set_message(f"{name}: {res.components.shape[1]} channels at {w} × {h} positions; the top "
                                   f"3 components explain {100 * res.explained[:3].sum():.1f} % of the variance "
                                   "(R, G, B = PC 1, 2, 3).")

    # ------------------------------------------------------------------ scale consistency
    def _on_consistency_action(self) -> None:
        self._show_consistency()

    def run_consistency(self, scales: tuple[int, ...], seeds: int) -> None:
        if self.models.info is None:
            self.consistency_panel.set_message("No model loaded.")
            return
        if self._consistency_runner.busy:
            return
        self.consistency_panel.set_busy(True)
        self.consistency_panel.set_message(f"Rendering {seeds} seeds at {', '.join(f'{s}×' for s in scales)}…")
        self._consistency_runner.start(analysis_jobs.analysis_job(ConsistencyRequest(tuple(scales), seeds)),
                                       lambda r: self._on_consistency_done(r, seeds))

    def _on_consistency_done(self, result: JobResult, seeds: int) -> None:
        c = self.consistency_panel
        c.set_busy(False)
        if result.cancelled:
            c.set_message("Cancelled.")
        elif result.error is not None:
            c.set_message(f"Failed: {result.error}")
        else:
            c.set_rows(result.value)
            family = (self.models.info or {}).get("family", "")
            c.set_message(f"{family}, {seeds} seeds; LPIPS needs a pretrained network, which is not available "
                          "offline.")
