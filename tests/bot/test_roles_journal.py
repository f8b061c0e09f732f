"""/role, handing over, the last animator, and /journal."""

from __future__ import annotations

from sqlalchemy import select

from bot.sandbox.harness import Harness
from storage.models import DueWork
from tests.helpers import actor, journal_kinds, membership_of, nb, scene, wool_collective


async def _with_marc(harness: Harness):  # type: ignore[no-untyped-def]
    group, claire, users = await wool_collective(harness)
    marc = users[0]
    await scene(harness).onboard(marc, actor(org="Com com"), via_group=group)
    return group, claire, marc


async def test_animator_names_a_co_animator_from_the_list(harness: Harness) -> None:
    group, claire, marc = await _with_marc(harness)
    await harness.say(claire, None, "/role")
    assert ["Acteur0 Test · Membre"] in harness.last(claire).buttons
    assert ["Claire Morel · Équipe d'animation"] in harness.last(claire).buttons
    await harness.press(claire, None, "Acteur0 Test")
    assert "Acteur0 Test est membre. Quel rôle lui donner" in harness.last(claire).plain
    await harness.press(claire, None, "Équipe d'animation")
    assert (
        "Acteur0 Test fait maintenant partie de l'équipe d'animation"
        in harness.sandbox.bot_messages(claire)[-1].plain
    )
    member = await membership_of(harness, group, marc)
    assert member is not None and member.role == "animateur"
    assert "role_changed" in await journal_kinds(harness, group)
    # Marc learns it in private, with the commands he now has.
    told = harness.last(marc).plain
    assert "Vous faites maintenant partie de l'équipe d'animation" in told
    assert "Claire Morel vous a confié ce rôle" in told and "/journal" in told


async def test_role_by_reply_in_the_group(harness: Harness) -> None:
    group, claire, marc = await _with_marc(harness)
    sb = harness.sandbox
    sb.send_text(marc, group, "/aide")
    await harness.flush()
    asked = [m for m in sb.messages(group) if m.from_id == marc.id][-1]
    await harness.say(claire, group, "/role", reply_to=asked.message_id)
    await harness.press(claire, group, "Observation")
    member = await membership_of(harness, group, marc)
    assert member is not None and member.role == "observateur"


async def test_a_member_cannot_use_role(harness: Harness) -> None:
    group, claire, marc = await _with_marc(harness)
    await harness.say(marc, group, "/role")
    assert "Seule l'équipe d'animation peut faire cela" in harness.last(group).plain


async def test_the_last_animator_cannot_be_removed_but_can_hand_over(harness: Harness) -> None:
    group, claire, marc = await _with_marc(harness)
    await harness.say(claire, None, "/role")
    await harness.press(claire, None, "Claire Morel")
    await harness.press(claire, None, "Membre")
    assert harness.sandbox.toasts[-1][1].startswith(
        "Il faut au moins une personne dans l'équipe d'animation"
    )
    me = await membership_of(harness, group, claire)
    assert me is not None and me.role == "animateur"
    await harness.say(claire, None, "/quitter")
    assert "Passez d'abord la main" in harness.last(claire).plain
    await harness.say(claire, None, "/role")
    await harness.press(claire, None, "Acteur0 Test")
    await harness.press(claire, None, "Passer la main")
    me = await membership_of(harness, group, claire)
    marc_member = await membership_of(harness, group, marc)
    assert me is not None and marc_member is not None
    assert (me.role, marc_member.role) == ("membre", "animateur")


async def test_last_animator_leaving_the_group_hands_over_to_the_oldest_member(
    harness: Harness,
) -> None:
    group, claire, marc = await _with_marc(harness)
    await harness.leave(claire, group)
    marc_member = await membership_of(harness, group, marc)
    assert marc_member is not None and marc_member.role == "animateur"
    # Marc learns it, in private, through the sender; nobody else does.
    await harness.tick()
    told = harness.last(marc).plain
    assert (
        nb("Vous faites maintenant partie de l'équipe d'animation de « Filière laine du Cantal »")
        in told
    )
    assert "vous en êtes membre depuis le plus longtemps" in told
    assert "Claire" not in told
    assert not any("partie de l'équipe d'animation" in t for t in harness.bot_texts(claire))
    await harness.tick()
    assert sum("Vous faites maintenant partie" in t for t in harness.bot_texts(marc)) == 1


async def test_the_last_animator_who_asks_to_be_forgotten_leaves_a_told_successor(
    harness: Harness,
) -> None:
    group, claire, marc = await _with_marc(harness)
    await harness.say(claire, None, "/oublier")
    await harness.press(claire, None, "Effacer mes données")
    marc_member = await membership_of(harness, group, marc)
    assert marc_member is not None and marc_member.role == "animateur"
    # What waits to be sent names nobody: Claire asked to be forgotten.
    async with harness.app.deps.uow() as uow:
        payloads = [
            str(row.payload)
            for row in await uow.session.scalars(select(DueWork))
            if "successor" in row.key
        ]
    assert payloads and not any("Claire" in p or "Morel" in p for p in payloads)
    await harness.tick()
    assert nb("Vous faites maintenant partie de l'équipe d'animation") in harness.last(marc).plain


async def test_journal_is_for_animators_and_paged(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness, members=6)
    s = scene(harness)
    for i, user in enumerate(users):
        await s.onboard(user, actor(org=f"Org {i}"), via_group=group)
        await harness.say(user, None, "/moi")
        await harness.press(user, None, "Modifier la commune")
        await harness.say(user, None, f"Commune {i}")
    await harness.say(users[0], None, "/journal")
    assert "Seule l'équipe d'animation" in harness.last(users[0]).plain
    await harness.say(claire, group, "/journal")
    assert harness.last(group).buttons == [["Ouvrir en privé"]]
    await harness.say(claire, None, "/journal")
    page = harness.last(claire)
    assert "(page 1 sur 2)" in page.plain
    assert "Acteur5 Test a modifié son profil" in page.plain
    assert page.buttons[0] == ["Plus anciens ▶"]
    await harness.press(claire, None, "Plus anciens")
    older = harness.last(claire).plain
    assert "(page 2 sur 2)" in older and "Claire Morel a créé le collectif" in older


async def test_an_event_the_journal_cannot_name_still_shows(harness: Harness) -> None:
    from bot.services import journal as journal_svc

    group, claire, _ = await wool_collective(harness)
    async with harness.app.deps.uow() as uow:
        collective = await uow.collectives.by_chat(group.id)
        assert collective is not None
        await journal_svc.record(uow, collective.id, "from_a_later_version", harness.clock.now())
    await harness.say(claire, None, "/journal")
    # Its code means nothing to a reader: it still takes its line, in words.
    assert "Autre événement" in harness.last(claire).plain
    assert "from_a_later_version" not in harness.last(claire).plain


async def test_the_journal_tells_roles_and_departures_in_words(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(), via_group=group)
    await scene(harness).onboard(users[1], actor(org="Filature"), via_group=group)
    await harness.say(claire, None, "/role")
    await harness.press(claire, None, "Acteur0 Test")
    await harness.press(claire, None, "Observation")
    await harness.leave(users[1], group)
    await harness.say(claire, None, "/journal")
    page = harness.last(claire).plain
    assert "Acteur0 Test passe en observation (par Claire Morel)" in page
    assert "Acteur1 Test a quitté le collectif (départ du groupe)" in page
