"""``python -m tests.benchmarks [NAME ...] [--quick]``: run the benchmarks, print one table.

Every module ``bench_<name>.py`` in this package has ``run(quick: bool) -> list[Row]``.
Without names, all of them run, in name order. ``--quick`` uses smaller inputs, to check that a
benchmark works; its figures are not the ones to quote.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import platform
import sys
import time
from pathlib import Path

from tests.benchmarks._harness import Row, print_rows

HERE = Path(__file__).resolve().parent


def available() -> list[str]:
    return sorted(
        info.name.removeprefix("bench_")
        for info in pkgutil.iter_modules([str(HERE)])
        if info.name.startswith("bench_")
    )


def machine() -> str:
    import os

    import cvat_sdk
    import msgspec

    cpus = os.cpu_count()
    return (
        f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{cpus} CPUs; msgspec {msgspec.__version__}, cvat-sdk {cvat_sdk.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    names = available()
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(names)}")
    parser.add_argument("--quick", action="store_true", help="small inputs: a smoke run")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(names))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    chosen = args.names or names
    print(machine())
    rows: list[Row] = []
    for name in chosen:
        module = importlib.import_module(f"tests.benchmarks.bench_{name}")
        started = time.perf_counter()
        print(f"\n== {name} ...", flush=True)
        found: list[Row] = module.run(quick=args.quick)
        print_rows(found)
        print(f"({time.perf_counter() - started:.0f} s)", flush=True)
        rows.extend(found)
    print("\n== all")
    print_rows(rows)
    missed = [row for row in rows if row.met is False]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
