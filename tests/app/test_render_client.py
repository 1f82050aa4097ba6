"""RenderClient: queued delivery to the GUI thread, stale-epoch and out-of-order drops, errors, jobs."""

from __future__ import annotations

from typing import Any

from app.render_client import RenderClient, choose_passes
from engine.service import JobResult, LoadResult, RenderService
from engine.types import Camera, Frame, RenderRequest, StyleSpec


def test_choose_passes() -> None:
    assert choose_passes(16, 16, 1e-6) == (1,)
    assert choose_passes(64, 64, 2e-5) == (2, 1)
    assert choose_passes(800, 600, 1e-4) == (32, 8, 1)
    assert choose_passes(800, 600, None)[0] > 1


class _StubService:
    """Records requests; the test delivers frames by hand (in any order)."""

    epoch = 1

    def __init__(self) -> None:
        self.renders: list[tuple[RenderRequest, Any, tuple[int, ...]]] = []

    def render(self, request: RenderRequest, on_frame: Any, passes: Any, interruptible: bool = False) -> None:
        self.renders.append((request, on_frame, tuple(passes)))

    def load(self, path: str, device: str, on_done: Any) -> None:
        on_done(LoadResult(1, 2, {"family": "x"}))

    def shutdown(self) -> None:
        pass


def _frame(req: RenderRequest, stride: int = 1, epoch: int = 1, error: str | None = None) -> Frame:
    import numpy as np

    img = None if error else np.zeros((2, 2, 3), np.uint8)
    return Frame(req.id, epoch, img, 0.01, error=error, stride=stride, final=stride == 1)


def test_drops_stale_and_older_frames(qtbot: Any) -> None:
    svc = _StubService()
    client = RenderClient(svc)  # type: ignore[arg-type]
    shown: list[tuple[int, int]] = []
    errors: list[str] = []
    client.frameReady.connect(lambda f, r: shown.append((f.request_id, f.stride)))
    client.renderFailed.connect(errors.append)
    a = client.render(RenderRequest(StyleSpec(), Camera(), (8, 8)), passes=(4, 1))
    b = client.render(RenderRequest(StyleSpec(), Camera(zoom=2), (8, 8)), passes=(4, 1))
    assert a.epoch == 1 and client.busy
    on_a, on_b = svc.renders[0][1], svc.renders[1][1]
    on_a(_frame(a, 4))
    on_b(_frame(b, 4))
    on_a(_frame(a, 1))  # older than the frame on screen: dropped
    on_b(_frame(b, 1))
    qtbot.waitUntil(lambda: len(shown) == 3)
    assert shown == [(a.id, 4), (b.id, 4), (b.id, 1)] and not client.busy
    c = client.render(RenderRequest(StyleSpec(), Camera(zoom=3), (8, 8)))
    with qtbot.waitSignal(client.loadFinished):
        client.load("x", "cpu")
    assert client.epoch == 2
    svc.renders[-1][1](_frame(c, 1, epoch=1))  # rendered by the old model: dropped
    d = client.render(RenderRequest(StyleSpec(), Camera(zoom=4), (8, 8)))
    svc.renders[-1][1](_frame(d, 1, epoch=2, error="CUDA out of memory"))
    qtbot.waitUntil(lambda: errors == ["CUDA out of memory"])
    assert len(shown) == 3


def test_real_service_delivers_on_gui_thread(qtbot: Any, skip32: str) -> None:
    import threading

    client = RenderClient(RenderService())
    main = threading.get_ident()
    threads: list[int] = []
    client.loadFinished.connect(lambda r: threads.append(threading.get_ident()))
    with qtbot.waitSignal(client.loadFinished, timeout=30000) as blocker:
        client.load(skip32, "cpu")
    assert blocker.args[0].error is None and client.epoch == 1
    frames: list[Frame] = []
    client.frameReady.connect(lambda f, r: (frames.append(f), threads.append(threading.get_ident())))
    client.render(RenderRequest(StyleSpec(), Camera(), (16, 16)), passes=(4, 1))
    qtbot.waitUntil(lambda: bool(frames) and frames[-1].final, timeout=30000)
    assert [f.stride for f in frames] == [4, 1]
    results: list[JobResult] = []
    client.submit(lambda g, token, progress: (threads.append(threading.get_ident()), g.z_dim)[1],
                  lambda r: (results.append(r), threads.append(threading.get_ident())))
    qtbot.waitUntil(lambda: bool(results), timeout=30000)
    assert results[0].value == 40
    assert threads.count(main) == len(threads) - 1  # only the job body ran on the engine thread
    client.shutdown()
