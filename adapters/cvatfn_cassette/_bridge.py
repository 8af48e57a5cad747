"""The fake server's request log as a cassette: run a scenario once, replay it offline.

Theory of operation
-------------------
``cvatfn_fake.FakeServer.log`` keeps the exchanges the server answered, oldest first, as
``(HttpRequest, HttpResponse)`` pairs. :func:`from_log` turns such pairs into a
:class:`~cvatfn_cassette.Cassette` exactly as a recording does: each pair becomes an
:class:`~cvatfn_cassette.Interaction`, its secrets are replaced by placeholders
(:func:`~cvatfn_cassette._filters.redact`) and the server's origin by
:data:`~cvatfn_cassette.CASSETTE_BASE` (:func:`~cvatfn_cassette._filters.normalise_host`),
so the cassette replays under any base URL. This module needs only the shape of the log,
not the fake server: it imports nothing from ``cvatfn_fake``.

The origin to normalise is ``base_url`` when given, else each request's own
``scheme://host:port``, which is what a recording transport sees.

The log carries no time, and the fake's clock is not visible in it, so ``recorded_at`` is
deterministic: interaction ``i`` (from 0) is stamped ``i`` seconds after the Unix epoch
(``1970-01-01T00:00:00Z``, ``1970-01-01T00:00:01Z``, ...). The same log always gives the
same cassette, and the order of the interactions stays visible in their stamps.

Examples:
    >>> from cvatfn.http import HttpRequest
    >>> from cvatfn_fake import FakeServer
    >>> server = FakeServer()
    >>> _ = server.handle(HttpRequest("GET", "http://127.0.0.1:8080/api/server/about"))
    >>> cassette = from_log(server.log)
    >>> [(i.request.uri, i.response.status, i.recorded_at) for i in cassette.interactions]
    [('http://cvat.cassette/api/server/about', 200, '1970-01-01T00:00:00Z')]
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from cvatfn.http import HttpRequest, HttpResponse
from cvatfn_cassette._filters import normalise_host, redact
from cvatfn_cassette._format import (
    FORMAT_VERSION,
    RECORDED_WITH,
    Cassette,
    Interaction,
    RecordedRequest,
    RecordedResponse,
    iso_timestamp,
)

__all__ = ["from_log"]


DROPPED_MARK = "X-Cvatfn-Fake-Fault"
"""The header with which the fake server's log marks a dropped connection."""


def from_log(
    log: Iterable[tuple[HttpRequest, HttpResponse]],
    *,
    base_url: str | None = None,
    recorded_with: str = RECORDED_WITH,
) -> Cassette:
    """A cassette of the exchanges in ``log``, filtered and normalised like a recording.

    ``base_url`` is the origin to replace by :data:`~cvatfn_cassette.CASSETTE_BASE`
    (default: each request's own origin).

    A connection the fake server dropped on purpose (its log marks the answer with an
    ``X-Cvatfn-Fake-Fault`` header) is left out: a cassette holds answers, and a dropped
    connection is not one. The retry that followed it, if any, is kept.

    Examples:
        >>> from cvatfn.http import HttpRequest, HttpResponse
        >>> log = [(HttpRequest("POST", "http://localhost/api/auth/login", (),
        ...                     b'{"username":"admin","password":"admin"}'),
        ...         HttpResponse(200, (), b'{"key":"4a1f"}'))]
        >>> interaction = from_log(log, recorded_with="scenario").interactions[0]
        >>> interaction.request.body.data, interaction.response.body.data
        (b'{"username":"admin","password":"<SECRET:password>"}', b'{"key":"<SECRET:key>"}')
    """
    interactions: list[Interaction] = []
    kept = [(q, a) for q, a in log if a.header(DROPPED_MARK) is None]
    for index, (request, response) in enumerate(kept):
        recorded = Interaction(
            RecordedRequest.of(request),
            RecordedResponse.of(response),
            iso_timestamp(index),
        )
        origin = base_url if base_url is not None else _origin(request.url)
        interactions.append(normalise_host(redact(recorded), origin))
    return Cassette(FORMAT_VERSION, recorded_with, tuple(interactions))


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket: nothing to normalise
        return ""
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
