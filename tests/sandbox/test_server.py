"""The sandbox over HTTP: a PTB Bot with base_url on loopback, and the SandboxClient API."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from telegram import Bot
from telegram.error import InvalidToken, TimedOut
from telegram.request import HTTPXRequest

from bot.sandbox.client import SandboxClient, SandboxClientError
from bot.sandbox.core import Sandbox
from bot.sandbox.server import SandboxServer, serve
from tests.sandbox.conftest import TOKEN


@pytest_asyncio.fixture
async def server(sb: Sandbox) -> AsyncIterator[SandboxServer]:
    running = await serve(sb, port=0, timeout_hold=2.0)
    yield running
    await running.stop()


def _bot(server: SandboxServer, token: str = TOKEN, read_timeout: float = 5.0) -> Bot:
    return Bot(
        token,
        base_url=server.api_base_url,
        base_file_url=server.file_base_url,
        request=HTTPXRequest(read_timeout=read_timeout),
        get_updates_request=HTTPXRequest(),
    )


@pytest.mark.asyncio
async def test_bot_over_http_with_long_polling(
    sb: Sandbox, server: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert server.port > 0
    client = SandboxClient(server.url)
    bot = _bot(server)
    async with bot:
        assert bot.username == "tisserand_bot"
        user = await asyncio.to_thread(client.add_user, "Alice", username="alice")
        poll = asyncio.create_task(bot.get_updates(timeout=5))
        await asyncio.sleep(0.1)
        assert not poll.done()  # waiting for an update, without blocking the server
        await asyncio.to_thread(client.send, user["id"], "/start")
        updates = await asyncio.wait_for(poll, 3)
        assert updates[0].message is not None and updates[0].message.text == "/start"
        await bot.send_message(user["id"], "<b>Bienvenue</b>", parse_mode="HTML")
        messages = await asyncio.to_thread(client.messages, user["id"])
        assert messages[-1]["plain"] == "Bienvenue"
        assert messages[-1]["from_bot"] is True
        # Files go up as multipart and come back from the file URL.
        await bot.send_document(user["id"], b"a;b\n", filename="export.csv")
        assert sb.last_bot_message(user["id"]).document == ("export.csv", b"a;b\n", "text/csv")
        await asyncio.to_thread(client.send_document, user["id"], "in.txt", b"contenu")
        update = (await bot.get_updates(offset=updates[-1].update_id + 1))[0]
        assert update.message is not None and update.message.document is not None
        file = await update.message.document.get_file()
        assert bytes(await file.download_as_bytearray()) == b"contenu"
    client.close()
    # The server's own log lines (and tornado's) never show the token; httpx's are the bot's.
    server_lines = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(("bot.sandbox", "tornado"))
    ]
    assert all(TOKEN not in line and "123456%3A" not in line for line in server_lines)
    assert "/bot<token>/getMe" in "\n".join(server_lines)


@pytest.mark.asyncio
async def test_malformed_token_is_unauthorized(server: SandboxServer) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{server.url}/botnot-a-token/getMe")
        assert response.status_code == 401
        assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        response = await http.post(f"{server.url}/bot{TOKEN}/getMe", json={})
        assert response.json()["result"]["username"] == "tisserand_bot"
        response = await http.get(f"{server.url}/nowhere")
        assert response.status_code == 404
    requests = HTTPXRequest(), HTTPXRequest()
    bad = Bot(
        "12:short",
        base_url=server.api_base_url,
        request=requests[0],
        get_updates_request=requests[1],
    )
    with pytest.raises(InvalidToken):
        await bad.initialize()
    for request in requests:  # a failed initialize leaves them open
        await request.shutdown()


@pytest.mark.asyncio
async def test_json_and_form_bodies(sb: Sandbox, server: SandboxServer) -> None:
    alice = sb.add_user("Alice")
    sb.send_text(alice, None, "/start")
    url = f"{server.url}/bot{TOKEN}/sendMessage"
    markup = {"inline_keyboard": [[{"text": "Oui", "callback_data": "y"}]]}
    async with httpx.AsyncClient() as http:
        response = await http.post(
            url, json={"chat_id": alice.id, "text": "1", "reply_markup": markup}
        )
        assert response.status_code == 200
        assert response.json()["result"]["text"] == "1"  # a string, not the number 1
        response = await http.post(url, data={"chat_id": str(alice.id), "text": ""})
        assert response.status_code == 400
        assert response.json()["description"] == "Bad Request: message text is empty"
    assert sb.last_bot_message(alice).buttons == [["Oui"]]


@pytest.mark.asyncio
async def test_injected_timeout_over_http(sb: Sandbox, server: SandboxServer) -> None:
    alice = sb.add_user("Alice")
    sb.send_text(alice, None, "/start")
    bot = _bot(server, read_timeout=0.3)
    async with bot:
        sb.fail_next("sendMessage", "timeout_after_send")
        with pytest.raises(TimedOut):
            await bot.send_message(alice.id, "envoyé ?")
    assert sb.last_bot_message(alice).plain == "envoyé ?"


def _client_scenario(client: SandboxClient) -> tuple[int, int]:
    """Runs in a thread: builds a world through the client API; returns (alice, group) ids."""
    alice = client.add_user("Alice", username="alice")
    bob = client.add_user("Bob")
    group = client.create_group("Filière", owner_id=alice["id"], member_ids=[bob["id"]])
    joined = client.join(client.add_user("Carol")["id"], group["id"])
    assert [next(k for k in u if k != "update_id") for u in joined] == ["message", "chat_member"]
    sent = client.send(alice["id"], "/aide", chat_id=group["id"])
    assert sent["message"]["text"] == "/aide"
    client.send(alice["id"], "/start")
    with pytest.raises(SandboxClientError, match="no button"):
        client.press(alice["id"], "Introuvable", chat_id=group["id"])
    with pytest.raises(SandboxClientError, match="unknown user"):
        client.send(999, "x")
    client.fail("sendMessage", "forbidden", chat_id=alice["id"])
    return int(alice["id"]), int(group["id"])


@pytest.mark.asyncio
async def test_client_api(sb: Sandbox, server: SandboxServer) -> None:
    client = SandboxClient(server.url)
    alice_id, group_id = await asyncio.to_thread(_client_scenario, client)
    status, _ = await sb.call("sendMessage", {"chat_id": str(alice_id), "text": "x"})
    assert status == 403  # the injected failure
    status, _ = await sb.call("sendMessage", {"chat_id": str(alice_id), "text": "x"})
    assert status == 200
    # The bot answers with a keyboard; the client presses it and waits for the edit.
    status, body = await sb.call(
        "sendMessage",
        {
            "chat_id": str(group_id),
            "text": "Bonjour",
            "reply_markup": '{"inline_keyboard": [[{"text": "Merci", "callback_data": "m"}]]}',
        },
    )
    assert status == 200
    after = body["result"]["message_id"] - 1
    found = await asyncio.to_thread(client.wait_for, group_id, "Bonjour", after_message_id=after)
    assert found["buttons"] == [["Merci"]]
    pressed = await asyncio.to_thread(client.press, alice_id, "merci", chat_id=group_id)
    assert pressed["callback_query"]["data"] == "m"
    with pytest.raises(TimeoutError):
        await asyncio.to_thread(client.wait_for, group_id, lambda m: False, timeout=0.1)
    client.close()


@pytest.mark.asyncio
async def test_read_only_actions_over_get(sb: Sandbox, server: SandboxServer) -> None:
    alice = sb.add_user("Alice", username="alice")
    bob = sb.add_user("Bob")
    group = sb.create_group("Filière", owner=alice, members=[bob], forum=True)
    thread = sb.create_topic(group, "Ateliers")
    sb.send_text(alice, None, "/start")
    sb.send_text(bob, group, "bonjour", thread_id=thread)
    await sb.call("sendMessage", {"chat_id": str(alice.id), "text": "Bienvenue"})
    sb.send_sticker(alice, None)
    async with httpx.AsyncClient(base_url=f"{server.url}/sandbox") as http:
        users = (await http.get("/users")).json()
        assert [(u["id"], u["first_name"], u["started"]) for u in users] == [
            (alice.id, "Alice", True),
            (bob.id, "Bob", False),
        ]
        groups = (await http.get("/groups")).json()
        assert [(g["id"], g["title"], g["is_forum"]) for g in groups] == [
            (group.id, "Filière", True)
        ]
        assert groups[0]["members"] == {str(alice.id): "creator", str(bob.id): "member"}
        assert groups[0]["topics"] == {str(thread): "Ateliers"}
        assert groups[0]["bot_status"] == "administrator"
        chats = (await http.get("/chats")).json()
        assert {c["id"] for c in chats} == {alice.id, bob.id, group.id}
        private = (await http.get("/messages", params={"chat": alice.id})).json()
        assert [(m["plain"], m["from_bot"], m["media"]) for m in private] == [
            ("/start", False, []),
            ("Bienvenue", True, []),
            ("", False, ["sticker"]),
        ]
        assert (await http.get("/messages", params={"chat_id": alice.id})).json() == private
        from_bot = (await http.get("/messages", params={"chat": alice.id, "from_bot": 1})).json()
        assert [m["plain"] for m in from_bot] == ["Bienvenue"]
        after = (await http.get("/messages", params={"chat": alice.id, "after": 1})).json()
        assert [m["message_id"] for m in after] == [2, 3]
        everywhere = (await http.get("/messages", params={"user_id": bob.id})).json()
        assert [(m["chat_id"], m["plain"]) for m in everywhere] == [(group.id, "bonjour")]
        events = (await http.get("/events")).json()
        assert [e["kind"] for e in events] == [
            "user_message",
            "user_message",
            "sent",
            "user_message",
        ]
        assert [e["index"] for e in events] == [0, 1, 2, 3]
        sent = (await http.get("/events", params={"since": 2})).json()
        assert [e["index"] for e in sent] == [2, 3]
        assert sent[0]["kind"] == "sent" and sent[0]["text"] == "Bienvenue"
        assert sent[0]["message"]["from_bot"] is True and sent[0]["buttons"] == []
        assert (await http.get("/events", params={"since": 4})).json() == []
        # Mistakes get a status that says which.
        assert (await http.get("/events", params={"since": "x"})).status_code == 400
        assert (await http.get("/messages", params={"chat": 5})).status_code == 400
        assert (await http.get("/send")).status_code == 405
        assert (await http.post("/events", json={})).status_code == 405
        assert (await http.get("/nothing")).status_code == 404
        # POST keeps acting: the same path creates a user.
        created = (await http.post("/users", json={"first_name": "Carol"})).json()
        assert created["first_name"] == "Carol"
        assert len((await http.get("/users")).json()) == 3


def _look_through_client(client: SandboxClient, group_id: int) -> None:
    """Runs in a thread: the client's read-only helpers."""
    assert [u["first_name"] for u in client.users()] == ["Alice"]
    assert [g["id"] for g in client.groups()] == [group_id]
    assert [e["kind"] for e in client.events()][-1] == "user_message"
    assert client.events(since=len(client.events())) == []
    messages = client.messages(group_id, from_bot=False)
    assert [(m["plain"], m["service"] is not None) for m in messages] == [
        ("", True),  # Alice added the bot
        ("/aide", False),
    ]
    assert client.messages(group_id, after=messages[0]["message_id"]) == messages[1:]


