"""When to send a request again, and how long to wait first: a pure policy and its tables.

Theory of operation
-------------------
Retrying is a decision about one failed attempt. Given the request's method, what came back
(an :class:`~cvatfn.http.HttpResponse` or a :class:`~cvatfn.http.TransportError`) and how many
attempts were made so far, cvatfn either gives up and reports the last outcome, or waits and
sends the same request again. Nothing here performs I/O: the flows in the core ask
:func:`should_retry` and :func:`retry_delay`, then yield a ``Sleep`` effect.

Which failures are retried is a protocol rule, kept in tables rather than in ``if``\\ s:

- :data:`IDEMPOTENT_METHODS`: sending one of these twice has the effect of sending it once
  (``GET``, ``HEAD``, ``PUT``, ``DELETE``, ``OPTIONS``).
- :data:`RETRYABLE_STATUSES`: ``408``, ``502`` and ``504`` only for idempotent methods, because
  a gateway may have passed the request on before it gave up; ``429`` and ``503`` for every
  method, because they say the server did not act on the request.
- :data:`RETRYABLE_TRANSPORT_ERRORS`: a failure to connect (nothing was sent) for every method;
  a timeout or a connection dropped mid-answer (the server may have acted) only for idempotent
  methods. TLS failures are never retried: a bad certificate does not heal in a second.

So a ``POST`` that creates something is never blindly sent twice. ``PATCH`` is not idempotent
in general (CVAT's annotation ``PATCH ?action=create`` adds objects), so it follows the ``POST``
rule; the TUS upload protocol resumes its ``PATCH`` requests from the server's offset instead.

How long to wait: attempt ``n`` (``n = 1`` after the first failure) waits
``min(max_delay, initial_delay * multiplier ** (n - 1))``, reduced by up to ``jitter`` of itself
at random ("equal jitter" when ``jitter = 0.5``) so that many clients do not retry in lockstep.
A ``Retry-After`` header (seconds, or an HTTP date read against the answer's ``Date`` header)
replaces the computed delay, without jitter and never shorter than the server asked. A server
that asks for more than ``max_retry_after`` seconds is not waited for: its answer is returned
at once (a :class:`~cvatfn.errors.RateLimited` carries the ``retry_after`` it gave). The total
time slept for one request is capped by ``max_elapsed``.

Examples:
    >>> policy = RetryPolicy(initial_delay=1.0, multiplier=2.0, max_delay=5.0, jitter=0.0)
    >>> [policy.backoff(attempt, 0.0) for attempt in (1, 2, 3, 4)]
    [1.0, 2.0, 4.0, 5.0]
    >>> from cvatfn.http import HttpResponse
    >>> should_retry(policy, "GET", HttpResponse(502), attempts=1)
    True
    >>> should_retry(policy, "POST", HttpResponse(502), attempts=1)
    False
    >>> retry_delay(policy, HttpResponse(429, (("Retry-After", "3"),)), attempts=1, random=0.5)
    3.0
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Literal, TypeAlias

import msgspec

from cvatfn.http import HttpResponse, TransportError, TransportErrorKind

__all__ = [
    "IDEMPOTENT_METHODS",
    "NO_RETRY",
    "RETRYABLE_STATUSES",
    "RETRYABLE_TRANSPORT_ERRORS",
    "RetryPolicy",
    "Retryable",
    "parse_retry_after",
    "retry_after_seconds",
    "retry_delay",
    "should_retry",
]

Retryable: TypeAlias = Literal["any_method", "idempotent_only"]
"""Who may retry a failure: every method, or only idempotent ones."""

IDEMPOTENT_METHODS: frozenset[str] = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
"""Methods whose repetition has the effect of one request (RFC 9110, section 9.2.2)."""

RETRYABLE_STATUSES: Mapping[int, Retryable] = MappingProxyType(
    {
        408: "idempotent_only",
        429: "any_method",
        502: "idempotent_only",
        503: "any_method",
        504: "idempotent_only",
    }
)
"""HTTP statuses worth another attempt, and for which methods."""

RETRYABLE_TRANSPORT_ERRORS: Mapping[TransportErrorKind, Retryable] = MappingProxyType(
    {
        "connect": "any_method",
        "timeout": "idempotent_only",
        "protocol": "idempotent_only",
    }
)
"""Transport failures worth another attempt, and for which methods. TLS failures are absent."""


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How persistently to retry one request; a value, kept in :attr:`cvatfn.Config.retry`.

    Examples:
        >>> RetryPolicy().max_attempts
        5
        >>> import cvatfn
        >>> cvatfn.Config(retry=RetryPolicy(max_attempts=1)).retry == NO_RETRY
        True
    """

    max_attempts: int = 5
    """Attempts in all, the first included; ``1`` turns retrying off."""
    initial_delay: float = 0.5
    """Seconds to wait after the first failed attempt."""
    multiplier: float = 2.0
    """Each further wait is this many times longer..."""
    max_delay: float = 30.0
    """...up to this many seconds."""
    jitter: float = 0.5
    """The fraction of each computed wait that is random (0: none; 1: anywhere from 0)."""
    respect_retry_after: bool = True
    """Wait as long as the server's ``Retry-After`` says, instead of the computed delay."""
    max_retry_after: float = 120.0
    """A ``Retry-After`` longer than this is not waited for: the answer is returned at once."""
    max_elapsed: float = 300.0
    """Seconds that the waits for one request may add up to."""

    def backoff(self, attempts: int, random: float) -> float:
        """The wait after ``attempts`` failed attempts, for a uniform ``random`` in [0, 1).

        Examples:
            >>> RetryPolicy(initial_delay=2.0, jitter=0.5).backoff(1, 0.0)
            2.0
            >>> RetryPolicy(initial_delay=2.0, jitter=0.5).backoff(1, 0.999)
            1.001
        """
        exponent = max(0, attempts - 1)
        try:
            base = self.initial_delay * self.multiplier**exponent
        except OverflowError:
            base = math.inf
        delay = min(self.max_delay, base)
        return max(0.0, delay * (1.0 - self.jitter * min(max(random, 0.0), 1.0)))


