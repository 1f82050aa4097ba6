"""Keyframe glue: capture views into the keyframe list, keep it in sessions, export it as a video."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.bridge import export_jobs
from app.controllers.export import explain, writable_target
from app.shell.dialogs import SESSION_FILTER
from app.state import session as sessions
from app.state.keyframes import Keyframe, VideoSettings, describe, from_doc, to_doc, video_spec
from engine.formats import video_format
from engine.types import VideoRequest

if TYPE_CHECKING:
    from app.controllers.views import (
        Action,
        ExportRunner,
        KeyframeList,
        LoadedModel,
        RenderSource,
        SessionHooks,
        StatusLine,
        VideoExportForm,
    )
    from app.shell.dialogs import Dialogs
    from app.state.view_state import ViewStore
    from engine.service import JobResult
    from widgets.video_dialog import VideoExportOptions

DEFAULT_STEP = 2.0  # seconds between a new keyframe and the previous one


class KeyframeController(QObject):
    """Owns the keyframe list (times, cameras, full styles) and the video export of it.

    Parameters
    ----------
    panel, dialog, add_action, export_action
        The keyframe panel, File → Export Video's dialog, Add Keyframe and Export Video.
    status, store, view, models
        The window's status line, the view-state store, the current view and the loaded model (its path).
    session_hooks, exports, dialogs
        Where sessions keep the keyframes, the one background export at a time, file pickers / messages.

    Signals
    -------
    keyframesChanged()
        The list changed (added, removed, moved, retimed, loaded).
    """

    keyframesChanged = Signal()

    def __init__(self, panel: KeyframeList, dialog: VideoExportForm, add_action: Action, export_action: Action,
                 status: StatusLine, store: ViewStore, view: RenderSource, models: LoadedModel,
                 session_hooks: SessionHooks, exports: ExportRunner, dialogs: Dialogs,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel, self.dialog, self.status = panel, dialog, status
        self.store, self.view, self.models, self.exports, self.dialogs = store, view, models, exports, dialogs
        self.keyframes: list[Keyframe] = []
        self.video = VideoSettings()
        p = self.panel
        p.addRequested.connect(self.add)
        p.removeRequested.connect(self.remove)
        p.moveRequested.connect(self.move)
        p.timeEdited.connect(self.set_time)
        p.activated.connect(self.go_to)
        p.exportRequested.connect(self.open_video_dialog)
        p.saveRequested.connect(lambda: self.save_keyframes())
        add_action.triggered.connect(self.add)
        export_action.triggered.connect(self.open_video_dialog)
        self.dialog.exportRequested.connect(self._on_dialog_export_requested)
        self.dialog.browseRequested.connect(self._on_dialog_browse_requested)
        session_hooks.save_hooks.append(self._save_to_session)
        session_hooks.apply_hooks.append(self._load_from_session)

    # ------------------------------------------------------------------ list edits
    def add(self) -> None:
        """Capture the current camera and the full style the render path uses (mixing, masks included)."""
        if self.models.info is None:
            self.status.show_status("No model loaded", error=True)
            return
        req = self.view.current_request()
        t = self.keyframes[-1].time + DEFAULT_STEP if self.keyframes else 0.0
        self.keyframes.append(Keyframe(t, req.camera, req.style))
        if len(self.keyframes) == 1 and self.video.size is None:
            self.video = dataclasses.replace(self.video, size=req.size)
        self._changed(len(self.keyframes) - 1)
        self.status.show_status(f"Keyframe {len(self.keyframes)} at {t:g} s")

    def remove(self, row: int) -> None:
        if 0 <= row < len(self.keyframes):
            del self.keyframes[row]
            self._changed(min(row, len(self.keyframes) - 1))

    def move(self, row: int, delta: int) -> None:
        """Swap with a neighbour; the times stay in place, so the moved view takes the neighbour's time."""
        other = row + delta
        if not (0 <= row < len(self.keyframes) and 0 <= other < len(self.keyframes)):
            return
        a, b = self.keyframes[row], self.keyframes[other]
        self.keyframes[row] = dataclasses.replace(b, time=a.time)
        self.keyframes[other] = dataclasses.replace(a, time=b.time)
        self._changed(other)

    def set_time(self, row: int, seconds: float) -> None:
        if 0 <= row < len(self.keyframes):
            moved = dataclasses.replace(self.keyframes[row], time=max(0.0, seconds))
            self.keyframes[row] = moved
            self.keyframes.sort(key=lambda k: k.time)  # stable: equal times keep their order
            self._changed(self.keyframes.index(moved))

    def go_to(self, row: int) -> None:
        """Show a keyframe's view: its camera and latent (anchors, blend, ψ, ablations) as one undo step."""
        if not 0 <= row < len(self.keyframes):
            return
        k = self.keyframes[row]
        s = k.style
        weights = tuple(s.mix) if s.mix is not None else tuple(1.0 if i == 0 else 0.0 for i in range(len(s.anchors)))
        interp = s.interp if s.interp in ("lerp-w", "slerp-z") else "lerp-w"
        state = dataclasses.replace(self.store.state, camera=k.camera, anchors=s.anchors, weights=weights,
                                    interp=interp, psi=s.psi, cutoff=s.cutoff, ablate=s.ablate)
        self.store.set(state, f"Go to keyframe {row + 1}")
        if s.layer_table is not None or s.masks is not None:
            self.status.show_status("The keyframe's per-layer mixing and painting are in the video; the view "
                                    "shows its camera and anchors")

    def _changed(self, selected: int | None = None) -> None:
        self.panel.set_keyframes([(k.time, describe(k)) for k in self.keyframes], selected)
        self.keyframesChanged.emit()

    # ------------------------------------------------------------------ files and sessions
    def document(self, duration: float | None = None) -> dict[str, object]:
        return to_doc(self.keyframes, self.models.path or "default", self.video, duration)

    def set_document(self, doc: object) -> list[str]:
        """Replace the list from a keyframes document; returns warnings."""
        self.keyframes, self.video, warnings = from_doc(doc)
        self._changed(None)
        return warnings

    def save_keyframes(self, path: str = "") -> bool:
        if not self.keyframes:
            return False
        path = path or self.dialogs.save_file("Save keyframes", SESSION_FILTER, "keyframes.json")
        if not path:
            return False
        try:
            sessions.write_atomic(path, json.dumps(self.document(), indent=1))
        except OSError as e:
            self.dialogs.message("Cannot save keyframes", f"{path}: {e.strerror or e}", error=True)
            return False
        self.status.show_status(f"Saved keyframes to {os.path.basename(path)} (render: python main.py video "
                                f"{os.path.basename(path)} --out video.mp4)")
        return True

    def _save_to_session(self, session: sessions.Session) -> None:
        session.keyframes = self.document() if self.keyframes else None

    def _load_from_session(self, session: sessions.Session) -> None:
        session.warnings += self.set_document(session.keyframes) if session.keyframes else []
        if not session.keyframes:
            self.set_document({"keyframes": []})

    # ------------------------------------------------------------------ video
    def span(self) -> float:
        return self.keyframes[-1].time - self.keyframes[0].time if len(self.keyframes) >= 2 else 0.0

    def open_video_dialog(self) -> None:
        if len(self.keyframes) < 2:
            self.dialogs.message("Export Video", "Add at least two keyframes first (Add Keyframe, Ctrl+K).")
            return
        view_size = self.view.current_request().size
        self.dialog.set_values(view_size, self.span() or 1.0, self.video.fps, self.video.easing, self.video.size)
        if not self.dialog.options().path:
            self.dialog.set_path(os.path.join(os.getcwd(), "video.mp4"))
        self.dialog.open()

    def _on_dialog_browse_requested(self, suggested: str, kind: str) -> None:
        if kind == "png":
            path = self.dialogs.save_file("Folder for the PNG frames (created if missing)", "Folders (*)",
                                          suggested)
        else:
            fmt = video_format(f".{kind}")
            path = self.dialogs.save_file("Export video", fmt.filter if fmt else "", suggested)
        if path:
            self.dialog.set_path(path)

    def _on_dialog_export_requested(self, opts: VideoExportOptions) -> None:
        if self.export_video(opts):
            self.dialog.accept()

    def export_video(self, opts: VideoExportOptions) -> bool:
        """Start the video job; False (reason shown in the dialog) when it cannot start."""
        path = os.path.abspath(opts.path)
        if opts.kind != "png":
            path = os.path.splitext(path)[0] + f".{opts.kind}"
        if opts.kind != "png":
            problem = writable_target(path)
        elif os.path.isfile(path):
            problem = f"{path} is a file; PNG frames need a folder."
        else:  # an existing folder must take files; a new one is created in a writable parent
            problem = writable_target(os.path.join(path, "frame_00000.png") if os.path.isdir(path) else path)
        if len(self.keyframes) < 2:
            problem = "Add at least two keyframes."
        if problem or self.exports.busy:
            self.dialog.set_error(problem or "Another export is still running.")
            return False
        self.video = VideoSettings((opts.width, opts.height), opts.fps, opts.easing)
        try:
            spec = video_spec(self.keyframes, self.models.path or "default", self.video, (opts.width, opts.height),
                              opts.duration)
        except ValueError as e:
            self.dialog.set_error(str(e))
            return False
        text = (f"Rendering {spec.frame_count} frames of {opts.width} × {opts.height} to "
                f"{os.path.basename(path)}{'/' if opts.kind == 'png' else ''}")
        return self.exports.run(export_jobs.video_export(VideoRequest(spec, path)), "Export Video", text,
                                "Video", lambda r: self._on_video_done(r, path))

    def _on_video_done(self, result: JobResult, path: str) -> None:
        if result.cancelled:
            self.status.show_status("Video export cancelled; nothing was written")
        elif result.error is not None:
            self.dialogs.message("Video export failed", f"{path} was not written. {explain(result.error)}",
                                 error=True)
        else:
            self.status.show_status(f"Wrote {result.value['frames']} frames to {result.value['path']}")
