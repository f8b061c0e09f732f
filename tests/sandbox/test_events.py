"""The ordered event log: what the bot and the people did, as a client would show it."""

from __future__ import annotations

import dataclasses

import pytest

from bot.sandbox.core import Sandbox, SandboxError, SandboxTimeout, SandboxUser
from bot.sandbox.events import (
    Answer,
    Deleted,
    Edited,
    Markup,
    Pinned,
    Sent,
    UserEdit,
    UserJoin,
    UserLeave,
    UserMessage,
    UserPress,
)
from tests.sandbox.conftest import api, ok

CHOICES = {
    "inline_keyboard": [
        [{"text": "Valider", "callback_data": "ok"}, {"text": "Annuler", "callback_data": "no"}]
    ]
}
AGAIN = {"inline_keyboard": [[{"text": "Recommencer", "callback_data": "again"}]]}


@pytest.mark.asyncio
async def test_a_conversation_in_events(sb: Sandbox, alice: SandboxUser) -> None:
    start = len(sb.events)
    sb.send_text(alice, None, "/inscription")
    sent = await ok(
        sb,
        "sendMessage",
        chat_id=alice.id,
        text="<b>Prêt ?</b>",
        parse_mode="HTML",
        reply_markup=CHOICES,
    )
    mid = sent["message_id"]
    query = sb.press(alice, None, "Valider")["callback_query"]
    await ok(sb, "answerCallbackQuery", callback_query_id=query["id"], text="C'est noté")
    await ok(
        sb,
        "editMessageText",
        chat_id=alice.id,
        message_id=mid,
        text="Inscrit·e !",
        reply_markup=AGAIN,
    )
    await ok(sb, "editMessageText", chat_id=alice.id, message_id=mid, text="Inscrit·e !")
    await ok(sb, "editMessageReplyMarkup", chat_id=alice.id, message_id=mid, reply_markup=AGAIN)
    await ok(sb, "pinChatMessage", chat_id=alice.id, message_id=mid)
    await ok(sb, "deleteMessage", chat_id=alice.id, message_id=mid)
    events = sb.events_since(start)
    assert [event.kind for event in events] == [
        "user_message",
        "sent",
        "user_press",
        "answer",
        "edited",
        "markup",
        "markup",
        "pinned",
        "deleted",
    ]
    message = sb.messages(alice, include_deleted=True)[-2]
    assert events[0] == UserMessage(alice.id, alice.id, mid - 1, "/inscription", message)
    assert events[1] == Sent(alice.id, mid, "Prêt ?", (("Valider", "Annuler"),), message)
    assert events[2] == UserPress(alice.id, alice.id, mid, "Valider", "ok")
    assert events[3] == Answer(alice.id, alice.id, "C'est noté", alert=False)
    assert events[4] == Edited(alice.id, mid, "Inscrit·e !", "Prêt ?", (("Recommencer",),), message)
    # The same text without reply_markup: only the keyboard goes away.
    assert events[5] == Markup(alice.id, mid, (("Recommencer",),), (), message)
    assert events[6] == Markup(alice.id, mid, (), (("Recommencer",),), message)
    assert events[7] == Pinned(alice.id, mid)
    assert events[8] == Deleted(alice.id, mid, "Inscrit·e !")
    # Each event kept what the client showed then, though the message changed since.
    assert isinstance(events[1], Sent) and events[1].message.plain == "Inscrit·e !"


@pytest.mark.asyncio
async def test_answers_without_text_and_alerts(sb: Sandbox, alice: SandboxUser) -> None:
    await ok(sb, "sendMessage", chat_id=alice.id, text="?", reply_markup=CHOICES)
    silent = sb.press(alice, None, "Annuler")["callback_query"]["id"]
    alert = sb.press(alice, None, "Valider")["callback_query"]["id"]
    start = len(sb.events)
    await ok(sb, "answerCallbackQuery", callback_query_id=silent)
    await ok(sb, "answerCallbackQuery", callback_query_id=alert, text="Complet", show_alert=True)
    assert sb.events_since(start) == [Answer(alice.id, alice.id, "Complet", alert=True)]


