"""The update queue: what Telegram has to tell the bot, numbered, until the bot confirms it.

`UpdateQueue` numbers updates (update_id), keeps them until getUpdates confirms them with its
offset, remembers every update ever queued (to redeliver duplicates), filters the types the bot
did not ask for (allowed_updates) and wakes a waiting long poll. The wake-up is the only
thread-safe part of the sandbox, so a helper thread may act as users while a loop polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["UpdateQueue"]

# Update types Telegram leaves out when allowed_updates is empty (its default).
_OPT_IN_UPDATES = frozenset(("chat_member", "message_reaction", "message_reaction_count"))


@dataclass
class _Queued:
    update: dict[str, Any]
    delivered: bool = False  # returned by getUpdates at least once


def _update_id(update: Mapping[str, Any]) -> int:
    # raw() may queue malformed ids; those count as confirmed once delivered.
    value = update.get("update_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _update_type(update: Mapping[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class UpdateQueue:
    """Updates waiting for the bot, their numbering and the long-poll wake-up."""

    def __init__(self) -> None:
        self._queue: list[_Queued] = []
        # Every update ever queued, by id (redeliver() sends one again).
        self._archive: dict[int, dict[str, Any]] = {}
        self.next_id = 1
        self.allowed_updates: list[str] = []
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._poll_generation = 0

    def __len__(self) -> int:
        return len(self._queue)

    # --- queueing

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue a new update of `kind`; returns a copy of it."""
        update = {"update_id": self.next_id, kind: payload}
        self.next_id += 1
        return self._enqueue(update)

    def raw(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue any update as is; update_id added when missing, numbering kept ahead of it."""
        update = copy.deepcopy(payload)
        if "update_id" not in update:
            update["update_id"] = self.next_id
        if isinstance(update["update_id"], int) and update["update_id"] >= self.next_id:
            self.next_id = update["update_id"] + 1
        return self._enqueue(update)

    def redeliver(self, update_id: int) -> dict[str, Any] | None:
        """Queue an earlier update again with the same update_id; None if it never existed."""
        if update_id not in self._archive:
            return None
        update = copy.deepcopy(self._archive[update_id])
        self._queue.append(_Queued(update))
        self._wake()
        return copy.deepcopy(update)

    def _enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        self._archive[update["update_id"]] = copy.deepcopy(update)
        self._queue.append(_Queued(copy.deepcopy(update)))
        self._wake()
        return copy.deepcopy(update)

    def since(self, start: int) -> list[dict[str, Any]]:
        """Copies of the updates queued from position `start` on (see `__len__`)."""
        return [copy.deepcopy(queued.update) for queued in self._queue[start:]]

    # --- saving and restoring

    def snapshot(self) -> list[tuple[dict[str, Any], bool]]:
        """The pending updates (copies) with whether getUpdates returned them already."""
        return [(copy.deepcopy(queued.update), queued.delivered) for queued in self._queue]

    def restore(
        self,
        pending: list[tuple[dict[str, Any], bool]],
        *,
        next_id: int,
        allowed_updates: list[str],
    ) -> None:
        """Start again from a snapshot: its pending updates, numbering after next_id."""
        self._queue = [_Queued(copy.deepcopy(update), delivered) for update, delivered in pending]
        self._archive = {_update_id(update): copy.deepcopy(update) for update, _ in pending}
        # Never hand out an id again, even if the saved counter lagged behind a raw update.
        self.next_id = max([next_id, *(_update_id(update) + 1 for update, _ in pending)])
        self.allowed_updates = list(allowed_updates)

    # --- consuming

    def pending(self) -> list[dict[str, Any]]:
        """Queued updates not yet consumed (copies)."""
        return [copy.deepcopy(queued.update) for queued in self._queue]

    def pop(self) -> list[dict[str, Any]]:
        """Take every queued update."""
        taken = [queued.update for queued in self._queue]
        self._queue.clear()
        return taken

    def clear(self) -> None:
        """Drop pending updates (drop_pending_updates)."""
        self._queue.clear()

    def confirm(self, offset: int | None) -> None:
        """Forget what getUpdates' offset confirms, as Telegram does."""
        if offset is None or offset == 0:
            return
        if offset < 0:
            # Negative offset: keep only the last -offset updates, forget the rest.
            self._queue = self._queue[offset:]
            return
        self._queue = [
            queued
            for queued in self._queue
            if not queued.delivered or _update_id(queued.update) >= offset
        ]

    def take(self, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` deliverable updates, marked delivered (they stay until confirmed)."""
        # Telegram never delivers (nor keeps) update types the bot did not ask for.
        self._queue = [q for q in self._queue if self._allowed(_update_type(q.update))]
        batch = self._queue[:limit]
        for queued in batch:
            queued.delivered = True
        return [copy.deepcopy(queued.update) for queued in batch]

    # --- webhook pushes

    def next_push(self, in_flight: set[int]) -> dict[str, Any] | None:
        """The oldest deliverable update not being pushed already (webhook delivery)."""
        self._queue = [q for q in self._queue if self._allowed(_update_type(q.update))]
        for queued in self._queue:
            if _update_id(queued.update) not in in_flight:
                queued.delivered = True
                return copy.deepcopy(queued.update)
        return None

    def acknowledge(self, update_id: int) -> None:
        """The bot's webhook answered 2xx: Telegram forgets the update."""
        self._queue = [q for q in self._queue if _update_id(q.update) != update_id]

    def _allowed(self, kind: str) -> bool:
        if not self.allowed_updates:
            return kind not in _OPT_IN_UPDATES
        return kind in self.allowed_updates

    # --- long polling

    def new_poll(self) -> int:
        """Start a getUpdates: it ends the one still waiting (two bot instances polling)."""
        self._poll_generation += 1
        self._wake()
        return self._poll_generation

    def is_current(self, poll: int) -> bool:
        """Is this getUpdates still the newest one?"""
        return poll == self._poll_generation

    async def wait(self, seconds: float) -> None:
        """Sleep until an update arrives, a newer poll starts, or `seconds` pass."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        entry = (loop, future)
        self._waiters.append(entry)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(future, seconds)
        finally:
            self._waiters.remove(entry)

    def _wake(self) -> None:
        # call_soon_threadsafe: users may act from another thread than the polling loop's.
        for loop, future in list(self._waiters):
            with contextlib.suppress(RuntimeError):  # a closed loop: its waiter is gone too
                loop.call_soon_threadsafe(_resolve, future)
