"""Group messages kept up to date: a survey's « 12 réponses sur 30 », a vote's participation,
a meeting's « Je viens » counts, a date poll's table.

Services say what changed (`touch`); due work redraws the message with the feature's renderer
and edits it, at most once a minute and only when what it shows changed: every edit spends
the group's budget of 20 messages a minute. The first post goes through the sender (once per
key); edits run with no transaction open, like every request to Telegram.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.sender import Sender
from storage.models import Collective, LiveMessage
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.app import Deps
    from bot.due import DueContext

log = logging.getLogger(__name__)

LIVE_REFRESH = "live_refresh"
MIN_GAP = timedelta(minutes=1)


async def open_live(
    uow: UnitOfWork,
    *,
    key: str,
    kind: str,
    subject_id: int,
    collective: Collective,
    now: datetime,
) -> None:
    """Post a live message in the collective's group (its topic), soon, through due work."""
    if await uow.live.get(key) is not None:
        return
    uow.live.add(
        LiveMessage(
            key=key,
            kind=kind,
            subject_id=subject_id,
            collective_id=collective.id,
            chat_id=collective.chat_id,
            thread_id=collective.thread_id,
            closed=False,
            touched=1,
            drawn=0,
            created_at=now,
        )
    )
    await uow.live.flush()
    await _schedule(uow, key, collective.id, 0, now, now)


async def touch(uow: UnitOfWork, key: str, now: datetime, *, final: bool = False) -> None:
    """What the message shows may have changed: redraw it, a minute after its last edit at the
    earliest. `final`: one last redraw, then the message stays as it is."""
    live = await uow.live.get(key)
    if live is None or live.closed:
        return
    if final:
        live.closed = True
    live.touched += 1
    at = now if live.edited_at is None else max(now, live.edited_at + MIN_GAP)
    await _schedule(uow, key, live.collective_id, live.drawn, at, now)


async def _schedule(
    uow: UnitOfWork, key: str, collective_id: int | None, drawn: int, at: datetime, now: datetime
) -> None:
    # Every change since the last drawing shares one row: it draws the latest state.
    await uow.due.schedule(
        key=f"live:{key}:{drawn}",
        kind=LIVE_REFRESH,
        due_at=at,
        now=now,
        collective_id=collective_id,
        payload={"key": key},
    )


def digest(text: str, markup: InlineKeyboardMarkup | None) -> str:
    shown = json.dumps([text, markup.to_dict() if markup else None], sort_keys=True)
    return hashlib.sha256(shown.encode()).hexdigest()


async def refresh(deps: Deps, due: DueContext) -> object:
    """The due work: draw the message, post it the first time, then edit it when it changed."""
    from bot.due import Later

    uow, now = due.uow, due.now
    live = await uow.live.get(str(due.work.payload["key"]))
    if live is None or deps.registry is None:
        return None
    # Changes announced from here on get a drawing of their own.
    drawing = live.touched
    render = deps.registry.live.get(live.kind)
    collective = await uow.collectives.get(live.collective_id or 0)
    if render is None or collective is None:
        return None
    drawn: Any = await render(uow, live.subject_id, collective.language)
    if drawn is None:
        return None
    text, markup = drawn
    shown = digest(text, markup)
    if live.message_id is None:
        outcome = await Sender(due.bot, uow, now).send(
            f"live:{live.key}", live.chat_id, text, reply_markup=markup, thread_id=live.thread_id
        )
        if outcome.status == "later" and outcome.retry_at is not None:
            return Later(outcome.retry_at)
        live = await uow.live.get(live.key)
        if live is not None and outcome.message_id is not None:
            live.message_id, live.shown, live.edited_at = outcome.message_id, shown, now
            await _drawn(uow, live, drawing, now)
        return None
    if shown == live.shown:
        await _drawn(uow, live, drawing, now)
        return None
    if live.edited_at is not None and now < live.edited_at + MIN_GAP:
        return Later(live.edited_at + MIN_GAP)
    chat_id, message_id, key = live.chat_id, live.message_id, live.key
    await uow.commit()  # no transaction open while Telegram is asked
    try:
        await due.bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
    except RetryAfter as exc:
        wait = exc.retry_after
        return Later(now + (wait if isinstance(wait, timedelta) else timedelta(seconds=wait)))
    except (BadRequest, Forbidden) as exc:
        if "not modified" not in str(exc):
            # The message was deleted, or the bot left the group: stop keeping it up to date.
            log.info("live message %s can no longer be edited: %s", key, type(exc).__name__)
            live = await uow.live.get(key)
            if live is not None:
                live.closed = True
            return None
    except TelegramError as exc:
        log.warning("live message %s not edited: %s", key, type(exc).__name__)
        raise
    live = await uow.live.get(key)
    if live is not None:
        live.shown, live.edited_at = shown, now
        await _drawn(uow, live, drawing, now)
    return None


async def _drawn(uow: UnitOfWork, live: LiveMessage, drawing: int, now: datetime) -> None:
    """Mark the changes up to `drawing` as shown; later ones (announced while this drawing was
    made) get another row."""
    live.drawn = drawing
    if live.touched > drawing:
        at = now if live.edited_at is None else max(now, live.edited_at + MIN_GAP)
        await _schedule(uow, live.key, live.collective_id, drawing, at, now)
