"""The command menus Telegram shows, for group and private chats, in French and English."""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats

# (fr, en, shown in groups, shown in private chats); descriptions come from labels.j2.
COMMANDS: list[tuple[str, str, bool, bool]] = [
    ("aide", "help", True, True),
    ("filiere", "collective", True, False),
    ("rejoindre", "join", True, False),
    ("annuaire", "directory", True, True),
    ("moi", "me", True, True),
    ("role", "role", True, True),
    ("journal", "log", True, True),
    ("quitter", "leave", True, True),
]


async def set_command_menus(bot: Bot) -> None:
    from bot.texts import label

    for scope, index in (
        (BotCommandScopeAllGroupChats(), 2),
        (BotCommandScopeAllPrivateChats(), 3),
    ):
        for lang in ("fr", "en"):
            commands = [
                BotCommand(row[0] if lang == "fr" else row[1], label("menu_" + row[0], lang))
                for row in COMMANDS
                if row[index]
            ]
            # French is the default menu; English users get theirs.
            await bot.set_my_commands(
                commands, scope=scope, language_code=None if lang == "fr" else "en"
            )
