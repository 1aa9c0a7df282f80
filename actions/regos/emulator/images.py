"""Deterministic product pictures for the emulator: a coloured square with a simple shape.

The colour and the shape (circle, diamond or triangle) follow from the item id, so a picture
is the same on every run. Pillow draws it when installed; otherwise a small pure-Python PNG
writer does (slower, same idea).
"""

from __future__ import annotations

import colorsys
import struct
import zlib

__all__ = ["SIZES", "item_png", "png_pure"]

SIZES = {"Large": 900, "Medium": 300, "Small": 100, "Default": 300}

RGB = tuple[int, int, int]


def _rgb(hue: float, saturation: float, value: float) -> RGB:
    red, green, blue = colorsys.hsv_to_rgb(hue, saturation, value)
    return int(red * 255), int(green * 255), int(blue * 255)


def _palette(item_id: int) -> tuple[RGB, RGB]:
    hue = (item_id * 0.618033988749895) % 1.0
    return _rgb(hue, 0.35, 0.97), _rgb((hue + 0.5) % 1.0, 0.75, 0.75)


def _inside(shape: int, x: float, y: float) -> bool:
    """Is the point (x, y), both in [-1, 1], inside the shape?"""
    if shape == 0:
        return x * x + y * y <= 0.36
    if shape == 1:
        return abs(x) + abs(y) <= 0.7
    return -0.55 <= y <= 0.55 and abs(x) <= (y + 0.55) * 0.6


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_pure(item_id: int, size: int) -> bytes:
    """An RGB PNG written without any imaging library."""
    back, front = _palette(item_id)
    shape = item_id % 3
    rows = bytearray()
    for row in range(size):
        rows.append(0)  # filter type: none
        y = 2 * (row + 0.5) / size - 1
        for col in range(size):
            x = 2 * (col + 0.5) / size - 1
            rows.extend(front if _inside(shape, x, y) else back)
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + _chunk(b"IEND", b""))


def _png_pillow(item_id: int, size: int) -> bytes | None:
    try:
        from io import BytesIO

        from PIL import Image, ImageDraw
    except ImportError:
        return None
    back, front = _palette(item_id)
    image = Image.new("RGB", (size, size), back)
    draw = ImageDraw.Draw(image)
    c, r = size / 2, size * 0.3
    shape = item_id % 3
    if shape == 0:
        draw.ellipse((c - r, c - r, c + r, c + r), fill=front)
    elif shape == 1:
        d = size * 0.35
        draw.polygon([(c, c - d), (c + d, c), (c, c + d), (c - d, c)], fill=front)
    else:
        h = size * 0.275
        draw.polygon([(c, c - h), (c + h * 0.66, c + h), (c - h * 0.66, c + h)], fill=front)
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def item_png(item_id: int, size_name: str = "Default") -> bytes:
    size = SIZES.get(size_name, SIZES["Default"])
    return _png_pillow(item_id, size) or png_pure(item_id, size)
