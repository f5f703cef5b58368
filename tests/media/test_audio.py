"""Audio: probe and tags, rendition, waveform, and hostile or broken input."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import struct
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from soundshelf.media.audio import (
    AudioInfo,
    _PeakMeter,
    needs_rendition,
    probe_audio,
    title_from_filename,
    transcode_with_waveform,
    waveform,
)
from soundshelf.media.errors import UnsupportedMedia
from soundshelf.media.sniff import sniff_file
from tests import mediagen
from tests.media.conftest import SECONDS, SILENT

CODECS = {
    "mp3": "mp3",
    "m4a": "aac",
    "aac": "aac",
    "flac": "flac",
    "ogg": "vorbis",
    "opus": "opus",
    "wav": "pcm_s16le",
}
AudioFile = Callable[[str], Path]


def decode_all(path: Path) -> tuple[np.ndarray, av.audio.stream.AudioStream, str]:
    """All samples (channels, n) of a file, its stream and container format name."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        frames = [frame.to_ndarray() for frame in container.decode(stream)]
        return np.concatenate(frames, axis=1), stream, container.format.name


def top_level_boxes(path: Path) -> list[bytes]:
    data, pos, boxes = path.read_bytes(), 0, []
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        boxes.append(kind)
        pos += size if size else len(data)
    return boxes


# --- probe -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", mediagen.AUDIO_FORMATS)
def test_probe_reads_duration_codec_tags_and_cover(
    fmt: str, audio_file: AudioFile, cover: bytes
) -> None:
    info = probe_audio(audio_file(fmt), filename=f"01 - My Song.{fmt}")

    assert info.duration_ms == pytest.approx(SECONDS * 1000, rel=0.05)
    assert info.codec == CODECS[fmt]
    assert info.sample_rate == (48_000 if fmt == "opus" else 44_100)
    assert info.channels == 2
    assert info.bitrate
    assert info.bitrate > 0
    if fmt == "aac":  # ADTS carries no tags: the title comes from the file name
        assert (info.title, info.artist, info.cover) == ("My Song", None, None)
        return
    tags = {field: getattr(info, field) for field in mediagen.TAGS}
    assert tags == mediagen.TAGS
    assert info.cover == cover
    assert info.cover_mime == "image/jpeg"


@pytest.mark.parametrize(
    ("fmt", "seconds", "rate", "channels"),
    [
        pytest.param(fmt, seconds, rate, channels, id=f"{fmt}-{label}")
        for fmt in mediagen.AUDIO_FORMATS
        for label, seconds, rate, channels in [
            ("0.5s", 0.5, 44_100, 2),
            ("2.5s", 2.5, 44_100, 2),
            ("0.5s-48k-mono", 0.5, 48_000, 1),
        ]
        if not (fmt == "ogg" and channels == 1)  # FFmpeg's Vorbis encoder: stereo only
    ],
)
def test_probe_measures_short_files_exactly(
    fmt: str, seconds: float, rate: int, channels: int, tmp_path: Path
) -> None:
    """Regression: a 0.5 s Ogg Vorbis measured 27 h (the demuxer's unsigned 32-bit packet
    duration wrapped). Encoder delay and padding are not counted either: the header says
    how much there is in MP3 (LAME), MP4 (edit list) and Ogg (pre-skip, final granule).
    Raw ADTS AAC records neither, so it keeps up to two frames of them, like players do."""
    path = mediagen.make_audio(
        tmp_path / f"short.{fmt}", fmt, seconds, sample_rate=rate, channels=channels
    )

    info = probe_audio(path, filename=path.name)

    tolerance_ms = 2 * 1024 / rate * 1000 if fmt == "aac" else 5
    assert info.duration_ms == pytest.approx(seconds * 1000, abs=tolerance_ms)
    assert info.bitrate is not None
    assert 0 < info.bitrate < 2_000_000


def test_probe_measures_bitrate_without_the_cover_art(audio_file: AudioFile) -> None:
    info = probe_audio(audio_file("mp3"), filename="x.mp3")
    assert info.bitrate == pytest.approx(128_000, rel=0.03)