@pytest.mark.asyncio
async def test_client_reads_over_get(sb: Sandbox, server: SandboxServer) -> None:
    alice = sb.add_user("Alice")
    group = sb.create_group("G", owner=alice)
    sb.send_text(alice, group, "/aide")
    with SandboxClient(server.url) as client:
        await asyncio.to_thread(_look_through_client, client, group.id)


@pytest.mark.asyncio
async def test_webhooks_are_pushed_with_the_secret_and_retried(
    sb: Sandbox, server: SandboxServer
) -> None:
    import tornado.httpserver
    import tornado.netutil
    import tornado.web

    received: list[tuple[int, str | None]] = []

    class Hook(tornado.web.RequestHandler):
        def check_xsrf_cookie(self) -> None:
            """No cookie from Telegram."""

        def post(self) -> None:
            import json

            update = json.loads(self.request.body)
            received.append(
                (update["update_id"], self.request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
            )
            # The bot is down for the first try.
            self.set_status(500 if len(received) == 1 else 200)

    http = tornado.httpserver.HTTPServer(tornado.web.Application([("/hook", Hook)]))
    sockets = tornado.netutil.bind_sockets(0, address="127.0.0.1")
    http.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    try:
        server.webhooks.retry = 0.05
        async with _bot(server) as bot:
            assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="abc")
            info = await bot.get_webhook_info()
            assert info.url.endswith("/hook")
        paul = sb.add_user("Paul")
        sb.send_text(paul, None, "/aide")
        for _ in range(200):
            if len(received) >= 2:
                break
            await asyncio.sleep(0.02)
        assert received[0] == received[1] and received[0][1] == "abc"
        assert len(sb.world.updates) == 0  # taken: Telegram forgets it
    finally:
        http.stop()


@pytest.mark.asyncio
async def test_a_webhook_must_be_https_except_on_loopback(server: SandboxServer) -> None:
    from telegram.error import BadRequest

    async with _bot(server) as bot:
        with pytest.raises(BadRequest):
            await bot.set_webhook("http://example.org/hook")
        assert await bot.set_webhook("https://example.org/hook")
