"""Test media made on the fly: audio with PyAV + mutagen, images with Pillow.

Shared by the media, upload and end-to-end suites, so no binary fixture is ever checked
in. Every generator writes to ``path`` and returns it.

Audio is a short arpeggio (so peaks vary) with an optional silent section; images carry a
red marker in the top-left corner of the *stored* pixels so orientation can be checked.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from mutagen.flac import FLAC, Picture
from mutagen.id3 import (
    APIC,
    ID3,
    SYLT,
    TALB,
    TCON,
    TDRC,
    TIT2,
    TPE1,
    TPE2,
    TPOS,
    TRCK,
    USLT,
    ID3NoHeaderError,
)
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE
from PIL import ExifTags, Image, ImageDraw

AUDIO_FORMATS = ("mp3", "m4a", "aac", "flac", "ogg", "opus", "wav")

# fmt -> (muxer, encoder, bit rate or None); "mp3" is libmp3lame in PyAV's FFmpeg build.
_AUDIO = {
    "mp3": ("mp3", "mp3", 128_000),
    "m4a": ("ipod", "aac", 128_000),
    "aac": ("adts", "aac", 128_000),
    "flac": ("flac", "flac", None),
    "ogg": ("ogg", "vorbis", None),  # FFmpeg's own Vorbis encoder: stereo only
    "opus": ("ogg", "libopus", 96_000),
    "wav": ("wav", "pcm_s16le", None),
}
_LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}

RED = (230, 20, 20)
ALPHA_RIGHT = 64

# What make_audio(..., tags=TAGS) writes; tests compare probe results with it.
TAGS: dict[str, str | int] = {
    "title": "Ünïcode Song",
    "artist": "The Testers",
    "album": "Generated Hits",
    "album_artist": "Various Testers",
    "track_number": 3,
    "disc_number": 1,
    "year": 2021,
    "genre": "Electronic",
}


# --- audio ---------------------------------------------------------------------------


def melody(
    seconds: float,
    rate: int = 44_100,
    channels: int = 2,
    *,
    silent: tuple[float, float] | None = None,
    amplitude: float = 0.6,
) -> np.ndarray:
    """(channels, samples) float32: an A-minor arpeggio of 0.25 s notes with soft edges."""
    n = round(seconds * rate)
    t = np.arange(n, dtype=np.float64) / rate
    notes = np.array([220.0, 261.63, 329.63, 440.0, 329.63, 261.63])
    freq = notes[(t / 0.25).astype(int) % len(notes)]
    phase = 2 * np.pi * np.cumsum(freq) / rate
    envelope = np.minimum(1.0, np.minimum(t % 0.25, 0.25 - t % 0.25) * 40)
    mono = amplitude * np.sin(phase) * envelope
    if silent is not None:
        mono[round(silent[0] * rate) : round(silent[1] * rate)] = 0.0
    # Channels differ slightly so a downmix has something to do.
    gains = np.linspace(1.0, 0.7, channels)[:, None]
    return (mono[None, :] * gains).astype(np.float32)


def make_audio(
    path: Path,
    fmt: str,
    seconds: float = 3.0,
    *,
    tags: Mapping[str, str | int] | None = None,
    cover: bytes | None = None,
    sample_rate: int = 44_100,
    channels: int = 2,
    silent: tuple[float, float] | None = None,
) -> Path:
    """Encode a melody as ``fmt`` (see AUDIO_FORMATS), then add tags and cover art."""
    muxer, codec, bitrate = _AUDIO[fmt]
    rate = 48_000 if fmt == "opus" else sample_rate
    samples = melody(seconds, rate, channels, silent=silent)
    with av.open(str(path), "w", format=muxer) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = _LAYOUTS[channels]
        if bitrate:
            stream.bit_rate = bitrate
        if codec == "vorbis":
            stream.codec_context.options = {"strict": "experimental"}
        for start in range(0, samples.shape[1], 4096):
            chunk = np.ascontiguousarray(samples[:, start : start + 4096])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=_LAYOUTS[channels])
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    if tags or cover:
        write_tags(path, fmt, tags or {}, cover)
    return path


def write_tags(
    path: Path, fmt: str, tags: Mapping[str, str | int], cover: bytes | None = None
) -> None:
    """Tags and a front cover in the format's native scheme (ID3, MP4 atoms, Vorbis)."""
    if fmt in ("mp3", "wav"):
        _write_id3(path, fmt, tags, cover)
    elif fmt == "m4a":
        _write_mp4(path, tags, cover)
    elif fmt in ("flac", "ogg", "opus"):
        _write_vorbis(path, fmt, tags, cover)
    else:
        raise ValueError(f"{fmt} cannot carry tags")


