"""The fake server reads image sizes as CVAT does, without Pillow.

CVAT opens every uploaded image with Pillow (``ImageFile.LOAD_TRUNCATED_IMAGES`` on), records
``image_size_within_orientation`` (the sides swapped when the EXIF orientation is above 4) and
fails the task with Pillow's exception when the file does not open. Each test here compares the
fake's pure-Python reading with that Pillow reading: the same size and orientation, or the same
failure (the exception class, and the message where it does not name the file object).
"""

from __future__ import annotations

import io
import json
import os
import random
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFile, ImageOps, TiffImagePlugin

from cvatfn_fake import _images
from cvatfn_fake._images import MAX_IMAGE_PIXELS, UnreadableImage, image_info, image_size

from .conftest import Api, make_task, request_path, upload_images

# Damaged and huge headers make Pillow warn; what it then does is what the tests compare.
pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning"),
]
REPO = Path(__file__).resolve().parents[2]
Reading = tuple[Any, ...]
UNIDENTIFIED = "PIL.UnidentifiedImageError"


@pytest.fixture(autouse=True)
def cvat_pillow_settings() -> Iterator[None]:
    """CVAT's media module turns on ``LOAD_TRUNCATED_IMAGES`` for the whole process."""
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    yield
    ImageFile.LOAD_TRUNCATED_IMAGES = before


def _exception_name(exc: BaseException) -> str:
    kind = type(exc)
    return ("" if kind.__module__ == "builtins" else kind.__module__ + ".") + kind.__qualname__


