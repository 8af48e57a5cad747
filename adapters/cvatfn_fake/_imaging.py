"""Pure-Python images for the fake server's media endpoints: read colours, write JPEGs.

Theory of operation
-------------------
CVAT derives two kinds of images from an uploaded frame with Pillow: the *compressed* frame
(the source turned upright by ``ImageOps.exif_transpose``, converted to RGB and saved as a JPEG
at the task's ``image_quality``)
and the *preview* (the compressed frame shrunk by ``Image.thumbnail((256, 256))`` and saved as
a JPEG at Pillow's default quality). The fake server has no image library, so this module does
the least that still gives real images of the right size:

1. :func:`sample` reads the colours of a source image at a grid of points. It decodes
   non-interlaced PNG (every colour type and bit depth), uncompressed BMP (1, 4, 8, 24 and 32
   bits per pixel) and baseline JPEG, the last only at 1/8 scale: from the DC coefficient of
   each 8x8 block, which is the block's average colour. Any other format, or a source whose
   decoding would exceed a fixed work budget (see the ``_*_LIMIT`` constants), gives ``None``.
   :func:`sample_upright` maps the points through the EXIF orientation first.
2. :func:`render_jpeg` writes a baseline JFIF JPEG (YCbCr 4:4:4, the JPEG standard's DC
   Huffman tables, quantisation tables scaled to the quality as libjpeg scales them) in which
   every 8x8 block carries only a DC coefficient: each block is flat, in the colour of the
   source at the block's centre. At most ``_GRID_LIMIT`` points are sampled per axis; larger
   images repeat them. Without colours (``None``) the image is a uniform mid-grey.
3. :func:`thumbnail_size` is Pillow's ``Image.thumbnail`` size computation, to the pixel.

The result always opens in Pillow (and any JPEG decoder) with the requested size. What differs
from CVAT's Pillow rendering: the picture is a mosaic of flat 8x8 blocks, point-sampled rather
than filtered; a source that cannot be read gives a grey picture; Pillow's ``optimize``
Huffman tables are not computed.
"""

from __future__ import annotations

import math
import re
import struct
import zlib
from collections.abc import Callable, Iterable
from operator import itemgetter

__all__ = ["is_jpeg", "render_jpeg", "sample", "sample_upright", "thumbnail_size"]

Rows = list[bytes]
"""Sampled colours: one ``bytes`` per sampled row, three bytes (R, G, B) per sampled column."""

_PNG_RAW_LIMIT = 512 * 2**20
"""Decompressed PNG bytes (rows run through the filters that need no per-byte loop)."""
_PNG_SLOW_LIMIT = 3 * 2**20
"""PNG bytes run through the per-byte Average and Paeth filter loops."""
_JPEG_SCAN_LIMIT = 2 * 2**20
"""Entropy-coded JPEG bytes decoded bit by bit."""
_GRID_LIMIT = 256
"""Sampled points per axis (beyond 2048 pixels, neighbouring blocks share a colour)."""
_JPEG_MAX_SIDE = 65535


def is_jpeg(blob: bytes) -> bool:
    """Whether ``blob`` starts like a JPEG file.

    Examples:
        >>> is_jpeg(b"\\xff\\xd8\\xff\\xe0..."), is_jpeg(b"\\x89PNG")
        (True, False)
    """
    return blob[:3] == b"\xff\xd8\xff"


def thumbnail_size(width: int, height: int, box: tuple[int, int] = (256, 256)) -> tuple[int, int]:
    """The size Pillow's ``Image.thumbnail(box)`` gives an image of ``width`` x ``height``.

    Examples:
        >>> thumbnail_size(1000, 400), thumbnail_size(300, 1000), thumbnail_size(100, 50)
        ((256, 102), (77, 256), (100, 50))
    """
    x, y = box
    if x >= width and y >= height:
        return width, height
    aspect = width / height

    def round_aspect(number: float, key: Callable[[int], float]) -> int:
        return max(min(math.floor(number), math.ceil(number), key=key), 1)

    if x / y >= aspect:
        x = round_aspect(y * aspect, key=lambda n: abs(aspect - n / y))
    else:
        y = round_aspect(x / aspect, key=lambda n: 0 if n == 0 else abs(aspect - x / n))
    return x, y


