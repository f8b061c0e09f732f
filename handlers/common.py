"""What every handler shares: the per-update context, rendering, refusals, callback data."""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from bot.app import Deps, current_uow, deps_of
from bot.services.errors import Refusal
from bot.services.people import UserInfo, ensure_person, mark_unreachable
from bot.texts import label, language_of, render
from storage.models import Collective, Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

CALLBACK_VERSION = "1"
# A button is a label and either callback data parts or a URL.
Button = tuple[str, Sequence[object] | str]


@dataclass
class Ctx:
    """One update, seen by a handler: who, where, in which language, with which unit of work."""

    update: Update
    context: ContextTypes.DEFAULT_TYPE
    deps: Deps
    uow: UnitOfWork
    user: User | None
    chat: Chat | None
    person: Person | None
    group_collective: Collective | None
    lang: str
    answered: bool = False

    @property
    def now(self) -> Any:
        return self.deps.clock.now()

    @property
    def is_private(self) -> bool:
        return self.chat is not None and self.chat.type == Chat.PRIVATE

    @property
    def me(self) -> Person:
        assert self.person is not None
        return self.person

    def text(self, name: str, /, **params: object) -> str:
        return render(name, self.lang, **params)

    def label(self, name: str, /, **params: object) -> str:
        return label(name, self.lang, **params)

    async def say(
        self, name: str, buttons: list[list[Button]] | None = None, /, **params: object
    ) -> Message | None:
        """Answer in the chat the update came from (in its forum topic, if any)."""
        message = self.update.effective_message
        if message is None or self.chat is None:
            return None
        return await message.reply_text(
            self.text(name, **params), reply_markup=keyboard(buttons), do_quote=False
        )

    async def edit(
        self, name: str, buttons: list[list[Button]] | None = None, /, **params: object
    ) -> None:
        """Replace the message whose button was pressed."""
        query = self.update.callback_query
        if query is None:
            return
        try:
            await query.edit_message_text(self.text(name, **params), reply_markup=keyboard(buttons))
        except BadRequest as exc:
            if "not modified" not in exc.message:
                raise

    async def edit_markup_off(self) -> None:
        """Remove the buttons of an answered question, so they cannot be pressed twice."""
        query = self.update.callback_query
        if query is None or query.message is None:
            return
        with contextlib.suppress(BadRequest):
            await query.edit_message_reply_markup(None)

    async def post_group(
        self,
        collective: Collective,
        name: str,
        buttons: list[list[Button]] | None = None,
        /,
        **params: object,
    ) -> Message:
        """Post in the collective's group (its topic, in a forum), in the collective's language."""
        return await self.context.bot.send_message(
            collective.chat_id,
            render(name, collective.language, **params),
            reply_markup=keyboard(buttons),
            message_thread_id=collective.thread_id,
        )

    async def toast(self, name: str, /, *, alert: bool = False, **params: object) -> None:
        query = self.update.callback_query
        if query is not None and not self.answered:
            self.answered = True
            await query.answer(self.text(name, **params)[:200], show_alert=alert)

    async def ack(self) -> None:
        """Stop the button's spinner, with no text."""
        query = self.update.callback_query
        if query is not None and not self.answered:
            self.answered = True
            await query.answer()

    async def private(
        self,
        name: str,
        buttons: list[list[Button]] | None = None,
        /,
        **params: object,
    ) -> bool:
        """Write to the user in private. False when Telegram refuses (never started, blocked)."""
        if self.user is None:
            return False
        try:
            await self.context.bot.send_message(
                self.user.id,
                render(name, self.person_lang, **params),
                reply_markup=keyboard(buttons),
            )
        except Forbidden:
            await mark_unreachable(self.uow, self.user.id, self.now)
            return False
        return True

    @property
    def person_lang(self) -> str:
        return language_of(self.user.language_code if self.user else None)

    def deep_link(self, payload: str) -> str:
        return f"https://t.me/{self.context.bot.username}?start={payload}"


def keyboard(rows: list[list[Button]] | None) -> InlineKeyboardMarkup | None:
    rows = [row for row in rows or [] if row]
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(text, url=target)
                if isinstance(target, str)
                else InlineKeyboardButton(text, callback_data=pack(*target))
                for text, target in row
            ]
            for row in rows
        ]
    )


def pack(*parts: object) -> str:
    """Callback data: `1|kind|arg|…`, short and versioned, never trusted on the way back."""
    data = "|".join([CALLBACK_VERSION, *(str(p) for p in parts)])
    if len(data.encode()) > 64:
        raise ValueError(f"callback data too long: {data!r}")
    return data


def unpack(data: str | None) -> list[str] | None:
    if not data:
        return None
    parts = data.split("|")
    if len(parts) < 2 or parts[0] != CALLBACK_VERSION:
        return None
    return parts[1:]


def user_info(user: User) -> UserInfo:
    return UserInfo(
        telegram_id=user.id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )


HandlerFn = Callable[[Ctx], Awaitable[None]]


async def make_ctx(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Ctx:
    deps = deps_of(context)
    uow = current_uow()
    user = update.effective_user
    chat = update.effective_chat
    person = None
    if user is not None and not user.is_bot:
        private = chat is not None and chat.type == Chat.PRIVATE
        person = await ensure_person(uow, user_info(user), deps.clock.now(), reachable=private)
    group_collective = None
    if chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP):
        group_collective = await uow.collectives.by_chat(chat.id)
        lang = group_collective.language if group_collective else deps.settings.locale
    else:
        lang = language_of(user.language_code if user else None)
    return Ctx(update, context, deps, uow, user, chat, person, group_collective, lang)


def handler(
    fn: HandlerFn,
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """Wrap a feature handler: build its context; a Refusal becomes a polite answer."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        ctx = await make_ctx(update, context)
        try:
            await fn(ctx)
        except Refusal as refusal:
            await answer_refusal(ctx, refusal)

    return wrapper


async def answer_refusal(ctx: Ctx, refusal: Refusal) -> None:
    name = f"refusals/{refusal.code}"
    if ctx.update.callback_query is not None:
        await ctx.toast(name, alert=True, **refusal.params)
    else:
        await ctx.say(name, **refusal.params)
