"""What a file really is, from its magic bytes; the declared type is only a hint.

``sniff(head)`` looks at the first bytes only (64 are enough). ``sniff_file(path)`` is what
the worker should call: it also looks past an ID3 tag (FLAC and ADTS files sometimes carry
one) and inside MP4 files with a generic brand, whose tracks tell music from video.

Only allow-listed formats get kind ``"audio"`` or ``"image"``; the media decoders are never
shown anything else. Everything else is a ``"file"`` with a best-effort MIME type.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from soundshelf.media.errors import UnsupportedMedia

HEAD_SIZE = 64

Kind = Literal["audio", "image", "file"]


@dataclass(frozen=True, slots=True)
class Sniffed:
    kind: Kind
    mime: str
    ext: str

    @property
    def label(self) -> str:
        """What the file is, in words: "a Windows program", "a PNG image"."""
        return _LABELS.get(self.mime, f"a {self.mime} file")


_LABELS = {
    "audio/mpeg": "an MP3 audio file",
    "audio/mp4": "an MPEG-4 audio file",
    "audio/aac": "an AAC audio file",
    "audio/flac": "a FLAC audio file",
    "audio/ogg": "an Ogg audio file",
    "audio/wav": "a WAV audio file",
    "image/jpeg": "a JPEG image",
    "image/png": "a PNG image",
    "image/webp": "a WebP image",
    "image/gif": "a GIF image",
    "image/heic": "a HEIC image",
    "image/heif": "a HEIF image",
    "image/avif": "an AVIF image",
    "image/bmp": "a BMP image",
    "image/tiff": "a TIFF image",
    "image/vnd.microsoft.icon": "an icon file",
    "video/mp4": "an MP4 video",
    "video/quicktime": "a QuickTime video",
    "video/webm": "a WebM or Matroska file",
    "video/x-msvideo": "an AVI video",
    "audio/aiff": "an AIFF audio file",
    "application/ogg": "an Ogg file in an unsupported codec",
    "application/pdf": "a PDF document",
    "application/zip": "a ZIP archive",
    "application/gzip": "a gzip archive",
    "application/x-7z-compressed": "a 7-Zip archive",
    "application/vnd.rar": "a RAR archive",
    "application/x-msdownload": "a Windows program",
    "application/x-executable": "a Linux program",
    "application/x-mach-binary": "a macOS program",
    "text/plain": "a text file",
    "application/x-empty": "an empty file",
    "application/octet-stream": "an unrecognised binary file",
}

# ISO base media (MP4/HEIF) brands, grouped by what they promise.
_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_VIDEO_BRANDS = {b"M4V ", b"M4VH", b"M4VP", b"F4V ", b"F4P "}
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}

# Plain signatures: prefix -> (kind, mime, ext).
_PREFIXES: list[tuple[bytes, Sniffed]] = [
    (b"fLaC", Sniffed("audio", "audio/flac", "flac")),
    (b"\xff\xd8\xff", Sniffed("image", "image/jpeg", "jpg")),
    (b"\x89PNG\r\n\x1a\n", Sniffed("image", "image/png", "png")),
    (b"GIF87a", Sniffed("image", "image/gif", "gif")),
    (b"GIF89a", Sniffed("image", "image/gif", "gif")),
    (b"%PDF-", Sniffed("file", "application/pdf", "pdf")),
    (b"PK\x03\x04", Sniffed("file", "application/zip", "zip")),
    (b"PK\x05\x06", Sniffed("file", "application/zip", "zip")),
    (b"PK\x07\x08", Sniffed("file", "application/zip", "zip")),
    (b"\x1f\x8b", Sniffed("file", "application/gzip", "gz")),
    (b"7z\xbc\xaf\x27\x1c", Sniffed("file", "application/x-7z-compressed", "7z")),
    (b"Rar!\x1a\x07", Sniffed("file", "application/vnd.rar", "rar")),
    (b"MZ", Sniffed("file", "application/x-msdownload", "exe")),
    (b"\x7fELF", Sniffed("file", "application/x-executable", "")),
    (b"\xfe\xed\xfa\xce", Sniffed("file", "application/x-mach-binary", "")),
    (b"\xfe\xed\xfa\xcf", Sniffed("file", "application/x-mach-binary", "")),
    (b"\xce\xfa\xed\xfe", Sniffed("file", "application/x-mach-binary", "")),
    (b"\xcf\xfa\xed\xfe", Sniffed("file", "application/x-mach-binary", "")),
    (b"\x1a\x45\xdf\xa3", Sniffed("file", "video/webm", "webm")),
    (b"II*\x00", Sniffed("file", "image/tiff", "tif")),
    (b"MM\x00*", Sniffed("file", "image/tiff", "tif")),
    (b"\x00\x00\x01\x00", Sniffed("file", "image/vnd.microsoft.icon", "ico")),
]

MP3 = Sniffed("audio", "audio/mpeg", "mp3")
M4A = Sniffed("audio", "audio/mp4", "m4a")
ADTS = Sniffed("audio", "audio/aac", "aac")
WAV = Sniffed("audio", "audio/wav", "wav")
MP4_VIDEO = Sniffed("file", "video/mp4", "mp4")
EMPTY = Sniffed("file", "application/x-empty", "")
BINARY = Sniffed("file", "application/octet-stream", "bin")
TEXT = Sniffed("file", "text/plain", "txt")


def sniff(head: bytes) -> Sniffed:
    """Classify a file by its first bytes (pass at least the first 64)."""
    if not head:
        return EMPTY
    if head.startswith(b"ID3"):
        return MP3
    for prefix, sniffed in _PREFIXES:
        if head.startswith(prefix):
            return sniffed
    for check in (_riff, _iso_bmff, _ogg, _mpeg_audio, _adts, _bmp):
        found = check(head)
        if found is not None:
            return found
    return TEXT if _looks_like_text(head) else BINARY


def sniff_file(path: Path) -> Sniffed:
    """Classify a file on disk, looking past ID3 tags and into generic MP4 containers."""
    with path.open("rb") as fh:
        head = fh.read(HEAD_SIZE)
        found = sniff(head)
        if head.startswith(b"ID3"):
            return _after_id3(fh, head) or found
        if found is M4A and _iso_brands(head)[0] not in _AUDIO_BRANDS:
            return _mp4_by_tracks(fh)
        return found


def check_declared(declared_mime: str, sniffed: Sniffed) -> None:
    """Refuse a file whose declared audio/image type the bytes contradict.

    The declared type is a hint: ``application/octet-stream`` or another format of the same
    kind (``audio/x-wav`` for an MP3) is fine; an ``audio/mpeg`` that is a program is not.
    """
    mime = declared_mime.split(";", 1)[0].strip().lower()
    claimed = mime.split("/", 1)[0]
    if claimed in ("audio", "image") and sniffed.kind != claimed:
        raise UnsupportedMedia(f"The file says it is {mime} but it is {sniffed.label}")


# --- container families --------------------------------------------------------------


def _riff(head: bytes) -> Sniffed | None:
    if head[:4] != b"RIFF" or len(head) < 12:
        return None
    form = head[8:12]
    if form == b"WAVE":
        return WAV
    if form == b"WEBP":
        return Sniffed("image", "image/webp", "webp")
    if form == b"AVI ":
        return Sniffed("file", "video/x-msvideo", "avi")
    return BINARY


def _iso_brands(head: bytes) -> tuple[bytes, set[bytes]]:
    """Major brand and every brand of an ``ftyp`` box at the start of ``head``."""
    if len(head) < 12 or head[4:8] != b"ftyp":
        return b"", set()
    size = int.from_bytes(head[:4], "big")
    end = min(size if size >= 16 else len(head), len(head))
    brands = {head[i : i + 4] for i in range(16, end - 3, 4)}
    return head[8:12], brands | {head[8:12]}


def _iso_bmff(head: bytes) -> Sniffed | None:
    major, brands = _iso_brands(head)
    if not major:
        if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):  # old QuickTime, no ftyp
            return Sniffed("file", "video/quicktime", "mov")
        return None
    if brands & _AVIF_BRANDS:
        return Sniffed("image", "image/avif", "avif")
    if brands & _HEIC_BRANDS:
        return Sniffed("image", "image/heic", "heic")
    if brands & _HEIF_BRANDS:
        return Sniffed("image", "image/heif", "heif")
    if major in _AUDIO_BRANDS:
        return M4A
    if major in _VIDEO_BRANDS:
        return MP4_VIDEO
    if major == b"qt  ":
        return Sniffed("file", "video/quicktime", "mov")
    # isom, mp41, mp42, 3gp4, dash...: music or video. Tentatively audio (we are
    # music-first); sniff_file() and the audio probe decide by the tracks inside.
    return M4A


def _ogg(head: bytes) -> Sniffed | None:
    if not head.startswith(b"OggS") or len(head) < 28:
        return None
    # The first page holds exactly the codec's identification packet.
    packet = head[27 + head[26] :]
    if packet.startswith(b"\x01vorbis"):
        return Sniffed("audio", "audio/ogg", "ogg")
    if packet.startswith(b"OpusHead"):
        return Sniffed("audio", "audio/ogg", "opus")
    return Sniffed("file", "application/ogg", "ogg")


def _mpeg_audio(head: bytes) -> Sniffed | None:
    """An MPEG-1/2/2.5 Layer III frame header with no reserved values."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    version = (head[1] >> 3) & 0b11  # 0b01 is reserved
    layer = (head[1] >> 1) & 0b11  # 0b01 is Layer III
    bitrate = head[2] >> 4  # 0 "free format" is too rare to trust, 15 invalid
    rate = (head[2] >> 2) & 0b11  # 0b11 reserved
    if version != 0b01 and layer == 0b01 and bitrate not in (0, 15) and rate != 0b11:
        return MP3
    return None