def cvat_reading(data: bytes) -> Reading:
    """What CVAT reads with Pillow: ``("ok", Image.size, recorded size, orientation)`` or
    ``("error", exception class, message)``; the orientation as CVAT's ``> 4`` sees it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            size = image.size
            orientation = image.getexif().get(274, 1)
        swap = orientation > 4
    except Exception as exc:  # whatever Pillow raises fails CVAT's request
        name = _exception_name(exc)
        return ("error", name, "" if name == UNIDENTIFIED else str(exc))
    if not isinstance(orientation, int):  # a rational or a float: integral ones act as ints
        number = float(orientation)
        orientation = int(number) if number.is_integer() else 9 if swap else 1
    recorded = (size[1], size[0]) if swap else size
    return ("ok", size, recorded, orientation)


def fake_reading(data: bytes) -> Reading:
    try:
        info = image_info(data)
    except UnreadableImage as exc:
        return ("error", exc.exception, "" if exc.exception == UNIDENTIFIED else str(exc))
    return ("ok", (info.width, info.height), info.size, info.orientation)


# ---------------------------------------------------------------------------------- samples
def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def exif(orientation: int) -> Image.Exif:
    block = Image.Exif()
    block[274] = orientation
    return block


def picture(size: tuple[int, int] = (13, 7)) -> Image.Image:
    """Four coloured quadrants, so that a rotation shows."""
    width, height = size
    image = Image.new("RGB", size, (200, 20, 20))
    image.paste((20, 200, 20), (width // 2, 0, width, height // 2))
    image.paste((20, 20, 200), (0, height // 2, width // 2, height))
    image.paste((220, 220, 20), (width // 2, height // 2, width, height))
    return image


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks: list[tuple[bytes, bytes]] = []
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        chunks.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


def png_of(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"".join(png_chunk(kind, body) for kind, body in chunks)


def xmp(orientation: int) -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
        b'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="%d"/>'
        b"</rdf:RDF></x:xmpmeta>" % orientation
    )


def tiff_bytes(
    entries: dict[int, tuple[int, tuple[Any, ...]]], endian: str = "<", big: bool = False
) -> bytes:
    """A TIFF whose first directory holds ``entries`` (``tag -> (type, values)``)."""
    codes = {1: "B", 2: "s", 3: "H", 4: "L", 5: "LL", 7: "B", 16: "Q"}
    inline = 8 if big else 4
    count_code, entry_size = ("Q", 20) if big else ("H", 12)
    head = (b"MM" if endian == ">" else b"II") + struct.pack(endian + "H", 43 if big else 42)
    head += struct.pack(endian + "HHQ", 8, 0, 16) if big else struct.pack(endian + "L", 8)
    directory_size = struct.calcsize(count_code) + entry_size * len(entries) + inline
    out_of_line = len(head) + directory_size
    directory = struct.pack(endian + count_code, len(entries))
    extra = b""
    for tag, (kind, values) in sorted(entries.items()):
        if kind == 2:
            value = bytes(values[0]) + b"\0"
            count = len(value)
        else:
            flat = [v for pair in values for v in pair] if kind == 5 else list(values)
            value = struct.pack(endian + codes[kind][0] * len(flat), *flat)
            count = len(values)
        if len(value) <= inline:
            field = value.ljust(inline, b"\0")
        else:
            field = struct.pack(endian + ("Q" if big else "L"), out_of_line + len(extra))
            extra += value + b"\0" * (len(value) & 1)
        directory += struct.pack(endian + ("HHQ" if big else "HHL"), tag, kind, count) + field
    directory += b"\0" * inline
    return head + directory + extra + b"\0" * 16


def bmp_bytes(
    header_size: int,
    width: int,
    height: int,
    bits: int,
    compression: int = 0,
    masks: tuple[int, ...] = (),
    colours: int = 0,
) -> bytes:
    """A BMP file with the given header version and fields (pixels all zero)."""
    if header_size == 12:
        info = struct.pack("<IHHHH", 12, width, height, 1, bits)
    else:
        info = struct.pack(
            "<IiiHHIIiiII", header_size, width, height, 1, bits, compression, 0, 2835, 2835,
            colours, 0,
        )  # fmt: skip
        if header_size >= 52:
            info += struct.pack("<" + "I" * len(masks), *masks)
        info = info.ljust(header_size, b"\0")
        if header_size == 40 and compression == 3:
            info += struct.pack("<III", *masks[:3])
    entry = 3 if header_size == 12 else 4
    palette = bytes(entry * (colours or 1 << bits)) if bits <= 8 else b""
    rows = (bits * abs(width) + 31) // 32 * 4 * abs(height)
    offset = 14 + len(info) + len(palette)
    head = b"BM" + struct.pack("<IHHI", offset + rows, 0, 0, offset)
    return head + info + palette + bytes(rows)


@cache
def samples() -> dict[str, bytes]:
    """Images of every format the fake reads, in their modes, options and orientations."""
    base = picture()
    out: dict[str, bytes] = {}
    for mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I;16"):
        out[f"png-{mode}"] = encode(base.convert(mode), "PNG")
    for orientation in range(1, 9):
        out[f"png-exif-{orientation}"] = encode(base, "PNG", exif=exif(orientation))
        out[f"jpeg-exif-{orientation}"] = encode(base, "JPEG", exif=exif(orientation))
        out[f"webp-exif-{orientation}"] = encode(base, "WEBP", exif=exif(orientation))
        out[f"tiff-exif-{orientation}"] = encode(base, "TIFF", exif=exif(orientation))
    out["png-animated"] = encode(base, "PNG", save_all=True, append_images=[base.rotate(90)])
    out["png-xmp-6"] = encode(base, "PNG", xmp=xmp(6))
    for mode in ("L", "RGB", "CMYK"):
        out[f"jpeg-{mode}"] = encode(base.convert(mode), "JPEG")
    out["jpeg-progressive"] = encode(base, "JPEG", progressive=True)
    out["jpeg-dpi-4:4:4"] = encode(base, "JPEG", dpi=(300, 300), subsampling=0)
    out["jpeg-xmp-8"] = encode(base, "JPEG", xmp=xmp(8))
    out["jpeg-icc"] = encode(base, "JPEG", icc_profile=b"\0" * 300)
    for mode in ("1", "L", "P", "RGB", "RGBA"):
        out[f"bmp-{mode}"] = encode(base.convert(mode), "BMP")
    for mode in ("L", "P", "RGB"):
        out[f"gif-{mode}"] = encode(base.convert(mode), "GIF", comment=b"made for a test")
    out["gif-animated"] = encode(base, "GIF", save_all=True, append_images=[base.rotate(180)])
    out["webp-lossy"] = encode(base, "WEBP")
    out["webp-lossless"] = encode(base, "WEBP", lossless=True)
    out["webp-alpha"] = encode(base.convert("RGBA"), "WEBP")
    out["webp-animated"] = encode(base, "WEBP", save_all=True, append_images=[base.rotate(90)])
    out["webp-xmp-5"] = encode(base, "WEBP", xmp=xmp(5))
    for mode in ("1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I;16", "I;16B", "F"):
        out[f"tiff-{mode}"] = encode(base.convert(mode), "TIFF")
    for compression in ("tiff_lzw", "tiff_adobe_deflate", "packbits", "jpeg"):
        out[f"tiff-{compression}"] = encode(base, "TIFF", compression=compression)
    out["tiff-big"] = encode(base, "TIFF", big_tiff=True)
    out["tiff-xmp-7"] = encode(base, "TIFF", tiffinfo={700: xmp(7)})
    for mode in ("1", "L", "RGB", "I", "F"):
        out[f"pnm-{mode}"] = encode(base.convert(mode), "PPM")
    return out


SAMPLES = sorted(samples())


# ------------------------------------------------------------------------------ comparisons
@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_reads_as_in_cvat(name: str) -> None:
    data = samples()[name]
    reading = fake_reading(data)
    assert reading[0] == "ok" and reading == cvat_reading(data)


@pytest.mark.parametrize("name", SAMPLES)
def test_every_truncation_reads_as_in_cvat(name: str) -> None:
    data = samples()[name]
    mismatches = [
        (cut, fake, pillow)
        for cut in range(len(data))
        if (fake := fake_reading(data[:cut])) != (pillow := cvat_reading(data[:cut]))
    ]
    assert mismatches == []


def test_random_damage_reads_as_in_cvat() -> None:
    """Bytes overwritten anywhere: headers, EXIF blocks, chunk lengths, CRCs, pixel data."""
    rng = random.Random(2080)
    mismatches: list[tuple[str, Reading, Reading]] = []
    for name in SAMPLES:
        data = samples()[name]
        for _ in range(40):
            damaged = bytearray(data)
            for _ in range(rng.randint(1, 3)):
                where = rng.randrange(min(len(data), 400) if rng.random() < 0.8 else len(data))
                damaged[where] = rng.randrange(256)
            fake, pillow = fake_reading(bytes(damaged)), cvat_reading(bytes(damaged))
            if fake != pillow:
                mismatches.append((name, fake, pillow))
    assert mismatches == []


# ------------------------------------------------------------------------ what CVAT records
def test_exif_rotation_swaps_the_recorded_size() -> None:
    for orientation in range(1, 9):
        jpeg = samples()[f"jpeg-exif-{orientation}"]
        assert image_info(jpeg).orientation == orientation
        assert image_size(jpeg) == ((7, 13) if orientation > 4 else (13, 7))
    # Pillow already turns a TIFF's size by its orientation tag; CVAT then turns it back.
    rotated_tiff = image_info(samples()["tiff-exif-6"])
    assert (rotated_tiff.width, rotated_tiff.height, rotated_tiff.size) == (7, 13, (13, 7))
    # XMP counts when there is no EXIF orientation.
    assert image_size(samples()["jpeg-xmp-8"]) == (7, 13)
    assert image_size(samples()["webp-xmp-5"]) == (7, 13)


@pytest.mark.parametrize(
    ("header_size", "height"),
    # The OS/2 header (12 bytes) stores an unsigned height: it has no top-down form.
    [(12, 9)] + [(size, height) for size in (40, 52, 56, 64, 108, 124) for height in (9, -9)],
)
def test_bmp_header_versions_and_top_down_rows(header_size: int, height: int) -> None:
    for bits in (1, 4, 8, 24, 32):
        data = bmp_bytes(header_size, 11, height, bits)
        assert fake_reading(data) == cvat_reading(data) == ("ok", (11, 9), (11, 9), 1)


@pytest.mark.parametrize(
    ("header_size", "bits", "compression", "masks"),
    [
        (40, 16, 3, (0xF800, 0x7E0, 0x1F)),
        (40, 16, 3, (0x7C00, 0x3E0, 0x1F)),
        (56, 32, 3, (0xFF0000, 0xFF00, 0xFF, 0xFF000000)),
        (108, 32, 3, (0xFF, 0xFF00, 0xFF0000, 0xFF000000)),
        (40, 8, 1, ()),  # RLE8
        (40, 4, 2, ()),  # RLE4
        (40, 16, 3, (0xF00, 0xF0, 0xF)),  # a bitfield layout Pillow does not read
        (40, 24, 4, ()),  # JPEG inside a BMP
        (40, 7, 0, ()),  # no such depth
        (60, 24, 0, ()),  # no such header
    ],
)
def test_bmp_compressions_and_bitfields(
    header_size: int, bits: int, compression: int, masks: tuple[int, ...]
) -> None:
    data = bmp_bytes(header_size, 6, 5, bits, compression, masks)
    assert fake_reading(data) == cvat_reading(data)


def test_tiff_sample_layouts_are_the_ones_pillow_decodes() -> None:
    """Every layout in Pillow's table opens, in its byte order; others do not."""
    for key in TiffImagePlugin.OPEN_INFO:
        prefix, photometric, formats, fill, bits, extra = key
        entries: dict[int, tuple[int, tuple[Any, ...]]] = {
            256: (4, (5,)),
            257: (4, (3,)),
            258: (3, bits),
            259: (3, (1,)),
            262: (3, (photometric,)),
            266: (3, (fill,)),
            273: (4, (8,)),
            277: (3, (len(bits),)),
            339: (3, formats),
        }
        if extra:
            entries[338] = (3, extra)
        if photometric == 3:
            entries[320] = (3, (0,) * 3 * 2 ** bits[0])
        data = tiff_bytes(entries, ">" if prefix == b"MM" else "<")
        assert fake_reading(data) == cvat_reading(data) == ("ok", (5, 3), (5, 3), 1), key
    odd: list[dict[int, tuple[int, tuple[Any, ...]]]] = [
        {258: (3, (3,))},
        {262: (3, (4,))},
        {339: (3, (2,)), 258: (3, (1,))},
        {262: (3, (2,)), 258: (3, (8, 8, 8)), 277: (3, (3,)), 338: (3, (7,))},
        {262: (3, (3,)), 258: (3, (8,))},  # a palette without its colour map
        {259: (3, (9,))},  # no such compression
        {262: (3, (1, 1)), 258: (3, (8,))},  # two photometric values: Pillow drops them
        {284: (1, (2,)), 258: (3, (8,))},  # a BYTE planar configuration never equals 2
    ]
    for changes in odd:
        entries = {256: (4, (5,)), 257: (4, (3,)), 273: (4, (8,)), 262: (3, (1,))}
        entries.update(changes)
        data = tiff_bytes(entries)
        assert fake_reading(data) == cvat_reading(data), changes


