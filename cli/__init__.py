"""The command line (`main.py SUBCOMMAND`): a front end of the engine beside `app/`; imports no Qt."""

from cli.main import build_parser, run_cli

__all__ = ["build_parser", "run_cli"]
