"""Domain refusals. Handlers turn each into the message content/messages/*/refusals/<code>.j2."""

from __future__ import annotations


class Refusal(Exception):
    """Something the user asked that cannot be done; `code` names the message to show."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
