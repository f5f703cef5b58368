"""Audio: probe and tags, a browser rendition (AAC in faststart MP4) and waveform peaks.

Everything that reads the uploaded file goes through ``_open_audio``: the type is sniffed
first and FFmpeg is handed exactly one allow-listed demuxer, never its own guess, and the
stream must use an allow-listed codec. Decoding is forgiving the way players are: a corrupt
packet is skipped and a truncated tail ends the track early; only a file with nothing
decodable is rejected. Tags are best-effort: a damaged tag never rejects a playable file.

``transcode_with_waveform`` decodes once and feeds both the AAC encoder and the peak
meter; ``transcode`` and ``waveform`` are thin wrappers around it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from pathlib import Path, PurePath
from typing import Any

import av
import av.error
import mutagen
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer
from mutagen.flac import FLAC, Picture
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

from soundshelf.media import lyrics
from soundshelf.media.errors import UnsupportedMedia
from soundshelf.media.files import sha256_file
from soundshelf.media.lyrics import Lyrics
from soundshelf.media.sniff import HEAD_SIZE, sniff, sniff_file

MAX_DURATION_S = 4 * 3600
STREAMABLE_MAX_BITRATE = 320_000
RENDITION_MIME = "audio/mp4"

DAMAGED = "The audio file is damaged and could not be decoded"

# Sniffed MIME type -> the only FFmpeg demuxer allowed to read it.
_DEMUXERS = {
    "audio/mpeg": "mp3",
    "audio/mp4": "mp4",
    "audio/aac": "aac",
    "audio/flac": "flac",
    "audio/ogg": "ogg",
    "audio/wav": "wav",
}
_CODECS = {"mp3", "aac", "alac", "flac", "vorbis", "opus"}  # plus any pcm_*
_MIME_ALIASES = {"audio/mp3": "audio/mpeg", "audio/x-m4a": "audio/mp4", "audio/m4a": "audio/mp4"}
_STREAMABLE = {("audio/mpeg", "mp3"), ("audio/mp4", "aac")}

# A run of undecodable packets this long means the rest of the file is garbage.
_MAX_BAD_PACKETS = 64
# Plausible audio; a damaged header claiming 2 GHz would make the resampler allocate GBs.
_RATES = range(1_000, 768_001)
_MAX_CHANNELS = 64
# The longest packet an allowed codec makes: a FLAC block (65,535 samples).
_MAX_PACKET_SAMPLES = 65_536


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What ``probe_audio`` found. ``codec`` is FFmpeg's codec name ("mp3", "aac",
    "flac", "vorbis", "opus", "pcm_s16le"...), ``bitrate`` the measured average in bit/s
    (audio payload only, so cover art does not inflate it). Tags are None when absent;
    ``cover`` is only set when its bytes sniff as an allow-listed image; ``lyrics`` are
    the embedded lyrics, synced sets first (see ``media.lyrics``)."""

    duration_ms: int
    codec: str
    bitrate: int | None
    sample_rate: int
    channels: int
    title: str
    artist: str | None = None
    album: str | None = None
    album_artist: str | None = None
    track_number: int | None = None
    disc_number: int | None = None
    year: int | None = None
    genre: str | None = None
    cover: bytes | None = field(default=None, repr=False)
    cover_mime: str | None = None
    lyrics: tuple[Lyrics, ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class RenditionInfo:
    """The browser rendition written by ``transcode``: ``bitrate`` is the encoder's
    target, ``duration_ms`` what was actually encoded."""

    path: Path
    mime: str
    codec: str
    bitrate: int
    sample_rate: int
    channels: int
    duration_ms: int
    size: int
    sha256: str


# --- public API ----------------------------------------------------------------------


def probe_audio(path: Path, *, filename: str, max_duration_s: float = MAX_DURATION_S) -> AudioInfo:
    """Duration, codec and tags (cover art included) of an uploaded audio file.

    ``filename`` is the name the user uploaded, used for the title when there is no tag.
    The duration is measured from the packets, so a truncated file or a lying header
    reports what is really there.
    """
    with _open_audio(path) as (container, stream):
        duration_s, audio_bytes, decodable = _scan(container, stream)
        ctx = stream.codec_context
        codec, sample_rate, channels = _codec_name(stream), ctx.sample_rate, ctx.channels
        fallback_bitrate = stream.bit_rate or container.bit_rate or None
    if not decodable:
        raise UnsupportedMedia(DAMAGED)
    if duration_s <= 0:
        raise UnsupportedMedia("The audio file is empty")
    _check_duration(duration_s, max_duration_s)
    bitrate = round(audio_bytes * 8 / duration_s) if audio_bytes else fallback_bitrate
    tags = _read_tags(path)
    return AudioInfo(
        duration_ms=round(duration_s * 1000),
        codec=codec,
        bitrate=bitrate,
        sample_rate=sample_rate,
        channels=channels,
        title=tags.title or title_from_filename(filename),
        artist=tags.artist,
        album=tags.album,
        album_artist=tags.album_artist,
        track_number=tags.track_number,
        disc_number=tags.disc_number,
        year=tags.year,
        genre=tags.genre,
        cover=tags.cover,
        cover_mime=tags.cover_mime,
        lyrics=tags.lyrics,
    )


def needs_rendition(info: AudioInfo, *, mime: str) -> bool:
    """False when browsers can stream the original as is (MP3, or AAC in MP4, ≤ 320 kb/s).

    FLAC, WAV and Ogg (Safari) get a rendition, and so do raw ADTS AAC (no index, so
    no seeking over HTTP ranges), ALAC and anything heavier than 320 kb/s.
    """
    base = mime.split(";", 1)[0].strip().lower()
    base = _MIME_ALIASES.get(base, base)
    if (base, info.codec) not in _STREAMABLE:
        return True
    return info.bitrate is None or info.bitrate > STREAMABLE_MAX_BITRATE


def waveform(path: Path, *, points: int = 1000) -> list[float]:
    """Peak amplitude per bucket, normalised to the loudest bucket (0..1, 3 decimals)."""
    _, peaks = transcode_with_waveform(path, None, points=points)
    return peaks


def transcode_with_waveform(
    src: Path,
    dst: Path | None,
    *,
    bitrate: int = 128_000,
    points: int = 1000,
    max_duration_s: float = MAX_DURATION_S,
) -> tuple[RenditionInfo | None, list[float]]:
    """Decode ``src`` once; write the rendition to ``dst`` (unless None) and measure peaks.

    The rendition is 44.1 kHz for 44.1 kHz-family input and 48 kHz otherwise, so common
    files are never resampled. ``dst`` appears only when complete (written beside it, then
    renamed). Raises ``UnsupportedMedia`` if nothing decodes or the audio is too long.
    """
    if points < 1:
        raise ValueError("points must be at least 1")
    with _open_audio(src) as (container, stream):
        in_rate = stream.codec_context.sample_rate
        meter = _PeakMeter(_expected_samples(container, stream, in_rate), points)
        writer = _AacWriter(dst, _output_rate(in_rate), bitrate) if dst is not None else None
        with _discard_on_error(writer):
            seconds = 0.0
            for frame in _frames(container, stream):
                stereo = _to_stereo(frame)
                meter.add(np.abs(stereo).max(axis=0))
                seconds += frame.samples / frame.sample_rate
                _check_duration(seconds, max_duration_s)
                if writer is not None:
                    writer.write(stereo, frame.sample_rate)
            if seconds == 0:
                raise UnsupportedMedia(DAMAGED)
            rendition = writer.finish() if writer is not None else None
    return rendition, meter.result()


def title_from_filename(filename: str) -> str:
    """A title from an upload name: "01 - My Song.mp3" -> "My Song", "1984.mp3" -> "1984"."""
    stem = PurePath(filename.replace("\\", "/")).stem
    words = " ".join(stem.replace("_", " ").split())
    # Strip a leading track number only when it is clearly one: "01 - ", "3. ", "1-02 ",
    # "07 " (zero-padded); "99 Luftballons" and "1984" keep their numbers.
    title = re.sub(r"^(?:\d-\d{1,3}\s+|\d{1,3}\s*[-.)]\s*|0\d{1,2}\s+)(?=\S)", "", words)
    if not re.search(r"\w", title):  # "01 - .mp3": the number is all there is
        title = words
    return title or "Untitled"


# --- opening and decoding --------------------------------------------------------------


# PyAV before 19 decodes every tag as UTF-8 when it opens a file, so a tag in another
# encoding (common in old MP3s) failed the open unless told to ignore it. PyAV 19 dropped the
# option and decodes a tag only when it is read; tags are read with mutagen, never through av.
_OPEN_OPTIONS: dict[str, str] = (
    {"metadata_errors": "ignore"} if int(av.__version__.split(".")[0]) < 19 else {}
)


@contextlib.contextmanager
def _open_audio(path: Path) -> Iterator[tuple[InputContainer, AudioStream]]:
    sniffed = sniff_file(path)
    if sniffed.kind != "audio":
        raise UnsupportedMedia(
            f"This file is not a supported audio format (looks like {sniffed.label})"
        )
    try:
        container = av.open(str(path), format=_DEMUXERS[sniffed.mime], **_OPEN_OPTIONS)
    except av.error.FFmpegError as exc:
        raise UnsupportedMedia(DAMAGED) from exc
    with container:
        yield container, _audio_stream(container)


def _audio_stream(container: InputContainer) -> AudioStream:
    if not container.streams.audio:
        raise UnsupportedMedia("The file contains no audio")
    stream = container.streams.audio[0]
    try:
        codec = _codec_name(stream)
        rate, channels = stream.codec_context.sample_rate, stream.codec_context.channels
    except (av.error.FFmpegError, AttributeError, ValueError) as exc:
        raise UnsupportedMedia(DAMAGED) from exc
    if codec not in _CODECS and not codec.startswith("pcm_"):
        raise UnsupportedMedia(f"The audio codec “{codec}” is not supported")
    if rate not in _RATES or not 0 < channels <= _MAX_CHANNELS or not stream.time_base:
        raise UnsupportedMedia(DAMAGED)
    return stream


def _playable(frame: AudioFrame) -> bool:
    return (
        frame.samples > 0
        and frame.sample_rate in _RATES
        and 0 < frame.layout.nb_channels <= _MAX_CHANNELS
    )


def _codec_name(stream: AudioStream) -> str:
    # The codec id's name ("mp3"), not the decoder's ("mp3float").
    return stream.codec_context.codec.canonical_name


def _packets(container: InputContainer, stream: AudioStream) -> Iterator[av.Packet]:
    """Demuxed packets; a demuxer error (truncated or corrupt tail) just ends the stream."""
    demuxer = container.demux(stream)
    while True:
        try:
            packet = next(demuxer)
        except StopIteration:
            return
        except av.error.FFmpegError:
            return
        yield packet


def _frames(container: InputContainer, stream: AudioStream) -> Iterator[AudioFrame]:
    """Decoded frames, skipping undecodable packets like a player would."""
    bad_run = 0
    for packet in _packets(container, stream):
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            bad_run += 1
            if bad_run > _MAX_BAD_PACKETS:
                return
            continue
        bad_run = 0
        yield from filter(_playable, frames)
    try:  # the demuxer may have stopped early, before its flush packet
        tail = stream.codec_context.decode(None)
    except av.error.FFmpegError:
        tail = []
    yield from filter(_playable, tail)


def _scan(container: InputContainer, stream: AudioStream) -> tuple[float, int, bool]:
    """(duration in seconds, audio payload bytes, whether anything decodes) in one cheap
    pass: every packet is read but only the first few are decoded.

    The duration runs from where playback starts to the end of the last packet:

    - a packet's duration counts only when plausible (at most ``_MAX_PACKET_SAMPLES``).
      FFmpeg's Ogg demuxer keeps it in an unsigned 32-bit field and gives the last packet
      "final granule position minus its pts", which is negative when the end trimming
      reaches back past that packet (a short Vorbis file): -448 arrives as 4294966848,
      27 hours at 44.1 kHz. Such a packet counts as ending where it starts.
    - playback starts at the stream's start time when it lies after the first packet:
      priming packets have negative timestamps (MP4, Ogg) or the start time skips the
      encoder delay (MP3's LAME header).
    - when the header's duration agrees with the measurement to within two packets, the
      smaller wins: the header knows about the encoder's end padding, and a truncated
      file or a lying header disagrees by far more than that.
    """
    time_base = stream.time_base
    longest = Fraction(_MAX_PACKET_SAMPLES, stream.codec_context.sample_rate) / time_base
    first = end = None
    packet_ticks = 0  # the longest plausible packet seen
    payload = 0
    decodable = False
    for packet in _packets(container, stream):
        payload += packet.size
        if packet.pts is not None:
            duration = packet.duration or 0
            if not 0 < duration <= longest:
                duration = 0
            packet_ticks = max(packet_ticks, duration)
            first = packet.pts if first is None else min(first, packet.pts)
            stop = packet.pts + duration
            end = stop if end is None else max(end, stop)
        if not decodable:
            with contextlib.suppress(av.error.FFmpegError):
                decodable = any(frame.samples > 0 for frame in packet.decode())
    if first is None or end is None or end <= first:
        return _header_duration(container, stream), payload, decodable
    start = stream.start_time
    ticks = end - (start if start is not None and first < start < end else first)
    header = stream.duration
    if header and header > 0 and abs(header - ticks) <= 2 * packet_ticks:
        ticks = min(ticks, header)
    return float(ticks * time_base), payload, decodable


def _header_duration(container: InputContainer, stream: AudioStream) -> float:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return container.duration / av.time_base if container.duration else 0.0


def _expected_samples(container: InputContainer, stream: AudioStream, rate: int) -> int | None:
    seconds = _header_duration(container, stream)
    return round(seconds * rate) if seconds > 0 else None


def _check_duration(seconds: float, limit: float) -> None:
    if seconds > limit:
        raise UnsupportedMedia(
            f"The audio is too long: {_hours_minutes(seconds)} (limit {_hours_minutes(limit)})"
        )


def _hours_minutes(seconds: float) -> str:
    minutes = int(seconds // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and not minutes:
        return f"{hours} h"
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


# --- sample conversion -----------------------------------------------------------------

_INT_SCALE = {"s16": 2.0**15, "s32": 2.0**31, "s64": 2.0**63}
# Decoders legitimately overshoot 1.0 a little (inter-sample peaks); far beyond is garbage.
_FLOAT_LIMIT = 4.0

# Where each named channel goes in a stereo downmix (ITU-R BS.775 style, -3 dB centre).
_C = 0.7071
_TO_STEREO = {
    "FL": (1.0, 0.0),
    "FR": (0.0, 1.0),
    "FC": (_C, _C),
    "LFE": (0.0, 0.0),
    "BL": (_C, 0.0),
    "BR": (0.0, _C),
    "SL": (_C, 0.0),
    "SR": (0.0, _C),
    "BC": (0.5, 0.5),
    "FLC": (1.0, 0.0),
    "FRC": (0.0, 1.0),
    "TFL": (_C, 0.0),
    "TFR": (0.0, _C),
    "TBL": (0.5, 0.0),
    "TBR": (0.0, 0.5),
    "DL": (1.0, 0.0),
    "DR": (0.0, 1.0),
}


def _to_float(frame: AudioFrame) -> np.ndarray:
    """Samples as float32 in -1..1, shaped (channels, samples), whatever the format."""
    data = frame.to_ndarray()
    fmt = frame.format
    if not fmt.is_planar:  # packed: (1, samples * channels), interleaved
        data = data.reshape(-1, frame.layout.nb_channels).T
    base = fmt.name.removesuffix("p")
    if base in ("flt", "dbl"):
        # Float PCM can hold NaN, infinities or absurd levels, which make the AAC
        # encoder fail outright ("Input contains NaN/+-Inf"): play them as silence/clip.
        data = np.nan_to_num(data.astype(np.float32, copy=False), nan=0.0, posinf=1.0, neginf=-1.0)
        return np.clip(data, -_FLOAT_LIMIT, _FLOAT_LIMIT, out=data)
    if base == "u8":
        return (data.astype(np.float32) - 128.0) / 128.0
    return data.astype(np.float32) / np.float32(_INT_SCALE[base])


def _to_stereo(frame: AudioFrame) -> np.ndarray:
    """(2, samples) float32, C-contiguous. Mono is duplicated at full level, not -3 dB."""
    samples = _to_float(frame)
    channels = samples.shape[0]
    if channels == 2:
        return np.ascontiguousarray(samples)
    if channels == 1:
        return np.repeat(samples, 2, axis=0)
    matrix = _downmix_matrix(tuple(ch.name for ch in frame.layout.channels))
    return np.ascontiguousarray(matrix @ samples)


@lru_cache(maxsize=32)
def _downmix_matrix(names: tuple[str, ...]) -> np.ndarray:
    known = [_TO_STEREO.get(name) for name in names]
    # Unnamed channel order: an even mix is the only safe guess.
    even = [(1.0, 1.0)] * len(names)
    rows = [gains or (0.5, 0.5) for gains in known] if any(known) else even
    matrix = np.array(rows, dtype=np.float32).T
    # Scale so a full-scale signal on every channel cannot clip (as FFmpeg does for ints).
    return matrix / max(1.0, float(matrix.sum(axis=1).max()))


def _output_rate(input_rate: int) -> int:
    return 44_100 if input_rate % 11_025 == 0 else 48_000


# --- outputs ---------------------------------------------------------------------------


class _PeakMeter:
    """Streaming peak meter: keeps one max per small block, never the decoded track.

    The block is sized from the expected length (~8 blocks per output point), so short
    clips still resolve ``points`` buckets. A header may lie about the length, so when
    blocks pile up past ``_MAX_BLOCKS_PER_POINT`` per point, neighbours are merged and the
    block doubles: memory stays bounded whatever the file claims.
    """

    _MAX_BLOCKS_PER_POINT = 32

    def __init__(self, expected_samples: int | None, points: int) -> None:
        self.points = points
        self.block = max(1, expected_samples // (points * 8)) if expected_samples else 256
        self.blocks: list[np.ndarray] = []
        self.count = 0  # complete blocks held
        self.partial_peak = 0.0
        self.partial_len = 0

    def add(self, peaks: np.ndarray) -> None:
        start = 0
        if self.partial_len:  # finish the block the previous frame started
            start = min(self.block - self.partial_len, peaks.size)
            self.partial_peak = max(self.partial_peak, float(peaks[:start].max()))
            self.partial_len += start
            if self.partial_len < self.block:
                return
            self._keep(np.array([self.partial_peak], dtype=np.float32))
            self.partial_len, self.partial_peak = 0, 0.0
        whole = (peaks.size - start) // self.block * self.block
        if whole:
            self._keep(peaks[start : start + whole].reshape(-1, self.block).max(axis=1))
        rest = peaks[start + whole :]
        if rest.size:
            self.partial_peak, self.partial_len = float(rest.max()), rest.size
        if self.count > self.points * self._MAX_BLOCKS_PER_POINT:
            self._merge_pairs()

    def _keep(self, blocks: np.ndarray) -> None:
        self.blocks.append(blocks)
        self.count += blocks.size

    def _merge_pairs(self) -> None:
        fine = np.concatenate(self.blocks)
        if fine.size % 2:  # the odd block out becomes the start of the partial block
            self.partial_peak = max(self.partial_peak, float(fine[-1]))
            self.partial_len += self.block
            fine = fine[:-1]
        merged = fine.reshape(-1, 2).max(axis=1)
        self.blocks, self.count, self.block = [merged], merged.size, self.block * 2

    def result(self) -> list[float]:
        parts = self.blocks + ([np.array([self.partial_peak])] if self.partial_len else [])
        if not parts:
            return [0.0] * self.points
        fine = np.concatenate(parts)
        # Bucket i covers fine[edges[i]:edges[i+1]]; with fewer blocks than points,
        # reduceat repeats the block a bucket falls in, which is what a display wants.
        edges = np.arange(self.points) * fine.size // self.points
        buckets = np.maximum.reduceat(fine, edges)
        loudest = float(buckets.max())
        if loudest > 0:
            buckets = buckets / loudest
        return [round(float(v), 3) for v in buckets]


class _AacWriter:
    """Stereo AAC-LC in an MP4 ("ipod", brand M4A) with the moov box first (faststart)."""

    def __init__(self, dst: Path, rate: int, bitrate: int) -> None:
        self.dst, self.rate, self.bitrate = dst, rate, bitrate
        self.tmp = dst.with_name(f".{dst.name}.{os.getpid()}.part")
        self.container = av.open(
            str(self.tmp), "w", format="ipod", options={"movflags": "+faststart"}
        )
        self.stream = self.container.add_stream("aac", rate=rate)
        self.stream.layout = "stereo"
        self.stream.bit_rate = bitrate
        self.resampler: av.AudioResampler | None = None
        self.input_rate = 0
        self.samples = 0

    def write(self, stereo: np.ndarray, rate: int) -> None:
        if rate != self.input_rate:  # a rate change mid-stream needs a new resampler
            self._drain()
            self.resampler = av.AudioResampler(format="fltp", layout="stereo", rate=self.rate)
            self.input_rate = rate
        frame = AudioFrame.from_ndarray(stereo, format="fltp", layout="stereo")
        frame.sample_rate = rate
        assert self.resampler is not None
        self._encode(self.resampler.resample(frame))

    def _drain(self) -> None:
        if self.resampler is not None:
            self._encode(self.resampler.resample(None))

    def _encode(self, frames: list[AudioFrame]) -> None:
        for frame in frames:
            self.samples += frame.samples
            self.container.mux(self.stream.encode(frame))

    def finish(self) -> RenditionInfo:
        self._drain()
        self.container.mux(self.stream.encode(None))
        self.container.close()
        os.replace(self.tmp, self.dst)
        return RenditionInfo(
            path=self.dst,
            mime=RENDITION_MIME,
            codec="aac",
            bitrate=self.bitrate,
            sample_rate=self.rate,
            channels=2,
            duration_ms=round(self.samples * 1000 / self.rate),
            size=self.dst.stat().st_size,
            sha256=sha256_file(self.dst),
        )

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.container.close()
        self.tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _discard_on_error(writer: _AacWriter | None) -> Iterator[None]:
    try:
        yield
    except BaseException:
        if writer is not None:
            writer.abort()
        raise


# --- tags ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Tags:
    title: str | None = None
    artist: str | None = None
    album: str | None = None
    album_artist: str | None = None
    track_number: int | None = None
    disc_number: int | None = None
    year: int | None = None
    genre: str | None = None
    cover: bytes | None = None
    cover_mime: str | None = None
    lyrics: tuple[Lyrics, ...] = ()

    def set_cover(self, data: bytes | None) -> None:
        """Keep embedded art only if its bytes really are an allow-listed image."""
        if data and (found := sniff(bytes(data[:HEAD_SIZE]))).kind == "image":
            self.cover, self.cover_mime = bytes(data), found.mime

    def set_lyrics(self, read: Callable[[Any], list[Lyrics]], source: Any) -> None:
        try:
            self.lyrics = tuple(read(source))
        except Exception:  # a damaged lyrics tag must not cost the other tags
            self.lyrics = ()


def _read_tags(path: Path) -> _Tags:
    try:
        audio = mutagen.File(path)
        if audio is None:
            return _Tags()
        if isinstance(audio, MP4):
            return _mp4_tags(audio.tags or {})
        if isinstance(audio, FLAC | OggVorbis | OggOpus):
            return _vorbis_tags(audio.tags or {}, list(getattr(audio, "pictures", [])))
        if isinstance(audio.tags, ID3):  # MP3, WAV, AIFF and ID3-fronted streams
            return _id3_tags(audio.tags)
    except Exception:  # tags are optional: never reject playable audio over a bad tag
        return _Tags()
    return _Tags()


def _text(value: object) -> str | None:
    text = " ".join(str(value).replace("\x00", " ").split())
    return text[:300] or None


def _number(value: object) -> int | None:
    """ "3/12" -> 3; also MP4's (3, 12) tuples."""
    if isinstance(value, tuple):
        value = value[0] if value else None
    match = re.match(r"\s*(\d{1,4})", str(value)) if value is not None else None
    number = int(match.group(1)) if match else 0
    return number or None


def _year(value: object) -> int | None:
    match = re.match(r"\s*(\d{4})", str(value)) if value is not None else None
    return int(match.group(1)) if match and int(match.group(1)) > 0 else None


def _id3_tags(id3: ID3) -> _Tags:
    def first(frame_id: str) -> Any:
        frames = id3.getall(frame_id)
        return frames[0].text[0] if frames and frames[0].text else None

    genres = id3.getall("TCON")
    tags = _Tags(
        title=_text(first("TIT2") or ""),
        artist=_text(first("TPE1") or ""),
        album=_text(first("TALB") or ""),
        album_artist=_text(first("TPE2") or ""),
        track_number=_number(first("TRCK")),
        disc_number=_number(first("TPOS")),
        year=_year(first("TDRC") or first("TYER")),
        genre=_text(genres[0].genres[0]) if genres and genres[0].genres else None,
    )
    pictures = id3.getall("APIC")
    front = [p for p in pictures if p.type == 3] or pictures  # 3: front cover
    tags.set_cover(front[0].data if front else None)
    tags.set_lyrics(lyrics.from_id3, id3)
    return tags


def _mp4_tags(mp4: Any) -> _Tags:
    def first(key: str) -> Any:
        values = mp4.get(key)
        return values[0] if values else None

    tags = _Tags(
        title=_text(first("\xa9nam") or ""),
        artist=_text(first("\xa9ART") or ""),
        album=_text(first("\xa9alb") or ""),
        album_artist=_text(first("aART") or ""),
        track_number=_number(first("trkn")),
        disc_number=_number(first("disk")),
        year=_year(first("\xa9day")),
        genre=_text(first("\xa9gen") or ""),
    )
    tags.set_cover(first("covr"))
    tags.set_lyrics(lyrics.from_mp4, mp4)
    return tags


def _vorbis_tags(comments: Any, pictures: list[Picture]) -> _Tags:
    def first(*keys: str) -> Any:
        for key in keys:
            values = comments.get(key)
            if values:
                return values[0]
        return None

    tags = _Tags(
        title=_text(first("title") or ""),
        artist=_text(first("artist") or ""),
        album=_text(first("album") or ""),
        album_artist=_text(first("albumartist", "album artist", "album_artist") or ""),
        track_number=_number(first("tracknumber")),
        disc_number=_number(first("discnumber")),
        year=_year(first("date", "year")),
        genre=_text(first("genre") or ""),
    )
    # Ogg carries pictures as base64 FLAC picture blocks in a comment.
    for encoded in comments.get("metadata_block_picture") or []:
        with contextlib.suppress(binascii.Error, ValueError, mutagen.MutagenError):
            pictures.append(Picture(base64.b64decode(encoded)))
    front = [p for p in pictures if p.type == 3] or pictures
    tags.set_cover(front[0].data if front else None)
    tags.set_lyrics(lyrics.from_vorbis, comments)
    return tags
