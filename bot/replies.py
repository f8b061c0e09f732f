"""What the bot says in answer to an update, sent only after the update's changes are committed.

Handlers queue replies; the application sends them once the unit of work has committed, so no
request to Telegram ever runs while a write lock is held, and a reply that fails never undoes
what the user already saw saved. Callback answers go first (a late one fails with « query is
too old »). A reply may carry a follow-up that depends on how the send went; the follow-up's
own replies are sent right after it, before the rest of the queue.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, TelegramError

log = logging.getLogger(__name__)


@dataclass
class Sent:
    """How a reply went: `result` is what Telegram answered (a Message, True…), or None."""

    ok: bool
    result: Any = None
    error: TelegramError | None = None

    @property
    def message(self) -> Message | None:
        return self.result if isinstance(self.result, Message) else None

    @property
    def blocked(self) -> bool:
        return isinstance(self.error, Forbidden)


FollowUp = Callable[[Sent], Awaitable[None]]


@dataclass
class Reply:
    call: Callable[[Bot], Awaitable[Any]]
    # A short label for the logs (never the text: it may quote what a user typed).
    what: str
    first: bool = False
    then: FollowUp | None = None
    # BadRequest descriptions that mean "nothing to do" (e.g. an edit with the same content).
    harmless: tuple[str, ...] = ()


@dataclass
class Outbox:
    """The replies of one update, in the order they were queued."""

    replies: list[Reply] = field(default_factory=list)

    def add(self, reply: Reply) -> None:
        self.replies.append(reply)

    def clear(self) -> None:
        self.replies.clear()

    def take(self) -> list[Reply]:
        taken, self.replies = self.replies, []
        return taken

    def __bool__(self) -> bool:
        return bool(self.replies)


async def deliver(bot: Bot, outbox: Outbox) -> list[Sent]:
    """Send every queued reply; follow-ups run as their reply is known, and whatever they
    queue is sent next. One failed reply never stops the others."""
    queue = deque(sorted(outbox.take(), key=lambda r: not r.first))
    outcomes: list[Sent] = []
    while queue:
        reply = queue.popleft()
        outcome = await _attempt(bot, reply)
        outcomes.append(outcome)
        if reply.then is not None:
            try:
                await reply.then(outcome)
            except Exception:
                log.exception("follow-up of %s failed", reply.what)
            queue.extendleft(reversed(outbox.take()))
    return outcomes


async def _attempt(bot: Bot, reply: Reply) -> Sent:
    try:
        return Sent(True, await reply.call(bot))
    except BadRequest as exc:
        if any(text in exc.message for text in reply.harmless):
            return Sent(True, None)
        log.warning("reply %s refused by Telegram: %s", reply.what, exc.message)
        return Sent(False, error=exc)
    except TelegramError as exc:
        log.warning("reply %s failed: %s", reply.what, type(exc).__name__)
        return Sent(False, error=exc)
