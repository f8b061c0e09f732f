"""The sandbox through the real PTB: a Bot and an Application talking to it via SandboxRequest."""

from __future__ import annotations

import asyncio
import warnings
from datetime import timedelta

import pytest
from telegram import (
    Bot,
    ChatMemberAdministrator,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    TelegramObject,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.sandbox.core import Sandbox, SandboxUser
from bot.sandbox.transport import SandboxRequest
from tests.sandbox.conftest import TOKEN


@pytest.mark.asyncio
async def test_bot_sends_and_reads_back(sb: Sandbox, bot: Bot, alice: SandboxUser) -> None:
    assert bot.username == "tisserand_bot"
    sent = await bot.send_message(
        alice.id,
        "<b>Atelier</b> demain &amp; après",
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="y")]]),
    )
    assert sent.text == "Atelier demain & après"
    assert sent.text_html == "<b>Atelier</b> demain &amp; après"
    assert sb.last_bot_message(alice).buttons == [["Oui"]]


@pytest.mark.asyncio
async def test_ptb_raises_the_right_errors(sb: Sandbox, bot: Bot, alice: SandboxUser) -> None:
    stranger = sb.add_user("Zoé")
    with pytest.raises(Forbidden, match=r"(?i)can.t initiate conversation"):
        await bot.send_message(stranger.id, "x")
    with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
        await bot.send_message(alice.id, "<p>x</p>", parse_mode=ParseMode.HTML)
    sb.fail_next("sendMessage", "retry_after", retry_after=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that retry_after will be a timedelta
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(alice.id, "x")
        assert caught.value.retry_after in (3, timedelta(seconds=3))
    sb.fail_next("sendMessage", "server_error")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(alice.id, "x")
    sb.fail_next("sendMessage", "timeout_after_send")
    with pytest.raises(TimedOut):
        await bot.send_message(alice.id, "peut-être")
    assert sb.last_bot_message(alice).plain == "peut-être"
    basic = sb.create_group("Petit", owner=alice, supergroup=False)
    new = sb.migrate_to_supergroup(basic)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(basic.id, "x")
    assert migrated.value.new_chat_id == new.id


@pytest.mark.asyncio
async def test_get_updates_gives_update_objects(sb: Sandbox, bot: Bot, alice: SandboxUser) -> None:
    sb.send_text(alice, None, "/aide")
    updates = await bot.get_updates(timeout=1)
    assert len(updates) == 1
    assert isinstance(updates[0], Update)
    assert updates[0].effective_user is not None and updates[0].effective_user.id == alice.id
    assert updates[0].message is not None and updates[0].message.text == "/aide"
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()


@pytest.mark.asyncio
async def test_documents_through_ptb(sb: Sandbox, bot: Bot, alice: SandboxUser) -> None:
    message = await bot.send_document(alice.id, b"BEGIN:VCALENDAR", filename="agenda.ics")
    assert message.document is not None and message.document.file_name == "agenda.ics"
    assert sb.last_bot_message(alice).document == (
        "agenda.ics",
        b"BEGIN:VCALENDAR",
        "text/calendar",
    )
    sb.send_document(alice, None, "membres.csv", b"nom;email\n", mime="text/csv")
    update = (await bot.get_updates())[0]
    assert update.message is not None and update.message.document is not None
    file = await update.message.document.get_file()
    assert bytes(await file.download_as_bytearray()) == b"nom;email\n"


@pytest.mark.asyncio
async def test_chat_member_types(sb: Sandbox, bot: Bot, alice: SandboxUser) -> None:
    bob, carol = sb.add_user("Bob"), sb.add_user("Carol")
    group = sb.create_group("G", owner=alice, members=[bob])
    assert isinstance(await bot.get_chat_member(group.id, alice.id), ChatMemberOwner)
    assert isinstance(await bot.get_chat_member(group.id, bob.id), ChatMemberMember)
    assert isinstance(await bot.get_chat_member(group.id, carol.id), ChatMemberLeft)
    me = await bot.get_chat_member(group.id, bot.id)
    assert isinstance(me, ChatMemberAdministrator) and me.can_delete_messages
    chat = await bot.get_chat(group.id)
    assert chat.title == "G"
    assert len(await bot.get_chat_administrators(group.id)) == 2


async def _aide(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        "Bonjour",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Merci", callback_data="merci")]]),
    )


async def _merci(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("De rien")
    await query.edit_message_text("Bonjour !")


def _application(sb: Sandbox) -> Application:
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(SandboxRequest(sb))
        .get_updates_request(SandboxRequest(sb))
        .build()
    )
    app.add_handler(CommandHandler("aide", _aide))
    app.add_handler(CallbackQueryHandler(_merci))
    return app


@pytest.mark.asyncio
async def test_application_processes_popped_updates(sb: Sandbox, alice: SandboxUser) -> None:
    group = sb.create_group("Filière", owner=alice)
    app = _application(sb)
    async with app:

        async def flush() -> None:
            for data in sb.pop_updates():
                await app.process_update(Update.de_json(data, app.bot))

        await flush()
        sb.send_text(alice, group, "/aide@tisserand_bot")
        await flush()
        reply = sb.last_bot_message(group)
        assert reply.plain == "Bonjour"
        assert reply.reply_to is not None and reply.reply_to.text == "/aide@tisserand_bot"
        sb.press(alice, group, "Merci")
        await flush()
        assert sb.toasts == [(alice.id, "De rien")]
        assert [m.plain for m in sb.bot_messages(group)] == ["Bonjour !"]
        assert sb.last_bot_message(group).buttons == []


@pytest.mark.asyncio
async def test_application_polling(sb: Sandbox, alice: SandboxUser) -> None:
    app = _application(sb)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=timedelta(seconds=2))
        sb.send_text(alice, None, "/aide")
        for _ in range(200):
            if sb.bot_messages(alice):
                break
            await asyncio.sleep(0.01)
        await app.updater.stop()
        await app.stop()
    assert sb.last_bot_message(alice).plain == "Bonjour"
    assert [name for name, _ in sb.calls].count("deleteWebhook") == 1


