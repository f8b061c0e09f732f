"""Due work: rows with a due time, claimed atomically and run once, whatever restarts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from telegram import Bot
from telegram.ext import ContextTypes

from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.app import Deps

log = logging.getLogger(__name__)

# A claim older than this belongs to a worker that died: the row is taken again
# (TISSERAND_DUE_CLAIM_TTL changes it). A live worker renews its claims every third of it.
CLAIM_TTL = timedelta(minutes=1)
MAX_ATTEMPTS = 5
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
# Handled updates are forgotten after Telegram's own 24-hour redelivery window.
INBOX_KEPT = timedelta(hours=24)
# Rows run at once: enough to keep Telegram's 30 messages a second busy while some chats wait.
CONCURRENCY = 64
# Shortest pause between two passes when more work falls due soon.
MIN_WAIT = 0.05


def claim_ttl(deps: Deps) -> timedelta:
    """How long a claim holds before the row is taken again (its worker died)."""
    return timedelta(seconds=deps.settings.due_claim_ttl)


@dataclass(frozen=True)
class Later:
    """Not now (quiet hours, Telegram asked to wait): run again at `at`, not a failure."""

    at: datetime


@dataclass(frozen=True)
class WorkItem:
    id: int
    key: str
    kind: str
    due_at: datetime
    collective_id: int | None
    payload: dict[str, Any]
    attempts: int


@dataclass
class DueContext:
    deps: Deps
    bot: Bot
    uow: UnitOfWork
    now: datetime
    work: WorkItem


@dataclass
class RunReport:
    done: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


async def schedule(
    uow: UnitOfWork,
    *,
    key: str,
    kind: str,
    due_at: datetime,
    now: datetime,
    collective_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Schedule work once under a stable key; False when that key is already scheduled."""
    return await uow.due.schedule(
        key=key, kind=kind, due_at=due_at, now=now, collective_id=collective_id, payload=payload
    )


def register_builtin_kinds(deps: Deps) -> None:
    """The platform's own kinds; features add theirs through their `Feature.due`."""
    from bot.live import LIVE_REFRESH, refresh
    from bot.notices import NOTIFY_ANIMATORS, send_notice

    deps.due_kinds[NOTIFY_ANIMATORS] = send_notice
    deps.due_kinds[LIVE_REFRESH] = refresh


async def skipped_kinds(deps: Deps) -> frozenset[str]:
    """The kinds this process leaves to others now: the bulk-sending ones, unless it holds the
    lease (always, on SQLite)."""
    if not deps.mass_kinds or deps.lease is None or await deps.lease.held():
        return frozenset()
    return frozenset(deps.mass_kinds)


async def run_due(
    deps: Deps,
    bot: Bot,
    *,
    limit: int = 100,
    concurrency: int = CONCURRENCY,
    skip_kinds: frozenset[str] | None = None,
) -> RunReport:
    """Claim and run every row that is due now, until none is left: batches of `limit` rows
    claimed in one statement, up to `concurrency` rows at once (the sender paces each chat, so
    a throttled group holds up only its own rows). Safe from several processes at once; the
    bulk-sending kinds only in the process holding the lease."""
    report = RunReport()
    skip = await skipped_kinds(deps) if skip_kinds is None else skip_kinds
    now = deps.clock.now()
    async with deps.uow() as uow:
        await uow.inbox.purge(now - INBOX_KEPT)
    places = asyncio.Semaphore(concurrency)
    running: set[asyncio.Task[None]] = set()
    seen: set[int] = set()
    held: set[int] = set()  # claimed by this pass, not yet done or released
    over = asyncio.Event()
    renewing = asyncio.create_task(_renew_claims(deps, held, over))

    async def one(item: WorkItem, at: datetime) -> None:
        try:
            await _run_one(deps, bot, item, at, report)
        finally:
            held.discard(item.id)
            places.release()

    try:
        while True:
            now = deps.clock.now()
            async with deps.uow() as uow:
                rows = await uow.due.claim_batch(
                    now, now - claim_ttl(deps), deps.worker_id, limit, skip_kinds=skip
                )
            again = [row for row in rows if row["id"] in seen]
            if again:
                # Deferred to now by this very pass: it waits for the next one.
                async with deps.uow() as uow:
                    for row in again:
                        await uow.due.release(row["id"], row["due_at"])
                        await uow.due.postpone_attempt(row["id"])
            rows = [row for row in rows if row["id"] not in seen]
            if not rows:
                break
            held.update(row["id"] for row in rows)
            for row in rows:
                seen.add(row["id"])
                item = WorkItem(**{**row, "payload": dict(row["payload"] or {})})
                await places.acquire()
                task = asyncio.create_task(one(item, now))
                running.add(task)
                task.add_done_callback(running.discard)
    finally:
        if running:
            await asyncio.gather(*running, return_exceptions=True)
        over.set()
        await renewing
    return report


