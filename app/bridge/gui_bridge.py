"""Engine-thread callbacks delivered on the GUI thread: one queued-signal bridge for the render client and
the job runner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot


class GuiBridge(QObject):
    """`to_gui(fn)` returns a callable that any thread may call; ``fn`` then runs on this object's thread (the GUI
    thread), in the order of the calls, through a queued connection. Calls after the bridge is deleted are dropped
    by Qt."""

    _called = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._called.connect(self._run, Qt.ConnectionType.QueuedConnection)

    def to_gui(self, fn: Callable[..., None]) -> Callable[..., None]:
        return lambda *args: self._called.emit(fn, args)

    @Slot(object, object)
    def _run(self, fn: Callable[..., None], args: tuple[Any, ...]) -> None:
        fn(*args)