def test_untagged_file_gets_title_from_filename(tmp_path: Path) -> None:
    path = mediagen.make_audio(tmp_path / "upload.bin", "flac", 0.5)
    info = probe_audio(path, filename="07 Night_Drive.flac")
    assert info.title == "Night Drive"
    assert (info.artist, info.album, info.year, info.cover) == (None, None, None, None)


@pytest.mark.parametrize(
    ("filename", "title"),
    [
        ("01 - My Song.mp3", "My Song"),
        ("3. Intro.flac", "Intro"),
        ("1-02 Second Disc.m4a", "Second Disc"),
        ("07 Night_Drive.ogg", "Night Drive"),
        ("99 Luftballons.mp3", "99 Luftballons"),
        ("1984.mp3", "1984"),
        ("C:\\Users\\me\\Music\\Song.wav", "Song"),
        ("01 - .mp3", "01 -"),
        (".mp3", ".mp3"),
    ],
)
def test_title_from_filename(filename: str, title: str) -> None:
    assert title_from_filename(filename) == title


def test_cover_that_is_not_an_image_is_dropped(tmp_path: Path) -> None:
    path = mediagen.make_audio(
        tmp_path / "a.mp3", "mp3", 0.5, tags={"title": "T"}, cover=b"MZ\x90\x00not a picture"
    )
    info = probe_audio(path, filename="a.mp3")
    assert (info.title, info.cover, info.cover_mime) == ("T", None, None)


def test_damaged_tag_does_not_reject_playable_audio(tmp_path: Path) -> None:
    path = mediagen.make_audio(tmp_path / "a.mp3", "mp3", 1.0, tags=mediagen.TAGS)
    data = bytearray(path.read_bytes())
    data[10:30] = b"\xff" * 20  # garble the first ID3 frame header
    path.write_bytes(bytes(data))
    info = probe_audio(path, filename="Fallback.mp3")
    assert info.duration_ms == pytest.approx(1000, rel=0.1)


def test_tag_that_is_not_utf8_does_not_reject_the_file(tmp_path: Path) -> None:
    """Old MP3s often hold Latin-1 in frames that say UTF-8. FFmpeg passes the bytes on;
    PyAV 18 (Python 3.11) failed the open on them unless told to ignore, and PyAV 19
    (3.12+) removed that option, so every upload failed there. Both must play the file."""
    path = mediagen.make_audio(tmp_path / "a.mp3", "mp3", 1.0)
    text = b"\x03Caf\xe9 \xff\xfe"  # encoding byte 3 (UTF-8), then bytes that are not UTF-8
    frame = b"TIT2" + len(text).to_bytes(4, "big") + b"\x00\x00" + text
    header = b"ID3\x04\x00\x00" + len(frame).to_bytes(4, "big")  # sizes < 128: syncsafe too
    path.write_bytes(header + frame + path.read_bytes())

    info = probe_audio(path, filename="Fallback.mp3")

    assert info.duration_ms == pytest.approx(1000, rel=0.1)
    assert info.codec == "mp3"


def test_duration_cap(audio_file: AudioFile, tmp_path: Path) -> None:
    with pytest.raises(UnsupportedMedia, match=r"too long: 0 min \(limit 0 min\)"):
        probe_audio(audio_file("flac"), filename="x.flac", max_duration_s=1)
    dst = tmp_path / "out.m4a"
    with pytest.raises(UnsupportedMedia, match="too long"):
        transcode_with_waveform(audio_file("flac"), dst, max_duration_s=1)
    assert list(tmp_path.iterdir()) == []  # no rendition, no leftover temp file


