"""Telegram glue: parse the update, check the role, call a service, render, reply.

`FEATURES` lists the feature modules; each declares what it adds (`handlers.registry`), and
`register` wires all of it into PTB.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from handlers.registry import Command, Registry

if TYPE_CHECKING:
    from bot.app import TisserandApplication
    from handlers.common import Ctx


def features() -> list[object]:
    from handlers import (
        archive,
        basics,
        cartographie,
        charter,
        choose,
        collective,
        conversation,
        digest,
        greetings,
        journal,
        meetings,
        members,
        paging,
        privacy,
        roadmap,
        roles,
        surveys,
        toolbox,
        votes,
    )

    return [
        basics.FEATURE,
        conversation.FEATURE,
        choose.FEATURE,
        paging.FEATURE,
        collective.FEATURE,
        members.FEATURE,
        greetings.FEATURE,
        roles.FEATURE,
        journal.FEATURE,
        privacy.FEATURE,
        meetings.FEATURE,
        roadmap.FEATURE,
        surveys.FEATURE,
        votes.FEATURE,
        charter.FEATURE,
        toolbox.FEATURE,
        cartographie.FEATURE,
        digest.FEATURE,
        archive.FEATURE,
    ]


# A new message (not an edit: an edited message is never a command nor an answer).
NEW = filters.UpdateType.MESSAGE


def register(application: TisserandApplication) -> None:
    """Attach every feature's handlers. Commands answer in French and to their English alias."""
    from handlers.basics import unknown_command
    from handlers.buttons import on_button
    from handlers.common import handler

    registry = Registry.of(features())  # type: ignore[arg-type]
    application.deps.registry = registry
    for feature in registry.features:
        application.deps.due_kinds.update(dict(feature.due))
        application.deps.mass_kinds.update(feature.mass_due)

    seen: set[int] = set()
    for command in registry.commands.values():
        if id(command) in seen:
            continue
        seen.add(id(command))
        application.add_handler(
            CommandHandler(list(command.names), handler(_command(command)), filters=NEW)
        )
    application.add_handler(CallbackQueryHandler(handler(on_button)))

    events: dict[str, BaseHandler[Any, Any, Any]] = {}
    ptb: dict[str, Callable[[Any], BaseHandler[Any, Any, Any]]] = {
        "bot_membership": lambda cb: ChatMemberHandler(cb, ChatMemberHandler.MY_CHAT_MEMBER),
        "chat_member": lambda cb: ChatMemberHandler(cb, ChatMemberHandler.CHAT_MEMBER),
        "migrated": lambda cb: MessageHandler(filters.StatusUpdate.MIGRATE, cb),
        "member_left": lambda cb: MessageHandler(filters.StatusUpdate.LEFT_CHAT_MEMBER, cb),
        "members_joined": lambda cb: MessageHandler(filters.StatusUpdate.NEW_CHAT_MEMBERS, cb),
        "edited": lambda cb: MessageHandler(filters.UpdateType.EDITED_MESSAGE, cb),
        "private_text": lambda cb: MessageHandler(
            filters.ChatType.PRIVATE & NEW & filters.TEXT & ~filters.COMMAND, cb
        ),
        # Before "private_other": a feature that reads files takes them first.
        "private_document": lambda cb: MessageHandler(
            filters.ChatType.PRIVATE & NEW & filters.Document.ALL, cb
        ),
        "private_other": lambda cb: MessageHandler(
            filters.ChatType.PRIVATE & NEW & ~filters.TEXT & ~filters.StatusUpdate.ALL, cb
        ),
    }
    for event, runs in registry.events.items():
        events[event] = ptb[event](handler(_all(runs)))
    for event in ptb:
        if event in events:
            application.add_handler(events[event])
    application.add_handler(MessageHandler(filters.COMMAND & NEW, handler(unknown_command)))
    # « /filière » in a group is plain text for Telegram (no command entity): read it too.
    application.add_handler(
        MessageHandler(
            filters.ChatType.GROUPS & NEW & filters.TEXT & filters.Regex(r"^/"),
            handler(unknown_command),
        )
    )
    from handlers.errors import on_error

    application.add_error_handler(on_error)


def _command(command: Command) -> Callable[[Ctx], Awaitable[None]]:
    if command.run is not None:
        return command.run

    async def run(ctx: Ctx) -> None:
        from handlers.choose import run_for_collective

        await run_for_collective(ctx, command)

    return run


def _all(runs: list[Callable[[Ctx], Awaitable[None]]]) -> Callable[[Ctx], Awaitable[None]]:
    async def run(ctx: Ctx) -> None:
        for one in runs:
            await one(ctx)

    return run
