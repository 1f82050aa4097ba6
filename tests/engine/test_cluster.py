"""Dask scale-out: exports, videos, spectra and consistency on a 2-worker LocalCluster equal the local results;
a worker killed mid-export changes nothing; a worker with another model file is refused."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import tifffile
import torch
from PIL import Image

from engine import load_generator
from engine.analysis import consistency_per_seed, mean_spectrum
from engine.checkpoints import default_path
from engine.cluster import (
    Cluster,
    ModelMismatch,
    cluster_consistency,
    cluster_spectrum,
    export_source,
    model_ref,
    parse_address,
    video_source,
)
from engine.errors import RenderCancelled
from engine.export import export_image
from engine.renderer import CancelToken, spec_styles
from engine.types import Anchor, Camera, FrozenArray, StyleSpec
from engine.video import Keyframe, VideoSpec, export_video

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cluster():
    with Cluster("local:2") as c:
        yield c


@pytest.fixture(autouse=True)
def _one_thread():
    """The workers run one torch thread each (Dask's nanny sets OMP_NUM_THREADS=1): so does the local reference."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def default_g():
    return load_generator("default", device="cpu")


def painted_style() -> StyleSpec:
    """Seed 3, with a feathered disc painted in seed 11's style."""
    yy, xx = np.mgrid[0:32, 0:32]
    masks = np.zeros((2, 32, 32), np.float32)
    masks[1] = np.clip(1.2 - np.hypot(xx - 12, yy - 18) / 10, 0, 1)
    return StyleSpec(anchors=(Anchor(seed=3), Anchor(seed=11)), masks=FrozenArray(masks), psi=0.8)


def both(g, cluster, tmp_path: Path, name: str, style: StyleSpec, camera: Camera, size, **kw) -> tuple[Path, Path]:
    local = export_image(g, spec_styles(g, style), tmp_path / f"local_{name}", size, camera=camera,
                         noise=style.noise, ablate=style.ablate, journal=False, **kw)
    bits = kw.get("bits", 8)
    src = export_source(cluster, model_ref(g, "cpu"), style, camera, size, bits=bits, task_pixels=4096)
    remote = export_image(g, spec_styles(g, style), tmp_path / f"cluster_{name}", size, camera=camera,
                          noise=style.noise, ablate=style.ablate, journal=False, source=src, **kw)
    return local, remote


def test_export_png_and_tiff_byte_identical(cluster, default_g, tmp_path: Path) -> None:
    cam = Camera(center=(0.3, -0.2), zoom=0.7, rotation=25.0)
    style = painted_style()
    local, remote = both(default_g, cluster, tmp_path, "a.png", style, cam, (150, 97), tile_pixels=2000)
    assert local.read_bytes() == remote.read_bytes()
    img = np.asarray(Image.open(remote))
    assert img.shape == (97, 150, 3) and img.std() > 5  # a real picture, not a blank
    local, remote = both(default_g, cluster, tmp_path, "b.tif", style, cam, (120, 80), bits=16, pyramid=True,
                         tile_pixels=3000)
    assert local.read_bytes() == remote.read_bytes()
    assert tifffile.imread(remote).dtype == np.uint16


def test_fixture_family_and_resume_journal(cluster, fixtures: Path, tmp_path: Path) -> None:
    """An official CIPS checkpoint; half the bands already in the journal: only the rest go to the cluster."""
    g = load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))
    style = StyleSpec(anchors=(Anchor(seed=5),))
    cam = Camera(rotation=-40.0, zoom=1.3)
    local = export_image(g, spec_styles(g, style), tmp_path / "l.png", (64, 64), camera=cam, journal=False,
                         tile_pixels=512)
    sent: list[tuple[int, int]] = []
    src = export_source(cluster, model_ref(g, "cpu"), style, cam, (64, 64), task_pixels=512)

    def counting(todo):
        sent.extend(todo)
        return src(todo)

    class Stop(Exception):
        pass

    def stop_half(done, total):
        if done >= total // 2:
            raise Stop

    out = tmp_path / "c.png"
    with pytest.raises(Stop):
        export_image(g, spec_styles(g, style), out, (64, 64), camera=cam, journal=True, tile_pixels=512,
                     source=src, progress=stop_half)
    assert not out.exists()
    export_image(g, spec_styles(g, style), out, (64, 64), camera=cam, journal=True, tile_pixels=512,
                 source=counting)
    assert out.read_bytes() == local.read_bytes()
    assert sent and min(y0 for y0, _ in sent) >= 32  # the journalled first half was not rendered again


