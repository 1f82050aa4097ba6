"""Our native format: a .safetensors file of the official state dict with the config in its metadata."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from engine.errors import CheckpointError, one_line
from engine.models.base import Generator

if TYPE_CHECKING:
    from engine.models.cips import WrappedEmbedding

FORMAT = "inr-explorer/1"


def save_native(path: str | Path, state_dict: dict[str, torch.Tensor], family: str,
                extra: dict[str, Any] | None = None) -> None:
    """Write tensors + {format, family, extra as JSON} metadata (atomically: temp file then rename)."""
    from safetensors.torch import save_file

    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    meta = {"format": FORMAT, "family": family, "extra": json.dumps(extra or {})}
    save_file({k: v.detach().cpu().contiguous() for k, v in state_dict.items()}, str(tmp), metadata=meta)
    tmp.replace(path)


def read_metadata(path: str | Path) -> dict[str, str]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return dict(f.metadata() or {})


def _cips_extent(meta: dict[str, str], path: Path) -> tuple[WrappedEmbedding | None, int | None]:
    """(wrapped embedding, training frame side) from our metadata's extra record; (None, None) when absent."""
    from engine.models.cips import WrappedEmbedding

    try:
        extra = json.loads(meta.get("extra", "{}") or "{}")
        emb = extra.get("embedding") if isinstance(extra, dict) else None
        if emb is None:
            return None, None
        res = int(extra["resolution"])
        if not 1 <= res <= 1 << 16:
            raise ValueError(f"resolution {res}")
        return WrappedEmbedding.from_json(emb), res
    except (ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{path}: malformed embedding metadata ({one_line(e)[:200]})") from None


def load_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a .safetensors file on the CPU; CheckpointError when it cannot be read."""
    return _read(Path(path))[1]


def _read(path: Path) -> tuple[dict[str, str], dict[str, torch.Tensor]]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return read_metadata(path), load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        msg = one_line(e)
        raise CheckpointError(f"{path}: corrupted .safetensors file ({msg[:200]})") from None


def load_native(path: Path, device: torch.device) -> Generator:
    meta, sd = _read(path)
    family = meta.get("family", "")
    if meta.get("format") != FORMAT:
        # A plain safetensors state dict: accept it when it is a CIPS state dict.
        family = "cips" if "lff.ffm.conv.weight" in sd else ""
    if family.startswith("cips"):
        from engine.checkpoints.cips_pt import cips_from_object

        wrapped, resolution = _cips_extent(meta, path)
        gen = cips_from_object(sd, path, device, wrapped, resolution)
        if wrapped is not None and gen.period_x is None:
            raise CheckpointError(f"{path}: the metadata says the embedding wraps along x, but the Fourier "
                                  "x-frequencies are not whole multiples of 2 pi / period")
        gen.metadata = {k: v for k, v in meta.items()}
        return gen
    raise CheckpointError(f"{path}: unsupported family {family or 'unknown'!r} in .safetensors file")
