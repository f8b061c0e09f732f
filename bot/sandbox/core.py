"""`Sandbox`: an in-memory Telegram for one bot, without any network.

`Sandbox.call` answers Bot API methods exactly as Telegram's HTTP API would (status code and
JSON body), so the real PTB `Application` can run against it through `SandboxRequest`
(in-process) or `serve()` (HTTP on loopback). The rest of the class builds the world (users,
groups, topics), acts as those users (messages, button presses, deep links, documents,
joins) and lets tests inspect what the bot did and inject Telegram failures.

`Sandbox` is a facade over parts split by responsibility:

- `world.World`: the chats and users it holds (state, ids, the update queue, files);
- `api.BotApi`: the Bot API's rules, answering `call()` (validation, errors, injected
  failures, and Telegram's flood limits from `ratelimit` when `rate_limits=True`) and
  recording what the bot did;
- `scene.Scenery` (mixin): setting the scene (users, groups, admins, topics, migrations);
- `people.UserActions` (mixin): the simulated people's actions (send_text, press, join...);
- `events`: the ordered log of what the bot and the people did (`Sandbox.events`);
- `persistence`: `save_state`/`load_state`, so a restarted shell continues where it was.

The sandbox is driven from one asyncio event loop. Only the long-poll wake-up is thread-safe,
so a helper thread may act as users while a loop polls (as `tisserand shell` may do).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.sandbox.api import BotApi, SandboxTimeout
from bot.sandbox.events import Event
from bot.sandbox.failures import FailureKind
from bot.sandbox.people import UserActions
from bot.sandbox.persistence import dump_state, read_state, restore_state, write_state
from bot.sandbox.ratelimit import RateLimiter
from bot.sandbox.scene import Scenery
from bot.sandbox.world import (
    ANONYMOUS_ADMIN_ID,
    SandboxChat,
    SandboxError,
    SandboxMessage,
    SandboxUser,
    World,
)

__all__ = [
    "ANONYMOUS_ADMIN_ID",
    "FailureKind",
    "Sandbox",
    "SandboxChat",
    "SandboxError",
    "SandboxMessage",
    "SandboxTimeout",
    "SandboxUser",
]


class Sandbox(Scenery, UserActions):
    """An in-memory Telegram: the Bot API for one bot, plus users that can act on it."""

    def __init__(
        self,
        *,
        bot_id: int = 7000000001,
        bot_username: str = "tisserand_bot",
        bot_name: str = "Tisserand",
        now: Callable[[], datetime] | None = None,
        privacy_mode: bool = True,
        strict_html: bool = True,
        rate_limits: bool = False,
    ) -> None:
        """`rate_limits`: answer 429 like Telegram when the bot sends too fast (`ratelimit`).

        Off by default: the harness's clock stands still, so every message would be "at once".
        """
        bot = SandboxUser(
            id=bot_id, first_name=bot_name, username=bot_username, language_code=None, is_bot=True
        )
        self.world = World(
            bot=bot, now=now or (lambda: datetime.now(UTC)), privacy_mode=privacy_mode
        )
        self.api = BotApi(self.world, strict_html=strict_html, rate_limits=rate_limits)

    # ------------------------------------------------------------------ the Bot API

    async def call(
        self,
        method: str,
        params: Mapping[str, Any],
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call: (HTTP status, Telegram's JSON body).

        Raises SandboxTimeout for the injected "timeout"/"timeout_after_send" failures.
        """
        return await self.api.call(method, params, files)

    def fail_next(
        self,
        method: str,
        error: FailureKind,
        *,
        chat_id: int | None = None,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (to chat_id, if given) fail like Telegram."""
        self.api.fail_next(
            method,
            error,
            chat_id=chat_id,
            retry_after=retry_after,
            times=times,
            description=description,
        )

    def file_content(self, file_path: str) -> bytes | None:
        """The bytes behind a getFile `file_path` (what Telegram's file URL serves)."""
        return self.world.file_content(file_path)

    # ------------------------------------------------------------------ updates

    def raw_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue any update as is (malformed-update tests); update_id added when missing."""
        return self.world.updates.raw(payload)

    def redeliver(self, update_id: int) -> dict[str, Any]:
        """Queue an earlier update again with the same update_id (duplicate delivery)."""
        update = self.world.updates.redeliver(update_id)
        if update is None:
            raise SandboxError(f"no update {update_id} was ever queued")
        return update

    def pending_updates(self) -> list[dict[str, Any]]:
        """Queued updates not yet consumed (copies)."""
        return self.world.updates.pending()

    def pop_updates(self) -> list[dict[str, Any]]:
        """Take every queued update (all types), e.g. to feed Application.process_update."""
        return self.world.updates.pop()

    # ------------------------------------------------------------------ inspection

    def messages(
        self, chat: SandboxChat | SandboxUser | int, *, include_deleted: bool = False
    ) -> list[SandboxMessage]:
        """Every message of the chat in order (users', the bot's, service messages)."""
        return self.world.chat_messages(chat, include_deleted=include_deleted)

    def all_messages(self) -> list[SandboxMessage]:
        """Every message of every chat, in the order they were sent."""
        return list(self.world.log)

    def bot_messages(self, chat: SandboxChat | SandboxUser | int) -> list[SandboxMessage]:
        """The bot's visible messages in the chat, service messages excluded."""
        return self.world.bot_messages(chat)

    def last_bot_message(self, chat: SandboxChat | SandboxUser | int) -> SandboxMessage:
        """The bot's newest visible message in the chat (SandboxError when there is none)."""
        sent = self.bot_messages(chat)
        if not sent:
            raise SandboxError(f"the bot has sent nothing in chat {self.world.chat(chat).id}")
        return sent[-1]

    @property
    def events(self) -> list[Event]:
        """What happened so far, in order (see `bot.sandbox.events`)."""
        return self.world.events

    def events_since(self, index: int) -> list[Event]:
        """The events from position `index` on: pass len(events) seen so far to get news."""
        return self.world.events[index:]

    def chat(self, chat_id: int) -> SandboxChat:
        """The chat with that id."""
        return self.world.chat(chat_id)

    def user(self, user_id: int) -> SandboxUser:
        """The user with that id."""
        return self.world.user(user_id)

    # ------------------------------------------------------------------ saving and restoring

    def save_state(self, path: str | Path) -> None:
        """Save users, chats, messages, files and id counters as JSON (see `persistence`)."""
        write_state(dump_state(self.world, self.api), Path(path))

    @classmethod
    def load_state(cls, path: str | Path, *, now: Callable[[], datetime] | None = None) -> Sandbox:
        """A sandbox restored from `save_state`'s file; new ids continue after the saved ones."""
        data = read_state(Path(path))
        bot = data["bot"]
        sandbox = cls(
            bot_id=bot["id"],
            bot_username=bot["username"],
            bot_name=bot["first_name"],
            now=now,
            rate_limits=bool(data["settings"].get("rate_limits", False)),
        )
        restore_state(data, sandbox.world, sandbox.api)
        return sandbox

    # ------------------------------------------------------------------ state, for assertions

    @property
    def bot(self) -> SandboxUser:
        """The bot's own user."""
        return self.world.bot

    @property
    def bot_id(self) -> int:
        """The bot's user id."""
        return self.world.bot.id

    @property
    def privacy_mode(self) -> bool:
        """Does the bot see only commands, replies and mentions in groups where it is no admin?"""
        return self.world.privacy_mode

    @privacy_mode.setter
    def privacy_mode(self, value: bool) -> None:
        self.world.privacy_mode = value

    @property
    def strict_html(self) -> bool:
        """Reject a bare ``>`` or ``&`` in HTML texts (see `entities`)."""
        return self.api.strict_html

    @strict_html.setter
    def strict_html(self, value: bool) -> None:
        self.api.strict_html = value

    @property
    def callback_query_ttl(self) -> timedelta:
        """How long a button press may wait for answerCallbackQuery."""
        return self.api.callback_query_ttl

    @callback_query_ttl.setter
    def callback_query_ttl(self, value: timedelta) -> None:
        self.api.callback_query_ttl = value

    @property
    def users(self) -> dict[int, SandboxUser]:
        """Every user, by id."""
        return self.world.users

    @property
    def chats(self) -> dict[int, SandboxChat]:
        """Every chat (private chats under the user's id), by id."""
        return self.world.chats

    @property
    def files(self) -> dict[str, tuple[str, bytes, str]]:
        """Stored files by file_id: (filename, content, mime)."""
        return self.world.files

    @property
    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """Every Bot API call received: (method, decoded parameters)."""
        return self.api.calls

    @property
    def commands(self) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """setMyCommands lists by (scope JSON, language code)."""
        return self.api.commands

    @property
    def chat_actions(self) -> list[tuple[int, str]]:
        """sendChatAction calls: (chat id, action)."""
        return self.api.chat_actions

    @property
    def menu_buttons(self) -> dict[int | None, dict[str, Any]]:
        """setChatMenuButton values by chat id (None: the default)."""
        return self.api.menu_buttons

    @property
    def webhook(self) -> dict[str, Any] | None:
        """setWebhook's parameters while a webhook is set."""
        return self.api.webhook

    @webhook.setter
    def webhook(self, value: dict[str, Any] | None) -> None:
        self.api.webhook = value

    @property
    def callback_answers(self) -> dict[str, dict[str, Any]]:
        """answerCallbackQuery calls by query id."""
        return self.api.callback_answers

    @property
    def rate_limiter(self) -> RateLimiter | None:
        """The flood limits when enabled (`sent` holds per-chat send times), else None."""
        return self.api.limiter

    @property
    def rate_limited(self) -> int:
        """How many 429 Too Many Requests the rate limits answered (0 when disabled)."""
        return self.api.limiter.rate_limited if self.api.limiter is not None else 0

    @property
    def toasts(self) -> list[tuple[int, str]]:
        """Texts of callback answers, as (user id, text), in order."""
        return self.api.toasts
