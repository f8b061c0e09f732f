"""What every handler shares: the context of an update, replies queued for after the commit,
refusals turned into polite answers, keyboards."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup
from telegram import (
    Bot,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
    User,
)
from telegram.ext import ContextTypes

from bot.app import Deps, current_unit, deps_of
from bot.replies import FollowUp, Outbox, Reply, Sent
from bot.services.errors import Refusal
from bot.services.people import UserInfo, ensure_person, mark_unreachable
from bot.texts import caption, label, language_of, render
from handlers.registry import Registry, pack
from storage.models import Collective, Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# A button is a caption (plain text) and either callback data parts or a URL.
Button = tuple[str, Sequence[object] | str]
Rows = list[list[Button]]

# Telegram's answerCallbackQuery text limit.
TOAST_LIMIT = 200
# Edits that change nothing are not errors.
UNCHANGED = ("message is not modified",)


@dataclass
class Ctx:
    """One update, seen by a handler: who, where, in which language, with which unit of work,
    and the replies it queues (sent after the commit)."""

    update: Update
    context: ContextTypes.DEFAULT_TYPE
    deps: Deps
    uow: UnitOfWork
    outbox: Outbox
    user: User | None
    chat: Chat | None
    person: Person | None
    group_collective: Collective | None
    lang: str
    answered: bool = False
    # The command a choice of collective was asked for (`/chercher laine brute`): set by the
    # choice's button, so the command runs with its words.
    command_text: str | None = None
    # In private, for someone with several collectives: the collective a command runs for and
    # the buttons that run it in the others. A refusal then names it and offers them.
    refused_in: tuple[str, Rows] | None = None

    @property
    def now(self) -> datetime:
        return self.deps.clock.now()

    @property
    def registry(self) -> Registry:
        assert self.deps.registry is not None
        return self.deps.registry

    @property
    def is_private(self) -> bool:
        return self.chat is not None and self.chat.type == Chat.PRIVATE

    @property
    def me(self) -> Person:
        if self.person is None:
            raise Refusal("stale_button")
        return self.person

    @property
    def command_rest(self) -> str:
        """What follows the command: « laine brute » for `/chercher laine brute`, also when
        the command runs after a choice of collective; empty for a button."""
        text = self.command_text
        if text is None:
            message = self.update.message
            text = message.text if message is not None and message.text else ""
        if not text.startswith("/"):
            return ""
        parts = text.split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""

    @property
    def args(self) -> list[str]:
        """The command's words, as PTB splits them."""
        return self.command_rest.split()

    @property
    def person_lang(self) -> str:
        return language_of(self.user.language_code if self.user else None)

    @property
    def bot(self) -> Bot:
        return self.context.bot

    def text(self, name: str, /, **params: Any) -> str:
        return render(name, self.lang, **params)

    def label(self, name: str, /, **params: Any) -> str:
        """A short text for inside a message (HTML-escaped)."""
        return label(name, self.lang, **params)

    def caption(self, name: str, /, **params: Any) -> str:
        """A button's text (plain: Telegram shows it as it is)."""
        return caption(name, self.lang, **params)

    # --- reading from Telegram

    async def ask_telegram(self, call: Callable[[Bot], Awaitable[Any]]) -> Any:
        """A request whose answer the handler needs now (is this person in the group?). The
        open transaction ends first: only idempotent work (the person's refresh) may come
        before a call like this."""
        await self.uow.checkpoint()
        return await call(self.bot)

    # --- replies, sent after the commit

    def queue(
        self,
        call: Callable[[Bot], Awaitable[Any]],
        what: str,
        *,
        first: bool = False,
        then: FollowUp | None = None,
        harmless: tuple[str, ...] = (),
    ) -> None:
        self.outbox.add(Reply(call, what, first=first, then=then, harmless=harmless))

    def say(
        self,
        name: str,
        buttons: Rows | None = None,
        /,
        *,
        then: FollowUp | None = None,
        quote: bool = False,
        **params: Any,
    ) -> None:
        """Answer in the chat the update came from (in its forum topic, if any); `quote`
        answers the person's message as a reply to it."""
        text = self.text(name, **params)
        markup = keyboard(buttons)
        message = self.update.effective_message
        do_quote = quote and self.update.message is not None
        if quote and self.update.message is None and self.command_text is not None:
            # Run from a choice of collective: answer the command the choice answered, so the
            # answer's own buttons find its words there too.
            asked = getattr(message, "reply_to_message", None)
            if asked is not None:
                message, do_quote = asked, True
        if message is not None:
            target = message
            self.queue(
                lambda bot: target.reply_text(text, reply_markup=markup, do_quote=do_quote),
                name,
                then=self._unless_blocked(then),
            )
        elif self.chat is not None:
            chat_id = self.chat.id
            self.queue(
                lambda bot: bot.send_message(chat_id, text, reply_markup=markup),
                name,
                then=self._unless_blocked(then),
            )

    def show(self, name: str, buttons: Rows | None = None, /, *, edit: bool, **params: Any) -> None:
        """A list's page: in place of the pressed message (`edit`), or as a new message."""
        if edit:
            self.edit(name, buttons, **params)
        else:
            self.say(name, buttons, **params)

    def edit(self, name: str, buttons: Rows | None = None, /, **params: Any) -> None:
        """Replace the message whose button was pressed."""
        self.edit_html(self.text(name, **params), buttons)

    def edit_html(self, text: str, buttons: Rows | None = None) -> None:
        query = self.update.callback_query
        if query is None or query.message is None:
            return
        markup = keyboard(buttons)
        self.queue(
            lambda bot: query.edit_message_text(text, reply_markup=markup),
            "edit",
            harmless=UNCHANGED,
        )

    def edit_markup(self, buttons: Rows | None) -> None:
        """Change (or, with None, remove) the buttons of the message whose button was pressed."""
        query = self.update.callback_query
        if query is None or query.message is None:
            return
        markup = keyboard(buttons)
        self.queue(
            lambda bot: query.edit_message_reply_markup(markup), "buttons", harmless=UNCHANGED
        )

    def edit_markup_off(self) -> None:
        self.edit_markup(None)

    def toast(self, name: str, /, *, alert: bool = False, **params: Any) -> None:
        query = self.update.callback_query
        if query is not None and not self.answered:
            self.answered = True
            text = _plain(self.text(name, **params))[:TOAST_LIMIT]
            self.queue(lambda bot: query.answer(text, show_alert=alert), "toast", first=True)

    def ack(self) -> None:
        """Stop the button's spinner, with no text."""
        query = self.update.callback_query
        if query is not None and not self.answered:
            self.answered = True
            self.queue(lambda bot: query.answer(), "ack", first=True)

    def private(
        self,
        name: str,
        buttons: Rows | None = None,
        /,
        *,
        then: FollowUp | None = None,
        **params: Any,
    ) -> None:
        """Write to the person in private, in their language. A refusal (never started,
        blocked) marks them unreachable; `then` learns how it went."""
        self.private_html(render(name, self.person_lang, **params), buttons, then=then, what=name)

    def private_html(
        self,
        text: str,
        buttons: Rows | None = None,
        *,
        then: FollowUp | None = None,
        what: str = "question",
    ) -> None:
        if self.user is None:
            return
        user_id = self.user.id
        markup = keyboard(buttons)
        self.queue(
            lambda bot: bot.send_message(user_id, text, reply_markup=markup),
            what,
            then=self._unless_blocked(then, user_id),
        )

    def tell(
        self,
        person: Person,
        name: str,
        buttons: Rows | None = None,
        /,
        **params: Any,
    ) -> None:
        """Write in private to someone other than the person acting (whose role changed, who
        left the group), in their language; skipped when they are known to be unreachable."""
        if person.unreachable_since is not None:
            return
        text = render(name, person.language, **params)
        markup = keyboard(buttons)
        chat_id = person.telegram_id
        self.queue(
            lambda bot: bot.send_message(chat_id, text, reply_markup=markup),
            name,
            then=self._unless_blocked(None, chat_id),
        )

    def post_group(
        self,
        collective: Collective,
        name: str,
        buttons: Rows | None = None,
        /,
        *,
        then: FollowUp | None = None,
        **params: Any,
    ) -> None:
        """Post in the collective's group (its topic, in a forum), in the collective's language."""
        text = render(name, collective.language, **params)
        markup = keyboard(buttons)
        chat_id, thread = collective.chat_id, collective.thread_id
        self.queue(
            lambda bot: bot.send_message(
                chat_id, text, reply_markup=markup, message_thread_id=thread
            ),
            name,
            then=then,
        )

    def _unless_blocked(self, then: FollowUp | None, user_id: int | None = None) -> FollowUp | None:
        """In private, a 403 means the person blocked the bot (or never started it)."""
        if user_id is None:
            if not self.is_private or self.user is None:
                return then
            user_id = self.user.id
        deps, target = self.deps, user_id

        async def after(sent: Sent) -> None:
            if sent.blocked:
                async with deps.uow() as uow:
                    await mark_unreachable(uow, target, deps.clock.now())
            if then is not None:
                await then(sent)

        return after

    def deep_link(self, payload: str) -> str:
        return f"https://t.me/{self.bot.username}?start={payload}"

    def private_link_button(self, payload: str) -> Rows:
        """A button that opens the private chat with the bot at `payload`."""
        return [[(self.caption("open_private"), self.deep_link(payload))]]


