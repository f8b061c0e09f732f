"""A tiny round-robin HTTP proxy standing in front of several `tisserand webhook` processes, as
a load balancer would: each POST goes to the next backend; a backend that does not answer is
skipped (the next one gets the request), and if none answers, Telegram gets a 502 and sends the
update again."""

from __future__ import annotations

import http.server
import itertools
import threading
from collections.abc import Sequence

import httpx


class RoundRobinProxy:
    def __init__(self, backends: Sequence[str]) -> None:
        self.backends = list(backends)
        self._next = itertools.cycle(range(len(self.backends)))
        self._lock = threading.Lock()
        self.forwarded = [0] * len(self.backends)
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length")
                }
                status, content = proxy.forward(self.path, body, headers)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def forward(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        with self._lock:
            first = next(self._next)
        for step in range(len(self.backends)):
            index = (first + step) % len(self.backends)
            try:
                response = httpx.post(
                    self.backends[index] + path, content=body, headers=headers, timeout=30
                )
            except httpx.HTTPError:
                continue
            with self._lock:
                self.forwarded[index] += 1
            return response.status_code, response.content
        return 502, b'{"ok": false}'

    def __enter__(self) -> RoundRobinProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
