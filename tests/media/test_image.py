"""Images: orientation, metadata stripping, sizes, formats, bombs and broken files."""

from __future__ import annotations

import hashlib
import json
import math
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image, ImageCms, JpegImagePlugin

from soundshelf.media import image as image_module
from soundshelf.media.errors import UnsupportedMedia
from soundshelf.media.image import (
    AVIF_SUPPORTED,
    HEIF_SUPPORTED,
    ImageResult,
    blurhash,
    plan_derivatives,
    process_image,
)
from tests import mediagen

ROOT = Path(__file__).resolve().parents[2]


def is_red(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 170 and pixel[1] < 90 and pixel[2] < 90


def corner(img: Image.Image, where: str, inset: int = 3) -> tuple[int, ...]:
    x = inset if "left" in where else img.width - 1 - inset
    y = inset if "top" in where else img.height - 1 - inset
    return img.convert("RGB").getpixel((x, y))  # type: ignore[return-value]


def assert_no_metadata(path: Path) -> None:
    data = path.read_bytes()
    for marker in (b"EXIF", b"Exif", b"GPS", b"XMP", b"xmpmeta", b"ICCP"):
        assert marker not in data, f"{marker!r} found in {path.name}"
    with Image.open(path) as img:
        assert len(img.getexif()) == 0
        assert not {"exif", "xmp", "icc_profile"} & set(img.info)


# --- orientation and metadata ----------------------------------------------------------


def test_jpeg_is_turned_upright_and_stripped_of_metadata(tmp_path: Path) -> None:
    src = mediagen.make_jpeg(tmp_path / "photo.jpg", (300, 200), exif_orientation=6, gps=True)
    with Image.open(src) as original:  # the source really carries what must go
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert b"GPS" in src.read_bytes()

    result = process_image(src, tmp_path / "out")

    assert (result.width, result.height) == (200, 300)  # rotated 90° clockwise
    assert result.mime == "image/jpeg"
    assert result.taken_at == "2024-05-06T07:08:09"
    assert result.camera == "Canon EOS R5"  # the model already names the make
    for derivative in result.derivatives.values():
        assert_no_metadata(derivative.path)
        with Image.open(derivative.path) as img:
            assert img.format == "WEBP"
            assert derivative.mime == "image/webp"
            assert img.size == (derivative.width, derivative.height)
            assert img.height > img.width
            assert is_red(corner(img, "top right"))  # the stored top-left corner
            assert not is_red(corner(img, "top left"))
            assert not is_red(corner(img, "bottom right"))
        assert derivative.size == derivative.path.stat().st_size
        assert derivative.sha256 == hashlib.sha256(derivative.path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("orientation", "marker"),
    [
        (1, "top left"),
        (2, "top right"),
        (3, "bottom right"),
        (4, "bottom left"),
        (5, "top left"),
        (6, "top right"),
        (7, "bottom right"),
        (8, "bottom left"),
    ],
)
def test_every_exif_orientation(orientation: int, marker: str, tmp_path: Path) -> None:
    src = mediagen.make_jpeg(tmp_path / "o.jpg", (300, 200), exif_orientation=orientation)
    result = process_image(src, tmp_path / "out")
    swapped = orientation >= 5
    assert (result.width, result.height) == ((200, 300) if swapped else (300, 200))
    with Image.open(result.derivatives["thumb"].path) as thumb:
        assert is_red(corner(thumb, marker))
        others = {"top left", "top right", "bottom left", "bottom right"} - {marker}
        assert not any(is_red(corner(thumb, other)) for other in others)


def test_camera_and_date_are_optional(tmp_path: Path) -> None:
    src = mediagen.make_jpeg(
        tmp_path / "plain.jpg", exif_orientation=None, gps=False, camera=None, taken_at=None
    )
    result = process_image(src, tmp_path / "out")
    assert (result.taken_at, result.camera) == (None, None)


def test_camera_joins_make_and_model_and_bad_dates_are_ignored(tmp_path: Path) -> None:
    src = mediagen.make_jpeg(
        tmp_path / "p.jpg", camera=("Apple", "iPhone 15 Pro"), taken_at="0000:00:00 00:00:00"
    )
    result = process_image(src, tmp_path / "out")
    assert (result.camera, result.taken_at) == ("Apple iPhone 15 Pro", None)


# --- sizes -----------------------------------------------------------------------------


def test_big_jpeg_is_draft_decoded_to_three_sizes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drafts: list[tuple[int, int]] = []
    real_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int]):
        drafts.append(size)
        return real_draft(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    src = mediagen.make_jpeg(tmp_path / "big.jpg", (3000, 2000), exif_orientation=6)

    result = process_image(src, tmp_path / "out")

    assert drafts == [(1440, 960)]  # requested in stored orientation
    assert (result.width, result.height) == (2000, 3000)
    sizes = {name: (d.width, d.height) for name, d in result.derivatives.items()}
    assert sizes["thumb"] == (133, 200)
    assert sizes["medium"] == (480, 720)
    assert 1440 <= sizes["large"][1] <= 1584
    assert sizes["large"][0] < sizes["large"][1]
    assert len({d.path for d in result.derivatives.values()}) == 3
    with Image.open(result.derivatives["large"].path) as large:
        assert is_red(corner(large, "top right", inset=10))


def test_tiny_image_is_never_upscaled(tmp_path: Path) -> None:
    src = mediagen.make_png(tmp_path / "tiny.png", (50, 30))
    out = tmp_path / "out"
    result = process_image(src, out)
    assert {(d.width, d.height) for d in result.derivatives.values()} == {(50, 30)}
    assert len({d.path for d in result.derivatives.values()}) == 1
    assert [p.name for p in out.iterdir()] == ["thumb.webp"]


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((50, 30), {"thumb": ("thumb", (50, 30)), "medium": ("thumb", (50, 30))}),
        ((800, 600), {"medium": ("medium", (720, 540)), "large": ("medium", (720, 540))}),
        ((1000, 750), {"large": ("large", (1000, 750))}),
        ((6000, 4000), {"thumb": ("thumb", (200, 133)), "large": ("large", (1440, 960))}),
        ((4000, 6000), {"medium": ("medium", (480, 720))}),
        ((10_000, 10), {"thumb": ("thumb", (200, 1))}),
    ],
)
def test_plan_reuses_smaller_derivatives_instead_of_enlarging(
    size: tuple[int, int], expected: dict[str, tuple[str, tuple[int, int]]]
) -> None:
    plan = plan_derivatives(size)
    assert set(plan) == {"thumb", "medium", "large"}
    for name, entry in expected.items():
        assert plan[name] == entry
    for _, (width, height) in plan.values():
        assert width <= size[0]
        assert height <= size[1]


