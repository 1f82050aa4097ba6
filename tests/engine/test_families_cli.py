"""INR-GAN and CREPS fixture cases through the command line (DESIGN.md §6), and family facts in `info`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from cli import run_cli

TOL = 1e-4


def render(tmp_path: Path, ckpt: Path, *args: object) -> np.ndarray:
    out = tmp_path / "out.npy"
    assert run_cli(["render", str(ckpt), *map(str, args), "--out", str(out)]) == 0
    return np.load(out)


def save(tmp_path: Path, name: str, arr: np.ndarray) -> Path:
    np.save(tmp_path / name, arr)
    return tmp_path / name


@pytest.mark.parametrize("pkl, sub", [("inrgan_small.pkl", "small"), ("inrgan_bil_small.pkl", "bil_small"),
                                      ("inrgan_small_cudacache.pkl", "small")])
def test_inrgan_cases(fixtures: Path, tmp_path: Path, pkl: str, sub: str) -> None:
    ckpt, d = fixtures / "inrgan" / pkl, fixtures / "inrgan" / sub
    z = save(tmp_path, "z.npy", np.load(d / "z.npy"))
    assert np.abs(render(tmp_path, ckpt, "--z", z) - np.load(d / "img.npy")).max() <= TOL
    out = render(tmp_path, ckpt, "--z", z, "--psi", 0.5, "--cutoff", 5)
    assert np.abs(out - np.load(d / "img_psi05_cutoff5.npy")).max() <= TOL
    w = save(tmp_path, "w.npy", np.load(d / "ws_mix6.npy"))
    assert np.abs(render(tmp_path, ckpt, "--w", w) - np.load(d / "img_mix6.npy")).max() <= TOL


def test_creps_cases(fixtures: Path, tmp_path: Path) -> None:
    ckpt, d = fixtures / "creps" / "creps_small.pkl", fixtures / "creps" / "creps_small"
    z = save(tmp_path, "z.npy", np.load(d / "z.npy"))
    cases = [
        ([], "img_native_psi1.npy"),
        (["--psi", 0.7], "img_native_psi07.npy"),
        (["--size", 64, 64], "img_scale2_psi1.npy"),
        (["--size", 43, 43], "img_scale_odd_psi1.npy"),
        (["--size", 64, 64, "--zoom", 0.5], "img_zoomout_psi1.npy"),
        (["--center", -0.4, 0.5], "img_translate_psi1.npy"),  # rows 0.25..1.25, cols -0.2..0.8 in [0, 1] units
        (["--rotate", -30], "img_rotate_psi1.npy"),  # rotate_uv turns the grid by +30° in (u, v) = (y, x)
    ]
    for args, expected in cases:
        err = np.abs(render(tmp_path, ckpt, "--z", z, *args) - np.load(d / expected)).max()
        assert err <= TOL, (args, err)
    w = save(tmp_path, "w.npy", np.load(d / "ws_perlayer.npy"))
    assert np.abs(render(tmp_path, ckpt, "--w", w) - np.load(d / "img_ws_perlayer.npy")).max() <= TOL


@pytest.mark.parametrize("path, family, params, num_ws", [
    ("inrgan/inrgan_small.pkl", "inrgan", 534_759, 12),
    ("creps/creps_small.pkl", "creps", 224_969, 9),
    ("cips/cips_res_64.pt", "cips-res", 2_813_038, 12),
])
def test_info(fixtures: Path, capsys: pytest.CaptureFixture[str], path: str, family: str, params: int,
              num_ws: int) -> None:
    assert run_cli(["info", str(fixtures / path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["family"], info["num_params"], info["num_ws"]) == (family, params, num_ws)


def test_embedding_pca_per_family(fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["pca", str(fixtures / "inrgan" / "inrgan_small.pkl"), "--out", str(tmp_path / "p")]) == 0
    assert len(list(tmp_path.glob("p_b*_const_embs.png"))) >= 1
    assert run_cli(["pca", str(fixtures / "creps" / "creps_small.pkl"), "--out", str(tmp_path / "c")]) == 0
    assert "no learned per-position embeddings" in capsys.readouterr().out


def test_unsupported_ablation_is_named(fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(["render", str(fixtures / "creps" / "creps_small.pkl"), "--ablate", "embedding",
                    "--out", str(tmp_path / "x.png")])
    assert code == 2 and "creps" in capsys.readouterr().err
