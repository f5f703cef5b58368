"""Music for the demo catalog, synthesised here (no downloaded media): short melodies
over a bass line, encoded as MP3 with PyAV and tagged with mutagen."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from mutagen.id3 import APIC, ID3, TALB, TCON, TDRC, TIT2, TPE1, TRCK

RATE = 44_100
SCALES = {
    "minor": [0, 2, 3, 5, 7, 8, 10],
    "major": [0, 2, 4, 5, 7, 9, 11],
    "dorian": [0, 2, 3, 5, 7, 9, 10],
    "pentatonic": [0, 2, 4, 7, 9],
}


def melody(seed: int, seconds: float) -> np.ndarray:
    """(2, samples) float32 stereo: a seeded tune with a soft attack/decay per note."""
    rng = np.random.default_rng(seed)
    scale = list(SCALES.values())[seed % len(SCALES)]
    root = 196.0 * 2 ** (rng.integers(0, 7) / 12)
    beat = 60 / rng.integers(84, 132)
    n = int(seconds * RATE)
    out = np.zeros(n, dtype=np.float64)
    t_note = np.arange(int(beat * RATE)) / RATE
    envelope = np.minimum(1, t_note * 60) * np.exp(-3.0 * t_note / beat)
    step = rng.integers(0, len(scale))
    for i, start in enumerate(range(0, n, len(t_note))):
        step = (step + rng.choice([-2, -1, 1, 1, 2])) % len(scale)
        freq = root * 2 ** (scale[step] / 12 + (1 if i % 8 == 7 else 0))
        bass = root / 2 * 2 ** (scale[(i // 4 * 3) % len(scale)] / 12)
        note = 0.45 * np.sin(2 * np.pi * freq * t_note) + 0.12 * np.sin(4 * np.pi * freq * t_note)
        note += 0.3 * np.sin(2 * np.pi * bass * t_note)
        end = min(n, start + len(t_note))
        out[start:end] += (note * envelope)[: end - start]
    fade = np.minimum(1, np.minimum(np.arange(n), n - np.arange(n)) / (RATE * 0.5))
    out *= fade * 0.8
    return np.stack([out, out * 0.92]).astype(np.float32)


def write_mp3(path: Path, samples: np.ndarray) -> None:
    with av.open(str(path), "w", format="mp3") as container:
        stream = container.add_stream("mp3", rate=RATE)
        stream.layout = "stereo"
        stream.bit_rate = 160_000
        for start in range(0, samples.shape[1], 4096):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(samples[:, start : start + 4096]),
                format="fltp",
                layout="stereo",
            )
            frame.sample_rate = RATE
            frame.pts = start
            frame.time_base = Fraction(1, RATE)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def make_track(
    path: Path,
    *,
    seed: int,
    seconds: float,
    title: str,
    artist: str,
    album: str,
    number: int,
    year: int,
    genre: str,
    cover_jpeg: bytes,
) -> Path:
    write_mp3(path, melody(seed, seconds))
    tags = ID3()
    tags.add(TIT2(encoding=3, text=title))
    tags.add(TPE1(encoding=3, text=artist))
    tags.add(TALB(encoding=3, text=album))
    tags.add(TRCK(encoding=3, text=str(number)))
    tags.add(TDRC(encoding=3, text=str(year)))
    tags.add(TCON(encoding=3, text=genre))
    tags.add(APIC(encoding=3, mime="image/jpeg", type=3, desc="Cover", data=cover_jpeg))
    tags.save(path)
    return path