def test_tiff_tags_of_other_types() -> None:
    base: dict[int, tuple[int, tuple[Any, ...]]] = {
        256: (4, (5,)),
        257: (4, (3,)),
        262: (3, (1,)),
        258: (3, (8,)),
        273: (4, (8,)),
    }
    variants: list[dict[int, tuple[int, tuple[Any, ...]]]] = [
        {256: (5, ((5, 1),))},  # a RATIONAL width: "Invalid dimensions"
        {257: (2, (b"3",))},
        {274: (5, ((12, 2),))},  # a RATIONAL 12/2: Pillow and CVAT use it as 6
        {274: (5, ((11, 2),))},  # 5.5: above 4, so the sides swap
        {274: (1, (6,))},  # a BYTE orientation: CVAT's "> 4" fails
        {274: (2, (b"6",))},
        {274: (3, (6, 1))},  # two values: the first counts
        {273: (4, ()), 324: (4, (8,)), 322: (3, (16,)), 323: (3, (16,))},  # tiles
        {273: (4, ()), 324: (4, (8,))},  # tiles without a tile size
        {0xBC01: (3, (1,))},
    ]
    for changes in variants:
        entries = {**base, **changes}
        entries = {tag: value for tag, value in entries.items() if value[1]}
        for big in (False, True):
            data = tiff_bytes(entries, big=big)
            assert fake_reading(data) == cvat_reading(data), (changes, big)


