"""/filiere: registering a group, its setup in private, its card, forum topic, migration."""

from __future__ import annotations

from bot.sandbox.harness import Harness
from tests.helpers import WOOL, collective_of, journal_kinds, nb, scene, wool_collective


async def test_admin_registers_the_group_and_finishes_setup_in_private(harness: Harness) -> None:
    group, claire, _ = await wool_collective(harness)
    collective = await collective_of(harness, group)
    assert collective.name == "Filière laine du Cantal"
    assert collective.slug == "filiere-laine-du-cantal"
    assert collective.territoire == "Cantal"
    assert collective.vision == "chaine"
    assert [m.name for m in collective.maillons][:3] == ["Élevage", "Tonte", "Lavage"]
    assert (collective.timezone, collective.language, collective.status) == (
        "Europe/Paris",
        "fr",
        "active",
    )
    group_texts = harness.bot_texts(group)
    assert any(
        nb("Le collectif « Laine Cantal » est en cours de création") in t for t in group_texts
    )
    assert any("le collectif est ouvert" in t and "/rejoindre" in t for t in group_texts)
    assert "collective_created" in await journal_kinds(harness, group)
    assert "member_joined" in await journal_kinds(harness, group)


async def test_second_filiere_shows_the_card(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    await harness.say(users[0], group, "/filiere")
    card = harness.last(group).plain
    assert card.startswith("Filière laine du Cantal\n📍 Cantal")
    assert "1 membre, dont 1 dans l'équipe d'animation" in card
    assert "Élevage → Tonte" in card
    assert "filiere-laine-du-cantal" in card


async def test_non_admin_cannot_register(harness: Harness) -> None:
    sb = harness.sandbox
    owner, someone = sb.add_user("Owner"), sb.add_user("Someone")
    group = sb.create_group("G", owner=owner, members=[someone])
    await harness.flush()
    await harness.say(someone, group, "/filiere")
    assert "Seules les personnes qui administrent le groupe" in harness.last(group).plain
    async with harness.app.deps.uow() as uow:
        assert await uow.collectives.by_chat(group.id) is None


async def test_anonymous_admin_is_asked_to_post_as_themselves(harness: Harness) -> None:
    sb = harness.sandbox
    owner = sb.add_user("Owner")
    group = sb.create_group("G", owner=owner)
    await harness.flush()
    await harness.say(owner, group, "/filiere", anonymous=True)
    assert nb("option « Rester anonyme »") in harness.last(group).plain
    async with harness.app.deps.uow() as uow:
        assert await uow.collectives.by_chat(group.id) is None


async def test_filiere_in_private_chat_is_explained(harness: Harness) -> None:
    user = harness.sandbox.add_user("Solo")
    await harness.say(user, None, "/filiere")
    assert "s'utilise dans le groupe Telegram" in harness.last(user).plain


async def test_animator_who_never_started_the_bot_gets_a_deep_link(harness: Harness) -> None:
    sb = harness.sandbox
    owner = sb.add_user("Owner")
    group = sb.create_group("G", owner=owner)
    await harness.flush()
    await harness.say(owner, group, "/filiere")
    message = harness.last(group)
    assert "ouvrez la conversation privée" in message.plain
    assert message.buttons == [["Continuer en privé"]]
    # The 403 did not lose the registration; the link resumes the setup.
    await harness.press(owner, group, "Continuer en privé")
    assert "Quel est le nom du collectif" in harness.last(owner).plain


async def test_bot_without_admin_rights_tells_the_animator(harness: Harness) -> None:
    sb = harness.sandbox
    owner = sb.add_user("Owner")
    group = sb.create_group("G", owner=owner, bot_is_admin=False)
    await harness.flush()
    await harness.say(owner, group, "/filiere")
    assert "Je ne suis pas administrateur du groupe" in harness.last(group).plain


async def test_forum_topic_can_be_chosen(harness: Harness) -> None:
    sb = harness.sandbox
    owner = sb.add_user("Owner")
    group = sb.create_group("Forum", owner=owner, forum=True)
    await harness.flush()
    general = sb.create_topic(group, "Filière")
    other = sb.create_topic(group, "Annonces")
    await scene(harness).register(owner, group, WOOL, thread_id=general)
    ready = [m for m in sb.bot_messages(group) if "le collectif est ouvert" in m.plain]
    assert ready and ready[-1].thread_id == general
    await harness.say(owner, group, "/filiere", thread_id=other)
    await harness.press(owner, group, "Publier dans ce sujet")
    assert (await collective_of(harness, group)).thread_id == other
    await harness.say(owner, None, "/journal")
    assert "Owner a changé le sujet où je publie" in harness.last(owner).plain


async def test_supergroup_migration_keeps_the_collective(harness: Harness) -> None:
    sb = harness.sandbox
    owner = sb.add_user("Owner")
    group = sb.create_group("Basic", owner=owner, supergroup=False)
    await harness.flush()
    await scene(harness).register(owner, group, WOOL)
    new = sb.migrate_to_supergroup(group)
    await harness.flush()
    collective = await collective_of(harness, new)
    assert collective.name == WOOL["name"]
    await harness.say(owner, new, "/filiere")
    assert harness.last(new).plain.startswith("Filière laine du Cantal")


async def test_slug_taken_and_invalid_are_refused(harness: Harness) -> None:
    group, claire, _ = await wool_collective(harness)
    sb = harness.sandbox
    nadia = sb.add_user("Nadia")
    other = sb.create_group("Autre", owner=nadia)
    await harness.flush()
    await harness.say(nadia, other, "/filiere")
    await harness.press(nadia, other, "Continuer en privé")
    await harness.say(nadia, None, "Autre filière")
    await harness.say(nadia, None, "filiere-laine-du-cantal")
    assert "déjà pris" in harness.last(nadia).plain
    await harness.say(nadia, None, "Pas Bon!")
    assert "ne convient pas comme nom court" in harness.last(nadia).plain
    await harness.say(nadia, None, "autre-filiere")
    assert "Sur quel territoire" in harness.last(nadia).plain
