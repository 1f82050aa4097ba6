"""Composition and state of the desktop app (controllers, store, sessions, settings)."""
