"""Layer viewer widget: options in, intents out, silent when state is pushed."""

from __future__ import annotations

from typing import Any

import numpy as np

from widgets.layer_viewer import LayerViewer


def test_layer_viewer_options_and_signals(qtbot: Any) -> None:
    v = LayerViewer()
    qtbot.addWidget(v)
    got: list[Any] = []
    v.layerChanged.connect(lambda name: got.append(("layer", name)))
    v.displayChanged.connect(lambda: got.append("display"))
    v.set_layers(["lff", "emb", "conv1"], "conv1")
    v.set_channel_count(4)
    assert got == [] and v.layer() == "conv1" and v.options() == ("rgb", (0, 1, 2), "channel")
    v._channels[2].setValue(9)  # clamped to the 4 channels
    v._mode.setCurrentIndex(1)
    assert v.options() == ("grey", (0,), "channel") and not v._channels[1].isVisibleTo(v)
    v._layer.setCurrentText("emb")
    assert got == ["display", "display", ("layer", "emb")]
    v.show_image(np.zeros((4, 6, 3), np.uint8))
    assert v.image().shape == (4, 6, 3)
