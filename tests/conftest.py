"""Shared fixtures: a fresh database per test (SQLite file, or PostgreSQL), and the harness.

The suite runs on SQLite by default; `TISSERAND_TEST_DB=postgresql` runs it on the
PostgreSQL server at TISSERAND_TEST_PG_URL (default: the local `test` database).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.sandbox.harness import Harness
from storage.db import create_engine
from storage.migrate import upgrade_sync
from storage.models import Base

BACKEND = os.environ.get("TISSERAND_TEST_DB", "sqlite")
PG_URL = os.environ.get(
    "TISSERAND_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def pytest_report_header() -> str:
    return f"tisserand database backend: {BACKEND}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    return path


async def _admin(sql: str) -> None:
    import asyncpg

    url = make_url(PG_URL)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _admin_sync(sql: str) -> None:
    """Session fixtures may be set up while a test's event loop runs: use a thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _admin(sql)).result()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A database of its own for this test session, migrated once."""
    name = f"tisserand_test_{uuid.uuid4().hex[:10]}"
    _admin_sync(f'CREATE DATABASE "{name}"')
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_sync(url)
        yield url
    finally:
        _admin_sync(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _truncate(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database for one test."""
    if BACKEND == "postgresql":
        url: str = request.getfixturevalue("pg_database")
        await _truncate(url)
        return url
    template: Path = request.getfixturevalue("sqlite_template")
    path = tmp_path / "tisserand.db"
    shutil.copy(template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url, token=None)


@pytest.fixture
async def harness(settings: Settings) -> AsyncIterator[Harness]:
    async with Harness(settings, migrate=False) as h:
        yield h


# Every template rendered during the session, with the parameters the code passed: the last
# test (tests/zz_templates) renders each of them again in both languages.
RENDERED: dict[str, list[dict[str, object]]] = {}


@pytest.fixture(scope="session", autouse=True)
def record_renders() -> Iterator[None]:
    import jinja2.environment

    original = jinja2.environment.Template.render

    def recording(self: jinja2.environment.Template, *args: object, **kwargs: object) -> str:
        name = self.name or ""
        if name.endswith(".j2") and "/" in name:
            lang, _, rest = name.partition("/")
            if lang in ("fr", "en"):
                seen = RENDERED.setdefault(rest[: -len(".j2")], [])
                shape = {k for k in kwargs if k != "lang"}
                if len(seen) < 20 and all(set(p) != shape for p in seen):
                    seen.append({k: v for k, v in kwargs.items() if k != "lang"})
        return original(self, *args, **kwargs)

    jinja2.environment.Template.render = recording  # type: ignore[method-assign]
    try:
        yield
    finally:
        jinja2.environment.Template.render = original  # type: ignore[method-assign]
