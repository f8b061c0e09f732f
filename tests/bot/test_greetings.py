"""Greeting the people who arrive in the group: once, grouped, at most one a minute, never a
bot nor a returning member, and not at all when the animator switched it off."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.harness import Harness
from tests.helpers import actor, journal_kinds, nb, scene, wool_collective

GREETING = "Bienvenue, "


def greetings(h: Harness, group: object) -> list[str]:
    return [t for t in h.bot_texts(group) if t.startswith(GREETING)]


async def test_a_newcomer_is_greeted_with_the_button_to_join(harness: Harness) -> None:
    group, claire, _ = await wool_collective(harness)
    jeanne = harness.sandbox.add_user("Jeanne")
    await harness.join(jeanne, group)
    greeting = harness.last(group)
    assert greeting.plain.startswith(nb("Bienvenue, Jeanne ! Ce groupe est le collectif"))
    assert greeting.buttons == [["Rejoindre en privé"]]
    # The Telegram client's service message and the bot's chat_member update: one greeting.
    assert len(greetings(harness, group)) == 1
    await harness.press(jeanne, group, "Rejoindre en privé")
    assert "Quelle organisation représentez-vous" in harness.last(jeanne).plain


async def test_several_arrivals_share_a_greeting_at_most_one_a_minute(harness: Harness) -> None:
    group, claire, _ = await wool_collective(harness)
    sb = harness.sandbox
    paul, ines, karim, lucie = (sb.add_user(n) for n in ("Paul", "Inès", "Karim", "Lucie"))
    sb.add_members(claire, group, [paul, ines])
    await harness.flush()
    assert greetings(harness, group) == [nb("Bienvenue, Paul et Inès ! ") + _rest(harness, group)]
    harness.clock.advance(timedelta(seconds=20))
    await harness.join(karim, group)
    await harness.join(lucie, group)
    assert len(greetings(harness, group)) == 1  # the next one waits for the minute
    await harness.tick(timedelta(seconds=20))
    assert len(greetings(harness, group)) == 1
    await harness.tick(timedelta(seconds=30))
    later = greetings(harness, group)
    assert len(later) == 2 and later[1].startswith(nb("Bienvenue, Karim et Lucie !"))
    assert harness.last(group).buttons == [["Rejoindre en privé"]]
    await harness.tick(timedelta(minutes=5))
    assert len(greetings(harness, group)) == 2


def _rest(h: Harness, group: object) -> str:
    text = h.last(group).plain
    return text[text.index("Ce groupe") :]


async def test_bots_and_returning_people_are_not_greeted(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    sb = harness.sandbox
    robot = sb.add_user("Robot")
    robot.is_bot = True
    marc = users[0]
    await scene(harness).onboard(marc, actor(), via_group=group)
    await harness.leave(marc, group)
    harness.clock.advance(timedelta(minutes=2))
    await harness.join(robot, group)
    await harness.join(marc, group)  # a former member comes back
    assert greetings(harness, group) == []
    paul = sb.add_user("Paul")
    await harness.join(paul, group)
    await harness.leave(paul, group)
    harness.clock.advance(timedelta(minutes=2))
    await harness.join(paul, group)  # greeted once, not twice
    assert len(greetings(harness, group)) == 1


async def test_nobody_is_greeted_before_the_setup_ends_or_when_switched_off(
    harness: Harness,
) -> None:
    sb = harness.sandbox
    claire = sb.add_user("Claire", last_name="Morel")
    group = sb.create_group("Laine", owner=claire)
    await harness.flush()
    await harness.say(claire, group, "/filiere")
    await harness.join(sb.add_user("Tôt"), group)
    assert greetings(harness, group) == []

    group, claire, _ = await wool_collective(harness)
    await harness.say(claire, None, "/filiere")
    await harness.press(claire, None, "Modifier")
    await harness.press(claire, None, "Ne plus accueillir les arrivants")
    menu = harness.last(claire)
    assert "je n'accueille pas les personnes qui arrivent" in menu.plain
    assert ["Accueillir les arrivants"] in menu.buttons
    await harness.join(sb.add_user("Jeanne"), group)
    assert greetings(harness, group) == []
    await harness.say(claire, group, "/filiere")
    assert nb("Accueil des arrivants dans le groupe : non") in harness.last(group).plain
    assert "collective_edited" in await journal_kinds(harness, group)
    await harness.say(claire, None, "/journal")
    assert "a désactivé l'accueil des arrivants" in harness.last(claire).plain
