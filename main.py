"""Entry point: `python main.py` opens the GUI (optionally on a checkpoint); subcommands run headless."""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Sequence

SUBCOMMANDS = ("info", "render", "export", "panorama", "video", "spectrum", "pca", "consistency", "foveate",
               "srcompare", "train")


def version() -> str:
    """The installed package's version (no Qt, no torch imported)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("inr-explorer")
    except PackageNotFoundError:
        return "0.1.0 (not installed)"


def program_name() -> str:
    """How the user started us, for help texts: "main.py" or the installed "inr-explorer"."""
    return os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] not in ("", "-c") else "inr-explorer"


def _mistyped_command(arg: str) -> str | None:
    """An error message when `arg` looks like a mistyped subcommand rather than a file to open."""
    if arg in SUBCOMMANDS or arg.startswith("-") or os.path.splitext(arg)[1] or os.path.exists(arg) or arg == "default":
        return None
    close = difflib.get_close_matches(arg, SUBCOMMANDS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"error: {arg!r} is neither a command nor a file{hint}; commands: {', '.join(SUBCOMMANDS)}"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["--version"], ["-V"]):
        print(f"inr-explorer {version()}")
        return 0
    if args and (message := _mistyped_command(args[0])):
        print(message, file=sys.stderr)
        return 2
    from engine.runtime import tune_allocator

    tune_allocator()  # renders reuse freed activations instead of page-faulting them in (issue #10)
    if args and (args[0] in SUBCOMMANDS or args[0] in ("-h", "--help")):
        from cli import run_cli

        return run_cli(args)
    from app.bootstrap import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
