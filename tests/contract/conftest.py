"""Fixtures of the contract tests: the official SDK's peer server lives in :mod:`peer`."""

from tests.contract.peer import coverage_report, cvat

__all__ = ["coverage_report", "cvat"]
