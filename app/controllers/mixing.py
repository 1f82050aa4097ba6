"""Style-mixing glue: the per-layer table's edits and presets -> ViewState.layer_table, and the table shown."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

if TYPE_CHECKING:
    from app.controllers.views import LoadEvents, MixingPanel, StatusLine
    from app.state.view_state import ViewState, ViewStore
    from engine.service import LoadResult

Rows = list[list[float]]


def removed_anchor(old: tuple[object, ...], new: tuple[object, ...]) -> int | None:
    """Index of the one anchor removed between ``old`` and ``new`` (the others unchanged), else None."""
    if len(new) != len(old) - 1:
        return None
    i = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), len(new))
    return i if old[:i] + old[i + 1:] == new else None


class MixingController(QObject):
    """Owns the Mixing dock: which anchors drive which style layers.

    It also keeps the per-anchor data of the view state (table columns, painted masks) aligned when an
    anchor is removed elsewhere (the Latent panel), so a removed anchor takes its column and masks along.

    Parameters
    ----------
    panel, status
        The mixing table and the window's status line (refused edits say why there).
    store, client
        The view-state store, and the render client (layer names arrive with a load).
    """

    def __init__(self, panel: MixingPanel, status: StatusLine, store: ViewStore, client: LoadEvents,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store, self.status, self.panel = store, status, panel
        self.layer_names: list[str] = []
        self._gesture: int | None = None
        self._gesture_count = 0
        self.panel.enabledToggled.connect(self.set_enabled)
        self.panel.cellsEdited.connect(self.edit_cells)
        self.panel.crossoverRequested.connect(self.crossover)
        self.panel.resetRequested.connect(self.reset)
        self.panel.editStarted.connect(self._on_edit_started)
        self.panel.editFinished.connect(lambda: setattr(self, "_gesture", None))
        client.loadFinished.connect(self._on_load_finished)
        store.changed.connect(self._on_store_changed)
        self._show(store.state)

    @property
    def state(self) -> ViewState:
        return self.store.state

    @property
    def num_layers(self) -> int:
        return len(self.layer_names)

    # ------------------------------------------------------------------ edits
    def rows(self, s: ViewState | None = None) -> Rows:
        """The raw table with one column per anchor, or the sliders' blend in every row while it is off."""
        s = s or self.state
        k = len(s.anchors)
        if s.layer_table is not None:
            return [[*row[:k], *[0.0] * (k - len(row))] for row in s.layer_table]
        mix = list(s.mix() or [1.0] + [0.0] * (k - 1))
        return [list(mix) for _ in range(self.num_layers)]

    def _set(self, rows: Rows | None, text: str, key: object = None) -> None:
        if key is None and self._gesture is not None:
            key = ("table", self._gesture)
        table = None if rows is None else tuple(tuple(float(v) for v in r) for r in rows)
        self.store.set(dataclasses.replace(self.state, layer_table=table), text, key)

    def set_enabled(self, on: bool) -> None:
        if not self.num_layers:
            self._show(self.state)
            return
        self._set(self.rows() if on else None, "Mix per layer" if on else "Mix with the sliders")

    def edit_cells(self, edits: list[tuple[int, int, float]]) -> None:
        """Set raw weights (row, column, value); NaN or infinite values are refused with a message."""
        if not self.num_layers:
            return
        rows = self.rows()
        for r, c, v in edits:
            if not math.isfinite(v):
                self.status.show_status("Mixing table: weights must be numbers (NaN refused)", error=True)
                self._show(self.state)
                return
            if 0 <= r < len(rows) and 0 <= c < len(rows[r]):
                rows[r][c] = min(max(float(v), 0.0), 1.0)
        key = None if self._gesture is not None or len(edits) != 1 else ("table-cell", edits[0][:2])
        self._set(rows, "Edit mixing table", key)

    def crossover(self, coarse: int, fine: int, layer: int) -> None:
        """Layers before ``layer`` from anchor ``coarse``, the rest from anchor ``fine`` (one-hot rows)."""
        k = len(self.state.anchors)
        if not self.num_layers or not (0 <= coarse < k and 0 <= fine < k):
            return
        rows = [[1.0 if j == (coarse if i < layer else fine) else 0.0 for j in range(k)]
                for i in range(self.num_layers)]
        self._set(rows, f"Coarse from {coarse + 1}, fine from {fine + 1} at layer {layer}", ("crossover",))

    def reset(self) -> None:
        if self.num_layers:
            mix = dataclasses.replace(self.state, layer_table=None)
            self._set(self.rows(mix), "Reset mixing table")

    def _on_edit_started(self) -> None:
        self._gesture_count += 1
        self._gesture = self._gesture_count

    # ------------------------------------------------------------------ model and state
    def _on_load_finished(self, result: LoadResult) -> None:
        if result.error is not None:
            return
        n = int((result.info or {}).get("num_ws", 0))
        names = list(result.layer_names)
        self.layer_names = names if len(names) == n else [f"layer {i}" for i in range(n)]
        self._check_table()
        self._show(self.state)

    def _check_table(self) -> None:
        """A table for another layer count (model switch, session) is dropped: it cannot be rendered."""
        table = self.state.layer_table
        if table is not None and self.num_layers and len(table) != self.num_layers:
            self.store.replace(dataclasses.replace(self.state, layer_table=None))
            self.status.show_status(f"The mixing table had {len(table)} layers, this model has "
                                    f"{self.num_layers}: back to the blend sliders", error=True)

    def _on_store_changed(self, old: ViewState, new: ViewState) -> None:
        i = removed_anchor(old.anchors, new.anchors)
        if (i is not None and (old.layer_table is not None or old.painting)
                and (new.layer_table, new.painting) == (old.layer_table, old.painting)):
            aligned = old.without_anchor(i)
            self.store.replace(dataclasses.replace(new, layer_table=aligned.layer_table, painting=aligned.painting))
            return
        if (old.layer_table, old.anchors, old.weights) != (new.layer_table, new.anchors, new.weights):
            self._check_table()
            self._show(self.state)

    def _show(self, s: ViewState) -> None:
        labels = [f"{i}  {name}" for i, name in enumerate(self.layer_names)]
        self.panel.set_table(self.rows(s), s.layer_table is not None, labels, [a.label() for a in s.anchors])
