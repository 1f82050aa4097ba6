"""main.py conventions: --version without a display, Qt or torch; a mistyped command is an error, not a file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_version_needs_no_qt_nor_torch() -> None:
    code = ("import sys, main; rc = main.main(['--version']); "
            "print(rc, 'PySide6' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})  # no DISPLAY, no QT_QPA_PLATFORM
    lines = out.stdout.split("\n")
    assert lines[0].startswith("inr-explorer ") and lines[1] == "0 False False", out


@pytest.mark.parametrize("arg, hint", [("rendr", "'render'"), ("ifno", "'info'"), ("xyzzy", "commands:")])
def test_mistyped_command_is_an_error(arg: str, hint: str, capsys: pytest.CaptureFixture[str]) -> None:
    import main

    assert main.main([arg, "model.pt"]) == 2
    err = capsys.readouterr().err
    assert "neither a command nor a file" in err and hint in err


def test_real_commands_and_files_are_not_mistyped(tmp_path: Path) -> None:
    import main

    for arg in (*main.SUBCOMMANDS, "default", "model.pt", str(tmp_path), "--help"):
        assert main._mistyped_command(arg) is None, arg
    out = subprocess.run([sys.executable, "main.py", "info", "default"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and "resolution" in out.stdout.lower(), out