# ----------------------------------------------------------------------------- sampling
def sample(blob: bytes, xs: list[int], ys: list[int]) -> Rows | None:
    """Colours of ``blob`` at the points ``xs`` x ``ys`` (pixel coordinates), or ``None``.

    ``None`` means the format is not one this module reads, the data is corrupt, or decoding
    it would exceed the work budget.

    Examples:
        >>> import base64
        >>> png = base64.b64decode(  # 2x1: red, blue
        ...     "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAD0lEQVR4nGP4z8DAwPAfAAcAAf9+CLHQ"
        ...     "AAAAAElFTkSuQmCC")
        >>> sample(png, [0, 1], [0])
        [b'\\xff\\x00\\x00\\x00\\x00\\xff']
    """
    try:
        if blob.startswith(b"\x89PNG\r\n\x1a\n"):
            return _png(blob, xs, ys)
        if blob.startswith(b"BM"):
            return _bmp(blob, xs, ys)
        if is_jpeg(blob):
            return _jpeg(blob, xs, ys)
    except (ValueError, IndexError, KeyError, struct.error, zlib.error):
        return None
    return None


def sample_upright(
    blob: bytes, xs: list[int], ys: list[int], orientation: int, size: tuple[int, int]
) -> Rows | None:
    """Like :func:`sample`, at points of the picture ``ImageOps.exif_transpose`` shows: the
    stored image turned upright by its EXIF ``orientation``; ``size`` is the upright size.

    Orientations 5 to 8 transpose the picture (the upright width is the stored height);
    other values outside 2 to 8 leave it as stored.

    Examples:
        >>> import base64
        >>> png = base64.b64decode(  # 2x1 as stored: red, blue
        ...     "iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAAD0lEQVR4nGP4z8DAwPAfAAcAAf9+CLHQ"
        ...     "AAAAAElFTkSuQmCC")
        >>> sample_upright(png, [0], [0, 1], 6, (1, 2))  # turned clockwise: red above blue
        [b'\\xff\\x00\\x00', b'\\x00\\x00\\xff']
    """
    width, height = size
    if orientation not in (5, 6, 7, 8):
        if orientation in (2, 3):
            xs = [width - 1 - x for x in xs]
        if orientation in (3, 4):
            ys = [height - 1 - y for y in ys]
        return sample(blob, xs, ys)
    stored_width, stored_height = height, width
    # An upright point (x, y) is the stored point (column from y, row from x).
    columns = ys if orientation in (5, 6) else [stored_width - 1 - y for y in ys]
    rows = xs if orientation in (5, 8) else [stored_height - 1 - x for x in xs]
    stored = sample(blob, columns, rows)
    if stored is None:
        return None
    return [b"".join(row[3 * j : 3 * j + 3] for row in stored) for j in range(len(ys))]


def _picker(indices: list[int]) -> Callable[[bytes | bytearray], bytes]:
    """A function taking the bytes at ``indices`` (in order) out of a row."""
    if len(indices) == 1:
        only = indices[0]
        return lambda row: bytes((row[only],))
    getter = itemgetter(*indices)
    return lambda row: bytes(getter(row))


_MASKS: dict[tuple[int, int], int] = {}


def _mask(length: int, byte: int) -> int:
    key = (length, byte)
    mask = _MASKS.get(key)
    if mask is None:
        if len(_MASKS) > 64:
            _MASKS.clear()
        mask = _MASKS[key] = int.from_bytes(bytes((byte,)) * length, "big")
    return mask


def _add_bytes(x: int, y: int, length: int) -> int:
    """Bytewise ``(x + y) mod 256`` of two ``length``-byte big-endian integers."""
    low, high = _mask(length, 0x7F), _mask(length, 0x80)
    return ((x & low) + (y & low)) ^ ((x ^ y) & high)


