"""Inert, bounds-checked decoders for values inside network pickles: numpy scalars/arrays, torch storages."""

from __future__ import annotations

import io
import pickle
import struct
from typing import Any, TypeGuard

import numpy as np
import torch

from engine.errors import CheckpointError

_TORCH_MAGIC = 0x1950A86A20F9469CFC6C


class Refused(Exception):
    """Raised inside an unpickler; the caller turns it into a CheckpointError naming the file."""


def is_int(v: Any) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)


# ----------------------------------------------------------------------------- numpy scalars and arrays
_NP_CODES = {"b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16"}
_NP_ALIASES = {"?": "b1", "b": "i1", "B": "u1", "h": "i2", "H": "u2", "i": "i4", "I": "u4", "l": "i8",
               "L": "u8", "q": "i8", "Q": "u8", "e": "f2", "f": "f4", "d": "f8", "F": "c8", "D": "c16"}


class NumpyDType:
    """``numpy.dtype(code, align, copy)`` + BUILD(state): a simple numeric dtype only."""

    def __init__(self, code: Any, align: Any = False, copy: Any = False) -> None:
        code = code.decode("ascii", "replace") if isinstance(code, bytes) else code
        code = _NP_ALIASES.get(code, code) if isinstance(code, str) else code
        if code not in _NP_CODES:
            raise Refused(f"refused numpy dtype {code!r} (only plain numeric dtypes are allowed)")
        self.code = code
        self.order = "<"

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) > 1 and state[1] in ("<", ">", "|", "="):
            self.order = "<" if state[1] in ("|", "=") else state[1]

    def numpy(self) -> np.dtype[Any]:
        return np.dtype(self.order + self.code)


def np_scalar(dtype: Any, data: Any = None) -> Any:
    if not isinstance(dtype, NumpyDType) or not isinstance(data, bytes):
        raise Refused("refused numpy scalar (object dtype or malformed)")
    dt = dtype.numpy()
    if len(data) != dt.itemsize:
        raise Refused("malformed numpy scalar")
    return np.frombuffer(data, dtype=dt)[0].item()


class NDArrayMarker:
    """Stand-in for the ``numpy.ndarray`` class passed to ``_reconstruct``."""


class NDArrayRecord:
    """``numpy.core.multiarray._reconstruct`` + BUILD((version, shape, dtype, fortran, raw bytes))."""

    def __init__(self, cls: Any = None, shape: Any = None, typecode: Any = None) -> None:
        if cls is not NDArrayMarker:
            raise Refused("refused numpy array subclass")
        self.array: np.ndarray[Any, Any] = np.zeros(0, np.float32)

    def __setstate__(self, state: Any) -> None:
        if not (isinstance(state, tuple) and len(state) == 5):
            raise Refused("malformed numpy array")
        _, shape, dtype, fortran, raw = state
        if not isinstance(dtype, NumpyDType) or not isinstance(raw, bytes):
            raise Refused("refused numpy array (object dtype or malformed)")
        if not (isinstance(shape, tuple) and all(isinstance(s, int) and s >= 0 for s in shape)):
            raise Refused("malformed numpy array shape")
        dt = dtype.numpy()
        n = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if n * dt.itemsize != len(raw):
            raise Refused("numpy array data does not match its shape")
        self.array = np.frombuffer(raw, dtype=dt).reshape(shape, order="F" if fortran else "C").copy()


# ----------------------------------------------------------------------------- torch storages and tensors
_STORAGE_DTYPES = {
    "FloatStorage": torch.float32, "DoubleStorage": torch.float64, "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16, "LongStorage": torch.int64, "IntStorage": torch.int32,
    "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
}


class _StorageType:
    def __init__(self, dtype: torch.dtype) -> None:
        self.dtype = dtype


class _StorageRef:
    def __init__(self, dtype: torch.dtype, key: str, numel: int) -> None:
        self.dtype, self.key, self.numel = dtype, key, numel


class _Storage:
    """Raw little-endian storage bytes inside the file; copied out only when a tensor is materialised."""

    def __init__(self, dtype: torch.dtype, blob: bytes, offset: int, numel: int) -> None:
        self.dtype, self.blob, self.offset, self.numel = dtype, blob, offset, numel
        self._tensor: torch.Tensor | None = None

    def tensor(self) -> torch.Tensor:
        if self._tensor is None:
            nbytes = self.numel * torch.empty(0, dtype=self.dtype).element_size()
            if self.numel == 0:
                self._tensor = torch.empty(0, dtype=self.dtype)
            else:
                buf = bytearray(memoryview(self.blob)[self.offset : self.offset + nbytes])
                self._tensor = torch.frombuffer(buf, dtype=self.dtype)
        return self._tensor


