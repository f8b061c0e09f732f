"""What happened in the sandbox, in order, as a Telegram client would show it.

`Sandbox.events` lists one small frozen event per visible change, appended as it takes effect:
the bot's side (a message sent, edited, its keyboard changed, deleted, pinned, a button's
answer shown) and the people's side (a message, an edit, a button pressed, a join or leave).
The interactive shell and the demo transcript read it to show more than new messages, e.g.
"Claire appuie sur « Valider »" then the bot's edit of that message.

Events copy what a client displays at that moment (plain text, button labels), because the
`SandboxMessage` they also point to keeps changing afterwards (edits, deletion).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from bot.sandbox.world import SandboxMessage

__all__ = [
    "Answer",
    "Buttons",
    "Deleted",
    "Edited",
    "Event",
    "Markup",
    "Pinned",
    "Sent",
    "UserEdit",
    "UserJoin",
    "UserLeave",
    "UserMessage",
    "UserPress",
    "buttons_of",
]

# Inline keyboard labels, row by row (tuples, so that events stay immutable).
Buttons = tuple[tuple[str, ...], ...]


def buttons_of(message: SandboxMessage) -> Buttons:
    """The message's inline keyboard labels as they are now."""
    return tuple(tuple(row) for row in message.buttons)


def _entities(message: SandboxMessage) -> tuple[dict[str, Any], ...]:
    """The message's entities as they are now (copies: an edit replaces them later)."""
    return tuple(dict(entity) for entity in message.entities)


# --- what the bot did


@dataclass(frozen=True)
class Sent:
    """The bot sent a message (text, document or photo)."""

    kind: Literal["sent"] = field(default="sent", init=False)
    chat_id: int
    message_id: int
    text: str
    buttons: Buttons
    message: SandboxMessage = field(repr=False, compare=False)
    # The text's formatting (bold…) at that moment, as Telegram's entities.
    entities: tuple[dict[str, Any], ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def of(cls, message: SandboxMessage) -> Sent:
        """The event for a message the bot just sent."""
        m = message
        return cls(m.chat_id, m.message_id, m.plain, buttons_of(m), m, _entities(m))


@dataclass(frozen=True)
class Edited:
    """The bot edited the text of its message (its keyboard may have changed too)."""

    kind: Literal["edited"] = field(default="edited", init=False)
    chat_id: int
    message_id: int
    text: str
    previous: str
    buttons: Buttons
    message: SandboxMessage = field(repr=False, compare=False)
    entities: tuple[dict[str, Any], ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def of(cls, message: SandboxMessage, previous: str) -> Edited:
        """The event for a message the bot just edited; `previous`: its plain text before."""
        m = message
        return cls(m.chat_id, m.message_id, m.plain, previous, buttons_of(m), m, _entities(m))


@dataclass(frozen=True)
class Markup:
    """Only the inline keyboard of the bot's message changed (or was removed)."""

    kind: Literal["markup"] = field(default="markup", init=False)
    chat_id: int
    message_id: int
    previous: Buttons
    buttons: Buttons
    message: SandboxMessage = field(repr=False, compare=False)

    @classmethod
    def of(cls, message: SandboxMessage, previous: Buttons) -> Markup:
        """The event for a keyboard the bot just changed; `previous`: its labels before."""
        return cls(message.chat_id, message.message_id, previous, buttons_of(message), message)


@dataclass(frozen=True)
class Deleted:
    """The bot deleted a message (its own or a user's); `text` is what it last said."""

    kind: Literal["deleted"] = field(default="deleted", init=False)
    chat_id: int
    message_id: int
    text: str


@dataclass(frozen=True)
class Answer:
    """The bot answered a button press with a text: a toast, or an alert to dismiss."""

    kind: Literal["answer"] = field(default="answer", init=False)
    user_id: int
    chat_id: int
    text: str
    alert: bool


@dataclass(frozen=True)
class Pinned:
    """The bot pinned a message."""

    kind: Literal["pinned"] = field(default="pinned", init=False)
    chat_id: int
    message_id: int


# --- what the people did


@dataclass(frozen=True)
class UserMessage:
    """A user sent a message (text or media; `text` is its text or caption)."""

    kind: Literal["user_message"] = field(default="user_message", init=False)
    user_id: int
    chat_id: int
    message_id: int
    text: str
    message: SandboxMessage = field(repr=False, compare=False)

    @classmethod
    def of(cls, user_id: int, message: SandboxMessage) -> UserMessage:
        """The event for a message `user_id` just sent (anonymously or not)."""
        return cls(user_id, message.chat_id, message.message_id, message.plain, message)


@dataclass(frozen=True)
class UserEdit:
    """A user edited the text or caption of their message."""

    kind: Literal["user_edit"] = field(default="user_edit", init=False)
    user_id: int
    chat_id: int
    message_id: int
    text: str
    previous: str
    message: SandboxMessage = field(repr=False, compare=False)


@dataclass(frozen=True)
class UserPress:
    """A user pressed an inline button; `label` is None for forged data matching no button."""

    kind: Literal["user_press"] = field(default="user_press", init=False)
    user_id: int
    chat_id: int
    message_id: int
    label: str | None
    data: str | None  # callback_data; None for a URL button


@dataclass(frozen=True)
class UserJoin:
    """A user joined a group."""

    kind: Literal["user_join"] = field(default="user_join", init=False)
    user_id: int
    chat_id: int


@dataclass(frozen=True)
class UserLeave:
    """A user left a group."""

    kind: Literal["user_leave"] = field(default="user_leave", init=False)
    user_id: int
    chat_id: int


Event = (
    Sent
    | Edited
    | Markup
    | Deleted
    | Answer
    | Pinned
    | UserMessage
    | UserEdit
    | UserPress
    | UserJoin
    | UserLeave
)
