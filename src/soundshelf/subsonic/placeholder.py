"""A placeholder cover for items without art: a soft two-colour gradient, as a PNG.

Every song, album and artist we list names a ``coverArt`` id, and apps fetch it for the
grid; an item without art answers this image rather than an error. Made with the
standard library only (zlib), because the API's Lambda package carries no imaging
library. The colours come from the id, so each item keeps its own, and the PNG is cached.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from functools import lru_cache

SIZES = (64, 160, 300, 600)  # the image is made at the smallest of these >= the asked size
# Deep, muted pairs that white titles read well on (top colour, bottom colour).
_PALETTE = (
    ((58, 36, 92), (160, 72, 120)),
    ((20, 60, 90), (40, 150, 160)),
    ((90, 40, 30), (200, 120, 60)),
    ((30, 70, 50), (110, 170, 90)),
    ((40, 40, 70), (110, 110, 180)),
    ((80, 30, 60), (220, 110, 110)),
)


def placeholder_png(item_id: str, size: int) -> bytes:
    side = next((s for s in SIZES if s >= size), SIZES[-1]) if size > 0 else SIZES[2]
    colours = _PALETTE[hashlib.sha256(item_id.encode()).digest()[0] % len(_PALETTE)]
    return _gradient_png(side, *colours)


@lru_cache(maxsize=len(SIZES) * len(_PALETTE))
def _gradient_png(side: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> bytes:
    rows = []
    for y in range(side):
        t = y / (side - 1)
        pixel = bytes(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        rows.append(b"\x00" + pixel * side)  # filter type 0, then the row's RGB pixels
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(b"".join(rows), 9)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
