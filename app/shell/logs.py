"""Logging for the GUI: a rotating log file in the user's data folder, warnings on stderr, and an excepthook
that logs an unexpected error and shows it in a dialog instead of ending the program."""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

LOG_NAME = "inr-explorer.log"
LOGGER = "inr_explorer"  # the app's and the engine's loggers are children of this one
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(data_dir: Path) -> Path | None:
    """Log INFO and up to DATA_DIR/inr-explorer.log (1 MB, 3 old files kept) and WARNING and up to stderr;
    returns the log file (None when the folder is not writable: then stderr only)."""
    root = logging.getLogger(LOGGER)
    root.setLevel(logging.INFO)
    for h in list(root.handlers):  # a second window in one process (tests) must not log twice
        root.removeHandler(h)
        h.close()
    err = logging.StreamHandler(sys.stderr)
    err.setLevel(logging.WARNING)
    err.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root.addHandler(err)
    path = data_dir / LOG_NAME
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fh = logging.handlers.RotatingFileHandler(path, maxBytes=1 << 20, backupCount=3, encoding="utf-8")
    except OSError:
        return None
    fh.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(fh)
    return path


Report = Callable[[str, str], None]  # (summary, details) -> show it to the user


def install_excepthook(report: Report) -> Callable[[], None]:
    """Route uncaught exceptions (main thread and other threads) to the log and to ``report``; returns a
    function that restores the previous hooks."""
    log = logging.getLogger(LOGGER)
    previous, previous_thread = sys.excepthook, threading.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
            return
        details = "".join(traceback.format_exception(kind, value, tb))
        log.error("unexpected error\n%s", details)
        try:
            report(f"{kind.__name__}: {value}", details)
        except Exception:  # the dialog itself failed: the log has it; never raise from the hook
            log.exception("could not show the error dialog")

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        details = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        log.error("unexpected error in thread %s\n%s", getattr(args.thread, "name", "?"), details)

    sys.excepthook = hook
    threading.excepthook = thread_hook

    def restore() -> None:
        sys.excepthook, threading.excepthook = previous, previous_thread

    return restore
