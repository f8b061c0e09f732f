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

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from bot.last_byte import marked_before_last_byte
from bot.pacing import Pacing
from storage.models import Collective, Delivery
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

    @classmethod
    def of(cls, collective: Collective) -> QuietHours:
        """The collective's own quiet hours."""
        return cls(collective.timezone, collective.quiet_start, collective.quiet_end)

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

        message = _Message(chat_id, text, reply_markup, thread_id, document, photo)
        pacing = self.bot.rate_limiter if isinstance(self.bot, ExtBot) else None
        if isinstance(pacing, Pacing):
            # Wait for Telegram's limits before marking: a process that dies while it waits
            # leaves the message unmarked, to be sent by the next one (and no transaction
            # stays open meanwhile).
            await self.uow.commit()
            await pacing.reserve(chat_id)
            try:
                return await self._deliver(key, message)
            finally:
                pacing.release()
        return await self._deliver(key, message)

    async def _deliver(self, key: str, message: _Message) -> Outcome:
        mark = _Mark(self.uow, key, message.chat_id, self.now)
        try:
            # Marked « sending » once the request is written but for its last byte.
            async with marked_before_last_byte(self.bot, mark):
                sent = await message.send(self.bot)
        except TelegramError as exc:
            if mark.error is not None:
                raise mark.error from exc  # the database failed, not Telegram
            if mark.delivery is None:
                # Never marked, so its request never went whole: Telegram does not have it.
                return Outcome("later", retry_at=self.now + RETRY_AFTER_NETWORK_ERROR)
            return await self._failed(key, mark.delivery, exc)
        delivery = mark.delivery
        assert delivery is not None  # Telegram answered: the whole request went, marked
        delivery.message_id = sent.message_id
        return await self._close(
            delivery, "sent", None, Outcome("sent", message_id=sent.message_id)
        )

    async def _failed(self, key: str, delivery: Delivery, exc: TelegramError) -> Outcome:
        """What Telegram's refusal, or not knowing, means for a message marked « sending »."""
        if isinstance(exc, TimedOut):
            return await self._close(delivery, "uncertain", "timeout", Outcome("uncertain"))
        if isinstance(exc, RetryAfter):
            retry = self.now + _seconds(exc.retry_after)
            return await self._close(delivery, "pending", "429", Outcome("later", retry_at=retry))
        if isinstance(exc, Forbidden):
            person = await self.uow.people.by_telegram_id(delivery.chat_id)
            if person is not None and person.unreachable_since is None:
                person.unreachable_since = self.now
            return await self._close(delivery, "unreachable", "403", Outcome("unreachable"))
        if isinstance(exc, ChatMigrated):
            collective = await self.uow.collectives.by_chat(delivery.chat_id)
            if collective is not None:
                collective.chat_id = exc.new_chat_id
            retry = self.now
            return await self._close(delivery, "pending", "migrated", Outcome("later", retry))
        if isinstance(exc, BadRequest):
            log.warning("delivery %s refused by Telegram: %s", key, exc.message)
            return await self._close(delivery, "failed", exc.message[:300], Outcome("failed"))
        if isinstance(exc, NetworkError):
            retry = self.now + RETRY_AFTER_NETWORK_ERROR
            return await self._close(delivery, "pending", "network", Outcome("later", retry))
        raise exc

    async def _close(
        self, delivery: Delivery, status: str, error: str | None, out: Outcome
    ) -> Outcome:
        delivery.status = status
        delivery.error = error
        delivery.updated_at = self.now
        await self.uow.commit()
        return out


@dataclass(frozen=True)
class _Message:
    chat_id: int
    text: str
    reply_markup: InlineKeyboardMarkup | None
    thread_id: int | None
    document: tuple[str, bytes] | None  # file name, content; `text` is the caption
    photo: bytes | None

    async def send(self, bot: Bot) -> Message:
        caption = self.text or None
        if self.photo is not None:
            return await bot.send_photo(
                self.chat_id,
                self.photo,
                caption=caption,
                reply_markup=self.reply_markup,
                message_thread_id=self.thread_id,
            )
        if self.document is not None:
            name, content = self.document
            return await bot.send_document(
                self.chat_id,
                InputFile(content, filename=name),
                caption=caption,
                reply_markup=self.reply_markup,
                message_thread_id=self.thread_id,
            )
        return await bot.send_message(
            self.chat_id,
            self.text,
            reply_markup=self.reply_markup,
            message_thread_id=self.thread_id,
        )


class _Mark:
    """Marks a message « sending », once (a request retried after a 429 asks again)."""

    def __init__(self, uow: UnitOfWork, key: str, chat_id: int, now: datetime) -> None:
        self.uow, self.key, self.chat_id, self.now = uow, key, chat_id, now
        self.delivery: Delivery | None = None  # once the mark is committed
        self.error: Exception | None = None

    async def __call__(self) -> None:
        if self.delivery is not None:
            return
        try:
            delivery = await self.uow.deliveries.start(self.key, self.chat_id, self.now)
            await self.uow.commit()
        except Exception as exc:
            self.error = exc
            raise
        self.delivery = delivery


def _seconds(value: int | timedelta) -> timedelta:
    return value if isinstance(value, timedelta) else timedelta(seconds=value)