def _write_id3(path: Path, fmt: str, tags: Mapping[str, str | int], cover: bytes | None) -> None:
    frames = {
        "title": TIT2,
        "artist": TPE1,
        "album": TALB,
        "album_artist": TPE2,
        "track_number": TRCK,
        "disc_number": TPOS,
        "year": TDRC,
        "genre": TCON,
    }
    if fmt == "wav":
        audio = WAVE(path)
        audio.add_tags()
        id3 = audio.tags
    else:
        id3 = ID3()
    for key, value in tags.items():
        text = f"{value}/12" if key == "track_number" else str(value)
        id3.add(frames[key](encoding=3, text=[text]))
    if cover:
        id3.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="Cover", data=cover))
    if fmt == "wav":
        audio.save()
    else:
        id3.save(path)


def _write_mp4(path: Path, tags: Mapping[str, str | int], cover: bytes | None) -> None:
    keys = {
        "title": "\xa9nam",
        "artist": "\xa9ART",
        "album": "\xa9alb",
        "album_artist": "aART",
        "year": "\xa9day",
        "genre": "\xa9gen",
    }
    audio = MP4(path)
    for key, value in tags.items():
        if key == "track_number":
            audio["trkn"] = [(int(value), 12)]
        elif key == "disc_number":
            audio["disk"] = [(int(value), 1)]
        else:
            audio[keys[key]] = [str(value)]
    if cover:
        audio["covr"] = [MP4Cover(cover, imageformat=MP4Cover.FORMAT_JPEG)]
    audio.save()


def _write_vorbis(path: Path, fmt: str, tags: Mapping[str, str | int], cover: bytes | None) -> None:
    audio = {"flac": FLAC, "ogg": OggVorbis, "opus": OggOpus}[fmt](path)
    for key, value in tags.items():
        audio[key.replace("_", "")] = [str(value)]
    if cover:
        picture = Picture()
        picture.type, picture.mime, picture.data = 3, "image/jpeg", cover
        if fmt == "flac":
            audio.add_picture(picture)
        else:
            import base64

            audio["metadata_block_picture"] = [base64.b64encode(picture.write()).decode()]
    audio.save()


def write_lyrics(
    path: Path,
    fmt: str,
    *,
    text: str | None = None,
    cues: list[tuple[str, int]] | None = None,
    lang: str = "eng",
) -> None:
    """Embedded lyrics: ``text`` as USLT / ``©lyr`` / ``LYRICS``; ``cues`` (line, ms) as a
    SYLT frame (ID3 only: the other formats carry synced lyrics as LRC ``text``)."""
    if fmt in ("mp3", "wav"):
        frames = []
        if text is not None:
            frames.append(USLT(encoding=3, lang=lang, desc="", text=text))
        if cues is not None:
            frames.append(SYLT(encoding=3, lang=lang, format=2, type=1, desc="", text=cues))
        _add_id3(path, fmt, frames)
    elif fmt == "m4a":
        mp4 = MP4(path)
        mp4["\xa9lyr"] = [text or ""]
        mp4.save()
    elif fmt in ("flac", "ogg", "opus"):
        vorbis = {"flac": FLAC, "ogg": OggVorbis, "opus": OggOpus}[fmt](path)
        vorbis["lyrics"] = [text or ""]
        vorbis.save()
    else:
        raise ValueError(f"{fmt} cannot carry lyrics")


def _add_id3(path: Path, fmt: str, frames: list) -> None:
    if fmt == "wav":
        wave = WAVE(path)
        if wave.tags is None:
            wave.add_tags()
        for frame in frames:
            wave.tags.add(frame)
        wave.save()
        return
    try:
        id3 = ID3(path)
    except ID3NoHeaderError:
        id3 = ID3()
    for frame in frames:
        id3.add(frame)
    id3.save(path)


def truncate(path: Path, fraction: float, dst: Path | None = None) -> Path:
    """Keep the first ``fraction`` of the bytes (an interrupted upload)."""
    data = path.read_bytes()
    target = dst or path
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


