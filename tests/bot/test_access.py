"""The Telegram group is the door; every step rechecks the right; personal data only where it
belongs."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.sandbox.harness import Harness
from storage.models import Conversation, Membership, Person
from tests.helpers import (
    actor,
    collective_of,
    journal_kinds,
    membership_of,
    scene,
    wool_collective,
)

NOT_IN_GROUP = "Demandez à l'équipe d'animation de vous ajouter au groupe"


async def _rows(h: Harness, model: type, **where: object) -> int:
    async with h.app.deps.uow() as uow:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(await uow.session.scalar(query) or 0)


async def _person_id(h: Harness, telegram_id: int) -> int | None:
    async with h.app.deps.uow() as uow:
        person = await uow.people.by_telegram_id(telegram_id)
        return person.id if person else None


async def test_a_stranger_with_a_guessed_link_is_turned_away(harness: Harness) -> None:
    group, _, _ = await wool_collective(harness)
    collective = await collective_of(harness, group)
    stranger = harness.sandbox.add_user("Intrus")
    # The old sequential form, and the new token form: neither lets a stranger in.
    for payload in (f"j{collective.id}", f"j{collective.join_token}"):
        await harness.open_link(stranger, f"https://t.me/tisserand_bot?start={payload}")
        assert NOT_IN_GROUP in harness.last(stranger).plain
    assert await membership_of(harness, group, stranger) is None
    person = await _person_id(harness, stranger.id)
    assert await _rows(harness, Conversation, person_id=person) == 0
    # Nor does the annuaire open for them.
    await harness.say(stranger, None, "/annuaire")
    assert "aucun collectif" in harness.last(stranger).plain


async def test_new_links_carry_a_random_token_and_old_ones_work_for_people_in_the_group(
    harness: Harness,
) -> None:
    group, _, users = await wool_collective(harness)
    collective = await collective_of(harness, group)
    token = collective.join_token
    assert token is not None and len(token) >= 11  # 96 bits, URL-safe
    await harness.say(users[0], group, "/rejoindre")
    link = harness.last(group).inline_buttons[0]["url"]
    assert link.endswith(f"?start=j{token}") and not token.isdigit()
    # A link posted before this change (the id) still opens the door for someone in the group.
    await harness.open_link(users[1], f"https://t.me/tisserand_bot?start=j{collective.id}")
    assert "Quelle organisation représentez-vous" in harness.last(users[1]).plain


async def test_someone_who_left_the_group_cannot_rejoin_by_the_link(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    paul = users[0]
    await scene(harness).onboard(paul, actor(), via_group=group)
    collective = await collective_of(harness, group)
    await harness.leave(paul, group)
    await harness.open_link(paul, f"https://t.me/tisserand_bot?start=j{collective.join_token}")
    assert NOT_IN_GROUP in harness.last(paul).plain
    member = await membership_of(harness, group, paul)
    assert member is not None and member.status == "left"


async def test_no_join_unchecked_when_the_bot_is_not_admin(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    collective = await collective_of(harness, group)
    harness.sandbox.set_bot_admin(group, False)
    await harness.flush()
    for user in users:
        await harness.open_link(user, f"https://t.me/tisserand_bot?start=j{collective.join_token}")
        assert "le bot doit être administrateur du groupe" in harness.last(user).plain
        assert await membership_of(harness, group, user) is None
    before = len(harness.bot_texts(claire))
    await harness.tick()
    told = harness.bot_texts(claire)[before:]
    # The animators are told, once for the day however many people tried.
    assert len(told) == 1 and "personne ne peut rejoindre le collectif" in told[0]
    await harness.tick()
    assert len(harness.bot_texts(claire)) == before + 1


async def test_a_failing_membership_check_lets_nobody_in(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    collective = await collective_of(harness, group)
    harness.sandbox.fail_next("getChatMember", "server_error")
    await harness.open_link(users[0], f"https://t.me/tisserand_bot?start=j{collective.join_token}")
    assert "le bot doit être administrateur du groupe" in harness.last(users[0]).plain
    assert await membership_of(harness, group, users[0]) is None


async def test_a_demoted_animator_cannot_go_on_with_the_setup(harness: Harness) -> None:
    sb = harness.sandbox
    claire = sb.add_user("Claire")
    marc = sb.add_user("Marc")
    group = sb.create_group("Laine", owner=claire, admins=[marc])
    await harness.flush()
    await harness.say(marc, group, "/filiere")
    await harness.say(marc, None, "Filière laine")  # the name: saved
    # Claire takes the animation over while Marc's setup is still open.
    async with harness.app.deps.uow() as uow:
        collective = await uow.collectives.by_chat(group.id)
        assert collective is not None
        marc_person = await uow.people.by_telegram_id(marc.id)
        member = await uow.memberships.get(collective.id, marc_person.id)  # type: ignore[union-attr]
        assert member is not None
        member.role = "membre"  # type: ignore[assignment]
    await harness.say(marc, None, "pirate-slug")
    assert "Seule l'équipe d'animation" in harness.last(marc).plain or "animation" in (
        harness.last(marc).plain
    )
    await harness.press(marc, None, "Garder")
    assert sb.toasts[-1][1]
    collective = await collective_of(harness, group)
    assert collective.slug is None and collective.name == "Filière laine"


async def test_someone_still_joining_reads_nothing(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    paul = users[0]
    await harness.say(paul, group, "/rejoindre")
    await harness.press(paul, group, "Rejoindre en privé")
    await harness.say(paul, None, "Ferme du Causse")  # then stops half-way
    await harness.say(paul, None, "/annuaire")
    assert "Vous n'avez pas fini de rejoindre" in harness.last(paul).plain
    await harness.say(paul, group, "/annuaire")
    assert "pas fini de rejoindre" in harness.last(group).plain


async def test_the_creator_animates_from_registration(harness: Harness) -> None:
    sb = harness.sandbox
    claire = sb.add_user("Claire")
    marc = sb.add_user("Marc")
    group = sb.create_group("Laine", owner=claire, members=[marc])
    await harness.flush()
    s = scene(harness)
    await s.register(
        claire, group, {"name": "Laine", "territoire": "Cantal", "vision": "Chaîne de valeur"}
    )
    # Claire has not filled her own profile yet: she animates all the same.
    member = await membership_of(harness, group, claire)
    assert member is not None and (member.status, member.role) == ("active", "animateur")
    await harness.say(claire, None, "/journal")
    assert "Journal — Laine" in harness.last(claire).plain
    await harness.say(claire, None, "/role")
    assert "Changer un rôle" in harness.last(claire).plain


async def test_the_leave_confirmation_belongs_to_who_asked(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    paul, jeanne = users
    await scene(harness).onboard(paul, actor(), via_group=group)
    await scene(harness).onboard(jeanne, actor(org="Filature"), via_group=group)
    await harness.say(paul, group, "/quitter")
    confirmation = harness.last(group)
    assert confirmation.buttons == [["Quitter", "Rester"]]
    harness.sandbox.press(jeanne, group, "Quitter", message_id=confirmation.message_id)
    await harness.flush()
    assert harness.sandbox.toasts[-1][1].startswith("Ce bouton est pour Acteur0")
    for user in (paul, jeanne):
        member = await membership_of(harness, group, user)
        assert member is not None and member.status == "active"
    await harness.press(paul, group, "Quitter")
    member = await membership_of(harness, group, paul)
    assert member is not None and member.status == "left"


async def test_the_annuaire_is_never_shown_in_the_group(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(org="GAEC des Estives"), via_group=group)
    await harness.say(users[0], group, "/annuaire")
    in_group = harness.last(group)
    assert "se consulte en privé" in in_group.plain and "GAEC" not in in_group.plain
    await harness.press(users[0], group, "Ouvrir en privé")
    assert "GAEC des Estives" in harness.last(users[0]).plain


async def test_the_privacy_notice_names_what_the_annuaire_shows(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    await harness.say(users[0], group, "/rejoindre")
    await harness.press(users[0], group, "Rejoindre en privé")
    notice = next(t for t in harness.bot_texts(users[0]) if "ce que je conserve" in t)
    for shown in ("nom", "identifiant Telegram", "organisation", "famille", "maillons", "commune"):
        assert shown in notice


async def test_commands_for_another_bot_get_nothing_and_store_nobody(harness: Harness) -> None:
    group, _, _ = await wool_collective(harness)
    passerby = harness.sandbox.add_user("Passant")
    harness.sandbox.chat(group.id).members[passerby.id] = "member"
    before = len(harness.bot_texts(group))
    await harness.say(passerby, group, "/annuaire@autrebot")
    await harness.say(passerby, group, "/nimporte@autrebot")
    assert len(harness.bot_texts(group)) == before
    assert await _person_id(harness, passerby.id) is None


async def test_a_member_who_left_is_refused(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(), via_group=group)
    await harness.say(users[0], group, "/quitter")
    await harness.press(users[0], group, "Quitter")
    await harness.say(users[0], None, "/annuaire")
    assert "aucun collectif" in harness.last(users[0]).plain
    await harness.say(users[0], group, "/moi")
    assert "ne faites pas partie du collectif" in harness.last(group).plain


async def test_a_returning_animator_comes_back_as_a_member(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    marc = users[0]
    await scene(harness).onboard(marc, actor(), via_group=group)
    await harness.say(claire, None, "/role")
    await harness.press(claire, None, "Acteur0 Test")
    await harness.press(claire, None, "Équipe d'animation")
    await harness.leave(marc, group)
    harness.sandbox.join(marc, group)
    await harness.flush()
    await scene(harness).onboard(marc, actor(), via_group=group)
    member = await membership_of(harness, group, marc)
    assert member is not None and (member.status, member.role) == ("active", "membre")
    assert (await journal_kinds(harness, group)).count("member_joined") >= 3


async def test_links_with_numbers_out_of_range_are_stale(harness: Harness) -> None:
    group, claire, _ = await wool_collective(harness)
    for payload in ("p99999999999999999999999", "l-1", "a", "zzz", "s12x"):
        await harness.open_link(claire, f"https://t.me/tisserand_bot?start={payload}")
        reply = harness.last(claire).plain
        assert re.search(r"lien n'est plus valable|plus valable", reply), (payload, reply)
    last = harness.last(claire)
    for data in ("1|rolem|99999999999999999999999", "1|pg|annuaire|-5|0", "1|quit|0"):
        harness.sandbox.press_data(claire, None, last.message_id, data)
        await harness.flush()
        assert harness.sandbox.toasts[-1][1].startswith("Ce bouton n'est plus valable")
    assert await _rows(harness, Membership) >= 1
    assert await _rows(harness, Person) >= 1


async def test_restricted_people_get_in_only_while_in_the_group(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    collective = await collective_of(harness, group)
    link = f"https://t.me/tisserand_bot?start=j{collective.join_token}"
    harness.sandbox.restrict(group, users[0], is_member=True)
    harness.sandbox.restrict(group, users[1], is_member=False)
    await harness.flush()
    await harness.open_link(users[0], link)
    assert "Quelle organisation représentez-vous" in harness.last(users[0]).plain
    await harness.open_link(users[1], link)
    assert NOT_IN_GROUP in harness.last(users[1]).plain