async def _renew_claims(deps: Deps, held: set[int], over: asyncio.Event) -> None:
    """Until the pass is `over`, renew this worker's claims on the rows it holds, every third
    of the TTL: a live process keeps its rows however long they take (a group waiting for
    Telegram's limits), and the rows of one that died are taken again within the TTL."""
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(over.wait(), claim_ttl(deps).total_seconds() / 3)
            return
        if not held:
            continue
        try:
            async with deps.uow() as uow:
                await uow.due.renew(held, deps.clock.now(), deps.worker_id)
        except Exception as exc:  # the next renewal tries again, within the TTL
            log.warning("due claims not renewed: %s", type(exc).__name__)


async def drain(deps: Deps, bot: Bot, *, horizon: float) -> RunReport:
    """Run due work continuously: what is due now, then what falls due within `horizon`
    seconds, as it falls due (a reminder deferred by Telegram's 429 goes out when allowed,
    not at the next tick)."""
    report = RunReport()
    # At most one interval long: the next tick takes over (and a clock that does not move,
    # in tests, never keeps it going).
    loop = asyncio.get_running_loop()
    deadline = loop.time() + horizon
    skip = await skipped_kinds(deps)
    while True:
        found = await run_due(deps, bot, skip_kinds=skip)
        report.done += found.done
        report.deferred += found.deferred
        report.failed += found.failed
        async with deps.uow() as uow:
            upcoming = await uow.due.next_due(skip_kinds=skip)
        if upcoming is None:
            return report
        wait = max((upcoming - deps.clock.now()).total_seconds(), MIN_WAIT)
        if loop.time() + wait >= deadline:
            return report
        await asyncio.sleep(wait)


async def _run_one(deps: Deps, bot: Bot, item: WorkItem, now: datetime, report: RunReport) -> None:
    runner = deps.due_kinds.get(item.kind)
    error: str | None = None
    result: object = None
    if runner is None:
        error = f"unknown kind {item.kind!r}"
    else:
        try:
            async with deps.uow() as uow:
                result = await runner(deps, DueContext(deps, bot, uow, now, item))
        except Exception as exc:  # one bad row must not stop the others
            log.warning("due work %s (%s) failed: %s", item.id, item.kind, type(exc).__name__)
            error = type(exc).__name__
    async with deps.uow() as uow:
        if error is not None:
            gave_up = item.attempts >= MAX_ATTEMPTS or runner is None
            retry_at = now + BACKOFF[min(item.attempts, len(BACKOFF)) - 1]
            await uow.due.release(item.id, retry_at, error=error, failed=gave_up)
            report.failed.append(item.key)
        elif isinstance(result, Later):
            await uow.due.release(item.id, result.at)
            await uow.due.postpone_attempt(item.id)
            report.deferred.append(item.key)
        else:
            await uow.due.finish(item.id, now)
            report.done.append(item.key)


async def tick_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The JobQueue only wakes the loop; the rows hold the state."""
    from bot.app import TisserandApplication, deps_of, is_database_error

    deps = deps_of(context)
    try:
        await cast("TisserandApplication", context.application).handle_orphans()
        await drain(deps, context.bot, horizon=deps.settings.due_interval)
    except Exception as exc:
        if not is_database_error(exc):
            log.exception("due-work tick failed")
            return
        # The database is busy or away: the next tick tries again; no traceback every second.
        log.warning("due-work tick skipped: %s", type(exc).__name__)
