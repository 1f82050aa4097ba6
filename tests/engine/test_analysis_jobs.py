"""Issue #17: one request per analysis job, run by the engine (`engine.analysis_jobs.run_analysis`) for the app's
docks and the command line alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine import load_generator
from engine.analysis import consistency_per_seed, log_magnitude, mean_spectrum
from engine.analysis_jobs import SpectrumResult, run_analysis
from engine.cluster import Cluster
from engine.errors import RenderCancelled
from engine.renderer import CancelToken
from engine.types import (
    Anchor,
    Camera,
    ConsistencyRequest,
    FoveationRequest,
    PanoramaRequest,
    PCARequest,
    RenderRequest,
    SpectrumRequest,
    StyleSpec,
    SuperResRequest,
)


@pytest.fixture(scope="module")
def g(fixtures: Path):  # type: ignore[no-untyped-def]
    return load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))


def test_spectrum_request_is_the_mean_spectrum_and_reports_progress(g) -> None:  # type: ignore[no-untyped-def]
    seen: list[float] = []
    res = run_analysis(g, SpectrumRequest(seeds=3, window=False), progress=seen.append)
    assert isinstance(res, SpectrumResult) and res.samples == 3 and res.size == (32, 32)
    ref = mean_spectrum(g, range(3), 32, window=False).mean()
    assert np.array_equal(res.log_magnitude, log_magnitude(ref)) and seen == [1 / 3, 2 / 3, 1.0]


def test_consistency_request_is_per_seed_and_cancellable(g) -> None:  # type: ignore[no-untyped-def]
    got = run_analysis(g, ConsistencyRequest((2,), 2))
    assert got.shape == (2, 1, 2) and np.array_equal(got, consistency_per_seed(g, range(2), (2,)))
    token = CancelToken()
    token.cancel()
    with pytest.raises(RenderCancelled):
        run_analysis(g, ConsistencyRequest((2,), 2), cancel=token)


def test_every_request_runs_and_others_are_refused(g) -> None:  # type: ignore[no-untyped-def]
    style = StyleSpec(anchors=(Anchor(seed=5),))
    assert set(run_analysis(g, PCARequest()).results) == set(g.coordinate_embeddings())
    sr = run_analysis(g, SuperResRequest(style, Camera(zoom=1.5), (12, 10), 2))
    assert sr.images["render"].shape == (3, 20, 24)
    fov = run_analysis(g, FoveationRequest(style, Camera(), (20, 16), levels=2))
    assert fov.image.shape == (1, 3, 16, 20) and 0 < fov.plan.n_samples < 20 * 16
    pano = run_analysis(g, PanoramaRequest(style, Camera(projection="cylinder", blend=0.2), (48, 12)))
    assert pano.rgb.shape == (3, 12, 48) and pano.seam.seam >= 0
    with pytest.raises(TypeError, match="not an analysis request: RenderRequest"):
        run_analysis(g, RenderRequest(style, Camera(), (8, 8)))  # type: ignore[arg-type]


def test_a_cluster_spectrum_is_only_the_seed_mean_of_the_identity_view(g) -> None:  # type: ignore[no-untyped-def]
    from engine.analysis_jobs import run_spectrum

    with Cluster("local:1") as cluster, pytest.raises(ValueError, match="on a cluster"):
        run_spectrum(g, SpectrumRequest(camera=Camera(zoom=2.0), seeds=2), cluster=cluster)
