"""Media inspection: which uploaded files are images, and their sizes (Pillow, lazily).

Theory of operation
-------------------
CVAT classifies uploaded files by MIME type guessed from the name; files of unknown types are
skipped, and a task without any media fails with ``No media data found``. Images are then
opened to read their size. Pillow is imported only when the first image is inspected, so
creating a server stays cheap. Only still images are supported by the fake server; videos,
archives, PDFs and point clouds fail the request with an explicit message.
"""

from __future__ import annotations

import io
import mimetypes
from typing import Literal

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

    Example:
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


def image_size(data: bytes) -> tuple[int, int]:
    """``(width, height)`` of an encoded image; raises ``ValueError`` if it is not one.

    Example:
        >>> import base64
        >>> png = base64.b64decode(
        ...     "iVBORw0KGgoAAAANSUhEUgAAAAIAAAADCAAAAACcgYFdAAAAC0lEQVR4nGNggAIAAAkAAftSuKkAAAAA"
        ...     "SUVORK5CYII=")
        >>> image_size(png)
        (2, 3)
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(str(exc)) from exc
    return int(width), int(height)
