"""Generated cover art and photos for the demo catalog."""

from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw, ImageFilter


def cover(seed: int, size: int = 600) -> bytes:
    """A JPEG of soft circles over a two-colour gradient, different for every seed."""
    rng = random.Random(seed)
    hue = rng.random()
    top, bottom = _colour(hue, 0.55, 0.35), _colour((hue + 0.3) % 1, 0.65, 0.65)
    image = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(image)
    for y in range(size):
        mix = y / (size - 1)
        draw.line(
            [(0, y), (size, y)],
            fill=tuple(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)),
        )
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    shapes = ImageDraw.Draw(layer)
    for _ in range(rng.randint(3, 7)):
        r = rng.randint(size // 10, size // 3)
        x, y = rng.randint(0, size), rng.randint(0, size)
        fill = (*_colour((hue + rng.random() * 0.5) % 1, 0.7, 0.8), 140)
        shapes.ellipse((x - r, y - r, x + r, y + r), fill=fill)
    image.paste(layer.filter(ImageFilter.GaussianBlur(size / 60)), (0, 0), layer)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def landscape(seed: int, size: tuple[int, int] = (1600, 1067)) -> bytes:
    """A JPEG 'photo': sky gradient, a sun and layered hills."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    sky_top, sky_bottom = _colour(rng.random() * 0.2 + 0.55, 0.5, 0.45), _colour(0.08, 0.6, 0.85)
    for y in range(height):
        mix = y / height
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(round(a + (b - a) * mix) for a, b in zip(sky_top, sky_bottom, strict=True)),
        )
    sun = rng.randint(width // 5, 4 * width // 5), rng.randint(height // 6, height // 2)
    draw.ellipse((sun[0] - 70, sun[1] - 70, sun[0] + 70, sun[1] + 70), fill=(255, 236, 190))
    for layer in range(4):
        base = height * (0.55 + layer * 0.12)
        colour = _colour(0.3 + rng.random() * 0.1, 0.35, 0.35 - layer * 0.07)
        phase, freq = rng.random() * math.tau, rng.uniform(1.5, 4)
        points = [
            (x, base + 40 * math.sin(phase + freq * x / width * math.tau))
            for x in range(0, width + 40, 40)
        ]
        draw.polygon([*points, (width, height), (0, height)], fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def _colour(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    import colorsys

    r, g, b = colorsys.hsv_to_rgb(hue, saturation, value)
    return round(r * 255), round(g * 255), round(b * 255)
