"""Export glue: File → Export Image (tiled, any size) and the one background export at a time (image or video)."""

from __future__ import annotations

import json
import os
import tempfile
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.bridge import export_jobs
from app.bridge.job_runner import JobRunner, format_eta
from app.state import session as sessions
from engine.formats import IMAGE_FILTER, image_kind
from engine.service import JobResult
from engine.types import ExportRequest

if TYPE_CHECKING:
    from collections.abc import Callable

    from app.bridge.jobs import Job
    from app.controllers.views import (
        Action,
        FrameSource,
        ImageExportForm,
        JobIndicator,
        ModelFacts,
        ProgressWindow,
        StatusLine,
    )
    from app.shell.dialogs import Dialogs
    from app.state.settings import Settings
    from app.state.view_state import ViewStore
    from engine.service import RenderService
    from engine.types import RenderRequest
    from widgets.export_dialog import ImageExportOptions



def writable_target(path: str) -> str:
    """'' when ``path`` can be written, else a one-line reason (checked on the GUI thread, before rendering).

    The folder is probed by creating and removing an empty file: permission bits alone say nothing for
    root, read-only mounts or immutable folders.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"The folder {folder} does not exist."
    if os.path.isdir(path):
        return f"{path} is a folder."
    try:
        fd, probe = tempfile.mkstemp(prefix=".inr-explorer-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        return f"The folder {folder} is read-only ({e.strerror or e})."
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return f"{path} exists and is read-only."
    return ""


def cluster_problem(address: str) -> str:
    """'' when exports can go to the Dask cluster ``address``, else what stops them (checked before starting)."""
    import importlib.util

    from engine.cluster import INSTALL_HINT, parse_address

    if importlib.util.find_spec("distributed") is None:
        return INSTALL_HINT + "."
    try:
        parse_address(address)
    except ValueError as e:
        return str(e)
    return ""


def explain(error: str) -> str:
    """A job's one-line error with what it means for the user in front."""
    low = error.lower()
    if "no space" in low or "not enough free space" in low:
        return f"The target disk is full.\n\n{error}"
    if "permission denied" in low or "read-only" in low or "not permitted" in low:
        return f"The target is read-only.\n\n{error}"
    return error


def describe_view(request: RenderRequest) -> str:
    """One line about the view being exported (camera and latent)."""
    c, s = request.camera, request.style
    anchors = ", ".join(a.label() for a in s.anchors[:3]) + ("…" if len(s.anchors) > 3 else "")
    extra = [f"ψ {s.psi:g}"] if s.psi != 1.0 else []
    if s.layer_table is not None:
        extra.append("per-layer mix")
    if s.masks is not None:
        extra.append("painted")
    if s.ablate:
        extra.append("no " + " / ".join(s.ablate))
    if c.projection == "cylinder":
        extra.append(f"cylinder strip, blend {100 * c.blend:g} %")
    elif c.projection != "plane":
        extra.append(c.projection)
    return (f"centre ({c.center[0]:+.3f}, {c.center[1]:+.3f}), zoom {c.zoom:.3g}, {c.rotation:.0f}° · "
            f"{anchors}" + (" · " + ", ".join(extra) if extra else ""))


