"""Keyframe documents (app <-> engine/video.py, sessions) and the background job runner."""

from __future__ import annotations

import json
import threading
from typing import Any

import numpy as np
import pytest

from app.bridge.job_runner import JobRunner, format_eta
from app.state import session as sessions
from app.state.keyframes import FORMAT, Keyframe, VideoSettings, from_doc, to_doc
from engine import video
from engine.errors import RenderCancelled
from engine.service import RenderService
from engine.types import Anchor, Camera, FrozenArray, StyleSpec

MIXED = StyleSpec(anchors=(Anchor(seed=1), Anchor(seed=5)), psi=0.6,
                  layer_table=FrozenArray(np.linspace(0, 1, 26, dtype=np.float32).reshape(13, 2)),
                  masks=FrozenArray(np.zeros((2, 4, 4), np.float32)), ablate=("fourier",))
KEYS = [Keyframe(0.5, Camera(), StyleSpec()), Keyframe(2.5, Camera((0.2, 0.1), 2.0, 30.0), MIXED)]


def test_keyframe_documents_round_trip_and_rescale() -> None:
    assert FORMAT == video.FORMAT
    doc = to_doc(KEYS, "model.pt", VideoSettings((48, 32), 12.0, "linear"))
    back, settings, warnings = from_doc(doc)
    assert back == KEYS and settings == VideoSettings((48, 32), 12.0, "linear") and warnings == []
    spec = video.spec_from_json(json.dumps(doc))
    assert [k.time for k in spec.keyframes] == [0.5, 2.5] and spec.keyframes[1].style == MIXED
    assert spec.size == (48, 32) and spec.fps == 12.0 and spec.checkpoint == "model.pt"
    scaled = to_doc(KEYS, "model.pt", VideoSettings(), duration=4.0)
    assert [k["time"] for k in scaled["keyframes"]] == [0.0, 4.0]
    broken = {"keyframes": [doc["keyframes"][0], {"time": -1}, {"camera": {"zoom": 0}}]}
    back, _, warnings = from_doc(broken)
    assert len(back) == 1 and len(warnings) == 2


def test_video_reads_a_session_with_keyframes() -> None:
    section = to_doc(KEYS, "", VideoSettings((24, 16), 4.0, "smooth"))
    del section["checkpoint"]
    session = sessions.Session(model_path="/models/cips.pt", keyframes=section)
    text = sessions.to_json(session)
    assert sessions.from_json(text).keyframes == section
    spec = video.spec_from_json(text)
    assert spec.checkpoint == "/models/cips.pt" and spec.frame_count == 9 and spec.keyframes[1].camera == KEYS[1].camera
    with pytest.raises(ValueError, match="session has no keyframes"):
        video.spec_from_json(sessions.to_json(sessions.Session()))


def test_job_runner_progress_cancel_and_errors(qtbot: Any) -> None:
    service = RenderService()
    runner = JobRunner(service)
    gate = threading.Event()
    try:
        progress: list[tuple[float, float]] = []
        runner.progressChanged.connect(lambda f, eta: progress.append((f, eta)))

        def counting(g: Any, token: Any, report: Any) -> int:
            for i in range(1, 5):
                token.check()
                report(i / 4)
            return 42

        with qtbot.waitSignal(runner.finished, timeout=10000) as done:
            runner.start(counting)
        assert done.args[0].value == 42 and [f for f, _ in progress] == [0.25, 0.5, 0.75, 1.0]
        assert progress[-1][1] == 0.0 and not runner.busy

        def blocking(g: Any, token: Any, report: Any) -> None:
            gate.wait(10)
            token.check()

        service.submit(blocking)  # occupies the engine thread: the next job waits in the queue
        results: list[Any] = []
        runner.start(counting, results.append)
        runner.cancel()  # still queued: reported at once, and the service never runs it
        assert results[0].cancelled and not runner.busy
        gate.set()

        def failing(g: Any, token: Any, report: Any) -> None:
            raise OSError("[Errno 28] No space left on device")

        with qtbot.waitSignal(runner.finished, timeout=10000) as done:
            runner.start(failing)
        assert done.args[0].error == "[Errno 28] No space left on device"

        def cancelled(g: Any, token: Any, report: Any) -> None:
            raise RenderCancelled("cancelled")

        with qtbot.waitSignal(runner.finished, timeout=10000) as done:
            runner.start(cancelled)
        assert done.args[0].cancelled
    finally:
        gate.set()
        service.shutdown()
    assert format_eta(-1) == "" and format_eta(75) == "about 1 min 15 s left"
    assert format_eta(3700).startswith("about 1 h")
