"""A PTB `BaseRequest` that answers from a `Sandbox` in-process instead of calling Telegram.

Give one instance as `request` and another as `get_updates_request` (PTB wants two objects);
both may share the same sandbox. Bot API calls go to `Sandbox.call`; file downloads (the URLs
PTB builds from getFile's `file_path`) are served from the sandbox's stored files.
"""

from __future__ import annotations

import json
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from bot.sandbox.core import Sandbox, SandboxTimeout

if TYPE_CHECKING:
    # Only for annotations matching BaseRequest.do_request; PTB has no public alias.
    from telegram._utils.types import ODVInput

__all__ = ["SandboxRequest"]

# The segment PTB's default base_file_url ("https://api.telegram.org/file/bot<token>") adds.
_FILE_MARKER = "/file/bot"


def _read(content: bytes | IO[bytes]) -> bytes:
    # PTB >= 21.5 may hand over an open file instead of bytes.
    return content if isinstance(content, bytes) else content.read()


class SandboxRequest(BaseRequest):
    """Answers PTB's requests from a Sandbox, with no network."""

    def __init__(self, sandbox: Sandbox, *, read_timeout: float | None = 5.0) -> None:
        self.sandbox = sandbox
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        """Default read timeout (PTB adds it to getUpdates' long-poll timeout)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open: there is no connection pool."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Route one request: a file download or a Bot API method (the URL's last segment)."""
        path = urlsplit(url).path
        if _FILE_MARKER in path:
            return self._download(path)
        api_method = path.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.json_parameters) if request_data else {}
        files: dict[str, tuple[str, bytes, str]] = {}
        if request_data is not None and request_data.contains_files:
            for name, (filename, content, mime) in request_data.multipart_data.items():
                files[name] = (filename, _read(content), mime)
        try:
            status, body = await self.sandbox.call(api_method, params, files)
        except SandboxTimeout as exc:
            raise TimedOut(str(exc)) from exc
        return status, json.dumps(body).encode()

    def _download(self, path: str) -> tuple[int, bytes]:
        # path is /file/bot<token>/<file_path>: drop everything up to the token segment.
        after = path.split(_FILE_MARKER, 1)[1]
        file_path = unquote(after.split("/", 1)[1]) if "/" in after else ""
        content = self.sandbox.file_content(file_path)
        if content is None:
            return 404, json.dumps(
                {"ok": False, "error_code": 404, "description": "Not Found"}
            ).encode()
        return 200, content
