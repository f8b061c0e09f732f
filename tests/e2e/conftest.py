"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.processes import sandbox_process


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    yield from sandbox_process()
