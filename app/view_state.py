"""The one frozen view state (camera + latent style), its store, and undo/redo over it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from engine.types import Anchor, Camera, StyleSpec

if TYPE_CHECKING:
    from collections.abc import Hashable

INTERPOLATIONS = ("lerp-w", "slerp-z")


@dataclass(frozen=True)
class ViewState:
    """Everything a render depends on that the user edits (and undo restores).

    ``weights`` are the raw slider values (one per anchor, 0..1); the style blends the anchors with the
    weights normalised to sum 1 (all weight on anchor 0 when every slider is at 0).
    """

    camera: Camera = field(default_factory=Camera)
    anchors: tuple[Anchor, ...] = (Anchor(seed=0),)
    weights: tuple[float, ...] = (1.0,)
    interp: str = "lerp-w"
    psi: float = 1.0
    cutoff: int | None = None
    ablate: tuple[str, ...] = ()  # zeroed coordinate inputs ("embedding", "fourier"): the CIPS paper's ablations

    def __post_init__(self) -> None:
        if not self.anchors or len(self.weights) != len(self.anchors):
            raise ValueError("ViewState: need one weight per anchor and at least one anchor")
        if self.interp not in INTERPOLATIONS:
            raise ValueError(f"ViewState: interp must be one of {INTERPOLATIONS}, got {self.interp!r}")

    def mix(self) -> tuple[float, ...] | None:
        total = sum(max(w, 0.0) for w in self.weights)
        if len(self.anchors) == 1 or total <= 0.0:
            return None
        return tuple(max(w, 0.0) / total for w in self.weights)

    def style(self) -> StyleSpec:
        return StyleSpec(anchors=self.anchors, mix=self.mix(), interp=self.interp, psi=self.psi,
                         cutoff=self.cutoff, ablate=self.ablate)

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
