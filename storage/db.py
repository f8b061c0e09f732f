"""Engine and sessions: SQLite tuned for a bot, PostgreSQL for several processes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_engine(
    url: str, *, sqlite_busy_timeout: float = SQLITE_BUSY_TIMEOUT_MS / 1000, **kwargs: Any
) -> AsyncEngine:
    """An async engine; on SQLite: WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No ping before every transaction (a round trip each): a connection the server
        # dropped fails its first statement, is replaced, and the update is tried again.
        return create_async_engine(url, **kwargs)

    from storage import sqlite

    if not _in_memory(parsed.database):
        # Every transaction takes the write lock (BEGIN IMMEDIATE): with one connection, this
        # process's transactions queue on the pool, in order, instead of polling SQLite's lock;
        # other processes' transactions are waited for up to the busy timeout.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        # Waiting for the connection is waiting for the write lock: same patience.
        kwargs.setdefault("pool_timeout", sqlite_busy_timeout)
    engine = create_async_engine(
        url, module=sqlite.dbapi(), connect_args={"timeout": sqlite_busy_timeout}, **kwargs
    )
    sqlite_pragmas(engine, sqlite_busy_timeout)
    return engine


def _in_memory(database: str | None) -> bool:
    return not database or database == ":memory:" or "mode=memory" in database


def sqlite_pragmas(engine: AsyncEngine, busy_timeout: float) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for every transaction."""
    from storage.sqlite import Connection

    busy_ms = int(busy_timeout * 1000)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see the "begin" hook).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if isinstance(dbapi_connection, Connection):
            # It runs on the event loop: SQLite never waits, `Connection` waits asynchronously.
            cursor.execute("PRAGMA busy_timeout=0")
            dbapi_connection.busy_timeout = busy_timeout
        else:
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: a transaction that reads then writes can then never
        # fail with "database is locked" on the read-to-write upgrade; it waits its turn instead.
        dbapi_connection = conn.connection.dbapi_connection
        if isinstance(dbapi_connection, Connection):
            dbapi_connection.begin_immediate()  # sent with the first statement
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_problem(path: Path, where: str) -> str | None:
    import sqlite3

    try:
        connection = sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            connection.execute("SELECT 1").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        return f"impossible de joindre la base de données {where} : {type(exc).__name__} ({exc})"
    return None


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def one_statement_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for a unit of work that runs one statement, atomic on its own (the inbox's
    write of a batch): on PostgreSQL it runs outside an explicit transaction, which saves the
    BEGIN and COMMIT round trips (two of the three). On SQLite, where they cost no round
    trip and the write lock must be taken up front, the usual sessions."""
    if engine.dialect.name != "postgresql":
        return session_factory(engine)
    return session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))


async def unreachable(url: str, *, seconds: float = 10.0) -> str | None:
    """Why the database cannot be used, in one line; None when it answers."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).expanduser().resolve().parent
            if not folder.is_dir():
                return f"le dossier de la base SQLite n'existe pas : {folder}"
            # A local file: sqlite3 itself can tell, with no engine to build at start.
            return _sqlite_problem(Path(database).expanduser(), parsed.render_as_string())
    engine = create_engine(url)
    try:
        async with asyncio.timeout(seconds), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        where = parsed.render_as_string(hide_password=True)
        reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
        return f"impossible de joindre la base de données {where} : {type(exc).__name__}" + (
            f" ({reason})" if reason else ""
        )
    finally:
        await engine.dispose()
    return None