# --- rendition -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", mediagen.AUDIO_FORMATS)
def test_rendition_is_faststart_stereo_aac_that_plays(
    fmt: str, audio_file: AudioFile, tmp_path: Path
) -> None:
    dst = tmp_path / "rendition.m4a"
    rendition, peaks = transcode_with_waveform(audio_file(fmt), dst)

    assert rendition is not None
    assert rendition.path == dst
    samples, stream, container_format = decode_all(dst)
    assert "mp4" in container_format
    assert stream.codec_context.codec.canonical_name == "aac"
    assert stream.codec_context.channels == 2
    expected_rate = 48_000 if fmt == "opus" else 44_100
    assert stream.codec_context.sample_rate == rendition.sample_rate == expected_rate
    assert samples.shape[1] / expected_rate == pytest.approx(SECONDS, rel=0.05)
    assert rendition.duration_ms == pytest.approx(SECONDS * 1000, rel=0.05)
    boxes = top_level_boxes(dst)
    assert boxes[0] == b"ftyp"
    assert boxes.index(b"moov") < boxes.index(b"mdat")  # faststart
    assert dst.read_bytes()[8:12] == b"M4A "
    assert sniff_file(dst).mime == rendition.mime == "audio/mp4"
    assert rendition.size == dst.stat().st_size
    assert rendition.sha256 == hashlib.sha256(dst.read_bytes()).hexdigest()
    assert [p.name for p in tmp_path.iterdir()] == ["rendition.m4a"]
    # The silent second stays silent and the music stays audible.
    silent = samples[:, int(1.1 * expected_rate) : int(1.9 * expected_rate)]
    assert np.abs(silent).max() < 0.01
    assert np.abs(samples[:, : expected_rate // 2]).max() > 0.3
    assert len(peaks) == 1000


@pytest.mark.parametrize(
    ("channels", "rate", "fmt", "expected_rate"),
    [(1, 22_050, "mp3", 44_100), (6, 96_000, "flac", 48_000), (6, 44_100, "wav", 44_100)],
)
def test_rendition_downmixes_and_resamples(
    channels: int, rate: int, fmt: str, expected_rate: int, tmp_path: Path
) -> None:
    src = mediagen.make_audio(tmp_path / f"in.{fmt}", fmt, 1.0, channels=channels, sample_rate=rate)
    rendition, _ = transcode_with_waveform(src, tmp_path / "out.m4a", points=1)
    assert rendition is not None
    samples, stream, _ = decode_all(rendition.path)
    assert (stream.codec_context.channels, rendition.sample_rate) == (2, expected_rate)
    assert samples.shape[1] / expected_rate == pytest.approx(1.0, rel=0.05)
    peak = np.abs(samples).max()
    if channels == 1:  # mono plays at its own level on both speakers (source peak 0.6)
        assert peak == pytest.approx(0.6, abs=0.08)
        assert np.allclose(samples[0], samples[1], atol=0.02)
    else:  # a 5.1 downmix must not clip
        assert 0.2 < peak < 1.0


def test_waveform_alone_matches_the_single_pass(audio_file: AudioFile, tmp_path: Path) -> None:
    src = audio_file("ogg")
    both, peaks = transcode_with_waveform(src, tmp_path / "a.m4a", points=200)
    assert both is not None
    assert waveform(src, points=200) == peaks
    assert transcode_with_waveform(src, None, points=200) == (None, peaks)


# --- waveform --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", mediagen.AUDIO_FORMATS)
def test_waveform_shape_range_and_silence(fmt: str, audio_file: AudioFile) -> None:
    peaks = waveform(audio_file(fmt))

    assert len(peaks) == 1000
    assert all(0.0 <= p <= 1.0 for p in peaks)
    assert max(peaks) == 1.0  # normalised to the loudest bucket
    assert all(p == round(p, 3) for p in peaks)
    start, end = (round(s / SECONDS * 1000) for s in SILENT)
    silent = peaks[start + 15 : end - 15]  # stay clear of codec pre-echo at the edges
    music = peaks[20 : start - 20] + peaks[end + 20 : -20]
    assert max(silent) < 0.05
    assert np.mean(music) > 0.5


def test_waveform_points_fewer_or_more_than_samples(tmp_path: Path) -> None:
    short = mediagen.make_audio(tmp_path / "short.wav", "wav", 0.01)  # 441 samples
    assert len(waveform(short, points=2000)) == 2000
    assert len(waveform(short, points=7)) == 7
    with pytest.raises(ValueError, match="points"):
        waveform(short, points=0)


def test_peak_meter_memory_is_bounded_when_the_header_lies() -> None:
    meter = _PeakMeter(expected_samples=10, points=100)  # claims 10 samples: block of 1
    ramp = np.linspace(0.0, 1.0, 1_000_000, dtype=np.float32)
    for chunk in np.split(ramp, 1000):  # frames of 1000 samples, a million in all
        meter.add(chunk)
    assert meter.count <= 100 * 32
    peaks = meter.result()
    assert len(peaks) == 100
    assert peaks == sorted(peaks)  # still a faithful ramp
    assert peaks[0] == pytest.approx(0.01, abs=0.005)
    assert peaks[-1] == 1.0


def test_all_silent_track_has_a_flat_waveform(tmp_path: Path) -> None:
    path = mediagen.make_audio(tmp_path / "quiet.flac", "flac", 1.0, silent=(0.0, 1.0))
    assert waveform(path, points=50) == [0.0] * 50


# --- needs_rendition -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("mp3", False),
        ("m4a", False),
        ("aac", True),  # ADTS: no index, so no seeking over HTTP ranges
        ("flac", True),
        ("ogg", True),
        ("opus", True),
        ("wav", True),
    ],
)
def test_needs_rendition(fmt: str, expected: bool, audio_file: AudioFile) -> None:
    path = audio_file(fmt)
    info = probe_audio(path, filename=path.name)
    assert needs_rendition(info, mime=sniff_file(path).mime) is expected


