"""Media inspection: which uploaded files are images, and the size CVAT records for each.

Theory of operation
-------------------
CVAT classifies uploaded files by the MIME type guessed from the name; files of unknown types
are skipped, and a task without any media fails with ``No media data found``. Only still
images are supported by the fake server; videos, archives, PDFs and point clouds fail the
request with an explicit message.

CVAT reads an image's size with Pillow: ``Image.open`` parses the file's header and
``image_size_within_orientation`` swaps width and height when the EXIF orientation
(``img.getexif().get(274, 1)``) is above 4. CVAT runs with ``ImageFile.LOAD_TRUNCATED_IMAGES``
on, so a file whose header is intact but whose pixel data is cut short is accepted (its missing
pixels decode as black). A file Pillow does not open fails the task with Pillow's exception,
``PIL.UnidentifiedImageError: cannot identify image file`` for most broken headers, and
``OSError: Truncated File Read``, ``PIL.Image.DecompressionBombError`` (more than twice
``MAX_IMAGE_PIXELS``) and a few others where Pillow raises them. This module reads the same
headers in pure Python, with the rules of Pillow's plugins, so the fake server needs no image
library; :class:`UnreadableImage` carries the exception CVAT would report:

* PNG: the chunks up to the first ``IDAT`` (CRCs of critical chunks checked), the ``IHDR``
  size and colour type; EXIF from ``eXIf``, an ``exif`` or ImageMagick ``Raw profile type
  exif`` text chunk and XMP from ``XML:com.adobe.xmp``, looked for after the image data too
  when no EXIF precedes it (as Pillow's ``getexif`` does by loading the image);
* JPEG: the markers up to the start of scan, the size from any ``SOFn`` (baseline,
  progressive, lossless, arithmetic), EXIF from the ``APP1`` ``Exif`` segments and XMP from
  the ``APP1`` XMP segment;
* BMP: every header version (OS/2 12 bytes, Windows 40, 52, 56, 64, 108 and 124 bytes), a
  negative height meaning top-down rows, the bit depths and compressions Pillow reads;
* GIF: the logical screen, grown to the first frame's extent;
* WebP: the RIFF container as libwebp's demuxer checks it; ``VP8`` and ``VP8L`` headers, and
  the ``VP8X`` canvas with its ``EXIF`` and ``XMP`` chunks;
* TIFF (classic and BigTIFF, either byte order): tags 256 and 257 of the first directory,
  the compression and sample layout (which must be ones Pillow decodes) and the orientation
  tag 274, which Pillow already applies to the size of a TIFF (CVAT then swaps it back);
* PBM, PGM, PPM (plain and raw) and PFM, token by token as Pillow reads them.

An orientation CVAT cannot compare with 4 (a text or byte string in the EXIF block) fails
the request with CVAT's ``TypeError``. Any other format (ICO, TGA, PSD, ...) is handed to
Pillow when it is installed, and is unidentified otherwise. The rules follow Pillow 13; what
is not modelled: text chunks Pillow stores as the wrong type (a compressed ``exif`` text
chunk, which makes its ``getexif`` fail), and Pillow trying its format plugins that have no
magic number (TGA and a few others) after the one the magic number names has failed.
"""

from __future__ import annotations

import io
import math
import mimetypes
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "MAX_IMAGE_PIXELS",
    "ImageInfo",
    "UnreadableImage",
    "image_info",
    "image_size",
    "media_kind",
    "orientation_of",
]

MediaKind = Literal["image", "video", "archive", "other"]

_ARCHIVES = {
    "application/zip",
    "application/x-zip-compressed",
    "application/x-tar",
    "application/gzip",
    "application/x-7z-compressed",
    "application/x-rar-compressed",
    "application/x-bzip2",
}


def media_kind(name: str) -> MediaKind:
    """Classify a file like CVAT's ``get_mime``.

    Examples:
        >>> media_kind("a/b/frame_01.PNG"), media_kind("notes.txt")
        ('image', 'other')
    """
    mime, _ = mimetypes.guess_type(name.lower(), strict=False)
    if mime is None:
        return "other"
    if mime.startswith("image/") and mime not in ("image/svg+xml", "image/x-icon"):
        return "image"
    if mime.startswith("video/"):
        return "video"
    if mime in _ARCHIVES or mime == "application/pdf":
        return "archive"
    return "other"


