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


def _spec_that_is_not_a_mapping() -> object:
    error = cvatfn.tasks.create(_session(HttpResponse(404)), 5).failure()  # type: ignore[arg-type]
    if getattr(error, "field", None) is None:
        raise AssertionError(f"no field in {error!r}")
    return error


def _backtick_in_an_unknown_key() -> object:
    error = cvatfn.tasks.update(_session(HttpResponse(404)), 1, {"a`b": 1}).failure()
    if getattr(error, "field", None) != "a`b":
        raise AssertionError(f"the field is not 'a`b' in {error!r}")
    return error


def _missing_nested_field() -> object:
    spec = {"name": "p", "labels": [{"color": "#000000"}]}
    error = cvatfn.projects.create(_session(HttpResponse(404)), spec).failure()
    if getattr(error, "field", None) != "labels[0].name":
        raise AssertionError(f"the field is not 'labels[0].name' in {error!r}")
    return error


def _key_that_is_not_a_string() -> object:
    patch = {"source_storage": {1: None}}
    error = cvatfn.projects.update(_session(HttpResponse(404)), 1, patch).failure()
    if getattr(error, "field", None) != "source_storage":
        raise AssertionError(f"the field is not 'source_storage' in {error!r}")
    return error


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
    Defect(
        "a spec that is not a mapping has no field",
        "cvatfn/_api.py: convert_input",
        "a spec, patch or data_params that is neither the struct nor a mapping (tasks.create("
        "session, 5)) is InvalidInput with field=None; it should name the parameter "
        "(convert_input could take the parameter name, as it takes `what`)",
        _spec_that_is_not_a_mapping,
    ),
    Defect(
        "a backtick in an unknown key",
        "cvatfn/_api.py: _field_of",
        "the field is cut out of msgspec's message between backticks, so an unknown key "
        "holding one ({'a`b': 1}) is reported as field 'a' (split off the ' - at `$...` "
        "suffix first, then strip one backtick at each end, as _annotations._path_of does)",
        _backtick_in_an_unknown_key,
    ),
    Defect(
        "a missing nested field is named without its path",
        "cvatfn/_api.py: _field_of",
        "msgspec says 'Object missing required field `name` - at `$.labels[0]`' and the field "
        "becomes 'name' instead of 'labels[0].name' (the same holds for an unknown nested key: "
        "'colour' instead of 'labels[0].colour'); join the name to the ' - at' path, as "
        "_annotations._path_of does",
        _missing_nested_field,
    ),
    Defect(
        "a key that is not a string has no field",
        "cvatfn/_api.py: _field_of",
        "msgspec says 'Expected `str` - at `key` in `$.source_storage`' for {1: None} there, "
        "and the field is None; it should name the mapping holding the key ('source_storage'), "
        "or the parameter at the top level",
        _key_that_is_not_a_string,
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
