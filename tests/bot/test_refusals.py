"""What people read when they ask for something the bot cannot do, and the smaller turns of a
conversation (set aside, resumed, cancelled)."""

from __future__ import annotations

from bot.sandbox.harness import Harness
from tests.helpers import actor, collective_of, membership_of, nb, scene, wool_collective


async def _setup_started(h: Harness, title: str = "Laine") -> tuple[object, object]:
    sb = h.sandbox
    claire = sb.add_user("Claire")
    group = sb.create_group(title, owner=claire)
    await h.flush()
    await h.say(claire, group, "/filiere")
    await h.press(claire, group, "Continuer en privé")
    return group, claire


async def test_setup_refuses_too_many_maillons_and_asks_no_time_zone(harness: Harness) -> None:
    group, claire = await _setup_started(harness)
    await harness.say(claire, None, "Filière laine")
    await harness.press(claire, None, "Garder")
    await harness.say(claire, None, "Cantal")
    await harness.press(claire, None, "Chaîne de valeur")
    await harness.say(claire, None, ", ".join(f"Maillon {i}" for i in range(16)))
    assert nb("15 maillons au plus : regroupez-en") in harness.last(claire).plain
    await harness.press(claire, None, "Garder ces maillons")
    last = harness.last(claire).plain
    assert nb("Question 6 sur 6") in last and "En quelle langue" in last
    await harness.press(claire, None, "Français")
    collective = await collective_of(harness, group)  # type: ignore[arg-type]
    assert (collective.timezone, collective.status) == ("Europe/Paris", "active")


async def test_an_ecosystem_setup_speaks_of_themes(harness: Harness) -> None:
    group, claire = await _setup_started(harness)
    await harness.say(claire, None, "Alimentation durable")
    await harness.press(claire, None, "Garder")
    await harness.say(claire, None, "Saint-Flour")
    await harness.press(claire, None, "Écosystème d'acteurs")
    assert harness.last(claire).buttons[0] == ["◀ Précédent", "Pas de thème pour l'instant"]
    await harness.say(claire, None, " , ")
    assert "au moins un thème" in harness.last(claire).plain
    await harness.say(claire, None, ", ".join(f"Thème {i}" for i in range(16)))
    assert nb("15 thèmes au plus") in harness.last(claire).plain
    await harness.say(claire, None, "Production\n" + "x" * 101)
    assert "Un thème ne doit pas dépasser 100 caractères" in harness.last(claire).plain


async def test_joining_before_the_setup_is_finished(harness: Harness) -> None:
    group, claire = await _setup_started(harness)
    paul = harness.sandbox.add_user("Paul")
    harness.sandbox.join(paul, group)  # type: ignore[arg-type]
    await harness.flush()
    await harness.say(paul, group, "/rejoindre")
    assert "pas encore prêt" in harness.last(group).plain  # type: ignore[arg-type]


async def test_the_setup_link_once_the_setup_is_done(harness: Harness) -> None:
    group, claire, _ = await wool_collective(harness)
    collective = await collective_of(harness, group)
    await harness.open_link(claire, f"https://t.me/tisserand_bot?start=s{collective.id}")
    assert "est terminée" in harness.last(claire).plain


async def test_commands_in_a_group_that_is_no_collective(harness: Harness) -> None:
    sb = harness.sandbox
    paul = sb.add_user("Paul")
    group = sb.create_group("Apéro", owner=paul)
    await harness.flush()
    await harness.say(paul, group, "/annuaire")
    assert "/filiere" in harness.last(group).plain