def _adts(head: bytes) -> Sniffed | None:
    """An ADTS (raw AAC) frame: 12-bit sync, layer 00, a valid sampling-rate index."""
    if len(head) < 7 or head[0] != 0xFF or head[1] & 0xF6 != 0xF0:
        return None
    if (head[2] >> 2) & 0x0F >= 13:
        return None
    return ADTS


def _bmp(head: bytes) -> Sniffed | None:
    # "BM" alone would catch text ("BMW..."); the DIB header size is one of a few values.
    dib_header = int.from_bytes(head[14:18], "little") if len(head) >= 18 else 0
    if head[:2] == b"BM" and dib_header in (12, 40, 52, 56, 64, 108, 124):
        return Sniffed("file", "image/bmp", "bmp")
    return None


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The head may end in the middle of a multi-byte character.
        if exc.start < len(head) - 3 or exc.reason != "unexpected end of data":
            return False
        text = head[: exc.start].decode("utf-8")
    return all(ch.isprintable() or ch in "\t\n\r\f\v" for ch in text)


# --- deeper looks for sniff_file -----------------------------------------------------

_MAX_ID3_PADDING = 64 * 1024
_MAX_MOOV = 16 * 1024 * 1024  # a 4-hour track's index is ~3 MB
_MAX_TOP_LEVEL_BOXES = 4096  # real files have a handful; don't walk a crafted million


