"""Uncompressed 24-bit BMP files of any size, for uploads in tests and benchmarks.

A BMP's pixels are stored as they are, so a file of random pixels has exactly the size asked
for and does not compress; the fake server reads its size from the header.
"""

from __future__ import annotations

import random


def bmp_header(width: int, height: int) -> tuple[bytes, int]:
    """A 24-bit BMP header and the byte count of its pixel rows (padded to 4 bytes)."""
    row = (width * 3 + 3) & ~3
    pixels = row * height
    header = b"".join(
        [
            b"BM",
            (54 + pixels).to_bytes(4, "little"),
            b"\0\0\0\0",
            (54).to_bytes(4, "little"),
            (40).to_bytes(4, "little"),
            width.to_bytes(4, "little"),
            height.to_bytes(4, "little"),
            (1).to_bytes(2, "little"),
            (24).to_bytes(2, "little"),
            b"\0" * 24,
        ]
    )
    return header, pixels


def bmp(width: int, height: int, rng: random.Random) -> bytes:
    """A whole BMP of random pixels drawn from ``rng``."""
    header, pixels = bmp_header(width, height)
    return header + rng.randbytes(pixels)
