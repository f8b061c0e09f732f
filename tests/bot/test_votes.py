"""Votes through the real Application and the sandbox: opening in private, the live group
message, ballots confirmed to the voter, closing as due work, results in plain French,
reminders, extending and cancelling, exports and the journal."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from bot.sandbox.harness import Harness
from bot.services import votes as votes_svc
from storage.repos.votes import VoteRepo
from tests.bot.votes_helpers import (
    collective_with,
    follow,
    last_vote,
    make_observer,
    open_vote,
    plain,
    read_journal,
    tallies,
    toast,
)
from tests.helpers import collective_of, nb

DAY = timedelta(days=1)


async def test_a_public_majority_vote_from_opening_to_result(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 3)
    await open_vote(h, claire, live=True)
    opened = plain(h.bot_texts(claire)[-1])
    assert "Le vote est ouvert" in opened and "4 personnes peuvent voter" in opened
    live = h.last(group)
    assert "Adhérer au réseau des filières laine" in live.plain
    assert "Participation : 0 sur 4" in plain(live.plain)
    assert ["Pour", "Contre", "Abstention"] in live.buttons
    await h.press(users[0], group, "Pour")
    assert toast(h, users[0]).startswith("C'est enregistré : « Pour »")
    await h.press(users[1], group, "Contre")
    await h.press(claire, group, "Pour")
    await h.tick(timedelta(minutes=2))
    shown = plain(h.last(group).plain)
    assert "Participation : 3 sur 4" in shown and "Pour : 2 · Contre : 1" in shown
    await h.tick(2 * DAY)
    result = plain(h.last(group).plain)
    assert "La proposition est adoptée." in result
    assert "Participation : 3 sur 4 (75 %)" in result
    assert "67 % de Pour parmi les voix Pour et Contre ; il fallait plus de la moitié" in result
    vote = await last_vote(h)
    assert vote.status == "closed" and vote.outcome == "adopted"
    async with h.app.deps.uow() as uow:
        ballots = await uow.repo(VoteRepo).ballots(vote.id)
    assert sorted(b.choice or "" for b in ballots) == ["contre", "pour", "pour"]
    await h.tick(timedelta(minutes=2))
    message = next(m for m in h.sandbox.bot_messages(group) if m.message_id == live.message_id)
    assert "Vote clos" in message.plain and message.buttons == []  # no more buttons


async def test_results_stay_hidden_until_closing_unless_live(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 2)
    await open_vote(h, claire, "Acheter une cardeuse en commun ?")
    await h.press(users[0], group, "Contre")
    await h.tick(timedelta(minutes=2))
    shown = plain(h.last(group).plain)
    assert "Participation : 1 sur 3" in shown and "Contre :" not in shown


async def test_consent_objection_then_a_second_round_adopts(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 3)
    await open_vote(h, claire, "Tenir le comité de filière à Murat", method="Consentement")
    live = h.last(group)
    assert ["Pas d'objection", "Objection", "Je m'abstiens"] in live.buttons
    await h.press(users[0], group, "Pas d'objection")
    await h.press(users[1], group, "Objection")
    await follow(h, users[1])
    assert "Quelle est votre objection" in h.last(users[1]).plain
    await h.say(users[1], None, "Murat est loin pour les éleveurs du sud du Cantal.")
    assert "C'est enregistré" in h.last(users[1]).plain
    await h.tick()
    notice = plain(h.last(claire).plain)
    assert "Objection au vote « Tenir le comité de filière à Murat », d'Acteur1 Test :" in notice
    assert "Murat est loin" in notice
    await h.tick(2 * DAY)
    result = plain(h.last(group).plain)
    assert "Pas adoptée à ce tour : 1 objection." in result
    assert "Acteur1 Test (Organisation 1) : « Murat est loin" in result
    vote = await last_vote(h)
    assert vote.status == "paused" and vote.round == 1
    await h.tick()
    assert "Tour n° 1 clos" in plain(h.last(claire).plain)
    await h.press(claire, None, "Ouvrir un nouveau tour")
    await h.say(claire, None, "Tenir le comité de filière à Murat et à Saint-Flour, en alternance")
    await h.say(claire, None, "lundi 18h")
    await h.tick()
    assert "tour n° 2" in plain(h.last(group).plain)
    for user in (*users, claire):
        await h.press(user, group, "Pas d'objection")
    await h.tick(4 * DAY)
    result = plain(h.last(group).plain)
    assert "La proposition est adoptée." in result and "(tour n° 2)" in result
    vote = await last_vote(h)
    assert (vote.status, vote.outcome, vote.round) == ("closed", "adopted", 2)
    assert "Claire Morel ouvre le tour n° 2 de" in await read_journal(h, claire)
    async with h.app.deps.uow() as uow:
        rounds = await uow.repo(VoteRepo).rounds(vote.id)
    assert [(r.number, r.outcome) for r in rounds] == [(1, "objections"), (2, "adopted")]
    assert rounds[0].proposal == {"text": "Tenir le comité de filière à Murat"}


async def test_the_team_can_close_a_consent_decision_after_objections(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await open_vote(h, claire, "Changer de nom", method="Consentement")
    await h.press(users[0], group, "Objection")
    await follow(h, users[0])
    await h.say(users[0], None, "Le nom actuel est connu de tous.")
    await h.tick(2 * DAY)
    await h.tick()
    await h.press(claire, None, "Clore sans adopter")
    done = "la proposition « Changer de nom » n'est pas adoptée, la décision est close."
    assert done in plain(h.last(claire).plain)
    assert "Claire Morel clôt « Changer de nom » sans l'adopter" in await read_journal(h, claire)
    assert "clôt la décision sans l'adopter" in plain(h.last(group).plain)
    vote = await last_vote(h)
    assert (vote.status, vote.outcome) == ("closed", "objections")


async def test_majority_judgment_ballots_in_private_and_merit_profiles(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 2)
    await open_vote(
        h,
        claire,
        "Le nom du lieu totem",
        method="Jugement majoritaire",
        options="La Grange\nLe Moulin\nLa Filature",
        secret=True,
    )
    assert ["Voter (en privé)"] in h.last(group).buttons
    ballots = [
        (claire, ("Très bien", "Passable", "Bien")),
        (users[0], ("Bien", "Insuffisant", "Très bien")),
        (users[1], ("Excellent", "À rejeter", "Assez bien")),
    ]
    for user, grades in ballots:
        await h.press(user, group, "Voter (en privé)")
        await follow(h, user)
        for grade in grades:
            await h.press(user, None, grade)
        assert "Bulletin secret : une fois validé" in plain(h.last(user).plain)
        await h.press(user, None, "Valider mon vote")
        assert "C'est enregistré" in h.last(user).plain
    await h.press(users[0], group, "Voter (en privé)")
    assert "Vous avez déjà voté. Bulletin secret" in toast(h, users[0])
    await h.tick(2 * DAY)
    messages = h.sandbox.bot_messages(group)
    result = plain(messages[-2].plain)
    # La Grange: Bien, Très bien, Excellent → Très bien; La Filature: Assez bien, Bien,
    # Très bien → Bien; Le Moulin: À rejeter, Insuffisant, Passable → Insuffisant.
    assert "« La Grange » l'emporte, avec la mention « Très bien »." in result
    assert (
        result.index("1. La Grange") < result.index("2. La Filature") < result.index("3. Le Moulin")
    )
    assert "Très bien 1 · Bien 1 · Passable 1" not in result
    chart = messages[-1]
    assert chart.photo is not None and chart.photo.startswith(b"\x89PNG")
    assert "Profils de mérite — Le nom du lieu totem" in chart.plain


async def test_a_changeable_public_vote_keeps_one_ballot_per_voter(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await open_vote(h, claire, changeable=True)
    await h.press(users[0], group, "Pour")
    await h.press(users[0], group, "Pour")
    assert toast(h, users[0]) == "Votre vote est déjà « Pour ». Modifiable jusqu'à la clôture."
    await h.press(users[0], group, "Contre")
    assert toast(h, users[0]).startswith("C'est modifié : « Contre »")
    vote = await last_vote(h)
    assert await tallies(h, vote.id) == {"contre": 1}


async def test_quorum_and_the_two_thirds_threshold(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 3)
    await open_vote(h, claire, "Recruter une animatrice ?", quorum="75")
    await h.press(users[0], group, "Pour")
    await h.press(users[1], group, "Abstention")
    await h.tick(2 * DAY)
    result = plain(h.last(group).plain)
    assert "Pas adoptée : le quorum n'est pas atteint." in result
    assert "Quorum de 75 % : non atteint" in result
    await open_vote(h, claire, "Créer une marque commune ?", threshold="Au moins les deux tiers")
    for user, choice in ((users[0], "Pour"), (users[1], "Pour"), (users[2], "Contre")):
        await h.press(user, group, choice)
    await h.press(claire, group, "Contre")
    await h.tick(2 * DAY)
    result = plain(h.last(group).plain)
    assert "Rejetée." in result and "il fallait au moins les deux tiers" in result


async def test_observers_vote_only_when_the_vote_says_so(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 2)
    await make_observer(h, claire, "Acteur1 Test")
    await open_vote(h, claire, "Question sans observation", observers=False)
    await h.press(users[1], group, "Pour")
    assert toast(h, users[1]).startswith("Les personnes en observation ne votent pas")
    await open_vote(h, claire, "Question avec observation", observers=True)
    await h.press(users[1], group, "Pour")
    assert toast(h, users[1]).startswith("C'est enregistré")


async def test_extend_then_cancel_from_decisions(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await open_vote(h, claire, "Organiser un café ESS ?", closing="demain 18h")
    await h.say(claire, None, "/decisions")
    await h.press(claire, None, "Organiser un café ESS")
    await h.press(claire, None, "Prolonger")
    await h.say(claire, None, "26/11/2026 9h")
    assert "Cette date est passée" in plain(h.last(claire).plain)
    # Today's date without a year, at an hour already past: past, not a year away.
    await h.say(claire, None, f"{h.clock.now().day} novembre à 0h05")
    assert "Cette date est passée" in plain(h.last(claire).plain)
    await h.say(claire, None, "dans trois jours")
    assert "pas compris la date" in plain(h.last(claire).plain)
    await h.say(claire, None, "samedi 12h")
    assert "se clôt maintenant samedi" in plain(h.last(claire).plain)
    assert "est prolongé : clôture samedi" in plain(h.last(group).plain)
    await h.say(claire, None, "/decisions")
    await h.press(claire, None, "Organiser un café ESS")
    await h.press(claire, None, "Prolonger")
    await h.say(claire, None, "vendredi 18h")
    assert "La clôture est déjà prévue samedi" in plain(h.last(claire).plain)
    await h.say(claire, None, "dimanche 12h")
    vote = await last_vote(h)
    h.sandbox.press_data(claire, None, h.last(claire).message_id, f"1|vx|{vote.id}|round")
    await h.flush()
    assert "n'attend pas de nouveau tour" in toast(h, claire)
    await h.tick(2 * DAY)  # the first closing date has passed: nothing is counted
    vote = await last_vote(h)
    assert vote.status == "open"
    await h.press(users[0], group, "Pour")
    await h.say(claire, None, "/decisions")
    await h.press(claire, None, "Organiser un café ESS")
    await h.press(claire, None, "Annuler le vote")
    await h.press(claire, None, "Non, le garder")
    assert "continue" in h.last(claire).plain
    await h.press(claire, None, "Annuler le vote")
    await h.press(claire, None, "Oui, annuler")
    h.sandbox.press_data(claire, None, h.last(claire).message_id, f"1|vx|{vote.id}|cancel")
    await h.flush()
    assert "n'est plus en cours" in toast(h, claire)
    assert "est annulé par l'équipe d'animation" in plain(h.last(group).plain)
    await h.press(
        claire,
        group,
        "Contre",
        message_id=next(
            m.message_id for m in h.sandbox.bot_messages(group) if "Organiser un café" in m.plain
        ),
    )
    assert "a été annulé" in toast(h, claire)
    assert (await last_vote(h)).status == "cancelled"
    journal = await read_journal(h, claire)
    assert "Claire Morel prolonge le vote « Organiser un café ESS ? »" in journal
    assert "Claire Morel annule le vote « Organiser un café ESS ? »" in journal
    await h.say(users[0], group, "/decisions")
    assert "s'ouvrent en privé" in h.last(group).plain


async def test_a_reminder_goes_to_those_who_have_not_voted(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 3)
    await open_vote(h, claire, closing="3 décembre 18h")
    await h.press(users[0], group, "Pour")
    await h.leave(users[2], group)  # gone: not reminded
    before = {u.id: len(h.sandbox.bot_messages(u)) for u in (claire, *users)}
    count = {u.id: u for u in (claire, *users)}
    vote = await last_vote(h)
    assert vote.closes_at is not None
    await h.tick(vote.closes_at - timedelta(hours=23) - h.clock.now())
    reminded = [i for i, u in count.items() if len(h.sandbox.bot_messages(u)) > before[i]]
    assert sorted(reminded) == sorted([claire.id, users[1].id])
    assert "Plus que 24 h pour voter" in plain(h.last(users[1]).plain)


async def test_a_member_typing_vote_sees_the_running_votes(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await open_vote(h, claire, "Acheter une cardeuse ?")
    await h.say(users[0], group, "/vote")
    text = plain(h.last(group).plain)
    assert "Votes en cours" in text and "Acheter une cardeuse ?" in text
    assert "Seule l'équipe d'animation ouvre un vote" in text


async def test_the_export_has_the_results_and_the_public_ballots(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await open_vote(h, claire, "=Créer une marque ?")
    await h.press(users[0], group, "Pour")
    await h.tick(2 * DAY)
    await h.say(claire, None, "/decisions")
    await h.press(claire, None, "Créer une marque")
    await h.press(claire, None, "Exporter (CSV)")
    document = h.last(claire).document
    assert document is not None and document[0].startswith("vote-")
    text = document[1].decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Question", "'=Créer une marque ?"]  # a formula stays text
    assert ["1", "", "", "Pour", "1"] in rows
    assert any(r[:2] == ["1", "Acteur0 Test"] and "Pour" in r for r in rows)


async def test_the_journal_and_the_api_for_other_features(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await open_vote(h, claire, "Vote secret", secret=True)
    vote = await last_vote(h)
    h.clock.advance(timedelta(hours=3))
    await h.press(users[0], group, "Contre")
    collective = await collective_of(h, group)
    async with h.app.deps.uow() as uow:
        entries = await uow.journal.page(vote.collective_id, offset=0, limit=5)
        summaries = await votes_svc.recent(uow, collective.id)
        found = await votes_svc.get(uow, collective.id, vote.id)
        elsewhere = await votes_svc.get(uow, collective.id + 1, vote.id)
    participation = entries[0]
    assert participation.kind == "vote_participated"
    assert participation.at == vote.opened_at  # no precise time in an anonymous vote
    assert "contre" not in str(participation.data)
    assert [s.title for s in summaries] == ["Vote secret"] and found is not None
    assert found.status == "open" and elsewhere is None
    await h.say(claire, None, "/journal")
    assert "Acteur0 Test vote — « Vote secret » (bulletin secret)" in plain(h.last(claire).plain)


async def test_a_draft_abandoned_publishes_nothing(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 0)
    before = len(h.sandbox.bot_messages(group))
    await h.say(claire, group, "/vote")
    assert "Je vous pose les questions du vote en privé" in h.last(group).plain
    assert "Quelle est la question posée au vote" in plain(h.last(claire).plain)
    await h.say(claire, None, "Faut-il un logo ?")
    await h.press(claire, None, "Majorité")
    await h.press(claire, None, "Plus de la moitié")
    await h.press(claire, None, "Vote public")
    await h.press(claire, None, "À la clôture")
    await h.press(claire, None, "Non, vote définitif")
    await h.press(claire, None, "Pas de quorum")
    await h.say(claire, None, "vendredi 18h")
    await h.press(claire, None, "Abandonner")
    assert "Le vote est abandonné" in h.last(claire).plain
    await h.tick(timedelta(minutes=1))
    assert len(h.sandbox.bot_messages(group)) == before + 1


async def test_an_open_vote_exports_no_count_that_is_not_shown(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await open_vote(h, claire, "Vote secret en cours", secret=True)
    await h.press(users[0], group, "Contre")
    await h.say(claire, None, "/decisions")
    await h.press(claire, None, "Vote secret en cours")
    await h.press(claire, None, "Exporter (CSV)")
    document = h.last(claire).document
    assert document is not None
    rows = list(csv.reader(io.StringIO(document[1].decode("utf-8-sig")), delimiter=";"))
    assert not any("Contre" in row for row in rows)
    assert ["Bulletin", "À bulletin secret"] in rows


async def test_the_offer_to_resume_a_vote_setup_reads_right(harness: Harness) -> None:
    """A title ending with « ? » takes no extra period in the offer to resume."""
    h = harness
    group, claire, users = await collective_with(h, 1)
    await h.say(claire, None, "/vote Adhérer au réseau des filières laine ?")
    await h.say(claire, None, "/moi")
    await h.press(claire, None, "Modifier la commune")
    await h.say(claire, None, "Allanche")
    offer = h.last(claire)
    title = "Adhérer au réseau des filières laine ?"  # as typed
    assert offer.plain == (
        nb("Vous aviez commencé autre chose : ") + title + nb(" Reprendre là où vous en étiez ?")
    )


async def test_the_team_closes_a_vote_early_once_everyone_has_voted(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await open_vote(h, claire, "Acheter une cardeuse ?")
    for user in (claire, users[0]):
        await h.press(user, group, "Pour")
    await h.say(claire, None, "/decisions")
    await h.press(claire, None, "🗳 Acheter une cardeuse")
    await h.press(claire, None, "Clore maintenant")
    asked = plain(h.last(claire).plain)
    assert "Clore le vote « Acheter une cardeuse ? » maintenant ? Participation : 2 sur 2." in asked
    await h.press(claire, None, "Oui, clore maintenant")
    assert "le vote « Acheter une cardeuse ? » est clos" in plain(h.last(claire).plain)
    await h.tick()
    result = plain(h.last(group).plain)
    assert "Résultat — Acheter une cardeuse ?" in result and "adoptée" in result
    vote = await last_vote(h)
    assert (vote.status, vote.outcome) == ("closed", "adopted")


async def test_a_long_title_is_cut_at_a_word_in_the_decisions_list(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    title = "Engagements réciproques entre les acteurs de la filière laine pour 2027 ?"
    await open_vote(h, claire, title)
    await h.say(claire, None, "/decisions")
    (button,) = [b for row in h.last(claire).buttons for b in row if "Engagements" in b]
    assert button == "🗳 Engagements réciproques entre les acteurs…", button
