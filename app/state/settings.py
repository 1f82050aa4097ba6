"""User settings: one typed object, read once at start and written at exit, stored with QSettings (ini)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

from engine.types import PRECISIONS

MAX_RECENT = 10
VERSION = 1


@dataclass
class AppPaths:
    """Where settings and user data (autosave, crash marker) live; tests point both at tmp_path."""

    config_dir: Path
    data_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.ini"

    @classmethod
    def default(cls) -> AppPaths:
        config = os.environ.get("INR_EXPLORER_CONFIG_DIR") or QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.AppConfigLocation)
        data = os.environ.get("INR_EXPLORER_DATA_DIR") or QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.AppDataLocation)
        return cls(Path(config), Path(data))


def valid_device_name(name: str) -> bool:
    """auto, cpu, mps, cuda or cuda:N (whether the machine has it is the loader's question)."""
    return name in ("auto", "cpu", "mps", "cuda") or (name.startswith("cuda:") and name[5:].isdigit())


@dataclass
class Settings:
    """Everything remembered between runs."""

    recent_files: list[str] = field(default_factory=list)
    last_model: str = ""
    device: str = "auto"
    quality: float = 0.5
    precision: str = "float32"  # interactive frames only; exports stay float32
    cluster: str = ""  # Dask scheduler address (or local:N) the export dialog offers
    export_on_cluster: bool = False  # whether the last image export went to it
    overlay: bool = True
    thumb_size: int = 56
    geometry: bytes = b""
    window_state: bytes = b""

    def add_recent(self, path: str) -> None:
        path = os.path.abspath(path)
        self.recent_files = [path] + [p for p in self.recent_files if p != path]
        del self.recent_files[MAX_RECENT:]

    def remove_recent(self, path: str) -> None:
        self.recent_files = [p for p in self.recent_files if p != os.path.abspath(path)]

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read the ini file; missing or malformed values fall back to the defaults."""
        q = QSettings(str(path), QSettings.Format.IniFormat)
        s = cls()
        for f in fields(cls):
            if not q.contains(f.name):
                continue
            value = q.value(f.name)
            default = getattr(s, f.name)
            try:
                if isinstance(default, bool):
                    setattr(s, f.name, str(value).lower() in ("true", "1"))
                elif isinstance(default, bytes):
                    setattr(s, f.name, bytes(value.data()) if isinstance(value, QByteArray) else b"")
                elif isinstance(default, list):
                    items = value if isinstance(value, list) else [value] if value else []
                    setattr(s, f.name, [str(v) for v in items][:MAX_RECENT])
                else:
                    setattr(s, f.name, type(default)(value))
            except (TypeError, ValueError, AttributeError):
                pass
        if not valid_device_name(s.device):
            s.device = "auto"
        if not 0.25 <= s.quality <= 4.0:
            s.quality = 0.5
        if s.precision not in PRECISIONS:
            s.precision = "float32"
        return s

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        q = QSettings(str(path), QSettings.Format.IniFormat)
        q.setValue("version", VERSION)
        for f in fields(self):
            value = getattr(self, f.name)
            q.setValue(f.name, QByteArray(value) if isinstance(value, bytes) else value)
        q.sync()