class LazyTensor:
    """A bounds-checked tensor view of a storage, copied out of the file on first `materialize()`."""

    def __init__(self, storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...]) -> None:
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride
        self._value: torch.Tensor | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.size

    def materialize(self) -> torch.Tensor:
        if self._value is None:
            base = self.storage.tensor()
            t = base.as_strided(self.size, self.stride, self.offset)
            numel = int(np.prod(self.size, dtype=np.int64)) if self.size else 1
            self._value = t.clone() if numel < self.storage.numel else t
            self.storage = None  # type: ignore[assignment]  # let the file bytes go
        return self._value

    def __repr__(self) -> str:
        return f"LazyTensor(size={list(self.size)}, dtype={self.storage.dtype if self.storage else '?'})"


def materialize(v: Any) -> torch.Tensor:
    if isinstance(v, LazyTensor):
        return v.materialize()
    if isinstance(v, torch.Tensor):
        return v
    raise CheckpointError(f"expected a tensor, found {type(v).__name__}")


class _BlobUnpickler(pickle.Unpickler):
    """The small pickles inside one legacy ``torch.save`` storage blob."""

    def find_class(self, module: str, name: str) -> Any:
        if module in ("torch", "torch.cuda") and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        raise Refused(f"refused global {module}.{name} inside a tensor storage")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"):
            raise Refused("malformed storage reference")
        _, stype, key, location, numel = pid[:5]
        if not (isinstance(stype, _StorageType) and isinstance(key, str) and isinstance(location, str)
                and isinstance(numel, int) and numel >= 0):
            raise Refused("malformed storage reference")
        if len(pid) == 6 and pid[5] is not None:
            raise Refused("storage views are not supported")
        return _StorageRef(stype.dtype, key, numel)


def load_from_bytes(blob: Any) -> _Storage:
    """Decode a legacy torch.save stream of one storage (any recorded device) to a CPU `_Storage`."""
    if not isinstance(blob, bytes):
        raise Refused("malformed tensor storage")
    f = io.BytesIO(blob)
    up = _BlobUnpickler(f)
    if up.load() != _TORCH_MAGIC or up.load() != 1001:
        raise Refused("tensor storage is not a torch.save stream")
    info = up.load()
    if not isinstance(info, dict) or info.get("little_endian") is not True:
        raise Refused("big-endian or malformed tensor storage")
    ref = up.load()
    keys = up.load()
    if not isinstance(ref, _StorageRef) or keys != [ref.key]:
        raise Refused("malformed tensor storage")
    head = f.read(8)
    if len(head) != 8 or struct.unpack("<q", head)[0] != ref.numel:
        raise Refused("tensor storage size does not match")
    esize = torch.empty(0, dtype=ref.dtype).element_size()
    if len(blob) - f.tell() < ref.numel * esize:
        raise Refused("truncated tensor storage")
    return _Storage(ref.dtype, blob, f.tell(), ref.numel)


def rebuild_tensor_v2(storage: Any, offset: Any, size: Any, stride: Any, *_: Any) -> LazyTensor:
    if not isinstance(storage, _Storage):
        raise Refused("malformed tensor (no storage)")
    ok = (is_int(offset) and offset >= 0 and isinstance(size, tuple) and isinstance(stride, tuple)
          and len(size) == len(stride) <= 32 and all(is_int(s) and s >= 0 for s in size + stride))
    if not ok:
        raise Refused("malformed tensor shape or stride")
    if all(s > 0 for s in size):
        last = offset + sum((s - 1) * st for s, st in zip(size, stride, strict=True))
        if last >= storage.numel:
            raise Refused(f"tensor of size {list(size)} does not fit its storage of {storage.numel} elements")
    return LazyTensor(storage, offset, size, stride)


def rebuild_parameter(data: Any, *_: Any) -> LazyTensor | torch.Tensor:
    if not isinstance(data, (LazyTensor, torch.Tensor)):
        raise Refused("malformed parameter")
    return data
