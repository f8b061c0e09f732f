"""The PTB Application: every update stored, handled once in its own unit of work, replied to
after commit, and no database or handler error ever stops the bot.

The path of an update:
1. `TisserandBot.get_updates` stores the batch in the inbox before PTB acknowledges it (PTB
   asks for the next offset as soon as it has queued a batch). After a crash, waiting inbox
   rows are handled first, at start.
2. `TisserandApplication.process_update` takes a place in its chat's lane and its person's
   lane (`bot.ordering`): different chats run at once, one chat's updates stay in order.
3. The handlers run in one unit of work and queue their replies; the unit commits together
   with the inbox row's "done" mark, which also guards against handling an update twice.
4. The replies are sent after the commit, in the chat's sending lane.
A database error retries the update (3 attempts, with back-off) while that chat waits; then the
person gets the usual error message and the inbox row is marked failed.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Chat, Update
from telegram.constants import MessageEntityType, ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    ExtBot,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.domain import InboxState
from bot.last_byte import TelegramRequest
from bot.lease import Lease
from bot.ordering import Lanes
from bot.pacing import Pacing
from bot.replies import Outbox, Reply, deliver
from storage.db import create_engine, one_statement_factory, session_factory
from storage.uow import UnitOfWork, network_ok

if TYPE_CHECKING:
    from handlers.registry import Registry

log = logging.getLogger(__name__)

# The updates the bot handles: `chat_member` must be asked for (Telegram leaves it out).
ALLOWED_UPDATES = (
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
    "chat_member",
)
# An update waiting this long in a shared inbox belongs to a process that died.
ORPHAN_AFTER = timedelta(minutes=1)
# A placeholder token for the sandbox, which accepts any well-formed one.
SANDBOX_TOKEN = "7000000001:sandbox-token-0000000000000000000"

DueRunner = Callable[["Deps", Any], Awaitable[Any]]


@dataclass
class Deps:
    """What handlers, services and jobs need, passed explicitly rather than imported."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    worker_id: str
    # Kinds of due work: kind -> coroutine function(deps, row) returning a DueResult.
    due_kinds: dict[str, DueRunner] = field(default_factory=dict)
    registry: Registry | None = None
    stop_reason: str | None = None
    # Waits between the attempts of an update that met a database error.
    db_retry_delays: tuple[float, ...] = (0.5, 2.0)
    # When polling started (monotonic seconds), for telling a 409 at start from one later.
    polling_since: float | None = None
    # Kinds of due work that send to many people (reminders, results, digests): run only by
    # the process holding the bulk-sending lease, so Telegram's overall limit holds.
    mass_kinds: set[str] = field(default_factory=set)
    lease: Lease | None = None
    # Several processes receive this bot's updates (webhook processes on PostgreSQL): one
    # chat's updates are then ordered across processes. Polling has a single receiver.
    shared_inbox: bool = False

    # Sessions for a unit of work of one statement (`storage.db.one_statement_factory`).
    one_statement_sessions: async_sessionmaker[AsyncSession] | None = None

    def uow(self, *, one_statement: bool = False) -> UnitOfWork:
        """A unit of work; `one_statement` when it runs a single statement, atomic on its own."""
        if one_statement and self.one_statement_sessions is not None:
            return UnitOfWork(self.one_statement_sessions)
        return UnitOfWork(self.sessions)


@dataclass
class Unit:
    """One update being handled: its unit of work, its replies, what went wrong."""

    update: Update
    uow: UnitOfWork
    outbox: Outbox
    error: BaseException | None = None


_current_unit: contextvars.ContextVar[Unit | None] = contextvars.ContextVar(
    "tisserand_unit", default=None
)


def current_unit() -> Unit:
    unit = _current_unit.get()
    if unit is None:
        raise RuntimeError("no update is being handled here")
    return unit


def is_database_error(error: BaseException) -> bool:
    """Errors that say the database could not do it now (locked, unreachable, lost), as opposed
    to a bug: those are worth retrying."""
    if isinstance(error, SQLAlchemyError | ConnectionError | TimeoutError):
        return True
    module = type(error).__module__ or ""
    return module.startswith(("asyncpg", "sqlite3", "aiosqlite"))


