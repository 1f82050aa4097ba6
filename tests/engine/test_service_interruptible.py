"""Service: interruptible refinement passes stop for a newer request; unexpected load errors still answer."""

from __future__ import annotations

import threading
from pathlib import Path

from engine.service import LoadResult, RenderService
from engine.types import Camera, Frame, RenderRequest, StyleSpec


def test_newer_request_interrupts_refinement(fixtures: Path) -> None:
    svc = RenderService()
    loaded = threading.Event()
    svc.load(str(fixtures / "cips" / "cips_skip_32.pt"), device="cpu", on_done=lambda r: loaded.set())
    assert loaded.wait(30)
    frames: list[Frame] = []
    first = threading.Event()
    done = threading.Event()

    def on_slow(f: Frame) -> None:
        frames.append(f)
        first.set()

    # the final pass of a 256 x 256 render takes seconds on CPU: it must stop when a new request arrives
    slow = RenderRequest(StyleSpec(), Camera(), (256, 256))
    svc.render(slow, on_slow, passes=(16, 1), interruptible=True)
    assert first.wait(30)
    fast = RenderRequest(StyleSpec(), Camera(zoom=2.0), (8, 8))
    svc.render(fast, lambda f: (frames.append(f), done.set()), passes=(1,), interruptible=True)
    assert done.wait(10)
    svc.shutdown()
    assert [(f.request_id, f.stride) for f in frames] == [(slow.id, 16), (fast.id, 1)]


def test_unexpected_load_error_is_reported(monkeypatch, tmp_path: Path) -> None:
    import engine

    def broken(path: str, device: str = "cpu", **options: object) -> None:
        raise ImportError("loader module missing")

    monkeypatch.setattr(engine, "load_generator", broken)
    svc = RenderService(sync=True)
    out: list[LoadResult] = []
    svc.load(str(tmp_path / "x.pkl"), on_done=out.append)
    assert out[0].error is not None and "loader module missing" in out[0].error and out[0].epoch == 0


def test_render_job_matches_render(fixtures: Path) -> None:
    from engine.service import JobResult, render_job

    svc = RenderService(sync=True)
    svc.load(str(fixtures / "cips" / "cips_skip_32.pt"), device="cpu")
    req = RenderRequest(StyleSpec(), Camera(center=(0.3, 0.1)), (12, 10))
    frames: list[Frame] = []
    svc.render(req, frames.append)
    out: list[JobResult] = []
    svc.submit(render_job(req), out.append)
    assert out[0].error is None and out[0].value.image.shape == (10, 12, 3)
    assert (out[0].value.image == frames[0].image).all()
