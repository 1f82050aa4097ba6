"""Export Image dialog: size (presets of the current view or custom), format, target file."""

from __future__ import annotations

import os
from dataclasses import dataclass

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from engine.formats import IMAGE_FORMATS as FORMATS
from engine.formats import image_kind
from widgets.export_form import ExportFormDialog, pair_row

MAX_SIDE = 65536  # the writers stream rows, so memory is no limit (TIFF past 4 GB is written as BigTIFF)
PRESETS = (1, 2, 4, 8)

@dataclass(frozen=True)
class ImageExportOptions:
    """What the user asked to export: target path, pixel size, bits per channel and (TIFF) a pyramid."""

    path: str
    width: int
    height: int
    bits: int
    pyramid: bool = False
    cluster: str = ""  # a Dask scheduler (tcp://host:port) or local:N to render on; "" = here


class ExportDialog(ExportFormDialog):
    """Pick the size, format and file of a high-resolution export of the current view.

    The dialog only collects options; the controller validates them, starts the job and closes it.

    Signals
    -------
    exportRequested(options: ImageExportOptions)
        The Export button was pressed.
    browseRequested(path: str)
        Pick a file (the current text is the suggestion).
    """

    exportRequested = Signal(object)
    browseRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Image")
        self._view = (256, 256)
        self._spp: float | None = None
        self._preset = QComboBox()
        self._preset.currentIndexChanged.connect(self._on_preset_changed)
        self._width, self._height = self._side("width"), self._side("height")
        self._keep = QCheckBox("Keep the view's aspect ratio")
        self._keep.setChecked(True)
        self._keep.setToolTip("Another aspect ratio shows more (or less) of the plane along the longer side")
        self._format = QComboBox()
        for f in FORMATS:
            self._format.addItem(f.label, (f.suffix, f.bits))
        self._format.setToolTip("16-bit PNG keeps the model's output precision; TIFF is written uncompressed")
        self._format.currentIndexChanged.connect(self._on_format_changed)
        self._path.setPlaceholderText("file to write")
        self._on_cluster = QCheckBox("Dask cluster")
        self._on_cluster.setToolTip("Send the bands to a Dask scheduler's workers (each loads the same model "
                                    "file, checked by SHA-256); the file equals a local export")
        self._address = QLineEdit()
        self._address.setPlaceholderText("tcp://host:8786 or local:4")
        self._address.setToolTip("The scheduler's address, or local:N for N worker processes on this machine "
                                 "(remembered in the settings)")
        self._address.setEnabled(False)
        self._on_cluster.toggled.connect(self._address.setEnabled)
        cluster_row = QHBoxLayout()
        cluster_row.addWidget(self._on_cluster)
        cluster_row.addWidget(self._address, 1)
        self._summary = QLabel()
        self._summary.setWordWrap(True)
        self._estimate = QLabel()
        form = QFormLayout()
        form.addRow("View", self._summary)
        form.addRow("Size", self._preset)
        form.addRow("", pair_row(self._width, self._height))
        form.addRow("", self._keep)
        form.addRow("Format", self._format)
        form.addRow("File", self._path_row())
        form.addRow("Render on", cluster_row)
        self._assemble(form, self._estimate)
        self.set_view((256, 256), "")

    def _side(self, name: str) -> QSpinBox:
        box = QSpinBox()
        box.setRange(1, MAX_SIDE)
        box.setSuffix(" px")
        box.setToolTip(f"Output {name} in pixels (rendered in row bands: memory stays bounded)")
        box.valueChanged.connect(lambda v, name=name: self._on_side_edited(name, v))
        return box

    # ------------------------------------------------------------------ view API
    def set_view(self, size: tuple[int, int], summary: str) -> None:
        """The current render size (the 1× preset) and a one-line description of the view."""
        self._view = (max(1, size[0]), max(1, size[1]))
        self._summary.setText(summary)
        with QSignalBlocker(self._preset):
            self._preset.clear()
            for k in PRESETS:
                self._preset.addItem(f"{k}× view  ({k * self._view[0]} × {k * self._view[1]})", k)
            self._preset.addItem("Custom", 0)
            self._preset.setCurrentIndex(0)
        self._set_size(*self._view)
        self.set_error("")

    def set_path(self, path: str) -> None:
        suffix = os.path.splitext(path)[1].lower()
        kind = image_kind(suffix)
        index = next((i for i, f in enumerate(FORMATS) if f.suffix == kind), None)
        if index is not None and FORMATS[self._format.currentIndex()].suffix != kind:
            with QSignalBlocker(self._format):
                self._format.setCurrentIndex(index)
        self._path.setText(path)

    def set_seconds_per_pixel(self, seconds: float | None) -> None:
        """Measured render speed, for the time estimate (None: unknown)."""
        self._spp = seconds
        self._update_estimate()

    def set_cluster(self, address: str, enabled: bool) -> None:
        """The configured scheduler address, and whether exports go to it."""
        self._address.setText(address)
        self._on_cluster.setChecked(enabled)

    def set_preset(self, factor: int) -> None:
        self._preset.setCurrentIndex(max(self._preset.findData(factor), 0))

    def set_format(self, suffix: str, bits: int, pyramid: bool = False) -> None:
        for i, f in enumerate(FORMATS):
            if (f.suffix, f.bits, f.pyramid) == (suffix, bits, pyramid):
                self._format.setCurrentIndex(i)

    # the form's controls, for keyboard-free tests and accessibility tools
    def width_box(self) -> QSpinBox:
        return self._width

    def height_box(self) -> QSpinBox:
        return self._height

    def keep_aspect_box(self) -> QCheckBox:
        return self._keep

    def cluster_box(self) -> QCheckBox:
        return self._on_cluster

    def address_edit(self) -> QLineEdit:
        return self._address

    def options(self) -> ImageExportOptions:
        f = FORMATS[self._format.currentIndex()]
        bits, pyramid = f.bits, f.pyramid
        cluster = self._address.text().strip() if self._on_cluster.isChecked() else ""
        return ImageExportOptions(self._path.text().strip(), self._width.value(), self._height.value(), bits,
                                  pyramid, cluster)

    # ------------------------------------------------------------------ internals
    def _set_size(self, w: int, h: int) -> None:
        for box, v in ((self._width, w), (self._height, h)):
            with QSignalBlocker(box):
                box.setValue(v)
        self._update_estimate()

    def _on_preset_changed(self, index: int) -> None:
        k = int(self._preset.itemData(index) or 0)
        if k:
            self._set_size(k * self._view[0], k * self._view[1])

    def _on_side_edited(self, name: str, value: int) -> None:
        w, h = self._width.value(), self._height.value()
        if self._keep.isChecked():
            vw, vh = self._view
            if name == "width":
                h = max(1, round(value * vh / vw))
            else:
                w = max(1, round(value * vw / vh))
        with QSignalBlocker(self._preset):
            self._preset.setCurrentIndex(self._preset.findData(0))
        self._set_size(w, h)

    def _on_format_changed(self, index: int) -> None:
        path = self._path.text().strip()
        if path:
            self._path.setText(os.path.splitext(path)[0] + FORMATS[index].suffix)
        self._update_estimate()

    def _update_estimate(self) -> None:
        w, h = self._width.value(), self._height.value()
        bits = FORMATS[self._format.currentIndex()].bits
        raw = w * h * 3 * bits // 8
        text = f"{w * h / 1e6:.1f} megapixels, {raw / 2**20:.0f} MiB uncompressed"
        if self._spp:
            seconds = self._spp * w * h
            text += f", about {seconds / 60:.1f} min at the current speed" if seconds >= 90 else \
                f", about {seconds:.0f} s at the current speed"
        self._estimate.setText(text)

    def _on_browse_clicked(self) -> None:
        self.browseRequested.emit(self._path.text())

    def _on_export_clicked(self) -> None:
        opts = self.options()
        if not opts.path:
            self.set_error("Choose a file to write.")
            return
        if self._on_cluster.isChecked() and not opts.cluster:
            self.set_error("Give the cluster's scheduler address (tcp://host:port) or local:N.")
            return
        self.exportRequested.emit(opts)
