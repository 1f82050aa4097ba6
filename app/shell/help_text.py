"""Help → Keyboard Shortcuts and Help → About, generated from what the window really has."""

from __future__ import annotations

import html
import platform
from collections.abc import Iterable
from typing import Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtGui import QAction, QKeySequence

# what no QAction carries: the canvas's mouse gestures
GESTURES = (("Drag", "pan"), ("Shift-drag", "rotate"), ("Wheel / pinch", "zoom about the cursor"),
            ("Double-click", "reset the view"),
            ("Right-drag / middle-drag", "with a brush: erase / pan"))


def _label(action: QAction) -> str:
    return action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").replace("…", "")


def shortcuts_html(actions: Iterable[QAction]) -> str:
    """A table of the mouse gestures, then every action that has a shortcut, as this platform writes it."""
    rows = [(k, v) for k, v in GESTURES]
    seen: set[str] = set()
    for a in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts() if not k.isEmpty()]
        label = _label(a)
        if not keys or label in seen:
            continue
        seen.add(label)
        rows.append((" / ".join(keys), label[0].lower() + label[1:] if label[1:2].islower() else label))
    body = "".join(f"<tr><td><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table cellspacing=4>{body}</table>"


def about_html(app_version: str, engine: dict[str, Any]) -> str:
    """The About box: what the app is, and the versions and device a bug report needs."""
    rows = [("Version", app_version), ("Python", platform.python_version()), ("Qt", qVersion()),
            ("PySide6", pyside_version), ("PyTorch", str(engine.get("torch", "?"))),
            ("Devices", str(engine.get("devices", "?"))), ("Running on", str(engine.get("device") or "no model")),
            ("Platform", f"{platform.system()} {platform.machine()}")]
    table = "".join(f"<tr><td>{html.escape(k)}</td><td><b>{html.escape(v)}</b></td></tr>" for k, v in rows)
    return ("<p><b>INR Explorer</b>: explore coordinate-based image generators (CIPS, INR-GAN, CREPS). Every "
            "pixel is computed from its (x, y) coordinate, so panning, zooming and rotating re-evaluate the "
            "generator on a transformed grid.</p>"
            f"<table cellspacing=3>{table}</table><p>Log file: {html.escape(engine.get('log', '') or 'none')}</p>")


def app_version() -> str:
    from main import version  # the one definition (main.py answers --version without Qt)

    return version()
