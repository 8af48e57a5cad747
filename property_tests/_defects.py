"""Known defects in modules this suite may not change, each with a probe that reproduces it.

While a probe still reproduces its defect, the chaotic server holds back the input that
triggers it (so the never-raises property keeps exploring everything else), and
``test_never_raises.py::test_known_defect`` reports it as an expected failure naming the
place to fix. Once the defect is fixed, the probe stops reproducing it, the input comes back
into the fuzzing by itself and the report turns into a pass: nothing here needs editing, but
the entry can then be deleted.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import cvatfn
from cvatfn.http import HttpRequest, HttpResponse

__all__ = ["DEFECTS", "Defect", "present"]


@dataclass(frozen=True)
class Defect:
    name: str
    where: str
    description: str
    probe: Callable[[], object]
    """Calls cvatfn the way that shows the defect; the defect is present if this raises."""


class _Canned:
    """A server that answers every request alike (a virtual clock, so retries cost nothing)."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response

    def handle(self, request: HttpRequest) -> HttpResponse:
        return self.response

    def monotonic(self) -> float:
        return 0.0

    def sleep(self, seconds: float) -> None:
        pass


def _session(response: HttpResponse) -> cvatfn.Session:
    return cvatfn.Session(
        server=cvatfn.Server(url="http://h", version="2.80.0"),
        transport=_Canned(response),
        config=cvatfn.Config(retry=cvatfn.retry.NO_RETRY),
    )


def _deep_error_body() -> object:
    deep = b"[" * 100_000 + b"]" * 100_000
    return cvatfn.tasks.retrieve(_session(HttpResponse(400, (), deep)), 1)


def _unicode_digits_in_content_length() -> object:
    session = _session(HttpResponse(200, (("Content-Length", "²"),), b"ab"))
    target = os.path.join(tempfile.mkdtemp(), "chunk.zip")
    return cvatfn.jobs.download_chunk(session, 1, 0, target)


def _redirect_to_an_unparsable_url() -> object:
    session = _session(HttpResponse(302, (("Location", "http://[::1"),)))
    return cvatfn.tasks.retrieve(session, 1)


DEFECTS: tuple[Defect, ...] = (
    Defect(
        "deep JSON in an error body",
        "cvatfn/_api.py: _drf_message",
        "an error body is parsed with json.loads, which raises RecursionError on deeply "
        "nested JSON (catch RecursionError there, or parse with msgspec through _codec)",
        _deep_error_body,
    ),
    Defect(
        "non-ASCII digits in Content-Length",
        "cvatfn/_download.py: expected_length",
        "value.isdigit() accepts '²', then int('²') raises ValueError (use isdecimal() plus "
        "isascii(), or try int())",
        _unicode_digits_in_content_length,
    ),
    Defect(
        "a redirect to an unparsable URL",
        "cvatfn/_resilient.py: redirect_request",
        "urljoin(request.url, location) raises ValueError('Invalid IPv6 URL') for a Location "
        "such as 'http://[::1' (a Location that is not a URL should end the call as "
        "UnexpectedResponse)",
        _redirect_to_an_unparsable_url,
    ),
)


def reproduces(defect: Defect) -> bool:
    """Whether ``defect`` is still there."""
    try:
        defect.probe()
    except Exception:
        return True
    return False


@cache
def present() -> frozenset[str]:
    """Names of the defects that still reproduce (probed once per run)."""
    return frozenset(defect.name for defect in DEFECTS if reproduces(defect))
