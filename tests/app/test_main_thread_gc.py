"""Garbage holding Qt objects is collected on the GUI thread, never on a worker (the engine thread)."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

from PySide6.QtCore import QObject

from app.bridge import main_thread_gc


class Cycle:
    """A reference cycle that owns a QObject and records the thread that finalises it."""

    finalised_on: list[int] = []

    def __init__(self) -> None:
        self.me = self
        self.q = QObject()

    def __del__(self) -> None:
        Cycle.finalised_on.append(threading.get_ident())


def test_cycles_with_qt_objects_are_collected_on_the_gui_thread(qtbot: Any) -> None:
    collector = main_thread_gc.install()
    assert main_thread_gc.install() is collector and not gc.isenabled()
    Cycle.finalised_on.clear()
    ref = weakref.ref(Cycle())
    assert ref() is not None  # only the collector can free a cycle

    kept: list[Any] = []

    def allocate() -> None:  # far past generation 0's threshold: CPython would collect here, on this thread
        kept.extend([i] for i in range(50 * gc.get_threshold()[0]))

    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    assert ref() is not None and Cycle.finalised_on == []
    qtbot.waitUntil(lambda: ref() is None, timeout=5000)  # the collector's timer, on this (the GUI) thread
    assert Cycle.finalised_on == [threading.get_ident()]
    kept.clear()


def test_check_collects_only_generations_that_are_due() -> None:
    collector = main_thread_gc.install()
    gc.collect()
    assert collector.check() == -1
    junk = [[i] for i in range(3 * gc.get_threshold()[0])]
    assert collector.check() >= 0
    del junk
