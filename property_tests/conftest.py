"""Hypothesis profiles, and the never-raises tally printed at the end of a run.

``HYPOTHESIS_PROFILE`` picks one: ``dev`` (the default, quick), ``ci`` (fixed and
derandomized so CI runs are reproducible; ``make test`` uses it) or ``thorough`` (many more
examples, for a long run before a release).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=200,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "thorough",
    max_examples=2000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many calls the never-raises property tried, and how many escaped."""
    from property_tests._surface import TALLY

    calls = TALLY["calls"]
    if not calls:
        return
    outcomes = sorted(
        (count, key.removeprefix("outcome "))
        for key, count in TALLY.items()
        if key.startswith("outcome ")
    )
    terminalreporter.write_sep("-", "never-raises property")
    terminalreporter.write_line(
        f"{calls} calls of public functions against a hostile server, "
        f"{TALLY['escapes']} escaped (profile {settings.get_current_profile_name()})"
    )
    top = ", ".join(f"{kind}: {count}" for count, kind in reversed(outcomes[-8:]))
    terminalreporter.write_line(f"most frequent outcomes: {top}")
