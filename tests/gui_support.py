"""Shared GUI test support: isolated settings / data folders, a small app on the fixture model, mouse helpers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from PySide6.QtCore import QPointF, QStandardPaths, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

CANVAS = 64  # canvas side in tests: small renders keep the suite fast


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's settings or data."""
    QStandardPaths.setTestModeEnabled(True)
    monkeypatch.setenv("INR_EXPLORER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("INR_EXPLORER_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="session")
def skip32(fixtures: Path) -> str:
    return str(fixtures / "cips" / "cips_skip_32.pt")


@pytest.fixture(scope="session")
def engine_g(skip32: str) -> Any:
    """The fixture generator in the test process, to compute expected pixels."""
    from engine import load_generator

    return load_generator(skip32, device="cpu")


class FakeDialogs:
    """Answers pickers from queues and records messages instead of showing boxes."""

    def __init__(self) -> None:
        self.open_answers: list[str] = []
        self.save_answers: list[str] = []
        self.messages: list[tuple[str, str, bool]] = []
        self.questions: list[tuple[str, Any]] = []
        self.open_boxes: list[Any] = []

    def open_file(self, title: str, file_filter: str, directory: str = "") -> str:
        return self.open_answers.pop(0) if self.open_answers else ""

    def save_file(self, title: str, file_filter: str, suggested: str = "") -> str:
        return self.save_answers.pop(0) if self.save_answers else ""

    def message(self, title: str, text: str, error: bool = False, details: str = "") -> None:
        self.messages.append((title, text, error))

    def ask(self, title: str, text: str, on_answer: Any) -> None:
        self.questions.append((text, on_answer))


@dataclass
class GuiApp:
    window: Any
    controller: Any
    dialogs: FakeDialogs
    paths: Any

    def frame(self) -> np.ndarray:
        assert self.controller.view.last_final is not None
        return np.asarray(self.controller.view.last_final[0].image)

    def final_request(self) -> Any:
        assert self.controller.view.last_final is not None
        return self.controller.view.last_final[1]

    def view_is_final(self) -> bool:
        return self.controller.view.frame_matches_view()


def make_app(qtbot: Any, tmp_path: Path, model: str | None, quality: float | None = 1.0,
             dialogs: FakeDialogs | None = None, thumb: int = 12, seeds_visible: bool = False) -> GuiApp:
    """A real main window + controller with a threaded engine, a 64 x 64 canvas and isolated folders."""
    from app.controller import Controller
    from app.shell.main_window import MainWindow
    from app.state.settings import AppPaths, Settings

    paths = AppPaths(tmp_path / "config", tmp_path / "data")
    settings = Settings.load(paths.settings_file)
    settings.thumb_size, settings.device = thumb, "cpu"
    if quality is not None:  # None: keep what the settings file remembers
        settings.quality = quality
    window = MainWindow(thumb_size=thumb)
    qtbot.addWidget(window)
    dialogs = dialogs or FakeDialogs()
    controller = Controller(window, settings, paths, dialogs=dialogs)  # type: ignore[arg-type]
    window.canvas.setFixedSize(CANVAS, CANVAS)
    window.seed_dock.setVisible(seeds_visible)
    window.show()
    controller.start(model)
    return GuiApp(window, controller, dialogs, paths)


@pytest.fixture
def gui(qtbot: Any, tmp_path: Path, skip32: str) -> Iterator[GuiApp]:
    app = make_app(qtbot, tmp_path, skip32)
    qtbot.waitUntil(lambda: app.controller.models.info is not None, timeout=30000)
    qtbot.waitUntil(app.view_is_final, timeout=30000)
    yield app
    app.controller.close()


def send_mouse(widget: QWidget, kind: str, x: float, y: float,
               button: Qt.MouseButton = Qt.MouseButton.LeftButton,
               modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """Deliver a real QMouseEvent (press / move / release / double) at widget point (x, y)."""
    types = {"press": QMouseEvent.Type.MouseButtonPress, "move": QMouseEvent.Type.MouseMove,
             "release": QMouseEvent.Type.MouseButtonRelease, "double": QMouseEvent.Type.MouseButtonDblClick}
    pos = QPointF(x, y)
    buttons = Qt.MouseButton.NoButton if kind == "release" else button
    ev = QMouseEvent(types[kind], pos, widget.mapToGlobal(pos), Qt.MouseButton.NoButton if kind == "move"
                     else button, buttons, modifiers)
    QApplication.sendEvent(widget, ev)


def drag(widget: QWidget, start: tuple[float, float], end: tuple[float, float], steps: int = 4,
         modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    send_mouse(widget, "press", *start, modifiers=modifiers)
    for i in range(1, steps + 1):
        t = i / steps
        send_mouse(widget, "move", start[0] + t * (end[0] - start[0]), start[1] + t * (end[1] - start[1]),
                   modifiers=modifiers)
    send_mouse(widget, "release", *end, modifiers=modifiers)


def canvas_pixels(widget: QWidget) -> np.ndarray:
    """What the canvas actually painted, as uint8 [H, W, 3]."""
    image = widget.grab().toImage().convertToFormat(widget.grab().toImage().Format.Format_RGB888)
    h, w = image.height(), image.width()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * h)
    return data.reshape(h, image.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).copy()


def env_is_isolated(tmp_path: Path) -> bool:
    return os.environ.get("INR_EXPLORER_CONFIG_DIR", "").startswith(str(tmp_path))
