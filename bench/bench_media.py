"""Media pipeline benchmark: prints a Markdown section.

    .venv/bin/python bench/bench_media.py

Audio: a generated 4-minute stereo 44.1 kHz track, as MP3 (128 kb/s) and FLAC, through
probe + tags + rendition + waveform; reported as x realtime (wall clock, and per second of
CPU time). Images: the full derivative set of a generated 24 MP (6000x4000) photo-like
JPEG, each measured in a fresh subprocess: median of 5 runs, and the peak RSS growth of
one run over a warmed-up baseline (ru_maxrss). A 24 MP PNG is shown for contrast: PNG has
no reduced-size decoding, so it costs the full bitmap.
"""

from __future__ import annotations

import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

import av  # noqa: E402
import numpy as np  # noqa: E402
import PIL  # noqa: E402
from PIL import Image  # noqa: E402

from soundshelf.media.audio import probe_audio, transcode_with_waveform  # noqa: E402
from tests import mediagen  # noqa: E402

TRACK_SECONDS = 240
IMAGE_SIZE = (6000, 4000)
RUNS = 5
TARGET_REALTIME = 30
TARGET_MS = 150
TARGET_MB = 64


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_audio(work: Path) -> list[str]:
    rows = []
    cover = mediagen.cover_jpeg((600, 600))
    # (label, format, write a rendition?): a 128 kb/s MP3 needs none in the worker.
    cases = [("MP3", "mp3", True), ("FLAC", "flac", True), ("MP3, no rendition", "mp3", False)]
    for label, fmt, rendition in cases:
        src = work / f"track.{fmt}"
        if not src.exists():
            mediagen.make_audio(src, fmt, TRACK_SECONDS, tags=mediagen.TAGS, cover=cover)
        dst = work / "rendition.m4a" if rendition else None
        walls, cpus, probes = [], [], []
        for _ in range(3):
            wall0, cpu0 = time.perf_counter(), cpu_seconds()
            probe_audio(src, filename=src.name)
            probes.append(time.perf_counter() - wall0)
            transcode_with_waveform(src, dst)
            walls.append(time.perf_counter() - wall0)
            cpus.append(cpu_seconds() - cpu0)
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        rows.append(
            f"| {label} ({src.stat().st_size / 1e6:.1f} MB) "
            f"| {statistics.median(probes) * 1000:.0f} ms | {wall:.2f} s "
            f"| **{TRACK_SECONDS / wall:.0f}x** | {TRACK_SECONDS / cpu:.0f}x |"
        )
    return rows


def photo(size: tuple[int, int], seed: int = 0) -> Image.Image:
    """Photo-like pixels: smooth colour fields, mid-frequency texture and sensor noise
    (a flat gradient would compress, and so decode, unrealistically fast)."""
    rng = np.random.default_rng(seed)
    width, height = size
    field = Image.fromarray((rng.random((8, 12, 3)) * 255).astype(np.uint8))
    base = np.asarray(field.resize(size, Image.Resampling.BICUBIC), dtype=np.int16)
    texture = Image.fromarray((rng.random((height // 8, width // 8)) * 255).astype(np.uint8))
    detail = np.asarray(texture.resize(size, Image.Resampling.BILINEAR), dtype=np.int16)
    noise = rng.integers(-12, 12, (height, width, 1), dtype=np.int16)
    pixels = base + (detail[..., None] - 128) // 3 + noise
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")


# Runs in a fresh interpreter. Linux keeps ru_maxrss across exec (the child would inherit
# this big parent's peak), so the peak is VmHWM from /proc, reset after the warm-up
# through clear_refs; ru_maxrss is the fallback elsewhere.
_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
sys.path[:0] = [sys.argv[4], sys.argv[5]]
from soundshelf.media.image import process_image

def status_kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])

src, small, out, runs = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), 5
process_image(small, out / "warm")  # load codecs and modules before the baseline
try:
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the current RSS
    base = status_kb("VmRSS")
except OSError:
    base = None
    base_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
process_image(src, out / "first")
first = time.perf_counter() - t0
if base is not None:
    growth = status_kb("VmHWM") - base
else:
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_maxrss
times = []
for i in range(runs):
    t0 = time.perf_counter()
    result = process_image(src, out / f"run{i}")
    times.append(time.perf_counter() - t0)
sizes = {k: [d.width, d.height, d.size] for k, d in result.derivatives.items()}
print(json.dumps({"times": times, "first": first, "rss_kb": growth, "sizes": sizes}))
"""


def bench_image(src: Path, small: Path, work: Path) -> dict:
    out = work / f"out-{src.suffix[1:]}"
    out.mkdir()
    args = [sys.executable, "-c", _CHILD, str(src), str(small), str(out)]
    args += [str(ROOT / "src"), str(ROOT)]
    done = subprocess.run(args, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def image_rows(work: Path) -> tuple[list[str], dict]:
    pixels = photo(IMAGE_SIZE)
    jpeg = work / "photo.jpg"
    pixels.save(jpeg, "JPEG", quality=90)
    png = work / "photo.png"
    pixels.save(png, "PNG", compress_level=1)
    small = mediagen.make_jpeg(work / "small.jpg", (640, 480))
    rows, sizes = [], {}
    for label, src in (("JPEG", jpeg), ("PNG (contrast)", png)):
        result = bench_image(src, small, work)
        median_ms = statistics.median(result["times"]) * 1000
        mb = result["rss_kb"] / 1024
        verdict = "✅" if median_ms <= TARGET_MS and mb <= TARGET_MB else "❌"
        if label != "JPEG":
            verdict = "(no target)"
        rows.append(
            f"| 6000x4000 {label}, {src.stat().st_size / 1e6:.1f} MB | **{median_ms:.0f} ms** "
            f"| {min(result['times']) * 1000:.0f} ms | {result['first'] * 1000:.0f} ms "
            f"| **{mb:.0f} MB** | {verdict} |"
        )
        sizes.setdefault("JPEG", result["sizes"])
    return rows, sizes["JPEG"]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
        work = Path(tmp)
        audio = bench_audio(work)
        images, sizes = image_rows(work)
    libavcodec = av.library_versions["libavcodec"]
    print("## Media processing\n")
    print(
        f"`bench/bench_media.py` on {platform.machine()}, Python {platform.python_version()}, "
        f"PyAV {av.__version__} (libavcodec {'.'.join(map(str, libavcodec))}), "
        f"Pillow {PIL.__version__}. One process, one thread.\n"
    )
    print(f"### Audio: {TRACK_SECONDS // 60}-minute stereo 44.1 kHz track\n")
    print("Probe + tags + AAC rendition + 1000-point waveform in one decode; median of 3.\n")
    print("| input | probe + tags | total | x realtime (wall) | x realtime (CPU) |")
    print("|---|---|---|---|---|")
    print("\n".join(audio))
    print(f"\nTarget: ≥ {TARGET_REALTIME}x realtime on one core.\n")
    print("### Images: full derivative set (thumb, medium, large WebP + BlurHash)\n")
    print("| source | median of 5 | best | first (cold) | peak RSS growth | target |")
    print("|---|---|---|---|---|---|")
    print("\n".join(images))
    derivs = ", ".join(f"{k} {w}x{h} ({b / 1024:.0f} KB)" for k, (w, h, b) in sizes.items())
    print(f"\nJPEG derivatives: {derivs}.")
    print(f"Targets (JPEG): ≤ {TARGET_MS} ms and ≤ {TARGET_MB} MB per image.")


if __name__ == "__main__":
    main()