@pytest.mark.asyncio
async def test_only_what_took_effect(sb: Sandbox, alice: SandboxUser) -> None:
    start = len(sb.events)
    status, _ = await api(sb, "sendMessage", chat_id=alice.id, text="<p>x</p>", parse_mode="HTML")
    assert status == 400
    sb.fail_next("sendMessage", "server_error")
    assert (await api(sb, "sendMessage", chat_id=alice.id, text="perdu"))[0] == 502
    sb.fail_next("sendMessage", "timeout")
    with pytest.raises(SandboxTimeout):
        await api(sb, "sendMessage", chat_id=alice.id, text="jamais parti")
    sb.fail_next("sendMessage", "timeout_after_send")
    with pytest.raises(SandboxTimeout):
        await api(sb, "sendMessage", chat_id=alice.id, text="parti quand même")
    assert [(e.kind, getattr(e, "text", None)) for e in sb.events_since(start)] == [
        ("sent", "parti quand même")
    ]


@pytest.mark.asyncio
async def test_documents_and_photos_are_sent_events(sb: Sandbox, alice: SandboxUser) -> None:
    start = len(sb.events)
    await sb.call(
        "sendDocument",
        {"chat_id": str(alice.id), "caption": "Agenda"},
        {"document": ("agenda.ics", b"BEGIN:VCALENDAR", "text/calendar")},
    )
    (event,) = sb.events_since(start)
    assert isinstance(event, Sent) and event.text == "Agenda"
    assert event.message.document is not None and event.message.document[0] == "agenda.ics"


@pytest.mark.asyncio
async def test_people_in_events(sb: Sandbox, alice: SandboxUser) -> None:
    bob = sb.add_user("Bob")
    group = sb.create_group("G", owner=alice)
    start = len(sb.events)
    sb.join(bob, group)
    said = sb.send_text(bob, group, "Bonjour à tous")["message"]["message_id"]
    sb.edit_text(bob, group, said, "Bonjour à toutes et tous")
    sb.send_sticker(bob, group)
    sb.leave(bob, group)
    events = sb.events_since(start)
    assert [e.kind for e in events] == [
        "user_join",
        "user_message",
        "user_edit",
        "user_message",
        "user_leave",
    ]
    assert events[0] == UserJoin(bob.id, group.id)
    assert isinstance(events[2], UserEdit)
    assert (events[2].text, events[2].previous) == ("Bonjour à toutes et tous", "Bonjour à tous")
    assert isinstance(events[3], UserMessage) and "sticker" in events[3].message.media
    assert events[4] == UserLeave(bob.id, group.id)


@pytest.mark.asyncio
async def test_link_buttons_and_forged_presses(sb: Sandbox, alice: SandboxUser) -> None:
    link = {
        "inline_keyboard": [[{"text": "Rejoindre", "url": "https://t.me/tisserand_bot?start=j1"}]]
    }
    mid = (await ok(sb, "sendMessage", chat_id=alice.id, text="x", reply_markup=link))["message_id"]
    start = len(sb.events)
    sb.press(alice, None, "Rejoindre")
    sb.press_data(alice, None, mid, "admin:tout")
    events = sb.events_since(start)
    assert events[0] == UserPress(alice.id, alice.id, mid, "Rejoindre", None)
    assert isinstance(events[1], UserMessage) and events[1].text == "/start j1"
    assert events[2] == UserPress(alice.id, alice.id, mid, None, "admin:tout")
    # A press that cannot be followed leaves no trace.
    group_link = "https://t.me/tisserand_bot?startgroup=g1"
    add = {"inline_keyboard": [[{"text": "Ajouter", "url": group_link}]]}
    await ok(sb, "sendMessage", chat_id=alice.id, text="x", reply_markup=add)
    before = len(sb.events)
    with pytest.raises(SandboxError, match="startgroup"):
        sb.press(alice, None, "Ajouter")
    assert len(sb.events) == before


def test_events_are_frozen_and_since_is_a_copy(sb: Sandbox, alice: SandboxUser) -> None:
    event = sb.events[-1]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.chat_id = 0  # type: ignore[misc]
    news = sb.events_since(0)
    news.clear()
    assert sb.events and sb.events_since(len(sb.events)) == []
