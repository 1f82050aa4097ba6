"""ViewState style mapping, the store and undo with merged drags."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from app.state.view_state import ViewState, ViewStore
from engine.types import Anchor, Camera, StyleSpec


def test_style_normalises_weights() -> None:
    s = ViewState(anchors=(Anchor(seed=1), Anchor(seed=2)), weights=(1.0, 0.5), psi=0.7, cutoff=3)
    assert s.style() == StyleSpec(anchors=s.anchors, mix=(2 / 3, 1 / 3), psi=0.7, cutoff=3)
    assert ViewState(anchors=s.anchors, weights=(0.0, 0.0)).style().mix is None  # all on anchor 0
    assert ViewState().style() == StyleSpec()
    with pytest.raises(ValueError):
        ViewState(anchors=(Anchor(seed=1),), weights=(1.0, 1.0))


def test_undo_redo_and_merged_drags(qtbot: Any) -> None:
    store = ViewStore()
    seen: list[tuple[ViewState, ViewState]] = []
    store.changed.connect(lambda old, new: seen.append((old, new)))
    for i in range(1, 6):  # one drag: five moves, one undo step
        store.set(store.state.with_camera(Camera(center=(0.1 * i, 0.0))), "Pan", ("Pan", 1))
    store.set(store.state.with_camera(Camera(center=(0.5, 0.2))), "Pan", ("Pan", 2))
    store.set(dataclasses.replace(store.state, psi=0.3), "Truncation")
    assert store.undo_stack.count() == 3 and len(seen) == 7
    store.set(store.state, "no-op")  # equal states make no step
    assert store.undo_stack.count() == 3
    store.undo_stack.undo()
    store.undo_stack.undo()
    assert store.state.camera.center == (0.5, 0.0) and store.state.psi == 1.0
    store.undo_stack.undo()
    assert store.state == ViewState()
    store.undo_stack.redo()
    assert store.state.camera.center == (0.5, 0.0)
    store.replace(ViewState(psi=2.0), clear_undo=True)
    assert store.undo_stack.count() == 0 and seen[-1][1].psi == 2.0
