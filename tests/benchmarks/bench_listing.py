"""Listing: every task of a server with thousands of them, over HTTP.

Theory of operation
-------------------
The fake server runs as ``python -m cvatfn_fake --seed-tasks N`` in a subprocess (its CPU time
then does not share the client's GIL, as with a real server), seeded with tasks created by its
own ``POST /api/tasks`` handler. Both clients talk to it over loopback HTTP with their own
urllib3 pools, logged in as ``admin`` with a password:

- cvatfn: ``cvatfn.tasks.list(session)`` (the default ``Config.page_size`` of 100);
- the official ``cvat-sdk`` 2.80.0: ``client.tasks.list()`` (CVAT's default page size of 10,
  which the SDK does not change).

The requests each makes are counted on the client side (a counting wrapper around cvatfn's
transport, and around the SDK's ``rest_client.pool_manager``) in an untimed call; the wall
times are the best of interleaved runs. Memory: ``cvatfn.tasks.iterate(session)`` walks every
task without keeping them, under :mod:`tracemalloc` in this (the client's) process, on a
server of N tasks and on one of 10 N; the peak heap growth must stay flat (under 2x).

``--quick`` uses 500 and 5,000 tasks instead of 5,000 and 50,000.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from returns.result import Success

import cvatfn
from cvatfn.http import HttpRequest, HttpResponse
from cvatfn_urllib3 import Urllib3Transport
from tests.benchmarks._harness import Row, alternate, peak_and_retained
from tests.integration.fake_process import fake_http_server

ADMIN = ("admin", "admin")


class CountingTransport:
    """A transport that counts the requests it passes on, by method and path."""

    def __init__(self, inner: Urllib3Transport) -> None:
        self.inner = inner
        self.seen: list[tuple[str, str]] = []
        self.counting = False

    def handle(self, request: HttpRequest) -> HttpResponse:
        if self.counting:
            self.seen.append((request.method, urlsplit(request.url).path))
        return self.inner.handle(request)


class CountingPool:
    """Stands in for the official SDK's ``rest_client.pool_manager``, counting requests."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.seen: list[tuple[str, str]] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        self.seen.append((method, urlsplit(url).path))
        return self.inner.request(method, url, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _task_lists(seen: list[tuple[str, str]]) -> int:
    return sum(1 for method, path in seen if method == "GET" and path.rstrip("/") == "/api/tasks")


@contextmanager
def _cvatfn_session(url: str) -> Generator[tuple[cvatfn.Session, CountingTransport]]:
    transport = CountingTransport(Urllib3Transport())
    session = cvatfn.connect(url, credentials=ADMIN, transport=transport).unwrap()
    try:
        yield session, transport
    finally:
        cvatfn.logout(session)
        transport.inner.close()


def _official_client(url: str) -> Any:
    from cvat_sdk import make_client  # type: ignore[import-untyped]

    parts = urlsplit(url)
    return make_client(f"{parts.scheme}://{parts.hostname}", port=parts.port, credentials=ADMIN)


def _iterate_peak(url: str) -> tuple[int, int]:
    """(tasks seen, peak heap bytes) of one ``cvatfn.tasks.iterate`` walk, keeping nothing."""
    with _cvatfn_session(url) as (session, _):
        cvatfn.tasks.list(session, name="warm up").unwrap()  # the connection is open

        def walk() -> int:
            seen = 0
            for result in cvatfn.tasks.iterate(session):
                if not isinstance(result, Success):
                    raise RuntimeError(result)
                seen += 1
            return seen

        seen, memory = peak_and_retained(walk)
    return seen, memory.peak


def run(quick: bool) -> list[Row]:
    count = 500 if quick else 5000
    runs = 2 if quick else 5
    rows: list[Row] = []
    with fake_http_server("--seed-tasks", str(count), "--log-limit", "0") as url:
        client = _official_client(url)
        with client, _cvatfn_session(url) as (session, transport):
            # The requests each one makes, counted in one untimed call.
            transport.counting = True
            ours = cvatfn.tasks.list(session).unwrap()
            transport.counting = False
            pool = CountingPool(client.api_client.rest_client.pool_manager)
            client.api_client.rest_client.pool_manager = pool
            theirs = client.tasks.list()
            client.api_client.rest_client.pool_manager = pool.inner
            if sorted(t.id for t in ours) != sorted(t.id for t in theirs) or len(ours) != count:
                raise RuntimeError("the two clients listed different tasks")
            our_requests, their_requests = _task_lists(transport.seen), _task_lists(pool.seen)
            rows.append(
                Row(
                    "listing",
                    f"GET /api/tasks requests, {count:,} tasks",
                    our_requests,
                    their_requests,
                    "requests",
                    "cvat-sdk tasks.list()",
                    target=f"{math.ceil(count / 100)} vs {math.ceil(count / 10)}",
                    met=(our_requests, their_requests)
                    == (math.ceil(count / 100), math.ceil(count / 10)),
                )
            )
            timings = alternate(
                {
                    "cvatfn": lambda: cvatfn.tasks.list(session).unwrap(),
                    "cvat-sdk": client.tasks.list,
                },
                runs=runs,
            )
        ours_s, theirs_s = timings["cvatfn"].best, timings["cvat-sdk"].best
        rows.append(
            Row(
                "listing",
                f"tasks.list() of {count:,} tasks, wall",
                ours_s,
                theirs_s,
                "s",
                "cvat-sdk tasks.list()",
                target=">= 5x",
                met=theirs_s >= 5 * ours_s,
            )
        )
        small_seen, small_peak = _iterate_peak(url)
    with fake_http_server("--seed-tasks", str(10 * count), "--log-limit", "0") as url:
        large_seen, large_peak = _iterate_peak(url)
    if (small_seen, large_seen) != (count, 10 * count):
        raise RuntimeError(f"iterate saw {small_seen} and {large_seen} tasks")
    rows.append(
        Row(
            "listing",
            f"iterate() peak heap, {10 * count:,} vs {count:,} tasks",
            large_peak / 1024,
            small_peak / 1024,
            "KiB",
            f"cvatfn, {count:,} tasks",
            target="growth < 2x",
            met=large_peak < 2 * small_peak,
        )
    )
    return rows
