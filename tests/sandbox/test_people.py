"""The simulated people's actions: edits, stickers, photos, voice notes, locations."""

from __future__ import annotations

import zlib
from datetime import timedelta

import pytest

from bot.sandbox.core import Sandbox, SandboxChat, SandboxError, SandboxUser
from bot.sandbox.rules import image_size
from tests.sandbox.conftest import Clock, ok


@pytest.fixture
def quiet_group(sb: Sandbox, alice: SandboxUser) -> SandboxChat:
    """A group where the bot is a plain member, so privacy mode applies."""
    group = sb.create_group("Privé de bot", owner=alice, bot_is_admin=False)
    sb.pop_updates()
    return group


# --- edit_text -------------------------------------------------------------------------------


def test_edit_text_sends_edited_message(sb: Sandbox, alice: SandboxUser, clock: Clock) -> None:
    sent = sb.send_text(alice, None, "bonjour")
    clock.advance(timedelta(minutes=3))
    update = sb.edit_text(alice, None, sent["message"]["message_id"], "/aide @claire_m")
    assert update["update_id"] == sent["update_id"] + 1
    assert "message" not in update
    edited = update["edited_message"]
    assert edited["message_id"] == sent["message"]["message_id"]
    assert edited["date"] == sent["message"]["date"]
    assert edited["edit_date"] == int(clock.current.timestamp())
    assert edited["text"] == "/aide @claire_m"
    assert edited["entities"] == [
        {"type": "bot_command", "offset": 0, "length": 5},
        {"type": "mention", "offset": 6, "length": 9},
    ]
    stored = sb.messages(alice)[-1]
    assert (stored.text, stored.plain, stored.edited) == (
        "/aide @claire_m",
        "/aide @claire_m",
        True,
    )
    assert sb.pop_updates()[-1] == update


@pytest.mark.asyncio
async def test_edit_text_only_for_the_author_and_real_changes(
    sb: Sandbox, alice: SandboxUser
) -> None:
    bob = sb.add_user("Bob")
    group = sb.create_group("G", owner=alice, members=[bob])
    mine = sb.send_text(alice, group, "salut")["message"]["message_id"]
    with pytest.raises(SandboxError, match="can edit"):
        sb.edit_text(bob, group, mine, "piraté")
    with pytest.raises(SandboxError, match="did not change"):
        sb.edit_text(alice, group, mine, "salut")
    with pytest.raises(SandboxError, match="empty"):
        sb.edit_text(alice, group, mine, "  ")
    bot_message = (await ok(sb, "sendMessage", chat_id=group.id, text="du bot"))["message_id"]
    with pytest.raises(SandboxError, match="can edit"):
        sb.edit_text(alice, group, bot_message, "réécrit")
    with pytest.raises(SandboxError, match="no message"):
        sb.edit_text(alice, group, 999, "x")
    assert sb.messages(group)[-2].plain == "salut"


def test_edit_caption_of_a_photo(sb: Sandbox, alice: SandboxUser) -> None:
    photo = sb.send_photo(alice, None)["message"]
    edited = sb.edit_text(alice, None, photo["message_id"], "Tonte 2025")["edited_message"]
    assert edited["caption"] == "Tonte 2025" and "text" not in edited
    assert edited["photo"] == photo["photo"]
    located = sb.send_location(alice, None, 45.1, 2.6)["message"]["message_id"]
    with pytest.raises(SandboxError, match="no text or caption"):
        sb.edit_text(alice, None, located, "ici")


@pytest.mark.asyncio
async def test_edits_follow_privacy_mode(
    sb: Sandbox, alice: SandboxUser, quiet_group: SandboxChat
) -> None:
    chatter = sb.send_text(alice, quiet_group, "bavardage")["message"]["message_id"]
    assert sb.edit_text(alice, quiet_group, chatter, "encore")["update_id"] is None
    assert sb.edit_text(alice, quiet_group, chatter, "/aide")["update_id"] is not None
    question = await ok(sb, "sendMessage", chat_id=quiet_group.id, text="Votre commune ?")
    answer = sb.send_text(alice, quiet_group, "Murat", reply_to=question["message_id"])
    fixed = sb.edit_text(alice, quiet_group, answer["message"]["message_id"], "Allanche")
    assert fixed["update_id"] is not None
    assert fixed["edited_message"]["reply_to_message"]["message_id"] == question["message_id"]


# --- stickers, photos, voice notes, locations --------------------------------------------------


