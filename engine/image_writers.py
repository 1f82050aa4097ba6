"""Streaming, atomic image writers: rows go to a temporary file beside the target, renamed on success.

Memory stays bounded by one band of rows whatever the image size; an error or cancel removes the
temporary file and leaves an existing target untouched.
"""

from __future__ import annotations

import os
import struct
import tempfile
import zlib
from pathlib import Path
from types import TracebackType

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RECIPE_KEY = "inr-explorer-recipe"


class AtomicFile:
    """A temporary file in the target's directory that replaces the target on `commit`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.is_dir():
            raise OSError(f"{parent}: directory does not exist")
        if not os.access(parent, os.W_OK):
            raise PermissionError(f"{parent}: directory is not writable")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=parent)
        self.tmp = Path(tmp)
        self.file = os.fdopen(fd, "wb")

    def commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if not self.file.closed:
            self.file.close()
        self.tmp.unlink(missing_ok=True)


class ImageWriter:
    """Base: open with the full size, `write_rows` top to bottom, `close` (or use as a context manager)."""

    def __init__(self, path: str | Path, width: int, height: int, text: dict[str, str] | None = None) -> None:
        self.width, self.height, self.text = width, height, text or {}
        self.rows_written = 0
        self._out = AtomicFile(path)

    def write_rows(self, rows: np.ndarray) -> None:
        if rows.ndim != 3 or rows.shape[1:] != (self.width, 3):
            raise ValueError(f"rows: expected [n, {self.width}, 3], got {list(rows.shape)}")
        if self.rows_written + rows.shape[0] > self.height:
            raise ValueError("rows: more rows than the image height")
        self._write(rows)
        self.rows_written += rows.shape[0]

    def close(self) -> None:
        if self.rows_written != self.height:
            self.abort()
            raise ValueError(f"image incomplete: {self.rows_written} of {self.height} rows written")
        self._finish()
        self._out.commit()

    def abort(self) -> None:
        self._out.abort()

    def __enter__(self) -> ImageWriter:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if et is None:
            self.close()
        else:
            self.abort()

    def _write(self, rows: np.ndarray) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError


class PngWriter(ImageWriter):
    """Streaming RGB PNG, 8 or 16 bits per channel (rows as uint8 or uint16), text chunks first."""

    def __init__(self, path: str | Path, width: int, height: int, text: dict[str, str] | None = None,
                 bits: int = 8) -> None:
        super().__init__(path, width, height, text)
        if bits not in (8, 16):
            raise ValueError(f"bits: expected 8 or 16, got {bits}")
        self.bits = bits
        self._z = zlib.compressobj(6)
        f = self._out.file
        f.write(PNG_SIGNATURE)
        self._chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bits, 2, 0, 0, 0))
        for key, value in self.text.items():
            self._chunk(b"iTXt", key.encode("latin-1") + b"\0\0\0\0\0" + value.encode("utf-8"))

    def _chunk(self, kind: bytes, data: bytes) -> None:
        f = self._out.file
        f.write(struct.pack(">I", len(data)) + kind + data)
        f.write(struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    def _write(self, rows: np.ndarray) -> None:
        dtype = ">u2" if self.bits == 16 else np.uint8
        data = np.ascontiguousarray(rows.astype(dtype)).reshape(rows.shape[0], -1).view(np.uint8)
        raw = np.concatenate([np.zeros((rows.shape[0], 1), np.uint8), data], axis=1)  # filter 0 per row
        out = self._z.compress(raw.tobytes())
        if out:
            self._chunk(b"IDAT", out)

    def _finish(self) -> None:
        self._chunk(b"IDAT", self._z.flush())
        self._chunk(b"IEND", b"")


class TiffWriter(ImageWriter):
    """Streaming uncompressed RGB TIFF (8 bit): pixel data right after the header, the IFD written at the end.

    Classic TIFF has 32-bit offsets; an image whose data passes ``CLASSIC_MAX_BYTES`` is written as BigTIFF
    (version 43, 64-bit offsets), which libtiff, tifffile, GDAL and most viewers read. ``big`` forces either.
    """

    CLASSIC_MAX_BYTES = 2**32 - 2**20  # room for the IFD and description below the 4 GB offset limit

    def __init__(self, path: str | Path, width: int, height: int, text: dict[str, str] | None = None,
                 big: bool | None = None) -> None:
        super().__init__(path, width, height, text)
        self.big = width * height * 3 > self.CLASSIC_MAX_BYTES if big is None else big
        header = b"II+\0" + struct.pack("<HHQ", 8, 0, 0) if self.big else b"II*\0" + struct.pack("<I", 0)
        self._out.file.write(header)  # first-IFD offset patched in _finish

    def _write(self, rows: np.ndarray) -> None:
        self._out.file.write(np.ascontiguousarray(rows.astype(np.uint8)).tobytes())

    def _finish(self) -> None:
        f, big = self._out.file, self.big
        data_off, data_bytes = (16 if big else 8), self.width * self.height * 3
        offset_type, field = (16, 8) if big else (4, 4)  # LONG8 / LONG; bytes of an entry's value field
        desc = (self.text.get(RECIPE_KEY, "") + "\0").encode("utf-8")
        tags: list[tuple[int, int, list[int] | bytes]] = [  # (tag, type, values): ASCII 2, SHORT 3, LONG 4
            (256, 4, [self.width]), (257, 4, [self.height]), (258, 3, [8, 8, 8]), (259, 3, [1]), (262, 3, [2]),
            (270, 2, desc), (273, offset_type, [data_off]), (277, 3, [3]), (278, 4, [self.height]),
            (279, offset_type, [data_bytes]), (284, 3, [1]),
        ]
        extra, extra_off, entries = bytearray(), data_off + data_bytes, []
        for tag, typ, values in tags:
            payload = values if isinstance(values, bytes) else struct.pack(
                "<" + {3: "H", 4: "I", 16: "Q"}[typ] * len(values), *values)
            if len(payload) <= field:  # fits in the entry: stored inline, left-justified
                value = payload.ljust(field, b"\0")
            else:
                value = struct.pack("<Q" if big else "<I", extra_off + len(extra))
                extra += payload + b"\0" * (len(payload) & 1)
            entries.append(struct.pack("<HHQ" if big else "<HHI", tag, typ, len(values)) + value)
        f.write(bytes(extra))
        ifd_off = extra_off + len(extra)
        f.write(struct.pack("<Q" if big else "<H", len(entries)) + b"".join(entries))
        f.write(struct.pack("<Q" if big else "<I", 0))
        f.seek(8 if big else 4)
        f.write(struct.pack("<Q" if big else "<I", ifd_off))


def open_writer(path: str | Path, width: int, height: int, text: dict[str, str] | None = None,
                bits: int = 8) -> ImageWriter:
    """Writer by extension: .png (8/16 bit) or .tif/.tiff (8 bit)."""
    ext = Path(path).suffix.lower()
    if ext == ".png":
        return PngWriter(path, width, height, text, bits)
    if ext in (".tif", ".tiff"):
        if bits != 8:
            raise ValueError("bits: TIFF export writes 8 bits per channel")
        return TiffWriter(path, width, height, text)
    raise ValueError(f"out: unsupported image type {ext or '(none)'!r} (use .png or .tif)")
