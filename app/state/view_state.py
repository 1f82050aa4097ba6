"""The one frozen view state (camera + latent style), its store, and undo/redo over it."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.state.masks import Painting
from engine.types import Anchor, Camera, FrozenArray, StyleSpec

if TYPE_CHECKING:
    from collections.abc import Hashable

INTERPOLATIONS = ("lerp-w", "slerp-z")


@dataclass(frozen=True)
class ViewState:
    """Everything a render depends on that the user edits (and undo restores).

    ``weights`` are the raw slider values (one per anchor, 0..1); the style blends the anchors with the
    weights normalised to sum 1 (all weight on anchor 0 when every slider is at 0).
    ``layer_table`` (style mixing) holds raw per-layer anchor weights [num_ws][anchors]; when set it replaces
    the sliders, each row normalised (an all-zero row uses the sliders' mix). ``painting`` holds the painted
    masks (tiles in frame coordinates, shared between undo steps). Both are indexed by anchor: extra
    columns / masks beyond the anchors are ignored and missing columns count as 0.
    """

    camera: Camera = field(default_factory=Camera)
    anchors: tuple[Anchor, ...] = (Anchor(seed=0),)
    weights: tuple[float, ...] = (1.0,)
    interp: str = "lerp-w"
    psi: float = 1.0
    cutoff: int | None = None
    ablate: tuple[str, ...] = ()  # zeroed coordinate inputs ("embedding", "fourier"): the CIPS paper's ablations

    layer_table: tuple[tuple[float, ...], ...] | None = None  # style mixing: raw weights [layer][anchor]
    painting: Painting = field(default_factory=Painting)  # painted masks (frame coordinates)

    def __post_init__(self) -> None:
        if not self.anchors or len(self.weights) != len(self.anchors):
            raise ValueError("ViewState: need one weight per anchor and at least one anchor")
        if self.interp not in INTERPOLATIONS:
            raise ValueError(f"ViewState: interp must be one of {INTERPOLATIONS}, got {self.interp!r}")
        if self.layer_table is not None:
            values = [v for row in self.layer_table for v in row]
            if not self.layer_table or not all(math.isfinite(v) and v >= 0 for v in values):
                raise ValueError("ViewState: layer_table weights must be finite and >= 0 (NaN is rejected)")

    def mix(self) -> tuple[float, ...] | None:
        total = sum(max(w, 0.0) for w in self.weights)
        if len(self.anchors) == 1 or total <= 0.0:
            return None
        return tuple(max(w, 0.0) / total for w in self.weights)

    def table(self) -> np.ndarray | None:
        """The layer table with one column per anchor and rows normalised to sum 1, or None."""
        if self.layer_table is None:
            return None
        k = len(self.anchors)
        mix = np.asarray(self.mix() or [1.0] + [0.0] * (k - 1), np.float64)
        rows = np.zeros((len(self.layer_table), k))
        for i, row in enumerate(self.layer_table):
            r = np.asarray([*row[:k], *[0.0] * (k - len(row))], np.float64)
            rows[i] = r / r.sum() if r.sum() > 0 else mix
        return rows.astype(np.float32)

    def style(self) -> StyleSpec:
        table = self.table()
        return StyleSpec(anchors=self.anchors, mix=self.mix(), interp=self.interp, psi=self.psi,
                         cutoff=self.cutoff, ablate=self.ablate,
                         layer_table=None if table is None else FrozenArray(table),
                         **self.painting.spec_fields(len(self.anchors)))

    def without_anchor(self, index: int) -> ViewState:
        """This state with anchor ``index`` removed from the anchors, sliders, table columns and masks."""
        table = self.layer_table
        if table is not None:
            table = tuple(row[:index] + row[index + 1:] for row in table)
        weights = self.weights[:index] + self.weights[index + 1:]
        return dataclasses.replace(self, anchors=self.anchors[:index] + self.anchors[index + 1:],
                                   weights=weights if any(w > 0 for w in weights) else (1.0, *weights[1:]),
                                   layer_table=table, painting=self.painting.without_anchor(index))

    def with_camera(self, camera: Camera) -> ViewState:
        return dataclasses.replace(self, camera=camera)


class _SetState(QUndoCommand):
    """One undoable state change; consecutive changes with the same merge key collapse into one step."""

    ID = 0x5E7

    def __init__(self, store: ViewStore, old: ViewState, new: ViewState, text: str,
                 merge_key: Hashable | None) -> None:
        super().__init__(text)
        self.store, self.old, self.new, self.merge_key = store, old, new, merge_key

    def id(self) -> int:
        return self.ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, _SetState) or other.merge_key != self.merge_key:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.store._apply(self.new)

    def undo(self) -> None:
        self.store._apply(self.old)


class ViewStore(QObject):
    """Holds the current `ViewState`; every edit goes through `set` (undoable) or `replace`.

    Signals
    -------
    changed(old: ViewState, new: ViewState)
        After every change, including undo and redo.
    """

    changed = Signal(object, object)

    def __init__(self, state: ViewState | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = state or ViewState()
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(500)

    @property
    def state(self) -> ViewState:
        return self._state

    def set(self, new: ViewState, text: str, merge_key: Hashable | None = None) -> None:
        """Change the state as one undo step; steps with an equal ``merge_key`` merge (one drag = one step)."""
        if new == self._state:
            return
        self.undo_stack.push(_SetState(self, self._state, new, text, merge_key))

    def replace(self, new: ViewState, clear_undo: bool = False) -> None:
        """Change the state without an undo step (session restore, model switch)."""
        if clear_undo:
            self.undo_stack.clear()
        self._apply(new)

    def _apply(self, new: ViewState) -> None:
        old, self._state = self._state, new
        if old != new:
            self.changed.emit(old, new)
