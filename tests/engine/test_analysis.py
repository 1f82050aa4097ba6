"""Analysis functions checked against known answers."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from engine import load_generator
from engine.analysis import embedding_pca, psnr, radial_profile, scale_consistency, spectrum, ssim, upsample


def test_spectrum_of_sinusoid_peaks_at_its_frequency() -> None:
    n, k = 64, 5  # 5 cycles across the image along x
    x = np.arange(n)
    img = np.tile(np.sin(2 * np.pi * k * x / n), (n, 1))
    p = spectrum(img, window=False)
    iy, ix = np.unravel_index(np.argmax(p), p.shape)
    assert iy == n // 2 and abs(ix - n // 2) == k
    freqs, prof = radial_profile(p)
    assert np.argmax(prof) == k and math.isclose(freqs[k], k / n)


def test_white_noise_profile_is_flat() -> None:
    rng = np.random.default_rng(0)
    profs = [radial_profile(spectrum(rng.standard_normal((128, 128)), window=False))[1] for _ in range(8)]
    prof = np.mean(profs, axis=0)[2:60]
    assert prof.std() / prof.mean() < 0.15


def test_pca_recovers_planted_components() -> None:
    rng = np.random.default_rng(1)
    c, h, w = 16, 24, 24
    basis = np.linalg.qr(rng.standard_normal((c, 3)))[0].T  # 3 orthonormal directions
    coeff = rng.standard_normal((h * w, 3)) * np.array([10.0, 5.0, 2.0])
    emb = (coeff @ basis + 0.01 * rng.standard_normal((h * w, c))).T.reshape(c, h, w)
    res = embedding_pca(emb)
    for i in range(3):
        assert abs(res.components[i] @ basis[i]) > 0.99  # sample correlations tilt them slightly
    assert res.explained[:3].sum() > 0.99 and res.rgb.shape == (h, w, 3)
    assert res.rgb.min() >= 0 and res.rgb.max() <= 1


def test_metrics() -> None:
    rng = np.random.default_rng(2)
    a = rng.uniform(-1, 1, (3, 32, 32))
    assert psnr(a, a) == math.inf and math.isclose(ssim(a, a), 1.0)
    b = a + 0.1 * rng.standard_normal(a.shape)
    assert 10 < psnr(a, b) < 40 and ssim(a, b) < 0.99
    assert upsample(a, 64, 64, "nearest").shape == (3, 64, 64)


def test_scale_consistency_on_cips(fixtures: Path) -> None:
    g = load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))
    ws = g.mapping(np.random.RandomState(0).randn(1, g.z_dim))
    rows = scale_consistency(g, ws, (2,))
    assert rows[0]["scale"] == 2.0 and np.isfinite(rows[0]["psnr"]) and -1 <= rows[0]["ssim"] <= 1


def test_cips_embedding_pca(fixtures: Path) -> None:
    g = load_generator(str(fixtures / "cips" / "cips_res_64.pt"))
    emb = g.coordinate_embeddings()["emb.input"].numpy()
    assert emb.shape == (28, 64, 64)
    assert embedding_pca(emb).rgb.shape == (64, 64, 3)


def test_spectrum_mean_is_a_running_sum_equal_to_the_mean() -> None:
    from engine.analysis import SpectrumMean

    rng = np.random.default_rng(0)
    powers = [spectrum(rng.standard_normal((3, 16, 16)).astype(np.float32)) for _ in range(5)]
    acc = SpectrumMean()
    for p in powers:
        acc.add(p)
    assert acc.count == 5 and np.allclose(acc.mean(), np.mean(powers, axis=0), rtol=1e-12)
    assert acc.total is not None and acc.total.shape == (16, 16)  # one spectrum held, not five
    with pytest.raises(ValueError, match="no spectra"):
        SpectrumMean().mean()