def test_needs_rendition_for_heavy_or_unknown_bitrate() -> None:
    info = AudioInfo(
        duration_ms=1000, codec="mp3", bitrate=320_000, sample_rate=44_100, channels=2, title="t"
    )
    assert needs_rendition(info, mime="audio/mpeg") is False
    assert needs_rendition(info, mime="audio/mp3; foo=bar") is False  # alias and params
    assert needs_rendition(dataclasses.replace(info, bitrate=321_000), mime="audio/mpeg")
    assert needs_rendition(dataclasses.replace(info, bitrate=None), mime="audio/mpeg")
    assert needs_rendition(dataclasses.replace(info, codec="alac"), mime="audio/mp4")


# --- broken and hostile input ----------------------------------------------------------


def test_float_wav_with_nan_and_infinity_still_transcodes(tmp_path: Path) -> None:
    samples = mediagen.melody(1.0)
    samples[0, 30_000], samples[1, 30_010], samples[0, 40_000] = np.nan, np.inf, 1e6
    src = tmp_path / "float.wav"
    with av.open(str(src), "w", format="wav") as container:
        stream = container.add_stream("pcm_f32le", rate=44_100)
        stream.layout = "stereo"
        packed = np.ascontiguousarray(samples.T.reshape(1, -1))
        frame = av.AudioFrame.from_ndarray(packed, format="flt", layout="stereo")
        frame.sample_rate = 44_100
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))

    rendition, peaks = transcode_with_waveform(src, tmp_path / "out.m4a", points=100)

    assert rendition is not None
    assert rendition.duration_ms == pytest.approx(1000, rel=0.05)
    assert all(0.0 <= p <= 1.0 for p in peaks)


def test_truncated_mp3_is_processed_with_the_shorter_duration(tmp_path: Path) -> None:
    """Decision: a cut-off MP3 plays like it would in a player, up to where it stops."""
    full = mediagen.make_audio(tmp_path / "full.mp3", "mp3", 10.0)
    cut = mediagen.truncate(full, 0.6, tmp_path / "cut.mp3")

    info = probe_audio(cut, filename="cut.mp3")
    rendition, peaks = transcode_with_waveform(cut, tmp_path / "cut.m4a")

    assert info.duration_ms == pytest.approx(6000, abs=300)
    assert rendition is not None
    assert rendition.duration_ms == pytest.approx(6000, abs=300)
    samples, _, _ = decode_all(rendition.path)
    assert samples.shape[1] / 44_100 == pytest.approx(6.0, abs=0.3)
    assert len(peaks) == 1000
    assert max(peaks) == 1.0


def test_truncated_m4a_without_its_index_is_rejected(tmp_path: Path) -> None:
    # Not faststart: the moov index is at the end, so a cut file has no index at all.
    full = mediagen.make_audio(tmp_path / "full.m4a", "m4a", 3.0)
    cut = mediagen.truncate(full, 0.6, tmp_path / "cut.m4a")
    with pytest.raises(UnsupportedMedia, match="damaged"):
        probe_audio(cut, filename="cut.m4a")
    with pytest.raises(UnsupportedMedia, match="damaged"):
        transcode_with_waveform(cut, tmp_path / "out.m4a")
    assert not (tmp_path / "out.m4a").exists()


