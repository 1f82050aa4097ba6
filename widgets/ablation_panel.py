"""Ablation toggles: zero the learned coordinate embeddings or the Fourier features of the render."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget

ABLATIONS = (("embedding", "Zero the learned embeddings",
              "Render without the learned per-position embeddings (CIPS emb.input, INR-GAN's constants)"),
             ("fourier", "Zero the Fourier features",
              "Render without the Fourier / sinusoidal coordinate features"))


class AblationPanel(QWidget):
    """Checkboxes for the CIPS paper's ablations; ones the family lacks are disabled with a reason.

    Signals
    -------
    ablationChanged(ablate: tuple)
        The checked ablations, e.g. ("embedding",).
    """

    ablationChanged = Signal(tuple)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._boxes: dict[str, QCheckBox] = {}
        layout = QVBoxLayout(self)
        title = QLabel("<b>Ablations</b> (the render drops a coordinate input)")
        title.setWordWrap(True)
        layout.addWidget(title)
        for key, text, tip in ABLATIONS:
            cb = QCheckBox(text)
            cb.setToolTip(tip)
            cb.toggled.connect(self._emit)
            self._boxes[key] = cb
            layout.addWidget(cb)

    def set_available(self, available: tuple[str, ...], family: str) -> None:
        """Enable the ablations ``family`` supports; the others are disabled with a tooltip saying why."""
        for key, text, tip in ABLATIONS:
            cb = self._boxes[key]
            ok = key in available
            cb.setEnabled(ok)
            what = text.replace("Zero the ", "")
            cb.setToolTip(tip if ok else f"The {family or 'loaded'} family has no {what} to zero")

    def set_ablate(self, ablate: tuple[str, ...]) -> None:
        for key, cb in self._boxes.items():
            with QSignalBlocker(cb):
                cb.setChecked(key in ablate)

    def box(self, key: str) -> QCheckBox:
        return self._boxes[key]

    def _emit(self) -> None:
        self.ablationChanged.emit(tuple(k for k, cb in self._boxes.items() if cb.isChecked()))
