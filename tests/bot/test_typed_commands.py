"""Commands typed with an accent, a capital or a typo: run, suggested, or left alone."""

from __future__ import annotations

from bot.sandbox.harness import Harness
from tests.helpers import membership_of, nb, wool_collective


async def test_an_accented_command_in_private_runs_and_is_never_an_answer(
    harness: Harness,
) -> None:
    group, claire, users = await wool_collective(harness)
    paul = users[0]
    await harness.say(paul, group, "/rejoindre")
    await harness.press(paul, group, "Rejoindre en privé")
    assert "Quelle organisation représentez-vous" in harness.last(paul).plain
    # « /filière » has no command entity: Telegram sends it as plain text.
    await harness.say(paul, None, "/filière")
    assert harness.last(paul).plain.startswith("Filière laine du Cantal")
    member = await membership_of(harness, group, paul)
    assert member is not None and member.organisation is None
    await harness.say(paul, None, "/ANNUAIRE")
    assert "Vous n'avez pas fini de rejoindre" in harness.last(paul).plain


async def test_a_typo_in_private_gets_the_nearest_command(harness: Harness) -> None:
    group, claire, _ = await wool_collective(harness)
    await harness.say(claire, None, "/anuaire")
    assert nb("Vouliez-vous dire /annuaire ?") in harness.last(claire).plain
    await harness.say(claire, None, "/jornal")
    assert nb("Vouliez-vous dire /journal ?") in harness.last(claire).plain
    await harness.say(claire, None, "/rejoidnre")
    assert nb("Vouliez-vous dire /rejoindre ?") in harness.last(claire).plain
    await harness.say(claire, None, "/n'importe quoi")
    assert "Je ne connais pas la commande /n'importe" in harness.last(claire).plain


async def test_in_a_group_only_our_commands_and_near_misses_get_an_answer(
    harness: Harness,
) -> None:
    group, claire, users = await wool_collective(harness)
    await harness.say(claire, group, "/filière")
    assert harness.last(group).plain.startswith("Filière laine du Cantal")
    await harness.say(claire, group, "/Aide")
    assert harness.last(group).plain.startswith("Ce que je peux faire ici")
    await harness.say(users[0], group, "/anuaire")
    assert nb("Vouliez-vous dire /annuaire ?") in harness.last(group).plain
    before = len(harness.bot_texts(group))
    for other in ("/weather", "/météo", "/stats@autre_bot", "/filière@autre_bot", "/ x"):
        await harness.say(users[0], group, other)
    assert len(harness.bot_texts(group)) == before
    await harness.say(users[0], group, "/météo@tisserand_bot")
    assert "Je ne connais pas la commande /météo" in harness.last(group).plain