def test_video_frames_equal_local(cluster, default_g, tmp_path: Path) -> None:
    a = StyleSpec(anchors=(Anchor(seed=1),))
    b = StyleSpec(anchors=(Anchor(seed=2),), psi=0.6)
    spec = VideoSpec((Keyframe(0.0, Camera(), a), Keyframe(1.0, Camera(center=(0.5, 0.0), zoom=0.6, rotation=20), b)),
                     size=(40, 30), fps=6)
    export_video(default_g, spec, tmp_path / "local")
    export_video(default_g, spec, tmp_path / "remote",
                 source=video_source(cluster, model_ref(default_g, "cpu"), spec, task_pixels=2400))
    names = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert len(names) == spec.frame_count == 7
    assert names == sorted(p.name for p in (tmp_path / "remote").iterdir())
    for n in names:
        assert np.array_equal(np.asarray(Image.open(tmp_path / "local" / n)),
                              np.asarray(Image.open(tmp_path / "remote" / n)))


def test_spectrum_and_consistency_equal_local(cluster, default_g) -> None:
    seeds = range(64)
    local = mean_spectrum(default_g, seeds, 64)
    remote = cluster_spectrum(cluster, model_ref(default_g, "cpu"), seeds, 64, chunk=8)
    assert remote.count == local.count == 64
    np.testing.assert_allclose(remote.mean(), local.mean(), rtol=1e-6, atol=1e-9)
    per_seed = consistency_per_seed(default_g, range(3), (2,))
    assert np.array_equal(cluster_consistency(cluster, model_ref(default_g, "cpu"), range(3), (2,)), per_seed)
    assert per_seed.shape == (3, 1, 2) and np.all(per_seed[..., 0] > 20)


