"""Telegram's flood limits, enforced when a test opts in (`Sandbox(rate_limits=True)`).

Telegram answers 429 "Too Many Requests: retry after N" to a bot that sends too fast. The
sandbox applies its published limits as strict sliding windows on its own clock, so tests stay
deterministic: at most 30 messages in any 1-second window over all chats, 20 in any 60-second
window per group or supergroup, 1 in any 1-second window per private chat.

Counted: the messages the bot sends (sendMessage, sendDocument, sendPhoto). Edits
(editMessageText) count toward the per-chat windows only: Telegram floods bots that edit one
message too often, but its 30-per-second limit is about notifications to many chats, which
edits are not. Only messages that were delivered count; a refused call (400, 403, 429) does not.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.sandbox.rules import ApiError
from bot.sandbox.world import SandboxChat

__all__ = ["GLOBAL", "GROUP", "PRIVATE", "RateLimiter", "Window"]


@dataclass(frozen=True)
class Window:
    """At most `limit` messages in any window of `seconds`."""

    limit: int
    seconds: float

    @property
    def span(self) -> timedelta:
        return timedelta(seconds=self.seconds)


GLOBAL = Window(30, 1.0)
GROUP = Window(20, 60.0)
PRIVATE = Window(1, 1.0)

# Timestamps older than the longest window can never count again.
_KEEP = max(GLOBAL.span, GROUP.span, PRIVATE.span)


class RateLimiter:
    """Sliding windows over the times the bot's messages were delivered."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._all: deque[datetime] = deque()
        # Per chat id: when the bot's messages (and edits) there took effect, oldest first.
        self.sent: dict[int, deque[datetime]] = {}
        self.rate_limited = 0  # 429 answers given

    def check(self, chat: SandboxChat, *, edit: bool = False) -> None:
        """Raise Telegram's 429 if a message (or edit) to `chat` now would exceed a limit."""
        now = self._now()
        waits = [self._wait(self.sent.get(chat.id, ()), _window(chat), now)]
        if not edit:
            waits.append(self._wait(self._all, GLOBAL, now))
        retry_after = max(waits)
        if retry_after > 0:
            self.rate_limited += 1
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )

    def record(self, chat: SandboxChat, *, edit: bool = False) -> None:
        """Count a message (or edit) to `chat` that took effect now."""
        now = self._now()
        self.sent.setdefault(chat.id, deque()).append(now)
        if not edit:
            self._all.append(now)
        for times in (self._all, self.sent[chat.id]):
            while times and now - times[0] >= _KEEP:
                times.popleft()

    @staticmethod
    def _wait(times: deque[datetime] | tuple[()], window: Window, now: datetime) -> int:
        """Whole seconds until one more message fits in `window` (0: it fits now)."""
        recent = [t for t in times if now - t < window.span]
        if len(recent) < window.limit:
            return 0
        # The window frees when the oldest message that would make it overflow leaves it.
        frees_at = recent[len(recent) - window.limit] + window.span
        return max(1, math.ceil((frees_at - now).total_seconds()))


def _window(chat: SandboxChat) -> Window:
    return PRIVATE if chat.type == "private" else GROUP
