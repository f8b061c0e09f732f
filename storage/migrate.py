"""Alembic, driven from code: `tisserand db upgrade` and the automatic upgrade on start.

Alembic is imported only to migrate: a start on an up-to-date SQLite database reads the
revision it is at (`alembic_version`) and the heads of `migrations/versions` without it.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_ASSIGNED = re.compile(r"^(revision|down_revision)\b[^=]*=\s*(.+)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


def heads() -> set[str]:
    """The head revisions of the migration scripts, read from their source."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((name, value) for name, value in _ASSIGNED.findall(script.read_text()))
        revision = _QUOTED.findall(found.get("revision", ""))
        if revision:
            revisions.add(revision[0])
            parents.update(_QUOTED.findall(found.get("down_revision", "")))
    return revisions - parents


def sqlite_revisions(url: str) -> set[str] | None:
    """The revisions an SQLite database is at; None when it cannot tell (no file, no table,
    not SQLite): then Alembic decides."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    path = Path(database).expanduser()
    if not path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return {str(row[0]) for row in rows}


def up_to_date(url: str) -> bool:
    """True when the database is known to be at the scripts' heads (no Alembic needed)."""
    return sqlite_revisions(url) == heads()


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade_sync(url: str, revision: str = "head") -> None:
    """Upgrade from synchronous code, even when an event loop is running in this thread
    (the async Alembic environment starts a loop of its own, so it gets a thread)."""
    errors: list[BaseException] = []

    from alembic import command

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
