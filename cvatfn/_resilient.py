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
from cvatfn.retry import retry_delay, should_retry

__all__ = [
    "CREDENTIAL_HEADERS",
    "REDIRECT_STATUSES",
    "Reopened",
    "Sent",
    "redirect_request",
    "reopen",
    "resend",
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


def resend(request: HttpRequest, config: Config, *, idempotent: bool | None = None) -> Flow[Sent]:
    """Send ``request``, following redirects and retrying as ``config`` says (a flow).

    ``idempotent`` overrides the method's own answer to "is it safe to send twice?" (see
    :func:`cvatfn.retry.should_retry`).
    """
    policy = config.retry
    redirects = 0
    attempts = 1
    slept = 0.0
    current = request
    while True:
        outcome = yield from send(current)
        if isinstance(outcome, HttpResponse):
            follow = redirect_request(current, outcome)
            if isinstance(follow, str):
                return Sent(current, outcome, attempts, follow)
            if follow is not None:
                if redirects >= config.max_redirects:
                    reason = f"stopped after {redirects} redirect(s) (Config.max_redirects)"
                    return Sent(current, outcome, attempts, reason)
                redirects += 1
                current, attempts, slept = follow, 1, 0.0
                continue
        if not should_retry(
            policy, current.method, outcome, attempts=attempts, idempotent=idempotent
        ):
            return Sent(current, outcome, attempts)
        draw = yield from random()
        delay = retry_delay(policy, outcome, attempts=attempts, random=draw, slept=slept)
        if delay is None:
            return Sent(current, outcome, attempts)
        yield from sleep(delay)
        slept += delay
        attempts += 1


def reopen(request: HttpRequest, config: Config, chunk_size: int) -> Flow[Reopened]:
    """Like :func:`resend` for a streamed response: the result holds the open stream of the
    answer that was kept (a success, or the failure that ended the retries)."""
    policy = config.retry
    redirects = 0
    attempts = 1
    slept = 0.0
    current = request
    while True:
        opened = yield from open_stream(current, chunk_size)
        outcome: HttpResponse | TransportError = (
            opened if isinstance(opened, TransportError) else opened.head
        )
        if isinstance(opened, StreamOpened):
            follow = redirect_request(current, opened.head)
            if isinstance(follow, str):
                return Reopened(current, opened, attempts, follow)
            if follow is not None:
                if redirects >= config.max_redirects:
                    reason = f"stopped after {redirects} redirect(s) (Config.max_redirects)"
                    return Reopened(current, opened, attempts, reason)
                yield from close_stream(opened.stream)
                redirects += 1
                current, attempts, slept = follow, 1, 0.0
                continue
        if not should_retry(policy, current.method, outcome, attempts=attempts):
            return Reopened(current, opened, attempts)
        draw = yield from random()
        delay = retry_delay(policy, outcome, attempts=attempts, random=draw, slept=slept)
        if delay is None:
            return Reopened(current, opened, attempts)
        if isinstance(opened, StreamOpened):
            yield from close_stream(opened.stream)
        yield from sleep(delay)
        slept += delay
        attempts += 1
