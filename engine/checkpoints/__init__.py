"""Format sniffing and SAFE loading of every supported checkpoint; nothing in a file is ever executed.

- official CIPS ``.pt``: a train.py dict (``g_ema`` is used) or a bare g_ema state dict (torch zip format),
  read with ``torch.load(weights_only=True)``;
- StyleGAN-family network pickles (INR-GAN, CREPS) through the allowlisting unpickler;
- our native ``.safetensors`` (config in its metadata), also used for the embedded default generator.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import CheckpointError

if TYPE_CHECKING:
    import torch

    from engine.models.base import Generator

DEFAULT_NAME = "default"


def default_path() -> Path:
    """The embedded default generator shipped in resources/."""
    from importlib.resources import files

    return Path(str(files("resources") / "default_generator.safetensors"))


def resolve_device(device: str | None) -> torch.device:
    """"auto" picks CUDA, then MPS, then CPU; an unavailable explicit device is a ValueError."""
    import torch

    name = (device or "auto").lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps is not None and mps.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device: CUDA is not available on this machine")
    try:
        return torch.device(name)
    except RuntimeError:
        raise ValueError(f"device: unknown device {device!r} (use cpu, cuda or auto)") from None


def available_devices() -> list[tuple[str, str]]:
    """(name for `resolve_device`, label) of every device this machine has: auto first, then each CUDA GPU,
    Apple's MPS, and the CPU."""
    import torch

    out = [("auto", "Auto (CUDA, then MPS, then CPU)")]
    if torch.cuda.is_available():
        n = torch.cuda.device_count()
        for i in range(n):
            out.append((f"cuda:{i}" if n > 1 else "cuda", f"CUDA: {torch.cuda.get_device_name(i)}"))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        out.append(("mps", "Apple GPU (MPS)"))
    out.append(("cpu", "CPU"))
    return out


def sniff(path: Path) -> str:
    """'torch-zip', 'safetensors', 'pickle' or 'unknown', from the first bytes of the file."""
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(b"PK\x03\x04"):
        return "torch-zip"
    if len(head) >= 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") < 100_000_000:
        return "safetensors"
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        return "pickle"
    return "unknown"


def load(path: str | Path, device: str | None = "cpu", **options: Any) -> Generator:
    """Load a generator from ``path`` (or "default"); raises CheckpointError with a one-line message."""
    p = default_path() if str(path) == DEFAULT_NAME else Path(path)
    if not p.exists():
        raise CheckpointError(f"{p}: no such file")
    if p.is_dir():
        raise CheckpointError(f"{p}: is a directory, not a checkpoint file")
    try:
        kind = sniff(p)
    except OSError as e:
        raise CheckpointError(f"{p}: cannot read ({e.strerror or e})") from None
    dev = resolve_device(device)
    if kind == "torch-zip":
        from engine.checkpoints.cips_pt import load_cips_pt

        return load_cips_pt(p, dev)
    if kind == "safetensors":
        from engine.checkpoints.native import load_native

        return load_native(p, dev)
    if kind == "pickle":
        from engine.checkpoints.snapshot import load_snapshot

        return load_snapshot(p, dev, **options)
    raise CheckpointError(
        f"{p}: not a supported checkpoint (expected a CIPS .pt, a network .pkl or a .safetensors file)"
    )
