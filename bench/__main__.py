"""`python -m bench [--quick] [--runs N] [--only B1,B2] [--out FILE]`: measure, print the table,
write `bench/results.json`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

from bench.core import Options, Row, discover, table, write_results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller and fewer runs (a minute)")
    parser.add_argument(
        "--runs", type=int, default=None, help="runs per figure (default 3, 1 quick)"
    )
    parser.add_argument("--only", default="", help="figures to run, e.g. B1,B4,S")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results.json"))
    parser.add_argument("--no-postgresql", action="store_true", help="skip PostgreSQL (B5)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    only = {k.strip().upper() for k in args.only.split(",") if k.strip()} or None
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="tisserand-bench-") as workdir:
        options = Options(
            quick=args.quick,
            runs=args.runs or (1 if args.quick else 3),
            workdir=Path(workdir),
            pg_url=None if args.no_postgresql else Options.pg_url,
            verbose=args.verbose,
        )
        rows: list[Row] = []
        started = time.monotonic()
        for figure in discover(only):
            print(f"{figure.key} — {figure.title} …", flush=True)
            t0 = time.monotonic()
            found = asyncio.run(figure.run(options))
            rows += found
            print(table(found).split("\n", 2)[2], f"  ({time.monotonic() - t0:.0f} s)", flush=True)
        seconds = time.monotonic() - started
    print()
    print(table(rows))
    write_results(Path(args.out), rows, options, seconds)
    print(f"\n{len(rows)} rows in {seconds:.0f} s; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
