"""A synchronous client for the sandbox server's ``/sandbox/`` API.

End-to-end tests start a real bot process against a sandbox server and use this client to act
as users and wait for the bot's answers. It is blocking (httpx), so async tests call it through
`asyncio.to_thread`.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import httpx

__all__ = ["SandboxClient", "SandboxClientError"]

MessageMatch = Callable[[dict[str, Any]], bool] | str


class SandboxClientError(Exception):
    """The sandbox refused the action (unknown user, button not found...)."""


class SandboxClient:
    """Acts as users on a sandbox server and reads its chats."""

    def __init__(self, base_url: str = "http://127.0.0.1:8081", *, timeout: float = 10.0) -> None:
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _check(self, response: httpx.Response) -> Any:
        if response.status_code == 400:
            raise SandboxClientError(response.json().get("error", response.text))
        response.raise_for_status()
        return response.json()

    def _post(self, action: str, payload: dict[str, Any]) -> Any:
        body = {key: value for key, value in payload.items() if value is not None}
        return self._check(self._http.post(f"/sandbox/{action}", json=body))

    def _get(self, action: str, **params: Any) -> Any:
        return self._check(self._http.get(f"/sandbox/{action}", params=params))

    # --- world building

    def add_user(
        self,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "fr",
    ) -> dict[str, Any]:
        """A new user; returns its User object (plus started/blocked)."""
        return self._post(
            "users",
            {
                "first_name": first_name,
                "last_name": last_name,
                "username": username,
                "language_code": language_code,
            },
        )

    def create_group(
        self,
        title: str,
        *,
        owner_id: int,
        member_ids: Iterable[int] = (),
        admin_ids: Iterable[int] = (),
        forum: bool = False,
        supergroup: bool = True,
        bot_is_admin: bool = True,
    ) -> dict[str, Any]:
        """A group with the bot added; returns its Chat object (plus members)."""
        return self._post(
            "groups",
            {
                "title": title,
                "owner_id": owner_id,
                "member_ids": list(member_ids),
                "admin_ids": list(admin_ids),
                "forum": forum,
                "supergroup": supergroup,
                "bot_is_admin": bot_is_admin,
            },
        )

    def create_topic(self, chat_id: int, name: str) -> int:
        """A forum topic opened by the owner; returns its message_thread_id."""
        return int(self._post("topics", {"chat_id": chat_id, "name": name})["message_thread_id"])

    # --- acting as users (each returns the update queued for the bot)

    def send(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        anonymous: bool = False,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends text (private chat with the bot unless chat_id)."""
        return self._post(
            "send",
            {
                "user_id": user_id,
                "chat_id": chat_id,
                "text": text,
                "anonymous": anonymous,
                "reply_to": reply_to,
                "thread_id": thread_id,
            },
        )

    def press(
        self,
        user_id: int,
        label: str,
        *,
        chat_id: int | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """The user presses the inline button labelled `label`."""
        return self._post(
            "press",
            {"user_id": user_id, "label": label, "chat_id": chat_id, "message_id": message_id},
        )

    def open_link(self, user_id: int, url: str, *, group_id: int | None = None) -> dict[str, Any]:
        """The user opens a t.me deep link to the bot."""
        return self._post("open_link", {"user_id": user_id, "url": url, "group_id": group_id})

    def send_document(
        self,
        user_id: int,
        filename: str,
        content: bytes,
        *,
        chat_id: int | None = None,
        caption: str | None = None,
        mime: str = "application/octet-stream",
    ) -> dict[str, Any]:
        """The user sends a file."""
        return self._post(
            "document",
            {
                "user_id": user_id,
                "chat_id": chat_id,
                "filename": filename,
                "content_base64": base64.b64encode(content).decode(),
                "caption": caption,
                "mime": mime,
            },
        )

    def join(self, user_id: int, chat_id: int) -> list[dict[str, Any]]:
        """The user joins the group."""
        return self._post("join", {"user_id": user_id, "chat_id": chat_id})

    def leave(self, user_id: int, chat_id: int) -> list[dict[str, Any]]:
        """The user leaves the group."""
        return self._post("leave", {"user_id": user_id, "chat_id": chat_id})

    def block(self, user_id: int) -> dict[str, Any]:
        """The user blocks the bot."""
        return self._post("block", {"user_id": user_id})

    def fail(
        self,
        method: str,
        error: str,
        *,
        chat_id: int | None = None,
        retry_after: int = 1,
        times: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail (see Sandbox.fail_next)."""
        self._post(
            "fail",
            {
                "method": method,
                "error": error,
                "chat_id": chat_id,
                "retry_after": retry_after,
                "times": times,
                "description": description,
            },
        )

    # --- looking

    def messages(
        self,
        chat_id: int,
        *,
        include_deleted: bool = False,
        from_bot: bool | None = None,
        after: int | None = None,
    ) -> list[dict[str, Any]]:
        """The chat's messages: message_id, from_id, from_bot, text, plain, buttons...

        from_bot: only the bot's (True) or only the others' (False); after: only messages
        with a greater message_id.
        """
        params: dict[str, Any] = {"chat_id": chat_id}
        if include_deleted:
            params["include_deleted"] = "1"
        if from_bot is not None:
            params["from_bot"] = "1" if from_bot else "0"
        if after is not None:
            params["after"] = after
        return self._get("messages", **params)

    def users(self) -> list[dict[str, Any]]:
        """Every user: their User object, plus started/blocked."""
        return self._get("users")

    def groups(self) -> list[dict[str, Any]]:
        """Every group and supergroup: its Chat object, plus members, bot_status, topics..."""
        return self._get("groups")

    def events(self, *, since: int = 0) -> list[dict[str, Any]]:
        """What happened from event `since` on, in order: index, kind and the event's fields."""
        return self._get("events", since=since)

    def calls(self) -> list[tuple[str, dict[str, Any]]]:
        """Every Bot API call the sandbox received: (method, params)."""
        return [(name, params) for name, params in self._get("calls")]

    def wait_for(
        self,
        chat_id: int,
        match: MessageMatch,
        *,
        timeout: float = 10.0,
        after_message_id: int | None = None,
        from_bot: bool = True,
        interval: float = 0.05,
    ) -> dict[str, Any]:
        """Poll until a message of the chat matches; return it.

        match: a predicate on the message dict, or a string the message's plain text contains.
        Only the bot's messages are considered unless from_bot=False, and only those after
        `after_message_id` when given. Raises TimeoutError listing the last messages.
        """
        predicate: Callable[[dict[str, Any]], bool]
        if isinstance(match, str):
            needle = match

            def contains(message: dict[str, Any]) -> bool:
                return needle in (message.get("plain") or "")

            predicate = contains
        else:
            predicate = match
        deadline = time.monotonic() + timeout
        seen: list[dict[str, Any]] = []
        while True:
            seen = [
                message
                for message in self.messages(chat_id)
                if (not from_bot or message["from_bot"])
                and (after_message_id is None or message["message_id"] > after_message_id)
            ]
            for message in seen:
                if predicate(message):
                    return message
            if time.monotonic() >= deadline:
                recent = [(m["message_id"], m["plain"][:80]) for m in seen[-5:]]
                raise TimeoutError(
                    f"no matching message in chat {chat_id} after {timeout}s; last: {recent}"
                )
            time.sleep(interval)
