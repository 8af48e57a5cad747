"""Run the fake CVAT server over HTTP.

Usage::

    python -m cvatfn_fake --host 127.0.0.1 --port 0 --admin root:secret --user alice:pw
    python -m cvatfn_fake --share-root ./share --log-limit 0
    python -m cvatfn_fake --polls-before-finish 2 --fail-next-request "disk full"
    python -m cvatfn_fake --seed-tasks 5000
    python -m cvatfn_fake --fault-rate 0.2 --fault-seed 7 --fault-statuses 502,503,429 \
        --fault-retry-after 1 --fault-drops --latency 0.05

Prints ``cvatfn_fake listening on http://HOST:PORT`` once the socket is bound (with the real
port when ``--port 0``), then serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from ._faults import FaultPlan
from ._http_front import serve
from ._server import FakeServer


def _credentials(value: str) -> tuple[str, str]:
    name, sep, password = value.partition(":")
    if not sep or not name:
        raise argparse.ArgumentTypeError("expected NAME:PASSWORD")
    return name, password


def _statuses(value: str) -> tuple[int, ...]:
    try:
        statuses = tuple(int(item) for item in value.split(",") if item.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("expected status codes like 502,503,429") from None
    if not statuses or any(not 400 <= status <= 599 for status in statuses):
        raise argparse.ArgumentTypeError("expected status codes from 400 to 599")
    return statuses


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m cvatfn_fake``."""
    parser = argparse.ArgumentParser(prog="python -m cvatfn_fake", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--admin", type=_credentials, action="append", default=[], metavar="NAME:PASSWORD"
    )
    parser.add_argument(
        "--user", type=_credentials, action="append", default=[], metavar="NAME:PASSWORD"
    )
    parser.add_argument(
        "--log-limit",
        type=int,
        default=1000,
        metavar="N",
        help="keep the last N exchanges in the request log (0 keeps none; bodies included)",
    )
    parser.add_argument(
        "--share-root",
        type=Path,
        default=None,
        metavar="DIR",
        help="the folder served as CVAT's share (for tasks created with server_files)",
    )
    parser.add_argument(
        "--polls-before-finish",
        type=int,
        default=0,
        metavar="N",
        help="background requests stay unfinished for N polls (FakeServer.configure_requests)",
    )
    parser.add_argument(
        "--fail-next-request",
        action="append",
        default=[],
        metavar="MESSAGE",
        help="the next background request fails with MESSAGE (repeatable, in order; "
        "FakeServer.fail_next_requests)",
    )
    parser.add_argument(
        "--seed-tasks",
        type=int,
        default=0,
        metavar="N",
        help="start with N tasks without data, named 'task 1'..'task N', owned by admin "
        "(FakeServer.seed_tasks)",
    )
    faults = parser.add_argument_group(
        "fault injection", "random faults from a seeded plan (FakeServer.faults.plan)"
    )
    faults.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="R",
        help="the fraction of requests (0 to 1) that get a fault (default 0: none)",
    )
    faults.add_argument(
        "--fault-seed",
        type=int,
        default=0,
        metavar="N",
        help="the seed of the plan's own generator: the same seed and requests, the same faults",
    )
    faults.add_argument(
        "--fault-statuses",
        type=_statuses,
        default=FaultPlan().statuses,
        metavar="CODES",
        help="comma-separated statuses to answer with (default: 500,502,503,504)",
    )
    faults.add_argument(
        "--fault-retry-after",
        default=None,
        metavar="SECONDS",
        help="Retry-After sent with 429 and 503 faults (seconds or an HTTP date)",
    )
    faults.add_argument(
        "--fault-drops",
        action="store_true",
        help="dropped connections are among the faults",
    )
    faults.add_argument(
        "--fault-partial-tus",
        action="store_true",
        help="a TUS PATCH may store only part of its chunk, then fail",
    )
    faults.add_argument(
        "--fault-after-share",
        type=float,
        default=0.0,
        metavar="R",
        help="the fraction of status and drop faults that happen after the request was "
        "processed (default 0: before; 429 and 503 always before)",
    )
    faults.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="every answer takes this long (the serving thread sleeps)",
    )
    args = parser.parse_args(argv)
    if args.polls_before_finish < 0:
        parser.error("--polls-before-finish must be >= 0")
    if args.seed_tasks < 0:
        parser.error("--seed-tasks must be >= 0")
    try:
        plan = FaultPlan(
            rate=args.fault_rate,
            seed=args.fault_seed,
            statuses=args.fault_statuses,
            retry_after=args.fault_retry_after,
            drops=args.fault_drops,
            partial_tus=args.fault_partial_tus,
            after_share=args.fault_after_share,
        )
    except ValueError as error:
        parser.error(str(error))
    server = FakeServer(log_limit=max(0, args.log_limit), share_root=args.share_root)
    for name, password in args.admin:
        user = server.state.user_by_name(name)
        if user is not None:
            user.password = password
        else:
            server.add_user(name, password, superuser=True)
    for name, password in args.user:
        server.add_user(name, password)
    server.seed_tasks(args.seed_tasks)
    server.configure_requests(polls_before_finish=args.polls_before_finish)
    for message in args.fail_next_request:
        server.fail_next_requests(message)
    server.faults.plan(plan)
    try:
        server.faults.set_latency(args.latency)
    except ValueError as error:
        parser.error(str(error))
    handle = serve(server, args.host, args.port)
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    print(f"cvatfn_fake listening on {handle.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        handle.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
