"""Export Image and Export Video on the real window: pixels equal engine renders, cancel, errors, sessions."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import namedtuple
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from app.state.view_state import ViewState
from cli import run_cli
from engine.coords import camera_grid
from engine.export import to_uint16
from engine.renderer import render_float, to_uint8
from engine.types import Anchor, Camera
from tests.gui_support import GuiApp, drag, make_app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

WAIT = 60000
VIEW = 32  # the 64-px test canvas at quality 0.5


@pytest.fixture
def small(qtbot: Any, tmp_path: Path, skip32: str) -> Iterator[GuiApp]:
    app = make_app(qtbot, tmp_path, skip32, quality=0.5)
    qtbot.waitUntil(lambda: app.controller.models.info is not None, timeout=WAIT)
    qtbot.waitUntil(app.view_is_final, timeout=WAIT)
    yield app
    app.controller.close()


def engine_pixels(g: Any, req: Any, size: tuple[int, int]) -> np.ndarray:
    return render_float(g, req.style, camera_grid(req.camera, *size))[0]


def set_view(app: GuiApp) -> None:
    """A view that exercises camera and style: panned, zoomed, rotated, two anchors blended, ψ < 1."""
    app.controller.store.set(ViewState(camera=Camera(center=(0.3, -0.2), zoom=1.7, rotation=25.0),
                                       anchors=(Anchor(seed=3), Anchor(seed=8)), weights=(1.0, 0.5),
                                       psi=0.7), "test view")


def export_via_dialog(qtbot: Any, app: GuiApp, path: Path, preset: int | None = None,
                      size: tuple[int, int] | None = None, fmt: tuple[Any, ...] = (".png", 8)) -> None:
    ex = app.controller.exports
    app.window.tools.acts.export_image.trigger()
    assert ex.dialog.isVisible()
    if preset is not None:
        ex.dialog.set_preset(preset)
    ex.dialog.set_format(*fmt)
    ex.dialog.set_path(str(path))
    if size is not None:
        ex.dialog.keep_aspect_box().setChecked(False)
        ex.dialog.width_box().setValue(size[0])
        ex.dialog.height_box().setValue(size[1])
    qtbot.mouseClick(ex.dialog.export_button, Qt.MouseButton.LeftButton)


def test_exported_files_equal_engine_renders(qtbot: Any, small: GuiApp, tmp_path: Path, engine_g: Any) -> None:
    set_view(small)
    qtbot.waitUntil(small.view_is_final, timeout=WAIT)
    req = small.controller.view.current_request()
    assert req.size == (VIEW, VIEW)
    ex = small.controller.exports
    fractions: list[float] = []
    ex.runner.progressChanged.connect(lambda f, _eta: fractions.append(f))
    export_via_dialog(qtbot, small, tmp_path / "view.png", preset=2)
    assert not ex.dialog.isVisible() and ex.busy and small.window.tools.job_status.isVisible()
    qtbot.waitUntil(lambda: not ex.busy, timeout=WAIT)
    assert fractions[-1] == 1.0 and not small.window.tools.job_status.isVisible()
    expected = engine_pixels(engine_g, req, (2 * VIEW, 2 * VIEW))
    img = Image.open(tmp_path / "view.png")
    assert img.size == (64, 64)
    assert np.array_equal(np.asarray(img.convert("RGB")), to_uint8(expected))
    recipe = json.loads(img.text["inr-explorer-recipe"])
    assert recipe["style"]["psi"] == 0.7 and recipe["camera"]["rotation"] == 25.0 and recipe["bits"] == 8
    # 16-bit PNG and TIFF of a non-square custom size (more of the plane along the longer side)
    export_via_dialog(qtbot, small, tmp_path / "deep.png", size=(40, 24), fmt=(".png", 16))
    qtbot.waitUntil(lambda: not ex.busy, timeout=WAIT)
    deep = cv2.imread(str(tmp_path / "deep.png"), cv2.IMREAD_UNCHANGED)[..., ::-1]
    expected = engine_pixels(engine_g, req, (40, 24))
    assert deep.dtype == np.uint16 and np.array_equal(deep, to_uint16(expected))
    export_via_dialog(qtbot, small, tmp_path / "flat.tif", size=(40, 24), fmt=(".tif", 8))
    qtbot.waitUntil(lambda: not ex.busy, timeout=WAIT)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "flat.tif")), to_uint8(expected))
    # tiled, compressed TIFF at 16 bit, and a pyramid whose levels a gigapixel viewer opens
    import tifffile

    export_via_dialog(qtbot, small, tmp_path / "deep.tif", size=(40, 24), fmt=(".tif", 16))
    qtbot.waitUntil(lambda: not ex.busy, timeout=WAIT)
    with tifffile.TiffFile(tmp_path / "deep.tif") as tif:
        assert tif.pages[0].is_tiled and np.array_equal(tif.asarray(), to_uint16(expected))
        assert json.loads(tif.pages[0].description)["bits"] == 16
    export_via_dialog(qtbot, small, tmp_path / "pyr.tif", size=(600, 300), fmt=(".tif", 8, True))
    qtbot.waitUntil(lambda: not ex.busy, timeout=WAIT)
    with tifffile.TiffFile(tmp_path / "pyr.tif") as tif:
        levels = tif.series[0].levels
        assert [lv.shape[:2] for lv in levels] == [(300, 600), (150, 300), (75, 150)]
        assert np.array_equal(levels[0].asarray(), to_uint8(engine_pixels(engine_g, req, (600, 300))))
    assert small.dialogs.messages == []


def test_explore_during_export_then_cancel_leaves_no_file(qtbot: Any, small: GuiApp, tmp_path: Path) -> None:
    ex = small.controller.exports
    out = tmp_path / "big.png"
    export_via_dialog(qtbot, small, out, size=(1024, 64))
    qtbot.waitUntil(lambda: ex.progress.fraction() > 0, timeout=WAIT)  # the first band is written
    assert "Export" in small.window.tools.job_status.text() and "%" in small.window.tools.job_status.text()
    assert "left" in ex.progress.eta_text()
    drag(small.window.canvas, (30, 30), (40, 30))
    moved = small.controller.store.state.camera
    assert moved != Camera()
    qtbot.waitUntil(small.view_is_final, timeout=WAIT)  # a render ran between the export's bands
    assert ex.busy and small.final_request().camera == moved
    qtbot.mouseClick(ex.progress.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not ex.busy, timeout=WAIT)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".big", "big"))) == []
    assert "cancelled" in small.window.statusBar().currentMessage()
    assert small.dialogs.messages == []


def _read_only_dir(path: Path) -> Path:
    """A folder nobody can write to: mode 0555, and immutable when we are root (who ignores modes)."""
    path.mkdir()
    path.chmod(0o555)
    try:
        (path / "probe").touch()
    except OSError:
        return path
    (path / "probe").unlink()
    subprocess.run(["chattr", "+i", str(path)], check=True)
    return path


def test_read_only_and_full_targets_show_errors(qtbot: Any, small: GuiApp, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    ex = small.controller.exports
    ro = _read_only_dir(tmp_path / "ro")
    try:
        export_via_dialog(qtbot, small, ro / "x.png")
        assert ex.dialog.isVisible() and not ex.busy
        assert "read-only" in ex.dialog.error_text()
        ex.dialog.reject()
    finally:
        subprocess.run(["chattr", "-i", str(ro)], check=False, capture_output=True)
        ro.chmod(0o755)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr("engine.export.shutil.disk_usage", lambda p: usage(10**6, 10**6 - 100, 100))
    export_via_dialog(qtbot, small, tmp_path / "full.png")
    qtbot.waitUntil(lambda: not ex.busy, timeout=WAIT)
    title, text, error = small.dialogs.messages[-1]
    assert error and title == "Export failed" and "disk is full" in text and "not enough free space" in text
    assert not (tmp_path / "full.png").exists()
    monkeypatch.setattr("engine.export.shutil.disk_usage", shutil.disk_usage)
    small.window.acts.zoom_in.trigger()  # the app is alive: it still renders and exports
    qtbot.waitUntil(small.view_is_final, timeout=WAIT)
    export_via_dialog(qtbot, small, tmp_path / "ok.png", size=(8, 8))
    qtbot.waitUntil(lambda: not ex.busy, timeout=WAIT)
    assert (tmp_path / "ok.png").is_file()


def test_keyframes_video_and_session(qtbot: Any, small: GuiApp, tmp_path: Path, engine_g: Any) -> None:
    c, w = small.controller, small.window
    kc = c.keyframes
    w.tools.acts.add_keyframe.trigger()
    first = c.view.current_request()
    set_view(small)
    w.tools.keyframe_panel.addRequested.emit()
    last = c.view.current_request()
    assert w.tools.keyframe_panel.row_count() == 2 and [k.time for k in kc.keyframes] == [0.0, 2.0]
    w.tools.keyframe_panel.time_box(1).setValue(1.0)
    assert kc.keyframes[1].time == 1.0
    kc.open_video_dialog()
    d = kc.dialog
    assert d.isVisible()
    d.fps_box().setValue(4.0)
    d.duration_box().setValue(1.0)
    d.size_combo().setCurrentIndex(d.size_combo().findData(0.0))
    d.width_box().setValue(16)
    d.height_box().setValue(12)
    d.set_path(str(tmp_path / "frames"))
    assert d.kind() == "png" and d.frames_text() == "5 frames"
    qtbot.mouseClick(d.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not c.exports.busy, timeout=WAIT)
    frames = sorted((tmp_path / "frames").glob("*.png"))
    assert len(frames) == 5
    assert np.array_equal(np.asarray(Image.open(frames[0])), to_uint8(engine_pixels(engine_g, first, (16, 12))))
    assert np.array_equal(np.asarray(Image.open(frames[-1])), to_uint8(engine_pixels(engine_g, last, (16, 12))))
    kc.open_video_dialog()
    d.set_path(str(tmp_path / "clip.mp4"))
    qtbot.mouseClick(d.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not c.exports.busy, timeout=WAIT)
    import av

    with av.open(str(tmp_path / "clip.mp4")) as clip:  # H.264, playable in browsers, with its recipe
        assert clip.streams.video[0].codec_context.name == "h264"
        decoded = [f.to_ndarray(format="rgb24") for f in clip.decode(video=0)]
        assert json.loads(clip.metadata["comment"])["video"]["keyframes"]
    assert len(decoded) == 5 and decoded[0].shape == (12, 16, 3)
    # the session keeps the keyframes, and the command line renders them from the session file
    assert c.sessions.save_session(str(tmp_path / "s.json"))
    assert run_cli(["video", str(tmp_path / "s.json"), "--out", str(tmp_path / "cli")]) == 0
    cli = sorted((tmp_path / "cli").glob("*.png"))
    assert [np.asarray(Image.open(p)).tolist() for p in cli] == [np.asarray(Image.open(p)).tolist() for p in frames]
    w.tools.keyframe_panel.removeRequested.emit(0)
    assert len(kc.keyframes) == 1
    assert c.sessions.open_session(str(tmp_path / "s.json"))
    assert [k.time for k in kc.keyframes] == [0.0, 1.0] and w.tools.keyframe_panel.row_count() == 2
    assert kc.keyframes[1].style == last.style and kc.keyframes[1].camera == last.camera


def test_export_on_a_dask_cluster_from_the_dialog(qtbot: Any, small: GuiApp, tmp_path: Path, engine_g: Any) -> None:
    """Render on: Dask cluster (local:2 workers): the same progress window, the same pixels; the address is
    remembered; a bad address or a missing scheduler address is refused in the dialog."""
    set_view(small)
    qtbot.waitUntil(small.view_is_final, timeout=WAIT)
    req = small.controller.view.current_request()
    ex = small.controller.exports
    fractions: list[float] = []
    ex.runner.progressChanged.connect(lambda f, _eta: fractions.append(f))
    small.window.tools.acts.export_image.trigger()
    ex.dialog.set_path(str(tmp_path / "bad.png"))
    ex.dialog.cluster_box().setChecked(True)
    qtbot.mouseClick(ex.dialog.export_button, Qt.MouseButton.LeftButton)
    assert ex.dialog.isVisible() and "scheduler address" in ex.dialog.error_text() and not ex.busy
    ex.dialog.address_edit().setText("nonsense")
    qtbot.mouseClick(ex.dialog.export_button, Qt.MouseButton.LeftButton)
    assert ex.dialog.isVisible() and "local[:N]" in ex.dialog.error_text() and not ex.busy
    ex.dialog.address_edit().setText("local:2")
    ex.dialog.set_preset(2)
    ex.dialog.set_path(str(tmp_path / "cluster.png"))
    qtbot.mouseClick(ex.dialog.export_button, Qt.MouseButton.LeftButton)
    assert not ex.dialog.isVisible() and ex.busy and "on the cluster local:2" in ex.progress.title_text()
    qtbot.waitUntil(lambda: not ex.busy, timeout=3 * WAIT)
    assert small.dialogs.messages == [] and fractions[-1] == 1.0
    img = np.asarray(Image.open(tmp_path / "cluster.png").convert("RGB"))
    assert np.array_equal(img, to_uint8(engine_pixels(engine_g, req, (2 * VIEW, 2 * VIEW))))
    settings = small.controller.settings
    assert settings.cluster == "local:2" and settings.export_on_cluster
    small.window.tools.acts.export_image.trigger()  # the dialog offers it again
    assert ex.dialog.options().cluster == "local:2"
    ex.dialog.reject()
