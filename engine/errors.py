"""Errors the engine raises to its callers (no torch import here)."""

from __future__ import annotations


class CheckpointError(Exception):
    """A checkpoint file is unreadable, unsupported or hostile.

    The message is one line that names the file and the problem; nothing from the file was executed.
    """


class RenderCancelled(Exception):
    """A long job saw its cancel token set and stopped between tiles."""


def one_line(e: BaseException) -> str:
    """The first line of an exception's message (its type name when the message is empty), for one-line
    errors in the status bar, frames and the CLI."""
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
