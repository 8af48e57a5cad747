"""Benchmarks: cvatfn beside the official cvat-sdk (or the standard library), run by
``make bench``, never by ``make test``."""
