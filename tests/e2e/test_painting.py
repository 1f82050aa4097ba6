"""Style painting and per-layer mixing on the real window with a threaded engine, checked against engine renders."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from app.state.view_state import ViewState
from engine.coords import camera_grid, pixel_step
from engine.renderer import render_image, render_request, to_uint8
from engine.styles import base_style
from engine.types import Anchor, Camera, RenderRequest, StyleSpec
from tests.gui_support import CANVAS, GuiApp, send_mouse

WAIT = 30000
SKY, GROUND = Anchor(seed=3), Anchor(seed=8)
MIDDLE = Qt.MouseButton.MiddleButton


def wait_final(qtbot: Any, gui: GuiApp) -> None:
    qtbot.waitUntil(gui.view_is_final, timeout=WAIT)


def sky_and_ground(qtbot: Any, gui: GuiApp) -> np.ndarray:
    """Anchors seed 3 (the base style) and seed 8 (weight 0, to be painted); returns the frame (all seed 3)."""
    gui.controller.latent.set_seed(3)
    gui.controller.latent.add_anchor(GROUND)
    wait_final(qtbot, gui)
    return gui.frame().copy()


def stroke(gui: GuiApp, points: list[tuple[float, float]], button: Qt.MouseButton = Qt.MouseButton.LeftButton) -> None:
    canvas = gui.window.canvas
    send_mouse(canvas, "press", *points[0], button=button)
    for p in points[1:]:
        send_mouse(canvas, "move", *p, button=button)
    send_mouse(canvas, "release", *points[-1], button=button)


def only(anchor: Anchor) -> StyleSpec:
    return StyleSpec(anchors=(anchor,))


def test_brush_stroke_paints_the_anchor_and_undo_restores(qtbot: Any, gui: GuiApp, engine_g: Any) -> None:
    before = sky_and_ground(qtbot, gui)
    c, bar = gui.controller, gui.window.paint_toolbar
    bar.brush_action.trigger()  # B
    assert c.paint.tool == "paint" and gui.window.canvas.tool() == "paint" and c.paint.anchor == 1
    c.paint.set_brush(16, 1.0, 1.0)  # 16 px hard brush
    steps = c.store.undo_stack.count()
    stroke(gui, [(10, 20), (20, 20), (30, 21), (40, 20), (50, 20)])
    assert c.store.undo_stack.count() == steps + 1  # one stroke = one undo step
    assert c.store.state.camera == Camera()  # the drag painted instead of panning
    wait_final(qtbot, gui)
    after = gui.frame()
    spec = c.store.state.style()
    assert spec.masks is not None and np.array_equal(after, render_image(engine_g, spec, Camera(), (CANVAS, CANVAS)))
    ground = render_image(engine_g, only(GROUND), Camera(), (CANVAS, CANVAS))
    core = (slice(15, 26), slice(12, 49))  # inside the stroke: seed 8's pixels
    assert np.abs(after[core].astype(int) - ground[core]).max() <= 2
    assert np.abs(before[core].astype(int) - ground[core]).mean() > 20  # (the two seeds do differ there)
    outside = np.ones((CANVAS, CANVAS), bool)
    outside[8:33, 0:62] = False  # the stroke and its rim
    assert np.abs(after[outside].astype(int) - before[outside]).max() <= 1  # the rest stays seed 3
    gui.window.acts.undo.trigger()
    assert not c.store.state.painting
    wait_final(qtbot, gui)
    assert np.array_equal(gui.frame(), before)
    gui.window.acts.redo.trigger()
    wait_final(qtbot, gui)
    assert np.array_equal(gui.frame(), after)


def test_painted_blend_stays_on_the_content_when_panning(qtbot: Any, gui: GuiApp, engine_g: Any) -> None:
    sky_and_ground(qtbot, gui)
    c = gui.controller
    c.paint.set_tool("paint")
    c.paint.set_brush(20, 0.3, 1.0)  # feathered: the seam blends
    stroke(gui, [(20, 40), (44, 40)])
    wait_final(qtbot, gui)
    painted = gui.frame().copy()
    stroke(gui, [(40, 30), (50, 34)], button=MIDDLE)  # middle-drag pans, even with the brush
    step = pixel_step(Camera(), CANVAS, CANVAS)
    cam = c.store.state.camera
    assert np.allclose(cam.center, (-10 * step, -4 * step), atol=1e-12)
    wait_final(qtbot, gui)
    panned = gui.frame()
    assert np.array_equal(panned, render_image(engine_g, c.store.state.style(), cam, (CANVAS, CANVAS)))
    # the content and the painted seam moved 10 px right and 4 px down together
    assert np.abs(panned[4:, 10:].astype(int) - painted[:-4, :-10]).max() <= 1


def test_painted_view_exports_at_8x_with_the_seam_in_place(qtbot: Any, gui: GuiApp, engine_g: Any) -> None:
    """The StyleSpec the view hands to exports carries the masks: an 8x render blends at the same frame points."""
    sky_and_ground(qtbot, gui)
    c = gui.controller
    c.paint.set_tool("paint")
    c.paint.set_brush(24, 1.0, 1.0)
    stroke(gui, [(32, 32)])  # one dab in the middle: a disc of radius 12 px about the frame centre
    request = c.view.current_request()
    size = (CANVAS * 8, CANVAS * 8)
    band = (size[0] // 2 - 150, size[1] // 2, 300, 8)  # a strip across the disc: outside, inside, outside
    big = RenderRequest(request.style, request.camera, size, rect=band)
    frame = render_request(engine_g, big)
    assert frame.error is None and frame.image is not None
    ground = render_request(engine_g, RenderRequest(only(GROUND), request.camera, size, rect=band)).image
    sky = render_request(engine_g, RenderRequest(only(SKY), request.camera, size, rect=band)).image
    x = np.arange(band[2]) + band[0]
    r = np.abs(x - (size[0] - 1) / 2) * pixel_step(Camera(), *size) / pixel_step(Camera(), CANVAS, CANVAS)
    inside, outside = r < 11, r > 13  # in 1x canvas pixels from the centre
    img = frame.image.astype(int)
    assert np.abs(img[:, inside] - ground[:, inside]).max() <= 2
    assert np.abs(img[:, outside] - sky[:, outside]).max() <= 2


def test_mixing_table_drag_and_crossover_equal_the_w_plus(qtbot: Any, gui: GuiApp, engine_g: Any) -> None:
    sky_and_ground(qtbot, gui)
    c, grid = gui.controller, gui.window.mixing_table.grid
    gui.window.mixing_dock.show()
    assert c.mixing.num_layers == engine_g.num_ws and grid.table() == [[1.0, 0.0]] * engine_g.num_ws
    steps = c.store.undo_stack.count()
    a, b = grid.cell_rect(0, 1).center(), grid.cell_rect(4, 1).center()
    send_mouse(grid, "press", a.x(), a.y())
    send_mouse(grid, "move", b.x(), b.y())  # one fast move: every row in between fills too
    send_mouse(grid, "release", b.x(), b.y())
    assert c.store.undo_stack.count() == steps + 1 and gui.window.mixing_table.enabled()
    table = c.store.state.layer_table
    assert table is not None and [r.index(1.0) for r in table] == [1] * 5 + [0] * (engine_g.num_ws - 5)
    stacks, _ = base_style(engine_g, StyleSpec(anchors=(SKY, GROUND)))
    wplus = np.concatenate([stacks[1, :5], stacks[0, 5:]])
    grid_xy = camera_grid(Camera(), CANVAS, CANVAS)
    wait_final(qtbot, gui)
    assert np.array_equal(gui.frame(), to_uint8(engine_g.synthesis(wplus[None], grid=grid_xy)[0]))
    gui.window.mixing_table.crossoverRequested.emit(1, 0, 3)  # preset: coarse from seed 8, fine from seed 3
    wplus = np.concatenate([stacks[1, :3], stacks[0, 3:]])
    wait_final(qtbot, gui)
    assert np.array_equal(gui.frame(), to_uint8(engine_g.synthesis(wplus[None], grid=grid_xy)[0]))
    c.mixing.edit_cells([(0, 0, float("nan"))])
    assert "NaN" in gui.window.statusBar().currentMessage() and c.store.state.layer_table[0] == (0.0, 1.0)
    c.mixing.set_enabled(False)
    gui.window.acts.undo.trigger()
    gui.window.acts.undo.trigger()
    assert [r.index(1.0) for r in c.store.state.layer_table] == [1] * 5 + [0] * (engine_g.num_ws - 5)


def test_removing_an_anchor_takes_its_masks_and_column(qtbot: Any, gui: GuiApp) -> None:
    sky_and_ground(qtbot, gui)
    c = gui.controller
    c.latent.add_anchor(Anchor(seed=11))
    c.paint.set_tool("paint")
    stroke(gui, [(16, 16)])  # paints anchor 3 (the newest)
    c.mixing.crossover(0, 2, 4)
    full = c.store.state
    gui.window.latent_panel.removeAnchorRequested.emit(1)  # seed 8 goes
    s = c.store.state
    assert [a.seed for a in s.anchors] == [3, 11] and s.painting.keys() == [(1, None)]
    assert s.layer_table is not None and all(r == ((1.0, 0.0) if i < 4 else (0.0, 1.0))
                                             for i, r in enumerate(s.layer_table))
    gui.window.acts.undo.trigger()
    assert c.store.state == full


def test_masks_travel_in_sessions_and_the_png_recipe(qtbot: Any, gui: GuiApp, tmp_path: Path, engine_g: Any) -> None:
    sky_and_ground(qtbot, gui)
    c = gui.controller
    c.paint.set_tool("paint")
    stroke(gui, [(20, 20), (40, 44)])
    c.mixing.crossover(0, 1, 6)
    painted = c.store.state
    assert c.sessions.save_session(str(tmp_path / "s.json"))
    c.paint.run_command("clear-all")
    c.mixing.set_enabled(False)
    assert not c.store.state.painting
    assert c.sessions.open_session(str(tmp_path / "s.json"))
    assert c.store.state == painted
    out = tmp_path / "painted.png"
    c.sessions.save_image(str(out))
    qtbot.waitUntil(out.exists, timeout=WAIT)
    summary = json.loads(Image.open(out).text["inr-explorer-recipe"])  # Pillow opens it: the text stays short
    assert summary["view"]["paint"] == "in the inRe chunk" and len(summary["view"]["layer_table"]) == 13
    from engine.recipes import read_recipe_doc

    recipe = read_recipe_doc(out)  # the whole recipe, from the private chunk
    assert recipe["view"]["paint"]["layers"][0]["anchor"] == 1
    assert recipe["style"]["masks"] is not None  # the renderable form: main.py render --recipe paints too
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")),
                          render_image(engine_g, painted.style(), Camera(), (CANVAS, CANVAS)))
    c.store.set(ViewState(), "clear")  # File → Open Recipe brings the painted masks back, editable
    assert c.sessions.open_recipe(str(out))
    assert c.store.state == painted
    from cli import run_cli  # and the command line paints the same pixels from it

    assert run_cli(["render", "--recipe", str(out), "--out", str(tmp_path / "again.png")]) == 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "again.png")), np.asarray(Image.open(out).convert("RGB")))


def test_mask_tools_import_export_and_bad_files(qtbot: Any, gui: GuiApp, tmp_path: Path) -> None:
    sky_and_ground(qtbot, gui)
    c, d = gui.controller, gui.dialogs
    rgb = np.zeros((50, 70, 3), np.uint8)
    rgb[:25, ..., 2] = 255  # blue sky half: a colour image of another size
    Image.fromarray(rgb).save(tmp_path / "sky.png")
    d.open_answers.append(str(tmp_path / "sky.png"))
    c.paint.run_command("import")
    _, text, error = d.messages[-1]
    assert not error and "grey" in text and "resampled" in text
    assert c.store.state.painting.keys() == [(1, None)]
    c.paint.run_command("invert")
    c.paint.set_anchor(0)
    c.paint.run_command("fill")
    assert c.store.state.painting.keys() == [(0, None)]  # filling one anchor covers the others
    gui.window.acts.undo.trigger()
    d.save_answers.append(str(tmp_path / "out.png"))
    c.paint.run_command("export")
    assert (tmp_path / "out.png").exists()
    nan = np.full((4, 4), np.nan, np.float32)
    Image.fromarray(nan, "F").save(tmp_path / "nan.tif")
    state = c.store.state
    assert not c.paint.import_mask(str(tmp_path / "nan.tif"))
    assert d.messages[-1][2] and "NaN" in d.messages[-1][1] and c.store.state == state


def test_brush_keys_and_double_click(qtbot: Any, gui: GuiApp) -> None:
    c, canvas = gui.controller, gui.window.canvas
    canvas.setFocus()
    gui.window.paint_toolbar.brush_action.trigger()
    size, seed = c.paint.size, c.store.state.anchors[0].seed
    qtbot.keyClick(canvas, Qt.Key.Key_BracketRight)
    assert c.paint.size == size * 1.25 and c.store.state.anchors[0].seed == seed  # resized, not next seed
    qtbot.keyClick(canvas, Qt.Key.Key_BracketLeft)
    assert c.paint.size == size
    c.paint.set_anchor(0)
    send_mouse(canvas, "double", 30, 30)  # a dab, not a view reset
    send_mouse(canvas, "release", 30, 30)
    assert c.store.state.painting and c.store.state.camera == Camera()
    gui.window.paint_toolbar.brush_action.trigger()  # off again: drags pan, [ steps the seed
    assert canvas.tool() == "view"
    qtbot.keyClick(canvas, Qt.Key.Key_BracketRight)
    assert c.store.state.anchors[0].seed == seed + 1


def test_coarse_only_stroke_renders_the_w_plus_inside(qtbot: Any, gui: GuiApp, engine_g: Any) -> None:
    before = sky_and_ground(qtbot, gui)
    c, bar = gui.controller, gui.window.paint_toolbar
    c.paint.set_tool("paint")
    c.paint.set_brush(20, 1.0, 1.0)
    bar.layerRangeChanged.emit((0, 5))  # "Coarse layers" at crossover 5
    stroke(gui, [(12, 44), (52, 44)])
    spec = c.store.state.style()
    assert spec.mask_anchors == (1,) and spec.mask_layers == ((0, 5),)
    stacks, _ = base_style(engine_g, StyleSpec(anchors=(SKY, GROUND)))
    wplus = np.concatenate([stacks[1, :5], stacks[0, 5:]])
    mixed = to_uint8(engine_g.synthesis(wplus[None], grid=camera_grid(Camera(), CANVAS, CANVAS))[0])
    wait_final(qtbot, gui)
    after = gui.frame()
    core = (slice(38, 51), slice(14, 51))
    assert np.abs(after[core].astype(int) - mixed[core]).max() <= 2  # coarse from seed 8, fine from seed 3
    assert np.abs(after[:30].astype(int) - before[:30]).max() <= 1


def test_painting_while_a_render_is_in_flight_does_not_wait(qtbot: Any, gui: GuiApp, engine_g: Any) -> None:
    sky_and_ground(qtbot, gui)
    c = gui.controller
    release = threading.Event()
    done: list[Any] = []
    c.client.submit(lambda g, token, progress: release.wait(20), done.append)  # the engine thread is busy
    c.paint.set_tool("paint")
    t0 = time.perf_counter()
    stroke(gui, [(10, 10), (30, 20), (50, 30), (54, 50)])
    assert time.perf_counter() - t0 < 1.0 and c.store.state.painting
    qtbot.waitUntil(gui.window.canvas.has_mask_overlay, timeout=2000)  # overlay shows the stroke now
    assert not gui.view_is_final() and not done  # the render waits behind the job; the GUI did not
    release.set()
    wait_final(qtbot, gui)
    assert np.array_equal(gui.frame(), render_image(engine_g, c.store.state.style(), Camera(), (CANVAS, CANVAS)))
