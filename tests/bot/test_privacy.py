"""RGPD: /mes_donnees gives everything kept about the person, /oublier erases it for good,
and people who left long ago are forgotten."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.sandbox.harness import Harness
from bot.services import privacy
from storage.models import Conversation, Membership, Person
from tests.helpers import actor, scene, wool_collective


async def test_my_data_comes_in_private_with_a_json_file(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    paul = users[0]
    await scene(harness).onboard(paul, actor(org="GAEC des Estives"), via_group=group)
    await harness.say(paul, group, "/mes_donnees")
    assert "en privé" in harness.last(group).plain and "GAEC" not in harness.last(group).plain
    await harness.press(paul, group, "Ouvrir en privé")
    sent = harness.sandbox.bot_messages(paul)
    summary = next(m for m in reversed(sent) if "Vos données" in m.plain)
    assert "GAEC des Estives" in summary.plain and "Filière laine du Cantal" in summary.plain
    assert "au format JSON, lisible dans un éditeur de texte" in summary.plain  # no spreadsheet
    document = sent[-1]
    assert document.document is not None and document.document[0] == "mes-donnees.json"
    content = next(
        data for name, data, _ in harness.sandbox.files.values() if name == "mes-donnees.json"
    )
    data = json.loads(content)
    core = data["profil_et_collectifs"]
    assert core["profil"]["prénom"] == "Acteur0"
    assert core["collectifs"][0]["organisation"] == "GAEC des Estives"
    assert any(e["événement"] == "member_joined" for e in core["journal"])


async def test_forgetting_erases_for_good_and_keeps_the_collective_standing(
    harness: Harness,
) -> None:
    group, claire, users = await wool_collective(harness)
    paul = users[0]
    await scene(harness).onboard(
        paul, actor(org="GAEC des Estives", commune="Allanche"), via_group=group
    )
    await harness.say(paul, None, "/oublier")
    assert "C'est définitif" in harness.last(paul).plain
    await harness.press(paul, None, "Effacer mes données")
    assert "vos données sont effacées" in harness.last(paul).plain
    async with harness.app.deps.uow() as uow:
        people = list(await uow.session.scalars(select(Person)))
        erased = [p for p in people if p.erased_at is not None]
        assert len(erased) == 1
        gone = erased[0]
        assert (gone.first_name, gone.last_name, gone.username) == ("", None, None)
        assert gone.telegram_id < 0 and gone.display_name == "membre supprimé"
        member = await uow.session.scalar(select(Membership).where(Membership.person_id == gone.id))
        assert member is not None and member.status == "left"
        assert (member.organisation, member.commune, member.directory_consent) == (
            None,
            None,
            False,
        )
        assert (member.famille, member.maillon_ids) == (None, [])
        assert (
            await uow.session.scalar(select(Conversation).where(Conversation.person_id == gone.id))
            is None
        )
    # Nobody recognises Paul any more: he is a stranger, and nothing of his comes back.
    await harness.say(paul, None, "/moi")
    assert "aucun collectif" in harness.last(paul).plain
    await harness.say(claire, None, "/journal")
    journal_page = harness.last(claire).plain
    assert "membre supprimé a demandé l'effacement de ses données" in journal_page
    assert "Acteur0" not in journal_page
    await harness.say(claire, None, "/annuaire")
    assert "GAEC" not in harness.last(claire).plain


async def test_the_last_animator_forgotten_hands_over(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(), via_group=group)
    await harness.say(claire, None, "/oublier")
    await harness.press(claire, None, "Effacer mes données")
    async with harness.app.deps.uow() as uow:
        collective = await uow.collectives.by_chat(group.id)
        assert collective is not None
        animators = await uow.memberships.count_role(collective.id, "animateur")  # type: ignore[arg-type]
    assert animators == 1
    await harness.say(users[0], None, "/journal")
    assert "Journal" in harness.last(users[0]).plain


async def test_people_who_left_long_ago_are_forgotten_once(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(), via_group=group)
    await scene(harness).onboard(users[1], actor(org="Filature"), via_group=group)
    await harness.leave(users[0], group)
    harness.clock.advance(timedelta(days=200))
    await harness.leave(users[1], group)
    harness.clock.advance(timedelta(days=200))
    async with harness.app.deps.uow() as uow:
        first = await privacy.purge_departed(uow, harness.clock.now(), 12, [])
    async with harness.app.deps.uow() as uow:
        again = await privacy.purge_departed(uow, harness.clock.now(), 12, [])
        left = list(await uow.session.scalars(select(Person).where(Person.erased_at.is_not(None))))
    assert (first, again, len(left)) == (1, 0, 1)  # only the one gone more than 12 months


async def test_the_privacy_notice_is_under_aide(harness: Harness) -> None:
    paul = harness.sandbox.add_user("Paul")
    await harness.say(paul, None, "/aide")
    await harness.press(paul, None, "Vos données")
    notice = harness.last(paul).plain
    assert "Responsable du traitement" in notice and "/oublier" in notice and "12 mois" in notice


async def test_changing_ones_mind_erases_nothing(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(), via_group=group)
    await harness.say(users[0], group, "/oublier")
    await harness.press(users[0], group, "Ouvrir en privé")
    await harness.press(users[0], None, "Annuler")
    assert "Rien n'est effacé" in harness.last(users[0]).plain
    async with harness.app.deps.uow() as uow:
        assert await uow.session.scalar(select(Person).where(Person.erased_at.is_not(None))) is None
