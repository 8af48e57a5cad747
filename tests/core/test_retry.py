"""RetryPolicy, the retry tables, and the resilient send: retries, backoff and redirects."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from returns.result import Failure, Success

import cvatfn
from cvatfn._flow import Random, Send, Sleep, drive
from cvatfn._resilient import Sent, redirect_request, resend
from cvatfn.errors import RateLimited, ServerError, TransportFailure, UnexpectedResponse
from cvatfn.http import HttpRequest, HttpResponse, TransportError
from cvatfn.retry import (
    IDEMPOTENT_METHODS,
    NO_RETRY,
    RETRYABLE_STATUSES,
    RETRYABLE_TRANSPORT_ERRORS,
    RetryPolicy,
    retry_after_seconds,
    retry_delay,
    should_retry,
)
from tests.core.scripted import Scripted, about_server, json_response

METHODS = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "POST", "PATCH"]
KINDS = ["connect", "timeout", "protocol", "tls_handshake", "tls_certificate", "not_recorded"]


# --------------------------------------------------------------------------- the tables


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "status", [200, 201, 204, 301, 400, 401, 403, 404, 408, 409, 429, 500, 501, 502, 503, 504]
)
def test_which_statuses_are_retried_for_which_methods(method: str, status: int) -> None:
    idempotent = method in {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
    expected = status in (429, 503) or (idempotent and status in (408, 502, 504))
    assert should_retry(RetryPolicy(), method, HttpResponse(status), attempts=1) is expected


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("kind", KINDS)
def test_which_transport_failures_are_retried_for_which_methods(method: str, kind: str) -> None:
    idempotent = method in IDEMPOTENT_METHODS
    # Only a failure to connect proves that nothing reached the server.
    expected = kind == "connect" or (idempotent and kind in ("timeout", "protocol"))
    error = TransportError(kind, "x")  # type: ignore[arg-type]
    assert should_retry(RetryPolicy(), method, error, attempts=1) is expected


def test_the_tables_say_what_the_docs_say() -> None:
    assert dict(RETRYABLE_STATUSES) == {
        408: "idempotent_only",
        429: "any_method",
        502: "idempotent_only",
        503: "any_method",
        504: "idempotent_only",
    }
    assert set(RETRYABLE_TRANSPORT_ERRORS) == {"connect", "timeout", "protocol"}
    assert "POST" not in IDEMPOTENT_METHODS and "PATCH" not in IDEMPOTENT_METHODS


def test_an_override_makes_a_post_safe_or_a_get_unsafe() -> None:
    bad_gateway = HttpResponse(502)
    assert should_retry(RetryPolicy(), "POST", bad_gateway, attempts=1, idempotent=True)
    assert not should_retry(RetryPolicy(), "GET", bad_gateway, attempts=1, idempotent=False)


def test_attempts_are_capped() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert should_retry(policy, "GET", HttpResponse(503), attempts=2)
    assert not should_retry(policy, "GET", HttpResponse(503), attempts=3)
    assert not should_retry(NO_RETRY, "GET", HttpResponse(503), attempts=1)


# --------------------------------------------------------------------------- delays


@given(
    attempts=st.integers(min_value=1, max_value=60),
    draw=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
    initial=st.floats(min_value=0.01, max_value=10.0),
    multiplier=st.floats(min_value=1.0, max_value=4.0),
    cap=st.floats(min_value=0.01, max_value=100.0),
    jitter=st.floats(min_value=0.0, max_value=1.0),
)
def test_backoff_grows_is_capped_and_jitter_only_shortens(
    attempts: int, draw: float, initial: float, multiplier: float, cap: float, jitter: float
) -> None:
    policy = RetryPolicy(initial_delay=initial, multiplier=multiplier, max_delay=cap, jitter=jitter)
    full = min(cap, initial * multiplier ** (attempts - 1))
    delay = policy.backoff(attempts, draw)
    assert full * (1 - jitter) - 1e-9 <= delay <= full + 1e-9
    assert policy.backoff(attempts + 1, 0.0) >= policy.backoff(attempts, 0.0)


def test_backoff_survives_huge_attempt_numbers() -> None:
    assert RetryPolicy(max_delay=7.0, jitter=0.0).backoff(10_000, 0.5) == 7.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ((("Retry-After", "3"),), 3.0),
        ((("Retry-After", " 0 "),), 0.0),
        ((("Retry-After", "-5"),), 0.0),
        ((("Retry-After", "1.5"),), 1.5),
        ((("Retry-After", "soon"),), None),
        ((("Retry-After", "inf"),), None),
        ((("Retry-After", "nan"),), None),
        ((), None),
        (
            (
                ("Date", "Fri, 27 Nov 2026 10:00:00 GMT"),
                ("Retry-After", "Fri, 27 Nov 2026 10:00:42 GMT"),
            ),
            42.0,
        ),
        (
            (
                ("Date", "Fri, 27 Nov 2026 10:00:00 GMT"),
                ("Retry-After", "Fri, 27 Nov 2026 09:00:00 GMT"),
            ),
            0.0,
        ),
        # A date without the server's own Date header cannot be measured without the clock.
        ((("Retry-After", "Fri, 27 Nov 2026 10:00:42 GMT"),), None),
    ],
)
def test_retry_after_in_seconds_or_as_a_date(
    headers: tuple[tuple[str, str], ...], expected: float | None
) -> None:
    assert retry_after_seconds(HttpResponse(503, headers)) == expected


def test_retry_after_replaces_the_backoff_and_too_long_gives_up() -> None:
    policy = RetryPolicy(initial_delay=1.0, jitter=0.0, max_retry_after=30.0)
    asked = HttpResponse(503, (("Retry-After", "20"),))
    assert retry_delay(policy, asked, attempts=1, random=0.9) == 20.0
    too_long = HttpResponse(429, (("Retry-After", "31"),))
    assert retry_delay(policy, too_long, attempts=1, random=0.0) is None
    ignoring = RetryPolicy(initial_delay=1.0, jitter=0.0, respect_retry_after=False)
    assert retry_delay(ignoring, too_long, attempts=1, random=0.0) == 1.0


def test_the_total_wait_is_capped() -> None:
    policy = RetryPolicy(initial_delay=4.0, jitter=0.0, max_elapsed=10.0)
    assert retry_delay(policy, HttpResponse(503), attempts=1, random=0.0, slept=6.0) == 4.0
    assert retry_delay(policy, HttpResponse(503), attempts=1, random=0.0, slept=6.1) is None


# --------------------------------------------------------------------------- resend


def _drive(
    flow: Any, answers: Iterator[HttpResponse | TransportError], draw: float = 0.0
) -> tuple[Any, list[object]]:
    effects: list[object] = []

    def perform(effect: object) -> object:
        effects.append(effect)
        if isinstance(effect, Send):
            return next(answers)
        if isinstance(effect, Random):
            return draw
        return None

    return drive(flow, perform), effects


GET = HttpRequest("GET", "https://cvat.example/api/tasks/1", (("Authorization", "Bearer t"),))
POST = HttpRequest("POST", "https://cvat.example/api/tasks", (("Cookie", "sessionid=s"),), b"{}")


def test_a_get_is_retried_with_growing_jittered_waits_until_it_succeeds() -> None:
    config = cvatfn.Config(retry=RetryPolicy(initial_delay=1.0, multiplier=3.0, jitter=0.5))
    answers = iter([HttpResponse(502), TransportError("timeout", "t"), HttpResponse(200)])
    sent, effects = _drive(resend(GET, config), answers, draw=0.5)
    assert sent == Sent(GET, HttpResponse(200), attempts=3)
    sleeps = [e.seconds for e in effects if isinstance(e, Sleep)]
    assert sleeps == [0.75, 2.25]  # 1 and 3 seconds, each shortened by half the jitter


def test_a_get_gives_up_after_max_attempts_with_the_last_outcome() -> None:
    config = cvatfn.Config(retry=RetryPolicy(max_attempts=3))
    sent, effects = _drive(resend(GET, config), itertools.repeat(HttpResponse(503)))
    assert sent.attempts == 3 and sent.outcome.status == 503
    assert sum(isinstance(e, Send) for e in effects) == 3
    assert sum(isinstance(e, Sleep) for e in effects) == 2


@pytest.mark.parametrize(
    "outcome",
    [
        HttpResponse(500),
        HttpResponse(502),
        HttpResponse(504),
        TransportError("timeout", "t"),
        TransportError("protocol", "reset"),
    ],
)
def test_a_post_is_never_blindly_sent_twice(outcome: HttpResponse | TransportError) -> None:
    sent, effects = _drive(resend(POST, cvatfn.Config()), iter([outcome]))
    assert sent.attempts == 1 and sent.outcome is outcome
    assert [type(e) for e in effects] == [Send]


@pytest.mark.parametrize(
    "outcome",
    [
        HttpResponse(429, (("Retry-After", "2"),)),
        HttpResponse(503),
        TransportError("connect", "refused"),
    ],
)
def test_a_post_is_sent_again_when_the_server_cannot_have_acted(
    outcome: HttpResponse | TransportError,
) -> None:
    sent, _ = _drive(resend(POST, cvatfn.Config()), iter([outcome, HttpResponse(201)]))
    assert sent.attempts == 2 and sent.outcome == HttpResponse(201)


def test_no_retry_sends_once() -> None:
    config = cvatfn.Config(retry=NO_RETRY)
    sent, effects = _drive(resend(GET, config), iter([HttpResponse(503)]))
    assert sent.attempts == 1 and [type(e) for e in effects] == [Send]


def test_a_retry_after_that_is_too_long_returns_the_answer_at_once() -> None:
    config = cvatfn.Config(retry=RetryPolicy(max_retry_after=60.0))
    throttled = HttpResponse(429, (("Retry-After", "3600"),))
    sent, effects = _drive(resend(GET, config), iter([throttled]))
    assert sent.outcome is throttled and not any(isinstance(e, Sleep) for e in effects)


# --------------------------------------------------------------------------- redirects


def _moved(status: int, location: str) -> HttpResponse:
    return HttpResponse(status, (("Location", location),))


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_origin_leaves_the_credentials_behind(status: int) -> None:
    request = HttpRequest(
        "GET",
        "https://cvat.example/api/tasks/1/data",
        (
            ("Authorization", "Bearer t"),
            ("Cookie", "sessionid=s; csrftoken=c"),
            ("X-CSRFToken", "c"),
            ("Accept", "*/*"),
        ),
    )
    answers = iter([_moved(status, "https://storage.example/blob?sig=1"), HttpResponse(200)])
    sent, effects = _drive(resend(request, cvatfn.Config()), answers)
    followed = [e.request for e in effects if isinstance(e, Send)][1]
    assert followed.url == "https://storage.example/blob?sig=1"
    assert followed.headers == (("Accept", "*/*"),)
    assert sent.request == followed and sent.outcome.status == 200


@pytest.mark.parametrize(
    "location",
    ["/api/tasks/2", "https://cvat.example/api/tasks/2", "https://CVAT.example:443/api/tasks/2"],
)
def test_a_redirect_within_the_origin_keeps_the_credentials(location: str) -> None:
    answers = iter([_moved(302, location), HttpResponse(200)])
    sent, _ = _drive(resend(GET, cvatfn.Config()), answers)
    assert sent.request.header("Authorization") == "Bearer t"
    assert sent.request.url.endswith("/api/tasks/2")


@pytest.mark.parametrize(
    "location", ["https://cvat.example:8443/x", "http://cvat.example/x", "https://evil.example/x"]
)
def test_a_different_port_scheme_or_host_is_another_origin(location: str) -> None:
    followed = redirect_request(GET, _moved(302, location))
    if location.startswith("http://"):
        assert isinstance(followed, str) and "https to http" in followed
    else:
        assert isinstance(followed, HttpRequest) and followed.header("Authorization") is None


def test_only_get_and_head_follow_redirects() -> None:
    answers = iter([_moved(307, "https://cvat.example/api/tasks/")])
    sent, effects = _drive(resend(POST, cvatfn.Config()), answers)
    assert sent.outcome.status == 307 and len(effects) == 1


def test_redirects_are_limited() -> None:
    config = cvatfn.Config(max_redirects=2)
    loop = itertools.repeat(_moved(302, "https://cvat.example/api/tasks/1"))
    sent, effects = _drive(resend(GET, config), loop)
    assert sum(isinstance(e, Send) for e in effects) == 3
    assert sent.refused is not None and "2 redirect(s)" in sent.refused


def test_a_location_that_is_not_http_is_refused() -> None:
    followed = redirect_request(GET, _moved(302, "file:///etc/passwd"))
    assert isinstance(followed, str) and "not an http(s) URL" in followed


# --------------------------------------------------------------------------- through the API


def _session(handler: Callable[[HttpRequest], HttpResponse], **config: Any) -> Any:
    transport = Scripted(handler)
    session = cvatfn.connect(
        "http://h", transport=transport, config=cvatfn.Config(**config)
    ).unwrap()
    return session, transport


def test_failures_report_how_many_attempts_were_made() -> None:
    about = about_server()

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/api/server/about"):
            return about(request)
        return json_response(503, {"detail": "down for maintenance"})

    session, transport = _session(handler)
    error = cvatfn.tasks.retrieve(session, 1).failure()
    assert isinstance(error, ServerError) and error.attempts == 5
    assert str(error).endswith("(after 5 attempts)")
    assert len(transport.sent) == 1 + 5 and len(transport.slept) == 4


def test_a_throttled_create_waits_as_told_and_then_succeeds() -> None:
    about = about_server()
    answers = iter(
        [json_response(429, {"detail": "Request was throttled."}, (("Retry-After", "7"),))]
    )

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/api/server/about"):
            return about(request)
        return next(answers, json_response(201, {"id": 1, "name": "p"}))

    session, transport = _session(handler)
    created = cvatfn.projects.create(session, {"name": "p"})
    assert isinstance(created, Success) and created.unwrap().id == 1
    assert transport.slept == [7.0]


def test_a_throttled_call_without_retries_carries_retry_after() -> None:
    about = about_server()

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/api/server/about"):
            return about(request)
        return json_response(429, {"detail": "slow down"}, (("Retry-After", "9"),))

    session, _ = _session(handler, retry=NO_RETRY)
    match cvatfn.tasks.retrieve(session, 1):
        case Failure(RateLimited(retry_after=9.0, attempts=1)):
            pass
        case other:
            raise AssertionError(other)


def test_a_refused_redirect_is_an_unexpected_response_naming_why() -> None:
    about = about_server()

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/api/server/about"):
            return about(request)
        return HttpResponse(302, (("Location", "ftp://elsewhere/x"),))

    session, _ = _session(handler)
    error = cvatfn.tasks.retrieve(session, 1).failure()
    assert isinstance(error, UnexpectedResponse) and "not an http(s) URL" in error.message


def test_a_refused_connection_is_retried_then_reported() -> None:
    about = about_server()

    def handler(request: HttpRequest) -> HttpResponse:
        if request.url.endswith("/api/server/about"):
            return about(request)
        raise TransportError("connect", "refused", url=request.url)

    session, transport = _session(handler, retry=RetryPolicy(max_attempts=2))
    error = cvatfn.projects.create(session, {"name": "p"}).failure()
    assert isinstance(error, TransportFailure) and error.attempts == 2
    assert len(transport.sent) == 3
