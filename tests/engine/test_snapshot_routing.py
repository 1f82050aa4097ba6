"""Snapshots of architectures we do not support are named in one line; nothing from them runs."""

from __future__ import annotations

import pickle
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from engine import CheckpointError, load_generator


def _persistent(class_name: str, modules: dict[str, Any], kwargs: dict[str, Any] | None = None) -> Any:
    """An object that pickles exactly like a torch_utils.persistence record (via a stand-in module)."""
    state = {"_parameters": {}, "_buffers": {}, "_modules": modules, "_init_args": (),
             "_init_kwargs": kwargs or {}, "training": False}
    meta = {"type": "class", "version": 6, "module_src": "raise SystemExit('never run me')",
            "class_name": class_name, "state": state}

    class Record:
        def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
            return _reconstruct_persistent_obj, (meta,)

    return Record()


def _reconstruct_persistent_obj(meta: Any) -> Any:  # stand-in, only used while pickling
    raise AssertionError("never called")


@pytest.fixture()
def fake_persistence(monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = types.ModuleType("torch_utils")
    mod = types.ModuleType("torch_utils.persistence")
    mod._reconstruct_persistent_obj = _reconstruct_persistent_obj  # type: ignore[attr-defined]
    _reconstruct_persistent_obj.__module__ = "torch_utils.persistence"
    monkeypatch.setitem(sys.modules, "torch_utils", pkg)
    monkeypatch.setitem(sys.modules, "torch_utils.persistence", mod)


def snapshot(path: Path, synthesis_children: dict[str, Any]) -> Path:
    g = _persistent("Generator", {
        "synthesis": _persistent("SynthesisNetwork", synthesis_children),
        "mapping": _persistent("MappingNetwork", {}),
    }, {"z_dim": 8, "w_dim": 8, "c_dim": 0, "img_resolution": 16, "img_channels": 3})
    path.write_bytes(pickle.dumps({"training_set_kwargs": {}, "G": g, "D": None, "G_ema": g,
                                   "augment_pipe": None}, protocol=4))
    return path


def test_stylegan2_snapshot_is_named(fake_persistence: None, tmp_path: Path) -> None:
    block = _persistent("SynthesisBlock", {"conv1": _persistent("SynthesisLayer", {})})
    f = snapshot(tmp_path / "sg2.pkl", {"b4": block})
    with pytest.raises(CheckpointError, match="StyleGAN2") as e:
        load_generator(str(f))
    assert "\n" not in str(e.value) and "sg2.pkl" in str(e.value)


def test_stylegan3_snapshot_is_named(fake_persistence: None, tmp_path: Path) -> None:
    f = snapshot(tmp_path / "sg3.pkl", {"input": _persistent("SynthesisInput", {}),
                                         "L0_36_512": _persistent("SynthesisLayer", {})})
    with pytest.raises(CheckpointError, match="StyleGAN3"):
        load_generator(str(f))


def test_snapshot_without_g_ema(tmp_path: Path) -> None:
    f = tmp_path / "noema.pkl"
    f.write_bytes(pickle.dumps({"G": None, "D": None}, protocol=4))
    with pytest.raises(CheckpointError, match="G_ema"):
        load_generator(str(f))


def test_protocol_0_pickle_is_not_a_checkpoint(tmp_path: Path) -> None:
    f = tmp_path / "old.pkl"
    f.write_bytes(pickle.dumps({"G_ema": 1}, protocol=0))
    with pytest.raises(CheckpointError, match="old.pkl"):
        load_generator(str(f))
