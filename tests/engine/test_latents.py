"""Latent files from StyleGAN tools: .npz (projected_w.npz) and .npy, read everywhere latents are read."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cli import run_cli
from engine.latents import read_latent, write_latent


def cli(*args: object) -> int:
    return run_cli([str(a) for a in args])


def test_read_npy_and_projector_npz(tmp_path: Path) -> None:
    w = np.random.default_rng(0).standard_normal((1, 8, 16)).astype(np.float32)
    np.savez(tmp_path / "projected_w.npz", w=w)  # the StyleGAN2-ADA / StyleGAN3 projector's output
    a, kind = read_latent(tmp_path / "projected_w.npz")
    assert kind == "w" and np.array_equal(a, w)
    np.savez(tmp_path / "z.npz", z=w[0, :1].astype(np.float64))
    a, kind = read_latent(tmp_path / "z.npz")
    assert kind == "z" and a.dtype == np.float32 and np.array_equal(a, w[0, :1])
    np.save(tmp_path / "w.npy", w[0])
    a, kind = read_latent(tmp_path / "w.npy")
    assert kind is None and np.array_equal(a, w[0])


@pytest.mark.parametrize("make, needle", [
    (lambda p: np.savez(p, a=np.zeros(3), b=np.zeros(3)), "expected a key"),
    (lambda p: np.savez(p, w=np.array([{"x": 1}], dtype=object)), "pickle"),  # never unpickled
    (lambda p: np.savez(p, w=np.array(["a", "b"])), "not a numeric array"),
    (lambda p: np.savez(p, w=np.full((1, 4), np.nan, np.float32)), "NaN"),
    (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), "cannot read"),
])
def test_bad_latent_files_are_refused_with_a_reason(tmp_path: Path, make: object, needle: str) -> None:
    p = tmp_path / "bad.npz"
    make(p)  # type: ignore[operator]
    with pytest.raises(ValueError, match=needle):
        read_latent(p)


def test_write_latent_in_both_forms_reads_back(tmp_path: Path) -> None:
    wplus = np.random.default_rng(1).standard_normal((8, 16)).astype(np.float32)
    write_latent(tmp_path / "wp.npz", wplus, "wplus")
    with np.load(tmp_path / "wp.npz") as f:
        assert f.files == ["w"] and f["w"].shape == (1, 8, 16)  # the projector's layout
    write_latent(tmp_path / "z.npz", wplus[0], "z")
    assert read_latent(tmp_path / "z.npz")[1] == "z"
    write_latent(tmp_path / "wp.npy", wplus, "wplus")
    assert np.array_equal(read_latent(tmp_path / "wp.npy")[0], wplus)


def test_cli_renders_from_projected_w_npz(fixtures: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d, ckpt = fixtures / "cips" / "skip32", fixtures / "cips" / "cips_skip_32.pt"
    wplus = np.load(d / "mix_w_layers.npy").transpose(1, 0, 2)[:1]  # W+ [1, num_ws, w_dim]
    np.savez(tmp_path / "projected_w.npz", w=wplus)
    np.save(tmp_path / "w.npy", wplus)
    assert cli("render", ckpt, "--w", tmp_path / "projected_w.npz", "--out", tmp_path / "a.npy") == 0
    assert cli("render", ckpt, "--w", tmp_path / "w.npy", "--out", tmp_path / "b.npy") == 0
    assert np.array_equal(np.load(tmp_path / "a.npy"), np.load(tmp_path / "b.npy"))
    assert cli("render", ckpt, "--z", tmp_path / "projected_w.npz", "--out", tmp_path / "c.npy") == 2
    assert "holds a w" in capsys.readouterr().err and not (tmp_path / "c.npy").exists()
    np.savez(tmp_path / "narrow.npz", w=wplus[..., :7])
    assert cli("render", ckpt, "--w", tmp_path / "narrow.npz", "--out", tmp_path / "d.npy") == 2
    assert "--w" in capsys.readouterr().err
