"""Saving and restoring the sandbox: a restarted shell continues the same chats and numbering."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from telegram import Bot

from bot.sandbox.core import Sandbox, SandboxError, SandboxUser
from bot.sandbox.transport import SandboxRequest
from tests.sandbox.conftest import TOKEN, Clock, ok

KEYBOARD = {"inline_keyboard": [[{"text": "Oui", "callback_data": "y"}]]}


async def _world(sb: Sandbox, alice: SandboxUser) -> dict[str, int]:
    """A world with a bit of everything; returns ids the test needs."""
    bob = sb.add_user("Bob", last_name="Martin", username="bob", language_code="en")
    carol = sb.add_user("Carol")
    sb.send_text(bob, None, "/start")
    sb.block_bot(carol)
    forum = sb.create_group(
        "Forum",
        owner=alice,
        members=[bob],
        admins=[carol],
        forum=True,
        bot_rights={"can_pin_messages": True, "can_delete_messages": False},
    )
    sb.set_admin(forum, bob, True, anonymous=True, rights={"can_invite_users": False})
    thread = sb.create_topic(forum, "Ateliers")
    asked = await ok(
        sb,
        "sendMessage",
        chat_id=forum.id,
        text="<b>Qui</b> vient ?",
        parse_mode="HTML",
        reply_markup=KEYBOARD,
        message_thread_id=thread,
    )
    await ok(sb, "pinChatMessage", chat_id=forum.id, message_id=asked["message_id"])
    sb.send_text(bob, forum, "moi @tisserand_bot", reply_to=asked["message_id"])
    sb.send_text(bob, forum, "/aide", anonymous=True)
    sb.send_document(alice, None, "liste.csv", b"nom\nAlice", caption="/import")
    sb.send_photo(alice, None, caption="tonte")
    await sb.call(
        "sendDocument",
        {"chat_id": str(alice.id)},
        {"document": ("a.ics", b"BEGIN", "text/calendar")},
    )
    basic = sb.create_group("Petit", owner=alice, supergroup=False)
    sb.migrate_to_supergroup(basic)
    await ok(sb, "setMyCommands", commands=[{"command": "aide", "description": "Aide"}])
    await ok(sb, "setChatMenuButton", chat_id=alice.id, menu_button={"type": "commands"})
    sb.pop_updates()
    query = sb.press(bob, forum, "Oui")["callback_query"]["id"]  # pending, unanswered
    return {"forum": forum.id, "thread": thread, "basic": basic.id, "bob": bob.id, "query": query}


@pytest.mark.asyncio
async def test_round_trip(sb: Sandbox, alice: SandboxUser, clock: Clock, tmp_path: Path) -> None:
    ids = await _world(sb, alice)
    path = tmp_path / "sandbox.json"
    sb.save_state(path)
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1
    restored = Sandbox.load_state(path, now=clock.now)

    assert restored.bot == sb.bot
    assert restored.users == sb.users
    assert restored.chats == sb.chats
    assert restored.chat(alice.id).user is restored.user(alice.id)  # one object, as before
    assert [m.to_api() for m in restored.all_messages()] == [m.to_api() for m in sb.all_messages()]
    assert [
        (m.text, m.caption, m.parse_mode, m.document, m.photo, m.pinned, m.deleted)
        for m in restored.all_messages()
    ] == [
        (m.text, m.caption, m.parse_mode, m.document, m.photo, m.pinned, m.deleted)
        for m in sb.all_messages()
    ]
    assert restored.last_bot_message(ids["forum"]).buttons == [["Oui"]]
    assert restored.files == sb.files
    assert restored.pending_updates() == sb.pending_updates()
    assert restored.commands == sb.commands and restored.menu_buttons == sb.menu_buttons

    # What a running bot does next works on the restored sandbox.
    await ok(restored, "answerCallbackQuery", callback_query_id=ids["query"], text="Noté")
    pinned = (await ok(restored, "getChat", chat_id=ids["forum"]))["pinned_message"]
    assert pinned["text"] == "Qui vient ?"
    status, body = await restored.call("sendMessage", {"chat_id": str(ids["basic"]), "text": "x"})
    assert body["parameters"]["migrate_to_chat_id"] != ids["basic"]
    assert (await ok(restored, "getChatMember", chat_id=ids["forum"], user_id=ids["bob"]))[
        "can_invite_users"
    ] is False


@pytest.mark.asyncio
async def test_numbering_continues(
    sb: Sandbox, alice: SandboxUser, clock: Clock, tmp_path: Path
) -> None:
    ids = await _world(sb, alice)
    last_update = max(u["update_id"] for u in sb.pop_updates())
    sb.save_state(tmp_path / "s.json")
    restored = Sandbox.load_state(tmp_path / "s.json", now=clock.now)
    # Both continue identically: the same next update, user, group, message and file ids.
    handed_out = []
    for box in (sb, restored):
        update = box.send_text(ids["bob"], ids["forum"], "/aide", thread_id=ids["thread"])
        dave = box.add_user("Dave")
        group = box.create_group("Nouveau", owner=dave)
        photo = box.send_photo(dave, group, caption="/aide")["message"]
        handed_out.append(
            (
                update["update_id"],
                update["message"]["message_id"],
                dave.id,
                group.id,
                photo["message_id"],
                photo["photo"][-1]["file_id"],
                box.press(ids["bob"], ids["forum"], "Oui")["callback_query"]["id"],
            )
        )
    assert handed_out[0] == handed_out[1]
    assert handed_out[0][0] == last_update + 1
    assert restored.pending_updates() == sb.pending_updates()
    assert [m.to_api() for m in restored.all_messages()] == [m.to_api() for m in sb.all_messages()]


@pytest.mark.asyncio
async def test_a_bot_polls_the_restored_sandbox(
    sb: Sandbox, alice: SandboxUser, clock: Clock, tmp_path: Path
) -> None:
    sb.send_text(alice, None, "avant")
    bot = Bot(TOKEN, request=SandboxRequest(sb), get_updates_request=SandboxRequest(sb))
    async with bot:
        handled = (await bot.get_updates())[-1].update_id  # returned, not yet confirmed
    sb.save_state(tmp_path / "s.json")
    restored = Sandbox.load_state(tmp_path / "s.json", now=clock.now)
    restored.send_text(alice, None, "après")
    bot = Bot(TOKEN, request=SandboxRequest(restored), get_updates_request=SandboxRequest(restored))
    async with bot:
        updates = await bot.get_updates(offset=handled + 1)
    assert [(u.update_id, u.message and u.message.text) for u in updates] == [
        (handled + 1, "après")
    ]


def test_not_a_state_file(tmp_path: Path) -> None:
    path = tmp_path / "autre.json"
    path.write_text('{"version": 99}', encoding="utf-8")
    with pytest.raises(SandboxError, match="not a sandbox state"):
        Sandbox.load_state(path)
