"""The command menus Telegram shows, for group and private chats, in French and English,
from the commands the features declared."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats

if TYPE_CHECKING:
    from bot.app import Deps


async def set_command_menus(bot: Bot, deps: Deps) -> None:
    from bot.texts import caption

    assert deps.registry is not None
    commands = deps.registry.unique_commands()
    calls = []
    for scope, shown in (
        (BotCommandScopeAllGroupChats(), lambda c: c.in_group_menu),
        (BotCommandScopeAllPrivateChats(), lambda c: c.in_private_menu),
    ):
        for lang in ("fr", "en"):
            menu = [
                BotCommand(
                    c.names[0] if lang == "fr" or len(c.names) == 1 else c.names[1],
                    caption("menu_" + c.names[0], lang),
                )
                for c in commands
                if shown(c)
            ]
            # French is the default menu; English users get theirs.
            calls.append(
                bot.set_my_commands(menu, scope=scope, language_code=None if lang == "fr" else "en")
            )
    # The four menus at once: the bot starts polling sooner.
    await asyncio.gather(*calls)
