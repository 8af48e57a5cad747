"""What every benchmark shares: timing, memory, and one way of reporting a comparison.

Theory of operation
-------------------
A benchmark measures cvatfn and a baseline (the official ``cvat-sdk`` 2.80.0, or the standard
library, or a bare msgspec call) on the same input, in the same process run, alternating them
so that a machine that slows down mid-run slows both. :func:`best_of` returns the fastest of
several runs of a callable (the least disturbed one); :func:`peak_and_retained` measures the
Python heap with :mod:`tracemalloc`: what a call allocated at its peak, and what its result
keeps alive afterwards. Each benchmark returns :class:`Row` values, printed by
:func:`print_rows` as one table with the ratio and, where the issue sets one, the target.

Nothing here asserts: a benchmark states what it measured, and ``make bench`` prints it. Tests
never time anything.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    """Seconds per run: the best (minimum) and the median of ``runs`` runs."""

    best: float
    median: float
    runs: int


def best_of(function: Callable[[], object], *, runs: int = 5, warmup: int = 1) -> Timing:
    """Time ``function`` ``runs`` times after ``warmup`` untimed calls; garbage collection
    runs before each timed call, not during it."""
    for _ in range(warmup):
        function()
    times: list[float] = []
    for _ in range(runs):
        gc.collect()
        enabled = gc.isenabled()
        gc.disable()
        try:
            started = time.perf_counter()
            function()
            times.append(time.perf_counter() - started)
        finally:
            if enabled:
                gc.enable()
    return Timing(best=min(times), median=statistics.median(times), runs=runs)


def alternate(
    functions: dict[str, Callable[[], object]], *, runs: int = 5, warmup: int = 1
) -> dict[str, Timing]:
    """Time several callables, interleaved run by run (a, b, a, b, ...), so that drift in
    the machine's speed affects them alike."""
    for function in functions.values():
        for _ in range(warmup):
            function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(runs):
        for name, function in functions.items():
            gc.collect()
            gc.disable()
            try:
                started = time.perf_counter()
                function()
                times[name].append(time.perf_counter() - started)
            finally:
                gc.enable()
    return {
        name: Timing(best=min(values), median=statistics.median(values), runs=runs)
        for name, values in times.items()
    }


@dataclass(frozen=True)
class Memory:
    """Bytes of Python heap: the peak while the call ran, and what its result retains."""

    peak: int
    retained: int


def peak_and_retained(function: Callable[[], T]) -> tuple[T, Memory]:
    """Call ``function`` under :mod:`tracemalloc`; its result and the heap it cost."""
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        result = function()
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, Memory(peak=peak - before, retained=after - before)


@dataclass(frozen=True)
class Row:
    """One comparison: ``ours`` against ``theirs`` (seconds, bytes or counts)."""

    benchmark: str
    what: str
    ours: float
    theirs: float
    unit: str
    baseline: str
    target: str = ""
    """The issue's target, in words (``">= 60x"``), or empty."""
    met: bool | None = None
    """Whether the target is met, when there is one."""
    higher_is_better: bool = False
    """True for throughputs (bytes or requests per second); False for time, memory, counts."""

    @property
    def ratio(self) -> float:
        """How many times better cvatfn is: theirs / ours when lower is better, ours / theirs
        when higher is better."""
        num, den = (self.ours, self.theirs) if self.higher_is_better else (self.theirs, self.ours)
        return num / den if den else float("inf")


def _human(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "B":
        return f"{value / 2**20:.1f} MiB"
    if unit == "B/s":
        return f"{value / 2**20:.1f} MiB/s"
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    return f"{value:,.0f} {unit}".strip()


def print_rows(rows: list[Row]) -> None:
    """Print the rows as one aligned table."""
    header = ("benchmark", "measure", "cvatfn", "baseline", "ratio", "target")
    lines = [header]
    for row in rows:
        target = row.target
        if row.met is not None:
            target = f"{target} {'met' if row.met else 'NOT MET'}".strip()
        lines.append(
            (
                row.benchmark,
                row.what,
                _human(row.ours, row.unit),
                f"{_human(row.theirs, row.unit)} ({row.baseline})",
                f"{row.ratio:,.1f}x",
                target,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for index, line in enumerate(lines):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))