NO_RETRY = RetryPolicy(max_attempts=1)
"""A policy that sends every request once."""


def parse_retry_after(value: str | None) -> tuple[float | None, datetime | None]:
    """``Retry-After`` as (seconds, None) or (None, date); (None, None) if absent or unreadable.

    Examples:
        >>> parse_retry_after("120")
        (120.0, None)
        >>> parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT")[1].year
        2015
        >>> parse_retry_after("soon")
        (None, None)
    """
    if value is None:
        return None, None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return (max(0.0, seconds), None) if math.isfinite(seconds) else (None, None)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None, None
    return (None, when) if when.tzinfo is not None else (None, None)


def retry_after_seconds(response: HttpResponse) -> float | None:
    """How long ``response`` asks to wait, in seconds, or ``None`` if it does not say.

    An HTTP date is measured against the response's own ``Date`` header, so the client's clock
    (and its skew against the server's) does not matter; without a ``Date`` it is ignored.

    Examples:
        >>> retry_after_seconds(HttpResponse(503, (("Retry-After", "7"),)))
        7.0
        >>> retry_after_seconds(HttpResponse(503, (
        ...     ("Date", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ...     ("Retry-After", "Wed, 21 Oct 2015 07:29:30 GMT"))))
        90.0
    """
    seconds, when = parse_retry_after(response.header("Retry-After"))
    if seconds is not None:
        return seconds
    if when is None:
        return None
    _, sent = parse_retry_after(response.header("Date"))
    if sent is None:
        return None
    return max(0.0, (when - sent).total_seconds())


def _allowed(rule: Retryable | None, idempotent: bool) -> bool:
    if rule is None:
        return False
    return rule == "any_method" or idempotent


def should_retry(
    policy: RetryPolicy,
    method: str,
    outcome: HttpResponse | TransportError,
    *,
    attempts: int,
    idempotent: bool | None = None,
) -> bool:
    """Whether a request that ended in ``outcome`` after ``attempts`` attempts is sent again.

    ``idempotent`` overrides what ``method`` says, for a request that the protocol makes safe
    to repeat (a batch of files re-uploaded under the same names) or unsafe.

    Examples:
        >>> from cvatfn.http import TransportError
        >>> should_retry(RetryPolicy(), "POST", TransportError("connect", "refused"), attempts=1)
        True
        >>> should_retry(RetryPolicy(), "POST", TransportError("timeout", "read"), attempts=1)
        False
        >>> should_retry(RetryPolicy(), "GET", HttpResponse(503), attempts=5)
        False
    """
    if attempts >= policy.max_attempts:
        return False
    safe = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
    if isinstance(outcome, TransportError):
        return _allowed(RETRYABLE_TRANSPORT_ERRORS.get(outcome.kind), safe)
    return _allowed(RETRYABLE_STATUSES.get(outcome.status), safe)


def retry_delay(
    policy: RetryPolicy,
    outcome: HttpResponse | TransportError,
    *,
    attempts: int,
    random: float,
    slept: float = 0.0,
) -> float | None:
    """Seconds to wait before the next attempt, or ``None`` to give up now.

    ``slept`` is what the earlier waits for this request added up to; ``random`` is uniform in
    [0, 1) and only affects the computed backoff, never a server's ``Retry-After``.

    Examples:
        >>> policy = RetryPolicy(initial_delay=1.0, jitter=0.0, max_retry_after=60.0)
        >>> retry_delay(policy, HttpResponse(503), attempts=2, random=0.3)
        2.0
        >>> retry_delay(policy, HttpResponse(503, (("Retry-After", "600"),)), attempts=1,
        ...             random=0.0) is None
        True
        >>> retry_delay(policy, HttpResponse(503), attempts=1, random=0.0, slept=299.5) is None
        True
    """
    delay = policy.backoff(attempts, random)
    if policy.respect_retry_after and isinstance(outcome, HttpResponse):
        asked = retry_after_seconds(outcome)
        if asked is not None:
            if asked > policy.max_retry_after:
                return None
            delay = asked
    if slept + delay > policy.max_elapsed:
        return None
    return delay
