"""Suite-wide reporting: how much of CVAT's contract the validated tests exercised."""

from __future__ import annotations

import pytest


def _implemented_by_fake(contract: object) -> set[str]:
    """Contract operations the fake server routes (probed with concrete paths)."""
    import re

    from cvatfn_fake import FakeServer
    from cvatfn_fake._router import NoRoute

    router = FakeServer().router
    found: set[str] = set()
    for operation_id in contract.operation_ids():  # type: ignore[attr-defined]
        operation = contract.operations[operation_id]  # type: ignore[attr-defined]
        path = re.sub(r"\{[^}]+\}", "1", operation.path)
        try:
            router.resolve(operation.method.upper(), path)
        except NoRoute:
            continue
        found.add(operation_id)
    return found


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.contract.openapi import EXERCISED, Contract

    if not EXERCISED:
        return
    contract = Contract.load()
    total = len(contract.operation_ids())
    line = f"CVAT contract: {len(EXERCISED)} of {total} operations exercised with validation"
    try:
        implemented = _implemented_by_fake(contract)
    except Exception as error:  # reporting only; never fail the run here
        line += f" (fake-server route probe failed: {error})"
    else:
        line += (
            f"; the fake server routes {len(implemented)}, of which "
            f"{len(implemented & EXERCISED)} were exercised"
        )
    terminalreporter.write_line(line)