class TisserandBot(ExtBot[Any]):
    """PTB's ExtBot, plus: updates go to the inbox before they are acknowledged, and no request
    leaves while a database transaction is open in the calling task."""

    __slots__ = ("_inbox_hook", "_raw_updates", "_strict_transactions")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._inbox_hook: Callable[[tuple[Update, ...]], Awaitable[bool]] | None = None
        # Tests make a request inside a transaction an error; in production it is logged.
        self._strict_transactions = False
        # The JSON of the last getUpdates answer, as Telegram sent it: what the inbox keeps.
        self._raw_updates: dict[int, dict[str, Any]] = {}
        super().__init__(*args, **kwargs)

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        self._raw_updates = {}
        updates = await super().get_updates(*args, **kwargs)
        if updates and self._inbox_hook is not None and not await self._inbox_hook(updates):
            # Not stored: hand nothing over, so the offset stays and Telegram sends them again.
            return ()
        return updates

    def raw_update(self, update: Update) -> dict[str, Any]:
        """The update's JSON as received (else rebuilt from the object)."""
        found = self._raw_updates.get(update.update_id)
        return found if found is not None else update.to_dict()

    async def _post(self, endpoint: str, *args: Any, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, *args, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            self._raw_updates = {
                u["update_id"]: u for u in result if isinstance(u, dict) and "update_id" in u
            }
        return result

    async def _do_post(self, endpoint: str, data: Any, **kwargs: Any) -> Any:
        if not network_ok():
            message = f"Bot API call {endpoint} while a database transaction is open"
            if self._strict_transactions:
                raise RuntimeError(message)
            log.error(message)
        return await super()._do_post(endpoint, data, **kwargs)


class TisserandApplication(Application):
    """A PTB Application in which every update runs in one unit of work, exactly once."""

    def __init__(self, *, deps: Deps, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deps = deps
        self._lanes = Lanes()
        self._sending = Lanes()
        # Ids of updates Telegram gave again although the inbox has them already.
        self._redelivered: set[int] = set()

    @property
    def tbot(self) -> TisserandBot:
        return cast(TisserandBot, self.bot)

    # --- 1. the inbox

    async def store_updates(
        self, updates: tuple[Update, ...], raw: dict[int, dict[str, Any]] | None = None
    ) -> bool:
        """Write a batch to the inbox (with the JSON as received, `raw` for a webhook's); False
        (and a pause) when the database cannot."""
        bot = self.tbot
        rows = [
            (
                u.update_id,
                u.effective_chat.id if u.effective_chat else None,
                (raw or {}).get(u.update_id) or bot.raw_update(u),
            )
            for u in updates
        ]
        try:
            # One INSERT for the whole batch: on PostgreSQL, no BEGIN and COMMIT around it.
            async with self.deps.uow(one_statement=True) as uow:
                fresh = await uow.inbox.store(self.bot.id, rows, self.deps.clock.now())
        except Exception as exc:
            if not is_database_error(exc):
                raise
            log.warning("cannot store %d update(s) in the inbox: %s", len(rows), _short(exc))
            await asyncio.sleep(self.deps.db_retry_delays[-1] if self.deps.db_retry_delays else 1)
            return False
        self._redelivered.update(u.update_id for u in updates if u.update_id not in fresh)
        return True

    async def handle_waiting(self, *, older_than: timedelta | None = None) -> int:
        """Handle the updates stored but never handled (the process died): first, in order.
        With `older_than`, only those waiting that long (another process died with them)."""
        seen: set[int] = set()
        before = self.deps.clock.now() - older_than if older_than is not None else None
        while True:
            async with self.deps.uow() as uow:
                rows = [
                    (row.update_id, row.payload)
                    for row in await uow.inbox.waiting(
                        self.bot.id, limit=200, received_before=before
                    )
                    if row.payload is not None and row.update_id not in seen
                ]
            if not rows:
                return len(seen)
            for update_id, payload in rows:
                seen.add(update_id)
                await self.process_update(Update.de_json(payload, self.bot))

    # --- 2. ordering, 3. handling, 4. replies

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        if update.update_id in self._redelivered:
            self._redelivered.discard(update.update_id)
            log.info("update %s delivered again, already in the inbox: skipped", update.update_id)
            return
        chat = update.effective_chat
        user = update.effective_user
        chat_key = ("chat", chat.id) if chat else ("user", user.id if user else 0)
        keys = [chat_key] + ([("user", user.id)] if user else [])
        # Both tickets are taken now, in arrival order, before anything waits.
        handling = self._lanes.ticket(keys)
        sending = self._sending.ticket([chat_key])
        outbox = Outbox()
        try:
            async with handling:
                if chat is not None and self._shared:
                    await self._handle_earlier(update, chat.id)
                outbox = await self._handle(update)
        finally:
            async with sending:
                if outbox:
                    await deliver(self.bot, outbox)

    async def handle_orphans(self) -> int:
        """Several processes: updates another process stored, answered 200 for, then died with,
        are handled here once they have waited ORPHAN_AFTER (the chat lock and the inbox's
        done mark keep one that is only slow from being handled twice)."""
        if not self._shared:
            return 0
        return await self.handle_waiting(older_than=ORPHAN_AFTER)

    @property
    def _shared(self) -> bool:
        """Other processes may handle this bot's updates (webhook processes on PostgreSQL)."""
        return self.deps.shared_inbox

    async def _handle_earlier(self, update: Update, chat_id: int) -> None:
        """Several processes: an older update of this chat, stored by another process and not
        handled yet, is handled first, here (the other process then finds it done)."""
        async with self.deps.uow() as uow:
            earlier = await uow.inbox.waiting_before(self.bot.id, chat_id, update.update_id)
        for _update_id, payload in earlier:
            outbox = await self._handle(Update.de_json(payload, self.bot))
            if outbox:
                await deliver(self.bot, outbox)

    async def _handle(self, update: Update) -> Outbox:
        delays = self.deps.db_retry_delays
        for attempt in range(len(delays) + 1):
            try:
                return await self._attempt(update)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_database_error(exc):
                    log.exception("update %s: unexpected failure", update.update_id)
                    break
                log.warning(
                    "update %s: database error (attempt %d): %s",
                    update.update_id,
                    attempt + 1,
                    _short(exc),
                )
                if attempt < len(delays):
                    await asyncio.sleep(delays[attempt])
        await self._mark(update, InboxState.FAILED)
        return error_outbox(update)

    async def _attempt(self, update: Update) -> Outbox:
        unit = Unit(update, self.deps.uow(), Outbox())
        async with unit.uow:
            if self._shared:
                # One chat at a time across processes; then, was it handled meanwhile?
                chat = update.effective_chat
                await unit.uow.inbox.lock_chat(chat.id if chat else None)
                if await unit.uow.inbox.handled_elsewhere(self.bot.id, update.update_id):
                    log.info("update %s was handled by another process", update.update_id)
                    unit.uow.fail()
                    return Outbox()
            token = _current_unit.set(unit)
            try:
                if self._ignored(update):
                    log.info("update %s ignored (%s)", update.update_id, _kind(update))
                else:
                    await super().process_update(update)
            finally:
                _current_unit.reset(token)
            if unit.error is not None:
                if is_database_error(unit.error):
                    raise unit.error
                # A bug: nothing half-written, the person is told, the update is not retried.
                await unit.uow.rollback()
                await unit.uow.inbox.finish(
                    self.bot.id, update.update_id, self.deps.clock.now(), InboxState.FAILED
                )
                return error_outbox(update)
            if not await unit.uow.inbox.finish(
                self.bot.id, update.update_id, self.deps.clock.now()
            ):
                log.info("update %s was handled already: its effects are dropped", update.update_id)
                unit.uow.fail()
                return Outbox()
        return unit.outbox

    async def _mark(self, update: Update, state: InboxState) -> None:
        try:
            async with self.deps.uow() as uow:
                await uow.inbox.finish(self.bot.id, update.update_id, self.deps.clock.now(), state)
        except Exception as exc:
            log.warning(
                "update %s: could not be marked %s: %s", update.update_id, state, _short(exc)
            )

    def _ignored(self, update: Update) -> bool:
        """Channels, updates with no chat, and commands addressed to another bot."""
        if update.channel_post or update.edited_channel_post or update.effective_chat is None:
            return True
        message = update.message or update.edited_message
        if message is not None and message.text and message.entities:
            first = message.entities[0]
            if first.type == MessageEntityType.BOT_COMMAND and first.offset == 0:
                command = message.text[: first.length]
                _, _, target = command.partition("@")
                username = self.bot.username or ""
                if target and target.lower() != username.lower():
                    return True
        return False

    async def process_error(
        self, update: object | None, error: Exception, *args: Any, **kwargs: Any
    ) -> bool:
        unit = _current_unit.get()
        if unit is not None and update is unit.update:
            unit.error = error
        return await super().process_error(update, error, *args, **kwargs)


def _kind(update: Update) -> str:
    return next((key for key in update.to_dict() if key != "update_id"), "empty")


def error_outbox(update: Update) -> Outbox:
    """The usual « something went wrong » answer, in the person's language."""
    from bot.texts import language_of, render

    outbox = Outbox()
    user = update.effective_user
    text = render("errors/internal", language_of(user.language_code if user else None))
    query = update.callback_query
    if query is not None:
        outbox.add(
            Reply(lambda bot: query.answer(text[:200], show_alert=True), "error alert", first=True)
        )
    elif update.effective_chat is not None and update.effective_chat.type == Chat.PRIVATE:
        chat_id = update.effective_chat.id
        outbox.add(Reply(lambda bot: bot.send_message(chat_id, text), "error message"))
    elif update.effective_message is not None and update.effective_message.text:
        # In a group, only answer what was addressed to the bot (a command).
        message = update.effective_message
        outbox.add(Reply(lambda bot: message.reply_text(text, do_quote=False), "error message"))
    return outbox


def _short(exc: BaseException) -> str:
    """The error's kind and first line: database errors do not quote what people typed."""
    first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def deps_of(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    return cast(TisserandApplication, context.application).deps


def build_application(
    settings: Settings,
    request: BaseRequest | None = None,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    rate_limiter: bool | Pacing = True,
    concurrent_updates: int = 64,
) -> TisserandApplication:
    """The bot. `request` replaces the HTTP transport (the sandbox, in tests and the demo)."""
    from bot import due
    from handlers import register

    # PTB's opt-in to the coming `retry_after` as a timedelta: no deprecation on every 429.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    engine = engine or create_engine(
        settings.database_url, sqlite_busy_timeout=settings.sqlite_busy_timeout
    )
    deps = Deps(
        settings=settings,
        clock=clock or SystemClock(),
        engine=engine,
        sessions=session_factory(engine),
        one_statement_sessions=one_statement_factory(engine),
        worker_id=f"{socket.gethostname()}:{os.getpid()}",
    )
    deps.lease = Lease(engine)
    due.register_builtin_kinds(deps)
    token = settings.token.get_secret_value() if settings.token else SANDBOX_TOKEN
    bot_kwargs: dict[str, Any] = {
        "token": token,
        "defaults": Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo(settings.timezone)),
        "request": request or TelegramRequest(connection_pool_size=64),
        "get_updates_request": request or HTTPXRequest(),
    }
    if rate_limiter:
        bot_kwargs["rate_limiter"] = rate_limiter if isinstance(rate_limiter, Pacing) else Pacing()
    if settings.api_base_url:
        base = settings.api_base_url.rstrip("/")
        bot_kwargs["base_url"] = base
        bot_kwargs["base_file_url"] = base.removesuffix("/bot") + "/file/bot"
    bot = TisserandBot(**bot_kwargs)
    application = cast(
        TisserandApplication,
        ApplicationBuilder()
        .application_class(TisserandApplication, kwargs={"deps": deps})
        .bot(bot)
        .concurrent_updates(concurrent_updates)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build(),
    )
    bot._inbox_hook = application.store_updates
    register(application)
    return application


def keep_loaded() -> None:
    """Once a serving process has loaded what lives as long as it does (modules, mappers,
    handlers), put all of it out of the cyclic collector's sight, and turn the collector back
    on if the start turned it off (`bot.cli`): a full collection no longer walks it. Measured
    with 300 members: a full collection paused the bot 180 ms; 9 ms after. Called by
    `tisserand run` and `webhook` (and the bench, which plays them), not by tests, whose many
    applications in one process would never be collected."""
    gc.freeze()
    gc.enable()


async def _post_init(application: Application) -> None:
    from bot import due
    from handlers.menus import set_command_menus

    app = cast(TisserandApplication, application)
    await set_command_menus(app.bot, app.deps)
    handled = await app.handle_waiting()
    if handled:
        log.info("%d update(s) left over from the last run handled", handled)
    app.deps.polling_since = time.monotonic()
    await _schedule_daily(app.deps)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            due.tick_job,
            interval=app.deps.settings.due_interval,
            first=1,
            name="due-work",
            job_kwargs={"max_instances": 1, "coalesce": True},
        )


async def _schedule_daily(deps: Deps) -> None:
    """The daily work's next row (the retention purge); one per day whoever starts."""
    from bot.services import privacy

    try:
        async with deps.uow() as uow:
            await privacy.schedule_purge(uow, deps.clock.now(), ZoneInfo(deps.settings.timezone))
    except Exception as exc:
        if not is_database_error(exc):
            raise
        log.warning("daily work not scheduled now: %s", _short(exc))


async def _post_shutdown(application: Application) -> None:
    deps = cast(TisserandApplication, application).deps
    if deps.lease is not None:
        await deps.lease.release()
    await deps.engine.dispose()
