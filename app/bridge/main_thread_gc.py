"""Python's cyclic garbage collector, run on the GUI thread only.

CPython runs an automatic collection in whichever thread happens to allocate when a generation fills up. When
that is the engine thread and the garbage holds Qt wrappers (a closed dialog, a menu, a finished controller),
their QObjects are destroyed on the engine thread: ~QObject takes one of Qt's signal-slot mutexes and then
waits for the GIL, while the GUI thread, holding the GIL, waits for the same mutex. Both threads stop for good
(seen as a hang of the GUI tests under load, with gdb showing exactly these two stacks). So automatic collection
is switched off and a timer on the GUI thread collects the generations that are due, as CPython would.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS = 250

_collector: MainThreadCollector | None = None


class MainThreadCollector(QObject):
    """Collects due generations every INTERVAL_MS on the thread that owns it (the GUI thread)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(INTERVAL_MS)

    def check(self) -> int:
        """Collect the oldest generation whose count passed its threshold; returns it (-1: none was due)."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        due = [g for g in range(3) if thresholds[g] and counts[g] > thresholds[g]]
        if not due:
            return -1
        gc.collect(due[-1])
        return due[-1]


def install() -> MainThreadCollector:
    """Turn automatic collection off and collect on the GUI thread instead (idempotent; needs a Q*Application,
    which owns the collector so it lives as long as the application)."""
    global _collector
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("main_thread_gc.install: create the QApplication first")
    if _collector is None:
        _collector = MainThreadCollector(app)
    gc.disable()
    return _collector
