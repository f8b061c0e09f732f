"""What a newcomer reads: the bot's introductions, /aide, and words that stay true (« plus »
after leaving, « acteur hors ESS » as a category, departures said to whom they concern)."""

from __future__ import annotations

from bot.sandbox.harness import Harness
from tests.helpers import actor, nb, scene, wool_collective


async def test_the_bot_introduces_what_it_does_today(harness: Harness) -> None:
    sb = harness.sandbox
    owner = sb.add_user("Claire")
    group = sb.create_group("Filière laine", owner=owner)
    await harness.flush()
    intro = harness.last(group).plain
    assert "je tiens l'annuaire de ses acteurs" in intro
    assert "j'accueille les personnes qui arrivent dans le groupe" in intro
    for absent in ("enquête", "charte", "comité", "boîte à outils"):
        assert absent not in intro
    assert "une personne qui administre le groupe tape /filiere" in intro


async def test_a_first_start_in_private_says_hello(harness: Harness) -> None:
    someone = harness.sandbox.add_user("Inès")
    await harness.say(someone, None, "/start")
    hello = harness.last(someone).plain
    assert hello.startswith("Bonjour, je suis Tisserand.")
    assert "tapez /rejoindre dans son groupe" in hello


async def test_aide_explains_ess_and_hors_ess_once_and_the_profile_says_acteur(
    harness: Harness,
) -> None:
    group, claire, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(), via_group=group)
    await harness.say(users[0], None, "/aide")
    help_text = harness.last(users[0]).plain
    assert "Acteurs de l'ESS et hors ESS" in help_text
    assert help_text.count("hors ESS") == 2
    await harness.say(users[0], None, "/moi")
    assert (
        nb("Famille : Entreprise ou exploitation agricole — acteur hors ESS")
        in harness.last(users[0]).plain
    )
    await harness.say(claire, None, "/moi")
    assert "— acteur de l'ESS" in harness.last(claire).plain


async def test_after_leaving_one_no_longer_belongs(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    paul = users[0]
    await scene(harness).onboard(paul, actor(), via_group=group)
    await harness.say(paul, None, "/quitter")
    assert "Vous n'apparaîtrez plus dans son annuaire" in harness.last(paul).plain
    await harness.press(paul, None, "Quitter")
    await harness.say(paul, None, "/moi")
    assert "Vous ne faites plus partie d'aucun collectif" in harness.last(paul).plain
    await harness.say(paul, None, "/aide")
    assert "Vous ne faites plus partie d'aucun collectif" in harness.last(paul).plain
    stranger = harness.sandbox.add_user("Jamais")
    await harness.say(stranger, None, "/moi")
    assert "Vous ne faites encore partie d'aucun collectif" in harness.last(stranger).plain


async def test_leaving_the_group_is_said_to_who_left(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    hugo = users[0]
    await scene(harness).onboard(hugo, actor(), via_group=group)
    await harness.leave(hugo, group)
    told = [t for t in harness.bot_texts(hugo) if "Vous avez quitté le groupe" in t]
    assert told == [
        nb(
            "Vous avez quitté le groupe de « Filière laine du Cantal » : vous ne faites donc "
            "plus partie du collectif, et vous n'apparaissez plus dans son annuaire. "
            "Pour revenir, demandez à l'équipe d'animation de vous ajouter de nouveau au "
            "groupe, puis tapez /rejoindre dans le groupe."
        )
    ]


async def test_who_never_appeared_in_the_annuaire_is_not_told_they_no_longer_do(
    harness: Harness,
) -> None:
    group, claire, users = await wool_collective(harness, members=3)
    joining, hidden, quitting = users
    # Joining, the profile not finished: never in the annuaire.
    await harness.say(joining, group, "/rejoindre")
    await harness.press(joining, group, "Rejoindre en privé")
    await harness.leave(joining, group)
    told = [t for t in harness.bot_texts(joining) if "Vous avez quitté le groupe" in t]
    assert len(told) == 1 and "annuaire" not in told[0], told
    assert nb("plus partie du collectif. Pour revenir, demandez") in told[0]
    # A member who chose not to appear in it.
    await scene(harness).onboard(hidden, actor(consent=False), via_group=group)
    await harness.leave(hidden, group)
    told = [t for t in harness.bot_texts(hidden) if "Vous avez quitté le groupe" in t]
    assert len(told) == 1 and "annuaire" not in told[0], told
    # The same through /quitter.
    await scene(harness).onboard(quitting, actor(consent=False), via_group=group)
    await harness.say(quitting, None, "/quitter")
    await harness.press(quitting, None, "Quitter")
    left = harness.last(quitting).plain
    assert left.startswith("Vous avez quitté le collectif") and "annuaire" not in left, left


async def test_the_profile_in_the_group_is_opened_in_private(harness: Harness) -> None:
    group, claire, _ = await wool_collective(harness)
    await harness.say(claire, group, "/moi")
    reply = harness.last(group)
    assert nb("Votre profil se consulte en privé : touchez « Ouvrir en privé ».") == reply.plain
    await harness.press(claire, group, "Ouvrir en privé")
    assert harness.last(claire).plain.startswith("Votre profil")
