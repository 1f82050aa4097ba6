"""Shared test setup: offscreen Qt, and the official fixtures that must exist (fail, never skip)."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("MKL_DYNAMIC", "FALSE")  # as engine/__init__ sets it, before any test imports torch

from app.shell import pyside_guard  # noqa: E402  (plain ctypes: imports no Qt)

pyside_guard.install()  # as the app does at start-up, before any test makes a Qt call

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("INR_FIXTURES", ROOT.parent / "shared" / "fixtures"))
# torch threads per test: OMP_NUM_THREADS when set (CI runs 1 and 2), else 1 (the fixture models are tiny)
THREADS = int(os.environ.get("OMP_NUM_THREADS") or 1)


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """``../shared/fixtures``; a missing folder fails the test (CI must not skip parity checks)."""
    if not FIXTURES.is_dir():
        pytest.fail(f"official fixtures not found at {FIXTURES} (set INR_FIXTURES)")
    return FIXTURES


@pytest.fixture(autouse=True)
def _torch_threads() -> None:
    """Every test runs with THREADS torch threads, whatever an earlier test set (torch is not imported here:
    the app's layering tests check that it stays out of the GUI process)."""
    torch = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != THREADS:
        torch.set_num_threads(THREADS)


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread() -> object:
    """Once a GUI test has installed app.bridge.main_thread_gc (automatic collection off), collect after every test
    here, on the main thread, so garbage never piles up in the tests that run no Qt event loop."""
    yield
    if not gc.isenabled():
        gc.collect()
