"""Composition and state of the desktop app (controllers, store, sessions, settings)."""

import widgets  # noqa: F401  # applies the PySide6 reference-count guard before any Qt call (widgets/__init__.py)