def test_png_orientation_sources() -> None:
    """EXIF after the image data, in an ``exif`` text chunk, as ImageMagick's raw profile, or
    only in XMP; a broken EXIF block fails CVAT's ``getexif``."""
    chunks = png_chunks(encode(picture(), "PNG"))
    ihdr, rest = chunks[:1], chunks[1:]
    block = exif(6).tobytes()
    profile = b"\nexif\n%8d\n" % len(block) + block.hex().encode() + b"\n"
    variants = {
        "exif after the data": [*ihdr, *rest[:-1], (b"eXIf", block), rest[-1]],
        "exif text": [*ihdr, (b"tEXt", b"exif\0" + block), *rest],
        "raw profile": [
            *ihdr,
            (b"zTXt", b"Raw profile type exif\0\0" + zlib.compress(profile)),
            *rest,
        ],
        "broken raw profile": [*ihdr, (b"tEXt", b"Raw profile type exif\0\nexif\n4\nzz"), *rest],
        "xmp": [*ihdr, (b"iTXt", b"XML:com.adobe.xmp\0\0\0\0\0" + xmp(7)), *rest],
        "broken exif": [*ihdr, (b"eXIf", b"XX\0*junk"), *rest],
        "short exif": [*ihdr, (b"eXIf", b"II*\0"), *rest],
        "text after the data": [*ihdr, *rest[:-1], (b"tEXt", b"Comment\0hello"), rest[-1]],
        "end before the data": [*ihdr, (b"IEND", b""), *rest],
        "filter method": [(b"IHDR", ihdr[0][1][:11] + b"\1\0"), *rest],
        "no header": rest,
    }
    expected_orientations = {"exif after the data": 6, "exif text": 6, "raw profile": 6}
    expected_orientations["xmp"] = 7
    for name, layout in variants.items():
        data = png_of(layout)
        reading = fake_reading(data)
        assert reading == cvat_reading(data), name
        if name in expected_orientations:
            assert reading[3] == expected_orientations[name], name
    cut = png_of([*ihdr, *rest[:-1], (b"tEXt", b"Comment\0hello"), rest[-1]])
    assert (
        fake_reading(cut[:-20])
        == cvat_reading(cut[:-20])
        == (
            "error",
            "OSError",
            "Truncated File Read",
        )
    )


