"""The systems under test, side by side on the same in-process sandbox transport:

- `TisserandRig`: the real Application (`bot.app.build_application`), polling the sandbox with
  PTB's own Updater, exactly as `tisserand run` does, on a fresh migrated database;
- `FloorRig`: a bare PTB Application (PTB's defaults) whose handler does only what any
  persistent bot must: record the update, look up the member, upsert one answer, commit,
  answer (the callback, or the typed answer with the next button).

Both report when each update is handled (its replies sent), so drivers can run closed-loop
(each member acts again when answered) or open-loop (actions at a fixed pace).
"""

from __future__ import annotations

import asyncio
import gc
import shutil
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bench.core import Options

TOKEN = "7000000001:sandbox-token-0000000000000000000"
_templates: dict[str, Path] = {}


class Completion:
    """When each update was issued (a user acted) and handled (the bot answered)."""

    def __init__(self) -> None:
        self._waiting: dict[int, asyncio.Future[float]] = {}
        self._issued: dict[int, float] = {}
        self.latencies: list[float] = []
        self.handled = 0

    def issue(self, update: dict[str, Any]) -> asyncio.Future[float]:
        update_id = update.get("update_id")
        if update_id is None:
            raise RuntimeError(f"the sandbox did not deliver {update}")
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[update_id] = future
        self._issued[update_id] = time.perf_counter()
        return future

    def done(self, update_id: int) -> None:
        self.handled += 1
        issued = self._issued.pop(update_id, None)
        future = self._waiting.pop(update_id, None)
        if issued is not None:
            latency = time.perf_counter() - issued
            self.latencies.append(latency)
            if future is not None and not future.done():
                future.set_result(latency)

    def reset(self) -> None:
        self.latencies = []
        self.handled = 0


async def sqlite_url(options: Options, name: str, migrate: bool = True) -> str:
    """A fresh SQLite file in the bench's folder, migrated (from a template made once)."""
    path = options.workdir / f"{name}-{time.monotonic_ns()}.db"
    if migrate:
        template = _templates.get("sqlite")
        if template is None:
            from storage.migrate import upgrade

            template = options.workdir / "template.db"
            await upgrade(f"sqlite+aiosqlite:///{template}")
            _templates["sqlite"] = template
        shutil.copy(template, path)
    return f"sqlite+aiosqlite:///{path}"


async def postgresql_url(options: Options, name: str, migrate: bool = True) -> str | None:
    """A fresh, migrated PostgreSQL database of the bench's own; None when no server answers."""
    if options.pg_url is None:
        return None
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(options.pg_url)
    database = f"tisserand_bench_{name}_{time.monotonic_ns() % 10**9}"
    try:
        conn = await asyncpg.connect(
            host=base.host, port=base.port or 5432, user=base.username, database=base.database
        )
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
    url = base.set(database=database).render_as_string(hide_password=False)
    _pg_databases.append(url)
    if migrate:
        from storage.migrate import upgrade

        await upgrade(url)
    return url


_pg_databases: list[str] = []


async def drop_postgresql(options: Options) -> None:
    if not _pg_databases or options.pg_url is None:
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(options.pg_url)
    conn = await asyncpg.connect(
        host=base.host, port=base.port or 5432, user=base.username, database=base.database
    )
    try:
        while _pg_databases:
            name = make_url(_pg_databases.pop()).database
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def sandbox(*, rate_limits: bool = False, real_time: bool = False) -> Any:
    from bot.sandbox.core import Sandbox

    if real_time:
        return Sandbox(rate_limits=rate_limits)
    moment = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    return Sandbox(now=lambda: moment, rate_limits=rate_limits)


class TisserandRig:
    """The real Application on a sandbox, polling as in production."""

    def __init__(
        self,
        database_url: str,
        sb: Any,
        *,
        pacing: Any = None,
        clock: Any = None,
        concurrent_updates: int | None = None,
    ) -> None:
        from bot.app import build_application
        from bot.clock import FakeClock
        from bot.config import Settings
        from bot.sandbox.transport import SandboxRequest

        self.sandbox = sb
        self.settings = Settings(_env_file=None, database_url=database_url, token=None)
        extra: dict[str, Any] = {}
        if concurrent_updates is not None:
            extra["concurrent_updates"] = concurrent_updates
        self.app = build_application(
            self.settings,
            SandboxRequest(sb),
            clock=clock or FakeClock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
            rate_limiter=pacing if pacing is not None else False,
            **extra,
        )
        self.completion = Completion()
        original = self.app.process_update

        async def process_update(update: object) -> None:
            try:
                await original(update)
            finally:
                if isinstance(update, Update):
                    self.completion.done(update.update_id)

        self.app.process_update = process_update  # type: ignore[method-assign]

    async def __aenter__(self) -> TisserandRig:
        app = self.app
        await app.initialize()
        if app.post_init is not None:
            await app.post_init(app)
        from bot.app import keep_loaded

        keep_loaded()  # as `tisserand run` does
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        app = self.app
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await app.deps.engine.dispose()

    async def act(self, update: dict[str, Any]) -> float:
        """Wait until the update a user's action produced is handled; its latency."""
        return await self.completion.issue(update)


