"""Every bad input the decisions meet gets a clear answer and loses nothing: double and
concurrent presses, late ballots, people who may not vote, forged buttons, an objection with
no reason, bad proxies, bad dates and numbers."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from bot.sandbox.harness import Harness
from bot.services import votes as votes_svc
from bot.services.errors import Refusal
from storage.repos.votes import VoteRepo
from tests.bot.votes_helpers import (
    collective_with,
    last_vote,
    make_observer,
    open_vote,
    plain,
    tallies,
    toast,
)
from tests.helpers import WOOL, actor, scene


async def _roll(h: Harness, vote_id: int) -> int:
    async with h.app.deps.uow() as uow:
        return len(await uow.repo(VoteRepo).roll(vote_id, 1))


async def test_a_double_press_gives_one_ballot(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await open_vote(h, claire)
    await h.press(users[0], group, "Pour")
    await h.press(users[0], group, "Pour")
    assert toast(h, users[0]) == "Vous avez déjà voté : « Pour ». Ce vote ne peut pas être modifié."
    await h.press(users[0], group, "Contre")
    vote = await last_vote(h)
    assert await tallies(h, vote.id) == {"pour": 1} and await _roll(h, vote.id) == 1


async def test_two_concurrent_presses_give_one_ballot(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await open_vote(h, claire, secret=True)
    await h.live()
    sb = h.sandbox
    before = len(sb.toasts)
    sb.press(users[0], group, "Pour")
    sb.press(users[0], group, "Contre")
    await h.feed()
    started = time.monotonic()
    while len(sb.toasts) < before + 2:
        assert time.monotonic() - started < 5, sb.toasts[before:]
        await asyncio.sleep(0.01)
    answers = sorted(text for _, text in sb.toasts[before:])
    assert answers[0].startswith("C'est enregistré") and "déjà voté" in answers[1]
    vote = await last_vote(h)
    assert sum((await tallies(h, vote.id)).values()) == 1 and await _roll(h, vote.id) == 1


async def test_concurrent_units_of_work_cannot_both_cast(harness: Harness) -> None:
    """Below the Application's lanes: two transactions casting the same ballot at once."""
    h = harness
    group, claire, users = await collective_with(h, 1)
    await open_vote(h, claire, secret=True)
    vote = await last_vote(h)

    async def cast(choice: str) -> object:
        async with h.app.deps.uow() as uow:
            person = await uow.people.by_telegram_id(users[0].id)
            assert person is not None
            return await votes_svc.cast(uow, vote.id, 1, person, h.clock.now(), choice=choice)

    outcomes = await asyncio.gather(cast("pour"), cast("contre"), return_exceptions=True)
    receipts = [o for o in outcomes if isinstance(o, votes_svc.Receipt)]
    failures = [o for o in outcomes if isinstance(o, Exception)]
    assert len(receipts) == 1 and len(failures) == 1
    assert isinstance(failures[0], Refusal) or "unique" in str(failures[0]).lower()
    assert sum((await tallies(h, vote.id)).values()) == 1 and await _roll(h, vote.id) == 1


async def test_a_ballot_after_the_closing_date_is_not_counted(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 2)
    await open_vote(h, claire, "Question close", closing="demain 18h")
    vote = await last_vote(h)
    assert vote.closes_at is not None
    h.clock.set(vote.closes_at + timedelta(seconds=5))  # the closing has not run yet
    await h.press(users[0], group, "Pour")
    assert toast(h, users[0]).startswith("Le vote « Question close » est clos")
    await h.tick()
    await h.press(users[1], group, "Pour", message_id=h.sandbox.bot_messages(group)[-2].message_id)
    assert "est clos" in toast(h, users[1])
    assert await tallies(h, vote.id) == {} and await _roll(h, vote.id) == 0


async def test_non_members_observers_and_latecomers_may_not_vote(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 2, outsiders=2)
    await make_observer(h, claire, "Acteur1 Test")
    await open_vote(h, claire, observers=False)
    await h.press(users[2], group, "Pour")
    assert toast(h, users[2]).startswith("Vous ne faites pas partie du collectif")
    await h.press(users[1], group, "Pour")
    assert toast(h, users[1]).startswith("Les personnes en observation ne votent pas")
    await scene(h).onboard(users[3], actor(org="Arrivée tardive"), via_group=group)
    await h.press(users[3], group, "Pour", message_id=_live_id(h, group))
    assert toast(h, users[3]).startswith("Vous n'êtes pas sur la liste des votants")
    vote = await last_vote(h)
    assert await tallies(h, vote.id) == {}


def _live_id(h: Harness, group: object) -> int:
    return next(
        m.message_id
        for m in reversed(h.sandbox.bot_messages(group))  # type: ignore[arg-type]
        if m.plain.startswith("🗳")
    )


