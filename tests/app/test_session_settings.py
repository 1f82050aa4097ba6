"""Session files (round trip, newer versions, damage) and settings stay in the given folder."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pytest

from app.state import session as sessions
from app.state.settings import AppPaths, Settings
from app.state.view_state import ViewState
from engine.types import Anchor, Camera, FrozenArray

if TYPE_CHECKING:
    from pathlib import Path


def _session() -> sessions.Session:
    state = ViewState(camera=Camera(center=(0.5, -0.25), zoom=0.5, rotation=12.0),
                      anchors=(Anchor(seed=3), Anchor(seed=None, z=FrozenArray(np.arange(4))),
                               Anchor(seed=None, w=FrozenArray(np.ones((2, 3))))),
                      weights=(1.0, 0.25, 0.0), interp="slerp-z", psi=0.7, cutoff=2)
    return sessions.Session(state=state, model_path="/m.pt", model_sha256="ab", active=1, quality=2.0,
                            overlay=False, window_state=b"\x00\x01")


def test_round_trip() -> None:
    s = _session()
    back = sessions.from_json(sessions.to_json(s))
    assert back.state == s.state and back.warnings == []
    assert (back.model_path, back.model_sha256, back.active, back.quality, back.overlay, back.window_state) == (
        "/m.pt", "ab", 1, 2.0, False, b"\x00\x01")


def test_newer_or_damaged_sessions_open_what_they_can() -> None:
    doc = json.loads(sessions.to_json(_session()))
    doc["version"] = 7
    doc["future_feature"] = {"x": 1}
    doc["camera"]["zoom"] = -1
    doc["style"]["anchors"][1] = {"z": "oops"}
    back = sessions.from_json(json.dumps(doc))
    text = " ".join(back.warnings)
    assert "newer version" in text and "camera" in text and "Anchor 2" in text
    assert back.state.camera == Camera() and [a.seed for a in back.state.anchors] == [3, None]
    assert back.state.psi == 0.7


@pytest.mark.parametrize("text", ["{", "[]", '{"format": "other"}'])
def test_not_a_session(text: str) -> None:
    with pytest.raises(sessions.SessionError):
        sessions.from_json(text)


def test_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "settings.ini"
    s = Settings.load(path)
    assert s == Settings()
    s.add_recent(str(tmp_path / "a.pt"))
    s.add_recent(str(tmp_path / "b.pt"))
    s.add_recent(str(tmp_path / "a.pt"))
    s.quality, s.overlay, s.geometry, s.last_model = 2.0, False, b"\x01\x02", "default"
    s.save(path)
    back = Settings.load(path)
    assert back == s and back.recent_files[0].endswith("a.pt") and len(back.recent_files) == 2
    one = Settings(recent_files=["/only.pt"])
    one.save(path)
    assert Settings.load(path).recent_files == ["/only.pt"]


def test_default_paths_follow_the_environment(tmp_path: Path) -> None:
    paths = AppPaths.default()  # the autouse fixture points these at tmp_path
    assert str(paths.config_dir).startswith(str(tmp_path)) and str(paths.data_dir).startswith(str(tmp_path))