# --- formats ---------------------------------------------------------------------------


def test_png_with_alpha_keeps_transparency(tmp_path: Path) -> None:
    result = process_image(mediagen.make_png(tmp_path / "a.png", alpha=True), tmp_path / "out")
    with Image.open(result.derivatives["thumb"].path) as thumb:
        assert thumb.mode == "RGBA"
        left, right = thumb.getpixel((5, thumb.height // 2)), thumb.getpixel((thumb.width - 5, 60))
        assert left[3] == 255  # type: ignore[index]
        assert abs(right[3] - mediagen.ALPHA_RIGHT) < 10  # type: ignore[index]


def test_animated_gif_uses_the_first_frame(tmp_path: Path) -> None:
    result = process_image(mediagen.make_gif(tmp_path / "a.gif"), tmp_path / "out")
    assert (result.width, result.height, result.mime) == (160, 120, "image/gif")
    with Image.open(result.derivatives["thumb"].path) as thumb:
        assert getattr(thumb, "n_frames", 1) == 1
        assert is_red(corner(thumb, "top left"))  # later frames are plain grey


@pytest.mark.parametrize(
    ("maker", "mime", "supported"),
    [
        (mediagen.make_webp, "image/webp", True),
        (mediagen.make_heic, "image/heic", HEIF_SUPPORTED),
        (mediagen.make_avif, "image/avif", AVIF_SUPPORTED),
    ],
)
def test_modern_formats(
    maker: Callable[[Path], Path], mime: str, supported: bool, tmp_path: Path
) -> None:
    if not supported:
        pytest.skip(f"{mime} support is not installed")
    result = process_image(maker(tmp_path / "img"), tmp_path / "out")
    assert (result.width, result.height, result.mime) == (320, 240, mime)
    with Image.open(result.derivatives["thumb"].path) as thumb:
        assert thumb.size == (200, 150)
        assert is_red(corner(thumb, "top left"))


@pytest.mark.parametrize(
    ("maker", "supported"),
    [(mediagen.make_heic, HEIF_SUPPORTED), (mediagen.make_avif, AVIF_SUPPORTED)],
)
def test_heif_and_avif_orientation(
    maker: Callable[..., Path], supported: bool, tmp_path: Path
) -> None:
    if not supported:
        pytest.skip("format support is not installed")
    # pillow-heif applies the rotation itself and resets the tag; Pillow's AVIF keeps the
    # tag for us: either way the result must be turned exactly once.
    src = maker(tmp_path / "img", (300, 200), exif_orientation=6)
    result = process_image(src, tmp_path / "out")
    assert (result.width, result.height) == (200, 300)
    with Image.open(result.derivatives["thumb"].path) as thumb:
        assert is_red(corner(thumb, "top right"))
        assert not is_red(corner(thumb, "top left"))


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    src = tmp_path / "cmyk.jpg"
    mediagen.picture((200, 100)).convert("CMYK").save(src, "JPEG")
    result = process_image(src, tmp_path / "out")
    with Image.open(result.derivatives["thumb"].path) as thumb:
        assert thumb.mode == "RGB"
        assert is_red(corner(thumb, "top left"))


def test_16_bit_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    ramp = np.tile(np.linspace(0, 65535, 256, dtype=np.uint16), (64, 1))
    src = tmp_path / "deep.png"
    Image.fromarray(ramp).save(src)  # mode I;16
    result = process_image(src, tmp_path / "out")
    with Image.open(result.derivatives["thumb"].path) as thumb:
        grey = np.asarray(thumb.convert("L"), dtype=np.float64)
    assert grey.mean() == pytest.approx(127, abs=10)  # clipping would give ~250


def test_icc_profiles_are_not_copied_and_broken_ones_are_ignored(tmp_path: Path) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for name, icc in (("srgb.jpg", srgb), ("junk.jpg", b"not a profile" * 20)):
        src = tmp_path / name
        mediagen.picture((300, 200)).save(src, "JPEG", icc_profile=icc)
        result = process_image(src, tmp_path / f"out-{name}")
        for derivative in result.derivatives.values():
            assert_no_metadata(derivative.path)


def test_colour_managed_images_are_converted_to_srgb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    # The same transfer curves under another name: the conversion runs, colours stay put.
    other = srgb.replace(b"s\x00R\x00G\x00B", b"x\x00R\x00G\x00B")
    conversions: list[str] = []
    real = ImageCms.profileToProfile

    def spy(im: Image.Image, *args: object, **kwargs: object) -> Image.Image:
        conversions.append(im.mode)
        return real(im, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ImageCms, "profileToProfile", spy)
    jpeg = tmp_path / "wide.jpg"
    mediagen.picture((300, 200)).save(jpeg, "JPEG", icc_profile=other, quality=95)
    png = tmp_path / "wide.png"
    mediagen.picture((300, 200), "RGBA").save(png, "PNG", icc_profile=other)

    for src in (jpeg, png):
        result = process_image(src, tmp_path / f"out-{src.suffix}")
        assert_no_metadata(result.derivatives["thumb"].path)
        with Image.open(result.derivatives["thumb"].path) as thumb:
            assert is_red(corner(thumb, "top left"))
            if src is png:
                assert thumb.mode == "RGBA"
                assert abs(thumb.getpixel((195, 60))[3] - mediagen.ALPHA_RIGHT) < 10  # type: ignore[index]
    assert conversions == ["RGB", "RGBA"]


# --- placeholder -----------------------------------------------------------------------

_B83 = {c: i for i, c in enumerate(image_module._BASE83)}


def decode_blurhash(value: str, width: int, height: int) -> np.ndarray:
    """Independent BlurHash decoder (per the spec at blurha.sh) -> (h, w, 3) in 0..255."""

    def num(s: str) -> int:
        n = 0
        for c in s:
            n = n * 83 + _B83[c]
        return n

    def to_linear(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4

    flag = num(value[0])
    nx, ny = flag % 9 + 1, flag // 9 + 1
    assert len(value) == 4 + 2 * nx * ny
    maximum = (num(value[1]) + 1) / 166
    dc = num(value[2:6])
    colours = [[to_linear(dc >> 16), to_linear((dc >> 8) & 255), to_linear(dc & 255)]]
    for i in range(1, nx * ny):
        ac = num(value[4 + 2 * i : 6 + 2 * i])
        quant = (ac // 361, (ac // 19) % 19, ac % 19)
        colours.append([np.sign(q - 9) * ((q - 9) / 9) ** 2 * maximum for q in quant])
    ys, xs = np.mgrid[0:height, 0:width]
    linear = np.zeros((height, width, 3))
    for j in range(ny):
        for i in range(nx):
            basis = np.cos(np.pi * xs * i / width) * np.cos(np.pi * ys * j / height)
            linear += basis[..., None] * np.array(colours[j * nx + i])
    linear = linear.clip(0, 1)
    srgb = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return srgb * 255


def test_placeholder_is_a_blurhash_of_the_picture(tmp_path: Path) -> None:
    src = mediagen.make_jpeg(tmp_path / "p.jpg", (300, 200), exif_orientation=1)
    result = process_image(src, tmp_path / "out")

    assert len(result.placeholder) == 28
    assert result.placeholder[0] == "L"  # 4x3 components: flag 3 + 2 * 9 = 21 -> "L"
    decoded = decode_blurhash(result.placeholder, 30, 20)
    with Image.open(result.derivatives["thumb"].path) as thumb:
        mean = np.asarray(thumb.convert("RGB"), dtype=np.float64).reshape(-1, 3).mean(axis=0)
    assert np.abs(decoded.reshape(-1, 3).mean(axis=0) - mean).max() < 25
    # The red marker sits top-left: the blur is redder there than bottom-right.
    assert decoded[2, 2, 0] - decoded[2, 2, 2] > decoded[-3, -3, 0] - decoded[-3, -3, 2] + 40


def test_portrait_placeholder_uses_more_vertical_components(tmp_path: Path) -> None:
    src = mediagen.make_jpeg(tmp_path / "p.jpg", (300, 200), exif_orientation=6)
    result = process_image(src, tmp_path / "out")
    assert result.placeholder[0] == "T"  # 3x4 components: flag 2 + 3 * 9 = 29 -> "T"
    assert decode_blurhash(result.placeholder, 20, 30).shape == (30, 20, 3)


def test_blurhash_of_a_flat_colour_decodes_to_that_colour() -> None:
    value = blurhash(Image.new("RGB", (64, 48), (10, 120, 200)))
    decoded = decode_blurhash(value, 32, 24)
    assert value[2:6] == image_module._base83((10 << 16) + (120 << 8) + 200, 4)  # exact DC
    # BlurHash's cosine basis is not exactly orthogonal on a pixel grid (the spec samples
    # at x/width), so even a flat image keeps faint AC terms: close, not exact.
    assert np.abs(decoded.reshape(-1, 3).mean(axis=0) - [10, 120, 200]).max() < 6


def reference_blurhash(img: Image.Image, nx: int, ny: int) -> str:
    """The encoder written out loop by loop as the spec reads, to check the numpy one."""

    def to_linear(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4

    def to_srgb(v: float) -> int:
        v = min(1.0, max(0.0, v))
        return int((v * 12.92 if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)

    def b83(n: int, length: int) -> str:
        digits = (n // 83 ** (length - i) % 83 for i in range(1, length + 1))
        return "".join(image_module._BASE83[d] for d in digits)

    w, h = img.size
    px = img.load()
    factors = []
    for j in range(ny):
        for i in range(nx):
            norm = 1 if i == j == 0 else 2
            total = [0.0, 0.0, 0.0]
            for y in range(h):
                for x in range(w):
                    basis = norm * math.cos(math.pi * i * x / w) * math.cos(math.pi * j * y / h)
                    for c in range(3):
                        total[c] += basis * to_linear(px[x, y][c])
            factors.append([t / (w * h) for t in total])
    dc, ac = factors[0], factors[1:]
    out = b83(nx - 1 + (ny - 1) * 9, 1)
    qmax = max(0, min(82, math.floor(max(abs(v) for f in ac for v in f) * 166 - 0.5)))
    maximum = (qmax + 1) / 166
    out += b83(qmax, 1) + b83((to_srgb(dc[0]) << 16) + (to_srgb(dc[1]) << 8) + to_srgb(dc[2]), 4)
    for f in ac:
        q = [
            max(0, min(18, math.floor(math.copysign(abs(v / maximum) ** 0.5, v) * 9 + 9.5)))
            for v in f
        ]
        out += b83(q[0] * 361 + q[1] * 19 + q[2], 2)
    return out


@pytest.mark.parametrize("size", [(32, 24), (24, 32), (17, 5)])
def test_blurhash_matches_a_literal_reading_of_the_spec(size: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(size))
    img = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")
    nx, ny = (4, 3) if size[0] >= size[1] else (3, 4)
    assert blurhash(img) == reference_blurhash(img, nx, ny)
    assert blurhash(img, (5, 2)) == reference_blurhash(img, 5, 2)


# --- limits and hostile input ----------------------------------------------------------


def test_png_bomb_is_refused_from_its_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = mediagen.make_png_bomb(tmp_path / "bomb.png")
    assert bomb.stat().st_size < 200_000  # 400 megapixels in a few dozen KB

    def no_pillow(*args: object, **kwargs: object) -> None:
        raise AssertionError("Pillow must not even parse a bomb")

    monkeypatch.setattr(Image, "open", no_pillow)
    started = time.perf_counter()
    with pytest.raises(UnsupportedMedia) as caught:
        process_image(bomb, tmp_path / "out")
    assert time.perf_counter() - started < 0.5
    assert caught.value.detail == (
        "The image is too large: 20,000 \u00d7 20,000 pixels (limit 100 megapixels)"
    )
    assert not (tmp_path / "out").exists()


_BOMB_CHILD = """
import json, sys
from pathlib import Path
sys.path[:0] = [sys.argv[2], sys.argv[3]]
from soundshelf.media.errors import UnsupportedMedia
from soundshelf.media.image import process_image

def kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])

try:
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
    base = kb("VmRSS")
except OSError:  # not allowed here: any growth of the peak still shows
    base = kb("VmHWM")
try:
    process_image(Path(sys.argv[1]), Path(sys.argv[1]).parent / "out")
    outcome = "processed"
except UnsupportedMedia as exc:
    outcome = exc.detail
print(json.dumps({"outcome": outcome, "growth_kb": kb("VmHWM") - base}))
"""


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_png_bomb_costs_no_memory(tmp_path: Path) -> None:
    bomb = mediagen.make_png_bomb(tmp_path / "bomb.png", (30_000, 30_000))
    args = [sys.executable, "-c", _BOMB_CHILD, str(bomb), str(ROOT / "src"), str(ROOT)]
    done = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60)
    report = json.loads(done.stdout)
    assert report["outcome"].startswith("The image is too large: 30,000 \u00d7 30,000 pixels")
    assert report["growth_kb"] < 16 * 1024  # decoding would need 900 MB


def test_limit_is_checked_after_pillow_reads_the_header_too(tmp_path: Path) -> None:
    # HEIC sizes are not parsed by hand: Pillow's header is the check.
    src = mediagen.make_heic(tmp_path / "a.heic")
    expected = re.escape("320 \u00d7 240 pixels (limit 0.01 megapixels)")
    with pytest.raises(UnsupportedMedia, match=expected):
        process_image(src, tmp_path / "out", max_pixels=10_000)


def test_pillow_bomb_warning_does_not_undercut_max_pixels_but_its_error_is_a_rejection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = mediagen.make_png(tmp_path / "a.png", (100, 100))  # 10,000 pixels
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 6_000)  # warning zone: 6,000..12,000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert process_image(src, tmp_path / "ok").width == 100
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)  # Pillow's hard error: > 2,000
    with pytest.raises(UnsupportedMedia, match="too large"):
        process_image(src, tmp_path / "refused")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"MZ\x90\x00" + b"\x00" * 200, "a Windows program"),
        (b"", "an empty file"),
        (b"just some text\n", "a text file"),
        (b"BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00", "a BMP image"),
        (mediagen.random_bytes(4096), "an unrecognised binary file"),
    ],
    ids=["exe", "empty", "text", "bmp", "random"],
)
def test_non_images_are_refused(content: bytes, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(content)
    with pytest.raises(UnsupportedMedia) as caught:
        process_image(path, tmp_path / "out")
    assert caught.value.detail == f"This file is not a supported image format (looks like {reason})"


@pytest.mark.parametrize("maker", [mediagen.make_jpeg, mediagen.make_png, mediagen.make_gif])
def test_truncated_images_are_damaged(maker: Callable[[Path], Path], tmp_path: Path) -> None:
    src = mediagen.truncate(maker(tmp_path / "img"), 0.5)
    with pytest.raises(UnsupportedMedia, match="damaged"):
        process_image(src, tmp_path / "out")


@pytest.mark.parametrize(
    "maker", [mediagen.make_jpeg, mediagen.make_png, mediagen.make_gif, mediagen.make_webp]
)
@pytest.mark.parametrize("seed", range(4))
def test_mangled_images_never_raise_anything_but_unsupported_media(
    maker: Callable[[Path], Path], seed: int, tmp_path: Path
) -> None:
    rng = np.random.default_rng(seed)
    data = bytearray(maker(tmp_path / "img").read_bytes())
    for pos in rng.integers(16, len(data), 30):
        data[pos] = int(rng.integers(0, 256))
    path = tmp_path / "mangled"
    path.write_bytes(bytes(data[: int(len(data) * rng.uniform(0.5, 1.0))]))
    try:
        result = process_image(path, tmp_path / "out")
    except UnsupportedMedia:
        return
    assert isinstance(result, ImageResult)
