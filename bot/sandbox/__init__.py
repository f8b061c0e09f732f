"""An in-memory Telegram for Tisserand: the Bot API methods the bot uses, plus simulated users.

`Sandbox` (core) is the facade tests use. Behind it:

- `world` holds the state (users, chats, messages, files, ids), with `updates` (the update
  queue and long polling);
- `api` answers Bot API calls with Telegram's rules (`rules`: limits, formatting, keyboards;
  `entities`: HTML parsing and entities; `failures`: injected errors; `ratelimit`: opt-in
  flood limits);
- `scene` builds users and groups, `people` acts as those users (`media`: the files their
  clients upload);
- `events` logs what both sides did, in order; `persistence` saves and restores it all as JSON.

`SandboxRequest` (transport) plugs a sandbox into PTB in-process; `serve()` (server) exposes it
over HTTP on loopback and `SandboxClient` (client) drives that server from end-to-end tests.
"""

from bot.sandbox.core import (
    ANONYMOUS_ADMIN_ID,
    Sandbox,
    SandboxChat,
    SandboxError,
    SandboxMessage,
    SandboxTimeout,
    SandboxUser,
)
from bot.sandbox.transport import SandboxRequest

__all__ = [
    "ANONYMOUS_ADMIN_ID",
    "Sandbox",
    "SandboxChat",
    "SandboxError",
    "SandboxMessage",
    "SandboxRequest",
    "SandboxTimeout",
    "SandboxUser",
]