def test_jpeg_markers_and_exif_blocks() -> None:
    jpeg = encode(picture(), "JPEG", exif=exif(6))
    assert jpeg[2:4] == b"\xff\xe0" and jpeg[20:22] == b"\xff\xe1"
    app0, rest = jpeg[:20], jpeg[20:]
    (length,) = struct.unpack_from(">H", rest, 2)
    app1, tail = rest[: 2 + length], rest[2 + length :]
    second = b"\xff\xe1" + struct.pack(">H", 10) + b"Exif\0\0\0\0"
    broken = b"\xff\xe1" + struct.pack(">H", 16) + b"Exif\0\0NOT TIFF"
    variants = {
        "exif in two segments": app0 + app1 + second + tail,
        "broken exif": app0 + broken + tail,
        "broken exif with a JFIF resolution": encode(picture(), "JPEG", dpi=(72, 72))[:20]
        + broken
        + tail,
        "fill bytes": app0 + b"\xff\xff\xff" + app1 + tail,
        "junk between segments": app0 + b"junk" + app1 + tail,
        "comment": app0 + b"\xff\xfe\x00\x07hello" + app1 + tail,
        "photoshop": app0 + b"\xff\xed\x00\x16Photoshop 3.0\x008BIM\x04\x04" + app1 + tail,
        "restart marker": app0 + b"\xff\xd0" + app1 + tail,
        "no marker": app0 + b"\xff\x01" + app1 + tail,
        "cut segment": app0 + app1[:30],
    }
    for name, data in variants.items():
        assert fake_reading(data) == cvat_reading(data), name
    assert fake_reading(variants["exif in two segments"])[3] == 6


