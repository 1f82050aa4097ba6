"""Session glue: save / open .json sessions, autosave with crash restore, and Save Image with its recipe."""

from __future__ import annotations

import json
import os
import shlex
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QGuiApplication, QImage

from app.controllers.model import DEFAULT
from app.shell.dialogs import PNG_FILTER, RECIPE_FILTER, SESSION_FILTER
from app.state import session as sessions
from app.state.settings import valid_device_name
from engine.image_writers import RECIPE_KEY, PngWriter
from engine.recipes import Recipe, RecipeError, read_recipe, recipe_doc
from engine.service import JobResult, render_job
from engine.types import Frame, RenderRequest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from app.controllers.views import ActiveAnchor, JobClient, ModelLoader, SessionActions, SessionView, WindowLayout
    from app.shell.dialogs import Dialogs
    from app.state.settings import AppPaths, Settings
    from app.state.view_state import ViewStore

AUTOSAVE_MS = 15_000


def _same(a: str, b: str) -> bool:
    """Whether two model paths name the same file ("default" compares as itself)."""
    if not a or not b:
        return False
    return a == b if DEFAULT in (a, b) else os.path.abspath(a) == os.path.abspath(b)


class SessionController(QObject):
    """Everything that writes or reads the user's work to or from files.

    Parameters
    ----------
    acts, shell
        File → Save / Open Session, Open Recipe, Save Image; the window's dock layout and status line.
    store, models, latent, view, client
        The view-state store, the model loader, the active anchor, the current view (request, last frame,
        display settings) and the render client (renders for Save Image).
    settings, paths, dialogs
        User settings, where the autosave lives, file pickers / messages.
    """

    def __init__(self, acts: SessionActions, shell: WindowLayout, store: ViewStore, models: ModelLoader,
                 latent: ActiveAnchor, view: SessionView, client: JobClient, settings: Settings, paths: AppPaths,
                 dialogs: Dialogs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.acts, self.shell, self.store, self.models, self.latent = acts, shell, store, models, latent
        self.view, self.client, self.settings, self.paths, self.dialogs = view, client, settings, paths, dialogs
        self._pending: sessions.Session | None = None
        self._expected_hash = ""
        self._opened_text = "Session opened"  # the status line once the pending session is applied
        self._autosaved: str | None = None
        # other controllers' parts of a session (keyframes, ...): fill a session on save, read it on open
        self.save_hooks: list[Callable[[sessions.Session], None]] = []
        self.apply_hooks: list[Callable[[sessions.Session], None]] = []
        self._timer = QTimer(self)
        self._timer.setInterval(AUTOSAVE_MS)
        self._timer.timeout.connect(self.autosave)
        self._timer.start()
        a = acts
        a.save_session.triggered.connect(lambda: self.save_session())
        a.open_session.triggered.connect(lambda: self.open_session())
        a.open_recipe.triggered.connect(lambda: self.open_recipe())
        a.save_image.triggered.connect(lambda: self.save_image())
        models.modelChanged.connect(self._on_model_changed)
        models.loadFailed.connect(self._on_model_load_failed)
        models.hashReady.connect(self._on_model_hash_ready)

    @property
    def autosave_file(self) -> Path:
        return self.paths.data_dir / "autosave.json"

    @property
    def lock_file(self) -> Path:
        return self.paths.data_dir / "running.lock"

    # ------------------------------------------------------------------ sessions
    def current_session(self) -> sessions.Session:
        session = sessions.Session(
            state=self.store.state, model_path=self.models.path, model_sha256=self.models.sha256,
            device=self.settings.device, active=self.latent.active, quality=self.settings.quality,
            overlay=self.settings.overlay, precision=self.settings.precision,
            window_state=bytes(self.shell.saveState().data()))
        for hook in self.save_hooks:
            hook(session)
        return session

    def save_session(self, path: str = "") -> bool:
        path = path or self.dialogs.save_file("Save session", SESSION_FILTER, "session.json")
        if not path:
            return False
        try:
            sessions.write_atomic(path, sessions.to_json(self.current_session()))
        except OSError as e:
            self.dialogs.message("Cannot save session", f"{path}: {e.strerror or e}", error=True)
            return False
        self.shell.show_status(f"Saved session {os.path.basename(path)}")
        return True

    def open_session(self, path: str = "") -> bool:
        """Open a session: load its model (if it differs) and then apply camera, anchors and panels."""
        path = path or self.dialogs.open_file("Open session", SESSION_FILTER)
        if not path:
            return False
        try:
            session = sessions.read(path)
        except sessions.SessionError as e:
            self.dialogs.message("Cannot open session", str(e), error=True)
            return False
        return self._open(session)

    def open_recipe(self, path: str = "") -> bool:
        """Open the recipe in an exported image or video: its model (by path, checked by hash), view, styles,
        painted masks and precision come back, with a message for whatever could not."""
        path = path or self.dialogs.open_file("Open the recipe of an image or video", RECIPE_FILTER)
        if not path:
            return False
        try:
            recipe = read_recipe(path)
        except RecipeError as e:
            self.dialogs.message("Cannot open recipe", str(e), error=True)
            return False
        return self._open(self._session_from_recipe(recipe), f"Opened the recipe of {os.path.basename(path)}")

    def _session_from_recipe(self, recipe: Recipe) -> sessions.Session:
        """A session holding what the recipe restores; the window's own quality, overlay and layout stay."""
        doc = {"format": sessions.FORMAT, "version": sessions.VERSION,
               "model": {"path": recipe.model_path, "sha256": recipe.model_sha256},
               "camera": sessions.camera_to_json(recipe.camera),
               "style": recipe.view or sessions.style_json_from_spec(recipe.style),
               "render": {"precision": recipe.precision}}
        session = sessions.from_json(json.dumps(doc))
        if recipe.view is None and recipe.style.masks is not None:
            session.warnings.append("The recipe's painted masks are rasters without the painting's tiles; "
                                    "they were not restored (main.py render --recipe renders them).")
        session.warnings[:0] = list(recipe.warnings)
        session.quality, session.overlay = self.settings.quality, self.settings.overlay
        return session

    def _open(self, session: sessions.Session, opened: str = "Session opened") -> bool:
        """Load the session's model when it differs from the loaded one, then apply the session."""
        self._opened_text = opened
        model = session.model_path
        model_file = model if model == DEFAULT else os.path.abspath(model) if model else ""
        if model and model != DEFAULT and not os.path.isfile(model):
            session.warnings.append(f"The session's model was not found ({model}); "
                                    "the view and latents open with the current model.")
            model_file = ""
        if model_file and self.models.loading and _same(model_file, self.models.loading_path):
            self._pending = session  # that model is on its way (e.g. restoring while starting up)
        elif model_file and not _same(model_file, self.models.path):
            self._pending = session
            self.models.load(model_file, session.device if valid_device_name(session.device) else None)
        else:
            self._expected_hash = session.model_sha256 if model_file else ""
            self.apply(session)
            if self._expected_hash and self.models.sha256:
                self._on_model_hash_ready(self.models.sha256)
        return True

    def apply(self, session: sessions.Session) -> None:
        self.store.replace(session.state, clear_undo=True)
        self.latent.set_active(session.active)
        self.view.set_quality(session.quality)
        self.view.set_overlay(session.overlay)
        self.view.set_precision(session.precision)
        if session.window_state:
            self.shell.restoreState(session.window_state)
        for hook in self.apply_hooks:
            hook(session)
        if session.warnings:
            self.dialogs.message("Session opened with warnings", "\n\n".join(session.warnings))
            self.shell.show_status(session.warnings[0], error=True)
        else:
            self.shell.show_status(self._opened_text)
        self._opened_text = "Session opened"

    def _on_model_changed(self, info: dict[str, Any]) -> None:
        if self._pending is not None:
            session, self._pending = self._pending, None
            self._expected_hash = session.model_sha256
            self.apply(session)

    def _on_model_load_failed(self, error: str) -> None:
        if self._pending is not None:
            session, self._pending = self._pending, None
            session.warnings.append(f"The session's model could not be loaded ({error}); "
                                    "the view and latents open with the current model.")
            self.apply(session)

    def _on_model_hash_ready(self, sha256: str) -> None:
        expected, self._expected_hash = self._expected_hash, ""
        if expected and expected != sha256:
            self.dialogs.message("Model file changed", "The model file differs from the one this session was "
                                 "saved with (SHA-256 mismatch); images may look different.")

    # ------------------------------------------------------------------ autosave / crash restore
    def start(self) -> None:
        """Offer to restore after a crash (the previous run left its lock), then mark this run."""
        crashed = self.lock_file.exists() and self.autosave_file.exists()
        try:
            self.paths.data_dir.mkdir(parents=True, exist_ok=True)
            self.lock_file.write_text(str(os.getpid()))
        except OSError:
            pass
        if crashed:
            self.dialogs.ask("Restore session?", "The explorer did not close normally last time.\n"
                             "Restore the automatically saved session?", self._on_restore_answered)

    def _on_restore_answered(self, yes: bool) -> None:
        if yes:
            self.open_session(str(self.autosave_file))

    def autosave(self) -> None:
        if self.models.info is None:
            return
        text = sessions.to_json(self.current_session())
        if text == self._autosaved:
            return
        try:
            sessions.write_atomic(self.autosave_file, text)
            self._autosaved = text
        except OSError:
            pass  # autosave is best effort; the user's own saves report errors

    def close(self) -> None:
        self._timer.stop()
        self.autosave()
        try:
            self.lock_file.unlink(missing_ok=True)
        except OSError:
            pass

    # ------------------------------------------------------------------ images
    def save_image(self, path: str = "") -> None:
        """Save the current view at its full render resolution (re-rendered unless the final frame is on screen)."""
        if self.models.info is None:
            self.shell.show_status("No model loaded", error=True)
            return
        request = self.view.current_request()
        label = self.latent.active_anchor().label().replace(" ", "")
        path = path or self.dialogs.save_file("Save image", PNG_FILTER, f"{label}.png")
        if not path:
            return
        if self.view.frame_matches_view() and self.view.last_final is not None:
            self._write_png(path, self.view.last_final[0], request)
            return
        w, h = request.size
        self.shell.show_status(f"Rendering {w} × {h} for saving…", timeout_ms=0)
        self.client.submit(render_job(request), lambda r: self._on_image_rendered(r, path, request))

    def _on_image_rendered(self, result: JobResult, path: str, request: RenderRequest) -> None:
        if result.error is not None or result.cancelled:
            self.dialogs.message("Cannot save image", result.error or "cancelled", error=True)
            return
        frame = result.value
        if not isinstance(frame, Frame) or frame.image is None:
            self.dialogs.message("Cannot save image", getattr(frame, "error", None) or "render failed", error=True)
            return
        self._write_png(path, frame, request)

    def copy_view(self) -> None:
        """Edit → Copy View: the picture on the canvas (the last finished frame) to the clipboard."""
        frame = self.view.last_final
        if frame is None or frame[0].image is None:
            self.shell.show_status("Nothing to copy yet", error=True)
            return
        a = np.ascontiguousarray(frame[0].image)
        h, w = a.shape[:2]
        QGuiApplication.clipboard().setImage(QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())
        self.shell.show_status(f"Copied the view ({w} × {h}) to the clipboard")

    def recipe(self, request: RenderRequest) -> dict[str, Any]:
        """The saved image's recipe (`engine.recipes`, the one schema), with the editable view for File → Open."""
        s = self.store.state
        model = {"path": self.models.path, "sha256": self.models.sha256,
                 "family": (self.models.info or {}).get("family")}
        used = self.view.last_final[0].extra.get("precision", "float32") if self.view.last_final else "float32"
        doc = recipe_doc(model, request.size, request.camera, request.style, view=sessions.style_to_json(s))
        doc["precision"] = used
        if len(s.anchors) == 1 and s.anchors[0].seed is not None:
            c = request.camera
            args = ["python", "main.py", "render", self.models.path, "--seed", str(s.anchors[0].seed),
                    "--psi", f"{s.psi:g}", "--size", str(request.size[0]), str(request.size[1]),
                    "--center", f"{c.center[0]:.9g}", f"{c.center[1]:.9g}", "--zoom", f"{c.zoom:.9g}",
                    "--rotate", f"{c.rotation:.9g}", "--out", "image.png"]
            if s.cutoff is not None:
                args[8:8] = ["--cutoff", str(s.cutoff)]
            doc["command"] = shlex.join(args)
        return doc

    def _write_png(self, path: str, frame: Frame, request: RenderRequest) -> None:
        assert frame.image is not None
        h, w = frame.image.shape[:2]
        text = {RECIPE_KEY: json.dumps(self.recipe(request)), "Software": "INR Explorer"}
        try:  # the engine's writer: atomic, and it keeps a long recipe (painted masks) readable
            with PngWriter(path, w, h, text) as png:
                png.write_rows(np.ascontiguousarray(frame.image))
        except (OSError, ValueError) as e:
            self.dialogs.message("Cannot save image", f"{path}: {getattr(e, 'strerror', None) or e}", error=True)
            return
        self.shell.show_status(f"Saved {os.path.basename(path)} ({w} × {h})")
