"""What every figure shares: options, result rows, statistics, discovery, the table.

A figure is a module of `bench.figures` exposing `FIGURE = Figure(...)`. Its `run` receives the
`Options` and returns `Row`s; every value in a row is already the median of `options.runs`
measurements (use `Samples`), and every ratio compares two values measured side by side in the
same run (interleaved, never one series after the other).
"""

from __future__ import annotations

import importlib
import json
import math
import pkgutil
import platform
import statistics
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@dataclass
class Options:
    quick: bool = False
    runs: int = 3
    workdir: Path = Path(".")
    pg_url: str | None = PG_URL
    verbose: bool = False

    def scale(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def say(self, text: str) -> None:
        if self.verbose:
            print(f"  · {text}", flush=True)


@dataclass
class Row:
    """One line of the table: Tisserand's value, the side-by-side reference, their ratio."""

    figure: str
    what: str
    value: float | None
    unit: str
    reference: float | None = None
    reference_what: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    runs: list[float] = field(default_factory=list)
    reference_runs: list[float] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Figure:
    key: str  # "B1", "B2", … ("S" for the statements table)
    title: str
    run: Callable[[Options], Coroutine[Any, Any, list[Row]]]
    # Roughly how long a full run takes, shown before it starts.
    minutes: float = 1.0


class Samples:
    """Values of several runs, by name; `median(name)` is what the table shows."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def median(self, name: str) -> float | None:
        found = self.values.get(name)
        return statistics.median(found) if found else None

    def runs(self, name: str) -> list[float]:
        return list(self.values.get(name, []))

    def ratios(self, name: str, reference: str) -> float | None:
        """The median of the run-by-run ratios (each pair measured side by side)."""
        pairs = zip(self.values.get(name, []), self.values.get(reference, []), strict=False)
        found = [a / b for a, b in pairs if b]
        return statistics.median(found) if found else None


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def discover(only: set[str] | None = None) -> list[Figure]:
    """Every `FIGURE` in the modules of `bench.figures`, in key order."""
    import bench.figures as package

    found: list[Figure] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        figure = getattr(module, "FIGURE", None)
        if isinstance(figure, Figure) and (only is None or figure.key.upper() in only):
            found.append(figure)
    return sorted(found, key=lambda f: _order(f.key))


def _order(key: str) -> tuple[int, str]:
    digits = "".join(c for c in key if c.isdigit())
    return (int(digits) if digits else 1000, key)


def fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if unit in ("%",):
        return f"{value:.1f} %"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def table(rows: Sequence[Row]) -> str:
    """A Markdown table, as the README shows it."""
    lines = [
        "| figure | what | Tisserand | reference, same run | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        reference = (
            f"{fmt(row.reference, row.unit)} ({row.reference_what})"
            if row.reference is not None
            else (row.reference_what or "")
        )
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        what = f"{row.what} ({row.note})" if row.note else row.what
        lines.append(
            f"| {row.figure} | {what} | {fmt(row.value, row.unit)} | {reference} | "
            f"{fmt(row.ratio)} | {row.target} | {met} |"
        )
    return "\n".join(lines)


def write_results(path: Path, rows: Sequence[Row], options: Options, seconds: float) -> None:
    payload: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "python": platform.python_version(),
            "system": platform.platform(),
            "cpus": _cpus(),
        },
        "quick": options.quick,
        "runs": options.runs,
        "seconds": round(seconds, 1),
        "rows": [asdict(row) for row in rows],
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


def _cpus() -> int:
    import os

    return os.cpu_count() or 0
