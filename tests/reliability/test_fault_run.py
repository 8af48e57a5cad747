"""The seeded fault run: 1,000 operations at a 20% fault rate lose and corrupt nothing.

The figures it prints are the ones docs/reliability.md quotes (``pytest -s`` shows them, and
``python -m tests.reliability.fault_run`` prints them alone).
"""

from __future__ import annotations

from tests.reliability.fault_run import fault_run


def test_a_thousand_operations_at_a_fifth_of_requests_failing() -> None:
    report = fault_run(seed=2026, operations=1000, rate=0.2)
    print("\n" + report.text())
    assert report.operations == 1000
    assert report.escaped == []
    assert report.lost == []
    assert report.corrupted == []
    assert report.orphans == []
    # The run did meet trouble: faults of every kind, and failures to reconcile.
    assert report.injected >= 0.1 * report.requests
    assert {"drop", "tus_cut", "status_429", "status_503", "status_502"} <= set(report.faults)
    assert sum(report.ambiguous.values()) > 0
    # Most operations still succeed: retries absorb what is safe to repeat.
    succeeded = sum(n for key, n in report.outcomes.items() if key.endswith(" ok"))
    assert succeeded >= 0.8 * report.operations
    assert report.verified["frames hashed at the end"] > 0
    assert report.verified["annotation sets compared at the end"] > 0
