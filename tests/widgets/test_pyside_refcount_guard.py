"""PySide6 6.12 on CPython 3.11 drops a reference to None per void call; app.shell.pyside_guard (installed at
start-up and by the test setup) guards it."""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtWidgets import QPushButton

from app.shell import pyside_guard


def test_void_calls_cannot_exhaust_none(qtbot: Any) -> None:
    pyside_guard.install()  # idempotent: the test setup has installed it already
    b = QPushButton()
    qtbot.addWidget(b)
    before = sys.getrefcount(None)
    for _ in range(20000):
        b.setEnabled(True)
    lost = before - sys.getrefcount(None)
    assert lost <= 20000  # at most one per call (0 where PySide6 or CPython is fixed)
    if sys.version_info < (3, 12):
        assert sys.getrefcount(None) > 1 << 39  # the guard's margin: no session ever reaches zero