def test_gif_screen_frames_and_extensions() -> None:
    frame = encode(picture((9, 6)).convert("P"), "GIF")
    screen, body = frame[:13], frame[13:]
    small = screen[:6] + struct.pack("<HH", 4, 3) + screen[10:]  # frame beyond the screen
    palette_size = 3 << ((screen[10] & 7) + 1)
    table, rest = body[:palette_size], body[palette_size:]
    extensions = b"!\xfe\x05hello\x00" + b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    variants = {
        "grown screen": small + table + rest,
        "extensions first": screen + table + extensions + rest,
        "stray bytes": screen + table + b"xyz" + rest,
        "trailer only": screen + table + b";",
        "bad control block": screen + table + b"!\xf9\x01\x01\x00" + rest,
    }
    for name, data in variants.items():
        assert fake_reading(data) == cvat_reading(data), name
    assert fake_reading(variants["grown screen"])[1] == (9, 6)


def test_pnm_headers() -> None:
    variants = [
        b"P1\n# a comment\n3 2\n0 1 0\n1 0 1\n",
        b"P2 3 2 255 0 1 2 3 4 5",
        b"P3\n3 2\n# comment\n255\n" + b"0 0 0 " * 6,
        b"P5 3 2 65535 " + bytes(12),
        b"P6 3 2 0 ",  # maxval 0
        b"P6 3 2 70000 ",  # maxval too large
        b"P6 3 2",  # no maxval
        b"P6 3x 2 255 ",
        b"P6 12345678901 2 255 ",  # a token longer than ten characters
        b"Pf 3 2 -1.0 " + bytes(24),
        b"Pf 3 2 0.0 ",
        b"P7 3 2 255 ",
        b"P6 0 2 255 ",
    ]
    for data in variants:
        assert fake_reading(data) == cvat_reading(data), data


def test_webp_containers() -> None:
    lossy = samples()["webp-lossy"]
    extended = samples()["webp-exif-6"]
    variants = {
        "riff size beyond the file": lossy[:4] + struct.pack("<I", len(lossy)) + lossy[8:],
        "trailing bytes": lossy + b"extra bytes after the riff",
        "key frame bit": lossy[:20] + bytes([lossy[20] | 1]) + lossy[21:],
        "unknown flag": extended[:20] + bytes([extended[20] | 0x80]) + extended[21:],
        "canvas mismatch": extended[:24] + b"\x09" + extended[25:],
    }
    for name, data in variants.items():
        assert fake_reading(data) == cvat_reading(data), name