@pytest.mark.asyncio
async def test_sticker(sb: Sandbox) -> None:
    bob = sb.add_user("Bob")
    update = sb.send_sticker(bob, None, emoji="🐑")
    assert bob.started  # like any first message, it starts the bot
    sticker = update["message"]["sticker"]
    assert {k: sticker[k] for k in ("type", "width", "height", "is_animated", "is_video")} == {
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    assert sticker["emoji"] == "🐑"
    assert sticker["file_id"] and sticker["file_unique_id"]
    assert "text" not in update["message"]
    info = await ok(sb, "getFile", file_id=sticker["file_id"])
    assert sb.file_content(info["file_path"]).startswith(b"RIFF")  # type: ignore[union-attr]


@pytest.mark.asyncio
async def test_photo_sizes_are_real_pngs(sb: Sandbox, alice: SandboxUser) -> None:
    message = sb.send_photo(alice, None, caption="La tonte")["message"]
    assert message["caption"] == "La tonte"
    sizes = message["photo"]
    assert [(s["width"], s["height"]) for s in sizes] == [(90, 68), (320, 240)]
    assert len({s["file_id"] for s in sizes}) == 2
    info = await ok(sb, "getFile", file_id=sizes[-1]["file_id"])
    content = sb.file_content(info["file_path"])
    assert content is not None and image_size(content) == (320, 240)
    assert info["file_size"] == sizes[-1]["file_size"] == len(content)
    # The IDAT chunk decompresses to one filter byte and 320 RGB pixels per row.
    idat = content.index(b"IDAT")
    length = int.from_bytes(content[idat - 4 : idat], "big")
    assert len(zlib.decompress(content[idat + 4 : idat + 4 + length])) == 240 * (1 + 320 * 3)
    assert sb.messages(alice)[-1].photo == content
    with pytest.raises(SandboxError, match="1024"):
        sb.send_photo(alice, None, caption="x" * 1025)


def test_voice_and_location(sb: Sandbox, alice: SandboxUser) -> None:
    voice = sb.send_voice(alice, None, duration=7)["message"]["voice"]
    assert (voice["duration"], voice["mime_type"]) == (7, "audio/ogg")
    assert voice["file_id"] in sb.files
    location = sb.send_location(alice, None, 45.0347, 2.7213)["message"]["location"]
    assert location == {"latitude": 45.0347, "longitude": 2.7213}
    with pytest.raises(SandboxError, match="no such place"):
        sb.send_location(alice, None, 91, 0)


@pytest.mark.asyncio
async def test_media_follow_privacy_mode(
    sb: Sandbox, alice: SandboxUser, quiet_group: SandboxChat
) -> None:
    # In a group where it is not admin, the bot only gets media that reply to it...
    assert sb.send_sticker(alice, quiet_group)["update_id"] is None
    assert sb.send_photo(alice, quiet_group)["update_id"] is None
    assert sb.send_voice(alice, quiet_group)["update_id"] is None
    assert sb.send_location(alice, quiet_group, 45.0, 2.0)["update_id"] is None
    question = (await ok(sb, "sendMessage", chat_id=quiet_group.id, text="Où ?"))["message_id"]
    assert sb.send_location(alice, quiet_group, 45.0, 2.0, reply_to=question)["update_id"]
    assert sb.send_sticker(alice, quiet_group, reply_to=question)["update_id"]
    assert sb.send_voice(alice, quiet_group, reply_to=question)["update_id"]
    # ...or whose caption is a command for it.
    assert sb.send_photo(alice, quiet_group, caption="/aide")["update_id"] is not None


def test_media_in_a_forum_topic(sb: Sandbox, alice: SandboxUser) -> None:
    forum = sb.create_group("Forum", owner=alice, forum=True)
    thread = sb.create_topic(forum, "Photos")
    message = sb.send_photo(alice, forum, thread_id=thread)["message"]
    assert message["message_thread_id"] == thread and message["is_topic_message"] is True


def test_a_restricted_user_is_a_member_or_not(sb: Sandbox) -> None:
    owner = sb.add_user("Owner")
    alice, bob = sb.add_user("Alice"), sb.add_user("Bob")
    group = sb.create_group("G", owner=owner, members=[alice, bob])
    sb.restrict(group, alice, is_member=True)
    sb.restrict(group, bob, is_member=False)
    api = sb.world.member_api
    assert api(group, alice, group.members[alice.id])["is_member"] is True
    bob_api = api(group, bob, group.members[bob.id])
    assert (bob_api["status"], bob_api["is_member"]) == ("restricted", False)
