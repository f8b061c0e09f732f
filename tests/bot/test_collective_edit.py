"""After the setup: /filiere in private, and the card's « Modifier » (name, territoire,
maillons or thèmes, language, time zone), as questions on the conversation engine."""

from __future__ import annotations

from bot.sandbox.harness import Harness
from tests.helpers import (
    actor,
    collective_of,
    membership_of,
    nb,
    scene,
    wool_collective,
)


async def _menu(h: Harness, who: object) -> None:
    await h.say(who, None, "/filiere")
    await h.press(who, None, "Modifier")


async def test_filiere_in_private_resumes_an_open_setup(harness: Harness) -> None:
    sb = harness.sandbox
    claire = sb.add_user("Claire")
    group = sb.create_group("Laine", owner=claire)
    await harness.flush()
    await harness.say(claire, group, "/filiere")
    await harness.press(claire, group, "Continuer en privé")
    await harness.say(claire, None, "Filière laine")
    await harness.say(claire, None, "/filiere")
    texts = harness.bot_texts(claire)
    assert nb("On reprend la création du collectif « Filière laine »") in texts[-2]
    assert "Quel nom court" in texts[-1]
    await harness.press(claire, None, "Garder")
    assert "Sur quel territoire" in harness.last(claire).plain


async def test_filiere_in_private_shows_the_card_or_explains(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    await harness.say(claire, None, "/filiere")
    card = harness.last(claire)
    assert card.plain.startswith("Filière laine du Cantal\n📍 Cantal")
    assert card.buttons == [["Modifier"]]
    await harness.say(users[0], None, "/filiere")
    assert "s'utilise dans le groupe Telegram" in harness.last(users[0]).plain
    await scene(harness).onboard(users[0], actor(), via_group=group)
    await harness.say(users[0], None, "/filiere")
    assert harness.last(users[0]).buttons == []  # a member reads the card; no « Modifier »


async def test_modifier_from_the_group_card_opens_in_private_for_animators_only(
    harness: Harness,
) -> None:
    group, claire, users = await wool_collective(harness)
    await harness.say(claire, group, "/filiere")
    assert harness.last(group).buttons == [["Modifier en privé"]]
    await harness.press(claire, group, "Modifier en privé")
    menu = harness.last(claire)
    assert menu.plain.startswith(nb("Modifier « Filière laine du Cantal »"))
    assert menu.buttons[0] == ["Le nom", "Le territoire"] and menu.buttons[1] == ["Les maillons"]
    await scene(harness).onboard(users[0], actor(), via_group=group)
    await harness.say(users[0], group, "/filiere")
    assert harness.last(group).buttons == []
    link = f"https://t.me/tisserand_bot?start=ce{(await collective_of(harness, group)).id}"
    await harness.open_link(users[0], link)
    assert "Seule l'équipe d'animation" in harness.last(users[0]).plain


async def test_rename_the_collective_and_its_territoire(harness: Harness) -> None:
    group, claire, _ = await wool_collective(harness)
    await _menu(harness, claire)
    await harness.press(claire, None, "Le nom")
    question = harness.last(claire)
    assert "Écrivez le nouveau nom, ou gardez l'actuel" in question.plain
    assert question.buttons == [[nb("Garder « Filière laine du Cantal »")]]
    await harness.say(claire, None, "Filière laine d'Auvergne")
    texts = harness.bot_texts(claire)
    assert nb("le collectif s'appelle maintenant « Filière laine d'Auvergne »") in texts[-2]
    assert texts[-1].startswith(nb("Modifier « Filière laine d'Auvergne »"))
    await harness.press(claire, None, "Le territoire")
    await harness.say(claire, None, "Cantal et Haute-Loire")
    collective = await collective_of(harness, group)
    assert (collective.name, collective.territoire) == (
        "Filière laine d'Auvergne",
        "Cantal et Haute-Loire",
    )
    await harness.say(claire, None, "/journal")
    page = harness.last(claire).plain
    assert "Claire Morel a renommé le collectif" in page
    assert "Claire Morel a changé le territoire" in page


async def test_overseas_time_zones_are_buttons_and_the_language_changes_the_group(
    harness: Harness,
) -> None:
    group, claire, _ = await wool_collective(harness)
    await _menu(harness, claire)
    await harness.press(claire, None, "Le fuseau horaire")
    question = harness.last(claire)
    assert nb("Actuellement : France métropolitaine") in question.plain
    labels = [row[0] for row in question.buttons]
    for zone in ("Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte"):
        assert zone in labels
    await harness.press(claire, None, "La Réunion")
    assert (await collective_of(harness, group)).timezone == "Indian/Reunion"
    assert "fuseau horaire La Réunion" in harness.bot_texts(claire)[-2]
    await harness.press(claire, None, "La langue du groupe")
    await harness.press(claire, None, "English")
    await harness.say(claire, group, "/filiere")
    card = harness.last(group).plain
    assert "Group language: English · Time zone: Réunion" in card
    await harness.press(claire, None, "Terminé")
    assert harness.sandbox.bot_messages(claire)[-1].buttons == []


async def test_renaming_a_maillon_keeps_its_members(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(maillons=("Tonte",)), via_group=group)
    await _menu(harness, claire)
    await harness.press(claire, None, "Les maillons")
    assert "Que voulez-vous faire des maillons" in harness.last(claire).plain
    await harness.press(claire, None, "Renommer un maillon")
    await harness.press(claire, None, "Tonte")
    assert nb("Quel nouveau nom pour « Tonte »") in harness.last(claire).plain
    await harness.say(claire, None, "Lavage")
    assert nb("« Lavage » existe déjà") in harness.last(claire).plain
    await harness.say(claire, None, "Tonte et tri")
    collective = await collective_of(harness, group)
    renamed = next(m for m in collective.maillons if m.name == "Tonte et tri")
    member = await membership_of(harness, group, users[0])
    assert member is not None and member.maillon_ids == [renamed.id]
    await harness.say(claire, None, "/journal")
    assert nb("a renommé « Tonte » en « Tonte et tri »") in harness.last(claire).plain


async def test_removing_a_maillon_asks_what_becomes_of_its_members(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(maillons=("Vente",)), via_group=group)
    await scene(harness).onboard(users[1], actor(maillons=("Confection", "Vente")), via_group=group)
    await _menu(harness, claire)
    await harness.press(claire, None, "Les maillons")
    await harness.press(claire, None, "Retirer un maillon")
    await harness.press(claire, None, "Vente")
    question = harness.last(claire)
    assert nb("2 membres sont sur « Vente ». Qu'en faire ?") in question.plain
    assert [nb("Les mettre sur « Confection »")] in question.buttons
    assert ["Les laisser sans"] in question.buttons
    await harness.press(claire, None, nb("Les mettre sur « Confection »"))
    collective = await collective_of(harness, group)
    names = [m.name for m in collective.maillons]
    assert "Vente" not in names and names[-1] == "Confection"
    confection = collective.maillons[-1].id
    for user in users[:2]:
        member = await membership_of(harness, group, user)
        assert member is not None and member.maillon_ids == [confection]


async def test_adding_a_maillon_where_the_chain_needs_it(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(maillons=("Élevage",)), via_group=group)
    await _menu(harness, claire)
    await harness.press(claire, None, "Les maillons")
    await harness.press(claire, None, "Ajouter un maillon")
    await harness.say(claire, None, "Collecte et tri")
    assert nb("Où placer « Collecte et tri »") in harness.last(claire).plain
    await harness.press(claire, None, nb("Après « Tonte »"))
    collective = await collective_of(harness, group)
    assert [m.name for m in collective.maillons][:4] == [
        "Élevage",
        "Tonte",
        "Collecte et tri",
        "Lavage",
    ]
    member = await membership_of(harness, group, users[0])
    assert member is not None and member.maillon_ids == [collective.maillons[0].id]


async def test_an_ecosystem_without_themes_can_add_them_later(harness: Harness) -> None:
    sb = harness.sandbox
    nadia = sb.add_user("Nadia")
    group = sb.create_group("Alimentation", owner=nadia)
    await harness.flush()
    await scene(harness).register(
        nadia,
        group,
        {
            "name": "Alimentation durable",
            "territoire": "Saint-Flour",
            "vision": "Écosystème d'acteurs",
        },
    )
    await harness.say(nadia, None, "/filiere")
    await harness.press(nadia, None, "Modifier")
    await harness.press(nadia, None, "Les thèmes")
    question = harness.last(nadia)
    assert "pas encore de thème" in question.plain
    assert question.buttons[0] == ["Ajouter un thème"]
    await harness.press(nadia, None, "Ajouter un thème")
    await harness.say(nadia, None, "Restauration collective")
    collective = await collective_of(harness, group)
    assert [m.name for m in collective.maillons] == ["Restauration collective"]
    assert any("thèmes mis à jour" in t for t in harness.bot_texts(nadia)[-3:])
    # Her own profile, left at its first question after the setup, is offered again.
    assert "Reprendre" in harness.last(nadia).buttons[0][0]


async def test_several_open_setups_are_offered_to_choose(harness: Harness) -> None:
    sb = harness.sandbox
    claire = sb.add_user("Claire")
    laine = sb.create_group("Laine", owner=claire)
    bois = sb.create_group("Bois", owner=claire)
    await harness.flush()
    for group in (laine, bois):
        await harness.say(claire, group, "/filiere")
        if not claire.started:
            await harness.press(claire, group, "Continuer en privé")
    await harness.say(claire, None, "/filiere")
    offer = harness.last(claire)
    assert "La création de plusieurs collectifs n'est pas terminée" in offer.plain
    assert offer.buttons == [["Laine"], ["Bois"]]
    await harness.press(claire, None, "Bois")
    texts = harness.bot_texts(claire)
    assert nb("Création du collectif « Bois »") in texts[-2]
    assert "Quel est le nom du collectif" in texts[-1]
