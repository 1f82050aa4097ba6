"""Latent files: z, w and W+ as .npy or .npz (the StyleGAN2-ADA / StyleGAN3 projector's ``projected_w.npz``).

numpy only (the GUI reads and writes latents without torch). Never unpickles: object arrays are refused.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

LATENT_SUFFIXES = (".npy", ".npz")
# keys the StyleGAN tools use, most specific first: projector "w", older "dlatents" / "ws", and "z"
NPZ_KEYS = ("w", "ws", "dlatents", "z")


def read_latent(path: str | os.PathLike[str]) -> tuple[np.ndarray, str | None]:
    """The array of a latent file as float32, and the kind its .npz key names ("z", "w" or None for .npy).

    Raises ValueError with a one-line reason (unreadable, not numeric, NaN, no latent key).
    """
    p = Path(path)
    try:
        data = np.load(p, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ValueError(f"cannot read it as .npy / .npz ({reason})") from None
    kind: str | None = None
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            keys = list(data.files)
            key = next((k for k in NPZ_KEYS if k in keys), keys[0] if len(keys) == 1 else None)
            if key is None:
                found = ", ".join(keys) or "none"
                raise ValueError(f"no latent in it: expected a key {' / '.join(NPZ_KEYS)}, found {found}")
            try:
                a = data[key]
            except ValueError as e:  # an object array (pickled): refused
                raise ValueError(f"key {key!r}: {str(e).splitlines()[0]}") from None
            kind = "z" if key == "z" else "w" if key in NPZ_KEYS else None
    else:
        a = data
    if not np.issubdtype(a.dtype, np.number) or a.size == 0:
        raise ValueError(f"not a numeric array (dtype {a.dtype}, shape {list(a.shape)})")
    a = a.astype(np.float32)
    if not np.isfinite(a).all():
        raise ValueError("contains NaN or infinite values")
    return a, kind


def write_latent(path: str | os.PathLike[str], array: np.ndarray, kind: str) -> None:
    """Save a z, w or W+ as .npy, or as .npz under the key the StyleGAN tools read: "z" [1, z_dim], or "w" in
    the projector's [1, num_ws, w_dim] layout (pass the W+ stack; a single w is stored as [1, 1, w_dim])."""
    a = np.asarray(array, np.float32)
    p = Path(path)
    if p.suffix.lower() == ".npz":
        if kind == "z":
            np.savez(p, z=a.reshape(1, -1))
        else:
            np.savez(p, w=a.reshape(1, -1, a.shape[-1]))
    else:
        np.save(p, a)
