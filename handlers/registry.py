"""Features declare what they add; the registry wires it into PTB once.

A feature module exposes `FEATURE = Feature(...)`: its commands, its buttons (kind and typed
arguments, declared once), its deep links, its conversation flows with what to say when they
end, its paged lists, the Telegram events it listens to, and its kinds of due work. Adding a
feature adds a module and one line in `handlers/__init__.py`; nothing central grows.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.conversation import Engine, Finished, Flow
from bot.services.errors import Refusal
from bot.services.privacy import PersonalData

if TYPE_CHECKING:
    from handlers.common import Ctx
    from storage.models import Collective

CALLBACK_VERSION = "1"
# Ids travel as decimal text; a BIGINT column holds at most this.
MAX_ID = 2**63 - 1
_WORD = re.compile(r"[A-Za-z0-9_.-]{1,40}")


class Arg:
    """A typed argument of a button; `parse` raises ValueError on anything unexpected."""

    def parse(self, raw: str) -> Any:
        raise NotImplementedError


class Int(Arg):
    def __init__(self, low: int = 0, high: int = MAX_ID) -> None:
        self.low, self.high = low, high

    def parse(self, raw: str) -> int:
        if not re.fullmatch(r"-?\d{1,19}", raw):
            raise ValueError(raw)
        value = int(raw)
        if not self.low <= value <= self.high:
            raise ValueError(raw)
        return value


class Word(Arg):
    def __init__(self, *choices: str) -> None:
        self.choices = frozenset(choices)

    def parse(self, raw: str) -> str:
        if not _WORD.fullmatch(raw) or (self.choices and raw not in self.choices):
            raise ValueError(raw)
        return raw


def link_id(rest: str) -> int:
    """The id a deep link carries after its prefix; a stale link when it is not one."""
    try:
        return Int(1).parse(rest)
    except ValueError:
        raise Refusal("stale_link") from None


ButtonFn = Callable[..., Awaitable[None]]
CommandFn = Callable[["Ctx"], Awaitable[None]]
CollectiveFn = Callable[["Ctx", "Collective"], Awaitable[None]]
LinkFn = Callable[["Ctx", str], Awaitable[None]]
FinishFn = Callable[["Ctx", Finished], Awaitable[None]]
ListFn = Callable[["Ctx", int, int], Awaitable[None]]
EventFn = Callable[["Ctx"], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    """A command, French name first, then its aliases. With `for_collective`, the function
    takes the collective the command concerns: the group's own, or in private the person's
    (asked when they have several)."""

    names: tuple[str, ...]
    run: CommandFn | None = None
    for_collective: CollectiveFn | None = None
    in_group_menu: bool = False
    in_private_menu: bool = False
    # Its lines in /aide: (audience, label of the line). Audiences: "unregistered" (a group
    # that is no collective yet), "outsider" (in a collective's group, not a member),
    # "member" (any active role), "animateur".
    help: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Button:
    kind: str
    run: ButtonFn
    args: tuple[Arg, ...] = ()
    # How many of the last arguments may be left out.
    optional: int = 0


@dataclass(frozen=True)
class Link:
    """A deep link `t.me/<bot>?start=<prefix><rest>`; `run` gets the rest, unparsed."""

    prefix: str
    run: LinkFn


@dataclass(frozen=True)
class FlowUI:
    flow: Flow
    finished: FinishFn


@dataclass(frozen=True)
class PagedList:
    """A list shown a page at a time: `show(ctx, owner_id, page)`; its page buttons are
    `pg|<name>|<owner_id>|<page>`."""

    name: str
    show: ListFn


# Telegram events a feature can listen to (see `Registry.attach`).
EVENTS = (
    "bot_membership",  # my_chat_member: the bot added to or removed from a chat
    "chat_member",  # someone's membership of a group changed
    "member_left",  # the service message of a departure
    "members_joined",  # the service message of arrivals
    "migrated",  # a group became a supergroup
    "private_text",  # text in private that is not a command
    "private_other",  # a sticker, photo, voice note… in private
    "private_document",  # a file in private (else it is "private_other")
    "edited",  # an edited message
)


@dataclass(frozen=True)
class On:
    event: str
    run: EventFn


LiveRender = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class LiveView:
    """How a live group message of `kind` looks now: `render(uow, subject_id, lang)` returns
    (HTML text, keyboard or None), or None when there is nothing to show any more."""

    kind: str
    render: LiveRender


@dataclass(frozen=True)
class Feature:
    name: str
    commands: tuple[Command, ...] = ()
    buttons: tuple[Button, ...] = ()
    links: tuple[Link, ...] = ()
    flows: tuple[FlowUI, ...] = ()
    lists: tuple[PagedList, ...] = ()
    events: tuple[On, ...] = ()
    due: tuple[tuple[str, Callable[..., Awaitable[Any]]], ...] = ()
    # Those of its due kinds that send to many people (reminders, results, digests): run by
    # one process at a time (bot.lease), so Telegram's overall limit holds across processes.
    mass_due: tuple[str, ...] = ()
    live: tuple[LiveView, ...] = ()
    # What the feature keeps about a person, for /mes_donnees and /oublier.
    privacy: tuple[PersonalData, ...] = ()
    # What the feature does, as the bot introduces itself in a group (« l'annuaire de ses
    # acteurs »): a label name, listed in the features' order.
    pitch: str | None = None
    # Its journal events by /journal category (membres, enquetes, votes, reunions, actions,
    # ressources): (kind, category), or (prefix ending with "_", category) for every kind
    # that starts with it.
    journal: tuple[tuple[str, str], ...] = ()


@dataclass
class Registry:
    """Everything the features declared, by name."""

    features: list[Feature] = field(default_factory=list)
    commands: dict[str, Command] = field(default_factory=dict)
    buttons: dict[str, Button] = field(default_factory=dict)
    links: dict[str, Link] = field(default_factory=dict)
    finish: dict[str, FinishFn] = field(default_factory=dict)
    lists: dict[str, PagedList] = field(default_factory=dict)
    events: dict[str, list[EventFn]] = field(default_factory=dict)
    live: dict[str, LiveRender] = field(default_factory=dict)
    personal_data: list[PersonalData] = field(default_factory=list)
    journal: list[tuple[str, str]] = field(default_factory=list)
    engine: Engine = field(default_factory=Engine)

    @classmethod
    def of(cls, features: Sequence[Feature]) -> Registry:
        registry = cls()
        for feature in features:
            registry.add(feature)
        return registry

    def add(self, feature: Feature) -> None:
        self.features.append(feature)
        for command in feature.commands:
            for name in command.names:
                _unique(self.commands, name, command, "command")
        for button in feature.buttons:
            _unique(self.buttons, button.kind, button, "button")
        for link in feature.links:
            _unique(self.links, link.prefix, link, "deep link")
        for ui in feature.flows:
            self.engine.add(ui.flow)
            self.finish[ui.flow.name] = ui.finished
        for paged in feature.lists:
            _unique(self.lists, paged.name, paged, "list")
        self.personal_data.extend(feature.privacy)
        self.journal.extend(feature.journal)
        for view in feature.live:
            _unique(self.live, view.kind, view.render, "live view")
        for on in feature.events:
            if on.event not in EVENTS:
                raise ValueError(f"unknown event {on.event!r}")
            self.events.setdefault(on.event, []).append(on.run)

    def unique_commands(self) -> list[Command]:
        """Each command once (it is registered under every name), in declaration order."""
        return list({id(c): c for c in self.commands.values()}.values())

    def parse_button(self, data: str | None) -> tuple[Button, list[Any]]:
        """The button a callback data names, with its typed arguments; stale on anything else
        (callback data comes from the client and is never trusted)."""
        parts = (data or "").split("|")
        if len(parts) < 2 or parts[0] != CALLBACK_VERSION:
            raise Refusal("stale_button")
        button = self.buttons.get(parts[1])
        raw = parts[2:]
        if button is None or not len(button.args) - button.optional <= len(raw) <= len(button.args):
            raise Refusal("stale_button")
        try:
            return button, [arg.parse(value) for arg, value in zip(button.args, raw, strict=False)]
        except ValueError:
            raise Refusal("stale_button") from None

    def link_for(self, payload: str) -> tuple[Link, str] | None:
        # Longest prefix first, so "jt" is not taken for "j".
        for prefix in sorted(self.links, key=len, reverse=True):
            if payload.startswith(prefix):
                return self.links[prefix], payload[len(prefix) :]
        return None


def _unique(table: dict[str, Any], key: str, value: Any, what: str) -> None:
    if key in table:
        raise ValueError(f"{what} {key!r} declared twice")
    table[key] = value


def pack(*parts: object) -> str:
    """Callback data: `1|kind|arg|…`, short and versioned, never trusted on the way back."""
    data = "|".join([CALLBACK_VERSION, *(str(p) for p in parts)])
    if len(data.encode()) > 64:
        raise ValueError(f"callback data too long: {data!r}")
    return data
