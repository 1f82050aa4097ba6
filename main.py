"""Entry point: `python main.py` opens the GUI (optionally on a checkpoint); subcommands run headless."""

from __future__ import annotations

import sys
from collections.abc import Sequence

SUBCOMMANDS = ("info", "render", "export", "panorama", "video", "spectrum", "pca", "consistency", "foveate",
               "srcompare", "train")


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from engine.runtime import tune_allocator

    tune_allocator()  # renders reuse freed activations instead of page-faulting them in (issue #10)
    if args and (args[0] in SUBCOMMANDS or args[0] in ("-h", "--help")):
        from engine.cli import run_cli

        return run_cli(args)
    from app.bootstrap import run

    return run(args)


if __name__ == "__main__":
    sys.exit(main())
