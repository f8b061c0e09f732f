"""An in-memory Telegram for Tisserand: the Bot API methods the bot uses, plus simulated users.

`Sandbox` (core) holds the state and answers Bot API calls; `SandboxRequest` (transport) plugs
it into PTB in-process; `serve()` (server) exposes it over HTTP on loopback and `SandboxClient`
(client) drives that server from end-to-end tests.
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
