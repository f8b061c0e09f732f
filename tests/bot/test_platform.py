"""The platform as users meet it: intro, /aide, menus, duplicates, bad updates, errors."""

from __future__ import annotations

import logging

import pytest

from bot.sandbox.harness import Harness
from tests.helpers import collective_of, wool_collective


async def test_bot_introduces_itself_when_added_and_answers_aide(harness: Harness) -> None:
    sb = harness.sandbox
    owner = sb.add_user("Claire")
    group = sb.create_group("Filière laine", owner=owner)
    await harness.flush()
    assert "Bonjour, je suis Tisserand" in harness.last(group).plain
    await harness.say(owner, group, "/aide")
    assert "/filiere — faire de ce groupe le collectif de la filière" in harness.last(group).plain
    english = sb.add_user("John", language_code="en")
    await harness.say(english, None, "/help")
    assert harness.last(english).plain.startswith("What I can do for you")


async def test_menus_are_set_for_groups_and_private_chats_in_both_languages(
    harness: Harness,
) -> None:
    commands = harness.sandbox.commands
    group_fr = next(v for (scope, lang), v in commands.items() if "group" in scope and not lang)
    private_en = next(
        v for (scope, lang), v in commands.items() if "private" in scope and lang == "en"
    )
    assert {"filiere", "rejoindre", "aide"} <= {c["command"] for c in group_fr}
    assert {"help", "me", "directory"} <= {c["command"] for c in private_en}
    assert "filiere" not in {c["command"] for c in private_en}


async def test_the_same_update_twice_has_one_effect(harness: Harness) -> None:
    sb = harness.sandbox
    owner = sb.add_user("Claire")
    group = sb.create_group("G", owner=owner)
    await harness.flush()
    update = sb.send_text(owner, group, "/aide")
    await harness.flush()
    before = len(sb.bot_messages(group))
    sb.redeliver(update["update_id"])
    await harness.flush()
    assert len(sb.bot_messages(group)) == before


async def test_malformed_updates_are_ignored_and_logged(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    sb = harness.sandbox
    owner = sb.add_user("Claire")
    group = sb.create_group("G", owner=owner)
    await harness.flush()
    before = len(sb.calls)
    sb.raw_update({})  # nothing but an update id
    sb.raw_update(
        {
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": group.id, "type": "supergroup", "title": "G"},
                "from": owner.to_api(),
                "text": "hi",
                "some_future_field": {"x": 1},
            }
        }
    )
    sb.raw_update(
        {
            "channel_post": {
                "message_id": 5,
                "date": 0,
                "text": "/aide",
                "chat": {"id": -1009999, "type": "channel", "title": "Canal"},
            }
        }
    )
    with caplog.at_level(logging.INFO):
        await harness.flush()
    assert [c for c in sb.calls[before:] if c[0] == "sendMessage"] == []
    assert "ignored" in caplog.text


async def test_a_failing_update_rolls_back_and_the_user_gets_a_short_message(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = harness.sandbox
    owner = sb.add_user("Claire")
    group = sb.create_group("G", owner=owner)
    await harness.flush()
    from bot.services import journal

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug while writing the journal")

    # A bug after the collective row is written: the whole update must be undone.
    monkeypatch.setattr(journal, "record", broken)
    await harness.say(owner, group, "/filiere")
    assert "Un problème est survenu de mon côté" in harness.last(group).plain
    async with harness.app.deps.uow() as uow:
        assert await uow.collectives.by_chat(group.id) is None
        stored = await uow.inbox.waiting(harness.app.bot.id)
        assert stored == []  # marked failed, not left waiting to fail again
    monkeypatch.undo()
    await harness.say(owner, group, "/aide")
    assert "Ce que je peux faire ici" in harness.last(group).plain


async def test_a_reply_telegram_refuses_never_undoes_what_was_saved(harness: Harness) -> None:
    sb = harness.sandbox
    owner = sb.add_user("Claire")
    group = sb.create_group("G", owner=owner)
    await harness.flush()
    sb.fail_next("sendMessage", "bad_request", chat_id=group.id)
    await harness.say(owner, group, "/filiere")
    async with harness.app.deps.uow() as uow:
        assert await uow.collectives.by_chat(group.id) is not None


async def test_unknown_command_in_private(harness: Harness) -> None:
    user = harness.sandbox.add_user("Paul")
    await harness.say(user, None, "/nimportequoi")
    assert "Je ne connais pas la commande /nimportequoi" in harness.last(user).plain


async def test_collective_timezone_is_used_for_dates(harness: Harness) -> None:
    group, claire, _ = await wool_collective(harness)
    async with harness.app.deps.uow() as uow:
        collective = await uow.collectives.by_chat(group.id)
        assert collective is not None
        collective.timezone = "America/Martinique"
    await harness.say(claire, None, "/journal")
    # The clock starts at 09:00 UTC: 5 h in Martinique.
    assert "26 nov. à 5 h 00" in harness.last(claire).plain
    assert (await collective_of(harness, group)).timezone == "America/Martinique"
