"""Recipes come back: one schema for every writer, read from PNG / TIFF / video, rendered again by
`main.py render --recipe`; the layouts written before it still parse."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli import run_cli
from engine.recipes import RecipeError, parse_recipe, read_recipe
from engine.types import Anchor, Camera


def cli(*args: object) -> int:
    return run_cli([str(a) for a in args])


@pytest.fixture(scope="module")
def skip32(fixtures: Path) -> Path:
    return fixtures / "cips" / "cips_skip_32.pt"


def test_exports_render_again_from_their_recipes(skip32: Path, tmp_path: Path) -> None:
    common = ["--seed", 11, "--psi", 0.6, "--size", 45, 29, "--zoom", 0.7, "--rotate", 21, "--center", 0.3, -0.2]
    assert cli("export", skip32, *common, "--out", tmp_path / "a.png") == 0
    assert cli("export", skip32, *common, "--bits", 16, "--out", tmp_path / "a.tif") == 0
    r = read_recipe(tmp_path / "a.png")
    assert r.model_path == str(skip32) and len(r.model_sha256) == 64 and r.size == (45, 29)
    assert r.camera == Camera((0.3, -0.2), 0.7, 21.0) and r.style.anchors == (Anchor(seed=11),)
    assert r.style.psi == 0.6 and r.warnings == ()
    assert read_recipe(tmp_path / "a.tif").style == r.style
    # the recipe alone (no checkpoint, no style or camera options) gives the same pixels
    assert cli("render", "--recipe", tmp_path / "a.png", "--out", tmp_path / "b.png") == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "b.png")), np.asarray(Image.open(tmp_path / "a.png")))
    assert cli("export", "--recipe", tmp_path / "a.tif", "--bits", 16, "--out", tmp_path / "b.tif") == 0
    import tifffile

    assert np.array_equal(tifffile.imread(tmp_path / "b.tif"), tifffile.imread(tmp_path / "a.tif"))
    assert cli("render", "--recipe", tmp_path / "a.png", "--size", 20, 10, "--out", tmp_path / "c.npy") == 0
    assert np.load(tmp_path / "c.npy").shape == (1, 3, 10, 20)


def test_a_video_recipe_holds_its_keyframes(skip32: Path, tmp_path: Path) -> None:
    from engine.serialize import camera_to_json, style_to_json
    from engine.types import StyleSpec

    doc = {"format": "inr-explorer-keyframes", "checkpoint": str(skip32), "size": [16, 12], "fps": 2,
           "keyframes": [{"time": 0, "camera": camera_to_json(Camera(zoom=0.8)),
                          "style": style_to_json(StyleSpec(anchors=(Anchor(seed=4),)))},
                         {"time": 1, "camera": camera_to_json(Camera()), "style": style_to_json(StyleSpec())}]}
    (tmp_path / "k.json").write_text(json.dumps(doc))
    assert cli("video", tmp_path / "k.json", "--out", tmp_path / "v.mp4") == 0
    r = read_recipe(tmp_path / "v.mp4")
    assert r.video is not None and len(r.video["keyframes"]) == 2
    assert r.camera == Camera(zoom=0.8) and r.style.anchors == (Anchor(seed=4),)  # the first keyframe
    assert cli("render", "--recipe", tmp_path / "v.mp4", "--out", tmp_path / "first.png") == 0
    assert Image.open(tmp_path / "first.png").size == (16, 12)


def test_a_different_model_file_is_said(skip32: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("render", skip32, "--seed", 2, "--out", tmp_path / "a.png") == 0
    doc = json.loads(Image.open(tmp_path / "a.png").info["inr-explorer-recipe"])
    doc["model"]["sha256"] = "0" * 64
    (tmp_path / "r.json").write_text(json.dumps(doc))
    assert cli("render", "--recipe", tmp_path / "r.json", "--out", tmp_path / "b.png") == 0
    assert "differs from the model the recipe was made with" in capsys.readouterr().err
    assert np.array_equal(np.asarray(Image.open(tmp_path / "b.png")), np.asarray(Image.open(tmp_path / "a.png")))


def test_files_without_a_recipe_are_refused_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Image.new("RGB", (4, 4)).save(tmp_path / "plain.png")
    (tmp_path / "junk.mp4").write_bytes(b"not a video")
    with pytest.raises(RecipeError, match="plain.png: no inr-explorer recipe"):
        read_recipe(tmp_path / "plain.png")
    with pytest.raises(RecipeError, match="junk.mp4: cannot be read"):
        read_recipe(tmp_path / "junk.mp4")
    with pytest.raises(RecipeError, match="not an image or video type"):
        read_recipe(tmp_path / "x.bmp")
    assert cli("render", "--recipe", tmp_path / "plain.png", "--out", tmp_path / "o.png") == 2
    assert "no inr-explorer recipe" in capsys.readouterr().err
    assert cli("render", "--out", tmp_path / "o.png") == 2  # neither a checkpoint nor a recipe
    assert "give a checkpoint" in capsys.readouterr().err


def test_layouts_before_version_2_still_parse() -> None:
    gui_v1 = {"format": "inr-explorer-recipe", "version": 1, "model": {"path": "m.pt", "sha256": "ab"},
              "size": [8, 8], "camera": {"center": [0.1, 0], "zoom": 2, "rotation": 0},
              "style": {"anchors": [{"seed": 3}, {"seed": 4}], "weights": [1.0, 1.0], "psi": 0.5, "cutoff": None}}
    r = parse_recipe(gui_v1)
    assert r.model_path == "m.pt" and r.view == gui_v1["style"] and r.style.mix == (0.5, 0.5)
    assert r.style.psi == 0.5 and r.camera.zoom == 2
    export_v1 = {"app": "inr-explorer 0.1", "checkpoint": "m.pt", "checkpoint_sha256": "cd", "size": [4, 4],
                 "camera": {"center": [0, 0], "zoom": 1, "rotation": 5}, "style": {"anchors": [{"seed": 9}]}}
    r = parse_recipe(export_v1)
    assert r.model_sha256 == "cd" and r.style.anchors == (Anchor(seed=9),) and r.camera.rotation == 5
    cli_v1 = {"app": "inr-explorer 0.1", "checkpoint": "m.pt", "psi": 0.7, "cutoff": 4, "seeds": [1, 2],
              "seed": 2, "camera": {"center": [0, 0], "zoom": 1, "rotation": 0}, "size": [4, 4]}
    r = parse_recipe(cli_v1)
    assert r.style.anchors == (Anchor(seed=2),) and r.style.psi == 0.7 and r.style.cutoff == 4
    future = {"format": "inr-explorer-recipe", "version": 9, "model": {"path": "m.pt"}, "style": {"anchors": []}}
    assert "newer version" in parse_recipe(future).warnings[0]
    with pytest.raises(RecipeError):
        parse_recipe({"hello": 1})
