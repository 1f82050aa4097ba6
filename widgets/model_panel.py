"""Model panel: what is loaded (family, resolution, dims, parameters), the device, open and recent files."""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

DEVICES = (("auto", "Auto (CUDA, then MPS, then CPU)"), ("cpu", "CPU"))  # until `set_devices` lists the machine's
FIELDS = (("family", "Family"), ("resolution", "Resolution"), ("dims", "z / w dims"),
          ("num_ws", "Style layers"), ("params", "Parameters"), ("device", "Running on"))


def _params(n: int) -> str:
    return f"{n / 1e6:.2f} M" if n >= 1e6 else f"{n:,}"


class ModelPanel(QWidget):
    """Shows the loaded generator and offers opening another one.

    Signals
    -------
    openRequested()
        The user wants to pick a checkpoint file.
    recentActivated(path: str)
        A recent file was chosen.
    deviceChanged(device: str)
        A device name was picked: "auto", "cuda" (or "cuda:N"), "mps" or "cpu".
    """

    openRequested = Signal()
    recentActivated = Signal(str)
    deviceChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name = QLabel("No model")
        self._name.setWordWrap(True)
        self._name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self._name.font()
        font.setBold(True)
        self._name.setFont(font)
        form = QFormLayout()
        self._values: dict[str, QLabel] = {}
        for key, label in FIELDS:
            value = QLabel("–")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._values[key] = value
            form.addRow(label, value)
        self._device = QComboBox()
        for key, text in DEVICES:
            self._device.addItem(text, key)
        self._device.setToolTip("Where the generator runs; changing it reloads the model")
        self._device.currentIndexChanged.connect(self._on_device_index_changed)
        form.addRow("Device", self._device)
        self._open = QPushButton("Open checkpoint…")
        self._open.setToolTip("Open a CIPS .pt, an INR-GAN / CREPS .pkl or a .safetensors checkpoint "
                              "(you can also drop a file on the window)")
        self._open.clicked.connect(self.openRequested)
        self._busy = QProgressBar()
        self._busy.setRange(0, 0)
        self._busy.setTextVisible(False)
        self._busy.setMaximumHeight(8)
        self._busy.hide()
        self._error = QLabel()
        self._error.setWordWrap(True)
        self._error.setStyleSheet("color: #e06c6c;")
        self._error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._error.hide()
        self._recent = QListWidget()
        self._recent.setToolTip("Recently opened checkpoints (double-click or Enter to open)")
        self._recent.setMaximumHeight(80)
        self._recent.itemActivated.connect(self._on_recent_activated)
        top = QHBoxLayout()
        top.addWidget(self._open)
        layout = QVBoxLayout(self)
        layout.addWidget(self._name)
        layout.addLayout(form)
        layout.addLayout(top)
        layout.addWidget(self._busy)
        layout.addWidget(self._error)
        layout.addWidget(QLabel("Recent"))
        layout.addWidget(self._recent)
        layout.addStretch(1)

    # ------------------------------------------------------------------ view API
    def set_info(self, info: dict[str, Any] | None, path: str = "") -> None:
        """Show a loaded model's facts (None: nothing loaded)."""
        if info is None:
            self._name.setText("No model loaded")
            for value in self._values.values():
                value.setText("–")
            return
        self._name.setText(os.path.basename(path) or str(info.get("source", "")))
        self._name.setToolTip(path)
        res = info.get("resolution", "?")
        self._values["family"].setText(str(info.get("family", "?")))
        self._values["resolution"].setText(f"{res} × {res}")
        self._values["dims"].setText(f"{info.get('z_dim', '?')} / {info.get('w_dim', '?')}")
        self._values["num_ws"].setText(str(info.get("num_ws", "?")))
        self._values["params"].setText(_params(int(info.get("num_params", 0))))
        self._values["device"].setText(str(info.get("device", "?")))

    def set_loading(self, loading: bool, path: str = "") -> None:
        self._busy.setVisible(loading)
        self._open.setEnabled(not loading)
        self._recent.setEnabled(not loading)
        self._device.setEnabled(not loading)
        if loading:
            self._error.hide()
            self._busy.setToolTip(f"Loading {path}")

    def set_error(self, message: str) -> None:
        self._error.setText(message)
        self._error.setVisible(bool(message))

    def error(self) -> str:
        return self._error.text() if self._error.isVisibleTo(self) else ""

    def set_recent(self, paths: list[str]) -> None:
        self._recent.clear()
        for path in paths:
            item = QListWidgetItem(os.path.basename(path) or path)
            item.setToolTip(path)
            item.setData(Qt.ItemDataRole.UserRole, path)
            self._recent.addItem(item)

    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        """The device menu: (name, label) pairs; the current choice stays when it is still listed."""
        current = self.device()
        with QSignalBlocker(self._device):
            self._device.clear()
            for key, text in devices:
                self._device.addItem(text, key)
            index = self._device.findData(current)
            self._device.setCurrentIndex(max(index, 0))

    def devices(self) -> list[str]:
        """The device names the menu offers, in order."""
        return [str(self._device.itemData(i)) for i in range(self._device.count())]

    def set_device(self, device: str) -> None:
        index = self._device.findData(device)
        if index >= 0:
            with QSignalBlocker(self._device):
                self._device.setCurrentIndex(index)

    def device(self) -> str:
        return str(self._device.currentData())

    # ------------------------------------------------------------------ slots
    def _on_device_index_changed(self, index: int) -> None:
        self.deviceChanged.emit(str(self._device.itemData(index)))

    def _on_recent_activated(self, item: QListWidgetItem) -> None:
        self.recentActivated.emit(str(item.data(Qt.ItemDataRole.UserRole)))
