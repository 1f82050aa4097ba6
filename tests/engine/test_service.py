"""Engine service: newest-request-wins, progressive passes, errors as values, cancel, no Qt."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from engine import load_generator
from engine.renderer import render_image
from engine.service import JobResult, LoadResult, RenderService
from engine.types import Camera, RenderRequest, StyleSpec


@pytest.fixture(scope="module")
def skip32(fixtures: Path) -> str:
    return str(fixtures / "cips" / "cips_skip_32.pt")


def test_sync_load_and_render(skip32: str) -> None:
    svc = RenderService(sync=True)
    loads: list[LoadResult] = []
    svc.load(skip32, device="cpu", on_done=loads.append)
    assert loads[0].error is None and loads[0].epoch == 1 and loads[0].info["family"] == "cips-skip"
    frames = []
    req = RenderRequest(StyleSpec(), Camera(), (32, 32))
    svc.render(req, frames.append, passes=(4, 1))
    assert [f.stride for f in frames] == [4, 1] and [f.final for f in frames] == [False, True]
    assert frames[0].image.shape == (8, 8, 3) and frames[1].image.shape == (32, 32, 3)
    assert not frames[1].image.flags.writeable
    # the coarse pass holds the final pixels at every 4th position
    assert np.array_equal(frames[0].image, frames[1].image[::4, ::4])
    assert np.array_equal(frames[1].image, render_image(load_generator(skip32)))


def test_bad_load_keeps_model_and_reports(skip32: str, tmp_path: Path) -> None:
    svc = RenderService(sync=True)
    svc.load(skip32, device="cpu")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    res: list[LoadResult] = []
    svc.load(str(bad), device="cpu", on_done=res.append)
    assert res[0].error and "bad.pt" in res[0].error and res[0].epoch == 1
    assert svc.generator is not None and svc.epoch == 1


def test_render_errors_are_values(skip32: str) -> None:
    svc = RenderService(sync=True)
    frames = []
    svc.render(RenderRequest(StyleSpec(), Camera(), (8, 8)), frames.append)
    assert frames[0].image is None and "no model" in frames[0].error
    svc.load(skip32, device="cpu")
    svc.render(RenderRequest(StyleSpec(), Camera(zoom=-1), (8, 8)), frames.append)
    assert frames[1].image is None and "zoom" in frames[1].error


def test_threaded_newest_wins_and_jobs(skip32: str) -> None:
    svc = RenderService()
    done = threading.Event()
    svc.load(skip32, device="cpu", on_done=lambda r: done.set())
    assert done.wait(30)
    gate = threading.Event()
    started = threading.Event()
    results: list[JobResult] = []

    def blocker(g, token, progress):
        started.set()
        gate.wait(10)
        return g.info["family"]

    svc.submit(blocker, results.append)
    assert started.wait(10)
    got: list = []
    finished = threading.Event()
    for seed in range(5):  # all queued while the engine is busy: only the newest survives
        req = RenderRequest(StyleSpec(), Camera(center=(seed * 0.1, 0.0)), (16, 16))
        svc.render(req, lambda f: (got.append(f), finished.set()))
    last_id = req.id
    gate.set()
    assert finished.wait(30)
    svc.shutdown()
    assert results[0].value == "cips-skip"
    assert [f.request_id for f in got] == [last_id]


def test_cancel_job(skip32: str) -> None:
    svc = RenderService()
    out: list[JobResult] = []
    done = threading.Event()
    running = threading.Event()

    def long_job(g, token, progress):
        running.set()
        while True:
            token.check()

    token = svc.submit(long_job, lambda r: (out.append(r), done.set()))
    assert running.wait(10)
    token.cancel()
    assert done.wait(10) and out[0].cancelled
    svc.shutdown()


def test_engine_package_import_is_light() -> None:
    code = "import sys, engine; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])