# ----------------------------------------------------------------------------- the failures
def test_failures_carry_cvats_messages() -> None:
    with pytest.raises(UnreadableImage) as caught:
        image_info(b"not an image at all", "notes.png")
    assert (
        caught.value.report
        == "PIL.UnidentifiedImageError: cannot identify image file 'notes.png'\n"
    )
    assert isinstance(caught.value, ValueError)
    truncated = samples()["png-RGB"][:20]
    with pytest.raises(UnreadableImage) as caught:
        image_size(truncated, "cut.png")
    assert caught.value.report == "OSError: Truncated File Read\n"
    huge = bmp_bytes(40, 20000, 20000, 24)[:60]
    with pytest.raises(UnreadableImage) as caught:
        image_info(huge)
    pixels = 20000 * 20000
    assert caught.value.report == (
        f"PIL.Image.DecompressionBombError: Image size ({pixels} pixels) exceeds limit of "
        f"{2 * MAX_IMAGE_PIXELS} pixels, could be decompression bomb DOS attack.\n"
    )
    assert cvat_reading(huge) == ("error", "PIL.Image.DecompressionBombError", str(caught.value))
    assert MAX_IMAGE_PIXELS == Image.MAX_IMAGE_PIXELS


def test_other_formats_go_to_pillow() -> None:
    icon = encode(picture((16, 16)), "ICO")
    assert image_size(icon) == (16, 16) and image_info(icon).format == "ICO"
    truncated_icon = icon[:10]
    assert fake_reading(truncated_icon) == cvat_reading(truncated_icon)


def test_docstring_examples() -> None:
    import doctest

    assert doctest.testmod(_images, optionflags=doctest.ELLIPSIS).failed == 0


# ----------------------------------------------------------------------- through the server
def test_tasks_record_the_upright_size_and_render_upright(admin: Api) -> None:
    """Compressed frames and previews show the picture as ``exif_transpose`` shows it."""
    source = picture((48, 32))
    expected_corners: dict[int, list[tuple[int, ...]]] = {}
    files: list[tuple[str, bytes]] = []
    for orientation in range(1, 9):
        blob = encode(source, "PNG", exif=exif(orientation))
        files.append((f"o{orientation}.png", blob))
        with Image.open(io.BytesIO(blob)) as opened:
            upright = ImageOps.exif_transpose(opened).convert("RGB")
        width, height = upright.size
        corners = [(2, 2), (width - 3, 2), (2, height - 3), (width - 3, height - 3)]
        expected_corners[orientation] = [tuple(upright.getpixel(c)) for c in corners]  # type: ignore[arg-type]
    task = make_task(admin, "rotated", labels=["a"])
    assert upload_images(admin, task["id"], files).status == 202
    meta = admin.get(f"/api/tasks/{task['id']}/data/meta").data
    sizes = [(frame["width"], frame["height"]) for frame in meta["frames"]]
    assert sizes == [(48, 32)] * 4 + [(32, 48)] * 4
    for number, orientation in enumerate(range(1, 9)):
        reply = admin.get(f"/api/tasks/{task['id']}/data?type=frame&number={number}")
        with Image.open(io.BytesIO(reply.response.body)) as frame:
            assert frame.size == sizes[number]
            width, height = frame.size
            corners = [(2, 2), (width - 3, 2), (2, height - 3), (width - 3, height - 3)]
            found = [frame.convert("RGB").getpixel(c) for c in corners]
        for got, want in zip(found, expected_corners[orientation], strict=True):
            assert max(abs(a - b) for a, b in zip(got, want, strict=True)) < 40, orientation  # type: ignore[arg-type]
    preview = admin.get(f"/api/tasks/{task['id']}/preview")
    with Image.open(io.BytesIO(preview.response.body)) as shown:
        assert shown.size == (48, 32)


