"""Keep each chat's (and each person's) updates in order while different chats run at once.

Each update takes a ticket on arrival, synchronously, in the order updates arrive. A ticket
waits only for the earlier tickets that share one of its keys, so a busy or throttled chat
delays itself and nobody else. Waits always point to earlier arrivals: no cycle, no deadlock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterable


class Lanes:
    """FIFO lanes keyed by anything hashable: `ticket(keys)` is served after the earlier
    tickets of each of its keys."""

    def __init__(self) -> None:
        self._tails: dict[Hashable, asyncio.Future[None]] = {}

    def ticket(self, keys: Iterable[Hashable]) -> Ticket:
        loop = asyncio.get_running_loop()
        mine: asyncio.Future[None] = loop.create_future()
        keys = tuple(dict.fromkeys(keys))
        before = [self._tails[k] for k in keys if k in self._tails]
        for key in keys:
            self._tails[key] = mine
        return Ticket(self, keys, mine, before)

    def _release(self, keys: tuple[Hashable, ...], mine: asyncio.Future[None]) -> None:
        if not mine.done():
            mine.set_result(None)
        for key in keys:
            if self._tails.get(key) is mine:
                del self._tails[key]

    def __len__(self) -> int:
        return len(self._tails)


class Ticket:
    def __init__(
        self,
        lanes: Lanes,
        keys: tuple[Hashable, ...],
        mine: asyncio.Future[None],
        before: list[asyncio.Future[None]],
    ) -> None:
        self._lanes = lanes
        self._keys = keys
        self._mine = mine
        self._before = before

    async def turn(self) -> None:
        """Wait until every earlier ticket sharing a key is done."""
        for future in self._before:
            # shield: a cancelled waiter must not cancel the ticket it waits for.
            await asyncio.shield(future)

    def done(self) -> None:
        self._lanes._release(self._keys, self._mine)

    async def __aenter__(self) -> Ticket:
        try:
            await self.turn()
        except BaseException:
            self.done()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.done()
