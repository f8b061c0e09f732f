"""The real Application wired to the in-process sandbox: used by tests, the demo and the shell."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update

from bot.app import TisserandApplication, build_application
from bot.clock import FakeClock
from bot.config import Settings
from bot.due import RunReport, run_due
from bot.pacing import Pacing
from bot.sandbox.core import Sandbox, SandboxChat, SandboxMessage, SandboxUser
from bot.sandbox.transport import SandboxRequest
from storage.migrate import upgrade


class Harness:
    """Users act through the sandbox; every resulting update goes through the real Application."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: FakeClock | None = None,
        sandbox: Sandbox | None = None,
        migrate: bool = True,
        pacing: Pacing | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or FakeClock()
        self.sandbox = sandbox or Sandbox(now=self.clock.now)
        self.migrate = migrate
        # No pacing unless asked: Telegram's per-group pace would make the demo wait for real.
        self.app: TisserandApplication = build_application(
            settings,
            SandboxRequest(self.sandbox),
            clock=self.clock,
            rate_limiter=pacing if pacing is not None else False,
        )
        # A request to Telegram while a transaction is open is a bug: fail loudly here.
        self.app.tbot._strict_transactions = True
        self.app.deps.db_retry_delays = (0.01, 0.02)
        self._offset: int | None = None
        self._live = False

    async def __aenter__(self) -> Harness:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        if self.migrate:
            await upgrade(self.settings.database_url)
        await self.app.initialize()
        if self.app.post_init is not None:
            await self.app.post_init(self.app)

    async def stop(self) -> None:
        if self._live:
            await self.app.stop()
        await self.app.shutdown()
        if self.app.deps.lease is not None:
            await self.app.deps.lease.release()
        await self.app.deps.engine.dispose()

    async def fetch(self) -> list[Update]:
        """Take the queued updates as the bot's poll does: stored in the inbox, acknowledged
        to the sandbox, not handled yet."""
        updates = await self.app.bot.get_updates(
            offset=self._offset, timeout=0, allowed_updates=Update.ALL_TYPES
        )
        if updates:
            self._offset = updates[-1].update_id + 1
        return list(updates)

    async def live(self) -> None:
        """Run the Application as in production (its update fetcher handles different chats at
        once); `feed()` then hands it the queued updates without waiting for them."""
        await self.app.start()
        self._live = True

    async def feed(self) -> int:
        updates = await self.fetch()
        for update in updates:
            await self.app.update_queue.put(update)
        return len(updates)

    async def flush(self) -> int:
        """Fetch the queued updates as the bot does (through the inbox), and handle them in
        order; returns how many."""
        count = 0
        while True:
            updates = await self.app.bot.get_updates(
                offset=self._offset, timeout=0, allowed_updates=Update.ALL_TYPES
            )
            if not updates:
                return count
            self._offset = updates[-1].update_id + 1
            for update in updates:
                await self.app.process_update(update)
                count += 1

    # Acting as users: each action is processed before the call returns.
    async def say(self, user: SandboxUser, chat: Any, text: str, **kwargs: Any) -> None:
        self.sandbox.send_text(user, chat, text, **kwargs)
        await self.flush()

    async def press(self, user: SandboxUser, chat: Any, label: str, **kwargs: Any) -> None:
        self.sandbox.press(user, chat, label, **kwargs)
        await self.flush()

    async def open_link(self, user: SandboxUser, url: str) -> None:
        self.sandbox.open_link(user, url)
        await self.flush()

    async def join(self, user: SandboxUser, chat: SandboxChat) -> None:
        self.sandbox.join(user, chat)
        await self.flush()

    async def leave(self, user: SandboxUser, chat: SandboxChat) -> None:
        self.sandbox.leave(user, chat)
        await self.flush()

    async def tick(self, advance: timedelta | None = None) -> RunReport:
        """Move time forward (optionally) and run the due work, as the periodic job would."""
        if advance is not None:
            self.clock.advance(advance)
        return await run_due(self.app.deps, self.app.bot)

    def last(self, chat: Any) -> SandboxMessage:
        return self.sandbox.last_bot_message(chat)

    def bot_texts(self, chat: Any) -> list[str]:
        return [m.plain for m in self.sandbox.bot_messages(chat)]
