"""Telegram glue: parse the update, check the role, call a service, render, reply."""

from __future__ import annotations

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)


def register(application: Application) -> None:
    """Attach every handler. Commands answer in French and to their English alias."""
    from handlers import basics, callbacks, collective, forms, journal, members, roles
    from handlers.errors import on_error

    commands = [
        (("start",), basics.start),
        (("aide", "help"), basics.help_command),
        (("filiere", "collective"), collective.filiere),
        (("rejoindre", "join"), members.rejoindre),
        (("moi", "me"), members.moi),
        (("quitter", "leave"), members.quitter),
        (("annuaire", "directory"), members.annuaire),
        (("role",), roles.role),
        (("journal", "log"), journal.journal),
    ]
    for names, callback in commands:
        application.add_handler(CommandHandler(list(names), callback))
    application.add_handler(CallbackQueryHandler(callbacks.on_button))
    application.add_handler(ChatMemberHandler(basics.bot_added, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_handler(
        ChatMemberHandler(members.chat_member_changed, ChatMemberHandler.CHAT_MEMBER)
    )
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, basics.migrated))
    application.add_handler(
        MessageHandler(filters.StatusUpdate.LEFT_CHAT_MEMBER, members.left_message)
    )
    application.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, forms.private_text
        )
    )
    application.add_handler(MessageHandler(filters.COMMAND, basics.unknown_command))
    application.add_error_handler(on_error)
