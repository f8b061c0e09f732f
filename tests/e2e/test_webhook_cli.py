"""`tisserand webhook` as a real process behind `tisserand sandbox` over HTTP: Telegram (the
sandbox) POSTs each update with the secret, the bot answers, due work runs."""

from __future__ import annotations

from pathlib import Path

import httpx

from bot.app import ALLOWED_UPDATES
from bot.sandbox.client import SandboxClient
from tests.e2e.processes import (
    WEBHOOK_SECRET,
    free_port,
    open_collective,
    start_webhook_bot,
    stop,
)
from tests.e2e.test_cli import one_line, tisserand


def test_the_bot_answers_through_its_webhook(
    sandbox_url: str, database_url: str, tmp_path: Path
) -> None:
    client = SandboxClient(sandbox_url)
    port = free_port()
    bot = start_webhook_bot(sandbox_url, database_url, tmp_path, port=port)
    try:
        webhooks = [params for name, params in client.calls() if name == "setWebhook"]
        assert webhooks, "the bot never set its webhook"
        params = webhooks[-1]
        assert params["url"] == f"http://127.0.0.1:{port}/telegram"
        assert params["secret_token"] == WEBHOOK_SECRET
        assert "chat_member" in params["allowed_updates"]
        assert set(params["allowed_updates"]) == set(ALLOWED_UPDATES)
        # Never polls: Telegram pushes.
        assert not [name for name, _ in client.calls() if name == "getUpdates"]
        group, _claire, paul = open_collective(client)
        client.send(paul, "/rejoindre", chat_id=group)
        client.wait_for(group, "pour rejoindre", timeout=30)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert health.status_code == 200
        refused = httpx.post(f"http://127.0.0.1:{port}/telegram", json={"update_id": 1})
        assert refused.status_code == 403
    finally:
        err = stop(bot)
    assert "Traceback" not in err, err


def test_webhook_without_secret_is_one_line(tmp_path: Path) -> None:
    result = tisserand(
        "webhook",
        "--url",
        "https://bot.example.org/telegram",
        env={"TISSERAND_TOKEN": "123456:" + "W" * 35},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "TISSERAND_WEBHOOK_SECRET" in one_line(result)


def test_webhook_needs_its_url(tmp_path: Path) -> None:
    result = tisserand("webhook", cwd=tmp_path)
    assert result.returncode == 2
    assert "--url" in one_line(result)