@dataclass(frozen=True)
class ImageInfo:
    """What CVAT's Pillow reads of an image file: its format, ``Image.size`` and orientation.

    Examples:
        >>> info = ImageInfo("JPEG", 640, 480, 6)
        >>> info.size  # what CVAT records: orientations above 4 swap the sides
        (480, 640)
    """

    format: str
    """Pillow's format name (``PNG``, ``JPEG``, ``BMP``, ``GIF``, ``WEBP``, ``TIFF``, ``PPM``)."""
    width: int
    """Pillow's ``Image.width``."""
    height: int
    """Pillow's ``Image.height``."""
    orientation: int = 1
    """``getexif().get(274, 1)``: the EXIF (or XMP) orientation, 1 when there is none."""

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` as CVAT's ``image_size_within_orientation`` computes it."""
        if self.orientation > 4:
            return self.height, self.width
        return self.width, self.height


class UnreadableImage(ValueError):
    """A file CVAT's Pillow does not open: ``exception`` is the exception class CVAT's request
    message names, and the text is its message.

    Examples:
        >>> error = UnreadableImage("cannot identify image file 'a.png'")
        >>> error.report
        "PIL.UnidentifiedImageError: cannot identify image file 'a.png'\\n"
    """

    def __init__(self, message: str, exception: str = "PIL.UnidentifiedImageError") -> None:
        super().__init__(message)
        self.exception = exception

    @property
    def report(self) -> str:
        """The failure as CVAT reports it (``traceback.format_exception_only``)."""
        return f"{self.exception}: {self}\n"


MAX_IMAGE_PIXELS = 1024 * 1024 * 1024 // 4 // 3
"""Pillow's ``Image.MAX_IMAGE_PIXELS``: twice as many pixels is a ``DecompressionBombError``."""


class _Unidentified(Exception):
    """The header is not one Pillow would open."""


def _fail() -> _Unidentified:
    return _Unidentified()


def _truncated() -> UnreadableImage:
    """What Pillow's ``ImageFile._safe_read`` raises when the file ends inside a block."""
    return UnreadableImage("Truncated File Read", "OSError")


def _exact(data: bytes, pos: int, size: int) -> bytes:
    """``size`` bytes at ``pos`` (none when ``size <= 0``), as ``_safe_read`` reads them."""
    if size <= 0:
        return b""
    block = data[pos : pos + size]
    if len(block) < size:
        raise _truncated()
    return block


@dataclass(frozen=True)
class _Header:
    """What a parser read: the size Pillow reports and where the orientation comes from."""

    format: str
    width: int
    height: int
    exif: bytes | None = None
    xmp: bytes | None = None
    exif_errors: bool = True
    """Whether an unreadable EXIF block makes ``getexif`` raise (JPEG reads it while opening
    and swallows the error, unless the JFIF header already gave a resolution)."""
    orientation_value: TagValue | None = None
    """An orientation the file states outside of an EXIF block (TIFF's own tag)."""
    exif_failure: UnreadableImage | None = None
    """How ``getexif`` fails on an EXIF block that cannot even be extracted."""


def image_info(data: bytes, name: str = "") -> ImageInfo:
    """Read the header of an encoded image as CVAT's Pillow does.

    An image Pillow would not open (or whose EXIF block makes CVAT fail) raises
    :class:`UnreadableImage`, a ``ValueError``; ``name`` goes into its message.

    Examples:
        >>> import base64
        >>> png = base64.b64decode(
        ...     "iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAAAAACcgYFdAAAAC0lEQVR4nGNggAIAAAkAAftSuKkAAAAA"
        ...     "SUVORK5CYII=")
        >>> image_info(png)
        ImageInfo(format='PNG', width=2, height=3, orientation=1)
        >>> image_info(b"GIF89a", "short.gif")
        Traceback (most recent call last):
        ...
        cvatfn_fake._images.UnreadableImage: cannot identify image file 'short.gif'
    """
    data = bytes(data)
    unidentified = f"{_UNIDENTIFIED} {name!r}" if name else _UNIDENTIFIED
    reader = _reader_for(data)
    if reader is None:
        return _with_pillow(data, unidentified)
    try:
        header = reader(data)
    except UnreadableImage:
        raise
    except (_Unidentified, struct.error, IndexError, KeyError, ValueError, zlib.error):
        raise UnreadableImage(unidentified) from None
    _bomb_check(header.width, header.height)
    if header.exif_failure is not None:
        raise header.exif_failure
    if header.orientation_value is not None:
        orientation = _cvat_orientation(header.orientation_value)
    else:
        orientation = _orientation(header.exif, header.xmp, strict=header.exif_errors)
    return ImageInfo(header.format, header.width, header.height, orientation)


def orientation_of(data: bytes) -> int:
    """The EXIF orientation CVAT's Pillow sees in an image file (1 when it cannot read it).

    Examples:
        >>> orientation_of(b"not an image")
        1
    """
    try:
        return image_info(data).orientation
    except UnreadableImage:
        return 1


def image_size(data: bytes, name: str = "") -> tuple[int, int]:
    """``(width, height)`` CVAT records for an encoded image (see :func:`image_info`).

    Examples:
        >>> import base64
        >>> png = base64.b64decode(
        ...     "iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAAAAACcgYFdAAAAC0lEQVR4nGNggAIAAAkAAftSuKkAAAAA"
        ...     "SUVORK5CYII=")
        >>> image_size(png)
        (2, 3)
    """
    return image_info(data, name).size


_UNIDENTIFIED = "cannot identify image file"


def _bomb_check(width: int, height: int) -> None:
    """Pillow's ``_decompression_bomb_check``, which ``Image.open`` runs on every size."""
    pixels = max(1, width) * max(1, height)
    if pixels > 2 * MAX_IMAGE_PIXELS:
        raise UnreadableImage(
            f"Image size ({pixels} pixels) exceeds limit of {2 * MAX_IMAGE_PIXELS} pixels, "
            "could be decompression bomb DOS attack.",
            "PIL.Image.DecompressionBombError",
        )


Reader = Callable[[bytes], _Header]


def _reader_for(data: bytes) -> Reader | None:
    """The parser for ``data``'s magic number, as Pillow's ``_accept`` functions pick them."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg
    if data.startswith(b"BM"):
        return _bmp
    if data.startswith((b"GIF87a", b"GIF89a")):
        return _gif
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP" and data[12:16] in _WEBP_FIRST:
        return _webp
    if data[:4] in _TIFF_PREFIXES:
        return _tiff
    if len(data) >= 2 and data[0:1] == b"P" and data[1] in b"0123456fy":
        return _pnm
    return None


def _with_pillow(data: bytes, unidentified: str) -> ImageInfo:
    """Pillow's reading of a format this module does not parse (unidentified without it)."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError:
        raise UnreadableImage(unidentified) from None
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            orientation = image.getexif().get(274, 1)
            fmt = str(image.format)
    except UnidentifiedImageError:
        raise UnreadableImage(unidentified) from None
    except Exception as exc:  # whatever a decoder raises fails CVAT's request with it
        kind = type(exc)
        module = "" if kind.__module__ == "builtins" else kind.__module__ + "."
        raise UnreadableImage(str(exc), module + kind.__qualname__) from None
    value: TagValue
    if isinstance(orientation, int | bytes | str):
        value = orientation
    else:  # a rational or a float: integral ones act as integers
        try:
            number = float(orientation)
        except (TypeError, ValueError):
            name = type(orientation).__name__
            message = f"'>' not supported between instances of '{name}' and 'int'"
            raise UnreadableImage(message, "TypeError") from None
        value = int(number) if number.is_integer() else number
    return ImageInfo(fmt, int(width), int(height), _cvat_orientation(value))


# ----------------------------------------------------------------------------- EXIF / XMP
_XMP_ORIENTATION = re.compile(rb'tiff:Orientation(="|>)([0-9])')
_TIFF_PREFIXES = (
    b"MM\x00\x2a",
    b"II\x2a\x00",
    b"MM\x2a\x00",
    b"II\x00\x2a",
    b"MM\x00\x2b",
    b"II\x2b\x00",
)
_TYPE_SIZES = dict(
    zip(
        (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16),
        (1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4, 8),
        strict=True,
    )
)
"""Bytes per value of the TIFF field types Pillow loads (others are skipped)."""
_INT_TYPES = {3: "H", 4: "L", 6: "b", 8: "h", 9: "l", 13: "L", 16: "Q"}
"""The types Pillow loads as integers (SHORT, LONG, SBYTE, SSHORT, SLONG, IFD, LONG8)."""
_NUMBER_TYPES = {**_INT_TYPES, 5: "LL", 10: "ll", 11: "f", 12: "d"}
"""Every numeric type: the integers, RATIONAL, SRATIONAL, FLOAT and DOUBLE."""
TagValue = int | float | bytes | str
"""A tag's first value as Pillow loads it: a number, ``bytes`` (BYTE, UNDEFINED) or ``str``."""


def _orientation(exif: bytes | None, xmp: bytes | None, *, strict: bool = True) -> int:
    """``getexif().get(274, 1)`` from an EXIF block and XMP packet (either may be missing).

    An EXIF block whose TIFF header is broken makes ``getexif`` raise (``strict``), or counts
    as no orientation at all, XMP included (JPEG, which reads it once while opening)."""
    if exif is not None:
        exif = re.sub(b"^(Exif\x00\x00){1,2}", b"", exif)
    if exif:
        head = exif[:8]
        failure: UnreadableImage | None = None
        if head[:4] not in _TIFF_PREFIXES:
            failure = UnreadableImage(f"not a TIFF file (header {head!r} not valid)", "SyntaxError")
        elif head[2] == 43 or len(head) < 8:
            size = 8 if head[2] == 43 else 4
            failure = UnreadableImage(f"unpack requires a buffer of {size} bytes", "struct.error")
        if failure is not None:
            if strict:
                raise failure
            return 1
        value = _tag_value(_ifd_tags(exif, _tiff_header(exif)), 274)
        if value is not None:
            return _cvat_orientation(value)
    if xmp:
        found = _XMP_ORIENTATION.search(xmp)
        if found:
            return int(found[2])
    return 1


@dataclass(frozen=True)
class _TiffHeader:
    endian: str
    big: bool
    first: int


def _tiff_header(data: bytes) -> _TiffHeader:
    if data[:4] not in _TIFF_PREFIXES:
        raise _fail()
    endian = ">" if data[:2] == b"MM" else "<"
    big = data[2] == 43
    (first,) = struct.unpack_from(endian + ("Q" if big else "L"), data, 8 if big else 4)
    return _TiffHeader(endian, big, first)


Tags = dict[int, tuple[int, str, bytes]]
"""A TIFF directory: ``tag -> (type, byte order, value bytes)``."""


def _int_tag(tags: Tags, tag: int) -> int | None:
    """The first value of an integer-typed tag (``None`` when absent or of another type)."""
    entry = tags.get(tag)
    if entry is None or entry[0] not in _INT_TYPES:
        return None
    kind, endian, value = entry
    return int(struct.unpack_from(endian + _INT_TYPES[kind], value)[0])


def _numbers(tags: Tags, tag: int) -> tuple[int | float, ...] | None:
    """Every value of a numeric tag, integral ones as ``int`` (Pillow's rationals and floats
    compare and hash like them); ``None`` for a tag of another type."""
    kind, endian, value = tags[tag]
    code = _NUMBER_TYPES.get(kind)
    if code is None:
        return None
    count = len(value) // struct.calcsize(endian + code)
    raw = struct.unpack_from(endian + code * count, value)
    numbers: list[int | float] = []
    if kind in (5, 10):  # rationals: a zero denominator is NaN
        pairs = zip(raw[::2], raw[1::2], strict=True)
        floats = [
            numerator / denominator if denominator else math.nan for numerator, denominator in pairs
        ]
    else:
        floats = [float(v) if kind in (11, 12) else v for v in raw]
    for number in floats:
        integral = isinstance(number, int) or (math.isfinite(number) and number.is_integer())
        numbers.append(int(number) if integral else number)
    return tuple(numbers)


def _tag_value(tags: Tags, tag: int) -> TagValue | None:
    """A tag's first value as Pillow's ``get`` returns it (``None`` when absent)."""
    entry = tags.get(tag)
    if entry is None:
        return None
    numbers = _numbers(tags, tag)
    if numbers is not None:
        return numbers[0] if numbers else None
    kind, _, value = entry
    if kind == 2:
        return value.rstrip(b"\0").decode("latin-1", "replace")
    return value


def _cvat_orientation(value: TagValue) -> int:
    """The orientation as CVAT's ``orientation > 4`` treats it. A non-integral number counts
    as 9 when above 4 (the sides swap, but no EXIF transform applies) and as 1 otherwise; a
    text or byte string makes the comparison, and the request, fail."""
    if isinstance(value, bytes | str):
        kind = type(value).__name__
        message = f"'>' not supported between instances of '{kind}' and 'int'"
        raise UnreadableImage(message, "TypeError")
    if isinstance(value, int):
        return value
    return 9 if value > 4 else 1


def _ifd_tags(data: bytes, header: _TiffHeader) -> Tags:
    """The first TIFF directory of ``data``, read as Pillow's ``ImageFileDirectory_v2.load``
    reads it: a directory cut short keeps the tags before the cut, a tag whose data would lie
    beyond the end of the file ends the directory, unknown types are skipped."""
    endian, big = header.endian, header.big
    pos = header.first
    entry = struct.Struct(endian + ("HHQ8s" if big else "HHL4s"))
    tags: Tags = {}
    count_format = struct.Struct(endian + ("Q" if big else "H"))
    if pos + count_format.size > len(data):
        return tags
    (count,) = count_format.unpack_from(data, pos)
    pos += count_format.size
    inline = 8 if big else 4
    total = 0
    for _ in range(count):
        if pos + entry.size > len(data):
            return tags
        tag, kind, number, value = entry.unpack_from(data, pos)
        pos += entry.size
        if tag in tags or kind not in _TYPE_SIZES:
            continue
        size = number * _TYPE_SIZES[kind]
        if size > inline:
            (where,) = struct.unpack(endian + ("Q" if big else "L"), value)
            if where >= 2**63:
                continue
            total += size
            if total > len(data):
                continue
            if where + size > len(data):
                return tags  # Pillow's _safe_read fails and ends the directory
            value = data[where : where + size]
        else:
            value = value[:size]
        if value:
            tags[tag] = (kind, endian, value)
    return tags


# ------------------------------------------------------------------------------------ PNG
# (bit depth, colour type) pairs Pillow decodes.
_PNG_MODES = {
    (1, 0), (2, 0), (4, 0), (8, 0), (16, 0), (8, 2), (16, 2),
    (1, 3), (2, 3), (4, 3), (8, 3), (8, 4), (16, 4), (8, 6), (16, 6),
}  # fmt: skip
_PNG_TEXT_LIMIT = 1024 * 1024
_PNG_TEXT_MEMORY = 64 * _PNG_TEXT_LIMIT


class _PngState:
    def __init__(self) -> None:
        self.width = self.height = 0
        self.mode_ok = False
        self.info: dict[str, bytes] = {}
        self.text_memory = 0
        self.frames: int | None = None
        self.sequence: int | None = None

    def text(self, key: bytes, value: bytes, length: int) -> None:
        """Keep a text chunk; ``length`` is its decoded length, which Pillow budgets."""
        self.text_memory += length
        if self.text_memory > _PNG_TEXT_MEMORY:
            message = f"Too much memory used in text chunks: {self.text_memory}>MAX_TEXT_MEMORY"
            raise UnreadableImage(message, "ValueError")
        self.info[key.decode("latin-1")] = value


def _inflate(data: bytes) -> bytes | None:
    """Pillow's ``_safe_zlib_decompress``: ``None`` when broken or over the text limit."""
    try:
        inflater = zlib.decompressobj()
        text = inflater.decompress(data, _PNG_TEXT_LIMIT)
    except zlib.error:
        return None
    return None if inflater.unconsumed_tail else text


def _syntax(message: str) -> UnreadableImage:
    return UnreadableImage(message, "SyntaxError")


def _png_chunk(state: _PngState, kind: bytes, body: bytes) -> None:
    """One chunk's effect on what Pillow learns, failing as Pillow's chunk handler does."""
    if kind == b"IHDR":
        if len(body) < 13:
            return
        state.width, state.height = struct.unpack_from(">II", body)
        if (body[8], body[9]) in _PNG_MODES:
            state.mode_ok = True
        if body[11]:
            raise _syntax("unknown filter category")
    elif kind == b"iCCP":
        nul = body.find(b"\0")
        if nul + 1 >= len(body):
            raise UnreadableImage("index out of range", "IndexError")
        if body[nul + 1] != 0:
            raise _syntax(f"Unknown compression method {body[nul + 1]} in iCCP chunk")
    elif kind == b"eXIf":
        state.info["exif"] = b"Exif\x00\x00" + body
    elif kind == b"tEXt":
        key, _, value = body.partition(b"\0")
        if key:
            state.text(key, value, len(value))
    elif kind == b"zTXt":
        key, _, value = body.partition(b"\0")
        if value and value[0] != 0:
            raise _syntax(f"Unknown compression method {value[0]} in zTXt chunk")
        if key:
            text = _inflate(value[1:]) or b""
            state.text(key, text, len(text))
    elif kind == b"iTXt":
        _png_itxt(state, body)
    elif kind == b"acTL" and len(body) >= 8:
        if state.frames is not None:
            state.frames = None
        else:
            (frames,) = struct.unpack_from(">I", body)
            state.frames = frames if 0 < frames <= 0x80000000 else None
    elif kind == b"fcTL" and len(body) >= 26:
        sequence, width, height, x, y = struct.unpack_from(">5I", body)
        expected = 0 if state.sequence is None else state.sequence + 1
        if sequence != expected:
            raise _syntax("APNG contains frame sequence errors")
        if x + width > state.width or y + height > state.height:
            raise _syntax("APNG contains invalid frames")
        state.sequence = sequence


def _png_itxt(state: _PngState, body: bytes) -> None:
    key, sep, rest = body.partition(b"\0")
    if not sep or len(rest) < 2:
        return
    compressed, method, rest = rest[0], rest[1], rest[2:]
    parts = rest.split(b"\0", 2)
    if len(parts) < 3:
        return
    value: bytes | None = parts[2]
    if compressed:
        value = _inflate(parts[2]) if method == 0 else None
        if value is None:
            return
    assert value is not None
    if key == b"XML:com.adobe.xmp":
        state.info["xmp"] = value
    try:
        length = len(value.decode("utf-8"))
        for part in parts[:2]:  # the language tag and translated keyword
            part.decode("utf-8")
    except UnicodeError:
        return
    state.text(key, value, length)


def _png(data: bytes) -> _Header:
    """Pillow's ``PngImageFile._open`` (with CVAT's ``LOAD_TRUNCATED_IMAGES``), then what
    ``getexif`` reads: the chunks after the image data when no EXIF came before it."""
    state = _PngState()
    pos = 8
    default_image = True
    while True:
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]  # a cut type still names a (missing) handler
        try:
            kind.decode("ascii")  # Pillow looks the chunk's handler up by its name
        except UnicodeDecodeError as exc:
            raise UnreadableImage(str(exc), "UnicodeDecodeError") from None
        pos += 8
        # Image data before a usable IHDR trips over Pillow's missing raw mode, and the
        # chunk is then skipped as an unknown one.
        if kind == b"IEND" or (kind == b"IDAT" and state.mode_ok):
            break
        if kind == b"fdAT" and length >= 4:
            (sequence,) = struct.unpack(">I", _exact(data, pos, 4))
            if state.sequence is None or sequence != state.sequence + 1:
                raise _fail()
            pos += 4
            if state.mode_ok:
                length -= 4
                break
        body = _exact(data, pos, length)
        if kind == b"fcTL":
            default_image = False
        try:
            _png_chunk(state, kind, body)
        except UnreadableImage as exc:
            if exc.exception in ("SyntaxError", "IndexError"):
                raise _fail() from None  # Image.open turns these into "cannot identify"
            raise
        pos += length
        if not kind[0] & 0x20:  # a critical chunk: its CRC is checked
            (crc,) = struct.unpack_from(">I", data, pos)
            if crc != zlib.crc32(body, zlib.crc32(kind)):
                raise _fail()
        pos += 4
    if not state.mode_ok or state.width <= 0 or state.height <= 0:
        raise _fail()
    width, height = state.width, state.height
    failure: UnreadableImage | None = None
    if "exif" not in state.info:
        frames = (state.frames or 1) + (1 if state.frames is not None and default_image else 0)
        try:
            if kind == b"IEND":  # getexif loads the image, and there is nothing to load
                raise UnreadableImage("cannot load this image", "OSError")
            _png_after_data(state, data, pos + length, animated=frames > 1)
        except UnreadableImage as exc:
            failure = exc
    info = state.info
    exif = info.get("exif")
    if failure is None and exif is None and "Raw profile type exif" in info:
        raw = info["Raw profile type exif"].decode("latin-1", "replace")
        try:
            exif = bytes.fromhex("".join(raw.split("\n")[3:]))
        except ValueError as exc:
            failure = UnreadableImage(str(exc), "ValueError")
    xmp = info.get("XML:com.adobe.xmp") or info.get("xmp")
    return _Header("PNG", width, height, exif, xmp, exif_failure=failure)


def _png_after_data(state: _PngState, data: bytes, pos: int, *, animated: bool) -> None:
    """The chunks after the image data, as Pillow's ``load_end`` reads them."""
    while True:
        pos += 4  # the CRC, unchecked
        if pos + 4 > len(data):
            return
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        pos += 8
        if kind == b"IEND" or (kind == b"fcTL" and animated):
            return
        try:
            kind.decode("ascii")
        except UnicodeDecodeError:
            return
        if kind == b"fdAT" and length >= 4:
            (sequence,) = struct.unpack(">I", _exact(data, pos, 4))
            if state.sequence is None or sequence != state.sequence + 1:
                raise _syntax("APNG contains frame sequence errors")
            state.sequence = sequence
            pos += 4
            length -= 4
        elif kind != b"IDAT":
            _png_chunk(state, kind, _exact(data, pos, length))
            pos += length
            continue
        if len(data) - pos < length:
            return  # image data cut short: Pillow stops reading here
        pos += length


# ----------------------------------------------------------------------------------- JPEG
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xDE}
_NO_BODY = {0xC8, *range(0xD0, 0xDA), *range(0xF0, 0xFE)}
_XMP_APP1 = b"http://ns.adobe.com/xap/1.0/\x00"


def _jpeg(data: bytes) -> _Header:
    pos = 3
    pending = 0xFF  # the third byte of the signature starts the first marker
    width = height = 0
    mode_ok = False
    exif: bytes | None = None
    xmp: bytes | None = None
    resolution = False
    icc: list[bytes] = []
    while True:
        if pending != 0xFF:
            if pos >= len(data):
                break
            pending = data[pos]
            pos += 1
            continue
        if pos >= len(data):
            break
        marker = data[pos]
        pos += 1
        if marker == 0xFF:
            continue  # fill byte: the second 0xFF starts the marker
        if marker == 0x00:
            pending = -1
            continue
        if marker < 0xC0:
            raise _fail()  # Pillow: "no marker found"
        if marker in _NO_BODY:
            pending = -1
            continue
        (length,) = struct.unpack_from(">H", data, pos)
        pos += 2
        body = _exact(data, pos, length - 2)
        pos += len(body)
        if marker in _SOF:
            height, width = struct.unpack_from(">HH", body, 1)
            if body[0] != 8 or body[5] not in (1, 3, 4) or (len(body) - 6) % 3:
                raise _fail()  # 8-bit samples, 1, 3 or 4 components, whole component specs
            if icc and len(min(icc)) < 14:
                raise _fail()  # Pillow reads the ICC segment count of the first one
            icc.clear()
            mode_ok = True
        elif marker == 0xDB:
            _check_dqt(body)
        elif 0xE0 <= marker <= 0xEF:
            if marker == 0xE0 and body.startswith(b"JFIF"):
                struct.unpack_from(">H", body, 5)
                resolution = resolution or (len(body) >= 12 and body[7] in (1, 2))
            elif marker == 0xE2 and body.startswith(b"ICC_PROFILE\0"):
                icc.append(body)
            elif marker == 0xE1 and body.startswith(b"Exif\0\0"):
                exif = body if exif is None else exif + body[6:]
            elif marker == 0xE1 and body.startswith(_XMP_APP1):
                xmp = body.split(b"\x00", 1)[1]
            elif marker == 0xEE and body.startswith(b"Adobe"):
                struct.unpack_from(">H", body, 5)
            elif marker == 0xED and body.startswith(b"Photoshop 3.0\x00"):
                _check_photoshop(body)
        elif marker == 0xDA:
            break
        pending = -1
    if not mode_ok or width <= 0 or height <= 0:
        raise _fail()
    return _Header("JPEG", width, height, exif, xmp, exif_errors=resolution)


def _check_photoshop(body: bytes) -> None:
    """Pillow's walk over Photoshop resource blocks, which fails on a missing name length."""
    offset = 14
    while body[offset : offset + 4] == b"8BIM":
        offset += 4
        if offset + 2 > len(body):
            return  # the resource code is cut: Pillow stops quietly
        offset += 2
        offset += 1 + body[offset]  # a missing name length is an IndexError in Pillow
        offset += offset & 1
        if offset + 4 > len(body):
            return
        (size,) = struct.unpack_from(">I", body, offset)
        offset += 4 + size
        offset += offset & 1


def _check_dqt(body: bytes) -> None:
    while body:
        size = 1 + (1 if body[0] // 16 == 0 else 2) * 64
        if len(body) < size:
            raise _fail()
        body = body[size:]


# ------------------------------------------------------------------------------------ BMP
_BMP_BITFIELDS: dict[int, set[tuple[int, ...]]] = {
    32: {
        (0xFF0000, 0xFF00, 0xFF, 0x0),
        (0xFF000000, 0xFF0000, 0xFF00, 0x0),
        (0xFF000000, 0xFF00, 0xFF, 0x0),
        (0xFF000000, 0xFF0000, 0xFF00, 0xFF),
        (0xFF, 0xFF00, 0xFF0000, 0xFF000000),
        (0xFF0000, 0xFF00, 0xFF, 0xFF000000),
        (0xFF000000, 0xFF00, 0xFF, 0xFF0000),
        (0x0, 0x0, 0x0, 0x0),
    },
    24: {(0xFF0000, 0xFF00, 0xFF)},
    16: {(0xF800, 0x7E0, 0x1F), (0x7C00, 0x3E0, 0x1F)},
}


def _bmp(data: bytes) -> _Header:
    """Pillow's ``BmpImageFile._bitmap``: the header versions, depths and compressions it
    reads (a top-down bitmap stores its height negated)."""
    struct.unpack_from("<I", data, 10)  # the pixel data offset
    (header_size,) = struct.unpack_from("<I", data, 14)
    header = _exact(data, 18, header_size - 4)
    compression = colours = 0
    masks: tuple[int, ...] = ()
    if header_size == 12:
        width, height, _, bits = struct.unpack_from("<HHHH", header)
    elif header_size in (40, 52, 56, 64, 108, 124):
        width, raw_height, _, bits, compression = struct.unpack_from("<IIHHI", header)
        height = 2**32 - raw_height if header[7] == 0xFF else raw_height
        (colours,) = struct.unpack_from("<I", header, 28)
        if compression == 3:
            if len(header) >= 52:
                masks = struct.unpack_from("<IIII", header, 36)
            elif len(header) >= 48:
                masks = (*struct.unpack_from("<III", header, 36), 0)
            else:  # a 40-byte header: the three masks follow it
                masks = (*struct.unpack_from("<III", data, 18 + len(header)), 0)
    else:
        raise _bmp_error(f"Unsupported BMP header type ({header_size})")
    if bits not in (1, 4, 8, 16, 24, 32):
        raise _bmp_error(f"Unsupported BMP pixel depth ({bits})")
    if compression == 3:
        allowed = _BMP_BITFIELDS.get(bits, set())
        if (masks if bits == 32 else masks[:3]) not in allowed:
            raise _bmp_error("Unsupported BMP bitfields layout")
    elif compression not in (0, 1, 2):
        raise _bmp_error(f"Unsupported BMP compression ({compression})")
    if bits <= 8 and not 0 < (colours or 1 << bits) <= 65536:
        raise _bmp_error(f"Unsupported BMP Palette size ({colours or 1 << bits})")
    if width <= 0 or height <= 0:
        raise _fail()
    return _Header("BMP", width, height)


def _bmp_error(message: str) -> UnreadableImage:
    return UnreadableImage(message, "OSError")


# ------------------------------------------------------------------------------------ GIF
class _Cursor:
    """A file-like read position over bytes."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def read(self, count: int) -> bytes:
        chunk = self.data[self.pos : self.pos + count]
        self.pos += len(chunk)
        return chunk

    def block(self) -> bytes | None:
        """A GIF data sub-block (``None`` at the terminator or the end of the file)."""
        size = self.read(1)
        return self.read(size[0]) if size and size[0] else None


def _gif_palette(palette: bytes) -> None:
    """Pillow's ``_is_palette_needed``, which fails on a cut palette that starts as a grey
    ramp."""
    for i in range(0, len(palette), 3):
        grey = i // 3
        for offset in range(3):
            value = palette[i + offset]  # IndexError where Pillow's would raise
            if value != grey:
                return


def _gif(data: bytes) -> _Header:
    """Pillow's ``GifImageFile._open`` and ``_seek(0)``: the screen, then up to the first
    image descriptor (extensions before it are skipped, stray bytes ignored)."""
    cursor = _Cursor(data, 13)
    width, height = struct.unpack_from("<HH", data, 6)
    flags = data[10]
    if flags & 128:
        if len(data) < 12:
            raise _fail()  # Pillow reads the background colour index
        _gif_palette(cursor.read(3 << ((flags & 7) + 1)))
    byte = cursor.read(1)
    if byte == b";":
        raise _fail()
    while True:
        if not byte:
            byte = cursor.read(1)
        if not byte or byte == b";":
            raise _fail()  # no image in the file
        if byte == b"!":
            _gif_extension(cursor)
        elif byte == b",":
            descriptor = cursor.read(9)
            x, y, frame_width, frame_height = struct.unpack_from("<HHHH", descriptor)
            width, height = max(width, x + frame_width), max(height, y + frame_height)
            local = descriptor[8]
            if local & 128:
                _gif_palette(cursor.read(3 << ((local & 7) + 1)))
            if not cursor.read(1):
                raise _fail()  # the LZW code size
            break
        byte = b""
    if width <= 0 or height <= 0:
        raise _fail()
    return _Header("GIF", width, height)


def _gif_extension(cursor: _Cursor) -> None:
    label = cursor.read(1)[0]
    block = cursor.block()
    if label == 249 and block is not None:  # graphic control: flags, delay, transparency
        if len(block) < 3 or (block[0] & 1 and len(block) < 4):
            raise _fail()
    elif label == 254:  # a comment: its blocks are read, and no more
        while block:
            block = cursor.block()
        return
    elif label == 255 and block is not None and block.startswith(b"NETSCAPE2.0"):
        cursor.block()  # the loop count block
    while cursor.block():
        pass


# ----------------------------------------------------------------------------------- WebP
_WEBP_FIRST = (b"VP8 ", b"VP8L", b"VP8X")
_WEBP_MAX_PAYLOAD = 2**32 - 10
_WEBP_VALID_FLAGS = 0x3E


@dataclass
class _WebPFrame:
    width: int = 0
    height: int = 0
    x: int = 0
    y: int = 0
    alpha_at: int = -1
    image_at: int = -1
    complete: bool = False


class _NeedMore(Exception):
    """The file ends before the RIFF size says it does (libwebp: PARSE_NEED_MORE_DATA)."""


def _webp_bitstream(payload: bytes, lossless: bool, size: int) -> tuple[int, int]:
    """``WebPGetFeatures`` of a ``VP8 `` or ``VP8L`` chunk: the frame size, or a failure."""
    if lossless:
        if len(payload) < 5 or payload[0] != 0x2F or payload[4] >> 5:
            raise _fail()
        (bits,) = struct.unpack_from("<I", payload, 1)
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if len(payload) < 10 or payload[3:6] != b"\x9d\x01\x2a":
        raise _fail()
    tag = payload[0] | payload[1] << 8 | payload[2] << 16
    if tag & 1 or (tag >> 1) & 7 > 3 or not (tag >> 4) & 1 or tag >> 5 >= size:
        raise _fail()
    width, height = struct.unpack_from("<HH", payload, 6)
    width, height = width & 0x3FFF, height & 0x3FFF
    if not width or not height:
        raise _fail()
    return width, height


class _Riff:
    """libwebp's demuxer walk over the chunks of a RIFF/WEBP file."""

    def __init__(self, data: bytes) -> None:
        (riff_size,) = struct.unpack_from("<I", data, 4)
        if riff_size < 8 or riff_size > _WEBP_MAX_PAYLOAD:
            raise _fail()
        self.end: int = riff_size + 8
        if len(data) < self.end:
            raise _fail()  # a partial file: the demuxer refuses it
        self.data = data[: self.end]
        self.pos = 12
        self.frames: list[_WebPFrame] = []
        self.chunks: dict[bytes, bytes] = {}

    def available(self) -> int:
        return self.end - self.pos

    def header(self) -> tuple[int, bytes, int]:
        """``(start, fourcc, padded payload size)`` of the chunk at the read position."""
        if self.available() < 8:
            raise _NeedMore
        start = self.pos
        kind, size = struct.unpack_from("<4sI", self.data, start)
        if size > _WEBP_MAX_PAYLOAD:
            raise _fail()
        padded = size + (size & 1)
        self.pos += 8
        if padded > self.end - self.pos:
            raise _fail()
        return start, kind, padded

    def store_frame(self, frame: _WebPFrame, minimum: int = 0) -> None:
        """libwebp's ``StoreFrame``: an optional ``ALPH`` then a ``VP8 ``/``VP8L`` chunk."""
        if self.available() < 8 or self.available() < minimum:
            raise _NeedMore
        alphas = images = 0
        while True:
            start, kind, padded = self.header()
            (size,) = struct.unpack_from("<I", self.data, start + 4)
            if kind == b"ALPH" and not alphas:
                alphas += 1
                frame.alpha_at = start
            elif kind in (b"VP8 ", b"VP8L") and not images:
                if kind == b"VP8L" and alphas:
                    raise _fail()
                payload = self.data[self.pos : self.pos + padded]
                frame.width, frame.height = _webp_bitstream(payload, kind == b"VP8L", size)
                images += 1
                frame.image_at = start
                frame.complete = True
            else:
                self.pos = start  # not part of this frame
                return
            self.pos += padded
            if self.pos == self.end:
                return
            if self.available() < 8:
                raise _NeedMore


def _webp(data: bytes) -> _Header:
    """Pillow's ``WebPImageFile._open``: a size check on the first 30 bytes, then libwebp's
    demuxer, whose every refusal is ``could not create decoder object``."""
    head = data[:30]
    if head[12:16] == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack_from("<HH", head, 26)
        _bomb_check(width & 0x3FFF, height & 0x3FFF)
    elif head[12:16] == b"VP8X" and len(head) >= 30:
        _bomb_check(_le24(head, 24) + 1, _le24(head, 27) + 1)
    elif head[12:16] == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        (bits,) = struct.unpack_from("<I", head, 21)
        _bomb_check((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    try:
        riff = _Riff(data)
        if data[12:16] == b"VP8X":
            return _webp_extended(riff)
        frame = _WebPFrame()
        riff.store_frame(frame)
    except (_NeedMore, _Unidentified, struct.error, IndexError):
        raise UnreadableImage("could not create decoder object", "OSError") from None
    return _Header("WEBP", frame.width, frame.height)


def _le24(data: bytes, pos: int) -> int:
    return int.from_bytes(data[pos : pos + 3], "little")


def _webp_extended(riff: _Riff) -> _Header:
    """The ``VP8X`` canvas and its chunks: one still image, or ``ANMF`` animation frames."""
    start, _, padded = riff.header()
    (size,) = struct.unpack_from("<I", riff.data, start + 4)
    if size < 10:
        raise _fail()
    flags = riff.data[riff.pos]
    width, height = _le24(riff.data, riff.pos + 4) + 1, _le24(riff.data, riff.pos + 7) + 1
    if width * height >= 2**32:
        raise _fail()
    riff.pos += padded
    animated = bool(flags & 0x02)
    if riff.available() < 8:
        raise _NeedMore
    anim = 0
    while True:
        start, kind, padded = riff.header()
        if kind == b"VP8X":
            raise _fail()
        if kind in (b"ALPH", b"VP8 ", b"VP8L"):
            if anim or animated or riff.frames:
                raise _fail()
            riff.pos = start
            frame = _WebPFrame()
            riff.store_frame(frame)
            if not flags & 0x10:
                frame.alpha_at = -1  # an ALPH chunk without the alpha flag is ignored
            riff.frames.append(frame)
        elif kind == b"ANIM":
            if padded < 6:
                raise _fail()
            anim += 1
            riff.pos += padded
        elif kind == b"ANMF":
            if not anim:
                raise _fail()
            _webp_animation_frame(riff, padded, animated)
        else:
            (size,) = struct.unpack_from("<I", riff.data, start + 4)
            flag = {b"ICCP": 0x20, b"EXIF": 0x08, b"XMP ": 0x04}.get(kind)
            if flag is not None and flags & flag and kind not in riff.chunks:
                riff.chunks[kind] = riff.data[riff.pos : riff.pos + size]
            riff.pos += padded
        if riff.pos == riff.end:
            break
        if riff.available() < 8:
            raise _NeedMore
    if flags & ~_WEBP_VALID_FLAGS or not riff.frames:
        raise _fail()
    for frame in riff.frames:
        if not frame.complete or frame.width <= 0 or frame.height <= 0:
            raise _fail()
        if frame.alpha_at >= 0 and frame.alpha_at > frame.image_at:
            raise _fail()
        if animated:
            fits = frame.x + frame.width <= width and frame.y + frame.height <= height
        else:
            fits = (frame.x, frame.y, frame.width, frame.height) == (0, 0, width, height)
        if not fits:
            raise _fail()
    return _Header("WEBP", width, height, riff.chunks.get(b"EXIF"), riff.chunks.get(b"XMP "))


def _webp_animation_frame(riff: _Riff, padded: int, animated: bool) -> None:
    if padded < 16:
        raise _fail()
    if riff.available() < 16:
        raise _NeedMore
    x, y = 2 * _le24(riff.data, riff.pos), 2 * _le24(riff.data, riff.pos + 3)
    width, height = _le24(riff.data, riff.pos + 6) + 1, _le24(riff.data, riff.pos + 9) + 1
    if width * height >= 2**32:
        raise _fail()
    riff.pos += 16
    start = riff.pos
    frame = _WebPFrame(x=x, y=y)
    riff.store_frame(frame, padded - 16)
    if riff.pos - start > padded - 16:
        raise _fail()
    if animated and (frame.alpha_at >= 0 or frame.image_at >= 0):
        riff.frames.append(frame)


# ----------------------------------------------------------------------------------- TIFF
_TIFF_COMPRESSIONS = frozenset(
    (1, 2, 3, 4, 5, 6, 7, 8, 32771, 32773, 32809, 32946, 34676, 34677, 34925, 50000, 50001)
)
"""Pillow's ``COMPRESSION_INFO``: the compression tag values it opens."""

_B1, _B2, _B4, _B8, _B16, _B32 = (1,), (2,), (4,), (8,), (16,), (32,)
Bits = tuple[float, ...]
# fmt: off
_TIFF_GROUPS: dict[tuple[float, Bits, Bits], list[tuple[float, Bits]]] = {
    # (photometric, sample format, extra samples): [(fill order, bits per sample), ...]
    (0, (1,), ()): [
        (1, _B1), (1, _B2), (1, _B4), (1, _B8), (2, _B1), (2, _B2), (2, _B4), (2, _B8),
    ],
    (0, (3,), ()): [(1, _B32)],
    (1, (1,), ()): [
        (1, _B1), (1, _B2), (1, _B4), (1, _B8), (1, _B16),
        (2, _B1), (2, _B2), (2, _B4), (2, _B8),
    ],
    (1, (1,), (0,)): [(1, (8, 8))],
    (1, (1,), (1,)): [(1, (8, 8))],
    (1, (1,), (2,)): [(1, (8, 8))],
    (1, (2,), ()): [(1, _B8), (1, _B16), (1, _B32)],
    (1, (3,), ()): [(1, _B32)],
    (2, (1,), ()): [
        (1, (8, 8, 8)), (1, (8, 8, 8, 8)), (1, (16, 16, 16)), (1, (16, 16, 16, 16)),
        (2, (8, 8, 8)),
    ],
    (2, (1,), (0,)): [(1, (8, 8, 8, 8)), (1, (16, 16, 16, 16))],
    (2, (1,), (0, 0)): [(1, (8,) * 5)],
    (2, (1,), (0, 0, 0)): [(1, (8,) * 6)],
    (2, (1,), (1,)): [(1, (8, 8, 8, 8)), (1, (16, 16, 16, 16))],
    (2, (1,), (1, 0)): [(1, (8,) * 5)],
    (2, (1,), (1, 0, 0)): [(1, (8,) * 6)],
    (2, (1,), (2,)): [(1, (8, 8, 8, 8)), (1, (16, 16, 16, 16))],
    (2, (1,), (2, 0)): [(1, (8,) * 5)],
    (2, (1,), (2, 0, 0)): [(1, (8,) * 6)],
    (2, (1,), (999,)): [(1, (8, 8, 8, 8))],
    (3, (1,), ()): [
        (1, _B1), (1, _B2), (1, _B4), (1, _B8), (2, _B1), (2, _B2), (2, _B4), (2, _B8),
    ],
    (3, (1,), (0,)): [(1, (8, 8))],
    (3, (1,), (2,)): [(1, (8, 8))],
    (5, (1,), ()): [(1, (8, 8, 8, 8)), (1, (16, 16, 16, 16))],
    (5, (1,), (0,)): [(1, (8,) * 5)],
    (5, (1,), (0, 0)): [(1, (8,) * 6)],
    (6, (1,), ()): [(1, _B8), (1, (8, 8, 8))],
    (8, (1,), ()): [(1, (8, 8, 8))],
}
# fmt: on
TiffLayout = tuple[float, Bits, float, Bits, Bits]
_TIFF_BIG_ENDIAN: frozenset[TiffLayout] = frozenset(
    (photometric, formats, fill, bits, extra)
    for (photometric, formats, extra), layouts in _TIFF_GROUPS.items()
    for fill, bits in layouts
)
_TIFF_LITTLE_ENDIAN = _TIFF_BIG_ENDIAN | {
    (0, (1,), 1, _B16, ()),
    (1, (1,), 1, (12,), ()),
    (1, (1,), 1, _B32, ()),
    (1, (1,), 2, _B16, ()),
}
"""Pillow's ``OPEN_INFO`` keys (photometric, sample format, fill order, bits per sample,
extra samples) for each byte order: the sample layouts it decodes."""


def _layout_values(tags: Tags, tag: int, default: tuple[int, ...]) -> tuple[int | float, ...]:
    """A tag that goes into Pillow's layout lookup: the default when absent, a failure when
    not numeric (such a value matches no layout)."""
    if tag not in tags:
        return default
    numbers = _numbers(tags, tag)
    if numbers is None:
        raise _fail()
    return numbers


def _tiff(data: bytes) -> _Header:
    """Pillow's ``TiffImageFile._open`` and ``_setup`` for the first directory."""
    header = _tiff_header(data)
    if not header.first:
        raise _fail()
    if header.first >= 2**63:
        raise UnreadableImage("Unable to seek to frame", "ValueError")
    tags = _ifd_tags(data, header)
    if 0xBC01 in tags:
        raise UnreadableImage("Windows Media Photo files not yet supported", "OSError")
    compression = _layout_values(tags, 259, (1,))[0]
    if compression not in _TIFF_COMPRESSIONS:
        raise _fail()
    if 256 not in tags or 257 not in tags:
        raise _fail()  # "Missing dimensions"
    width, height = _int_tag(tags, 256), _int_tag(tags, 257)
    if width is None or height is None:
        raise UnreadableImage("Invalid dimensions", "ValueError")
    photometric = _tiff_layout(tags, header.endian, compression)
    if compression == 1 and 273 not in tags:  # uncompressed: strips, or else tiles
        if 324 not in tags:
            raise _fail()  # "unknown data organization"
        if _int_tag(tags, 322) is None or _int_tag(tags, 323) is None:
            raise UnreadableImage("Invalid tile dimensions", "ValueError")
    if photometric == 3 and 320 not in tags:
        raise _fail()  # a palette image without its colour map
    value = _tag_value(tags, 274)
    if value in (5, 6, 7, 8):
        width, height = height, width
    if width <= 0 or height <= 0:
        raise _fail()
    xmp = tags.get(700)
    return _Header("TIFF", width, height, xmp=xmp[2] if xmp else None, orientation_value=value)


def _tiff_layout(tags: Tags, endian: str, compression: float) -> float:
    """Fail unless Pillow knows the sample layout; the photometric interpretation it uses."""
    interpretations = _layout_values(tags, 262, (0,))
    # Pillow drops a photometric interpretation with more than one value.
    photometric = interpretations[0] if len(interpretations) == 1 else 0
    if compression == 6:
        photometric = 6
    fill = _layout_values(tags, 266, (1,))[0]
    planar = _numbers(tags, 284) if 284 in tags else (1,)
    formats = _layout_values(tags, 339, (1,))
    if len(formats) > 1 and max(formats) == min(formats):
        formats = formats[:1]
    bits = _layout_values(tags, 258, (1,))
    extra = _layout_values(tags, 338, ())
    default_samples = 3 if compression == 6 and photometric in (2, 6) else 1
    samples = _layout_values(tags, 277, (default_samples,))[0]
    if not isinstance(samples, int):
        raise _fail()  # Pillow repeats the bit depths that many times
    if planar and planar[0] == 2 and extra and max(extra) == 0:
        bits, samples, extra = bits[: -len(extra)], samples - len(extra), ()
    if samples > 6:
        raise _fail()
    if samples < len(bits):
        bits = bits[:samples]
    elif samples > len(bits) == 1:
        bits = bits * samples
    if len(bits) != samples:
        raise _fail()
    known = _TIFF_BIG_ENDIAN if endian == ">" else _TIFF_LITTLE_ENDIAN
    if (photometric, formats, fill, bits, extra) not in known:
        raise _fail()
    if compression != 1 and fill == 2 and (photometric, formats, 1, bits, extra) not in known:
        raise _fail()
    return photometric


# ---------------------------------------------------------------------------- PBM/PGM/PPM
_PNM_MAGIC = frozenset(
    (b"P1", b"P2", b"P3", b"P4", b"P5", b"P6", b"P0CMYK", b"Pf", b"PyP", b"PyRGBA", b"PyCMYK")
)
_WHITESPACE = b" \t\n\x0b\x0c\r"


def _pnm_token(cursor: _Cursor) -> bytes:
    """Pillow's ``PpmImageFile._read_token``: whitespace and ``#`` comments skipped."""
    token = b""
    while len(token) <= 10:
        char = cursor.read(1)
        if not char:
            break
        if char in _WHITESPACE:
            if not token:
                continue
            break
        if char == b"#":
            while cursor.read(1) not in b"\r\n":
                pass
            continue
        token += char
    if not token:
        raise UnreadableImage("Reached EOF while reading header", "ValueError")
    if len(token) > 10:
        raise UnreadableImage(str(b"Token too long in file header: " + token), "ValueError")
    return token


def _pnm_number(cursor: _Cursor, convert: Callable[[bytes], float]) -> float:
    token = _pnm_token(cursor)
    try:
        return convert(token)
    except ValueError as exc:
        raise UnreadableImage(str(exc), "ValueError") from None


def _pnm(data: bytes) -> _Header:
    """Pillow's ``PpmImageFile._open``: the magic number, then the header's tokens."""
    cursor = _Cursor(data)
    magic = b""
    for _ in range(6):
        char = cursor.read(1)
        if not char or char in _WHITESPACE:
            break
        magic += char
    if magic not in _PNM_MAGIC:
        raise _fail()
    width, height = int(_pnm_number(cursor, int)), int(_pnm_number(cursor, int))
    if magic == b"Pf":
        scale = _pnm_number(cursor, float)
        if scale == 0.0 or not math.isfinite(scale):
            raise UnreadableImage("scale must be finite and non-zero", "ValueError")
    elif magic not in (b"P1", b"P4"):
        maximum = _pnm_number(cursor, int)
        if not 0 < maximum < 65536:
            message = "maxval must be greater than 0 and less than 65536"
            raise UnreadableImage(message, "ValueError")
    if width <= 0 or height <= 0:
        raise _fail()
    return _Header("PPM", width, height)
