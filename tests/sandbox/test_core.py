"""The sandbox's Bot API semantics, called directly (no PTB): Telegram's answers and errors."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import pytest

from bot.sandbox.core import ANONYMOUS_ADMIN_ID, Sandbox, SandboxError, SandboxTimeout, SandboxUser
from tests.sandbox.conftest import Clock, api, error, ok

KEYBOARD = {"inline_keyboard": [[{"text": "Oui", "callback_data": "y"}]]}


def _types(updates: list[dict[str, Any]]) -> list[str]:
    return [next(k for k in u if k != "update_id") for u in updates]


# --- sending -------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_send_message_stores_raw_and_returns_parsed(
    sb: Sandbox, alice: SandboxUser, clock: Clock
) -> None:
    result = await ok(sb, "sendMessage", chat_id=alice.id, text="<b>Bon</b>jour", parse_mode="HTML")
    assert result["text"] == "Bonjour"
    assert result["entities"] == [{"type": "bold", "offset": 0, "length": 3}]
    assert result["from"]["id"] == sb.bot.id
    assert result["date"] == int(clock.current.timestamp())
    message = sb.last_bot_message(alice)
    assert message.text == "<b>Bon</b>jour"
    assert message.plain == "Bonjour"
    assert sb.calls[-1] == (
        "sendMessage",
        {"chat_id": alice.id, "text": "<b>Bon</b>jour", "parse_mode": "HTML"},
    )


@pytest.mark.asyncio
async def test_method_names_are_case_insensitive(sb: Sandbox, alice: SandboxUser) -> None:
    await ok(sb, "SENDMESSAGE", chat_id=alice.id, text="x")
    assert sb.calls[-1][0] == "sendMessage"


@pytest.mark.asyncio
async def test_unknown_method_is_404(sb: Sandbox) -> None:
    assert await error(sb, "sendDice", chat_id=1) == (404, "Not Found")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": ""}, "Bad Request: message text is empty"),
        ({"text": "   \n"}, "Bad Request: message text is empty"),
        ({"text": "x" * 4097}, "Bad Request: message is too long"),
        (
            {"text": "a <br> b", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "br" at byte offset 2',
        ),
        ({"text": "x", "parse_mode": "html5"}, "Bad Request: unsupported parse_mode"),
        (
            {
                "text": "x",
                "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "é" * 33}]]},
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"text": "x", "reply_markup": {"inline_keyboard": [[{"text": "a"}]]}},
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in "
            "the inline keyboard",
        ),
        (
            {"text": "x", "reply_markup": {"inline_keyboard": [[{"text": "a", "url": "a b"}]]}},
            "Bad Request: BUTTON_URL_INVALID",
        ),
        ({"text": "x", "message_thread_id": 5}, "Bad Request: message thread not found"),
        (
            {"text": "x", "reply_parameters": {"message_id": 999}},
            "Bad Request: message to be replied not found",
        ),
    ],
)
async def test_send_message_validation(
    sb: Sandbox, alice: SandboxUser, params: dict[str, Any], description: str
) -> None:
    assert await error(sb, "sendMessage", chat_id=alice.id, **params) == (400, description)
    assert sb.bot_messages(alice) == []


@pytest.mark.asyncio
async def test_long_html_counts_visible_characters(sb: Sandbox, alice: SandboxUser) -> None:
    # 4096 visible characters are fine even though the HTML source is longer.
    await ok(
        sb, "sendMessage", chat_id=alice.id, text="<b>" + "x" * 4096 + "</b>", parse_mode="HTML"
    )
    assert len(sb.last_bot_message(alice).plain) == 4096


@pytest.mark.asyncio
async def test_callback_data_of_64_bytes_is_accepted(sb: Sandbox, alice: SandboxUser) -> None:
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "x" * 64}]]}
    await ok(sb, "sendMessage", chat_id=alice.id, text="x", reply_markup=markup)


@pytest.mark.asyncio
async def test_who_may_be_messaged(sb: Sandbox) -> None:
    bob = sb.add_user("Bob")
    assert await error(sb, "sendMessage", chat_id=bob.id, text="x") == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    assert await error(sb, "sendMessage", chat_id=424242, text="x") == (
        400,
        "Bad Request: chat not found",
    )
    sb.send_text(bob, None, "bonjour")  # any first message starts the chat
    await ok(sb, "sendMessage", chat_id=bob.id, text="x")
    sb.block_bot(bob)
    assert await error(sb, "sendMessage", chat_id=bob.id, text="x") == (
        403,
        "Forbidden: bot was blocked by the user",
    )
    group = sb.create_group("Sans bot", owner=bob, bot_member=False)
    assert await error(sb, "sendMessage", chat_id=group.id, text="x") == (
        403,
        "Forbidden: bot is not a member of the supergroup chat",
    )


def test_block_and_restart_emit_my_chat_member(sb: Sandbox, alice: SandboxUser) -> None:
    blocked = sb.block_bot(alice)
    assert blocked["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    update = sb.send_text(alice, None, "/start")  # the client's Restart unblocks first
    assert update["update_id"] is not None
    assert _types(sb.pop_updates()) == ["my_chat_member", "my_chat_member", "message"]
    assert not alice.blocked


# --- editing, deleting, pinning ------------------------------------------------------------


@pytest.mark.asyncio
async def test_edit_message_text(sb: Sandbox, alice: SandboxUser, clock: Clock) -> None:
    sent = await ok(sb, "sendMessage", chat_id=alice.id, text="v1", reply_markup=KEYBOARD)
    mid = sent["message_id"]
    status, description = await error(
        sb, "editMessageText", chat_id=alice.id, message_id=mid, text="v1", reply_markup=KEYBOARD
    )
    assert (status, description.split(":")[0:2]) == (
        400,
        ["Bad Request", " message is not modified"],
    )
    clock.advance(timedelta(minutes=1))
    edited = await ok(
        sb, "editMessageText", chat_id=alice.id, message_id=mid, text="<i>v2</i>", parse_mode="HTML"
    )
    assert edited["text"] == "v2"
    assert edited["edit_date"] == int(clock.current.timestamp())
    message = sb.last_bot_message(alice)
    assert message.edited and message.plain == "v2"
    # Like Telegram, editing without reply_markup drops the keyboard.
    assert message.buttons == []
    assert await error(sb, "editMessageText", chat_id=alice.id, message_id=999, text="x") == (
        400,
        "Bad Request: message to edit not found",
    )
    user_message = sb.send_text(alice, None, "hello")["message"]["message_id"]
    assert await error(
        sb, "editMessageText", chat_id=alice.id, message_id=user_message, text="x"
    ) == (400, "Bad Request: message to edit not found")


@pytest.mark.asyncio
async def test_edit_reply_markup(sb: Sandbox, alice: SandboxUser) -> None:
    mid = (await ok(sb, "sendMessage", chat_id=alice.id, text="q", reply_markup=KEYBOARD))[
        "message_id"
    ]
    status, _ = await error(
        sb, "editMessageReplyMarkup", chat_id=alice.id, message_id=mid, reply_markup=KEYBOARD
    )
    assert status == 400
    await ok(sb, "editMessageReplyMarkup", chat_id=alice.id, message_id=mid)
    assert sb.last_bot_message(alice).buttons == []


@pytest.mark.asyncio
async def test_delete_message(sb: Sandbox, alice: SandboxUser, clock: Clock) -> None:
    first = (await ok(sb, "sendMessage", chat_id=alice.id, text="a"))["message_id"]
    second = (await ok(sb, "sendMessage", chat_id=alice.id, text="b"))["message_id"]
    assert await ok(sb, "deleteMessage", chat_id=alice.id, message_id=second) is True
    assert [m.plain for m in sb.bot_messages(alice)] == ["a"]
    assert sb.messages(alice, include_deleted=True)[-1].deleted
    assert await error(sb, "deleteMessage", chat_id=alice.id, message_id=second) == (
        400,
        "Bad Request: message to delete not found",
    )
    clock.advance(timedelta(hours=49))
    assert await error(sb, "deleteMessage", chat_id=alice.id, message_id=first) == (
        400,
        "Bad Request: message can't be deleted for everyone",
    )


@pytest.mark.asyncio
async def test_pin_needs_rights(sb: Sandbox, alice: SandboxUser) -> None:
    group = sb.create_group("G", owner=alice, bot_rights={"can_pin_messages": False})
    mid = (await ok(sb, "sendMessage", chat_id=group.id, text="épinglé"))["message_id"]
    assert await error(sb, "pinChatMessage", chat_id=group.id, message_id=mid) == (
        400,
        "Bad Request: not enough rights to manage pinned messages in the chat",
    )
    sb.set_bot_admin(group, True)  # default rights include pinning
    await ok(sb, "pinChatMessage", chat_id=group.id, message_id=mid)
    assert group.pinned == [mid]
    assert sb.bot_messages(group)[-1].pinned
    assert (await ok(sb, "getChat", chat_id=group.id))["pinned_message"]["message_id"] == mid
    await ok(sb, "unpinChatMessage", chat_id=group.id)
    assert group.pinned == []
    # In a private chat the bot may always pin.
    private = (await ok(sb, "sendMessage", chat_id=alice.id, text="p"))["message_id"]
    await ok(sb, "pinChatMessage", chat_id=alice.id, message_id=private)


# --- callback queries and buttons ----------------------------------------------------------


@pytest.mark.asyncio
async def test_press_by_label_and_answer(sb: Sandbox, alice: SandboxUser, clock: Clock) -> None:
    markup = {
        "inline_keyboard": [
            [{"text": "✅ Je viens", "callback_data": "rsvp:yes"}],
            [{"text": "Je ne viens pas", "callback_data": "rsvp:no"}],
        ]
    }
    await ok(sb, "sendMessage", chat_id=alice.id, text="Atelier ?", reply_markup=markup)
    update = sb.press(alice, None, "Je ne viens pas")
    query = update["callback_query"]
    assert query["data"] == "rsvp:no"
    assert query["message"]["reply_markup"] == markup
    assert query["from"]["id"] == alice.id
    # A unique case-insensitive substring also works; an ambiguous one does not.
    assert sb.press(alice, None, "✅")["callback_query"]["data"] == "rsvp:yes"
    with pytest.raises(SandboxError, match="several buttons"):
        sb.press(alice, None, "viens")
    with pytest.raises(SandboxError, match="Je ne viens pas"):
        sb.press(alice, None, "Peut-être")
    await ok(sb, "answerCallbackQuery", callback_query_id=query["id"], text="Noté")
    assert sb.toasts == [(alice.id, "Noté")]
    assert sb.callback_answers[query["id"]]["show_alert"] is False
    invalid = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert await error(sb, "answerCallbackQuery", callback_query_id=query["id"]) == (400, invalid)
    assert await error(sb, "answerCallbackQuery", callback_query_id="nope") == (400, invalid)
    late = sb.press(alice, None, "✅")["callback_query"]["id"]
    clock.advance(timedelta(seconds=16))
    assert await error(sb, "answerCallbackQuery", callback_query_id=late) == (400, invalid)


@pytest.mark.asyncio
async def test_press_data_forges_a_press(sb: Sandbox, alice: SandboxUser) -> None:
    mid = (await ok(sb, "sendMessage", chat_id=alice.id, text="x", reply_markup=KEYBOARD))[
        "message_id"
    ]
    update = sb.press_data(alice, None, mid, "admin:delete-everything")
    assert update["callback_query"]["data"] == "admin:delete-everything"
    assert update["callback_query"]["message"]["message_id"] == mid


@pytest.mark.asyncio
async def test_deep_links(sb: Sandbox) -> None:
    bob = sb.add_user("Bob")
    update = sb.open_link(bob, "https://t.me/tisserand_bot?start=inv_ABC-123")
    message = update["message"]
    assert message["text"] == "/start inv_ABC-123"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["chat"] == {"id": bob.id, "type": "private", "first_name": "Bob"}
    assert bob.started
    assert sb.open_link(bob, "tg://resolve?domain=tisserand_bot&start=x1")["message"]["text"] == (
        "/start x1"
    )
    with pytest.raises(SandboxError, match="payload"):
        sb.open_link(bob, "https://t.me/tisserand_bot?start=a+b=")
    with pytest.raises(SandboxError, match="does not lead"):
        sb.open_link(bob, "https://t.me/other_bot?start=x")
    # A URL button holding a deep link acts like opening it.
    link = {
        "inline_keyboard": [[{"text": "Rejoindre", "url": "https://t.me/tisserand_bot?start=j1"}]]
    }
    await ok(sb, "sendMessage", chat_id=bob.id, text="x", reply_markup=link)
    assert sb.press(bob, None, "Rejoindre")["message"]["text"] == "/start j1"
    site = {"inline_keyboard": [[{"text": "Site", "url": "https://example.org"}]]}
    await ok(sb, "sendMessage", chat_id=bob.id, text="x", reply_markup=site)
    with pytest.raises(SandboxError, match="not a bot deep link"):
        sb.press(bob, None, "Site")


def test_startgroup_link_adds_bot_and_sends_start(sb: Sandbox, alice: SandboxUser) -> None:
    group = sb.create_group("G", owner=alice, bot_member=False)
    sb.open_link(alice, "https://t.me/tisserand_bot?startgroup=g1", group=group)
    updates = sb.pop_updates()
    assert _types(updates) == ["my_chat_member", "message", "message"]
    assert updates[-1]["message"]["text"] == "/start@tisserand_bot g1"


# --- groups ----------------------------------------------------------------------------------


def test_group_creation_tells_the_bot(sb: Sandbox, alice: SandboxUser) -> None:
    bob = sb.add_user("Bob")
    group = sb.create_group("Filière", owner=alice, members=[bob])
    assert group.id == -1001000000001
    updates = sb.pop_updates()
    assert _types(updates) == ["my_chat_member", "message"]
    assert updates[0]["my_chat_member"]["new_chat_member"]["status"] == "administrator"
    assert updates[1]["message"]["new_chat_members"][0]["id"] == sb.bot.id
    basic = sb.create_group("Petit", owner=alice, supergroup=False)
    assert -(10**9) < basic.id < 0


@pytest.mark.asyncio
async def test_commands_in_groups(sb: Sandbox, alice: SandboxUser) -> None:
    group = sb.create_group("G", owner=alice)
    sb.pop_updates()
    message = sb.send_text(alice, group, "/aide@tisserand_bot")["message"]
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 19}]
    assert message["chat"]["type"] == "supergroup"


@pytest.mark.asyncio
async def test_privacy_mode_when_bot_is_not_admin(sb: Sandbox, alice: SandboxUser) -> None:
    group = sb.create_group("G", owner=alice, bot_is_admin=False)
    sb.pop_updates()
    assert sb.send_text(alice, group, "bavardage")["update_id"] is None
    assert sb.send_text(alice, group, "/aide")["update_id"] is not None
    assert sb.send_text(alice, group, "/aide@other_bot")["update_id"] is None
    question = await ok(sb, "sendMessage", chat_id=group.id, text="question")
    replied = sb.send_text(alice, group, "réponse", reply_to=question["message_id"])
    assert replied["update_id"] is not None  # replies to the bot get through
    assert [m.text for m in sb.messages(group) if m.text][:3] == [
        "bavardage",
        "/aide",
        "/aide@other_bot",
    ]
    sb.set_bot_admin(group, True)
    sb.pop_updates()
    assert sb.send_text(alice, group, "bavardage")["update_id"] is not None


def test_accented_word_after_slash_is_plain_text(sb: Sandbox, alice: SandboxUser) -> None:
    # "/filière" is not the command "/fili": no entity, so privacy mode hides it in groups.
    private = sb.send_text(alice, None, "/filière")["message"]
    assert private["text"] == "/filière" and "entities" not in private
    group = sb.create_group("G", owner=alice, bot_is_admin=False)
    sb.pop_updates()
    assert sb.send_text(alice, group, "/filière")["update_id"] is None
    assert sb.send_text(alice, group, "/enquête en cours")["update_id"] is None
    command = sb.send_text(alice, group, "/aide, merci")
    assert command["update_id"] is not None
    assert command["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 5}]


@pytest.mark.asyncio
async def test_privacy_mode_lets_mentions_and_replies_through(
    sb: Sandbox, alice: SandboxUser
) -> None:
    group = sb.create_group("G", owner=alice, bot_is_admin=False)
    sb.pop_updates()
    mention = sb.send_text(alice, group, "merci @Tisserand_Bot !")
    assert mention["update_id"] is not None
    assert mention["message"]["entities"] == [{"type": "mention", "offset": 6, "length": 14}]
    assert sb.send_text(alice, group, "merci @claire_m")["update_id"] is None
    question = await ok(sb, "sendMessage", chat_id=group.id, text="question")
    # A reply to the bot gets through even when it is a command for another bot.
    reply = sb.send_text(alice, group, "/aide@other_bot", reply_to=question["message_id"])
    assert reply["update_id"] is not None


def test_join_and_leave(sb: Sandbox, alice: SandboxUser) -> None:
    bob = sb.add_user("Bob")
    admin_group = sb.create_group("A", owner=alice)
    plain_group = sb.create_group("B", owner=alice, bot_is_admin=False)
    sb.pop_updates()
    joined = sb.join(bob, admin_group)
    assert _types(joined) == ["message", "chat_member"]
    assert joined[0]["message"]["new_chat_members"][0]["id"] == bob.id
    member = joined[1]["chat_member"]
    assert (member["old_chat_member"]["status"], member["new_chat_member"]["status"]) == (
        "left",
        "member",
    )
    assert _types(sb.join(bob, plain_group)) == ["message"]
    left = sb.leave(bob, admin_group)
    assert left[0]["message"]["left_chat_member"]["id"] == bob.id
    assert left[1]["chat_member"]["new_chat_member"]["status"] == "left"
    with pytest.raises(SandboxError):
        sb.send_text(bob, admin_group, "encore là ?")


def test_adding_several_people_at_once(sb: Sandbox, alice: SandboxUser) -> None:
    bob, carol = sb.add_user("Bob"), sb.add_user("Carol")
    group = sb.create_group("A", owner=alice)
    sb.pop_updates()
    added = sb.add_members(alice, group, [bob, carol])
    assert _types(added) == ["message", "chat_member", "chat_member"]
    message = added[0]["message"]
    assert message["from"]["id"] == alice.id
    assert [u["id"] for u in message["new_chat_members"]] == [bob.id, carol.id]
    assert [u["chat_member"]["from"]["id"] for u in added[1:]] == [alice.id, alice.id]
    assert group.members[carol.id] == "member"
    with pytest.raises(SandboxError):
        sb.add_members(alice, group, [bob])  # already in
    with pytest.raises(SandboxError):
        sb.add_members(sb.add_user("Dan"), group, [sb.add_user("Eve")])  # not a member


def test_anonymous_admin(sb: Sandbox, alice: SandboxUser) -> None:
    bob = sb.add_user("Bob")
    group = sb.create_group("G", owner=alice, members=[bob])
    message = sb.send_text(alice, group, "/aide", anonymous=True)["message"]
    assert message["from"] == {
        "id": ANONYMOUS_ADMIN_ID,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    assert message["sender_chat"]["id"] == group.id
    with pytest.raises(SandboxError, match="not an admin"):
        sb.send_text(bob, group, "x", anonymous=True)


@pytest.mark.asyncio
async def test_chat_member_shapes(sb: Sandbox, alice: SandboxUser) -> None:
    bob, carol, dan = sb.add_user("Bob"), sb.add_user("Carol"), sb.add_user("Dan")
    group = sb.create_group("G", owner=alice, admins=[bob], members=[carol], forum=True)
    owner = await ok(sb, "getChatMember", chat_id=group.id, user_id=alice.id)
    assert owner == {"status": "creator", "user": alice.to_api(), "is_anonymous": False}
    admin = await ok(sb, "getChatMember", chat_id=group.id, user_id=bob.id)
    assert admin["status"] == "administrator" and admin["can_pin_messages"] is True
    assert (await ok(sb, "getChatMember", chat_id=group.id, user_id=carol.id))["status"] == "member"
    assert (await ok(sb, "getChatMember", chat_id=group.id, user_id=dan.id))["status"] == "left"
    me = await ok(sb, "getChatMember", chat_id=group.id, user_id=sb.bot.id)
    assert me["status"] == "administrator" and me["can_manage_topics"] is True
    assert await error(sb, "getChatMember", chat_id=group.id, user_id=5) == (
        400,
        "Bad Request: user not found",
    )
    admins = await ok(sb, "getChatAdministrators", chat_id=group.id)
    assert {a["user"]["id"] for a in admins} == {alice.id, bob.id, sb.bot.id}
    assert await ok(sb, "getChatMemberCount", chat_id=group.id) == 4
    sb.set_admin(group, bob, False)
    assert (await ok(sb, "getChatMember", chat_id=group.id, user_id=bob.id))["status"] == "member"


@pytest.mark.asyncio
async def test_migration(sb: Sandbox, alice: SandboxUser) -> None:
    group = sb.create_group("Petit", owner=alice, supergroup=False)
    sb.pop_updates()
    new = sb.migrate_to_supergroup(group)
    updates = sb.pop_updates()
    assert updates[0]["message"]["migrate_to_chat_id"] == new.id
    assert updates[1]["message"]["migrate_from_chat_id"] == group.id
    status, body = await api(sb, "sendMessage", chat_id=group.id, text="x")
    assert status == 400
    assert body["parameters"] == {"migrate_to_chat_id": new.id}
    await ok(sb, "sendMessage", chat_id=new.id, text="x")


@pytest.mark.asyncio
async def test_forum_topics(sb: Sandbox, alice: SandboxUser) -> None:
    forum = sb.create_group("Forum", owner=alice, forum=True)
    sb.pop_updates()
    thread = sb.create_topic(forum, "Ateliers")
    created = sb.pop_updates()[0]["message"]
    assert created["forum_topic_created"]["name"] == "Ateliers"
    assert created["message_thread_id"] == thread == created["message_id"]
    sent = await ok(sb, "sendMessage", chat_id=forum.id, text="x", message_thread_id=thread)
    assert sent["message_thread_id"] == thread and sent["is_topic_message"] is True
    assert await error(sb, "sendMessage", chat_id=forum.id, text="x", message_thread_id=999) == (
        400,
        "Bad Request: message thread not found",
    )
    topic = await ok(sb, "createForumTopic", chat_id=forum.id, name="Bot")
    assert forum.topics[topic["message_thread_id"]] == "Bot"
    user_message = sb.send_text(alice, forum, "dans le fil", thread_id=thread)["message"]
    assert user_message["is_topic_message"] is True
    plain = sb.create_group("G", owner=alice)
    assert await error(sb, "createForumTopic", chat_id=plain.id, name="x") == (
        400,
        "Bad Request: the chat is not a forum",
    )
    with pytest.raises(SandboxError):
        sb.create_topic(plain, "x")


# --- documents, photos, files ------------------------------------------------------------


@pytest.mark.asyncio
async def test_documents_both_ways(sb: Sandbox, alice: SandboxUser) -> None:
    status, body = await sb.call(
        "sendDocument",
        {"chat_id": str(alice.id), "caption": "<b>Agenda</b>", "parse_mode": "HTML"},
        {"document": ("agenda.ics", b"BEGIN:VCALENDAR", "text/calendar")},
    )
    assert status == 200, body
    assert body["result"]["document"]["file_name"] == "agenda.ics"
    assert body["result"]["caption"] == "Agenda"
    message = sb.last_bot_message(alice)
    assert message.document == ("agenda.ics", b"BEGIN:VCALENDAR", "text/calendar")
    assert message.plain == "Agenda"
    assert await error(
        sb, "sendDocument", chat_id=alice.id, caption="x" * 1025, document="nope"
    ) == (
        400,
        "Bad Request: wrong file identifier/HTTP URL specified for document",
    )
    status, body = await sb.call(
        "sendDocument",
        {"chat_id": str(alice.id), "caption": "x" * 1025},
        {"document": ("a.txt", b"a", "text/plain")},
    )
    assert body["description"] == "Bad Request: message caption is too long"
    upload = sb.send_document(alice, None, "liste.csv", b"nom\nAlice", caption="import")
    file_id = upload["message"]["document"]["file_id"]
    info = await ok(sb, "getFile", file_id=file_id)
    assert sb.file_content(info["file_path"]) == b"nom\nAlice"
    # A known file_id can be sent again without uploading.
    await ok(sb, "sendDocument", chat_id=alice.id, document=file_id)
    assert sb.last_bot_message(alice).document == (
        "liste.csv",
        b"nom\nAlice",
        "application/octet-stream",
    )


@pytest.mark.asyncio
async def test_send_photo_checks_the_image(sb: Sandbox, alice: SandboxUser) -> None:
    png = (
        b"\x89PNG\r\n\x1a\n"
        + b"\x00\x00\x00\rIHDR"
        + (640).to_bytes(4, "big")
        + (480).to_bytes(4, "big")
    )
    status, body = await sb.call(
        "sendPhoto", {"chat_id": str(alice.id)}, {"photo": ("p.png", png, "image/png")}
    )
    assert status == 200
    assert body["result"]["photo"][0]["width"] == 640
    assert sb.last_bot_message(alice).photo == png
    status, body = await sb.call(
        "sendPhoto", {"chat_id": str(alice.id)}, {"photo": ("p.png", b"text", "image/png")}
    )
    assert (status, body["description"]) == (400, "Bad Request: IMAGE_PROCESS_FAILED")


# --- misc methods ------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_commands_menu_and_actions(sb: Sandbox, alice: SandboxUser) -> None:
    commands = [{"command": "aide", "description": "Afficher l'aide"}]
    await ok(sb, "setMyCommands", commands=commands, language_code="fr")
    await ok(sb, "setMyCommands", commands=commands, scope={"type": "all_group_chats"})
    assert sb.commands[('{"type": "default"}', "fr")] == commands
    assert await ok(sb, "getMyCommands", language_code="fr") == commands
    assert await ok(sb, "getMyCommands") == []
    assert await error(sb, "setMyCommands", commands=[{"command": "Aide", "description": "x"}]) == (
        400,
        "Bad Request: BOT_COMMAND_INVALID",
    )
    await ok(sb, "deleteMyCommands", language_code="fr")
    assert await ok(sb, "getMyCommands", language_code="fr") == []
    await ok(sb, "setChatMenuButton", menu_button={"type": "commands"})
    await ok(sb, "sendChatAction", chat_id=alice.id, action="typing")
    assert sb.chat_actions == [(alice.id, "typing")]
    assert await error(sb, "sendChatAction", chat_id=alice.id, action="dancing") == (
        400,
        "Bad Request: wrong parameter action in request",
    )
    me = await ok(sb, "getMe")
    assert me["username"] == "tisserand_bot" and me["is_bot"] is True
    assert await ok(sb, "logOut") is True and await ok(sb, "close") is True


@pytest.mark.asyncio
async def test_webhook_blocks_get_updates(sb: Sandbox) -> None:
    assert await error(sb, "setWebhook", url="http://insecure") == (
        400,
        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
    )
    await ok(sb, "setWebhook", url="https://bot.example.org/hook")
    assert (await ok(sb, "getWebhookInfo"))["url"] == "https://bot.example.org/hook"
    status, _ = await error(sb, "getUpdates")
    assert status == 409
    await ok(sb, "deleteWebhook")
    assert await ok(sb, "getUpdates") == []


# --- updates -------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_get_updates_offsets_and_allowed_updates(sb: Sandbox, alice: SandboxUser) -> None:
    sb.send_text(alice, None, "un")
    sb.send_text(alice, None, "deux")
    bob = sb.add_user("Bob")
    group = sb.create_group("G", owner=alice, members=[bob])
    sb.leave(bob, group)  # includes a chat_member update, not delivered by default
    first = await ok(sb, "getUpdates", limit=1)
    assert first[0]["message"]["text"] == "un"
    again = await ok(sb, "getUpdates")
    assert again[0]["update_id"] == first[0]["update_id"]  # not confirmed yet
    assert "chat_member" not in _types(again)
    rest = await ok(sb, "getUpdates", offset=first[0]["update_id"] + 1)
    assert rest[0]["message"]["text"] == "deux"
    last = rest[-1]["update_id"]
    assert await ok(sb, "getUpdates", offset=last + 1) == []
    sb.join(bob, group)
    updates = await ok(
        sb, "getUpdates", offset=last + 1, allowed_updates=["message", "chat_member"]
    )
    assert _types(updates) == ["message", "chat_member"]


@pytest.mark.asyncio
async def test_long_poll_wakes_up_on_new_update(sb: Sandbox, alice: SandboxUser) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        sb.send_text(alice, None, "réveil")

    task = asyncio.create_task(later())
    loop = asyncio.get_running_loop()
    started = loop.time()
    updates = await ok(sb, "getUpdates", timeout=5)
    await task
    assert updates[0]["message"]["text"] == "réveil"
    assert loop.time() - started < 2


@pytest.mark.asyncio
async def test_long_poll_wakes_up_from_another_thread(sb: Sandbox, alice: SandboxUser) -> None:
    def act() -> None:
        time.sleep(0.05)
        sb.send_text(alice, None, "depuis un thread")

    updates, _ = await asyncio.gather(ok(sb, "getUpdates", timeout=5), asyncio.to_thread(act))
    assert updates[0]["message"]["text"] == "depuis un thread"


@pytest.mark.asyncio
async def test_second_poller_conflicts(sb: Sandbox) -> None:
    first = asyncio.create_task(api(sb, "getUpdates", timeout=5))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(api(sb, "getUpdates", timeout=0))
    status, body = await first
    assert status == 409 and "terminated by other getUpdates request" in body["description"]
    assert (await second)[0] == 200


@pytest.mark.asyncio
async def test_raw_update_and_redeliver(sb: Sandbox, alice: SandboxUser) -> None:
    update = sb.send_text(alice, None, "une fois")
    raw = sb.raw_update({"message": {"text": "pas de chat"}})
    assert raw["update_id"] == update["update_id"] + 1
    delivered = await ok(sb, "getUpdates")
    offset = delivered[-1]["update_id"] + 1
    sb.redeliver(update["update_id"])
    duplicate = await ok(sb, "getUpdates", offset=offset)
    assert duplicate == [update]
    assert await ok(sb, "getUpdates", offset=offset) == []  # delivered now, so confirmed
    assert sb.pending_updates() == []


# --- error injection ---------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_fail_next_kinds(sb: Sandbox, alice: SandboxUser) -> None:
    sb.fail_next("sendMessage", "retry_after", retry_after=7)
    status, body = await api(sb, "sendMessage", chat_id=alice.id, text="x")
    assert (status, body["parameters"]) == (429, {"retry_after": 7})
    sb.fail_next("sendMessage", "forbidden")
    assert await error(sb, "sendMessage", chat_id=alice.id, text="x") == (
        403,
        "Forbidden: bot was blocked by the user",
    )
    sb.fail_next("sendMessage", "bad_request", description="Bad Request: custom")
    assert await error(sb, "sendMessage", chat_id=alice.id, text="x") == (
        400,
        "Bad Request: custom",
    )
    sb.fail_next("getUpdates", "conflict")
    status, description = await error(sb, "getUpdates")
    assert (status, description.split(":")[0]) == (409, "Conflict")
    sb.fail_next("sendMessage", "server_error", times=2)
    assert (await error(sb, "sendMessage", chat_id=alice.id, text="x"))[0] == 502
    assert (await error(sb, "sendMessage", chat_id=alice.id, text="x"))[0] == 502
    assert sb.bot_messages(alice) == []
    sb.fail_next("sendMessage", "timeout")
    with pytest.raises(SandboxTimeout):
        await api(sb, "sendMessage", chat_id=alice.id, text="x")
    assert sb.bot_messages(alice) == []
    sb.fail_next("sendMessage", "timeout_after_send")
    with pytest.raises(SandboxTimeout):
        await api(sb, "sendMessage", chat_id=alice.id, text="arrivé quand même")
    assert [m.plain for m in sb.bot_messages(alice)] == ["arrivé quand même"]
    await ok(sb, "sendMessage", chat_id=alice.id, text="normal")


@pytest.mark.asyncio
async def test_fail_next_for_one_chat(sb: Sandbox, alice: SandboxUser) -> None:
    bob = sb.add_user("Bob")
    sb.send_text(bob, None, "/start")
    sb.fail_next("sendMessage", "forbidden", chat_id=bob.id)
    await ok(sb, "sendMessage", chat_id=alice.id, text="x")
    assert (await error(sb, "sendMessage", chat_id=bob.id, text="x"))[0] == 403
    with pytest.raises(SandboxError):
        sb.fail_next("sendMesage", "forbidden")


def test_inspection_helpers(sb: Sandbox, alice: SandboxUser) -> None:
    assert sb.user(alice.id) is alice
    assert sb.chat(alice.id).type == "private"
    assert [m.text for m in sb.messages(alice.id)] == ["/start"]
    assert sb.bot_id == sb.bot.id == 7000000001
    group = sb.create_group("G", owner=alice)
    sb.send_text(alice, None, "privé")
    assert [(m.chat_id, m.text) for m in sb.all_messages()] == [
        (alice.id, "/start"),
        (group.id, None),  # the bot joining
        (alice.id, "privé"),
    ]
    with pytest.raises(SandboxError, match="nothing"):
        sb.last_bot_message(alice)
    with pytest.raises(SandboxError):
        sb.chat(5)
