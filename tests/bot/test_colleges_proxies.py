"""Colleges (weights, renormalisation, quorum per college, anonymity thresholds) and proxies
(given by reply or in private, used by the holder, withdrawn, lapsed, limited)."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from storage.repos.votes import VoteRepo
from tests.bot.votes_helpers import (
    collective_with,
    last_vote,
    open_vote,
    plain,
    read_journal,
    toast,
)
from tests.helpers import actor, collective_of, scene

DAY = timedelta(days=1)


async def define_colleges(h: Harness, claire: SandboxUser, text: str, placement: list[str]) -> None:
    """Name the colleges, then place every member (one question each, in join order)."""
    await h.say(claire, None, "/decisions")
    await h.press(claire, None, "Collèges et procurations")
    await h.press(claire, None, "Définir les collèges")
    await h.say(claire, None, text)
    await h.press(claire, None, "Répartir les membres")
    for college in placement:
        await h.press(claire, None, college)


async def said(h: Harness, user: SandboxUser, group: SandboxChat) -> int:
    h.sandbox.send_text(user, group, "Bonjour à toutes et à tous")
    await h.flush()
    return [m for m in h.sandbox.messages(group) if m.from_id == user.id][-1].message_id


async def test_colleges_are_defined_and_members_placed_one_question_each(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await collective_with(h, 2)
    await h.say(claire, None, "/decisions")
    await h.press(claire, None, "Collèges et procurations")
    assert "Pas de collège pour l'instant" in plain(h.last(claire).plain)
    collective = await collective_of(h, group)
    h.sandbox.press_data(claire, None, h.last(claire).message_id, f"1|vcol|{collective.id}|assign")
    await h.flush()
    assert "Définissez d'abord les collèges" in toast(h, claire)
    await h.press(claire, None, "Définir les collèges")
    await h.say(claire, None, "Producteurs 100")
    assert "Il faut au moins deux collèges" in plain(h.last(claire).plain)
    await h.say(claire, None, "\n".join(f"Collège {i} 10" for i in range(10)))
    assert "8 collèges au plus" in plain(h.last(claire).plain)
    await h.say(claire, None, "Producteurs\nCollectivités 40")
    assert "Je n'ai pas compris « Producteurs »" in plain(h.last(claire).plain)
    await h.say(claire, None, "Producteurs 50\nTransformateurs 30")
    assert "Les poids font 80 % au total" in plain(h.last(claire).plain)
    await h.say(claire, None, "Producteurs 50\nProducteurs 50")
    assert "même nom" in plain(h.last(claire).plain)
    await h.say(claire, None, "Producteurs : 60 %, Collectivités (40 %)")
    screen = plain(h.last(claire).plain)
    assert "Producteurs (60 %) : 0 membre" in screen and "Sans collège : Claire Morel" in screen
    await h.press(claire, None, "Répartir les membres")
    assert "Question 1 sur 3" in plain(h.last(claire).plain)
    await h.press(claire, None, "Collectivités")
    await h.press(claire, None, "Producteurs")
    await h.press(claire, None, "Passer")
    screen = plain(h.last(claire).plain)
    assert "Producteurs (60 %) : 1 membre — Acteur0 Test" in screen
    assert "Sans collège : Acteur1 Test" in screen
    await h.press(claire, None, "Placer les membres sans collège")
    assert "Question 1 sur 1" in plain(h.last(claire).plain)
    await h.press(claire, None, "Producteurs")
    assert "Sans collège" not in plain(h.last(claire).plain)
    h.sandbox.press_data(claire, None, h.last(claire).message_id, f"1|vcol|{collective.id}|missing")
    await h.flush()
    assert "Tous les membres ont déjà un collège" in h.last(claire).plain
    await h.press(claire, None, "OK")
    journal = await read_journal(h, claire)
    assert "Claire Morel définit les collèges : Producteurs 60 %, Collectivités 40 %" in journal
    assert "Claire Morel répartit des membres dans les collèges" in journal


async def test_a_vote_by_colleges_needs_everyone_placed(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await define_colleges(h, claire, "Producteurs 50\nCollectivités 50", ["Collectivités"])
    await h.say(claire, None, "/vote Une question")
    await h.press(claire, None, "Majorité")
    await h.press(claire, None, "Plus de la moitié")
    await h.press(claire, None, "Vote public")
    await h.press(claire, None, "À la clôture")
    await h.press(claire, None, "Non, vote définitif")
    await h.press(claire, None, "Par collège")
    assert "Sans collège : Acteur0 Test" in plain(toast(h, claire))
    await h.press(claire, None, "Une personne, une voix")
    assert "Faut-il un quorum" in plain(h.last(claire).plain)


async def test_a_majority_by_colleges_is_weighted_and_renormalised(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 3)
    await define_colleges(
        h,
        claire,
        "Producteurs 50\nTransformateurs 30\nCollectivités 20",
        ["Collectivités", "Producteurs", "Producteurs", "Transformateurs"],
    )
    await open_vote(h, claire, "Créer une laverie commune ?", colleges=True)
    for user, choice in ((users[0], "Pour"), (users[1], "Contre"), (users[2], "Pour")):
        await h.press(user, group, choice)
    await h.press(claire, group, "Abstention")
    await h.tick(2 * DAY)
    result = plain(h.last(group).plain)
    # Producteurs 1/2 weighs 50, Transformateurs 1/1 weighs 30; Collectivités cast neither Pour
    # nor Contre and is left out: (50 × 1/2 + 30 × 1) / 80 = 69 %.
    assert "La proposition est adoptée." in result
    assert "69 % de Pour parmi les voix Pour et Contre, collèges pondérés" in result
    assert "Producteurs (50 %) : 1 Pour, 1 Contre, 0 Abstention — 50 % de Pour" in result
    assert "Collectivités (20 %) : 0 Pour, 0 Contre, 1 Abstention — ni Pour ni Contre" in result
    # The quorum applies to each college: the Transformateurs (one member) do not vote.
    await open_vote(h, claire, "Adhérer à la CRESS ?", colleges=True, quorum="60")
    for user in (users[0], users[1], claire):
        await h.press(user, group, "Pour")
    await h.tick(2 * DAY)
    result = plain(h.last(group).plain)
    assert "Pas adoptée : le quorum n'est pas atteint." in result
    assert "Quorum de 60 % : non atteint (Transformateurs en dessous)" in result


async def test_small_colleges_in_a_secret_ballot_are_warned_and_not_detailed(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await collective_with(h, 4)
    await define_colleges(
        h,
        claire,
        "Producteurs 60\nCollectivités 40",
        ["Collectivités", "Producteurs", "Producteurs", "Producteurs", "Collectivités"],
    )
    await h.say(claire, None, "/vote Vote secret par collège")
    for label in ("Majorité", "Plus de la moitié", "À bulletin secret", "Par collège"):
        await h.press(claire, None, label)
    await h.press(claire, None, "Pas de quorum")
    await h.say(claire, None, "demain 18h")
    summary = plain(h.last(claire).plain)
    assert "⚠️ Vote à bulletin secret : Collectivités compte moins de 3 votants" in summary
    await h.press(claire, None, "Ouvrir le vote")
    assert "Collectivités compte moins de 3 votants" in plain(h.last(claire).plain)
    await h.tick(timedelta(seconds=1))
    for user in (*users, claire):
        await h.press(user, group, "Pour")
    await h.tick(2 * DAY)
    result = plain(h.last(group).plain)
    assert "Producteurs (60 %) : 3 Pour, 0 Contre, 0 Abstention" in result
    assert "Collectivités (40 %) : 2 sur 2 ; moins de 3 votants, détail non publié" in result


async def test_a_proxy_given_by_reply_is_used_by_its_holder(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 2)
    paul = await said(h, users[1], group)
    await h.say(users[0], group, "/procuration", reply_to=paul)
    assert "Aucun vote n'est en cours dans ce collectif" in plain(h.last(group).plain)
    await open_vote(h, claire, "Acheter une cardeuse ?")
    await h.say(users[0], group, "/procuration", reply_to=paul)
    given = plain(h.last(group).plain)
    assert "Acteur1 Test votera pour Acteur0 Test" in given
    assert "tant qu'Acteur1 Test n'a pas voté avec" in given
    await h.tick()
    notice = h.last(users[1])
    assert "Acteur0 Test vous donne procuration" in notice.plain
    await h.press(users[1], None, "Voter pour Acteur0 Test")
    assert "Vote pour Acteur0 Test (procuration)" in h.last(users[1]).plain
    await h.press(users[1], None, "Pour")
    assert "C'est enregistré pour Acteur0 Test" in plain(h.last(users[1]).plain)
    await h.press(users[1], group, "Contre")  # and their own ballot
    # The giver cannot withdraw a proxy already used, nor vote over it.
    await h.press(users[0], group, "Retirer ma procuration")
    assert "a déjà voté pour vous" in toast(h, users[0])
    await h.press(users[0], group, "Pour")
    assert toast(h, users[0]).startswith("Vous avez déjà voté")
    await h.tick(2 * DAY)
    result = plain(h.last(group).plain)
    assert "Participation : 2 sur 3 (67 %), dont 1 par procuration." in result
    vote = await last_vote(h)
    async with h.app.deps.uow() as uow:
        ballots = await uow.repo(VoteRepo).ballots(vote.id)
    assert sorted((b.choice, b.cast_by is not None) for b in ballots) == [
        ("contre", False),
        ("pour", True),
    ]
    assert "Acteur0 Test donne procuration à Acteur1 Test" in await read_journal(h, claire)


async def test_a_proxy_is_withdrawn_or_lapses_when_the_giver_votes(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 2)
    await open_vote(h, claire, "Organiser une visite apprenante ?")
    # In private: choose the vote (only one), then the holder.
    await h.say(users[0], None, "/procuration")
    await h.press(users[0], None, "Organiser une visite apprenante")
    assert "À qui donner procuration" in h.last(users[0]).plain
    await h.press(users[0], None, "Claire Morel")
    assert "Claire Morel votera pour vous" in plain(h.last(users[0]).plain)
    await h.press(users[0], None, "Retirer ma procuration")
    assert "la procuration à Claire Morel" in plain(h.last(users[0]).plain)
    await h.tick()
    assert "a retiré sa procuration" in h.last(claire).plain
    # Given again, then the giver votes in person first: the proxy lapses.
    await h.say(users[0], None, "/procuration")
    await h.press(users[0], None, "Organiser une visite apprenante")
    await h.press(users[0], None, "Claire Morel")
    await h.tick()
    await h.press(users[0], group, "Pour")
    assert "Votre procuration à Claire Morel est annulée" in toast(h, users[0])
    await h.tick()
    assert "a voté en personne" in h.last(claire).plain
    voted_for = [m for m in h.sandbox.bot_messages(claire) if m.buttons]
    await h.press(claire, None, "Voter pour Acteur0 Test", message_id=voted_for[-1].message_id)
    assert "Cette procuration est annulée" in toast(h, claire)
    journal = await read_journal(h, claire)
    assert "Acteur0 Test retire sa procuration à Claire Morel" in journal
    assert "Acteur0 Test vote en personne : sa procuration à Claire Morel est annulée" in journal
    await h.say(users[0], None, "/procuration")
    await h.press(users[0], None, "Organiser une visite apprenante")
    assert "Vous avez déjà voté : une procuration n'a plus d'objet" in plain(toast(h, users[0]))


async def test_the_collective_sets_how_many_proxies_one_person_holds(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 3)
    await h.say(claire, None, "/decisions")
    await h.press(claire, None, "Collèges et procurations")
    await h.press(claire, None, "2 au plus")
    assert "peut en porter 2 au plus par vote" in plain(h.last(claire).plain)
    await open_vote(h, claire, "Une question")
    holder = await said(h, users[2], group)
    for giver in (users[0], users[1]):
        await h.say(giver, group, "/procuration", reply_to=holder)
        assert "Acteur2 Test votera pour" in plain(h.last(group).plain)
    await h.say(claire, group, "/procuration", reply_to=holder)
    assert "porte déjà 2 procurations" in plain(h.last(group).plain)
    assert "Claire Morel fixe à 2 le nombre de procurations" in await read_journal(h, claire)


async def test_a_proxy_goes_only_to_someone_on_the_list_and_to_a_chosen_vote(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1, outsiders=1)
    await open_vote(h, claire, "Premier vote")
    await open_vote(h, claire, "Second vote")
    await scene(h).onboard(users[1], actor(org="Arrivée tardive"), via_group=group)
    late = await said(h, users[1], group)
    await h.say(users[0], group, "/procuration", reply_to=late)
    assert "Pour quel vote donner procuration" in h.last(group).plain
    await h.press(users[0], group, "Premier vote")
    assert "n'est pas sur la liste des votants de ce vote" in plain(toast(h, users[0]))
    await h.say(users[0], group, "/procuration", reply_to=await said(h, claire, group))
    await h.press(users[0], group, "Second vote")
    assert "Claire Morel votera pour Acteur0 Test au vote « Second vote »" in plain(
        h.last(group).plain
    )