def test_a_rotated_jpeg_is_rendered_not_passed_through(admin: Api) -> None:
    blob = encode(picture((24, 16)), "JPEG", exif=exif(8))
    task = make_task(admin, "jpeg", labels=["a"])
    assert upload_images(admin, task["id"], [("r.jpg", blob)]).status == 202
    reply = admin.get(f"/api/tasks/{task['id']}/data?type=frame&number=0")
    assert reply.response.body != blob
    with Image.open(io.BytesIO(reply.response.body)) as frame:
        assert frame.size == (16, 24) and frame.getexif().get(274) is None
    original = admin.get(f"/api/tasks/{task['id']}/data?type=frame&number=0&quality=original")
    assert original.response.body == blob


def test_an_unreadable_upload_fails_with_cvats_message(admin: Api) -> None:
    task = make_task(admin, "broken", labels=["a"])
    cut = samples()["png-RGB"][:20]
    finish = upload_images(admin, task["id"], [("cut.png", cut)])
    request = admin.get(request_path(finish.data["rq_id"])).data
    assert (request["status"], request["message"]) == ("failed", "OSError: Truncated File Read\n")
    other = make_task(admin, "junk", labels=["a"])
    finish = upload_images(admin, other["id"], [("junk.png", b"junk")])
    request = admin.get(request_path(finish.data["rq_id"])).data
    assert (
        request["message"] == "PIL.UnidentifiedImageError: cannot identify image file 'junk.png'\n"
    )


# ------------------------------------------------------------------------- without Pillow
_WITHOUT_PILLOW = r"""
import base64, json, sys, tempfile
from pathlib import Path

sys.modules["PIL"] = None  # "import PIL" (and any PIL submodule) now fails

import cvatfn
from cvatfn_fake import FakeServer
from cvatfn_fake._images import image_info

files = {name: base64.b64decode(blob) for name, blob in json.loads(sys.stdin.read()).items()}
session = cvatfn.connect(
    "http://localhost", credentials=("admin", "admin"), transport=FakeServer().transport()
).unwrap()
report = {}
with tempfile.TemporaryDirectory() as folder:
    for name, blob in files.items():
        (Path(folder) / name).write_bytes(blob)
    spec = {"name": "no pillow", "labels": [{"name": "a"}]}
    images = [str(Path(folder) / name) for name in sorted(files) if not name.endswith(".ico")]
    task = cvatfn.tasks.create_from_data(session, spec, images).unwrap()
    meta = cvatfn.tasks.get_meta(session, task).unwrap()
    report["frames"] = [[f.name, f.width, f.height] for f in meta.frames]
    frame = cvatfn.tasks.get_frame(session, task, 1, quality="compressed").unwrap()
    report["compressed"] = [image_info(frame).format, image_info(frame).size]
    report["preview"] = image_info(cvatfn.tasks.get_preview(session, task).unwrap()).size
    icon = cvatfn.tasks.create_from_data(
        session, {"name": "icon", "labels": [{"name": "a"}]}, [str(Path(folder) / "i.ico")]
    )
    report["icon"] = str(icon.failure())
report["pil"] = "PIL" in sys.modules and sys.modules["PIL"] is not None
print(json.dumps(report))
"""


def test_the_fake_server_needs_no_pillow() -> None:
    import base64

    files = {
        "a.png": encode(picture((40, 30)), "PNG"),
        "b.jpg": encode(picture((24, 16)), "JPEG", exif=exif(6)),
        "c.bmp": encode(picture((10, 20)), "BMP"),
        "i.ico": encode(picture((16, 16)), "ICO"),
    }
    payload = json.dumps({name: base64.b64encode(blob).decode() for name, blob in files.items()})
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "adapters")])}
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_PILLOW],
        input=payload,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["frames"] == [["a.png", 40, 30], ["b.jpg", 16, 24], ["c.bmp", 10, 20]]
    assert report["compressed"] == ["JPEG", [16, 24]]
    assert report["preview"] == [40, 30]
    assert "cannot identify image file 'i.ico'" in report["icon"]
    assert report["pil"] is False
