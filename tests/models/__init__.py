"""Tests of cvatfn.models and cvatfn._codec."""
