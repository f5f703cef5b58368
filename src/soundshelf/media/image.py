"""Images: upright, metadata-free WebP derivatives and a blurhash placeholder.

Safety first, in this order: the type is sniffed and Pillow may only use that one
allow-listed decoder; the pixel count is checked against ``max_pixels`` from the header
(our own parser for PNG, GIF, WebP and JPEG, Pillow's header for HEIF/AVIF) before
anything is decoded; any decoder exception becomes ``UnsupportedMedia``.

Speed: JPEGs are decoded with ``draft()`` at the smallest DCT scale still at least as big
as the largest derivative, so a 24 MP photo decodes as ~1.5 MP. Derivatives are made
largest first, each from the previous one.

Privacy: derivatives are written from bare pixels; no EXIF (so no GPS), XMP or ICC profile
is ever passed to the encoder. Colour-managed sources are converted to sRGB instead.

The placeholder is a BlurHash (https://blurha.sh, our own encoder below): 4x3 components
for landscape, 3x4 for portrait, 28 characters.
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import ExifTags, Image, ImageOps, features

from soundshelf.media.errors import UnsupportedMedia
from soundshelf.media.files import sha256_file
from soundshelf.media.sniff import Sniffed, sniff_file

try:
    from pillow_heif import register_heif_opener
except ImportError:  # pragma: no cover - optional dependency
    HEIF_SUPPORTED = False
else:
    register_heif_opener()
    HEIF_SUPPORTED = True

AVIF_SUPPORTED = features.check("avif")

MAX_PIXELS = 100_000_000
# (name, long-side box), smallest first; "thumb" fits 200x200.
DERIVATIVES = (("thumb", 200), ("medium", 720), ("large", 1440))
DERIVATIVE_MIME = "image/webp"
WEBP_QUALITY = 80
# libwebp effort per derivative. Method 0 is 3-4x faster than 4 for files within a few
# percent of the size, which keeps a 24 MP photo near 150 ms (bench/bench_media.py);
# the thumbnail is tiny, so it gets the best effort.
WEBP_METHOD = {"thumb": 4, "medium": 0, "large": 0}
# A size less than this much bigger than the previous one is not worth its own file.
_REUSE_BELOW = 1.25
# A source at most this much bigger than a target is used as is (JPEG draft decoding
# lands a 24 MP photo at 1500x1000: that is the "~1440 px" derivative, no resize needed).
_CLOSE_ENOUGH = 1.1

DAMAGED = "The image is damaged and could not be decoded"

_PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/gif": "GIF",
    "image/heic": "HEIF",
    "image/heif": "HEIF",
    "image/avif": "AVIF",
}

# EXIF orientations that swap width and height.
_SWAPS_AXES = {5, 6, 7, 8}


@dataclass(frozen=True, slots=True)
class Derivative:
    """One WebP file in ``out_dir``; several names may share one (small originals)."""

    path: Path
    width: int
    height: int
    mime: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ImageResult:
    """``mime`` is the original's sniffed type; ``taken_at`` is EXIF DateTimeOriginal as
    an ISO string (with its offset when the camera recorded one); ``placeholder`` is a
    BlurHash; ``derivatives`` has "thumb", "medium" and "large"."""

    width: int
    height: int
    mime: str
    taken_at: str | None
    camera: str | None
    placeholder: str
    derivatives: dict[str, Derivative]


def process_image(path: Path, out_dir: Path, *, max_pixels: int = MAX_PIXELS) -> ImageResult:
    """Check, decode and describe an uploaded image; write derivatives into ``out_dir``.

    ``width``/``height`` are the original's as displayed (after EXIF orientation).
    Derivatives never upscale: a small original reuses a smaller derivative's file.
    """
    sniffed = sniff_file(path)
    pillow_format = _pillow_format(sniffed)
    header = header_size(path, sniffed.mime)
    if header is not None:
        _check_pixels(header, max_pixels)
    with _decoder_errors(max_pixels), _open(path, pillow_format) as img:
        _check_pixels(img.size, max_pixels)
        orientation, taken_at, camera = _metadata(img)
        width, height = img.size[::-1] if orientation in _SWAPS_AXES else img.size
        largest = _fit(img.size, DERIVATIVES[-1][1])  # in stored orientation, for draft()
        pixels = _decode(img, largest)
    out_dir.mkdir(parents=True, exist_ok=True)
    derivatives, smallest = _write_derivatives(pixels, (width, height), out_dir)
    placeholder = blurhash(smallest)
    return ImageResult(
        width=width,
        height=height,
        mime=sniffed.mime,
        taken_at=taken_at,
        camera=camera,
        placeholder=placeholder,
        derivatives=derivatives,
    )


# --- checks and decoding -------------------------------------------------------------


def _pillow_format(sniffed: Sniffed) -> str:
    if sniffed.kind != "image":
        raise UnsupportedMedia(
            f"This file is not a supported image format (looks like {sniffed.label})"
        )
    fmt = _PILLOW_FORMATS[sniffed.mime]
    if (fmt == "HEIF" and not HEIF_SUPPORTED) or (fmt == "AVIF" and not AVIF_SUPPORTED):
        raise UnsupportedMedia(f"{fmt} images are not supported on this server")
    return fmt


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise UnsupportedMedia(DAMAGED)
    if width * height > max_pixels:
        raise UnsupportedMedia(
            f"The image is too large: {width:,} \u00d7 {height:,} pixels "
            f"(limit {max_pixels / 1e6:g} megapixels)"
        )


@contextlib.contextmanager
def _open(path: Path, pillow_format: str) -> Iterator[Image.Image]:
    # Our own pixel check replaces Pillow's warning threshold (~89 MP), which would
    # otherwise undercut max_pixels; Pillow's hard error (2x that) stays as a backstop.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        img = Image.open(path, formats=[pillow_format])
    with img:
        yield img


@contextlib.contextmanager
def _decoder_errors(max_pixels: int) -> Iterator[None]:
    """Whatever a decoder raises on hostile or broken bytes becomes UnsupportedMedia."""
    try:
        yield
    except UnsupportedMedia:
        raise
    except Image.DecompressionBombError as exc:
        raise UnsupportedMedia(
            f"The image is too large (limit {max_pixels / 1e6:g} megapixels)"
        ) from exc
    except MemoryError:
        raise
    except Exception as exc:  # Pillow raises OSError, ValueError, SyntaxError, struct.error...
        raise UnsupportedMedia(DAMAGED) from exc


def _metadata(img: Image.Image) -> tuple[int, str | None, str | None]:
    """(EXIF orientation, taken_at, camera); a broken EXIF block just means none."""
    try:
        exif = img.getexif()
        orientation = exif.get(ExifTags.Base.Orientation, 1)
        return (
            orientation if isinstance(orientation, int) else 1,
            _taken_at(exif),
            _camera(exif),
        )
    except Exception:  # metadata is optional: never reject a viewable image over it
        return 1, None, None


def _taken_at(exif: Image.Exif) -> str | None:
    ifd = exif.get_ifd(ExifTags.IFD.Exif)
    raw = ifd.get(ExifTags.Base.DateTimeOriginal)
    if not isinstance(raw, str):
        return None
    try:
        taken = datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = ifd.get(ExifTags.Base.OffsetTimeOriginal)
    suffix = offset.strip("\x00 ") if isinstance(offset, str) else ""
    return taken.isoformat() + (suffix if re.fullmatch(r"[+-]\d\d:\d\d", suffix) else "")


def _camera(exif: Image.Exif) -> str | None:
    make, model = (_exif_text(exif.get(tag)) for tag in (ExifTags.Base.Make, ExifTags.Base.Model))
    # Many models repeat the make ("NIKON CORPORATION" / "NIKON D750").
    if make and model and model.lower().startswith(make.split()[0].lower()):
        return model
    return " ".join(part for part in (make, model) if part) or None


def _exif_text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(value.replace("\x00", " ").split())[:100] or None


def _decode(img: Image.Image, draft_size: tuple[int, int]) -> Image.Image:
    """Pixels upright, in sRGB, as RGB or RGBA (first frame of an animation)."""
    if img.format == "JPEG":
        img.draft("RGB", draft_size)  # DCT scaling: decode at 1/2, 1/4 or 1/8 size
    img.load()
    ImageOps.exif_transpose(img, in_place=True)
    icc = img.info.get("icc_profile")
    pixels = _to_srgb(img, icc) if icc else img
    return _rgb_or_rgba(pixels)


def _has_alpha(img: Image.Image) -> bool:
    return img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info


def _rgb_or_rgba(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):  # 16-bit/float greyscale PNG
        img = _to_8bit(img)
    mode = "RGBA" if _has_alpha(img) else "RGB"
    return img if img.mode == mode else img.convert(mode)


def _to_8bit(img: Image.Image) -> Image.Image:
    # Pillow's own conversion clips values above 255 instead of scaling them.
    values = np.asarray(img, dtype=np.float64)
    top = 1.0 if img.mode == "F" else (255.0 if values.max(initial=0) <= 255 else 65535.0)
    return Image.fromarray((values * (255.0 / top)).clip(0, 255).astype(np.uint8), "L")


def _to_srgb(img: Image.Image, icc: bytes) -> Image.Image:
    """Convert a colour-managed image to sRGB so the derivatives need no profile."""
    if img.mode not in ("RGB", "RGBA", "CMYK") or not features.check("littlecms2"):
        return img
    from PIL import ImageCms

    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(profile).lower():
            return img
        mode = "RGBA" if img.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(img, profile, _srgb_profile(), outputMode=mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return img  # a broken profile: show the pixels as they are


@lru_cache(maxsize=1)
def _srgb_profile() -> object:
    from PIL import ImageCms

    return ImageCms.createProfile("sRGB")


# --- derivatives ---------------------------------------------------------------------


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    """``size`` scaled to fit a ``box``-pixel square, never enlarged."""
    width, height = size
    scale = min(1.0, box / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def plan_derivatives(size: tuple[int, int]) -> dict[str, tuple[str, tuple[int, int]]]:
    """name -> (file it uses, its size). A size that would not be at least 25 % bigger
    than the previous derivative (the original is small) reuses that derivative."""
    plan: dict[str, tuple[str, tuple[int, int]]] = {}
    previous: tuple[str, tuple[int, int]] | None = None
    for name, box in DERIVATIVES:
        target = _fit(size, box)
        if previous and max(target) < max(previous[1]) * _REUSE_BELOW:
            plan[name] = previous
        else:
            plan[name] = previous = (name, target)
    return plan


def _write_derivatives(
    pixels: Image.Image, size: tuple[int, int], out_dir: Path
) -> tuple[dict[str, Derivative], Image.Image]:
    """The derivatives by name, and the smallest image (for the placeholder)."""
    plan = plan_derivatives(size)
    unique = sorted(set(plan.values()), key=lambda item: -max(item[1]))
    written: dict[str, Derivative] = {}
    source = pixels
    for name, target in unique:  # largest first, each resized from the previous
        close = max(target) <= max(source.size) <= max(target) * _CLOSE_ENOUGH
        image = source if close else _resize(source, target)
        written[name] = _save_webp(image, out_dir / f"{name}.webp", WEBP_METHOD[name])
        source = image
    return {name: written[file_name] for name, (file_name, _) in plan.items()}, source


def _resize(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    # An integer box reduction first, then Lanczos for the remainder: half the time of a
    # full Lanczos, and 46 dB PSNR against it on the benchmark photo (invisible).
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=1.0)


def _save_webp(img: Image.Image, path: Path, method: int) -> Derivative:
    img.info = {}  # belt and braces: the WebP encoder only writes what we pass: nothing
    img.save(path, "WEBP", quality=WEBP_QUALITY, method=method)
    return Derivative(
        path=path,
        width=img.width,
        height=img.height,
        mime=DERIVATIVE_MIME,
        size=path.stat().st_size,
        sha256=sha256_file(path),
    )


# --- header sizes (before Pillow parses anything) ---------------------------------------


def header_size(path: Path, mime: str) -> tuple[int, int] | None:
    """Width and height from the file header for PNG, GIF, WebP and JPEG, else None."""
    with path.open("rb") as fh:
        head = fh.read(32)
        if mime == "image/png" and head[12:16] == b"IHDR" and len(head) >= 24:
            return struct.unpack(">II", head[16:24])
        if mime == "image/gif" and len(head) >= 10:
            return struct.unpack("<HH", head[6:10])
        if mime == "image/webp":
            return _webp_size(head)
        if mime == "image/jpeg":
            return _jpeg_size(fh)
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:  # extended: 24-bit canvas size minus one
        return 1 + int.from_bytes(head[24:27], "little"), 1 + int.from_bytes(head[27:30], "little")
    if chunk == b"VP8 " and head[23:26] == b"\x9d\x01\x2a" and len(head) >= 30:  # lossy
        return (
            int.from_bytes(head[26:28], "little") & 0x3FFF,
            int.from_bytes(head[28:30], "little") & 0x3FFF,
        )
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:  # lossless: 14+14 bits
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


_JPEG_SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # frame headers, not DHT/JPG/DAC
_JPEG_MAX_SEGMENTS = 512


def _jpeg_size(fh: BinaryIO) -> tuple[int, int] | None:
    """Walk the marker segments to the first frame header (SOFn)."""
    fh.seek(2)
    for _ in range(_JPEG_MAX_SEGMENTS):
        prefix = fh.read(1)
        if prefix != b"\xff":
            return None
        marker = fh.read(1)
        while marker == b"\xff":  # fill bytes
            marker = fh.read(1)
        if not marker or marker[0] in (0xD9, 0xDA):  # end of image, start of scan
            return None
        if marker[0] == 0x01 or 0xD0 <= marker[0] <= 0xD8:  # no payload
            continue
        length_bytes = fh.read(2)
        if len(length_bytes) < 2:
            return None
        if marker[0] in _JPEG_SOF:
            frame = fh.read(5)  # precision, height, width
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return (width, height) if height else None  # 0: height comes later (DNL)
        fh.seek(int.from_bytes(length_bytes, "big") - 2, 1)
    return None


# --- BlurHash ------------------------------------------------------------------------

_BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
_SRGB_TO_LINEAR = np.array(
    [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in np.arange(256) / 255]
)


def blurhash(img: Image.Image, components: tuple[int, int] | None = None) -> str:
    """BlurHash of ``img`` (alpha is flattened onto white). Components default to 4x3
    for landscape and 3x4 for portrait."""
    if components is None:
        components = (4, 3) if img.width >= img.height else (3, 4)
    cx, cy = components
    small = _flatten(img)
    small.thumbnail((32, 32), Image.Resampling.BOX)  # the hash cannot hold more detail
    linear = _SRGB_TO_LINEAR[np.asarray(small)]  # (h, w, 3)
    height, width = linear.shape[:2]
    basis_x = np.cos(np.pi * np.outer(np.arange(cx), np.arange(width)) / width)
    basis_y = np.cos(np.pi * np.outer(np.arange(cy), np.arange(height)) / height)
    factors = np.einsum("jy,ix,yxc->jic", basis_y, basis_x, linear) * (2 / (width * height))
    factors[0, 0] /= 2  # the DC term is normalised by 1, the rest by 2
    dc, ac = factors[0, 0], factors.reshape(-1, 3)[1:]

    result = _base83(cx - 1 + (cy - 1) * 9, 1)
    if ac.size:
        quantised_max = int(max(0, min(82, np.floor(np.abs(ac).max() * 166 - 0.5))))
        maximum = (quantised_max + 1) / 166
    else:
        quantised_max, maximum = 0, 1.0
    result += _base83(quantised_max, 1)
    r, g, b = (_linear_to_srgb(v) for v in dc)
    result += _base83((r << 16) + (g << 8) + b, 4)
    for factor in ac:
        q = np.clip(np.floor(np.sign(factor) * np.abs(factor / maximum) ** 0.5 * 9 + 9.5), 0, 18)
        result += _base83(int(q[0] * 361 + q[1] * 19 + q[2]), 2)
    return result


def _flatten(img: Image.Image) -> Image.Image:
    if _has_alpha(img):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")


def _linear_to_srgb(value: float) -> int:
    v = min(1.0, max(0.0, float(value)))
    srgb = v * 12.92 if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055
    return int(srgb * 255 + 0.5)


def _base83(value: int, length: int) -> str:
    return "".join(_BASE83[(value // 83 ** (length - i)) % 83] for i in range(1, length + 1))
