"""The migrations and the models describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from storage.db import create_engine
from storage.migrate import upgrade
from storage.models import Base
from tests.conftest import BACKEND


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.connect() as conn:

        def diff(sync_conn: object) -> list[object]:
            context = MigrationContext.configure(sync_conn, opts={"compare_type": True})  # type: ignore[arg-type]
            return list(compare_metadata(context, Base.metadata))

        differences = await conn.run_sync(diff)
    await engine.dispose()
    assert differences == []


async def test_upgrade_is_idempotent_and_creates_every_table(database_url: str) -> None:
    await upgrade(database_url)  # already at head: nothing to do, no error
    engine = create_engine(database_url)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_the_heads_read_from_the_scripts_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config, heads

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert heads() == set(scripts.get_heads())


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite only")
async def test_a_start_on_an_up_to_date_sqlite_file_needs_no_alembic(tmp_path: Path) -> None:
    """`tisserand run` upgrades SQLite itself, but imports Alembic only when it must."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'start.db'}"
    probe = (
        "import sys; from storage.migrate import up_to_date; "
        f"print(up_to_date({url!r}), 'alembic' in sys.modules)"
    )

    def run() -> str:
        return subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout.split()

    assert run() == ["False", "False"]  # no file yet: Alembic will decide
    await upgrade(url)
    assert run() == ["True", "False"]