def make_mp4_video(path: Path, seconds: float = 1.0, *, with_audio: bool = True) -> Path:
    """An MP4 (brand isom) with an MPEG-4 video track and, by default, an AAC track."""
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = container.add_stream("aac", rate=44_100) if with_audio else None
        if audio is not None:
            audio.layout = "stereo"
        for i in range(round(seconds * 10)):
            pixels = np.full((48, 64, 3), i * 20 % 256, dtype=np.uint8)
            container.mux(video.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")))
        container.mux(video.encode(None))
        if audio is not None:
            samples = np.ascontiguousarray(melody(seconds))
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
            frame.sample_rate = 44_100
            container.mux(audio.encode(frame))
            container.mux(audio.encode(None))
    return path


def make_mp4_audio(path: Path, seconds: float = 1.0) -> Path:
    """AAC in a plain MP4 (brand isom, as FFmpeg and many recorders write), no video."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=44_100)
        stream.layout = "stereo"
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(melody(seconds)), format="fltp", layout="stereo"
        )
        frame.sample_rate = 44_100
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


# --- images --------------------------------------------------------------------------


def picture(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A blue-green gradient with a red square in the top-left corner of the pixels
    (RGBA: the right half has alpha ALPHA_RIGHT)."""
    width, height = size
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    rgb = np.stack(
        [np.full((height, width), 30.0), 80 + 0.5 * y + 0 * x, 120 + 0.5 * x + 0 * y], axis=-1
    )
    img = Image.fromarray(rgb.clip(0, 255).astype(np.uint8), "RGB")
    marker = max(2, min(width, height) // 5)
    ImageDraw.Draw(img).rectangle((0, 0, marker - 1, marker - 1), fill=RED)
    if mode == "RGBA":  # left half opaque, right half mostly transparent
        alpha = Image.new("L", size, 255)
        ImageDraw.Draw(alpha).rectangle((width // 2, 0, width, height), fill=ALPHA_RIGHT)
        img.putalpha(alpha)
    return img


def cover_jpeg(size: tuple[int, int] = (64, 64)) -> bytes:
    buffer = io.BytesIO()
    picture(size).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def make_jpeg(
    path: Path,
    size: tuple[int, int] = (300, 200),
    *,
    exif_orientation: int | None = 6,
    gps: bool = True,
    camera: tuple[str, str] | None = ("Canon", "Canon EOS R5"),
    taken_at: str | None = "2024:05:06 07:08:09",
    xmp: bool = True,
    quality: int = 90,
) -> Path:
    """A JPEG with EXIF (orientation, camera, date, GPS) and an XMP packet."""
    exif = Image.Exif()
    if exif_orientation:
        exif[ExifTags.Base.Orientation] = exif_orientation
    if camera:
        exif[ExifTags.Base.Make], exif[ExifTags.Base.Model] = camera
    if taken_at:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken_at
    if gps:
        exif.get_ifd(ExifTags.IFD.GPSInfo).update(
            {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
        )
    extra = {"xmp": _XMP} if xmp else {}
    picture(size).save(path, "JPEG", quality=quality, exif=exif, **extra)
    return path


_XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="48,51.4N"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def make_png(path: Path, size: tuple[int, int] = (320, 240), *, alpha: bool = False) -> Path:
    picture(size, "RGBA" if alpha else "RGB").save(path, "PNG")
    return path


def make_webp(path: Path, size: tuple[int, int] = (320, 240), *, alpha: bool = True) -> Path:
    picture(size, "RGBA" if alpha else "RGB").save(path, "WEBP", quality=90)
    return path


def make_gif(path: Path, size: tuple[int, int] = (160, 120), *, frames: int = 3) -> Path:
    """An animated GIF whose first frame is the marker picture; later frames are grey."""
    first = picture(size).convert("P", palette=Image.Palette.ADAPTIVE)
    rest = [Image.new("P", size, 0) for _ in range(frames - 1)]
    first.save(path, "GIF", save_all=True, append_images=rest, duration=100, loop=0)
    return path


def make_heic(
    path: Path, size: tuple[int, int] = (320, 240), *, exif_orientation: int | None = None
) -> Path:
    """HEIC via pillow-heif (the caller skips when it is missing)."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    picture(size).save(path, "HEIF", quality=90, **_orientation(exif_orientation))
    return path


def make_avif(
    path: Path, size: tuple[int, int] = (320, 240), *, exif_orientation: int | None = None
) -> Path:
    picture(size).save(path, "AVIF", quality=90, **_orientation(exif_orientation))
    return path


def _orientation(value: int | None) -> dict[str, bytes]:
    if not value:
        return {}
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = value
    return {"exif": exif.tobytes()}


def make_png_bomb(path: Path, size: tuple[int, int] = (20_000, 20_000)) -> Path:
    """A valid 1-bit PNG of ``size`` pixels, all black, compressed to a few dozen KB.

    Written chunk by chunk: the image itself is never held in memory.
    """
    width, height = size
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = bytearray()
    rows_per_batch = max(1, (1 << 20) // len(row))
    for start in range(0, height, rows_per_batch):
        idat += compressor.compress(row * min(rows_per_batch, height - start))
    idat += compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    with path.open("wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        for kind, data in ((b"IHDR", ihdr), (b"IDAT", bytes(idat)), (b"IEND", b"")):
            fh.write(struct.pack(">I", len(data)) + kind + data)
            fh.write(struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return path


# --- not media -----------------------------------------------------------------------


def make_exe(path: Path, size: int = 4096) -> Path:
    """A file that starts like a Windows program (MZ, PE header) followed by junk."""
    header = bytearray(b"MZ" + b"\x90\x00" + b"\x00" * 56)
    header[0x3C:0x40] = struct.pack("<I", 0x80)
    body = bytes(header) + b"\x00" * (0x80 - len(header)) + b"PE\x00\x00"
    path.write_bytes(body + random_bytes(size - len(body), seed=7))
    return path


def random_bytes(n: int, *, seed: int = 1) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def make_random(path: Path, n: int = 64 * 1024, *, seed: int = 1) -> Path:
    path.write_bytes(random_bytes(n, seed=seed))
    return path
