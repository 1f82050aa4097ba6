"""Export dialog, video dialog, keyframe panel, progress window: views that only emit intents."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from widgets.export_dialog import ExportDialog, ImageExportOptions
from widgets.job_progress import JobProgressDialog
from widgets.job_status import JobStatusWidget
from widgets.keyframe_panel import KeyframePanel
from widgets.video_dialog import VideoDialog, VideoExportOptions


def _record(*signals: Any) -> list[Any]:
    out: list[Any] = []
    for s in signals:
        s.connect(lambda *a: out.append(a))
    return out


def test_export_dialog_presets_aspect_and_format(qtbot: Any) -> None:
    d = ExportDialog()
    qtbot.addWidget(d)
    asked = _record(d.exportRequested)
    d.set_view((300, 200), "centre (0, 0)")
    d.set_preset(8)
    assert (d.options().width, d.options().height) == (2400, 1600)
    d._width.setValue(16384)  # custom, aspect kept
    assert (d.options().width, d.options().height) == (16384, 10923) and d._preset.currentData() == 0
    d._keep.setChecked(False)
    d._height.setValue(20000)
    assert (d.options().width, d.options().height) == (16384, 20000)
    d.set_path("/tmp/out.png")
    d.set_format(".tif", 8)
    assert d.options().path == "/tmp/out.tif"
    d.set_path("/tmp/deep.png")
    d.set_format(".png", 16)
    qtbot.mouseClick(d.export_button, Qt.MouseButton.LeftButton)
    assert asked == [(ImageExportOptions("/tmp/deep.png", 16384, 20000, 16),)]
    d.set_seconds_per_pixel(1e-6)
    assert "min at the current speed" in d._estimate.text()
    d.set_path("")
    qtbot.mouseClick(d.export_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and "Choose a file" in d._error.text()


def test_video_dialog_counts_frames_and_switches_output(qtbot: Any) -> None:
    d = VideoDialog()
    qtbot.addWidget(d)
    asked = _record(d.exportRequested)
    d.set_values((101, 64), 3.0, 10.0, "linear")
    assert d.frames_text() == "31 frames" and (d.options().width, d.options().height) == (102, 64)
    d.set_path("/tmp/v.mp4")
    d._kind.setCurrentIndex(d._kind.findData("png"))
    assert d.options().path == "/tmp/v"
    d._kind.setCurrentIndex(d._kind.findData("avi"))
    qtbot.mouseClick(d.export_button, Qt.MouseButton.LeftButton)
    assert asked == [(VideoExportOptions("/tmp/v.avi", "avi", 102, 64, 10.0, 3.0, "linear"),)]
    # every container of the one format table is offered, and a typed name picks its own (not PNG frames)
    from engine.formats import VIDEO_FORMATS

    assert [d._kind.itemData(i) for i in range(d._kind.count())] == [f.kind for f in VIDEO_FORMATS] + ["png"]
    for f in VIDEO_FORMATS:
        d.set_path(f"/tmp/clip{f.suffix}")
        assert d.kind() == f.kind


def test_keyframe_panel_intents(qtbot: Any) -> None:
    p = KeyframePanel()
    qtbot.addWidget(p)
    got = _record(p.addRequested, p.removeRequested, p.moveRequested, p.timeEdited, p.activated)
    assert not p.export_button.isEnabled()
    p.set_keyframes([(0.0, "seed 0"), (2.0, "seed 1"), (4.0, "seed 2")], selected=1)
    assert got == [] and p.export_button.isEnabled() and p.selected_row() == 1
    qtbot.mouseClick(p.up_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(p.remove_button, Qt.MouseButton.LeftButton)
    p.time_box(2).setValue(5.5)
    qtbot.mouseClick(p.add_button, Qt.MouseButton.LeftButton)
    assert got == [(1, -1), (1,), (2, 5.5), ()]
    p.set_keyframes([(0.0, "a"), (1.0, "b")], selected=0)
    assert p.row_count() == 2 and not p.up_button.isEnabled() and p.down_button.isEnabled()


def test_progress_window_and_status(qtbot: Any) -> None:
    d = JobProgressDialog()
    s = JobStatusWidget()
    qtbot.addWidget(d)
    qtbot.addWidget(s)
    cancels = _record(d.cancelRequested, s.showRequested)
    d.start("Export Image", "Exporting x.png")
    s.start("Exporting")
    d.set_progress(0.425, "about 5 s left")
    s.set_fraction(0.425)
    assert d.fraction() == 0.425 and d.eta_text() == "42 % · about 5 s left" and s.text() == "Exporting 42 %"
    qtbot.mouseClick(s.button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(d.cancel_button, Qt.MouseButton.LeftButton)
    assert cancels == [(), ()] and not d.cancel_button.isEnabled()
