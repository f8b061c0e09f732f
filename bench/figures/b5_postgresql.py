"""B5 — B1 on PostgreSQL (when a server answers at 127.0.0.1:5432, database `test`): the same
journey and edits (500 members, to keep the whole bench within minutes), against a floor on
asyncpg measured the same way in the same run."""

from __future__ import annotations

from bench.core import Figure, Options, Row, Samples
from bench.figures.b1_members import measure, rows
from bench.rigs import drop_postgresql, postgresql_url


async def run(options: Options) -> list[Row]:
    samples = Samples()
    try:
        if not await measure(options, samples, postgresql_url, size=500):
            return [Row("B5", "PostgreSQL", None, "", note="no server at 127.0.0.1:5432: skipped")]
    finally:
        await drop_postgresql(options)
    found = rows(samples, "B5", floor="asyncpg floor")
    for row in found:
        row.what = row.what + " (PostgreSQL)"
    return found


FIGURE = Figure("B5", "members at work (PostgreSQL)", run, minutes=3)
