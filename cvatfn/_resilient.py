"""Sending one request with retries and redirects, as flows.

Theory of operation
-------------------
:func:`resend` is what every call in cvatfn sends its requests through. It yields ``Send``
effects until it has an outcome worth reporting:

1. **Redirects.** A ``GET`` or ``HEAD`` answered with 301, 302, 303, 307 or 308 and a
   ``Location`` is sent again to that location, at most ``Config.max_redirects`` times. When the
   origin (scheme, host, port) changes, the credentials -- ``Authorization``, ``Cookie`` and
   ``X-CSRFToken`` -- stay behind, so a server cannot hand a user's session or token to another
   host by redirecting. A redirect from https to http is refused. Other methods are never
   redirected: their 3xx is reported, because replaying a body to a new address is the caller's
   decision.
2. **Retries.** A failure that :func:`cvatfn.retry.should_retry` allows is sent again after
   :func:`cvatfn.retry.retry_delay` seconds (a ``Sleep`` effect; the jitter comes from a
   ``Random`` effect). The tables in :mod:`cvatfn.retry` decide which failures qualify:
   a ``POST`` is sent again only when the server cannot have acted on it.

The result, :class:`Sent`, is the last request sent (after redirects), its outcome, how many
attempts were made, and -- when a redirect was refused -- why. :func:`reopen` does the same for
a streamed response, closing the streams of the answers it does not keep.

Examples:
    >>> from cvatfn._flow import drive, Send, Sleep, Random
    >>> from cvatfn.http import HttpRequest, HttpResponse
    >>> import cvatfn
    >>> answers = iter([HttpResponse(503, (("Retry-After", "2"),)), HttpResponse(200)])
    >>> def perform(effect):
    ...     print(effect if isinstance(effect, Sleep) else type(effect).__name__)
    ...     return next(answers) if isinstance(effect, Send) else 0.5
    >>> sent = drive(resend(HttpRequest("GET", "http://h/api/tasks"), cvatfn.Config()), perform)
    Send
    Random
    Sleep(seconds=2.0)
    Send
    >>> sent.outcome.status, sent.attempts
    (200, 2)
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import msgspec

from cvatfn._flow import (
    Flow,
    StreamOpened,
    close_stream,
    open_stream,
    random,
    send,
    sleep,
)
from cvatfn._session import Config
from cvatfn.http import HttpRequest, HttpResponse, TransportError
from cvatfn.retry import RetryPolicy, retry_delay, should_retry

__all__ = [
    "CREDENTIAL_HEADERS",
    "REDIRECT_STATUSES",
    "Reopened",
    "Sent",
    "redirect_request",
    "reopen",
    "resend",
    "wait_to_retry",
]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
"""Statuses that carry a ``Location`` to follow."""

CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "x-csrftoken"})
"""Headers that never follow a redirect to another origin."""

_FOLLOWED_METHODS = frozenset({"GET", "HEAD"})


class Sent(msgspec.Struct, frozen=True):
    """What :func:`resend` ended with."""

    request: HttpRequest
    """The last request sent: the original one, or where redirects led."""
    outcome: HttpResponse | TransportError
    attempts: int = 1
    """Attempts made for ``request``, the first included."""
    refused: str | None = None
    """Why a redirect in ``outcome`` was not followed, when cvatfn refused it."""


class Reopened(msgspec.Struct, frozen=True):
    """What :func:`reopen` ended with: an open stream, or a transport error."""

    request: HttpRequest
    outcome: StreamOpened | TransportError
    attempts: int = 1
    refused: str | None = None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def redirect_request(request: HttpRequest, response: HttpResponse) -> HttpRequest | str | None:
    """The request that follows ``response``'s redirect, a reason to refuse it, or ``None``
    when ``response`` is not a redirect cvatfn follows.

    Examples:
        >>> get = HttpRequest("GET", "https://a.example/x", (("Cookie", "s=1"), ("Accept", "*/*")))
        >>> moved = HttpResponse(302, (("Location", "https://b.example/y"),))
        >>> followed = redirect_request(get, moved)
        >>> followed.url, followed.headers
        ('https://b.example/y', (('Accept', '*/*'),))
        >>> redirect_request(get, HttpResponse(302, (("Location", "http://a.example/x"),)))
        'refused to follow a redirect from https to http (http://a.example/x)'
    """
    if response.status not in REDIRECT_STATUSES or request.method.upper() not in _FOLLOWED_METHODS:
        return None
    location = (response.header("Location") or "").strip()
    if not location:
        return None
    try:
        target = urljoin(request.url, location)
        old, new = _origin(request.url), _origin(target)
    except ValueError:
        return f"refused to follow a redirect to {location!r}: not a URL"
    if new[0] not in ("http", "https") or not new[1]:
        return f"refused to follow a redirect to {target!r}: not an http(s) URL"
    if old[0] == "https" and new[0] == "http":
        return f"refused to follow a redirect from https to http ({target})"
    headers = request.headers
    if new != old:
        headers = tuple((k, v) for k, v in headers if k.lower() not in CREDENTIAL_HEADERS)
    return HttpRequest(request.method, target, headers, request.body)


class _Course:
    """Where one request stands: the request to send now and what was spent on it."""

    __slots__ = ("attempts", "current", "redirects", "slept")

    def __init__(self, request: HttpRequest) -> None:
        self.current = request
        self.attempts = 1
        self.redirects = 0
        self.slept = 0.0


class _Keep(msgspec.Struct, frozen=True):
    """Keep the outcome; ``refused`` says why a redirect in it was not followed."""

    refused: str | None = None


class _Again(msgspec.Struct, frozen=True):
    """Send ``course.current`` again after ``delay`` seconds."""

    delay: float = 0.0


def _next(
    course: _Course,
    outcome: HttpResponse | TransportError,
    config: Config,
    idempotent: bool | None,
) -> Flow[_Keep | _Again]:
    """After one attempt: keep ``outcome``, or send again (a redirect to follow, which has
    updated ``course.current``, or a retry after a wait)."""
    if isinstance(outcome, HttpResponse):
        follow = redirect_request(course.current, outcome)
        if isinstance(follow, str):
            return _Keep(follow)
        if follow is not None:
            if course.redirects >= config.max_redirects:
                return _Keep(f"stopped after {course.redirects} redirect(s) (Config.max_redirects)")
            course.redirects += 1
            course.current, course.attempts, course.slept = follow, 1, 0.0
            return _Again()
    policy = config.retry
    method = course.current.method
    if not should_retry(policy, method, outcome, attempts=course.attempts, idempotent=idempotent):
        return _Keep()
    draw = yield from random()
    delay = retry_delay(policy, outcome, attempts=course.attempts, random=draw, slept=course.slept)
    if delay is None:
        return _Keep()
    course.slept += delay
    course.attempts += 1
    return _Again(delay)


def wait_to_retry(
    policy: RetryPolicy, attempts: int, slept: float, *, at_least: float = 0.0
) -> Flow[float | None]:
    """Wait the backoff after ``attempts`` failed attempts (at least ``at_least`` seconds) and
    return the seconds waited, or ``None`` without waiting when that would take the waits for
    this operation (``slept`` so far) past ``policy.max_elapsed``. For protocols that retry a
    whole step rather than one request: a TUS resume, a download started again."""
    draw = yield from random()
    delay = max(policy.backoff(attempts, draw), at_least)
    if slept + delay > policy.max_elapsed:
        return None
    yield from sleep(delay)
    return delay


def resend(request: HttpRequest, config: Config, *, idempotent: bool | None = None) -> Flow[Sent]:
    """Send ``request``, following redirects and retrying as ``config`` says (a flow).

    ``idempotent`` overrides the method's own answer to "is it safe to send twice?" (see
    :func:`cvatfn.retry.should_retry`).
    """
    course = _Course(request)
    while True:
        sent = course.current
        outcome = yield from send(sent)
        step = yield from _next(course, outcome, config, idempotent)
        if isinstance(step, _Keep):
            return Sent(sent, outcome, course.attempts, step.refused)
        if step.delay:
            yield from sleep(step.delay)


def reopen(request: HttpRequest, config: Config, chunk_size: int) -> Flow[Reopened]:
    """Like :func:`resend` for a streamed response: the result holds the open stream of the
    answer that was kept (a success, or the failure that ended the retries)."""
    course = _Course(request)
    while True:
        sent = course.current
        opened = yield from open_stream(sent, chunk_size)
        outcome = opened if isinstance(opened, TransportError) else opened.head
        step = yield from _next(course, outcome, config, None)
        if isinstance(step, _Keep):
            return Reopened(sent, opened, course.attempts, step.refused)
        if isinstance(opened, StreamOpened):
            yield from close_stream(opened.stream)  # before the wait, not after it
        if step.delay:
            yield from sleep(step.delay)
