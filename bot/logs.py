"""Logging for the command line: quiet libraries, and the token never written anywhere."""

from __future__ import annotations

import logging


class RedactToken(logging.Filter):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secret:
            message = record.getMessage()
            if self.secret in message:
                record.msg = message.replace(self.secret, "<token>")
                record.args = None
        return True


class ShortTelegramErrors(logging.Filter):
    """Telegram's own errors (409, network) are facts to report, not bugs: no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        from telegram.error import Conflict, NetworkError

        if record.exc_info and isinstance(record.exc_info[1], Conflict | NetworkError):
            record.msg = f"{record.getMessage()} ({type(record.exc_info[1]).__name__})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def setup_logging(level: int = logging.INFO, secret: str | None = None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ShortTelegramErrors())
    if secret:
        handler.addFilter(RedactToken(secret))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and the Bot API URL contains the token.
    for name in ("httpx", "httpcore", "apscheduler", "tornado.access"):
        logging.getLogger(name).setLevel(logging.WARNING)
