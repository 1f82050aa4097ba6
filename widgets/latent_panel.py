"""Latent workbench: seed entry, anchors with blend sliders, interpolation mode, truncation, random walk."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QMenu,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widgets.anchor_list import AnchorList

MAX_SEED = 2**31 - 1
PSI_RANGE = (-1.0, 2.0)
PSI_STEPS = 100  # slider ticks per unit of psi
INTERP_ITEMS = (("lerp-w", "Lerp in W"), ("slerp-z", "Slerp in Z"))


class LatentPanel(QWidget):
    """Edits the latent side of the view: which anchors, how they blend, and truncation.

    Signals
    -------
    seedChanged(seed: int)
        New seed for the active anchor.
    activeAnchorChanged(index: int)
    anchorWeightChanged(index: int, weight: float)
    addAnchorRequested()
        Add a seed anchor (the next seed after the active one).
    loadAnchorRequested(kind: str)
        Add an anchor from a .npy or .npz file holding a "z" or a "w" (w or W+).
    removeAnchorRequested(index: int)
    interpChanged(interp: str)
        "lerp-w" or "slerp-z".
    psiChanged(psi: float)
    cutoffChanged(cutoff: object)
        Number of truncated layers, or None for all.
    animateToggled(on: bool)
        Random walk of the active anchor.
    saveLatentRequested(kind: str)
        Save the current "z", "w" or "wplus" to .npy or .npz.
    editStarted(), editFinished()
        Bracket a slider drag (one drag = one undo step).
    """

    seedChanged = Signal(int)
    activeAnchorChanged = Signal(int)
    anchorWeightChanged = Signal(int, float)
    addAnchorRequested = Signal()
    loadAnchorRequested = Signal(str)
    removeAnchorRequested = Signal(int)
    interpChanged = Signal(str)
    psiChanged = Signal(float)
    cutoffChanged = Signal(object)
    animateToggled = Signal(bool)
    saveLatentRequested = Signal(str)
    editStarted = Signal()
    editFinished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._seed = QSpinBox()
        self._seed.setRange(0, MAX_SEED)
        self._seed.setToolTip("Seed of the active anchor (z = RandomState(seed).randn(z_dim)); "
                              "[ and ] step through seeds")
        self._seed.setKeyboardTracking(False)
        self._seed.valueChanged.connect(self.seedChanged)
        self._anchors = AnchorList()
        self._anchors.activeChanged.connect(self.activeAnchorChanged)
        self._anchors.weightChanged.connect(self.anchorWeightChanged)
        self._anchors.removeRequested.connect(self.removeAnchorRequested)
        self._anchors.sliderPressed.connect(self.editStarted)
        self._anchors.sliderReleased.connect(self.editFinished)
        add = QPushButton("Add seed")
        add.setToolTip("Add an anchor with the next seed (its weight starts at 0)")
        add.clicked.connect(self.addAnchorRequested)
        load = QToolButton()
        load.setText("Add from file")
        load.setToolTip("Add an anchor from a saved latent (.npy, or .npz such as a StyleGAN projector's "
                        "projected_w.npz): z [z_dim], w [w_dim] or W+ [num_ws, w_dim]")
        load.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(load)
        menu.addAction("z (.npy, .npz)…", lambda: self.loadAnchorRequested.emit("z"))
        menu.addAction("w or W+ (.npy, .npz: projected_w)…", lambda: self.loadAnchorRequested.emit("w"))
        load.setMenu(menu)
        self._interp = QComboBox()
        for key, text in INTERP_ITEMS:
            self._interp.addItem(text, key)
        self._interp.setToolTip("How two anchors blend: linearly in W (mapped styles) or spherically in Z")
        self._interp.currentIndexChanged.connect(
            lambda i: self.interpChanged.emit(str(self._interp.itemData(i))))
        anchors_box = QGroupBox("Anchors")
        box = QVBoxLayout(anchors_box)
        box.addWidget(self._anchors)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(load)
        buttons.addStretch(1)
        box.addLayout(buttons)
        form = QFormLayout()
        form.addRow("Blend", self._interp)
        box.addLayout(form)
        self._psi_slider = QSlider(Qt.Orientation.Horizontal)
        self._psi_slider.setRange(round(PSI_RANGE[0] * PSI_STEPS), round(PSI_RANGE[1] * PSI_STEPS))
        self._psi_slider.setToolTip("Truncation ψ: 1 = as sampled, 0 = the mean style, < 0 = the opposite side")
        self._psi_slider.valueChanged.connect(lambda v: self._on_psi_edited(v / PSI_STEPS))
        self._psi_slider.sliderPressed.connect(self.editStarted)
        self._psi_slider.sliderReleased.connect(self.editFinished)
        self._psi = QDoubleSpinBox()
        self._psi.setRange(*PSI_RANGE)
        self._psi.setSingleStep(0.05)
        self._psi.setDecimals(2)
        self._psi.setKeyboardTracking(False)
        self._psi.valueChanged.connect(self._on_psi_edited)
        self._cutoff = QSpinBox()
        self._cutoff.setRange(0, 64)
        self._cutoff.setSpecialValueText("all layers")
        self._cutoff.setToolTip("Truncate only the first N style layers (coarse layers first)")
        self._cutoff.valueChanged.connect(lambda v: self.cutoffChanged.emit(v or None))
        psi_row = QHBoxLayout()
        psi_row.addWidget(self._psi_slider, 1)
        psi_row.addWidget(self._psi)
        trunc_box = QGroupBox("Truncation")
        trunc = QFormLayout(trunc_box)
        trunc.addRow("ψ", psi_row)
        trunc.addRow("Cutoff", self._cutoff)
        self._animate = QCheckBox("Random walk")
        self._animate.setToolTip("Animate: the active anchor wanders smoothly through latent space")
        self._animate.toggled.connect(self.animateToggled)
        save = QToolButton()
        save.setText("Save latent")
        save.setToolTip("Save the current latent as .npy")
        save.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        save_menu = QMenu(save)
        save_menu.addAction("z…", lambda: self.saveLatentRequested.emit("z"))
        save_menu.addAction("w…", lambda: self.saveLatentRequested.emit("w"))
        save_menu.addAction("W+ (per layer)…", lambda: self.saveLatentRequested.emit("wplus"))
        save.setMenu(save_menu)
        seed_form = QFormLayout()
        seed_form.addRow("Seed", self._seed)
        bottom = QHBoxLayout()
        bottom.addWidget(self._animate)
        bottom.addStretch(1)
        bottom.addWidget(save)
        layout = QVBoxLayout(self)
        layout.addLayout(seed_form)
        layout.addWidget(anchors_box)
        layout.addWidget(trunc_box)
        layout.addLayout(bottom)
        layout.addStretch(1)

    # ------------------------------------------------------------------ view API
    def set_latent(self, seed: int | None, labels: list[str], weights: list[float], active: int,
                   interp: str, psi: float, cutoff: int | None) -> None:
        """Show the state without echoing signals back."""
        with QSignalBlocker(self._seed):
            self._seed.setEnabled(True)
            if seed is not None:
                self._seed.setValue(seed)
        self._seed.setToolTip("Seed of the active anchor" if seed is not None else
                              "The active anchor is a loaded latent; entering a seed replaces it")
        self._anchors.set_anchors(labels, weights, active)
        with QSignalBlocker(self._interp):
            self._interp.setCurrentIndex(max(self._interp.findData(interp), 0))
        self._show_psi(psi)
        with QSignalBlocker(self._cutoff):
            self._cutoff.setValue(cutoff or 0)

    def set_num_layers(self, num_ws: int) -> None:
        with QSignalBlocker(self._cutoff):
            self._cutoff.setMaximum(max(num_ws, 1))

    def set_animating(self, on: bool) -> None:
        with QSignalBlocker(self._animate):
            self._animate.setChecked(on)

    def animating(self) -> bool:
        return self._animate.isChecked()

    def seed(self) -> int:
        return self._seed.value()

    @property
    def anchor_list(self) -> AnchorList:
        return self._anchors

    @property
    def psi_slider(self) -> QSlider:
        return self._psi_slider

    # ------------------------------------------------------------------ slots
    def _show_psi(self, psi: float) -> None:
        with QSignalBlocker(self._psi_slider):
            self._psi_slider.setValue(round(psi * PSI_STEPS))
        with QSignalBlocker(self._psi):
            self._psi.setValue(psi)

    def _on_psi_edited(self, psi: float) -> None:
        self._show_psi(psi)
        self.psiChanged.emit(float(psi))