async def test_rejoindre_in_private(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    stranger = harness.sandbox.add_user("Nouveau")
    harness.sandbox.open_link(stranger, "https://t.me/tisserand_bot")
    await harness.flush()
    await harness.say(stranger, None, "/rejoindre")
    without = harness.last(stranger).plain
    await scene(harness).onboard(users[0], actor(), via_group=group)
    await harness.say(users[0], None, "/rejoindre")
    member = harness.last(users[0]).plain
    assert "dans le groupe" in without and without != member


async def test_the_join_link_of_someone_already_in(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(), via_group=group)
    collective = await collective_of(harness, group)
    await harness.open_link(users[0], f"https://t.me/tisserand_bot?start=j{collective.join_token}")
    texts = harness.bot_texts(users[0])
    assert any("Vous faites déjà partie du collectif" in t for t in texts[-2:])
    assert "Votre profil" in texts[-1]


async def test_moi_in_the_group_answers_in_private(harness: Harness) -> None:
    group, claire, _ = await wool_collective(harness)
    await harness.say(claire, group, "/moi")
    assert harness.last(group).buttons == [["Ouvrir en privé"]]
    await harness.press(claire, group, "Ouvrir en privé")
    assert "Votre profil" in harness.last(claire).plain


async def test_staying_after_all(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(), via_group=group)
    await harness.say(users[0], None, "/quitter")
    await harness.press(users[0], None, "Rester")
    assert "Vous restez dans le collectif" in harness.last(users[0]).plain
    member = await membership_of(harness, group, users[0])
    assert member is not None and member.status == "active"


async def test_role_by_reply_to_someone_who_is_not_a_member(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    sb = harness.sandbox
    sb.send_text(users[0], group, "/aide")  # Acteur0 is in the group, not in the collective
    await harness.flush()
    asked = [m for m in sb.messages(group) if m.from_id == users[0].id][-1]
    sb.send_text(claire, group, "/role", reply_to=asked.message_id)
    await harness.flush()
    assert "ne fait pas (ou plus) partie du collectif" in harness.last(group).plain


async def test_handing_over_to_oneself_is_refused(harness: Harness) -> None:
    group, claire, _ = await wool_collective(harness)
    mine = await membership_of(harness, group, claire)
    assert mine is not None
    last = harness.last(claire)
    harness.sandbox.press_data(claire, None, last.message_id, f"1|handover|{mine.id}")
    await harness.flush()
    assert "Choisissez une autre personne" in harness.sandbox.toasts[-1][1]


async def test_a_conversation_set_aside_is_offered_again(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    paul = users[0]
    await scene(harness).onboard(paul, actor(), via_group=group)
    # Paul starts changing his commune, then opens /filiere's setup of another group.
    await harness.say(paul, None, "/moi")
    await harness.press(paul, None, "Modifier la commune")
    other = harness.sandbox.create_group("Alimentation", owner=paul)
    await harness.flush()
    await harness.say(paul, other, "/filiere")
    assert "Quel est le nom du collectif" in harness.last(paul).plain
    for answer in ("Alimentation", None, "Cantal"):
        if answer is None:
            await harness.press(paul, None, "Garder")
        else:
            await harness.say(paul, None, answer)
    await harness.press(paul, None, "Écosystème d'acteurs")
    await harness.press(paul, None, "Pas de thème pour l'instant")
    await harness.press(paul, None, "Français")
    # The new collective asks for his profile there; the commune question waits its turn.
    await scene(harness).onboard(
        paul, actor(org="Asso", famille="Association", maillons=()), via_group=None
    )
    offer = harness.last(paul)
    assert "Reprendre" in offer.buttons[0][0] and "Laine Cantal" in offer.plain.replace(
        "Filière laine du Cantal", "Laine Cantal"
    )
    await harness.press(paul, None, "Reprendre")
    assert "Quelle est votre commune" in harness.last(paul).plain
    await harness.say(paul, None, "Murat")
    member = await membership_of(harness, group, paul)
    assert member is not None and member.commune == "Murat"


async def test_a_conversation_whose_subject_is_gone(harness: Harness) -> None:
    group, claire, users = await wool_collective(harness)
    paul = users[0]
    await harness.say(paul, group, "/rejoindre")
    await harness.press(paul, group, "Rejoindre en privé")
    async with harness.app.deps.uow() as uow:
        collective = await uow.collectives.by_chat(group.id)
        person = await uow.people.by_telegram_id(paul.id)
        assert collective is not None and person is not None
        member = await uow.memberships.get(collective.id, person.id)
        assert member is not None
        await uow.session.delete(member)
    await harness.say(paul, None, "Ferme du Causse")
    assert "n'a plus lieu d'être" in harness.last(paul).plain
    await harness.say(paul, None, "encore")
    assert "Je n'attends pas de réponse" in harness.last(paul).plain


async def test_a_conversation_set_aside_is_offered_once_not_after_every_other(
    harness: Harness,
) -> None:
    group, _, users = await wool_collective(harness)
    paul = users[0]
    await scene(harness).onboard(paul, actor(), via_group=group)
    await harness.say(paul, None, "/ressource")  # left at its first question
    assert "Envoyez-moi un lien" in harness.last(paul).plain
    await harness.say(paul, None, "/moi")
    await harness.press(paul, None, "Modifier l'organisation")
    await harness.say(paul, None, "GAEC du Puy")
    offers = [t for t in harness.bot_texts(paul) if "Vous aviez commencé autre chose" in t]
    assert len(offers) == 1
    await harness.say(paul, None, "/moi")
    await harness.press(paul, None, "Modifier l'organisation")
    await harness.say(paul, None, "GAEC du Puy Mary")
    offers = [t for t in harness.bot_texts(paul) if "Vous aviez commencé autre chose" in t]
    assert len(offers) == 1  # not offered again after every other question
    await harness.say(paul, None, "/ressource")  # the command itself resumes it
    assert "Envoyez-moi un lien" in harness.last(paul).plain
