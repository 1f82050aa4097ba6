"""The export formats, one table: what the writers write, the dialogs offer and the CLI accepts (numpy-free,
cheap to import from widgets)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageFormat:
    """One choice of the Export Image dialog: a file type at a depth (TIFF optionally with reduced levels)."""

    label: str
    suffix: str
    bits: int
    pyramid: bool = False


IMAGE_FORMATS = (
    ImageFormat("PNG, 8 bit per channel", ".png", 8),
    ImageFormat("PNG, 16 bit per channel", ".png", 16),
    ImageFormat("TIFF, 8 bit per channel (tiled, compressed)", ".tif", 8),
    ImageFormat("TIFF, 16 bit per channel (tiled, compressed)", ".tif", 16),
    ImageFormat("TIFF pyramid, 8 bit (reduced levels: opens in gigapixel viewers)", ".tif", 8, pyramid=True),
)
IMAGE_SUFFIXES = (".png", ".tif", ".tiff")  # what the tiled writers take (.tiff is .tif)
IMAGE_FILTER = "PNG images (*.png);;TIFF images (*.tif *.tiff)"


def image_kind(suffix: str) -> str:
    """".png" or ".tif" for a file suffix the writers take (any case), "" for others."""
    s = suffix.lower()
    return ".tif" if s == ".tiff" else s if s in IMAGE_SUFFIXES else ""


@dataclass(frozen=True)
class VideoFormat:
    """A video container and the encoder PyAV writes into it."""

    label: str
    suffix: str
    codec: str
    pix_fmt: str
    options: tuple[tuple[str, str], ...] = ()

    @property
    def kind(self) -> str:
        return self.suffix[1:]

    @property
    def filter(self) -> str:
        return f"{self.label.split(',')[0].split(' (')[0]} (*{self.suffix})"


VIDEO_FORMATS = (  # PyAV's wheels ship these encoders
    VideoFormat("MP4 video, H.264 (.mp4): plays in browsers and players", ".mp4", "libx264", "yuv420p",
                (("preset", "medium"),)),
    VideoFormat("WebM video, VP9 (.webm)", ".webm", "libvpx-vp9", "yuv420p", (("row-mt", "1"), ("b", "0"))),
    VideoFormat("Matroska video, H.264 (.mkv)", ".mkv", "libx264", "yuv420p", (("preset", "medium"),)),
    VideoFormat("AVI video, Motion JPEG (.avi)", ".avi", "mjpeg", "yuvj420p"),
)
PNG_SEQUENCE = ("PNG sequence (a folder of frames)", "png")  # the video dialog's last choice
DEFAULT_CRF = 18  # H.264 / VP9 quality: visually lossless at these sizes (lower is better; x264's default is 23)


def video_format(suffix: str) -> VideoFormat | None:
    return next((f for f in VIDEO_FORMATS if f.suffix == suffix.lower()), None)
