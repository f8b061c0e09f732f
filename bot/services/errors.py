"""Domain refusals. Handlers turn each into the message content/messages/*/refusals/<code>.j2."""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """Something the user asked that cannot be done; `code` names the message to show.

    What the update wrote before the refusal is undone, unless `keep` (a clean-up that must
    stay, such as forgetting a conversation whose subject is gone).
    """

    def __init__(self, code: str, *, keep: bool = False, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.keep = keep
        self.params = params
