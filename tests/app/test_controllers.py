"""Controllers against fake views (issue #17): each takes the panels it drives as typed protocols
(app/controllers/views.py), so it is tested here without a main window: fake panels record what they are told,
a real engine service (synchronous, on the fixture model) runs the jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QObject, Signal

from engine import load_generator
from engine.service import RenderService
from engine.superres import sr_compare
from engine.types import Anchor, Camera, RenderRequest, StyleSpec

WAIT = 20_000


class FakeAction(QObject):
    triggered = Signal()


class FakeStatusPanel(QObject):
    """Records messages and busy states, as every tool panel shows them."""

    cancelRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []
        self.busy: list[tuple[bool, float]] = []

    def set_message(self, text: str) -> None:
        self.messages.append(text)

    def set_busy(self, busy: bool, fraction: float = 0.0) -> None:
        self.busy.append((busy, fraction))


class FakeSrPanel(FakeStatusPanel):
    compareRequested = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[tuple[dict[str, np.ndarray], dict[str, dict[str, float]], int]] = []

    def show_comparison(self, images: dict[str, np.ndarray], metrics: dict[str, dict[str, float]],
                        factor: int) -> None:
        self.shown.append((images, metrics, factor))


class FakeClient(QObject):
    frameReady = Signal(object)

    def __init__(self, service: RenderService) -> None:
        super().__init__()
        self.service = service


class FakeView:
    """The current view: a fixed request, and the client whose service runs the jobs."""

    def __init__(self, service: RenderService, request: RenderRequest) -> None:
        self.client, self.request = FakeClient(service), request

    def current_request(self) -> RenderRequest:
        return self.request


class FakeModels:
    def __init__(self, info: dict[str, Any] | None) -> None:
        self.info = info


@pytest.fixture(scope="module")
def g(fixtures: Path) -> Any:
    return load_generator(str(fixtures / "cips" / "cips_skip_32.pt"))


def test_superres_controller_compares_the_current_view(qtbot: Any, g: Any) -> None:
    from app.controllers.superres import SrController

    style = StyleSpec(anchors=(Anchor(seed=7),))
    request = RenderRequest(style, Camera(zoom=1.5, center=(0.2, 0.0)), (64, 48))
    panel, action, docks = FakeSrPanel(), FakeAction(), []
    service = RenderService(sync=True, generator=g)
    c = SrController(panel, action, lambda: docks.append("sr"), FakeView(service, request), FakeModels(g.info))
    assert "Compare renders the view" in panel.messages[-1]
    action.triggered.emit()  # View → Super-Resolution Compare: the dock comes up and a 4x compare runs
    qtbot.waitUntil(lambda: bool(panel.shown), timeout=WAIT)
    images, metrics, factor = panel.shown[-1]
    assert docks == ["sr"] and factor == 4 and panel.busy[0] == (True, 0.0) and panel.busy[-1][0] is False
    # the same comparison the engine makes for this view at its native density (the size the controller chose)
    w, h = c.report.size  # type: ignore[union-attr]
    assert (w - 1) * 1.5 <= 64 and images["render"].shape == (4 * h, 4 * w, 3)
    ref = sr_compare(g, g.mapping(np.random.RandomState(7).randn(1, g.z_dim).astype(np.float32)), request.camera,
                     (w, h), 4)
    from engine.renderer import to_uint8

    assert np.array_equal(images["render"], to_uint8(ref.images["render"]))
    assert set(metrics) == set(ref.metrics)


def test_superres_controller_without_a_model_says_so(qtbot: Any) -> None:
    from app.controllers.superres import SrController

    panel = FakeSrPanel()
    service = RenderService(sync=True)
    SrController(panel, FakeAction(), lambda: None, FakeView(service, RenderRequest(StyleSpec(), Camera(), (8, 8))),
                 FakeModels(None))
    panel.compareRequested.emit(2)
    assert panel.messages[-1] == "No model loaded." and not panel.busy and not panel.shown


def test_superres_controller_reports_a_failed_job(qtbot: Any) -> None:
    from app.controllers.superres import SrController

    panel = FakeSrPanel()
    service = RenderService(sync=True)  # the app thinks a model is loaded; the engine has none
    SrController(panel, FakeAction(), lambda: None, FakeView(service, RenderRequest(StyleSpec(), Camera(), (8, 8))),
                 FakeModels({"resolution": 32}))
    panel.compareRequested.emit(2)
    qtbot.waitUntil(lambda: panel.messages[-1].startswith("Compare failed"), timeout=WAIT)
    assert "no model loaded" in panel.messages[-1] and panel.busy[-1][0] is False and not panel.shown