async def test_forged_buttons_are_refused(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    # A second collective, with its own vote.
    sb = h.sandbox
    nadia = sb.add_user("Nadia", last_name="Brunet")
    food = sb.create_group("Alimentation", owner=nadia, members=[users[0]])
    await h.flush()
    await scene(h).register(nadia, food, {**WOOL, "name": "Alimentation durable"})
    await scene(h).onboard(
        nadia, actor(org="Pôle alimentation", maillons=("Production",)), via_group=None
    )
    await open_vote(h, nadia, "Question d'ailleurs")
    other = await last_vote(h)
    await open_vote(h, claire, "Question d'ici")
    here = await last_vote(h)
    live = _live_id(h, group)
    # Another collective's vote, pressed from this group: refused.
    sb.press_data(claire, group, live, f"1|vb|{other.id}|1|pour")
    await h.flush()
    assert toast(h, claire).startswith("Ce bouton n'est plus valable")
    # In private, a vote of a collective one is not part of: refused.
    sb.press_data(claire, None, h.last(claire).message_id, f"1|vb|{other.id}|1|pour")
    await h.flush()
    assert toast(h, claire).startswith("Vous ne faites pas partie du collectif")
    # A choice of another method, a round that does not exist, a word that is no choice.
    for data in (f"1|vb|{here.id}|1|ok", f"1|vb|{here.id}|7|pour", f"1|vb|{here.id}|1|zzz"):
        sb.press_data(users[0], group, live, data)
        await h.flush()
        assert toast(h, users[0]).startswith(("Ce bouton n'est plus valable", "Le vote"))
    assert await tallies(h, other.id) == {} and await tallies(h, here.id) == {}


async def test_an_objection_needs_a_reason(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await open_vote(h, claire, "Changer de logo", method="Consentement")
    vote = await last_vote(h)
    # A forged one-press objection: no reason, no ballot.
    h.sandbox.press_data(users[0], group, _live_id(h, group), f"1|vb|{vote.id}|1|objection")
    await h.flush()
    assert toast(h, users[0]).startswith("Une objection se motive")
    # An empty or invisible reason is refused; the question stays.
    await h.open_link(users[0], f"https://t.me/{h.app.bot.username}?start=vo{vote.id}")
    await h.say(users[0], None, "\u200b")
    assert "Votre réponse est vide" in h.last(users[0]).plain
    assert await tallies(h, vote.id) == {}
    await h.say(users[0], None, "Le logo actuel est connu.")
    assert await tallies(h, vote.id) == {"objection": 1}


async def test_bad_proxies_are_refused(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 3, outsiders=1)
    await open_vote(h, claire)
    sb = h.sandbox

    async def said(user: object) -> int:
        sb.send_text(user, group, "Bonjour")  # type: ignore[arg-type]
        await h.flush()
        return [m for m in sb.messages(group) if m.from_id == user.id][-1].message_id  # type: ignore[attr-defined]

    mine = await said(users[0])
    await h.say(users[0], group, "/procuration", reply_to=mine)
    assert "Vous ne pouvez pas vous donner procuration à vous-même" in plain(h.last(group).plain)
    outsider = await said(users[3])
    await h.say(users[0], group, "/procuration", reply_to=outsider)
    assert "ne fait pas partie du collectif" in plain(h.last(group).plain)
    await h.say(users[0], group, "/procuration")
    assert "répondez à un message de la personne" in plain(h.last(group).plain)
    paul = await said(users[1])
    await h.say(users[0], group, "/procuration", reply_to=paul)
    assert "Acteur1 Test votera pour Acteur0 Test" in plain(h.last(group).plain)
    await h.say(users[2], group, "/procuration", reply_to=paul)
    text = plain(h.last(group).plain)
    assert "Acteur1 Test porte déjà une procuration pour ce vote" in text
    async with h.app.deps.uow() as uow:
        proxies = await uow.repo(VoteRepo).proxies((await last_vote(h)).id)
    assert len(proxies) == 1


async def test_bad_setup_answers_are_refused_and_the_question_stays(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 0)
    await h.say(claire, None, "/vote Lieu totem")
    await h.press(claire, None, "Jugement majoritaire")
    await h.say(claire, None, "Une seule option")
    assert "Il faut au moins deux options" in h.last(claire).plain
    await h.say(claire, None, "\n".join(f"Option {i}" for i in range(12)))
    assert "10 options au plus" in plain(h.last(claire).plain)
    await h.say(claire, None, "La Grange\nLe Moulin")
    await h.press(claire, None, "Vote public")
    await h.press(claire, None, "À la clôture")
    await h.press(claire, None, "Non, vote définitif")
    await h.say(claire, None, "beaucoup")
    assert "« beaucoup » n'est pas un pourcentage" in plain(h.last(claire).plain)
    await h.say(claire, None, "150 %")
    assert "n'est pas un pourcentage" in plain(h.last(claire).plain)
    await h.say(claire, None, "50 %")
    await h.say(claire, None, "31/02 18h")
    assert "n'existe pas" in h.last(claire).plain
    await h.say(claire, None, "3/12/2028 18h")
    assert "Un vote dure un an au plus" in plain(h.last(claire).plain)
    await h.say(claire, None, "jeudi 3 décembre 18h")
    await h.press(claire, None, "Ouvrir le vote")
    vote = await last_vote(h)
    assert vote.status == "open" and vote.quorum == 50
