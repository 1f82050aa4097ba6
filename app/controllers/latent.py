"""Latent glue: seed entry, anchors and blend sliders, truncation, random walk, .npy / .npz in and out."""

from __future__ import annotations

import dataclasses
import functools
import os
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction

from app.bridge import jobs
from app.shell.dialogs import NPY_FILTER
from engine.latents import read_latent, write_latent
from engine.styles import anchor_z, slerp, z_from_seed
from engine.types import Anchor, FrozenArray

if TYPE_CHECKING:
    from app.controllers.views import (
        JobClient,
        LatentActions,
        LatentControls,
        Menu,
        ModelEvents,
        SeedHighlight,
        StatusLine,
    )
    from app.shell.dialogs import Dialogs
    from app.state.view_state import ViewState, ViewStore
    from engine.service import JobResult

WALK_INTERVAL_MS = 80
WALK_STEP = 0.03  # fraction of the way to the next random target per tick
SEED_MAX = 2**31 - 1


class LatentController(QObject):
    """Turns latent-panel intents into ViewState edits and keeps the panel showing the state.

    Parameters
    ----------
    panel, acts, save_menu
        The latent panel, the seed commands (previous / next / random, random walk) and Latent → Save Latent.
    seeds, status
        The seed browser's current seed and refresh, and the window's status line.
    store, client, models, dialogs
        The view-state store, the render client (W+ jobs), the model events and file pickers / messages.
    """

    def __init__(self, panel: LatentControls, acts: LatentActions, save_menu: Menu, seeds: SeedHighlight,
                 status: StatusLine, store: ViewStore, client: JobClient, models: ModelEvents, dialogs: Dialogs,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel, self.acts, self.seeds, self.status = panel, acts, seeds, status
        self.store, self.client, self.models, self.dialogs = store, client, models, dialogs
        self.active = 0
        self._gesture: int | None = None
        self._gesture_count = 0
        self._walk_timer = QTimer(self)
        self._walk_timer.setInterval(WALK_INTERVAL_MS)
        self._walk_timer.timeout.connect(self._on_walk_tick)
        self._walk: tuple[np.ndarray, np.ndarray, float] | None = None
        self._walk_id = 0
        self._walk_rng = np.random.default_rng()
        p, a = panel, acts
        p.seedChanged.connect(self.set_seed)
        p.activeAnchorChanged.connect(self.set_active)
        p.anchorWeightChanged.connect(self.set_weight)
        p.addAnchorRequested.connect(self.add_anchor)
        p.loadAnchorRequested.connect(lambda kind: self.load_anchor(kind))
        p.removeAnchorRequested.connect(self.remove_anchor)
        p.interpChanged.connect(lambda v: self._edit(dataclasses.replace(self.state, interp=v), "Blend mode"))
        p.psiChanged.connect(lambda v: self._edit(dataclasses.replace(self.state, psi=v), "Truncation ψ"))
        p.cutoffChanged.connect(lambda v: self._edit(dataclasses.replace(self.state, cutoff=v), "Cutoff"))
        p.animateToggled.connect(self.set_walking)
        p.saveLatentRequested.connect(lambda kind: self.save_latent(kind))
        p.editStarted.connect(self._on_edit_started)
        p.editFinished.connect(self._on_edit_finished)
        a.prev_seed.triggered.connect(lambda: self._step_seed(-1))
        a.next_seed.triggered.connect(lambda: self._step_seed(1))
        a.random_seed.triggered.connect(lambda: self.set_seed(int(self._walk_rng.integers(0, 100000))))
        a.random_walk.toggled.connect(self.set_walking)
        for kind, text in (("z", "z…"), ("w", "w…"), ("wplus", "W+ (per layer)…")):
            act = QAction(text, self)
            act.triggered.connect(lambda _=False, k=kind: self.save_latent(k))
            save_menu.addAction(act)
        store.changed.connect(self._on_store_changed)
        models.modelChanged.connect(self._on_model_changed)
        self._show(self.state)

    @property
    def state(self) -> ViewState:
        return self.store.state

    def active_anchor(self) -> Anchor:
        return self.state.anchors[min(self.active, len(self.state.anchors) - 1)]

    # ------------------------------------------------------------------ edits
    def _edit(self, new: ViewState, text: str) -> None:
        key = (text, self._gesture) if self._gesture is not None else None
        self.store.set(new, text, key)

    def _replace_anchor(self, index: int, anchor: Anchor, text: str) -> None:
        anchors = list(self.state.anchors)
        anchors[index] = anchor
        self._edit(dataclasses.replace(self.state, anchors=tuple(anchors)), text)

    def set_seed(self, seed: int) -> None:
        self._replace_anchor(min(self.active, len(self.state.anchors) - 1), Anchor(seed=int(seed)), f"Seed {seed}")

    def _step_seed(self, delta: int) -> None:
        seed = self.active_anchor().seed
        self.set_seed(min(max((seed if seed is not None else 0) + delta, 0), SEED_MAX))

    def set_active(self, index: int) -> None:
        self.active = min(max(index, 0), len(self.state.anchors) - 1)
        self._show(self.state)
        self._walk = None

    def set_weight(self, index: int, weight: float) -> None:
        weights = list(self.state.weights)
        weights[index] = min(max(float(weight), 0.0), 1.0)
        self._edit(dataclasses.replace(self.state, weights=tuple(weights)), "Blend weight")

    def add_anchor(self, anchor: Anchor | None = None, weight: float = 0.0) -> None:
        """Append an anchor (default: the next seed after the largest one) and make it active."""
        if anchor is None:
            seeds = [a.seed for a in self.state.anchors if a.seed is not None]
            anchor = Anchor(seed=min(max(seeds, default=-1) + 1, SEED_MAX))
        new = dataclasses.replace(self.state, anchors=(*self.state.anchors, anchor),
                                  weights=(*self.state.weights, weight))
        self.active = len(new.anchors) - 1
        self._edit(new, f"Add anchor {anchor.label()}")

    def remove_anchor(self, index: int) -> None:
        if len(self.state.anchors) <= 1:
            return
        anchors = self.state.anchors[:index] + self.state.anchors[index + 1:]
        weights = self.state.weights[:index] + self.state.weights[index + 1:]
        if not any(w > 0 for w in weights):
            weights = (1.0, *weights[1:])
        self.active = min(self.active if self.active < index else max(self.active - 1, 0), len(anchors) - 1)
        self._edit(dataclasses.replace(self.state, anchors=anchors, weights=weights), "Remove anchor")

    def _on_edit_started(self) -> None:
        self._gesture_count += 1
        self._gesture = self._gesture_count

    def _on_edit_finished(self) -> None:
        self._gesture = None

    # ------------------------------------------------------------------ files
    def load_anchor(self, kind: str, path: str = "") -> bool:
        """Add a z or w / W+ anchor from a .npy / .npz file (checked against the model's dimensions)."""
        path = path or self.dialogs.open_file(f"Load {kind} (.npy, .npz)", NPY_FILTER)
        if not path:
            return False
        try:
            anchor = self._anchor_from_file(kind, path)
        except (OSError, ValueError) as e:
            self.status.show_status(f"Cannot use {os.path.basename(path)}: {e}", error=True)
            self.dialogs.message("Cannot load latent", f"{os.path.basename(path)}: {e}", error=True)
            return False
        self.add_anchor(anchor)
        self.status.show_status(f"Added {kind} anchor from {os.path.basename(path)}; raise its weight to blend it in")
        return True

    def _anchor_from_file(self, kind: str, path: str) -> Anchor:
        a, stored = read_latent(path)
        if stored is not None and stored != kind:
            raise ValueError(f"it holds a {stored} (its .npz key), not a {kind}")
        info = self.models.info or {}
        z_dim, w_dim, num_ws = info.get("z_dim"), info.get("w_dim"), info.get("num_ws")
        while a.ndim > 1 and a.shape[0] == 1:
            a = a[0]
        if kind == "z":
            if a.ndim != 1 or (z_dim is not None and a.shape[0] != z_dim):
                raise ValueError(f"expected a z of {z_dim} values, got shape {list(a.shape)}")
            return Anchor(seed=None, z=FrozenArray(a))
        ok = a.shape in ((w_dim,), (num_ws, w_dim)) if w_dim is not None else a.ndim in (1, 2)
        if not ok:
            raise ValueError(f"expected w [{w_dim}] or W+ [{num_ws}, {w_dim}], got shape {list(a.shape)}")
        return Anchor(seed=None, w=FrozenArray(a))

    def current_z(self) -> np.ndarray:
        """The z that produces the current style, or ValueError when the style is a blend in W."""
        s = self.state
        mix = s.mix() or tuple(1.0 if i == 0 else 0.0 for i in range(len(s.anchors)))
        used = [i for i, m in enumerate(mix) if m > 0]
        z_dim = int((self.models.info or {}).get("z_dim", 0))
        zs = [anchor_z(s.anchors[i], z_dim) for i in used]
        if any(z is None for z in zs):
            raise ValueError("the current style uses a w anchor, which has no z; save w or W+ instead")
        if len(used) == 1:
            return zs[0]  # type: ignore[return-value]
        if len(used) == 2 and s.interp == "slerp-z":
            t = mix[used[1]] / (mix[used[0]] + mix[used[1]])
            return np.asarray(slerp(zs[0], zs[1], t), np.float32)  # type: ignore[arg-type]
        raise ValueError("the current style is a blend in W; save w or W+ instead")

    def save_latent(self, kind: str, path: str = "") -> None:
        """Save the current z, w or W+ as .npy or .npz (w / W+ are computed on the engine thread)."""
        if self.models.info is None:
            self.status.show_status("No model loaded", error=True)
            return
        if kind == "z":
            try:
                z = self.current_z()
            except ValueError as e:
                text = str(e)
                self.dialogs.message("Cannot save z", f"{text[:1].upper()}{text[1:]}.", error=True)
                return
        label = self.active_anchor().label().replace(" ", "")
        path = path or self.dialogs.save_file(f"Save {kind}", NPY_FILTER, f"{label}_{kind}.npy")
        if not path:
            return
        if kind == "z":
            self._write(path, z, "z")
            return
        self.client.submit(jobs.style_stack(self.state.style()),
                           functools.partial(self._on_stack_done, path=path, kind=kind))

    def _on_stack_done(self, result: JobResult, path: str, kind: str) -> None:
        if result.error is not None:
            self.dialogs.message("Cannot save latent", result.error, error=True)
            return
        stack = np.asarray(result.value, np.float32)
        if kind == "w":
            if not (stack == stack[:1]).all():
                self.dialogs.message("Cannot save w", "The style differs between layers (truncation cutoff); "
                                     "save W+ instead.", error=True)
                return
            if not path.lower().endswith(".npz"):  # .npz keeps the projector's [1, num_ws, w_dim] layout
                stack = stack[0]
        self._write(path, stack, kind)

    def _write(self, path: str, array: np.ndarray, kind: str) -> None:
        try:
            write_latent(path, array, kind)
        except OSError as e:
            self.dialogs.message("Cannot save latent", f"{path}: {e.strerror or e}", error=True)
            return
        self.status.show_status(f"Saved {os.path.basename(path)} {list(np.shape(array))}")

    # ------------------------------------------------------------------ random walk
    def set_walking(self, on: bool) -> None:
        if on and self.models.info is None:
            on = False
        self.panel.set_animating(on)
        self.acts.random_walk.setChecked(on)
        if on and not self._walk_timer.isActive():
            self._walk = None
            self._walk_id += 1  # one walk = one undo step
            self._walk_timer.start()
        elif not on:
            self._walk_timer.stop()

    def walking(self) -> bool:
        return self._walk_timer.isActive()

    def _on_walk_tick(self) -> None:
        z_dim = int((self.models.info or {}).get("z_dim", 0))
        if not z_dim:
            return
        if self._walk is None:
            start = anchor_z(self.active_anchor(), z_dim)
            if start is None:  # a w anchor: start from its seed-0 neighbourhood instead
                start = z_from_seed(0, z_dim)
            self._walk = (start, self._walk_rng.standard_normal(z_dim).astype(np.float32), 0.0)
        z0, z1, t = self._walk
        t += WALK_STEP
        if t >= 1.0:
            z0, z1, t = z1, self._walk_rng.standard_normal(z_dim).astype(np.float32), t - 1.0
        self._walk = (z0, z1, t)
        z = np.asarray(slerp(z0, z1, t), np.float32)
        anchors = list(self.state.anchors)
        anchors[min(self.active, len(anchors) - 1)] = Anchor(seed=None, z=FrozenArray(z))
        self.store.set(dataclasses.replace(self.state, anchors=tuple(anchors)), "Random walk",
                       ("walk", self._walk_id))

    # ------------------------------------------------------------------ display
    def _show(self, s: ViewState) -> None:
        self.active = min(self.active, len(s.anchors) - 1)
        active = s.anchors[self.active]
        labels = [a.label() for a in s.anchors]
        self.panel.set_latent(active.seed, labels, list(s.weights), self.active, s.interp, s.psi, s.cutoff)
        self.seeds.set_current(active.seed)

    def _on_store_changed(self, old: ViewState, new: ViewState) -> None:
        if (old.anchors, old.weights, old.interp, old.psi, old.cutoff) != (
                new.anchors, new.weights, new.interp, new.psi, new.cutoff):
            self._show(new)
        if (old.psi, old.cutoff) != (new.psi, new.cutoff):
            self.seeds.schedule_refresh()

    def _on_model_changed(self, info: dict[str, Any]) -> None:
        self.panel.set_num_layers(int(info.get("num_ws", 1)))
        s, dropped = self.state, []
        anchors = list(s.anchors)
        for i, a in enumerate(anchors):
            try:
                if a.z is not None and a.z.array.size != info.get("z_dim"):
                    raise ValueError
                if a.w is not None and a.w.shape not in ((info.get("w_dim"),), (info.get("num_ws"), info.get("w_dim"))):
                    raise ValueError
            except ValueError:
                anchors[i] = Anchor(seed=i)
                dropped.append(i + 1)
        cutoff = s.cutoff if s.cutoff is None or s.cutoff <= int(info.get("num_ws", 0)) else None
        new = dataclasses.replace(s, anchors=tuple(anchors), cutoff=cutoff)
        if new != s:
            self.store.replace(new)
        if dropped:
            self.status.show_status(f"Anchors {dropped} did not fit this model's latent size; replaced by seeds",
                                    error=True)
        self._show(self.state)