def test_worker_with_another_model_file_is_refused(cluster, fixtures: Path, tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    shutil.copyfile(default_path(), path)
    g = load_generator(str(path))
    ref = model_ref(g, "cpu")
    shutil.copyfile(fixtures / "cips" / "cips_skip_32.pt", path)  # the workers now see another file there
    out = tmp_path / "x.png"
    style = StyleSpec()
    with pytest.raises(ModelMismatch, match="different model file"):
        export_image(g, spec_styles(g, style), out, (32, 32), journal=False,
                     source=export_source(cluster, ref, style, Camera(), (32, 32)))
    assert not out.exists()


def test_cancel_mid_export_leaves_no_file_and_the_cluster_usable(cluster, default_g, tmp_path: Path) -> None:
    style, size = StyleSpec(anchors=(Anchor(seed=2),)), (96, 96)
    token = CancelToken()

    def cancel_at(done, total):
        if done >= 20:
            token.cancel()

    out = tmp_path / "x.png"
    with pytest.raises(RenderCancelled):
        export_image(default_g, spec_styles(default_g, style), out, size, journal=False, tile_pixels=960,
                     cancel=token, progress=cancel_at,
                     source=export_source(cluster, model_ref(default_g, "cpu"), style, Camera(), size, cancel=token,
                                          task_pixels=960))
    assert not out.exists() and not list(tmp_path.iterdir())
    local, remote = both(default_g, cluster, tmp_path, "after.png", style, Camera(), size, tile_pixels=960)
    assert local.read_bytes() == remote.read_bytes()


def test_killed_worker_yields_the_identical_file(default_g, tmp_path: Path) -> None:
    style = StyleSpec(anchors=(Anchor(seed=8),))
    cam = Camera(rotation=10.0, zoom=0.8)
    size = (128, 128)
    local = export_image(default_g, spec_styles(default_g, style), tmp_path / "l.png", size, camera=cam,
                         journal=False, tile_pixels=1024)
    killed = threading.Event()
    with Cluster("local:2") as c:
        pids = list(c.client.run(os.getpid).values())

        def kill_one(done, total):
            if not killed.is_set() and done >= 16:
                os.kill(pids[0], signal.SIGKILL)
                killed.set()

        out = export_image(default_g, spec_styles(default_g, style), tmp_path / "c.png", size, camera=cam,
                           journal=False, tile_pixels=1024, progress=kill_one,
                           source=export_source(c, model_ref(default_g, "cpu"), style, cam, size, task_pixels=1024))
    assert killed.is_set()
    assert out.read_bytes() == local.read_bytes()


def test_cli_cluster_export_and_no_dask_without_it(tmp_path: Path) -> None:
    code = (
        "import sys; from cli import run_cli\n"
        "assert run_cli(['export', 'default', '--size', '70', '50', '--rotate', '15', '--out', "
        f"{str(tmp_path / 'l.png')!r}]) == 0\n"
        "assert not any(m == 'dask' or m.startswith(('dask.', 'distributed')) for m in sys.modules), 'dask imported'\n"
        f"assert run_cli(['export', 'default', '--size', '70', '50', '--rotate', '15', '--cluster', 'local:2', "
        f"'--out', {str(tmp_path / 'c.png')!r}]) == 0\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "cluster: local:2 (2 workers" in r.stderr
    assert (tmp_path / "l.png").read_bytes() == (tmp_path / "c.png").read_bytes()


def test_addresses_and_missing_dask(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_address("local") == ("local", None)
    assert parse_address("local:3") == ("local", 3)
    assert parse_address("tcp://10.0.0.5:8786") == ("remote", None)
    for bad in ("local:0", "local:x", "nonsense"):
        with pytest.raises(ValueError, match="cluster"):
            parse_address(bad)
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    with pytest.raises(ValueError, match="DASK_SCHEDULER_ADDRESS is not set"):
        parse_address("env")
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://h:1")
    assert parse_address("env") == ("remote", None)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    with pytest.raises(ValueError, match=r"pip install -e \"\.\[cluster\]\""):
        Cluster("local:1")


class FakeFuture:
    def __init__(self, log: list, value) -> None:
        self.log, self.value = log, value

    def result(self, timeout=None):
        return self.value

    def release(self) -> None:
        self.log.append(("done", self.value))


class FakeClient:
    """Runs tasks at submit time; records how many were pending at once and what was cancelled."""

    def __init__(self) -> None:
        self.log: list = []
        self.pending = 0
        self.most = 0
        self.cancelled: list = []

    def nthreads(self):
        return {"tcp://a": 1, "tcp://b": 1}

    def submit(self, fn, task, pure=False):
        self.pending += 1
        self.most = max(self.most, self.pending)
        return FakeFuture(self.log, fn(task))

    def cancel(self, futures) -> None:
        self.cancelled.extend(f.value for f in futures)


def test_map_ordered_keeps_two_tasks_per_worker_in_flight_and_cancels_the_rest() -> None:
    c = Cluster.__new__(Cluster)
    c.client = FakeClient()
    original = c.client.submit

    def submit(fn, task, pure=False):
        fut = original(fn, task, pure)
        real_release = fut.release

        def release():
            c.client.pending -= 1
            real_release()

        fut.release = release
        return fut

    c.client.submit = submit
    out = list(c.map_ordered(lambda t: t * 10, range(9)))
    assert out == [t * 10 for t in range(9)]
    assert c.client.most == 4  # 2 worker threads x 2
    it = c.map_ordered(lambda t: t, range(100))
    assert [next(it), next(it)] == [0, 1]
    it.close()  # the caller stopped (error, cancel, Ctrl+C): what is still pending is cancelled
    assert c.client.cancelled == [2, 3, 4]  # the tasks submitted ahead of the one being waited for
