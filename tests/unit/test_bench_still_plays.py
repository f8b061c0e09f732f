"""The benchmark drives the bot by its buttons' labels: when a text changes, a figure breaks
without any test noticing. These play the statements table and B6 at their smallest size (no
timing is asserted: speed is measured by `python -m bench`, never by a test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.core import Options
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="the benchmark runs on SQLite files")


async def test_the_statements_table_plays_every_path(tmp_path: Path) -> None:
    from bench.figures import statements

    counts = await statements.count_paths(Options(quick=True, runs=1, workdir=tmp_path), 5, 1)
    assert set(statements.TARGETS) <= set(counts)
    assert all(count > 0 for count in counts.values())
    # Counting statements is exact, not timing: the ceilings hold.
    over = {path: counts[path] for path, most in statements.TARGETS.items() if counts[path] > most}
    assert not over, over


async def test_b6_plays_a_survey_answer_and_a_vote(tmp_path: Path) -> None:
    from bench.figures import b6_features

    found = await b6_features.measure(Options(quick=True, runs=1, workdir=tmp_path), 5)
    assert set(found) == set(b6_features.TARGETS)
    assert all(statements for statements, _ in found.values())
