"""The error handler: log the kind and the update id, never contents; decide on 409 Conflict.

It sends nothing itself: it may run while the update's transaction is open, and the
application tells the person once the update is given up (`bot.app.error_outbox`).
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import cast

from telegram import Update
from telegram.error import Conflict, InvalidToken
from telegram.ext import ContextTypes

from bot.app import TisserandApplication

log = logging.getLogger("tisserand.errors")

CONFLICT_LINE = (
    "Un autre processus lit déjà les mises à jour de Telegram avec ce jeton (409 Conflict) : arrêt."
)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    app = cast(TisserandApplication, context.application)
    if isinstance(error, Conflict):
        since = app.deps.polling_since
        if since is not None and time.monotonic() - since >= app.deps.settings.conflict_grace:
            # This process was polling first: the newcomer will give up; wait and go on.
            log.warning("409 Conflict: another process polls with this token; retrying")
            return
        _stop(app, CONFLICT_LINE)
        return
    if isinstance(error, InvalidToken):
        _stop(app, "Telegram refuse le jeton (TISSERAND_TOKEN).")
        return
    update_id = update.update_id if isinstance(update, Update) else None
    # The frames say where; the exception's own message may quote what a user typed.
    where = "" if error is None else "".join(traceback.format_tb(error.__traceback__, limit=-3))
    log.error("error %s while handling update %s\n%s", type(error).__name__, update_id, where)


def _stop(app: TisserandApplication, reason: str) -> None:
    if app.deps.stop_reason is None:
        app.deps.stop_reason = reason
        log.error(reason)
        app.stop_running()