class ExportController(QObject):
    """Owns the export dialog, the progress window and the status-bar indicator.

    Parameters
    ----------
    dialog, progress, indicator, action
        File → Export Image's dialog, the progress window, the status-bar indicator and File → Export Image.
    status, view, store
        The window's status line, the current view (request, last frame: its speed) and the view-state store
        (the editable state saved in the recipe).
    service, settings, models, dialogs
        The engine service (export jobs), user settings (cluster), the model facts, file pickers / messages.

    Signals
    -------
    exportFinished(result: JobResult)
        An export (image or video) ended, successfully or not.
    """

    exportFinished = Signal(object)

    def __init__(self, dialog: ImageExportForm, progress: ProgressWindow, indicator: JobIndicator, action: Action,
                 status: StatusLine, view: FrameSource, store: ViewStore, service: RenderService, settings: Settings,
                 models: ModelFacts, dialogs: Dialogs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialog, self.progress, self.indicator, self.status = dialog, progress, indicator, status
        self.view, self.store, self.settings, self.models, self.dialogs = view, store, settings, models, dialogs
        self.runner = JobRunner(service, self)
        self._request: RenderRequest | None = None
        self._last_dir = ""
        self._label = ""
        self.dialog.exportRequested.connect(self._on_dialog_export_requested)
        self.dialog.browseRequested.connect(self._on_dialog_browse_requested)
        self.progress.cancelRequested.connect(self.runner.cancel)
        self.indicator.showRequested.connect(self._show_progress)
        self.runner.progressChanged.connect(self._on_runner_progress)
        self.runner.started.connect(lambda: self.progress.set_progress(0.0, ""))
        action.triggered.connect(lambda: self.open_dialog())

    @property
    def busy(self) -> bool:
        return self.runner.busy

    # ------------------------------------------------------------------ image export
    def open_dialog(self, request: RenderRequest | None = None) -> None:
        """Show the dialog for the view as it is now (camera, latent, mixing, masks, ablations), or for
        ``request`` (the panorama strip)."""
        if self.models.info is None:
            self.status.show_status("No model loaded", error=True)
            return
        self._request = request or self.view.current_request()
        self.dialog.set_view(self._request.size, describe_view(self._request))
        self.dialog.set_cluster(self.settings.cluster, self.settings.export_on_cluster)
        if not self.dialog.options().path:
            folder = self._last_dir or os.getcwd()
            self.dialog.set_path(os.path.join(folder, "export.png"))
        final = self.view.last_final
        if final is not None and final[0].seconds > 0 and final[0].image is not None:
            h, w = final[0].image.shape[:2]
            self.dialog.set_seconds_per_pixel(final[0].seconds / (w * h))
        self.dialog.open()

    def _on_dialog_browse_requested(self, suggested: str) -> None:
        path = self.dialogs.save_file("Export image", IMAGE_FILTER, suggested)
        if path:
            self.dialog.set_path(path)

    def _on_dialog_export_requested(self, opts: ImageExportOptions) -> None:
        if self.export_image(opts):
            self.dialog.accept()

    def export_image(self, opts: ImageExportOptions, request: RenderRequest | None = None) -> bool:
        """Start exporting; False (with the reason shown in the dialog) when it cannot start."""
        request = request or self._request or self.view.current_request()
        path = os.path.abspath(opts.path)
        ext = image_kind(os.path.splitext(path)[1])
        problem = ""
        if not ext:
            problem = "Use a .png or .tif file name."
        elif ext == ".png" and opts.pyramid:
            problem = "Only TIFF exports have reduced levels; use a .tif file name."
        problem = problem or writable_target(path) or ("Another export is still running." if self.busy else "")
        if problem:
            self.dialog.set_error(problem)
            return False
        if opts.cluster:
            problem = cluster_problem(opts.cluster)
            if problem:
                self.dialog.set_error(problem)
                return False
            self.settings.cluster = opts.cluster
        self.settings.export_on_cluster = bool(opts.cluster)
        self._last_dir = os.path.dirname(path)
        size = (opts.width, opts.height)
        view = sessions.style_to_json(self.store.state)  # the editable state, for File → Open
        job = export_jobs.image_export(ExportRequest(request.style, size, path, request.camera, bits=opts.bits,
                                                     pyramid=opts.pyramid, recipe_extra=json.dumps({"view": view}),
                                                     cluster=opts.cluster))
        text = f"Exporting {os.path.basename(path)} ({size[0]} × {size[1]}, {opts.bits} bit" + \
            (", pyramid)" if opts.pyramid else ")") + (f" on the cluster {opts.cluster}" if opts.cluster else "")
        self.run(job, "Export Image", text, "Exporting", lambda r: self._on_image_done(r, path))
        return True

    def _on_image_done(self, result: JobResult, path: str) -> None:
        if result.cancelled:
            journal = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.journal")
            kept = " Finished bands are kept: exporting the same view again resumes." if os.path.isdir(journal) else ""
            self.status.show_status(f"Export cancelled; {os.path.basename(path)} was not written.{kept}")
        elif result.error is not None:
            self.dialogs.message("Export failed", f"{os.path.basename(path)} was not written. "
                                 f"{explain(result.error)}", error=True)
            self.status.show_status(f"Export failed: {result.error}", error=True)
        else:
            self.status.show_status(f"Exported {path}")

    # ------------------------------------------------------------------ any export job
    def run(self, job: Job, title: str, text: str, label: str, on_done: Callable[[JobResult], None]) -> bool:
        """Run one export job with the progress window and the status-bar indicator."""
        if self.busy:
            self.dialogs.message(title, "Another export is still running; wait for it or cancel it.", error=True)
            return False
        self._label = label
        self.progress.start(title, text)
        self.indicator.start(label)
        self.runner.start(job, lambda r: self._on_job_done(r, on_done))
        self._show_progress()
        return True

    def cancel(self) -> None:
        self.runner.cancel()

    def _show_progress(self) -> None:
        if self.busy:
            self.progress.show()
            self.progress.raise_()

    def _on_runner_progress(self, fraction: float, eta: float) -> None:
        self.progress.set_progress(fraction, format_eta(eta))
        self.indicator.set_fraction(fraction)

    def _on_job_done(self, result: JobResult, on_done: Callable[[JobResult], None]) -> None:
        self.progress.hide()
        self.indicator.finish()
        on_done(result)
        self.exportFinished.emit(result)
