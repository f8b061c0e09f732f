"""The one way out for messages the bot starts on its own: reminders, results, digests.

It keeps a delivery row per message key, so a message is never sent twice, even across
restarts; it honours quiet hours and Telegram's 429, marks people who blocked the bot, and
never resends a message whose outcome is unknown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import Bot, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ExtBot

from bot.pacing import Pacing
from storage.models import Delivery
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

RETRY_AFTER_NETWORK_ERROR = timedelta(minutes=2)
# Telegram's limit on a document's or a photo's caption.
CAPTION_LIMIT = 1024


@dataclass(frozen=True)
class QuietHours:
    timezone: str
    start: int = 21 * 60  # minutes after local midnight
    end: int = 8 * 60

    def next_allowed(self, now: datetime) -> datetime | None:
        """None when sending now is fine, else the local morning when it becomes fine."""
        local = now.astimezone(ZoneInfo(self.timezone))
        minute = local.hour * 60 + local.minute
        if self.start == self.end:
            return None
        quiet = (
            self.start <= minute < self.end
            if self.start < self.end
            else minute >= self.start or minute < self.end
        )
        if not quiet:
            return None
        day = local.date() if minute < self.end else local.date() + timedelta(days=1)
        morning = datetime.combine(
            day, time(self.end // 60, self.end % 60), tzinfo=ZoneInfo(self.timezone)
        )
        return morning


@dataclass(frozen=True)
class Outcome:
    """sent, already (sent before), uncertain, unreachable, failed, later."""

    status: str
    retry_at: datetime | None = None
    message_id: int | None = None


class Sender:
    def __init__(self, bot: Bot, uow: UnitOfWork, now: datetime) -> None:
        self.bot = bot
        self.uow = uow
        self.now = now

    async def send(
        self,
        key: str,
        chat_id: int,
        text: str,
        *,
        quiet: QuietHours | None = None,
        urgent: bool = False,
        reply_markup: InlineKeyboardMarkup | None = None,
        thread_id: int | None = None,
        document: tuple[str, bytes] | None = None,
        photo: bytes | None = None,
    ) -> Outcome:
        """Send once under `key`: a message, or a document (file name, content) or a photo with
        `text` as its caption (1,024 characters at most). Commits the unit of work around the
        call to Telegram."""
        if (document is not None or photo is not None) and len(text) > CAPTION_LIMIT:
            raise ValueError(f"caption of {len(text)} characters for {key!r}")
        previous = await self.uow.deliveries.get(key)
        if previous is not None and previous.status in {"sent", "uncertain", "unreachable"}:
            return Outcome("already", message_id=previous.message_id)
        if previous is not None and previous.status == "sending":
            # A worker died mid-send: Telegram may have the message. Do not send it twice.
            previous.status = "uncertain"
            await self.uow.commit()
            return Outcome("already")
        if quiet is not None and not urgent:
            morning = quiet.next_allowed(self.now)
            if morning is not None:
                return Outcome("later", retry_at=morning)

        pacing = self.bot.rate_limiter if isinstance(self.bot, ExtBot) else None
        if isinstance(pacing, Pacing):
            # Wait for Telegram's limits before marking: a process that dies while it waits
            # leaves the message unmarked, to be sent by the next one (and no transaction
            # stays open meanwhile).
            await self.uow.commit()
            await pacing.reserve(chat_id)
            try:
                return await self._deliver(
                    key, chat_id, text, reply_markup, thread_id, document, photo
                )
            finally:
                pacing.release()
        return await self._deliver(key, chat_id, text, reply_markup, thread_id, document, photo)

    async def _deliver(
        self,
        key: str,
        chat_id: int,
        text: str,
        reply_markup: InlineKeyboardMarkup | None,
        thread_id: int | None,
        document: tuple[str, bytes] | None,
        photo: bytes | None,
    ) -> Outcome:
        delivery = await self.uow.deliveries.start(key, chat_id, self.now)
        # The "sending" mark must be durable before the request leaves.
        await self.uow.commit()
        try:
            if photo is not None:
                message = await self.bot.send_photo(
                    chat_id,
                    photo,
                    caption=text or None,
                    reply_markup=reply_markup,
                    message_thread_id=thread_id,
                )
            elif document is not None:
                name, content = document
                message = await self.bot.send_document(
                    chat_id,
                    InputFile(content, filename=name),
                    caption=text or None,
                    reply_markup=reply_markup,
                    message_thread_id=thread_id,
                )
            else:
                message = await self.bot.send_message(
                    chat_id, text, reply_markup=reply_markup, message_thread_id=thread_id
                )
        except TimedOut:
            return await self._close(delivery, "uncertain", "timeout", Outcome("uncertain"))
        except RetryAfter as exc:
            retry = self.now + _seconds(exc.retry_after)
            return await self._close(delivery, "pending", "429", Outcome("later", retry_at=retry))
        except Forbidden:
            person = await self.uow.people.by_telegram_id(chat_id)
            if person is not None and person.unreachable_since is None:
                person.unreachable_since = self.now
            return await self._close(delivery, "unreachable", "403", Outcome("unreachable"))
        except ChatMigrated as exc:
            collective = await self.uow.collectives.by_chat(chat_id)
            if collective is not None:
                collective.chat_id = exc.new_chat_id
            retry = self.now
            return await self._close(delivery, "pending", "migrated", Outcome("later", retry))
        except BadRequest as exc:
            log.warning("delivery %s refused by Telegram: %s", key, exc.message)
            return await self._close(delivery, "failed", exc.message[:300], Outcome("failed"))
        except NetworkError:
            retry = self.now + RETRY_AFTER_NETWORK_ERROR
            return await self._close(delivery, "pending", "network", Outcome("later", retry))
        delivery.message_id = message.message_id
        return await self._close(
            delivery, "sent", None, Outcome("sent", message_id=message.message_id)
        )

    async def _close(
        self, delivery: Delivery, status: str, error: str | None, out: Outcome
    ) -> Outcome:
        delivery.status = status
        delivery.error = error
        delivery.updated_at = self.now
        await self.uow.commit()
        return out


def _seconds(value: int | timedelta) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)
