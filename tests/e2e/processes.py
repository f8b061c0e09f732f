"""Real processes for the end-to-end tests: `tisserand sandbox` over HTTP and `tisserand run`
against it, and a script runner that acts as users and waits for the bot's answers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bot.sandbox.client import SandboxClient
from tests.helpers import nb

TOKEN = "123456:" + "E" * 35
Match = str | Callable[[dict[str, Any]], bool]
# (who acts, in which chat (None: private), "say" or "press", what, chat to watch, expected)
Step = tuple[int, int | None, str, str, int, Match]


def start_sandbox() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/bot", line)
    assert match, line + (process.stderr.read() if process.stderr else "")
    return process, f"http://127.0.0.1:{match.group(1)}"


def sandbox_process() -> Iterator[str]:
    process, url = start_sandbox()
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def start_bot(
    sandbox_url: str, database_url: str, tmp_path: Path, **settings: str
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TISSERAND_")}
    env.update(
        TISSERAND_TOKEN=TOKEN,
        TISSERAND_API_BASE_URL=f"{sandbox_url}/bot",
        TISSERAND_DATABASE_URL=database_url,
        TISSERAND_DUE_INTERVAL="1",
    )
    env.update({f"TISSERAND_{k.upper()}": v for k, v in settings.items()})
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return err


def play(client: SandboxClient, script: list[Step], timeout: float = 30) -> None:
    for user, chat, action, what, watch, expected in script:
        if action == "say":
            client.send(user, what, chat_id=chat)
        else:
            client.press(user, what, chat_id=chat)
        client.wait_for(watch, expected, timeout=timeout)


def open_collective(client: SandboxClient) -> tuple[int, int, int]:
    """Claire registers « Laine » with the bot; returns (group, Claire, Paul) ids. Paul is in
    the group, not yet in the collective."""
    claire = client.add_user("Claire", username="claire")
    paul = client.add_user("Paul")
    group = client.create_group("Laine", owner_id=claire["id"], member_ids=[paul["id"]])
    play(client, register_steps(group["id"], claire["id"]))
    return group["id"], claire["id"], paul["id"]


def register_steps(G: int, C: int) -> list[Step]:
    """Claire (C) types /filiere in the group G and answers the setup in private."""
    return [
        (C, G, "say", "/filiere", G, nb("Le collectif « Laine » est en cours de création")),
        (C, G, "press", "Continuer en privé", C, "Quel est le nom du collectif"),
        (C, None, "say", "Filière laine", C, "Quel nom court"),
        (C, None, "press", "Garder", C, "Sur quel territoire"),
        (C, None, "say", "Cantal", C, "Comment voyez-vous la filière"),
        (C, None, "press", "Chaîne de valeur", C, "Quels sont les maillons"),
        (C, None, "press", "Garder ces maillons", C, "En quelle langue"),
        (C, None, "press", "Français", G, "le collectif est ouvert"),
    ]


WEBHOOK_SECRET = "e2e-webhook_secret"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_webhook_bot(
    sandbox_url: str,
    database_url: str,
    tmp_path: Path,
    *,
    port: int,
    url: str | None = None,
    **settings: str,
) -> subprocess.Popen[str]:
    """`tisserand webhook` against the sandbox, serving on 127.0.0.1:`port`; Telegram (the
    sandbox) is told to call `url` (by default, that very port)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TISSERAND_")}
    env.update(
        TISSERAND_TOKEN=TOKEN,
        TISSERAND_API_BASE_URL=f"{sandbox_url}/bot",
        TISSERAND_DATABASE_URL=database_url,
        TISSERAND_DUE_INTERVAL="1",
        TISSERAND_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    env.update({f"TISSERAND_{k.upper()}": v for k, v in settings.items()})
    hook = url or f"http://127.0.0.1:{port}/telegram"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "webhook", "--url", hook, "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert "Webhook" in line, line + (process.stderr.read() if process.stderr else "")
    return process