@pytest.mark.asyncio
async def test_user_media_as_ptb_sees_them(sb: Sandbox, bot: Bot, alice: SandboxUser) -> None:
    sent = sb.send_text(alice, None, "bonjour")
    sb.edit_text(alice, None, sent["message"]["message_id"], "/aide")
    sb.send_sticker(alice, None)
    sb.send_photo(alice, None, caption="tonte")
    sb.send_voice(alice, None, duration=4)
    sb.send_location(alice, None, 45.03, 2.72)
    updates = (await bot.get_updates())[1:]
    edited, sticker, photo, voice, location = (u.effective_message for u in updates)
    assert updates[0].edited_message is not None and edited is not None
    assert edited.text == "/aide" and edited.edit_date is not None
    assert edited.entities[0].type == "bot_command"
    assert sticker is not None and sticker.sticker is not None and sticker.sticker.width == 512
    assert photo is not None and photo.caption == "tonte"
    file = await photo.photo[-1].get_file()
    assert bytes(await file.download_as_bytearray()).startswith(b"\x89PNG")
    assert voice is not None and voice.voice is not None
    assert voice.voice.mime_type == "audio/ogg"
    assert location is not None and location.location is not None
    assert location.location.latitude == 45.03


def _unknown_fields(obj: object, path: str = "update") -> list[str]:
    """Fields PTB did not recognise (stored in api_kwargs) anywhere inside a parsed object."""
    found: list[str] = []
    if isinstance(obj, TelegramObject):
        found += [f"{path}.{key}" for key in obj.api_kwargs]
        for name, value in obj._get_attrs(recursive=False).items():
            found += _unknown_fields(value, f"{path}.{name}")
    elif isinstance(obj, list | tuple):
        for index, item in enumerate(obj):
            found += _unknown_fields(item, f"{path}[{index}]")
    return found


@pytest.mark.asyncio
async def test_every_update_shape_parses_cleanly(sb: Sandbox, bot: Bot, alice: SandboxUser) -> None:
    bob = sb.add_user("Bob", last_name="Martin", username="bob")
    forum = sb.create_group("Forum", owner=alice, members=[bob], forum=True)
    thread = sb.create_topic(forum, "Ateliers")
    sb.send_text(bob, forum, "/aide@tisserand_bot", thread_id=thread)
    sb.send_text(alice, forum, "anonyme", anonymous=True)
    sent = await bot.send_message(
        forum.id,
        "Choix",
        message_thread_id=thread,
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Oui", callback_data="y")]]),
    )
    await bot.pin_chat_message(forum.id, sent.message_id)
    sb.press(bob, forum, "Oui")
    sb.send_text(bob, forum, "réponse", reply_to=sent.message_id)
    sb.leave(bob, forum)
    sb.join(bob, forum)
    sb.set_admin(forum, bob, True, anonymous=True)
    basic = sb.create_group("Petit", owner=alice, supergroup=False)
    sb.migrate_to_supergroup(basic)
    sb.send_document(alice, None, "a.txt", b"a", caption="/import")
    chat = await bot.get_chat(forum.id)
    assert _unknown_fields(chat) == []
    sb.send_sticker(bob, forum, reply_to=sent.message_id)
    sb.send_photo(alice, None, caption="/photo")
    sb.send_voice(alice, None)
    located = sb.send_location(alice, None, 45.03, 2.72)
    sb.edit_text(alice, None, located["message"]["message_id"] - 1, "/aide @tisserand_bot")
    sb.block_bot(alice)
    sb.remove_bot(forum)
    updates = sb.pop_updates()
    assert len(updates) >= 20
    for data in updates:
        update = Update.de_json(data, bot)
        assert update is not None
        assert _unknown_fields(update) == [], data
    assert _unknown_fields(sent) == []
