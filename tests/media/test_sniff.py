"""Sniffing by magic bytes, the declared-type check, and plain file description."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from mutagen import id3
from mutagen.id3 import ID3, TIT2

from soundshelf.media.audio import probe_audio
from soundshelf.media.errors import UnsupportedMedia
from soundshelf.media.files import sha256_file
from soundshelf.media.sniff import Sniffed, check_declared, sniff, sniff_file
from tests import mediagen

AudioFile = Callable[[str], Path]


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    brands = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (8 + len(brands)).to_bytes(4, "big") + b"ftyp" + brands + b"\x00" * 16


def ogg_page(packet: bytes) -> bytes:
    # 27-byte page header whose last byte is the segment count, one lacing value.
    header = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01"
    return header + bytes([len(packet)]) + packet


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"ID3\x04\x00\x00\x00\x00\x01\x00", ("audio", "audio/mpeg", "mp3")),
        (b"\xff\xfb\x90\x64" + b"\x00" * 60, ("audio", "audio/mpeg", "mp3")),  # MPEG-1 L3
        (b"\xff\xf3\x64\xc4" + b"\x00" * 60, ("audio", "audio/mpeg", "mp3")),  # MPEG-2 L3
        (b"\xff\xf1\x50\x80\x02\x1f\xfc", ("audio", "audio/aac", "aac")),  # ADTS
        (b"fLaC\x00\x00\x00\x22", ("audio", "audio/flac", "flac")),
        (ogg_page(b"\x01vorbis\x00\x00"), ("audio", "audio/ogg", "ogg")),
        (ogg_page(b"OpusHead\x01\x02"), ("audio", "audio/ogg", "opus")),
        (ogg_page(b"\x80theora"), ("file", "application/ogg", "ogg")),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", ("audio", "audio/wav", "wav")),
        (ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), ("audio", "audio/mp4", "m4a")),
        (ftyp(b"isom", b"isom", b"mp41"), ("audio", "audio/mp4", "m4a")),  # tentative
        (ftyp(b"M4V ", b"M4V ", b"mp42"), ("file", "video/mp4", "mp4")),
        (ftyp(b"qt  "), ("file", "video/quicktime", "mov")),
        (b"\xff\xd8\xff\xe1\x00\x10Exif", ("image", "image/jpeg", "jpg")),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ("image", "image/png", "png")),
        (b"GIF89a\x10\x00\x10\x00", ("image", "image/gif", "gif")),
        (b"GIF87a\x10\x00\x10\x00", ("image", "image/gif", "gif")),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", ("image", "image/webp", "webp")),
        (ftyp(b"heic", b"mif1", b"heic"), ("image", "image/heic", "heic")),
        (ftyp(b"mif1", b"mif1", b"heic"), ("image", "image/heic", "heic")),
        (ftyp(b"mif1", b"mif1", b"miaf"), ("image", "image/heif", "heif")),
        (ftyp(b"avif", b"avif", b"mif1", b"miaf"), ("image", "image/avif", "avif")),
        (b"%PDF-1.7\n", ("file", "application/pdf", "pdf")),
        (b"PK\x03\x04\x14\x00", ("file", "application/zip", "zip")),
        (b"MZ\x90\x00\x03\x00", ("file", "application/x-msdownload", "exe")),
        (b"\x7fELF\x02\x01\x01", ("file", "application/x-executable", "")),
        (b"\xcf\xfa\xed\xfe\x07\x00", ("file", "application/x-mach-binary", "")),
        (b"\x1f\x8b\x08\x00", ("file", "application/gzip", "gz")),
        (
            b"BM6\x00\x0c\x00" + b"\x00" * 4 + b"6\x00\x00\x00(\x00\x00\x00",
            ("file", "image/bmp", "bmp"),
        ),
        (b"BMW is a car\n", ("file", "text/plain", "txt")),
        (b"hello world\n", ("file", "text/plain", "txt")),
        ("caf\u00e9 na\u00efve ".encode() + "\u00e9".encode()[:1], ("file", "text/plain", "txt")),
        (b"text with a \x00 NUL", ("file", "application/octet-stream", "bin")),
        (b"\xff\xff\xff\xff\xff\xff", ("file", "application/octet-stream", "bin")),
        (b"\xff\xfa\xf0\x00", ("file", "application/octet-stream", "bin")),  # bad bitrate
        (b"RIFF\x24\x00\x00\x00XXXX", ("file", "application/octet-stream", "bin")),
        (b"", ("file", "application/x-empty", "")),
    ],
)
def test_sniff_magic(head: bytes, expected: tuple[str, str, str]) -> None:
    assert sniff(head) == Sniffed(*expected)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [
        ("mp3", "audio/mpeg"),
        ("m4a", "audio/mp4"),
        ("aac", "audio/aac"),
        ("flac", "audio/flac"),
        ("ogg", "audio/ogg"),
        ("opus", "audio/ogg"),
        ("wav", "audio/wav"),
    ],
)
def test_generated_audio_sniffs_as_audio(fmt: str, mime: str, audio_file: AudioFile) -> None:
    found = sniff_file(audio_file(fmt))
    assert (found.kind, found.mime) == ("audio", mime)


def test_untagged_mp3_is_found_by_frame_sync(tmp_path: Path) -> None:
    path = mediagen.make_audio(tmp_path / "a.mp3", "mp3", 0.5)
    id3.delete(path)  # FFmpeg writes an ID3 tag by default
    assert path.read_bytes()[:2] in (b"\xff\xfb", b"\xff\xfa")
    assert sniff_file(path).mime == "audio/mpeg"


@pytest.mark.parametrize(
    ("maker", "mime"),
    [
        (mediagen.make_jpeg, "image/jpeg"),
        (mediagen.make_png, "image/png"),
        (mediagen.make_webp, "image/webp"),
        (mediagen.make_gif, "image/gif"),
        (mediagen.make_heic, "image/heic"),
        (mediagen.make_avif, "image/avif"),
    ],
)
def test_generated_images_sniff_as_images(
    maker: Callable[[Path], Path], mime: str, tmp_path: Path
) -> None:
    found = sniff_file(maker(tmp_path / "img"))
    assert (found.kind, found.mime) == ("image", mime)


def test_id3_in_front_of_flac_is_looked_past(tmp_path: Path) -> None:
    path = mediagen.make_audio(tmp_path / "a.flac", "flac", 0.5)
    tag = ID3()
    tag.add(TIT2(encoding=3, text=["Prefixed"]))
    tag.save(path)  # ID3 always goes first
    assert path.read_bytes().startswith(b"ID3")
    assert sniff(path.read_bytes()[:64]).mime == "audio/mpeg"  # the head alone can't tell
    assert sniff_file(path).mime == "audio/flac"
    assert probe_audio(path, filename="a.flac").codec == "flac"


def test_mp4_tracks_decide_between_music_and_video(tmp_path: Path) -> None:
    video = mediagen.make_mp4_video(tmp_path / "clip.mp4")
    audio = mediagen.make_mp4_audio(tmp_path / "voice.mp4")
    assert sniff(video.read_bytes()[:64]).kind == "audio"  # isom: tentative
    assert sniff_file(video) == Sniffed("file", "video/mp4", "mp4")
    assert sniff_file(audio) == Sniffed("audio", "audio/mp4", "m4a")


def test_sniff_labels_read_well() -> None:
    assert sniff(b"MZ").label == "a Windows program"
    assert sniff(b"\x7fELF").label == "a Linux program"
    assert Sniffed("file", "application/x-thing", "").label == "a application/x-thing file"


# --- check_declared ----------------------------------------------------------------------


def test_renamed_exe_declared_as_mp3_is_refused(tmp_path: Path) -> None:
    sniffed = sniff_file(mediagen.make_exe(tmp_path / "song.mp3"))
    with pytest.raises(UnsupportedMedia) as caught:
        check_declared("audio/mpeg", sniffed)
    assert caught.value.detail == "The file says it is audio/mpeg but it is a Windows program"
    assert caught.value.status == 415


@pytest.mark.parametrize(
    ("declared", "head", "message"),
    [
        ("image/jpeg", b"ID3\x04\x00", "it is an MP3 audio file"),
        ("audio/ogg", b"\x89PNG\r\n\x1a\n", "it is a PNG image"),
        ("Image/SVG+XML; charset=utf-8", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "text"),
        ("audio/wav", b"", "it is an empty file"),
    ],
)
def test_declared_kind_contradicted_by_bytes(declared: str, head: bytes, message: str) -> None:
    with pytest.raises(UnsupportedMedia, match=message):
        check_declared(declared, sniff(head))


@pytest.mark.parametrize(
    ("declared", "head"),
    [
        ("application/octet-stream", b"MZ\x90\x00"),  # no claim
        ("application/octet-stream", b"ID3\x04\x00"),
        ("audio/x-wav", b"ID3\x04\x00"),  # same kind, other format: a hint only
        ("AUDIO/MPEG; codecs=mp3", b"fLaC"),
        ("image/png", b"\xff\xd8\xff\xe0"),
        ("text/plain", b"ID3\x04\x00"),
        ("video/mp4", ftyp(b"M4A ")),
        ("", b"MZ"),
    ],
)
def test_declared_type_is_only_a_hint(declared: str, head: bytes) -> None:
    check_declared(declared, sniff(head))


# --- files -----------------------------------------------------------------------------


def test_sha256_file_hashes_in_chunks(tmp_path: Path) -> None:
    data = b"%PDF-1.4\n" + mediagen.random_bytes(2_500_000)  # spans three 1 MiB chunks
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_sha256_of_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.touch()
    assert sha256_file(path) == hashlib.sha256(b"").hexdigest()
