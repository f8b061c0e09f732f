"""The PTB Application factory and the per-update unit of work."""

from __future__ import annotations

import contextvars
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot.clock import Clock, SystemClock
from bot.config import Settings
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# A placeholder token for the sandbox, which accepts any well-formed one.
SANDBOX_TOKEN = "7000000001:sandbox-token-0000000000000000000"

DueRunner = Callable[["Deps", Any], Awaitable[Any]]

_current_uow: contextvars.ContextVar[UnitOfWork | None] = contextvars.ContextVar(
    "tisserand_uow", default=None
)


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
    stop_reason: str | None = None

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions)


class TisserandApplication(Application):
    """A PTB Application in which every update runs in one unit of work, exactly once."""

    def __init__(self, *, deps: Deps, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.deps = deps

    async def process_update(self, update: object) -> None:
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        async with self.deps.uow() as uow:
            if not await uow.updates.mark_processed(update.update_id, self.deps.clock.now()):
                log.info("update %s already processed, ignored", update.update_id)
                return
            if _ignored(update):
                # Channels, and updates with no chat, are not the bot's business.
                log.info("update %s ignored (%s)", update.update_id, _kind(update))
                return
            token = _current_uow.set(uow)
            try:
                await super().process_update(update)
            finally:
                _current_uow.reset(token)

    async def process_error(
        self, update: object | None, error: Exception, *args: Any, **kwargs: Any
    ) -> bool:
        current = _current_uow.get()
        if current is not None:
            # A failed update leaves nothing half-written.
            current.fail()
        return await super().process_error(update, error, *args, **kwargs)


def _ignored(update: Update) -> bool:
    return (
        update.channel_post is not None
        or update.edited_channel_post is not None
        or update.effective_chat is None
    )


def _kind(update: Update) -> str:
    data = update.to_dict()
    return next((key for key in data if key != "update_id"), "empty")


def current_uow() -> UnitOfWork:
    uow = _current_uow.get()
    if uow is None:
        raise RuntimeError("no unit of work: called outside an update")
    return uow


def deps_of(context: ContextTypes.DEFAULT_TYPE) -> Deps:
    return cast(TisserandApplication, context.application).deps


def build_application(
    settings: Settings,
    request: BaseRequest | None = None,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    rate_limiter: bool = True,
) -> TisserandApplication:
    """The bot. `request` replaces the HTTP transport (the sandbox, in tests and the demo)."""
    from bot import due
    from handlers import register

    engine = engine or create_engine(settings.database_url)
    deps = Deps(
        settings=settings,
        clock=clock or SystemClock(),
        engine=engine,
        sessions=session_factory(engine),
        worker_id=f"{socket.gethostname()}:{os.getpid()}",
    )
    due.register_builtin_kinds(deps)
    token = settings.token.get_secret_value() if settings.token else SANDBOX_TOKEN
    builder = (
        ApplicationBuilder()
        .application_class(TisserandApplication, kwargs={"deps": deps})
        .token(token)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=ZoneInfo(settings.timezone)))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=2))  # type: ignore[arg-type]
    if settings.api_base_url:
        base = settings.api_base_url.rstrip("/")
        builder = builder.base_url(base).base_file_url(base.removesuffix("/bot") + "/file/bot")
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    application = cast(TisserandApplication, builder.build())
    register(application)
    return application


async def _post_init(application: Application) -> None:
    from bot import due
    from handlers.menus import set_command_menus

    app = cast(TisserandApplication, application)
    await set_command_menus(app.bot)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            due.tick_job,
            interval=app.deps.settings.due_interval,
            first=1,
            name="due-work",
            job_kwargs={"max_instances": 1, "coalesce": True},
        )


async def _post_shutdown(application: Application) -> None:
    await cast(TisserandApplication, application).deps.engine.dispose()
