"""The allowlisting network-pickle reader: real snapshots load bit-exactly, hostile or broken files are refused."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import pickletools
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.checkpoints.network_pickle import (
    PersistentRecord,
    is_network_pickle,
    load_network_pickle,
    to_plain,
)
from engine.errors import CheckpointError

MARKER = Path("/tmp/inr_explorer_pwned")
INRGAN = [
    ("inrgan_small.pkl", "small"),
    ("inrgan_small_cudacache.pkl", "small"),
    ("inrgan_bil_small.pkl", "bil_small"),
]


def _fresh_marker() -> None:
    if MARKER.exists():
        MARKER.unlink()


@pytest.mark.parametrize(("name", "ref"), INRGAN)
def test_inrgan_snapshots_load_exactly(fixtures: Path, name: str, ref: str) -> None:
    snap = load_network_pickle(fixtures / "inrgan" / name)
    assert set(snap) == {"training_set_kwargs", "G", "D", "G_ema", "augment_pipe"}
    assert snap["augment_pipe"] is None
    expected = json.loads((fixtures / "inrgan" / ref / "state_dict.json").read_text())
    for net in ("G_ema", "G", "D"):
        sd = snap[net].state_dict()
        assert [e["name"] for e in expected[net]] == list(sd), net
        for e in expected[net]:
            t = sd[e["name"]]
            assert list(t.shape) == e["shape"] and t.dtype == torch.float32
            assert t.double().sum().item() == pytest.approx(e["sum"], rel=1e-9, abs=1e-9)
            assert t.double().abs().sum().item() == pytest.approx(e["abs_sum"], rel=1e-9)
    g = snap["G_ema"]
    assert isinstance(g, PersistentRecord) and g.class_name == "Generator" and g.init_args == ()
    meta = json.loads((fixtures / "inrgan" / ref / "meta.json").read_text())
    assert g.init_kwargs == meta["G_init_kwargs"]
    assert "class SynthesisNetwork" in g.child("synthesis").module_src  # kept as text, never run
    extra = g.child("synthesis.b64.extra_convs")
    assert extra.class_name == "ModuleList" and list(extra.children) == ["0"]
    assert snap["training_set_kwargs"]["resolution"] == 64


def test_cuda_tagged_caches_decode_to_cpu(fixtures: Path) -> None:
    fuser = load_network_pickle(fixtures / "inrgan" / "inrgan_small_cudacache.pkl")["G_ema"].child(
        "synthesis.b16.coord_fuser"
    )
    cache = fuser.state["_fourier_embs_cache"]
    assert cache.materialize().device.type == "cpu"
    assert fuser.attr("fourier_scale") == pytest.approx(float(np.sqrt(10)), rel=0.2)  # numpy scalar -> float
    assert isinstance(fuser.attr("cfg"), dict)  # omegaconf DictConfig -> plain dict


def test_creps_snapshot_loads_exactly(fixtures: Path) -> None:
    snap = load_network_pickle(fixtures / "creps" / "creps_small.pkl")
    params = json.loads((fixtures / "creps" / "creps_small" / "params.json").read_text())["G_ema"]
    g = snap["G_ema"]
    assert g.init_kwargs == params["init_kwargs"]
    sd = g.state_dict()
    assert set(sd) == set(params["tensors"])
    for k, e in params["tensors"].items():
        assert hashlib.sha256(sd[k].contiguous().numpy().tobytes()).hexdigest() == e["sha256"], k
    assert g.child("synthesis.b4.input").class_name == "SynthesisInput"
    assert isinstance(snap["augment_pipe"], PersistentRecord)


@pytest.mark.parametrize("name", ["malicious_snapshot.pkl", "malicious_persistence_src.pkl"])
def test_hostile_files_are_refused_without_side_effects(fixtures: Path, name: str) -> None:
    _fresh_marker()
    with pytest.raises(CheckpointError) as e:
        load_network_pickle(fixtures / "security" / name)
    assert not MARKER.exists()
    assert "\n" not in str(e.value) and name in str(e.value)
    if name == "malicious_snapshot.pkl":
        assert "refused global posix.system" in str(e.value)


class _Evil:
    def __init__(self, func: object, arg: object) -> None:
        self.func, self.arg = func, arg

    def __reduce__(self) -> tuple[object, tuple[object]]:
        return (self.func, (self.arg,))


@pytest.mark.parametrize(
    ("func", "arg", "shown"),
    [(os.system, "touch /tmp/inr_explorer_pwned", "system"), (eval, "1", "builtins.eval"),
     (__import__("subprocess").Popen, ["true"], "subprocess.Popen")],
)
def test_dangerous_globals_are_refused(tmp_path: Path, func: object, arg: object, shown: str) -> None:
    _fresh_marker()
    f = tmp_path / "evil.pkl"
    f.write_bytes(pickle.dumps({"G_ema": _Evil(func, arg)}, protocol=4))  # dumps only; never loaded by pickle
    with pytest.raises(CheckpointError, match=f"refused global .*{shown}"):
        load_network_pickle(f)
    assert not MARKER.exists()


@pytest.mark.parametrize("frac", [0.0, 0.001, 0.3, 0.5, 0.999])
def test_truncated_files_raise_checkpoint_error(fixtures: Path, tmp_path: Path, frac: float) -> None:
    data = (fixtures / "inrgan" / "inrgan_small.pkl").read_bytes()
    f = tmp_path / "cut.pkl"
    f.write_bytes(data[: int(len(data) * frac)])
    with pytest.raises(CheckpointError) as e:
        load_network_pickle(f)
    assert "\n" not in str(e.value) and str(f) in str(e.value)


def test_flipped_opcodes_never_escape_as_other_errors(fixtures: Path, tmp_path: Path) -> None:
    data = bytearray((fixtures / "creps" / "creps_small.pkl").read_bytes())
    positions = [pos for _, _, pos in pickletools.genops(bytes(data))]
    rng = np.random.default_rng(0)
    f = tmp_path / "flip.pkl"
    for pos in rng.choice(positions, 25, replace=False):
        bad = bytearray(data)
        bad[int(pos)] ^= 0x5A
        f.write_bytes(bytes(bad))
        try:
            load_network_pickle(f)
        except CheckpointError:
            pass


def test_oversized_tensor_view_is_refused(fixtures: Path, tmp_path: Path) -> None:
    data = (fixtures / "creps" / "creps_small.pkl").read_bytes()
    # synthesis.b4.input.weight is [1, 32, 1, 16]: claim a far larger first dimension
    old = b"(K\x01K K\x01K\x10t"  # MARK, BININT1 1, 32, 1, 16, TUPLE
    assert data.count(old) >= 1
    f = tmp_path / "big.pkl"
    f.write_bytes(data.replace(old, b"(K\x09K K\x01K\x10t", 1))
    with pytest.raises(CheckpointError, match="does not fit its storage"):
        load_network_pickle(f)


def test_not_a_snapshot(tmp_path: Path) -> None:
    f = tmp_path / "plain.pkl"
    f.write_bytes(pickle.dumps({"G": 1}, protocol=4))
    with pytest.raises(CheckpointError, match="no G_ema"):
        load_network_pickle(f)
    f.write_bytes(b"hello world")
    with pytest.raises(CheckpointError, match="not a pickle"):
        load_network_pickle(f)


def test_numpy_values_are_decoded() -> None:
    from engine.checkpoints.network_pickle import _SnapshotUnpickler

    arr = np.arange(6, dtype=np.float32).reshape(2, 3)
    data = pickle.dumps({"a": arr, "s": np.float64(2.5), "i": np.int32(-3)}, protocol=4)
    out = to_plain(_SnapshotUnpickler(io.BytesIO(data)).load())
    np.testing.assert_array_equal(out["a"], arr)
    assert out["s"] == 2.5 and out["i"] == -3
    with pytest.raises(Exception, match="refused numpy dtype"):
        _SnapshotUnpickler(io.BytesIO(pickle.dumps(np.array([None, 1]), protocol=4))).load()


def test_sniff(fixtures: Path) -> None:
    assert is_network_pickle(fixtures / "inrgan" / "inrgan_small.pkl")
    assert is_network_pickle(fixtures / "creps" / "creps_small.pkl")
    assert not is_network_pickle(fixtures / "cips" / "cips_skip_32.pt")
    assert to_plain({"a": (1, [2])}) == {"a": (1, [2])}
