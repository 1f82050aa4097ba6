"""Streaming, atomic image writers: rows go to a temporary file beside the target, renamed on success.

Memory stays bounded by one band of rows whatever the image size; an error or cancel removes the
temporary file and leaves an existing target untouched.
"""

from __future__ import annotations

import contextlib
import os
import queue
import struct
import tempfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import numpy as np

from engine.formats import image_kind

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RECIPE_KEY = "inr-explorer-recipe"
# A recipe longer than TEXT_LIMIT (painted masks) goes whole into a private, zlib-compressed chunk, and the
# iTXt chunk keeps a summary without the big arrays: Pillow refuses text chunks over 1 MB, and would not open
# the image. Chunk name: ancillary, private, reserved bit clear, safe to copy.
RECIPE_CHUNK = b"inRe"
TEXT_LIMIT = 256 * 1024


class AtomicFile:
    """A temporary file in the target's directory that replaces the target on `commit`."""

    def __init__(self, path: str | Path, mode: str = "wb") -> None:
        self.path = Path(path)
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.is_dir():
            raise OSError(f"{parent}: directory does not exist")
        if not os.access(parent, os.W_OK):
            raise PermissionError(f"{parent}: directory is not writable")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=parent)
        self.tmp = Path(tmp)
        self.file = os.fdopen(fd, mode)

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
    """Streaming RGB PNG, 8 or 16 bits per channel (rows as uint8 or uint16), text chunks first, each row
    filtered (`filter_rows`) before deflate. No library streams PNG with bounded memory, hence this one."""

    def __init__(self, path: str | Path, width: int, height: int, text: dict[str, str] | None = None,
                 bits: int = 8) -> None:
        super().__init__(path, width, height, text)
        if bits not in (8, 16):
            raise ValueError(f"bits: expected 8 or 16, got {bits}")
        self.bits = bits
        self._prev = np.zeros(width * 3 * bits // 8, np.uint8)  # the row above the first is zeros
        self._z = zlib.compressobj(6)
        f = self._out.file
        f.write(PNG_SIGNATURE)
        self._chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bits, 2, 0, 0, 0))
        for key, value in self.text.items():
            if key == RECIPE_KEY and len(value) > TEXT_LIMIT:
                self._chunk(RECIPE_CHUNK, zlib.compress(value.encode("utf-8"), 6))
                value = recipe_summary(value)
            self._chunk(b"iTXt", key.encode("latin-1") + b"\0\0\0\0\0" + value.encode("utf-8"))

    def _chunk(self, kind: bytes, data: bytes) -> None:
        f = self._out.file
        f.write(struct.pack(">I", len(data)) + kind + data)
        f.write(struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    def _write(self, rows: np.ndarray) -> None:
        dtype = ">u2" if self.bits == 16 else np.uint8
        data = np.ascontiguousarray(rows.astype(dtype)).reshape(rows.shape[0], -1).view(np.uint8)
        raw = filter_rows(data, self._prev, 3 * self.bits // 8)
        self._prev = data[-1].copy()
        out = self._z.compress(raw.tobytes())
        if out:
            self._chunk(b"IDAT", out)

    def _finish(self) -> None:
        self._chunk(b"IDAT", self._z.flush())
        self._chunk(b"IEND", b"")


def recipe_summary(text: str) -> str:
    """A recipe without its big arrays (painted masks, the painting's tiles), for the PNG's text chunk."""
    import json

    doc = json.loads(text)
    if isinstance(doc.get("style"), dict) and doc["style"].get("masks") is not None:
        doc["style"] = {**doc["style"], "masks": "in the inRe chunk"}
    if isinstance(doc.get("view"), dict) and doc["view"].get("paint") is not None:
        doc["view"] = {**doc["view"], "paint": "in the inRe chunk"}
    doc["complete_recipe"] = "PNG chunk inRe (zlib-compressed JSON)"
    return json.dumps(doc)


def png_chunks(path: str | Path, kinds: tuple[bytes, ...]) -> Iterator[tuple[bytes, bytes]]:
    """(type, data) of a PNG's chunks of the given types, read without decoding the image."""
    with open(path, "rb") as f:
        if f.read(8) != PNG_SIGNATURE:
            raise ValueError("not a PNG file")
        while True:
            head = f.read(8)
            if len(head) < 8:
                return
            length, kind = struct.unpack(">I4s", head)
            if kind == b"IEND":
                return
            if kind in kinds:
                data = f.read(length)
                if len(data) < length:
                    raise ValueError("truncated PNG chunk")
                yield kind, data
                f.seek(4, 1)
            else:
                f.seek(length + 4, 1)


def filter_rows(data: np.ndarray, prev: np.ndarray, bpp: int) -> np.ndarray:
    """PNG scanline filtering of rows (uint8 [n, L], the row above them ``prev`` [L]) with ``bpp`` bytes per
    pixel: each row takes the filter (None, Sub, Up, Average, Paeth) whose output has the smallest sum of
    absolute signed bytes (the PNG spec's suggested heuristic); returns [n, 1 + L] with the type bytes."""
    x = data.astype(np.int16)
    b = np.concatenate([prev[None], data[:-1]]).astype(np.int16)  # above
    a = np.zeros_like(x)  # left
    a[:, bpp:] = x[:, :-bpp]
    c = np.zeros_like(x)  # above-left
    c[:, bpp:] = b[:, :-bpp]
    p = a + b - c
    pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - c)
    paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
    cands = np.stack([x, x - a, x - b, x - ((a + b) >> 1), x - paeth]) & 0xFF  # types 0..4, mod 256
    score = np.abs(((cands + 128) & 0xFF) - 128).sum(axis=2)  # [5, n]
    best = score.argmin(axis=0)
    out = np.empty((data.shape[0], data.shape[1] + 1), np.uint8)
    out[:, 0] = best
    out[:, 1:] = cands[best, np.arange(data.shape[0])]
    return out


class TiffWriter(ImageWriter):
    """Streaming tiled, deflate-compressed RGB TIFF (8 or 16 bit) through tifffile, optionally a pyramid.

    Rows arrive in bands; every `TILE` rows make one row of tiles, handed to tifffile (which writes tiles as
    an iterator yields them) on a writer thread through a queue of at most two tile rows, so memory stays
    bounded by a few tile rows whatever the size. BigTIFF (64-bit offsets) when the raw data could pass
    4 GB. ``pyramid``: reduced levels (each half the previous, 2 x 2 box filter, down to one tile) as
    SubIFDs of the first page, the layout viewers (QuPath, OpenSlide-style readers, GDAL overviews) open
    gigapixel images by; the levels are built while the rows stream, in a temporary memory-mapped file
    beside the target. The recipe is the ImageDescription.
    """

    TILE = 256
    CLASSIC_MAX_BYTES = 2**32 - 2**25  # below this much raw data a classic TIFF's 32-bit offsets suffice

    def __init__(self, path: str | Path, width: int, height: int, text: dict[str, str] | None = None,
                 bits: int = 8, pyramid: bool = False, compression_level: int = 6) -> None:
        import threading

        super().__init__(path, width, height, text)
        if bits not in (8, 16):
            raise ValueError(f"bits: expected 8 or 16, got {bits}")
        self.dtype = np.dtype(np.uint8 if bits == 8 else np.uint16)
        self.levels = pyramid_shapes(width, height, self.TILE) if pyramid else []
        raw = width * height * 3 * self.dtype.itemsize * (4 / 3 if pyramid else 1)
        self.big = raw > self.CLASSIC_MAX_BYTES
        self._strip = np.empty((0, width, 3), self.dtype)
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._reduced_rows = [0] * len(self.levels)
        self._carry: list[np.ndarray | None] = [None] * len(self.levels)
        self._level_offsets: list[int] = []  # where each level starts in the scratch file
        if self.levels:  # plain reads and writes, not a memmap: mapped pages would count as resident memory
            self._scratch = AtomicFile(self._out.path.with_name(self._out.path.name + ".levels"), "w+b")
            offset = 0
            for w, h in self.levels:
                self._level_offsets.append(offset)
                offset += h * w * 3 * self.dtype.itemsize
        self._thread = threading.Thread(target=self._run, args=(compression_level,), daemon=True,
                                        name="tiff-writer")
        self._thread.start()

    # ------------------------------------------------------------------ producer side (caller's thread)
    def _write(self, rows: np.ndarray) -> None:
        rows = np.ascontiguousarray(rows.astype(self.dtype))
        self._reduce(0, rows, self.rows_written + rows.shape[0] >= self.height)
        strip = np.concatenate([self._strip, rows]) if self._strip.size else rows
        while strip.shape[0] >= self.TILE:
            self._put(strip[:self.TILE])
            strip = strip[self.TILE:]
        self._strip = strip.copy()

    def _reduce(self, level: int, rows: np.ndarray, last: bool) -> None:
        """Feed ``rows`` of the level above into pyramid level ``level`` (2 x 2 means; an odd row waits for
        its pair, and the level above's ``last`` odd row pairs with itself)."""
        if level >= len(self.levels):
            return
        carry = self._carry[level]
        if carry is not None:
            rows = np.concatenate([carry, rows])
        pairs = rows.shape[0] // 2 * 2
        if last and pairs < rows.shape[0]:
            rows = np.concatenate([rows, rows[-1:]])
            pairs = rows.shape[0]
        self._carry[level] = rows[pairs:].copy() if pairs < rows.shape[0] else None
        if pairs == 0:
            return
        w, _ = self.levels[level]
        r = rows[:pairs].astype(np.float32)
        if r.shape[1] & 1:
            r = np.concatenate([r, r[:, -1:]], axis=1)
        small = (r[0::2, 0::2] + r[1::2, 0::2] + r[0::2, 1::2] + r[1::2, 1::2]) * 0.25
        small = np.clip(np.rint(small), 0, np.iinfo(self.dtype).max).astype(self.dtype)[:, :w]
        y0 = self._reduced_rows[level]
        self._scratch.file.seek(self._level_offsets[level] + y0 * w * 3 * self.dtype.itemsize)
        self._scratch.file.write(np.ascontiguousarray(small).tobytes())
        self._reduced_rows[level] += small.shape[0]
        self._reduce(level + 1, small, last)

    def _put(self, strip: np.ndarray | None) -> None:
        while True:
            if self._error is not None:
                raise OSError(f"{self._out.path}: {self._error}") from self._error
            try:
                self._queue.put(strip, timeout=0.5)
                return
            except queue.Full:  # the writer is busy: check its health and wait again
                if not self._thread.is_alive():
                    raise OSError(f"{self._out.path}: the TIFF writer stopped") from self._error

    def _finish(self) -> None:
        if self._strip.shape[0]:
            self._put(self._strip)
        self._put(None)
        self._thread.join()
        if self._error is not None:
            raise OSError(f"{self._out.path}: {self._error}") from self._error
        self._close_scratch()

    def abort(self) -> None:
        if self._thread.is_alive():
            self._error = self._error or RuntimeError("aborted")
            with contextlib.suppress(Exception):
                self._queue.put_nowait(None)
            self._thread.join(timeout=30)
        self._close_scratch()
        super().abort()

    def _close_scratch(self) -> None:
        if self.levels:
            self._scratch.abort()  # the levels were temporary: never renamed into place

    # ------------------------------------------------------------------ consumer side (writer thread)
    def _tiles(self) -> Iterator[np.ndarray]:
        t = self.TILE
        while True:
            strip = self._queue.get()
            if strip is None or self._error is not None:
                return
            for x0 in range(0, self.width, t):
                tile = strip[:, x0:x0 + t]
                if tile.shape[:2] != (t, t):
                    tile = np.pad(tile, ((0, t - tile.shape[0]), (0, t - tile.shape[1]), (0, 0)))
                yield tile

    def _level_tiles(self, level: int) -> Iterator[np.ndarray]:
        """The tiles of a reduced level, read back one row of tiles at a time (only the producer, who is
        done by now, wrote the scratch file)."""
        t, (w, h) = self.TILE, self.levels[level]
        row_bytes = w * 3 * self.dtype.itemsize
        f = self._scratch.file
        f.flush()
        for y0 in range(0, h, t):
            rows = min(t, h - y0)
            f.seek(self._level_offsets[level] + y0 * row_bytes)
            strip = np.frombuffer(f.read(rows * row_bytes), self.dtype).reshape(rows, w, 3)
            for x0 in range(0, w, t):
                tile = strip[:, x0:x0 + t]
                if tile.shape[:2] != (t, t):
                    tile = np.pad(tile, ((0, t - tile.shape[0]), (0, t - tile.shape[1]), (0, 0)))
                yield tile

    def _run(self, level: int) -> None:
        import tifffile

        try:
            opts = {"tile": (self.TILE, self.TILE), "photometric": "rgb", "compression": "zlib",
                    "compressionargs": {"level": level}, "predictor": True, "dtype": self.dtype,
                    "metadata": None}
            desc = self.text.get(RECIPE_KEY)
            # by path: tifffile wants a named file (the AtomicFile's handle is nameless); fsync at commit is
            # per inode, so it still covers what tifffile wrote
            with tifffile.TiffWriter(self._out.tmp, bigtiff=self.big) as tif:
                tif.write(self._tiles(), shape=(self.height, self.width, 3), description=desc,
                          subifds=len(self.levels) or None, **opts)
                if self._error is not None:
                    return
                for i, (w, h) in enumerate(self.levels):
                    tif.write(self._level_tiles(i), shape=(h, w, 3), subfiletype=1, **opts)
        except BaseException as e:  # reported to the producer, which raises it as an OSError
            self._error = e
            while True:  # drain, so a producer blocked on a full queue goes on (and sees the error)
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break


def pyramid_shapes(width: int, height: int, tile: int) -> list[tuple[int, int]]:
    """(width, height) of each reduced level: halved (rounded up) until it fits in one tile."""
    out = []
    while width > tile or height > tile:
        width, height = (width + 1) // 2, (height + 1) // 2
        out.append((width, height))
    return out


def open_writer(path: str | Path, width: int, height: int, text: dict[str, str] | None = None,
                bits: int = 8, pyramid: bool = False) -> ImageWriter:
    """Writer by extension: .png or .tif/.tiff, 8 or 16 bits per channel; ``pyramid`` (TIFF only) adds
    reduced levels."""
    kind = image_kind(Path(path).suffix)
    if kind == ".png":
        if pyramid:
            raise ValueError("pyramid: only TIFF exports have reduced levels (use .tif)")
        return PngWriter(path, width, height, text, bits)
    if kind == ".tif":
        return TiffWriter(path, width, height, text, bits, pyramid)
    raise ValueError(f"out: unsupported image type {Path(path).suffix or '(none)'!r} (use .png or .tif)")