# --- the floor ----------------------------------------------------------------------------

FLOOR_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS floor_updates (update_id BIGINT PRIMARY KEY, payload TEXT,"
    " received_at DOUBLE PRECISION)",
    "CREATE TABLE IF NOT EXISTS floor_members (id BIGINT PRIMARY KEY, telegram_id BIGINT"
    " UNIQUE, name VARCHAR(200))",
    "CREATE TABLE IF NOT EXISTS floor_answers (member_id BIGINT, question VARCHAR(40),"
    " value VARCHAR(200), updated_at DOUBLE PRECISION, PRIMARY KEY (member_id, question))",
)


def floor_engine(url: str) -> Any:
    """The stock driver (SQLAlchemy's aiosqlite or asyncpg adapter) with, on SQLite, the same
    file settings as the bot: WAL, foreign keys, busy timeout, BEGIN IMMEDIATE."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from storage.db import sqlite_pragmas

    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 10.0})
        sqlite_pragmas(engine, 10.0)
        return engine
    return create_async_engine(url)


class FloorRig:
    """Bare PTB with one minimal persistent handler, on the same transport and database kind
    (for SQLite: the same pragmas, through the same engine factory)."""

    def __init__(self, database_url: str, sb: Any) -> None:
        from sqlalchemy import text

        from bot.sandbox.transport import SandboxRequest

        self.sandbox = sb
        self.engine = floor_engine(database_url)
        self.completion = Completion()
        completion = self.completion

        class FloorApplication(Application):
            async def process_update(self, update: object) -> None:
                try:
                    await super().process_update(update)
                finally:
                    if isinstance(update, Update):
                        completion.done(update.update_id)

        self.app = (
            ApplicationBuilder()
            .application_class(FloorApplication)
            .token(TOKEN)
            .request(SandboxRequest(sb))
            .get_updates_request(SandboxRequest(sb))
            .build()
        )
        record = text(
            "INSERT INTO floor_updates (update_id, payload, received_at) VALUES (:u, :p, :t)"
        )
        member = text("SELECT id FROM floor_members WHERE telegram_id = :tg")
        upsert = text(
            "INSERT INTO floor_answers (member_id, question, value, updated_at)"
            " VALUES (:m, :q, :v, :t) ON CONFLICT (member_id, question)"
            " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
        )
        engine = self.engine
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Modifier", callback_data="edit")]])

        async def store(update: Update, question: str, value: str) -> None:
            assert update.effective_user is not None
            async with engine.begin() as conn:
                await conn.execute(
                    record,
                    {"u": update.update_id, "p": update.to_json(), "t": time.time()},
                )
                found = (await conn.execute(member, {"tg": update.effective_user.id})).scalar()
                await conn.execute(
                    upsert, {"m": found, "q": question, "v": value, "t": time.time()}
                )

        async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            query = update.callback_query
            assert query is not None
            await store(update, "pressed", query.data or "")
            await query.answer()

        async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            message = update.effective_message
            assert message is not None and message.text is not None
            await store(update, "commune", message.text[:200])
            await message.reply_text("Enregistré.", reply_markup=markup, do_quote=False)

        self.app.add_handler(CallbackQueryHandler(on_press))
        self.app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))

    async def seed(self, users: list[Any]) -> None:
        from sqlalchemy import text

        async with self.engine.begin() as conn:
            for statement in FLOOR_SCHEMA:
                await conn.execute(text(statement))
            await conn.execute(
                text("INSERT INTO floor_members (id, telegram_id, name) VALUES (:i, :tg, :n)"),
                [{"i": i, "tg": u.id, "n": u.first_name} for i, u in enumerate(users, 1)],
            )

    async def __aenter__(self) -> FloorRig:
        await self.app.initialize()
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(
            poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.app.updater is not None
        await self.app.updater.stop()
        await self.app.stop()
        await self.app.shutdown()
        await self.engine.dispose()

    async def act(self, update: dict[str, Any]) -> float:
        return await self.completion.issue(update)


# --- driving -------------------------------------------------------------------------------

Action = Callable[[], Awaitable[None]]


def set_aside() -> None:
    """Before measuring: put what the setup left in this process out of the cyclic
    collector's sight. Nearly all of it is the sandbox's world (every message of the setup:
    86,507 of 86,520 objects after 300 members joined), which in production lives at
    Telegram, not in the bot's process; a full collection walking it paused the bot 75 ms.
    The bot's own start is put aside the same way by `tisserand run` (`bot.app.keep_loaded`).
    What the measurement itself makes is still collected, pauses included."""
    gc.collect()
    gc.freeze()


async def closed_loop(journeys: list[Action]) -> float:
    """Run every member's journey at once (each acts when answered); the seconds it took."""
    started = time.perf_counter()
    await asyncio.gather(*(journey() for journey in journeys))
    return time.perf_counter() - started


async def open_loop(
    act: Callable[[int], Coroutine[Any, Any, float]], count: int, rate: float
) -> list[float]:
    """Issue `count` actions at `rate` a second whatever the answers; their latencies."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks: list[asyncio.Task[float]] = []
    for i in range(count):
        delay = started + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(act(i)))
    return list(await asyncio.gather(*tasks))
