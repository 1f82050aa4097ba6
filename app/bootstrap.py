"""GUI entry point: `run(argv)` parses the GUI options, builds the window and runs the event loop."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app.controller import Controller
from app.shell import pyside_guard
from app.shell.dialogs import RECIPE_SUFFIXES
from app.shell.logs import install_excepthook, setup_logging
from app.shell.main_window import MainWindow
from app.state.settings import AppPaths, Settings, valid_device_name

if TYPE_CHECKING:
    from collections.abc import Sequence

ORGANIZATION = "inr-explorer"
APPLICATION = "INR Explorer"


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    from main import program_name  # the one definition, beside version()

    p = argparse.ArgumentParser(prog=program_name(), description="Explore coordinate-based image generators.")
    p.add_argument("paths", nargs="*", help="a checkpoint to open (default: the last model or the embedded "
                   "generator), and optionally a .json session or .npy / .npz latents")
    p.add_argument("--device", help="where the generator runs: auto, cuda (or cuda:N), mps or cpu")
    p.add_argument("--config-dir", type=Path, help="settings folder (default: the user's config dir)")
    p.add_argument("--data-dir", type=Path, help="autosave folder (default: the user's data dir)")
    return p.parse_args(list(argv))


def build(argv: Sequence[str] = ()) -> tuple[MainWindow, Controller]:
    """Create the window and its controller (a QApplication must exist); start loading the model."""
    pyside_guard.install()
    args = parse_args(argv)
    defaults = AppPaths.default()
    paths = AppPaths(args.config_dir or defaults.config_dir, args.data_dir or defaults.data_dir)
    settings = Settings.load(paths.settings_file)
    if args.device:
        if not valid_device_name(args.device):
            raise SystemExit(f"--device: expected auto, cuda, cuda:N, mps or cpu, got {args.device!r}")
        settings.device = args.device
    log_file = setup_logging(paths.data_dir)
    window = MainWindow(thumb_size=settings.thumb_size)
    window.setWindowIcon(app_icon())
    controller = Controller(window, settings, paths)
    controller.log_file = log_file
    window.model_panel.set_device(settings.device)
    not_models = (".json", ".npy", ".npz", *RECIPE_SUFFIXES)  # sessions, latents, exported images / videos
    checkpoints = [p for p in args.paths if os.path.splitext(p)[1].lower() not in not_models]
    controller.start(checkpoints[0] if checkpoints else None)
    others = [p for p in args.paths if p not in checkpoints[:1]]
    if others:
        controller.open_paths(others)
    return window, controller


def run(argv: Sequence[str] = ()) -> int:
    """Run the GUI; returns the process exit code."""
    pyside_guard.install()  # before the first Qt call
    # an existing instance is a QApplication (widgets need one; pytest-qt makes one too)
    app = (cast("QApplication | None", QApplication.instance())
           or QApplication([sys.argv[0] if sys.argv else "inr-explorer"]))
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setWindowIcon(app_icon())
    try:
        window, controller = build(argv)
    except SystemExit as e:  # argparse --help / usage errors
        return int(e.code or 0)
    log = controller.log_file

    def report(summary: str, details: str) -> None:
        where = f" The details are in {log}." if log else ""
        controller.dialogs.message("Unexpected error", f"{summary}\n\nThe explorer keeps running; your work is "
                                   f"autosaved.{where}", error=True, details=details)

    restore = install_excepthook(report)  # an unexpected error is logged and shown, not the end of the app
    if not controller.settings.geometry:
        window.resize(1280, 800)
    window.show()
    code = app.exec()
    controller.close()
    restore()
    return int(code)


def app_icon() -> QIcon:
    """The window icon (resources/icon.svg)."""
    from importlib.resources import files

    return QIcon(str(files("resources") / "icon.svg"))