def _after_id3(fh: BinaryIO, head: bytes) -> Sniffed | None:
    """What follows an ID3v2 tag, if it is audio (an ID3 tag can front FLAC or ADTS)."""
    if len(head) < 10:
        return None
    size = 0
    for byte in head[6:10]:  # "syncsafe" integer: 7 bits per byte
        size = (size << 7) | (byte & 0x7F)
    offset = 10 + size + (10 if head[5] & 0x10 else 0)
    fh.seek(offset)
    # Some taggers pad beyond the declared size; skip zeros to the first frame.
    window = fh.read(_MAX_ID3_PADDING)
    start = len(window) - len(window.lstrip(b"\x00"))
    found = sniff(window[start : start + HEAD_SIZE])
    return found if found.kind == "audio" else None


def _boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    """Top-level (type, payload) boxes of an in-memory ISO BMFF buffer."""
    boxes, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1 and pos + 16 <= len(data):
            size, header = struct.unpack_from(">Q", data, pos + 8)[0], 16
        elif size == 0:
            size = len(data) - pos
        if size < header:
            break
        boxes.append((kind, data[pos + header : pos + size]))
        pos += size
    return boxes


def _find_moov(fh: BinaryIO) -> bytes | None:
    """Walk top-level boxes by seeking, and read ``moov`` (start or end of the file)."""
    fh.seek(0, 2)
    end = fh.tell()
    pos = 0
    for _ in range(_MAX_TOP_LEVEL_BOXES):
        if pos + 8 > end:
            return None
        fh.seek(pos)
        header = fh.read(16)
        if len(header) < 8:
            return None
        size, kind = struct.unpack_from(">I4s", header)
        header_len = 8
        if size == 1 and len(header) == 16:
            size, header_len = struct.unpack_from(">Q", header, 8)[0], 16
        elif size == 0:
            size = end - pos
        if size < header_len:
            return None
        if kind == b"moov":
            if size > _MAX_MOOV:
                return None
            fh.seek(pos + header_len)
            return fh.read(size - header_len)
        pos += size
    return None


def _mp4_by_tracks(fh: BinaryIO) -> Sniffed:
    """Audio only if the movie has sound tracks and no video track."""
    moov = _find_moov(fh)
    if moov is None:
        return M4A  # let the audio decoder have the last word
    handlers = set()
    for kind, trak in _boxes(moov):
        if kind != b"trak":
            continue
        for kind2, mdia in _boxes(trak):
            if kind2 != b"mdia":
                continue
            for kind3, hdlr in _boxes(mdia):
                if kind3 == b"hdlr" and len(hdlr) >= 12:
                    handlers.add(hdlr[8:12])  # after version/flags and pre_defined
    if b"soun" in handlers and b"vide" not in handlers:
        return M4A
    return MP4_VIDEO
