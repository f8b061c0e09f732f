"""Telegram failures a test injects on purpose: flood waits, blocks, 5xx, timeouts, conflicts.

`Sandbox.fail_next` arms a `Failure` for the next calls of one method (optionally to one chat);
`BotApi.call` takes it before running the method and answers what Telegram would have.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from bot.sandbox.rules import ApiError

__all__ = ["FAILURE_KINDS", "Failure", "FailureKind", "Failures"]

FailureKind = Literal[
    "retry_after",
    "forbidden",
    "bad_request",
    "server_error",
    "timeout",
    "timeout_after_send",
    "conflict",
]
FAILURE_KINDS = frozenset(get_args(FailureKind))


@dataclass
class Failure:
    """One armed failure: which method (and chat), what error, how many more times."""

    method: str
    error: str
    chat_id: int | None
    retry_after: int
    remaining: int
    description: str | None

    def answer(self) -> tuple[int, dict[str, Any]]:
        """The (status, body) Telegram answers for this failure (timeouts excepted)."""
        if self.error == "retry_after":
            error = ApiError(
                429,
                self.description or f"Too Many Requests: retry after {self.retry_after}",
                {"retry_after": self.retry_after},
            )
        elif self.error == "forbidden":
            error = ApiError(403, self.description or "Forbidden: bot was blocked by the user")
        elif self.error == "bad_request":
            error = ApiError(400, self.description or "Bad Request: injected by the sandbox")
        elif self.error == "conflict":
            # What Telegram answers a second poller using the same token.
            error = ApiError(
                409,
                self.description
                or "Conflict: terminated by other getUpdates request; make sure that only one "
                "bot instance is running",
            )
        else:
            error = ApiError(502, self.description or "Bad Gateway")
        return error.code, error.body()


class Failures:
    """The armed failures, in the order they were armed."""

    def __init__(self) -> None:
        self._armed: list[Failure] = []

    def arm(self, failure: Failure) -> None:
        """Add a failure after those already armed."""
        self._armed.append(failure)

    def take(self, name: str, params: Mapping[str, Any]) -> Failure | None:
        """The first failure armed for this call, counted down (and dropped when used up)."""
        for failure in self._armed:
            if failure.method != name:
                continue
            if failure.chat_id is not None and str(params.get("chat_id")) != str(failure.chat_id):
                continue
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._armed.remove(failure)
            return failure
        return None
