"""Alembic, driven from code: `tisserand db upgrade` and the automatic upgrade on start."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade_sync(url: str, revision: str = "head") -> None:
    """Upgrade from synchronous code, even when an event loop is running in this thread
    (the async Alembic environment starts a loop of its own, so it gets a thread)."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            command.upgrade(alembic_config(url), revision)
        except BaseException as exc:  # handed back to the caller below
            errors.append(exc)

    thread = threading.Thread(target=target, name="alembic-upgrade")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database up to date. Alembic's async env runs its own loop: use a thread."""
    await asyncio.to_thread(upgrade_sync, url, revision)
