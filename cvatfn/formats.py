"""Annotation formats: what the server can import and export
(``GET /api/server/annotation/formats``).

The names in this list are what :func:`cvatfn.tasks.export_dataset`,
:func:`cvatfn.tasks.import_annotations`, :func:`cvatfn.projects.import_dataset` and their
siblings take. cvatfn keeps no list of its own, so it cannot drift from the server's: a name the
server does not know is refused by the server, and that refusal is the failure value.

Examples:
    >>> import cvatfn
    >>> from cvatfn_fake import FakeServer
    >>> session = cvatfn.connect("http://localhost", credentials=("admin", "admin"),
    ...                          transport=FakeServer().transport()).unwrap()
    >>> formats = cvatfn.formats.retrieve(session).unwrap()
    >>> formats.exporter("CVAT for images 1.1").dimension
    '2d'
"""

from __future__ import annotations

from returns.result import Result

from cvatfn import _api
from cvatfn._flow import run
from cvatfn._session import Session
from cvatfn.errors import CvatError
from cvatfn.models import AnnotationFormats

__all__ = ["DEFAULT_EXPORT_FORMAT", "DEFAULT_IMPORT_FORMAT", "retrieve"]

PATH = "/api/server/annotation/formats"

DEFAULT_EXPORT_FORMAT = "CVAT for images 1.1"
"""CVAT's own annotation format, as an exporter names it (``"CVAT for video 1.1"`` keeps
tracks as tracks)."""

DEFAULT_IMPORT_FORMAT = "CVAT 1.1"
"""CVAT's own annotation format, as an importer names it (it reads both CVAT exports)."""


def retrieve(session: Session) -> Result[AnnotationFormats, CvatError]:
    """The server's importers and exporters, each with its name, file extensions, version,
    dimension and whether it is enabled.

    Examples:
        >>> "COCO 1.0" in [f.name for f in formats.importers]
        True
        >>> cvatfn.formats.retrieve(session).map(lambda f: f.importer("No such format")).unwrap()
    """
    request = _api.build_request(session, "GET", PATH)
    return run(session, _api.call(AnnotationFormats, request, session.config))
