"""Small real image files made in Python (no imaging library needed)."""

from __future__ import annotations

import random
import struct
import zlib


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes((x * 7 + y) % 256 for x in range(width * 3)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def noisy_bmp(width: int, height: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    row_size = (width * 3 + 3) // 4 * 4
    pixels = bytearray()
    for _ in range(height):
        row = bytes(rng.getrandbits(8) for _ in range(width * 3))
        pixels += row + b"\x00" * (row_size - width * 3)
    header = struct.pack("<2sIHHI", b"BM", 54 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + bytes(pixels)
