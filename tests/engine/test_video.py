"""Video export: frame count, first/last frames equal the keyframe renders, interpolation, PNG sequences."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli import run_cli
from engine import load_generator
from engine.coords import camera_grid
from engine.renderer import render_float, to_uint8
from engine.serialize import camera_to_json, style_to_json
from engine.types import Anchor, Camera, StyleSpec
from engine.video import frame_state, spec_from_json


def keyframes(ckpt: Path) -> dict:
    a = StyleSpec(anchors=(Anchor(seed=1),), psi=1.0)
    b = StyleSpec(anchors=(Anchor(seed=2),), psi=0.5)
    return {"format": "inr-explorer-keyframes", "checkpoint": str(ckpt), "size": [24, 16], "fps": 4,
            "easing": "linear", "keyframes": [
                {"time": 0, "camera": camera_to_json(Camera()), "style": style_to_json(a)},
                {"time": 1.5, "camera": camera_to_json(Camera(center=(0.5, 0.0), zoom=0.5, rotation=30)),
                 "style": style_to_json(b)}]}


@pytest.fixture()
def setup(fixtures: Path, tmp_path: Path):
    ckpt = fixtures / "cips" / "cips_skip_32.pt"
    doc = keyframes(ckpt)
    path = tmp_path / "kf.json"
    path.write_text(json.dumps(doc))
    return load_generator(str(ckpt)), spec_from_json(path.read_text()), path


def keyframe_render(g, spec, k: int) -> np.ndarray:
    kf = spec.keyframes[k]
    return to_uint8(render_float(g, kf.style, camera_grid(kf.camera, *spec.size))[0])


def test_png_sequence_frames(setup, tmp_path: Path) -> None:
    g, spec, path = setup
    assert spec.frame_count == 7
    out = tmp_path / "frames"
    assert run_cli(["video", str(path), "--out", str(out)]) == 0
    files = sorted(out.glob("frame_*.png"))
    assert len(files) == 7
    assert np.array_equal(np.array(Image.open(files[0])), keyframe_render(g, spec, 0))
    assert np.array_equal(np.array(Image.open(files[-1])), keyframe_render(g, spec, 1))
    mid = np.array(Image.open(files[3]))
    assert not np.array_equal(mid, np.array(Image.open(files[0])))
    assert not np.array_equal(mid, np.array(Image.open(files[-1])))


def test_interpolation_midpoint(setup) -> None:
    g, spec, _ = setup
    cam, style = frame_state(spec, 3, g.num_ws)  # t = 0.75 s / 1.5 s = 0.5
    assert np.allclose(cam.center, (0.25, 0.0)) and np.isclose(cam.zoom, 0.5**0.5) and np.isclose(cam.rotation, 15)
    assert np.isclose(style.psi, 0.75) and style.anchors == (Anchor(seed=1), Anchor(seed=2))
    assert np.allclose(style.layer_table.array, 0.5)


def _decode(path: Path) -> tuple[list[np.ndarray], str, str]:
    import av

    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(stream)]
        return frames, stream.codec_context.name, stream.codec_context.pix_fmt


@pytest.mark.parametrize(("suffix", "codec"), [(".mp4", "h264"), (".webm", "vp9"), (".mkv", "h264")])
def test_video_decodes_to_the_rendered_frames(setup, tmp_path: Path, suffix: str, codec: str) -> None:
    from engine.video import read_video_recipe, render_frame

    g, spec, path = setup
    out = tmp_path / f"v{suffix}"
    assert run_cli(["video", str(path), "--out", str(out)]) == 0
    frames, name, pix = _decode(out)
    assert name == codec and pix == "yuv420p" and len(frames) == spec.frame_count
    luma = np.array([0.299, 0.587, 0.114])
    for i, got in enumerate(frames):
        want = render_frame(g, spec, i)
        assert got.shape == want.shape
        # the fixture's images are colour noise, which 4:2:0 chroma cannot carry: compare luma, within the
        # codec's tolerance, and nearer its own frame than the other end's
        err = np.abs(got @ luma - want @ luma).mean()
        assert err < 8, (i, err)
        if i in (0, spec.frame_count - 1):
            other = render_frame(g, spec, spec.frame_count - 1 - i)
            assert err < 0.6 * np.abs(got @ luma - other @ luma).mean()
    recipe = read_video_recipe(out)
    assert recipe["model"]["path"] == spec.checkpoint and len(recipe["model"]["sha256"]) == 64
    assert spec_from_json(json.dumps(recipe["video"])) == spec  # the keyframes come back whole
    assert [p.name for p in tmp_path.iterdir() if p.suffix == suffix] == [out.name]


def test_odd_sizes_are_padded_to_even_and_a_missing_encoder_is_named(setup, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from engine import video

    g, spec, _ = setup
    odd = replace(spec, size=(23, 15), fps=2.0)
    out = video.export_video(g, odd, tmp_path / "odd.mp4")
    frames, _, _ = _decode(out)
    assert frames[0].shape == (16, 24, 3) and len(frames) == odd.frame_count
    monkeypatch.setitem(video.CODECS, ".mp4", ("libnothing264", "yuv420p", {}))
    with pytest.raises(OSError, match="has no libnothing264 encoder for .mp4"):
        video.export_video(g, odd, tmp_path / "missing.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kf.json", "odd.mp4"]  # nothing half-written left


def test_bad_keyframes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"keyframes": []}')
    assert run_cli(["video", str(path), "--out", str(tmp_path / "v.mp4")]) == 2
    assert "keyframes" in capsys.readouterr().err


def test_masks_of_different_extents_interpolate(fixtures: Path) -> None:
    """Keyframes whose painted masks cover different areas at different resolutions blend on one raster."""
    from engine.styles import resolve_style
    from engine.types import FrozenArray
    from engine.video import Keyframe, interpolate

    g = load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))
    ma = np.zeros((1, 8, 8), np.float32)
    ma[0, :, 4:] = 1  # right half of (-1, -1, 1, 1) painted with anchor 1
    a = StyleSpec(anchors=(Anchor(seed=0), Anchor(seed=5)), masks=FrozenArray(ma), mask_anchors=(1,))
    mb = np.ones((1, 4, 4), np.float32)  # all of (-2, -2, 0, 0) painted with seed 6
    b = StyleSpec(anchors=(Anchor(seed=0), Anchor(seed=6)), masks=FrozenArray(mb), mask_extent=(-2, -2, 0, 0),
                  mask_anchors=(1,))
    ka, kb = Keyframe(0.0, Camera(), a), Keyframe(1.0, Camera(), b)
    assert interpolate(ka, kb, 0.0, g.num_ws)[1] is a and interpolate(ka, kb, 1.0, g.num_ws)[1] is b
    _, mid = interpolate(ka, kb, 0.5, g.num_ws)
    assert mid.mask_extent == (-2, -2, 1, 1) and mid.mask_anchors == (1, 2)
    pts = np.array([[[0.5, 0.5], [-1.5, -1.5], [-0.5, 0.5]]], np.float32)  # right half only, b only, neither
    ws, weights = resolve_style(g, mid, pts)
    assert ws.shape[0] == 4  # base + union anchors (seed 0, 5, 6)
    assert np.allclose(weights[0, 0], [0.5, 0, 0.5, 0], atol=1e-6)
    assert np.allclose(weights[0, 1], [0.5, 0, 0, 0.5], atol=1e-6)
    assert np.allclose(weights[0, 2], [1, 0, 0, 0], atol=1e-6)