def _png(blob: bytes, xs: list[int], ys: list[int]) -> Rows | None:
    pos, header, palette = 8, b"", b""
    parts: list[bytes] = []
    while pos + 8 <= len(blob):
        length, kind = struct.unpack_from(">I4s", blob, pos)
        body = blob[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            parts.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, color, method, filtering, interlace = struct.unpack(">IIBBBBB", header)
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
    if method or filtering or interlace or depth not in (1, 2, 4, 8, 16):
        return None
    if (color == 3 and depth == 16) or (color not in (0, 3) and depth < 8):
        return None
    bits = channels * depth
    stride = (width * bits + 7) // 8
    bpp = max(1, bits // 8)
    if height * (stride + 1) > _PNG_RAW_LIMIT:
        return None
    pick = _png_picker(xs, color, depth, channels, palette)
    wanted: dict[int, list[int]] = {}
    for index, y in enumerate(ys):
        wanted.setdefault(y, []).append(index)
    out: list[bytes] = [b""] * len(ys)
    inflater = zlib.decompressobj()
    pending = b"".join(parts)
    buffer = bytearray()
    start = 0
    slow_budget = _PNG_SLOW_LIMIT
    previous = 0
    last = max(ys)
    for y in range(last + 1):
        while len(buffer) - start < stride + 1:
            chunk = inflater.decompress(pending, 1 << 20)
            pending = inflater.unconsumed_tail
            if not chunk:
                return None
            if start > 1 << 20:
                del buffer[:start]
                start = 0
            buffer += chunk
        kind = buffer[start]
        raw = bytes(buffer[start + 1 : start + 1 + stride])
        start += stride + 1
        if kind in (3, 4):
            slow_budget -= stride
            if slow_budget < 0:
                return None
        row = _unfilter(kind, raw, previous, bpp, stride)
        previous = row
        if y in wanted:
            line = pick(row.to_bytes(stride, "big"))
            for index in wanted[y]:
                out[index] = line
    return out


def _unfilter(kind: int, raw: bytes, previous: int, bpp: int, stride: int) -> int:
    """One PNG scanline, unfiltered, as a big-endian integer (``previous`` likewise)."""
    value = int.from_bytes(raw, "big")
    if kind == 0:
        return value
    if kind == 1:
        shift = bpp
        while shift < stride:
            value = _add_bytes(value, value >> (8 * shift), stride)
            shift <<= 1
        return value
    if kind == 2:
        return _add_bytes(value, previous, stride)
    above = previous.to_bytes(stride, "big")
    row = bytearray(raw)
    if kind == 3:
        for i in range(bpp):
            row[i] = (raw[i] + (above[i] >> 1)) & 0xFF
        for i in range(bpp, stride):
            row[i] = (raw[i] + ((row[i - bpp] + above[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(bpp):
            row[i] = (raw[i] + above[i]) & 0xFF
        for i in range(bpp, stride):
            a, b, c = row[i - bpp], above[i], above[i - bpp]
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - c - c)
            predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            row[i] = (raw[i] + predictor) & 0xFF
    else:
        raise ValueError(f"PNG filter {kind}")
    return int.from_bytes(row, "big")


def _png_picker(
    xs: list[int], color: int, depth: int, channels: int, palette: bytes
) -> Callable[[bytes], bytes]:
    if depth >= 8:
        size = depth // 8
        if color in (2, 6):
            indices = [(x * channels + c) * size for x in xs for c in range(3)]
        else:  # grey, grey + alpha, or an 8-bit palette index
            indices = [x * channels * size for x in xs for _ in range(3)]
        pick = _picker(indices)
        if color != 3:
            return pick
        return lambda row: _palette(pick(row)[::3], palette)
    maximum = (1 << depth) - 1

    def unpack(row: bytes) -> list[int]:
        values: list[int] = []
        for x in xs:
            bit = x * depth
            values.append((row[bit >> 3] >> (8 - depth - (bit & 7))) & maximum)
        return values

    if color == 3:
        return lambda row: _palette(bytes(unpack(row)), palette)
    return lambda row: bytes(v * 255 // maximum for v in unpack(row) for _ in range(3))


def _palette(indices: bytes, palette: bytes) -> bytes:
    colours = len(palette) // 3
    return b"".join(palette[3 * i : 3 * i + 3] if i < colours else b"\0\0\0" for i in indices)


def _bmp(blob: bytes, xs: list[int], ys: list[int]) -> Rows | None:
    offset, header_size = struct.unpack_from("<II", blob, 10)
    if header_size == 12:
        width, height, _, bits = struct.unpack_from("<HHHH", blob, 18)
        compression, colours, entry = 0, 0, 3
    else:
        width, height, _, bits, compression = struct.unpack_from("<iiHHI", blob, 18)
        colours = struct.unpack_from("<I", blob, 46)[0] if header_size >= 40 else 0
        entry = 4
    top_down = height < 0
    height = abs(height)
    if width <= 0 or height == 0:
        return None
    if compression == 3 and bits == 32 and header_size >= 52:
        masks = struct.unpack_from("<III", blob, 54)
        if masks != (0xFF0000, 0xFF00, 0xFF):
            return None
    elif compression != 0:
        return None
    stride = (bits * width + 31) // 32 * 4
    pick: Callable[[bytes], bytes]
    if bits in (24, 32):
        size = bits // 8
        pick = _picker([x * size + c for x in xs for c in (2, 1, 0)])
    elif bits in (1, 4, 8):
        count = colours or 1 << bits
        table = blob[14 + header_size : 14 + header_size + entry * count]
        rgb = b"".join(table[i * entry : i * entry + 3][::-1] for i in range(count))
        maximum = (1 << bits) - 1

        def indexed(row: bytes) -> bytes:
            indices = bytes(
                (row[(x * bits) >> 3] >> (8 - bits - ((x * bits) & 7))) & maximum for x in xs
            )
            return _palette(indices, rgb)

        pick = indexed
    else:
        return None
    if offset + stride * height > len(blob):
        return None
    out: list[bytes] = []
    for y in ys:
        line = y if top_down else height - 1 - y
        at = offset + line * stride
        out.append(pick(blob[at : at + stride]))
    return out


# --------------------------------------------------------------------------- JPEG, DC only
_END_OF_SCAN = re.compile(rb"\xff[^\x00\xd0-\xd7]")
_RESTART = re.compile(rb"\xff[\xd0-\xd7]")


def _lookup(counts: bytes, symbols: bytes) -> list[int]:
    """A 65536-entry decoding table: ``(length << 8) | symbol`` per 16-bit prefix; 0 = none."""
    table = [0] * 65536
    code, index = 0, 0
    for length in range(1, 17):
        for _ in range(counts[length - 1]):
            span = 1 << (16 - length)
            first = code << (16 - length)
            if first + span > 65536:
                raise ValueError("bad Huffman table")
            table[first : first + span] = [(length << 8) | symbols[index]] * span
            code += 1
            index += 1
        code <<= 1
    return table


def _jpeg(blob: bytes, xs: list[int], ys: list[int]) -> Rows | None:
    pos = 2
    quant: dict[int, int] = {}
    tables: dict[tuple[int, int], list[int]] = {}
    frame: list[tuple[int, int, int, int]] = []  # (id, h, v, quant table)
    width = height = restart = 0
    adobe_rgb = False
    while pos + 4 <= len(blob):
        if blob[pos] != 0xFF:
            return None
        marker = blob[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xD8 or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        (length,) = struct.unpack_from(">H", blob, pos + 2)
        body = blob[pos + 4 : pos + 2 + length]
        if marker == 0xDB:
            i = 0
            while i < len(body):
                precision, table_id = body[i] >> 4, body[i] & 15
                quant[table_id] = (
                    struct.unpack_from(">H", body, i + 1)[0] if precision else body[i + 1]
                )
                i += 129 if precision else 65
        elif marker == 0xC4:
            i = 0
            while i < len(body):
                counts = body[i + 1 : i + 17]
                total = sum(counts)
                symbols = body[i + 17 : i + 17 + total]
                tables[body[i] >> 4, body[i] & 15] = _lookup(counts, symbols)
                i += 17 + total
        elif marker in (0xC0, 0xC1):
            if body[0] != 8:
                return None
            height, width = struct.unpack_from(">HH", body, 1)
            frame = [
                (body[6 + 3 * c], body[7 + 3 * c] >> 4, body[7 + 3 * c] & 15, body[8 + 3 * c])
                for c in range(body[5])
            ]
        elif 0xC2 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return None  # progressive, lossless or arithmetic-coded
        elif marker == 0xDD:
            (restart,) = struct.unpack_from(">H", body, 0)
        elif marker == 0xEE and body[:5] == b"Adobe" and len(body) >= 12:
            adobe_rgb = body[11] == 0
        elif marker == 0xDA:
            geometry = (width, height, restart)
            return _jpeg_scan(
                blob, pos + 2 + length, body, frame, quant, tables, geometry, adobe_rgb, xs, ys
            )
        elif marker == 0xD9:
            return None
        pos += 2 + length
    return None


def _jpeg_scan(
    blob: bytes,
    start: int,
    header: bytes,
    frame: list[tuple[int, int, int, int]],
    quant: dict[int, int],
    tables: dict[tuple[int, int], list[int]],
    geometry: tuple[int, int, int],
    adobe_rgb: bool,
    xs: list[int],
    ys: list[int],
) -> Rows | None:
    width, height, restart = geometry
    count = header[0]
    if not frame or count != len(frame) or len(frame) not in (1, 3) or not width or not height:
        return None
    selectors = {header[1 + 2 * c]: header[2 + 2 * c] for c in range(count)}
    end = _END_OF_SCAN.search(blob, start)
    data = blob[start : end.start() if end else len(blob)]
    if len(data) > _JPEG_SCAN_LIMIT:
        return None
    segments = [s.replace(b"\xff\x00", b"\xff") + b"\xff" * 4 for s in _RESTART.split(data)]
    hmax = max(h for _, h, _, _ in frame)
    vmax = max(v for _, _, v, _ in frame)
    if len(frame) == 1:
        hmax = vmax = 1
        blocks = [(1, 1)]
        mcus_x, mcus_y = -(-width // 8), -(-height // 8)
    else:
        blocks = [(h, v) for _, h, v, _ in frame]
        mcus_x, mcus_y = -(-width // (8 * hmax)), -(-height // (8 * vmax))
    grids = [[0] * (mcus_x * h * mcus_y * v) for h, v in blocks]
    luts = [
        (tables[0, selectors[cid] >> 4], tables[1, selectors[cid] & 15]) for cid, _, _, _ in frame
    ]
    predictors = [0] * len(frame)
    segment, bit, seen = segments[0], 0, 0
    next_segment = 1
    for my in range(mcus_y):
        for mx in range(mcus_x):
            if restart and seen and seen % restart == 0 and next_segment < len(segments):
                segment, bit = segments[next_segment], 0
                next_segment += 1
                predictors = [0] * len(frame)
            seen += 1
            for c, (h, v) in enumerate(blocks):
                dc_lut, ac_lut = luts[c]
                grid, row_blocks = grids[c], mcus_x * h
                for by in range(v):
                    for bx in range(h):
                        word = int.from_bytes(segment[bit >> 3 : (bit >> 3) + 3], "big")
                        entry = dc_lut[(word >> (8 - (bit & 7))) & 0xFFFF]
                        if not entry:
                            return None
                        bit += entry >> 8
                        bits = entry & 0xFF
                        if bits:
                            word = int.from_bytes(segment[bit >> 3 : (bit >> 3) + 3], "big")
                            diff = (word >> (24 - (bit & 7) - bits)) & ((1 << bits) - 1)
                            if diff < 1 << (bits - 1):
                                diff -= (1 << bits) - 1
                            bit += bits
                            predictors[c] += diff
                        grid[(my * v + by) * row_blocks + mx * h + bx] = predictors[c]
                        k = 1
                        while k < 64:
                            word = int.from_bytes(segment[bit >> 3 : (bit >> 3) + 3], "big")
                            entry = ac_lut[(word >> (8 - (bit & 7))) & 0xFFFF]
                            if not entry:
                                return None
                            bit += entry >> 8
                            run, bits = (entry >> 4) & 15, entry & 15
                            if bits:
                                bit += bits
                                k += run + 1
                            elif run == 15:
                                k += 16
                            else:
                                break
    levels: list[list[int]] = []
    for (_, _, _, table), grid in zip(frame, grids, strict=True):
        step = quant[table]
        levels.append([min(255, max(0, round(dc * step / 8) + 128)) for dc in grid])
    out: list[bytes] = []
    columns = [[min(x * h // hmax // 8, mcus_x * h - 1) for x in xs] for h, _ in blocks]
    for y in ys:
        channels: list[list[int]] = []
        for c, (h, v) in enumerate(blocks):
            row = min(y * v // vmax // 8, mcus_y * v - 1) * mcus_x * h
            channels.append([levels[c][row + column] for column in columns[c]])
        out.append(_to_rgb(channels, adobe_rgb))
    return out


def _to_rgb(channels: list[list[int]], as_rgb: bool) -> bytes:
    if len(channels) == 1:
        return bytes(v for v in channels[0] for _ in range(3))
    if as_rgb:
        return bytes(v for triple in zip(*channels, strict=True) for v in triple)
    out = bytearray()
    for y, cb, cr in zip(*channels, strict=True):
        out += bytes(
            (
                min(255, max(0, round(y + 1.402 * (cr - 128)))),
                min(255, max(0, round(y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128)))),
                min(255, max(0, round(y + 1.772 * (cb - 128)))),
            )
        )
    return bytes(out)


# ------------------------------------------------------------------------------ encoding
_ZIGZAG = (
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
)  # fmt: skip
_LUMINANCE = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip
_CHROMINANCE = (
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
) + (99,) * 32  # fmt: skip
_DC_COUNTS = (
    bytes((0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)),
    bytes((0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0)),
)
"""The JPEG standard's DC tables (Annex K.3): luminance, chrominance; symbols 0..11."""


def _codes(counts: bytes) -> list[str]:
    """Canonical Huffman codes (as bit strings) of symbols 0, 1, 2, ... in order."""
    codes: list[str] = []
    code = 0
    for length in range(1, 17):
        for _ in range(counts[length - 1]):
            codes.append(format(code, f"0{length}b"))
            code += 1
        code <<= 1
    return codes


_DC_CODES = (_codes(_DC_COUNTS[0]), _codes(_DC_COUNTS[1]))
_EOB = "0"  # the single code of the one-symbol AC table written below


def _scaled(table: Iterable[int], quality: int) -> list[int]:
    quality = min(100, max(1, quality))
    scale = 5000 // quality if quality < 50 else 200 - quality * 2
    return [min(255, max(1, (value * scale + 50) // 100)) for value in table]


def _segment(marker: int, body: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(body) + 2) + body


_DIFF_BITS: tuple[dict[int, str], dict[int, str]] = ({}, {})


def _diff_bits(diff: int, table: int) -> str:
    """The bits of one block: DC difference ``diff`` in DC table ``table``, then end-of-block."""
    known = _DIFF_BITS[table].get(diff)
    if known is not None:
        return known
    codes = _DC_CODES[table]
    size = abs(diff).bit_length()
    extra = diff if diff > 0 else diff + (1 << size) - 1
    bits = codes[size] + (format(extra, f"0{size}b") if size else "") + _EOB
    _DIFF_BITS[table][diff] = bits
    return bits


def render_jpeg(
    width: int, height: int, quality: int, colours: Callable[[list[int], list[int]], Rows | None]
) -> bytes:
    """A ``width`` x ``height`` DC-only JPEG; ``colours(xs, ys)`` gives the block colours.

    ``xs``/``ys`` are output pixel coordinates (block centres); ``colours`` returns the
    sampled rows (see :func:`sample`) or ``None`` for a uniform mid-grey image.

    Examples:
        >>> blob = render_jpeg(20, 10, 75, lambda xs, ys: [b"\\x00\\x80\\xff" * len(xs)] * len(ys))
        >>> blob[:2], blob[-2:], len(blob) < 700
        (b'\\xff\\xd8', b'\\xff\\xd9', True)
    """
    if not (0 < width <= _JPEG_MAX_SIDE and 0 < height <= _JPEG_MAX_SIDE):
        raise ValueError(f"a JPEG cannot be {width}x{height}")
    blocks_x, blocks_y = -(-width // 8), -(-height // 8)
    grid_x, grid_y = min(blocks_x, _GRID_LIMIT), min(blocks_y, _GRID_LIMIT)
    column_of = [b * grid_x // blocks_x for b in range(blocks_x)]
    row_of = [b * grid_y // blocks_y for b in range(blocks_y)]
    xs = _centres(column_of, grid_x, width)
    ys = _centres(row_of, grid_y, height)
    rows = colours(xs, ys)
    luminance, chrominance = _scaled(_LUMINANCE, quality), _scaled(_CHROMINANCE, quality)
    if rows is None:
        cells = [[(0, 0, 0)] * grid_x] * grid_y
    else:
        cells = [_dc_row(row, luminance[0], chrominance[0]) for row in rows]
    zero = (_DC_CODES[0][0] + _EOB) + (_DC_CODES[1][0] + _EOB) * 2
    bits: list[str] = []
    cache: dict[tuple[int, tuple[int, int, int]], str] = {}
    predictor = (0, 0, 0)
    for block_row in range(blocks_y):
        row = cells[row_of[block_row]]
        key = (row_of[block_row], predictor)
        text = cache.get(key)
        if text is None:
            parts: list[str] = []
            previous = -1
            for column in column_of:
                if column == previous:
                    parts.append(zero)
                    continue
                previous = column
                y, cb, cr = row[column]
                parts.append(
                    _diff_bits(y - predictor[0], 0)
                    + _diff_bits(cb - predictor[1], 1)
                    + _diff_bits(cr - predictor[2], 1)
                )
                predictor = (y, cb, cr)
            text = cache[key] = "".join(parts)
        else:
            predictor = row[column_of[-1]]
        bits.append(text)
    stream = "".join(bits)
    stream += "1" * (-len(stream) % 8)
    scan = int(stream, 2).to_bytes(len(stream) // 8, "big").replace(b"\xff", b"\xff\x00")
    tables = bytes((0,)) + bytes(luminance[i] for i in _ZIGZAG)
    tables += bytes((1,)) + bytes(chrominance[i] for i in _ZIGZAG)
    huffman = b"".join(
        bytes((table,)) + _DC_COUNTS[table] + bytes(range(12)) for table in (0, 1)
    ) + bytes((0x10,)) + bytes((1,) + (0,) * 15) + b"\x00"  # fmt: skip
    frame = struct.pack(">BHHB", 8, height, width, 3) + bytes((1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1))
    start = bytes((3, 1, 0x00, 2, 0x10, 3, 0x10, 0, 63, 0))
    return b"".join(
        (
            b"\xff\xd8",
            _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            _segment(0xDB, tables),
            _segment(0xC0, frame),
            _segment(0xC4, huffman),
            _segment(0xDA, start),
            scan,
            b"\xff\xd9",
        )
    )


def _centres(owner: list[int], count: int, size: int) -> list[int]:
    """The pixel at the centre of the blocks sampled by each of ``count`` grid lines."""
    first: list[int] = [-1] * count
    last: list[int] = [0] * count
    for block, line in enumerate(owner):
        if first[line] < 0:
            first[line] = block
        last[line] = block
    return [min(size - 1, (first[i] * 8 + last[i] * 8 + 8) // 2) for i in range(count)]


def _dc_row(row: bytes, luminance: int, chrominance: int) -> list[tuple[int, int, int]]:
    """Quantised DC coefficients (Y, Cb, Cr) of flat blocks in the colours of ``row``."""
    cells: list[tuple[int, int, int]] = []
    for i in range(0, len(row), 3):
        r, g, b = row[i], row[i + 1], row[i + 2]
        y = 0.299 * r + 0.587 * g + 0.114 * b
        cb = -0.168736 * r - 0.331264 * g + 0.5 * b + 128
        cr = 0.5 * r - 0.418688 * g - 0.081312 * b + 128
        cells.append(
            (
                round(8 * (y - 128) / luminance),
                round(8 * (cb - 128) / chrominance),
                round(8 * (cr - 128) / chrominance),
            )
        )
    return cells
