"""Our native format: a .safetensors file of the official state dict with the config in its metadata."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from engine.errors import CheckpointError, one_line
from engine.models.base import Generator

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


def load_native(path: Path, device: torch.device) -> Generator:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        meta = read_metadata(path)
        sd = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        msg = one_line(e)
        raise CheckpointError(f"{path}: corrupted .safetensors file ({msg[:200]})") from None
    family = meta.get("family", "")
    if meta.get("format") != FORMAT:
        # A plain safetensors state dict: accept it when it is a CIPS state dict.
        family = "cips" if "lff.ffm.conv.weight" in sd else ""
    if family.startswith("cips"):
        from engine.checkpoints.cips_pt import cips_from_object

        gen = cips_from_object(sd, path, device)
        gen.metadata = {k: v for k, v in meta.items()}
        return gen
    raise CheckpointError(f"{path}: unsupported family {family or 'unknown'!r} in .safetensors file")
