"""The error handler: log the kind and the update id, never contents; tell the user briefly."""

from __future__ import annotations

import logging
import traceback
from typing import cast

from telegram import Update
from telegram.error import Conflict, Forbidden, InvalidToken, TelegramError
from telegram.ext import ContextTypes

from bot.app import TisserandApplication
from bot.texts import language_of, render

log = logging.getLogger("tisserand.errors")

CONFLICT_LINE = (
    "Another process is already polling Telegram with this token (409 Conflict): stopping."
)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    app = cast(TisserandApplication, context.application)
    if isinstance(error, Conflict | InvalidToken):
        if app.deps.stop_reason is None:
            app.deps.stop_reason = (
                CONFLICT_LINE if isinstance(error, Conflict) else "Telegram refused the token."
            )
            log.error(app.deps.stop_reason)
            app.stop_running()
        return
    update_id = update.update_id if isinstance(update, Update) else None
    # The frames say where; the exception's own message may quote what a user typed.
    where = "" if error is None else "".join(traceback.format_tb(error.__traceback__, limit=-3))
    log.error("error %s while handling update %s\n%s", type(error).__name__, update_id, where)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    lang = language_of(user.language_code if user else None)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(
                render("errors/internal", lang)[:200], show_alert=True
            )
        else:
            await context.bot.send_message(
                update.effective_chat.id, render("errors/internal", lang)
            )
    except (TelegramError, Forbidden):
        log.warning("could not tell the user about error in update %s", update_id)