def test_corrupt_middle_is_skipped_like_a_player_would(tmp_path: Path) -> None:
    path = mediagen.make_audio(tmp_path / "a.mp3", "mp3", 4.0)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 2000] = mediagen.random_bytes(2000, seed=3)
    path.write_bytes(bytes(data))
    rendition, _ = transcode_with_waveform(path, tmp_path / "out.m4a")
    assert rendition is not None
    assert rendition.duration_ms == pytest.approx(4000, rel=0.1)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (mediagen.random_bytes(64 * 1024, seed=1), "looks like an unrecognised binary file"),
        (b"", "looks like an empty file"),
        (b"hello, this is not music\n" * 100, "looks like a text file"),
        (b"%PDF-1.7\n" + mediagen.random_bytes(1000), "looks like a PDF document"),
    ],
    ids=["random", "empty", "text", "pdf"],
)
def test_non_audio_named_mp3_is_rejected(content: bytes, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "song.mp3"
    path.write_bytes(content)
    for call in (
        lambda: probe_audio(path, filename="song.mp3"),
        lambda: transcode_with_waveform(path, tmp_path / "out.m4a"),
    ):
        with pytest.raises(UnsupportedMedia) as caught:
            call()
        assert caught.value.detail == f"This file is not a supported audio format ({reason})"
        assert (caught.value.status, caught.value.code) == (415, "unsupported_media")


def test_windows_program_is_rejected(tmp_path: Path) -> None:
    path = mediagen.make_exe(tmp_path / "song.mp3")
    with pytest.raises(UnsupportedMedia, match=r"\(looks like a Windows program\)"):
        probe_audio(path, filename="song.mp3")


@pytest.mark.parametrize(
    "head",
    [b"\xff\xfb\x90\x64", b"ID3\x04\x00\x00\x00\x00\x00\x10" + b"\x00" * 16, b"fLaC"],
    ids=["mp3-sync", "id3", "flac"],
)
def test_audio_header_followed_by_garbage_is_damaged(head: bytes, tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(head + mediagen.random_bytes(50_000, seed=5))
    with pytest.raises(UnsupportedMedia, match="damaged"):
        probe_audio(path, filename="x.mp3")
    with pytest.raises(UnsupportedMedia, match="damaged"):
        waveform(path)


def test_video_in_mp4_is_not_audio(tmp_path: Path) -> None:
    path = mediagen.make_mp4_video(tmp_path / "clip.mp4")
    with pytest.raises(UnsupportedMedia, match="looks like an MP4 video"):
        probe_audio(path, filename="clip.m4a")


def test_audio_only_mp4_with_generic_brand_is_audio(tmp_path: Path) -> None:
    path = mediagen.make_mp4_audio(tmp_path / "voice.mp4")
    assert path.read_bytes()[8:12] == b"isom"
    info = probe_audio(path, filename="voice.mp4")
    assert (info.codec, info.title) == ("aac", "voice")
    assert needs_rendition(info, mime="audio/mp4") is False


@pytest.mark.parametrize("fmt", mediagen.AUDIO_FORMATS)
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_mangled_files_never_raise_anything_but_unsupported_media(
    fmt: str, seed: int, audio_file: AudioFile, tmp_path: Path
) -> None:
    """Fuzz-lite: flip bytes after the magic, then cut the tail: the worker must get
    either a result or UnsupportedMedia, never a decoder exception."""
    rng = np.random.default_rng(seed)
    data = bytearray(audio_file(fmt).read_bytes())
    for pos in rng.integers(64, len(data), 40):
        data[pos] = int(rng.integers(0, 256))
    path = tmp_path / f"mangled.{fmt}"
    path.write_bytes(bytes(data[: int(len(data) * rng.uniform(0.3, 1.0))]))
    for call in (
        lambda: probe_audio(path, filename=path.name),
        lambda: transcode_with_waveform(path, tmp_path / "out.m4a", points=100),
    ):
        with contextlib.suppress(UnsupportedMedia):
            call()
