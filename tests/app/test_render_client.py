"""RenderClient: queued delivery to the GUI thread, stale-epoch and out-of-order drops, errors, jobs."""

from __future__ import annotations

from typing import Any

from app.bridge.render_client import RenderClient, choose_passes
from engine.service import JobResult, LoadResult, RenderService
from engine.types import Camera, Frame, RenderRequest, StyleSpec


def test_choose_passes() -> None:
    assert choose_passes(16, 16, 1e-6) == (1,)
    assert choose_passes(64, 64, 2e-5) == (2, 1)
    assert choose_passes(800, 600, 1e-4) == (32, 8, 1)
    assert choose_passes(800, 600, None)[0] > 1
    # a stride floor (off-axis CREPS lattice) raises the first pass of a view that needs one, only
    assert choose_passes(256, 256, 2e-5, min_stride=16) == (16, 4, 1)
    assert choose_passes(256, 256, 2e-5) == (8, 2, 1)
    assert choose_passes(16, 16, 1e-6, min_stride=16) == (1,)
    assert choose_passes(800, 600, 1e-4, min_stride=16) == (32, 8, 1)


class _StubService:
    """Records requests; the test delivers frames by hand (in any order)."""

    epoch = 1

    def __init__(self) -> None:
        self.renders: list[tuple[RenderRequest, Any, tuple[int, ...]]] = []

    def min_first_stride(self, request: RenderRequest) -> int:
        return 16 if request.camera.rotation % 90 else 1

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


def test_passes_follow_the_stride_floor_and_pans_do_not_skew_speed(qtbot: Any) -> None:
    import numpy as np

    svc = _StubService()
    client = RenderClient(svc)  # type: ignore[arg-type]
    shown: list[Frame] = []
    client.frameReady.connect(lambda f, r: shown.append(f))
    a = client.render(RenderRequest(StyleSpec(), Camera(), (256, 256)))
    img = np.zeros((256, 256, 3), np.uint8)
    svc.renders[-1][1](Frame(a.id, 1, img, 256 * 256 * 2e-5))
    qtbot.waitUntil(lambda: len(shown) == 1)
    r = client.render(RenderRequest(StyleSpec(), Camera(rotation=30.0), (256, 256)))
    assert svc.renders[-1][2] == (16, 4, 1)  # off-axis lattice view: first pass at stride 16
    # its passes cost ~1/stride, not 1/stride^2: their speed per pixel is not learned for other views
    svc.renders[-1][1](Frame(r.id, 1, img[::16, ::16], 0.07, stride=16, final=False))
    qtbot.waitUntil(lambda: len(shown) == 2)
    # a pan that reused all but a 10-pixel strip, in a tenth of the time: the same speed per rendered pixel
    b = client.render(RenderRequest(StyleSpec(), Camera(center=(0.1, 0.0)), (256, 256)))
    svc.renders[-1][1](Frame(b.id, 1, img, 10 * 256 * 2e-5, extra={"reused_pixels": 246 * 256}))
    qtbot.waitUntil(lambda: len(shown) == 3)
    client.render(RenderRequest(StyleSpec(), Camera(zoom=2.0), (256, 256)))
    assert svc.renders[-1][2] == (8, 2, 1)


def test_real_service_pan_delivers_one_reused_frame(qtbot: Any, skip32: str) -> None:
    import numpy as np

    from engine.coords import pixel_step
    from engine.renderer import render_request

    client = RenderClient(RenderService())
    with qtbot.waitSignal(client.loadFinished, timeout=30000):
        client.load(skip32, "cpu")
    frames: list[Frame] = []
    client.frameReady.connect(lambda f, r: frames.append(f))
    req = RenderRequest(StyleSpec(), Camera(), (48, 40))
    client.render(req, passes=(4, 1))
    qtbot.waitUntil(lambda: bool(frames) and frames[-1].final, timeout=30000)
    frames.clear()
    step = pixel_step(req.camera, 48, 40)
    pan = RenderRequest(StyleSpec(), Camera(center=(5 * step, -2 * step)), (48, 40))
    client.render(pan, passes=(4, 1))
    qtbot.waitUntil(lambda: bool(frames) and frames[-1].final, timeout=30000)
    assert [f.stride for f in frames] == [1] and frames[0].extra["reused_pixels"] == 43 * 38
    result: list[JobResult] = []
    client.submit(lambda g, token, progress: render_request(g, pan).image, result.append)
    qtbot.waitUntil(lambda: bool(result), timeout=30000)
    assert np.array_equal(frames[0].image, result[0].value)
    assert not client.busy
    client.shutdown()