def keyboard(rows: Rows | None) -> InlineKeyboardMarkup | None:
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


def _plain(html: str) -> str:
    """A toast shows plain text: drop the tags, undo the escaping."""
    import re
    from html import unescape

    return unescape(re.sub(r"<[^>]+>", "", html))


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
    unit = current_unit()
    uow = unit.uow
    user = update.effective_user
    chat = update.effective_chat
    person = None
    group_collective = None
    in_group = chat is not None and chat.type in (Chat.GROUP, Chat.SUPERGROUP)
    known = False
    if user is not None and not user.is_bot:
        private = chat is not None and chat.type == Chat.PRIVATE
        # One statement: the person and, in a group, its collective and their membership;
        # in private, their conversations.
        found, group_collective = await uow.people.context(
            user.id,
            group_chat_id=chat.id if in_group and chat is not None else None,
            memberships=uow.memberships,
            conversations=uow.conversations if private else None,
        )
        known = found is not None
        person = await ensure_person(uow, user_info(user), deps.clock.now(), reachable=private)
    if in_group and chat is not None:
        if not known:
            group_collective = await uow.collectives.by_chat(chat.id)
        lang = group_collective.language if group_collective else deps.settings.locale
    else:
        lang = language_of(user.language_code if user else None)
    return Ctx(update, context, deps, uow, unit.outbox, user, chat, person, group_collective, lang)


def handler(
    fn: HandlerFn,
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """Wrap a feature handler: build its context; a Refusal undoes what the handler wrote and
    becomes a polite answer."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        ctx = await make_ctx(update, context)
        try:
            await fn(ctx)
        except Refusal as refusal:
            if not refusal.keep:
                await ctx.uow.rollback()
            ctx.outbox.clear()
            ctx.answered = False
            answer_refusal(ctx, refusal)
        else:
            ctx.ack()

    return wrapper


def answer_refusal(ctx: Ctx, refusal: Refusal) -> None:
    name = f"refusals/{refusal.code}"
    if ctx.update.callback_query is not None:
        ctx.toast(name, alert=True, **refusal.params)
    elif ctx.refused_in is not None:
        # Someone with several collectives may have meant another one: name this one, and
        # offer the others (a reply to the command, so their buttons keep its words).
        title, others = ctx.refused_in
        text = Markup(ctx.text(name, **refusal.params))
        ctx.say("refused_in_collective", others, quote=True, refusal=text, title=title)
    else:
        ctx.say(name, **refusal.params)
