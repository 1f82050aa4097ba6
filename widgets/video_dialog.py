"""Export Video dialog: frame rate, duration, size, easing and the output (MP4, AVI or a PNG folder)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from engine.formats import PNG_SEQUENCE, VIDEO_FORMATS, video_format
from widgets.export_form import ExportFormDialog, pair_row

OUTPUTS = tuple((f.label, f.kind) for f in VIDEO_FORMATS) + (PNG_SEQUENCE,)
SIZE_FACTORS = (0.5, 1.0, 2.0)


@dataclass(frozen=True)
class VideoExportOptions:
    """The video the user asked for; ``duration`` rescales the keyframe times to span it."""

    path: str
    kind: str  # a video format's kind ("mp4", "webm", ...) or "png" (a folder of frames)
    width: int
    height: int
    fps: float
    duration: float
    easing: str  # "linear" | "smooth"


def frame_count(duration: float, fps: float) -> int:
    """Frames of a video (engine/video.py: the last frame shows the last keyframe)."""
    return round(duration * fps) + 1


class VideoDialog(ExportFormDialog):
    """Collects the video options; the controller validates, starts the job and closes it.

    Signals
    -------
    exportRequested(options: VideoExportOptions)
    browseRequested(path: str, kind: str)
        Pick a file (mp4 / avi) or a folder (png).
    """

    exportRequested = Signal(object)
    browseRequested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export Video")
        self._view = (256, 256)
        self._fps = QDoubleSpinBox()
        self._fps.setRange(1.0, 240.0)
        self._fps.setDecimals(2)
        self._fps.setValue(24.0)
        self._fps.setSuffix(" fps")
        self._duration = QDoubleSpinBox()
        self._duration.setRange(0.01, 36000.0)
        self._duration.setDecimals(2)
        self._duration.setSuffix(" s")
        self._duration.setToolTip("Total length; the keyframe times are scaled to span it")
        self._size = QComboBox()
        self._size.currentIndexChanged.connect(self._on_size_preset)
        self._width, self._height = QSpinBox(), QSpinBox()
        for box in (self._width, self._height):
            box.setRange(2, 16384)
            box.setSingleStep(2)
            box.setSuffix(" px")
        self._easing = QComboBox()
        self._easing.addItem("Smooth (ease in and out at each keyframe)", "smooth")
        self._easing.addItem("Linear", "linear")
        self._kind = QComboBox()
        for text, kind in OUTPUTS:
            self._kind.addItem(text, kind)
        self._kind.currentIndexChanged.connect(self._on_kind_changed)
        self._frames = QLabel()
        for sig in (self._fps.valueChanged, self._duration.valueChanged):
            sig.connect(self._update_frames)
        form = QFormLayout()
        form.addRow("Frame rate", self._fps)
        form.addRow("Duration", self._duration)
        form.addRow("Size", self._size)
        form.addRow("", pair_row(self._width, self._height))
        form.addRow("Easing", self._easing)
        form.addRow("Output", self._kind)
        form.addRow("Save to", self._path_row())
        self._assemble(form, self._frames)

    # ------------------------------------------------------------------ view API
    def set_values(self, view_size: tuple[int, int], duration: float, fps: float, easing: str,
                   size: tuple[int, int] | None = None) -> None:
        """Current view size (for the presets), the keyframes' span and the remembered settings."""
        self._view = view_size
        with QSignalBlocker(self._size):
            self._size.clear()
            for f in SIZE_FACTORS:
                self._size.addItem(f"{f:g}× view ({_even(f * view_size[0])} × {_even(f * view_size[1])})", f)
            self._size.addItem("Custom", 0.0)
        w, h = (_even(size[0]), _even(size[1])) if size else (_even(view_size[0]), _even(view_size[1]))
        match = next((i for i, f in enumerate(SIZE_FACTORS)
                      if (_even(f * view_size[0]), _even(f * view_size[1])) == (w, h)), len(SIZE_FACTORS))
        with QSignalBlocker(self._size):
            self._size.setCurrentIndex(match)
        self._width.setValue(w)
        self._height.setValue(h)
        self._fps.setValue(fps)
        self._duration.setValue(max(duration, 0.01))
        self._easing.setCurrentIndex(max(self._easing.findData(easing), 0))
        self._update_frames()
        self.set_error("")

    def set_path(self, path: str) -> None:
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        kind = ext if video_format(f".{ext}") is not None else "png"
        with QSignalBlocker(self._kind):
            self._kind.setCurrentIndex(self._kind.findData(kind))
        self._path.setText(path)

    def kind(self) -> str:
        return str(self._kind.currentData())

    # the form's controls, for keyboard-free tests and accessibility tools
    def width_box(self) -> QSpinBox:
        return self._width

    def height_box(self) -> QSpinBox:
        return self._height

    def fps_box(self) -> QDoubleSpinBox:
        return self._fps

    def duration_box(self) -> QDoubleSpinBox:
        return self._duration

    def size_combo(self) -> QComboBox:
        return self._size

    def options(self) -> VideoExportOptions:
        w, h = self._width.value(), self._height.value()
        if self.kind() != "png":  # video codecs want even sides
            w, h = _even(w), _even(h)
        return VideoExportOptions(self._path.text().strip(), self.kind(), w, h, self._fps.value(),
                                  self._duration.value(), str(self._easing.currentData()))

    def frames_text(self) -> str:
        return self._frames.text()

    # ------------------------------------------------------------------ internals
    def _on_size_preset(self, index: int) -> None:
        f = float(self._size.itemData(index) or 0.0)
        if f:
            self._width.setValue(_even(f * self._view[0]))
            self._height.setValue(_even(f * self._view[1]))

    def _on_kind_changed(self, index: int) -> None:
        path = self._path.text().strip()
        if not path:
            return
        stem = os.path.splitext(path)[0]
        kind = self.kind()
        self._path.setText(stem if kind == "png" else f"{stem}.{kind}")

    def _update_frames(self) -> None:
        n = frame_count(self._duration.value(), self._fps.value())
        self._frames.setText(f"{n} frames")

    def _on_browse_clicked(self) -> None:
        self.browseRequested.emit(self._path.text(), self.kind())

    def _on_export_clicked(self) -> None:
        if not self._path.text().strip():
            self.set_error("Choose where to save the video.")
            return
        self.exportRequested.emit(self.options())


def _even(v: float) -> int:
    """Video codecs want even sides."""
    return max(2, 2 * math.floor(v / 2 + 0.5))
