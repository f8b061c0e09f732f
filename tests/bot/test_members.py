"""Joining, the profile, several collectives, leaving, the annuaire."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.harness import Harness
from tests.helpers import (
    actor,
    forget_choice,
    in_two_collectives,
    journal_kinds,
    membership_of,
    nb,
    scene,
    wool_collective,
)


async def test_join_through_the_deep_link_and_fill_the_profile(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    jeanne = users[0]
    await harness.say(jeanne, group, "/rejoindre")
    assert harness.last(group).buttons == [["Rejoindre en privé"]]
    await harness.press(jeanne, group, "Rejoindre en privé")
    private = harness.bot_texts(jeanne)
    assert any("ce que je conserve, et pourquoi" in t for t in private)
    assert "Quelle organisation représentez-vous" in private[-1]
    await scene(harness).onboard(jeanne, actor(maillons=("Élevage", "Tonte")), via_group=None)
    member = await membership_of(harness, group, jeanne)
    assert member is not None
    assert (member.status, member.role, member.organisation) == (
        "active",
        "membre",
        "GAEC des Estives",
    )
    assert (member.famille, member.famille_ess, member.commune) == ("entreprise", False, "Allanche")
    assert member.directory_consent is True
    assert len(member.maillon_ids) == 2
    welcome = harness.last(jeanne)
    assert welcome.plain.startswith("Bienvenue, vous faites partie du collectif")
    assert nb("Commune : Allanche") in welcome.plain


async def test_rejoindre_twice_says_already_member(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(), via_group=group)
    await harness.say(users[0], group, "/rejoindre")
    assert "vous faites déjà partie du collectif" in harness.last(group).plain


async def test_a_5000_character_organisation_is_refused_and_the_question_stays(
    harness: Harness,
) -> None:
    group, _, users = await wool_collective(harness)
    user = users[0]
    await harness.say(user, group, "/rejoindre")
    await harness.press(user, group, "Rejoindre en privé")
    # A Telegram client sends 5,000 characters as two messages: 4,096 then 904.
    await harness.say(user, None, "x" * 4096)
    reply = harness.last(user).plain
    assert nb("Le nom de l'organisation ne doit pas dépasser 200 caractères ; le vôtre") in reply
    assert "en compte 4\u202f096" in reply
    await harness.say(user, None, "x" * 904)  # the rest, in the same second
    assert nb("Et la suite de ce long texte n'est pas prise non plus") in harness.last(user).plain
    member = await membership_of(harness, group, user)
    assert member is not None and member.organisation is None
    harness.clock.advance(timedelta(seconds=5))
    await harness.say(user, None, "Ferme du Causse")
    assert nb("À quelle famille appartient « Ferme du Causse »") in harness.last(user).plain


async def test_html_and_jinja_in_a_profile_are_shown_literally(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    weird = "<b>Ferme</b> {{ 7*7 }} & {% if %}"
    await scene(harness).onboard(users[0], actor(org=weird), via_group=group)
    await harness.say(users[0], None, "/annuaire")
    directory = harness.last(users[0])
    assert weird in directory.plain
    assert "&lt;b&gt;Ferme&lt;/b&gt; {{ 7*7 }} &amp; {% if %}" in directory.text


async def test_forged_and_stale_buttons_are_refused_politely(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    sb = harness.sandbox
    last = harness.last(claire)
    for data in ("1|role|999", "garbage", "1|fam|abc|x", "2|fam|1|association", "1|cons|1|7"):
        sb.press_data(claire, None, last.message_id, data)
        await harness.flush()
        assert sb.toasts[-1][1].startswith("Ce bouton n'est plus valable")
    # Someone else's profile button.
    await harness.say(users[0], group, "/rejoindre")
    await harness.press(users[0], group, "Rejoindre en privé")
    await harness.say(users[0], None, "Org")
    famille_question = harness.last(users[0])
    sb.press_data(claire, None, famille_question.message_id, "1|fam|999|association")
    await harness.flush()
    assert sb.toasts[-1][1].startswith("Ce bouton n'est plus valable")


async def test_non_member_commands_are_refused(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    await harness.say(users[1], group, "/annuaire")
    assert "ne faites pas partie du collectif" in harness.last(group).plain
    stranger = harness.sandbox.add_user("Stranger")
    await harness.say(stranger, None, "/moi")
    assert "aucun collectif" in harness.last(stranger).plain


async def test_directory_groups_by_maillon_then_famille(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness, members=3)
    s = scene(harness)
    await s.onboard(
        users[0], actor("GAEC", "Entreprise ou exploitation", ("Élevage",)), via_group=group
    )
    await s.onboard(
        users[1], actor("Asso Tonte", "Association", ("Élevage", "Tonte")), via_group=group
    )
    await s.onboard(
        users[2], actor("Secret", "Association", ("Tonte",), consent=False), via_group=group
    )
    await harness.say(users[0], None, "/annuaire")
    text = harness.last(users[0]).plain
    elevage, tonte = text.index("Élevage"), text.index("Tonte\n")
    assert elevage < text.index("Association") < text.index("GAEC") < tonte
    assert text.count("Asso Tonte") == 2
    assert "Secret" not in text
    assert "1 membre n'apparaît pas dans l'annuaire" in text


async def test_several_collectives_ask_then_remember(harness: Harness) -> None:
    sophie, _ = await in_two_collectives(harness)
    # Joining the second collective made it the current one; the other is a button away.
    await harness.say(sophie, None, "/annuaire")
    directory = harness.last(sophie)
    assert "Annuaire — Alimentation durable" in directory.plain
    assert directory.buttons == [[nb("Passer à « Filière laine du Cantal »")]]
    await harness.press(sophie, None, "Filière laine du Cantal")
    assert "Annuaire — Filière laine du Cantal" in harness.last(sophie).plain
    await harness.say(sophie, None, "/annuaire")
    assert "Annuaire — Filière laine du Cantal" in harness.last(sophie).plain
    # With no choice remembered, the bot asks.
    await forget_choice(harness, sophie)
    await harness.say(sophie, None, "/annuaire")
    assert harness.last(sophie).buttons == [["Filière laine du Cantal"], ["Alimentation durable"]]
    await harness.press(sophie, None, "Alimentation durable")
    assert "Annuaire — Alimentation durable" in harness.last(sophie).plain
    await harness.say(sophie, None, "/moi")
    profile = harness.last(sophie)
    assert nb("Vos autres collectifs : Filière laine du Cantal") in profile.plain
    assert [nb("Passer à « Filière laine du Cantal »")] in profile.buttons


async def test_edit_profile_from_moi(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(), via_group=group)
    await harness.say(users[0], None, "/moi")
    await harness.press(users[0], None, "Modifier la commune")
    before = len(harness.bot_texts(users[0]))
    await harness.say(users[0], None, "Saint-Flour")
    # One message: what happened, then the profile with its buttons.
    assert len(harness.bot_texts(users[0])) == before + 1
    answer = harness.last(users[0])
    assert answer.plain.startswith("C'est enregistré.\n\nVotre profil — ")
    assert nb("Commune : Saint-Flour") in answer.plain
    assert ["Modifier la commune"] in answer.buttons
    member = await membership_of(harness, group, users[0])
    assert member is not None and member.commune == "Saint-Flour"
    assert "profile_edited" in await journal_kinds(harness, group)


async def test_quitter_then_leaving_the_group(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    s = scene(harness)
    await s.onboard(users[0], actor(), via_group=group)
    await s.onboard(users[1], actor(org="Autre"), via_group=group)
    await harness.say(users[0], None, "/quitter")
    await harness.press(users[0], None, "Quitter")
    left = harness.last(users[0]).plain
    assert "Vous avez quitté le collectif" in left
    assert "Vous n'apparaissez plus dans son annuaire." in left
    member = await membership_of(harness, group, users[0])
    assert member is not None and member.status == "left"
    await harness.leave(users[1], group)
    member = await membership_of(harness, group, users[1])
    assert member is not None and member.status == "left" and member.organisation == "Autre"
    kinds = await journal_kinds(harness, group)
    assert kinds.count("member_left") == 2


async def test_a_member_who_left_can_come_back(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    s = scene(harness)
    await s.onboard(users[0], actor(), via_group=group)
    await harness.say(users[0], None, "/quitter")
    await harness.press(users[0], None, "Quitter")
    await s.onboard(users[0], actor(org="Nouvelle org"), via_group=group)
    member = await membership_of(harness, group, users[0])
    assert member is not None and (member.status, member.organisation) == ("active", "Nouvelle org")


async def test_someone_coming_back_finds_their_answers_offered(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    jeanne = users[0]
    await scene(harness).onboard(jeanne, actor(maillons=("Élevage", "Tonte")), via_group=group)
    await harness.leave(jeanne, group)
    harness.sandbox.join(jeanne, group)
    await harness.flush()
    await harness.say(jeanne, group, "/rejoindre")
    await harness.press(jeanne, group, "Rejoindre en privé")
    # The organisation given before is offered, like the maillons (already ticked).
    assert [nb("Garder « GAEC des Estives »")] in harness.last(jeanne).buttons
    await harness.press(jeanne, None, "Garder")
    await harness.press(jeanne, None, "Entreprise ou exploitation")
    buttons = harness.last(jeanne).buttons
    assert ["✅ Élevage"] in buttons and ["✅ Tonte"] in buttons
    await harness.press(jeanne, None, "Valider")
    assert [nb("Garder « Allanche »")] in harness.last(jeanne).buttons
    await harness.press(jeanne, None, "Garder")
    await harness.press(jeanne, None, "Oui, m'afficher")
    member = await membership_of(harness, group, jeanne)
    assert member is not None
    assert (member.status, member.organisation, member.commune) == (
        "active",
        "GAEC des Estives",
        "Allanche",
    )
    assert len(member.maillon_ids) == 2


async def test_a_command_keeps_its_words_through_the_choice_of_collective(
    harness: Harness,
) -> None:
    sophie, _ = await in_two_collectives(harness)
    await forget_choice(harness, sophie)
    await harness.say(sophie, None, "/chercher cress")
    question = harness.last(sophie)
    assert "plusieurs collectifs" in question.plain
    await harness.press(sophie, None, "Filière laine du Cantal")
    found = harness.last(sophie).plain
    assert nb("« cress »") in found and "CRESS — Acteur0" in found, found
    # The words of the command asked for, not of another one: /annuaire carte.
    await forget_choice(harness, sophie)
    await harness.say(sophie, None, "/annuaire carte")
    await harness.press(sophie, None, "Alimentation durable")
    map_ = harness.last(sophie)
    assert map_.photo is not None
    assert nb("Carte des acteurs de « Alimentation durable »") in map_.plain


async def test_a_refusal_names_the_collective_and_offers_the_others(harness: Harness) -> None:
    """Sophie leads the wool collective, but her current one is the food collective: the
    refusal says which collective it was about, and runs the command in the other."""
    sophie, claire = await in_two_collectives(harness)
    await harness.say(claire, None, "/role")
    await harness.press(claire, None, "Acteur0 Test")
    await harness.press(claire, None, "Équipe d'animation")
    await harness.say(sophie, None, "/journal")
    refused = harness.last(sophie)
    assert refused.plain.startswith("Seule l'équipe d'animation peut faire cela.")
    assert nb("Collectif concerné : « Alimentation durable »") in refused.plain
    assert refused.buttons == [[nb("Passer à « Filière laine du Cantal »")]]
    await harness.press(sophie, None, "Filière laine du Cantal")
    assert "Journal — Filière laine du Cantal" in harness.last(sophie).plain
    # Back in the food collective (through the annuaire), /role is refused the same way.
    await harness.say(sophie, None, "/annuaire")
    await harness.press(sophie, None, "Alimentation durable")
    await harness.say(sophie, None, "/role")
    assert nb("Collectif concerné : « Alimentation durable »") in harness.last(sophie).plain
    await harness.press(sophie, None, "Filière laine du Cantal")
    assert ["Acteur0 Test · Équipe d'animation"] in harness.last(sophie).buttons
    # With a single collective, a refusal stays as it was.
    await harness.say(claire, None, "/quitter")
    assert "Collectif concerné" not in harness.last(claire).plain


async def test_a_search_names_the_collective_searched_and_searches_another(
    harness: Harness,
) -> None:
    sophie, _ = await in_two_collectives(harness)
    await harness.say(sophie, None, "/chercher cress")
    found = harness.last(sophie)
    assert found.plain.startswith(nb("🔎 « cress » dans « Alimentation durable » — 1 résultat"))
    assert found.buttons == [[nb("Passer à « Filière laine du Cantal »")]]
    # The button searches the same words there, and its answer offers the way back.
    await harness.press(sophie, None, "Filière laine du Cantal")
    there = harness.last(sophie)
    assert there.plain.startswith(nb("🔎 « cress » dans « Filière laine du Cantal »")), there.plain
    await harness.press(sophie, None, "Alimentation durable")
    assert harness.last(sophie).plain.startswith(nb("🔎 « cress » dans « Alimentation durable »"))
