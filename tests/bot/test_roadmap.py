"""After the meeting: /cr (minutes as a document or text, attendance from the answers,
décisions, actions with porteur, échéance and levier); the feuille de route (/actions), done
by the porteur or the team, the porteurs' reminders; reunions.csv and actions.csv."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from storage.models import Decision, Meeting, MeetingParticipant, RoadmapAction
from tests.bot.test_meetings import START, members, schedule, shown
from tests.helpers import journal_kinds, nb

AFTER = datetime(2026, 12, 10, 16, 0, tzinfo=UTC)  # the comité of 14 h is over


def document(h: Harness, chat: SandboxChat | SandboxUser) -> tuple[str, bytes, str]:
    message = next(m for m in reversed(h.sandbox.bot_messages(chat)) if m.document)
    assert message.document is not None
    return message.document[0], message.document[1], message.plain


def rows_of(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for French spreadsheets
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


async def held(h: Harness) -> tuple[SandboxChat, SandboxUser, list[SandboxUser]]:
    """A comité on 10 December at 14 h, answered, then held."""
    h.clock.set(START)
    group, claire, users = await members(h, 3)
    await schedule(h, claire)
    await h.tick()
    for user, label in zip(users, ("Je viens", "Je viens", "Peut-être"), strict=True):
        await h.press(user, group, label)
    return group, claire, users


async def report(
    h: Harness, claire: SandboxUser, group: SandboxChat, users: list[SandboxUser]
) -> None:
    """/cr with a document, the attendance, two décisions and three actions."""
    jeanne, paul, ines = users
    await h.say(claire, None, "/cr")
    await h.press(claire, None, "Comité de filière")
    h.sandbox.send_document(
        claire, None, "compte-rendu.pdf", b"%PDF-1.4 minutes", mime="application/pdf"
    )
    await h.flush()
    await h.press(claire, None, "Acteur2")  # Inès came after all
    await h.press(claire, None, "Acteur1")  # Paul did not
    await h.press(claire, None, "Valider")
    await h.say(claire, None, "Adopter la charte de la filière")
    await h.say(claire, None, "Lancer l'enquête des besoins")
    await h.press(claire, None, "Aucune autre décision")
    for text, porteur, due, levier in (
        ("Rédiger la charte", "Acteur0", "15/01", "Animation du collectif"),
        ("Chercher un lieu totem", "Acteur2", "18/12", "Financement"),
        ("Publier l'annonce", "Claire", "11/12", "Communication"),
    ):
        await h.say(claire, None, text)
        await h.press(claire, None, porteur)
        await h.say(claire, None, due)
        await h.press(claire, None, levier)
    await h.press(claire, None, "Aucune autre action")


async def test_minutes_attendance_decisions_and_actions(harness: Harness) -> None:
    h = harness
    group, claire, users = await held(h)
    jeanne, paul, ines = users
    await h.say(claire, None, "/cr")
    assert "Aucune réunion n'a encore eu lieu" in h.last(claire).plain
    h.clock.set(AFTER)
    await h.say(paul, group, "/cr")
    assert "Seule l'équipe d'animation" in h.last(group).plain
    await h.say(claire, group, "/cr")
    await h.press(claire, group, "Ouvrir en privé")
    assert h.last(claire).buttons == [[nb("jeu. 10 déc., 14 h — Comité de filière")]]
    await h.press(claire, None, "Comité de filière")
    assert "un document" in h.last(claire).plain
    h.sandbox.send_document(claire, None, "cr.pdf", b"%PDF-1.4 minutes", mime="application/pdf")
    await h.flush()
    attendance = h.last(claire)
    assert "J'ai coché les personnes qui avaient répondu Je viens" in attendance.plain
    assert attendance.buttons[:4] == [
        ["Claire Morel · Pôle ESS"],
        ["✅ Acteur0 Test · Organisation 0"],
        ["✅ Acteur1 Test · Organisation 1"],
        ["Acteur2 Test · Organisation 2"],
    ]
    await h.press(claire, None, "Acteur2")
    await h.press(claire, None, "Acteur1")
    await h.press(claire, None, "Valider")
    assert "Écrivez la première" in h.last(claire).plain
    await h.say(claire, None, "Adopter la charte de la filière")
    assert "1 décision enregistrée" in h.last(claire).plain
    await h.say(claire, None, "Lancer l'enquête des besoins")
    await h.press(claire, None, "Aucune autre décision")
    echoed = h.bot_texts(claire)[-2]
    assert echoed.endswith(nb("Votre réponse : Aucune autre décision")), echoed
    await h.say(claire, None, "Rédiger la charte")
    await h.press(claire, None, "Acteur0")
    await h.say(claire, None, "1/12/2026")
    assert "Cette échéance est déjà passée" in h.last(claire).plain
    await h.say(claire, None, "mardi 15 janvier")
    assert "tombe un vendredi" in h.last(claire).plain
    await h.say(claire, None, "15 janvier")
    assert "De quel levier du guide" in h.last(claire).plain
    assert [row[0] for row in h.last(claire).buttons[:6]] == [
        "Diagnostic territorial",
        "Organisation interne",
        "Animation du collectif",
        "Financement",
        "Communication",
        "Soutien au développement économique",
    ]
    await h.press(claire, None, "Animation du collectif")
    # An action for someone who has just left: refused, the question stays.
    await h.say(claire, None, "Chercher un lieu totem")
    porteurs = h.last(claire)
    await h.leave(paul, group)
    await h.press(claire, None, "Acteur1", message_id=porteurs.message_id)
    assert "ne fait plus partie du collectif" in h.sandbox.toasts[-1][1]
    await h.press(claire, None, "Acteur2", message_id=porteurs.message_id)
    await h.say(claire, None, "18/12")
    await h.press(claire, None, "Financement")
    await h.say(claire, None, "Publier l'annonce")
    await h.press(claire, None, "Claire")
    await h.say(claire, None, "11/12")
    await h.press(claire, None, "Communication")
    await h.press(claire, None, "Aucune autre action")
    done = "\n".join(h.bot_texts(claire)[-2:])
    assert "2 présences, 2 décisions, 3 actions" in done
    summary = next(
        m.plain
        for m in reversed(h.sandbox.bot_messages(group))
        if "Compte rendu" in m.plain and not m.document
    )
    assert "2 présences." in summary
    assert "• Adopter la charte de la filière\n• Lancer l'enquête des besoins" in summary
    assert "• Rédiger la charte — Acteur0 Test, pour le 15 janvier 2027" in summary
    assert "• Publier l'annonce — Claire Morel, pour le 11 décembre" in summary
    name, content, caption = document(h, group)
    assert (name, content) == ("cr.pdf", b"%PDF-1.4 minutes")
    assert caption.startswith("📎 Compte rendu — Comité de filière")
    async with h.app.deps.uow() as uow:
        meeting = (await uow.session.scalars(select(Meeting))).one()
        attended = {
            p.person_id: p.attended for p in await uow.session.scalars(select(MeetingParticipant))
        }
        decisions = list(await uow.session.scalars(select(Decision).order_by(Decision.id)))
        actions = list(await uow.session.scalars(select(RoadmapAction).order_by(RoadmapAction.id)))
    assert meeting.minutes_file_name == "cr.pdf" and meeting.minutes_at == AFTER
    assert attended == {2: True, 3: False, 4: True}
    assert [(d.text, d.vote_id) for d in decisions] == [
        ("Adopter la charte de la filière", None),
        ("Lancer l'enquête des besoins", None),
    ]
    assert [(a.text, a.porteur_id, a.due_on, a.levier) for a in actions] == [
        ("Rédiger la charte", 2, date(2027, 1, 15), "animation"),
        ("Chercher un lieu totem", 4, date(2026, 12, 18), "financement"),
        ("Publier l'annonce", 1, date(2026, 12, 11), "communication"),
    ]
    kinds = await journal_kinds(h, group)
    assert kinds.count("decision_recorded") == 2 and kinds.count("action_created") == 3
    assert "minutes_recorded" in kinds
    # The journal reads them.
    await h.say(claire, None, "/journal")
    assert (
        "a enregistré le compte rendu de « Comité de filière »".replace("« ", "«\u202f").replace(
            " »", "\u202f»"
        )
        in h.last(claire).plain
    )


async def test_minutes_as_text_are_posted_in_the_group(harness: Harness) -> None:
    h = harness
    group, claire, users = await held(h)
    h.clock.set(AFTER)
    await h.say(claire, None, "/cr")
    await h.press(claire, None, "Comité de filière")
    await h.say(claire, None, "Nous avons parlé de la tonte et de la charte.")
    await h.press(claire, None, "Valider")
    await h.press(claire, None, "Aucune autre décision")
    await h.press(claire, None, "Aucune autre action")
    assert h.last(group).plain.endswith("Nous avons parlé de la tonte et de la charte.")
    assert h.last(group).plain.startswith("📎 Compte rendu — Comité de filière")


async def test_the_feuille_de_route_by_levier_and_porteur_and_done_by_porteur_or_team(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await held(h)
    jeanne, paul, ines = users
    h.clock.set(AFTER)
    await report(h, claire, group, users)
    h.clock.set(datetime(2026, 12, 13, 9, 0, tzinfo=UTC))
    await h.say(jeanne, group, "/actions")
    await h.press(jeanne, group, "Ouvrir en privé")
    roadmap = h.last(jeanne).plain
    assert roadmap.startswith("Feuille de route — Filière laine du Cantal")
    levels = [roadmap.index(x) for x in ("Animation du collectif", "Financement", "Communication")]
    assert levels == sorted(levels)
    assert "• ⚠️ en retard — Publier l'annonce — Claire Morel, pour le 11 décembre" in roadmap
    assert "3 en cours, dont 1 en retard · 0 faite." in roadmap
    await h.press(jeanne, None, "Voir par porteur")
    by_porteur = h.last(jeanne).plain
    assert (
        by_porteur.index("Acteur0 Test")
        < by_porteur.index("Acteur2 Test")
        < by_porteur.index("\nClaire Morel")
    )
    assert "Rédiger la charte — Animation du collectif" in by_porteur
    # A porteur marks their own action done; only theirs are offered.
    await h.press(jeanne, None, "Marquer une action comme faite")
    assert h.last(jeanne).buttons == [["✅ Rédiger la charte"], ["◀ Feuille de route"]]
    await h.press(jeanne, None, "Rédiger la charte")
    assert "C'est fait" in h.last(jeanne).plain
    async with h.app.deps.uow() as uow:
        others = list(
            await uow.session.scalars(select(RoadmapAction).where(RoadmapAction.porteur_id != 2))
        )
    h.sandbox.press_data(jeanne, None, h.last(jeanne).message_id, f"1|mad|{others[0].id}")
    await h.flush()
    assert "Seuls le porteur de l'action et l'équipe d'animation" in h.sandbox.toasts[-1][1]
    # The team marks anyone's.
    await h.say(claire, None, "/actions")
    await h.press(claire, None, "Marquer une action comme faite")
    await h.press(claire, None, "Chercher un lieu totem")
    assert "C'est fait" in h.last(claire).plain
    await h.say(claire, None, "/actions")
    assert "1 en cours, dont 1 en retard · 2 faites." in h.last(claire).plain
    assert "action_done" in await journal_kinds(h, group)


async def test_porteurs_are_reminded_two_days_before_and_overdue_actions_weekly(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await held(h)
    jeanne, paul, ines = users
    h.clock.set(AFTER)
    await report(h, claire, group, users)
    # Monday 14 December, 9 h: « Publier l'annonce » (Claire, due the 11th) is overdue.
    h.clock.set(datetime(2026, 12, 14, 7, 59, tzinfo=UTC))
    await h.tick()
    assert not any("en retard" in t for t in h.bot_texts(claire))
    h.clock.set(datetime(2026, 12, 14, 8, 0, tzinfo=UTC))
    await h.tick()
    team = h.last(claire).plain
    assert "1 action en retard" in team and "Publier l'annonce — Claire Morel" in team
    # « Chercher un lieu totem », Inès, due Friday 18 December: reminded on Wednesday 16 at 9 h.
    h.clock.set(datetime(2026, 12, 16, 7, 59, tzinfo=UTC))
    await h.tick()
    assert not any("Échéance dans 2 jours" in t for t in h.bot_texts(ines))
    h.clock.set(datetime(2026, 12, 16, 8, 0, tzinfo=UTC))
    await h.tick()
    soon = h.last(ines)
    assert soon.plain.startswith("⏰ Échéance dans 2 jours (le 18 décembre)")
    assert soon.buttons == [["✅ C'est fait"]]
    # Monday 21 December: Inès's is overdue too; she gets hers, the team gets both.
    h.clock.set(datetime(2026, 12, 21, 8, 0, tzinfo=UTC))
    await h.tick()
    assert "Cette action que vous portez a passé son échéance" in h.last(ines).plain
    assert "Chercher un lieu totem" in h.last(ines).plain
    assert "2 actions en retard" in h.last(claire).plain
    assert not any("en retard" in t for t in h.bot_texts(jeanne))
    # Done from the reminder: no more reminders for it.
    await h.press(ines, None, "C'est fait", message_id=soon.message_id)
    assert nb("C'est fait : « Chercher un lieu totem ».") in shown(h, ines, soon.message_id)
    h.clock.set(datetime(2026, 12, 28, 8, 0, tzinfo=UTC))
    await h.tick()
    assert "1 action en retard" in h.last(claire).plain
    assert sum("Chercher un lieu totem" in t for t in h.bot_texts(ines)) == 2
    # Jeanne's, due 15 January, is reminded on the 13th at 9 h.
    h.clock.set(datetime(2027, 1, 13, 8, 0, tzinfo=UTC))
    await h.tick()
    assert h.last(jeanne).plain.startswith("⏰ Échéance dans 2 jours (le 15 janvier)")


async def test_reunions_csv_and_actions_csv(harness: Harness) -> None:
    h = harness
    group, claire, users = await held(h)
    h.clock.set(AFTER)
    await report(h, claire, group, users)
    await h.say(claire, None, "/reunions")
    await h.press(claire, None, "Exporter les réunions (CSV)")
    name, content, _ = document(h, claire)
    assert name == "reunions.csv"
    header, row = rows_of(content)
    assert header[:4] == ["date", "durée (min)", "type", "titre"]
    assert row[:4] == ["2026-12-10 14:00", "120", "Comité de filière", "Comité de filière"]
    values = dict(zip(header, row, strict=True))
    assert (values["je viens"], values["peut-être"], values["présences"]) == ("2", "1", "2")
    assert values["personnes présentes"] == "Acteur0 Test, Acteur2 Test"
    assert (values["décisions"], values["compte rendu"]) == ("2", "oui")
    assert values["statut"] == "tenue"  # held, with its minutes: no longer « prévue »
    await h.say(claire, None, "/actions")
    await h.press(claire, None, "Exporter les actions (CSV)")
    name, content, _ = document(h, claire)
    assert name == "actions.csv"
    header, *rows = rows_of(content)
    assert header == [
        "action",
        "levier",
        "porteur",
        "organisation",
        "échéance",
        "statut",
        "en retard",
        "faite le",
        "réunion",
    ]
    assert rows[0] == [
        "Publier l'annonce",
        "Communication",
        "Claire Morel",
        "Pôle ESS",
        "2026-12-11",
        "en cours",
        "non",
        "",
        "Comité de filière",
    ]
    # Members do not export what names people.
    await h.say(users[0], None, "/reunions")
    assert "Exporter les réunions (CSV)" not in str(h.last(users[0]).buttons)


async def test_a_decision_names_the_vote_it_comes_from(harness: Harness) -> None:
    from tests.bot.votes_helpers import last_vote, open_vote, read_journal

    h = harness
    group, claire, users = await held(h)
    await open_vote(h, claire, "Adhérer au réseau des filières laine ?")
    vote = await last_vote(h)
    h.clock.set(AFTER)
    await h.say(claire, None, "/cr")
    await h.press(claire, None, "Comité de filière")
    await h.press(claire, None, "Pas de compte rendu à joindre")
    await h.press(claire, None, "Valider")
    await h.say(claire, None, "Adhérer au réseau")
    asked = h.last(claire)
    assert nb("Vient-elle d'un vote du collectif ?") in asked.plain
    title = "Adhérer au réseau des filières laine ?"  # as typed, with a plain space
    assert asked.buttons[:2] == [[f"«\u202f{title}\u202f»"], ["Sans vote"]]
    await h.press(claire, None, f"«\u202f{title}\u202f»")
    await h.say(claire, None, "Lancer l'enquête des besoins")
    await h.press(claire, None, "Sans vote")
    await h.press(claire, None, "Aucune autre décision")
    await h.press(claire, None, "Aucune autre action")
    async with h.app.deps.uow() as uow:
        decisions = list(await uow.session.scalars(select(Decision).order_by(Decision.id)))
    assert [(d.text, d.vote_id) for d in decisions] == [
        ("Adhérer au réseau", vote.id),
        ("Lancer l'enquête des besoins", None),
    ]
    journal = await read_journal(h, claire)
    assert (  # read as plain text
        "Décision de « Comité de filière » : Adhérer au réseau"
        " (vote « Adhérer au réseau des filières laine ? »)" in journal
    )


async def test_a_second_cr_says_it_replaces_the_minutes_and_adds_to_the_decisions(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await held(h)
    h.clock.set(AFTER)
    await report(h, claire, group, users)
    h.clock.advance(timedelta(days=1))
    await h.say(claire, None, "/cr")
    await h.press(claire, None, "Comité de filière")
    assert (
        nb(
            "Cette réunion a déjà un compte rendu (du jeudi 10 décembre à 17 h) : le vôtre le "
            "remplacera, présences comprises."
        )
        in h.last(claire).plain
    )
    await h.say(claire, None, "Version corrigée : la tonte est reportée.")
    await h.press(claire, None, "Valider")
    asked = h.last(claire).plain
    assert "la première" not in asked
    assert (
        nb(
            "2 décisions déjà enregistrées pour cette réunion : celles que vous écrivez s'y "
            "ajoutent."
        )
        in asked
    )
    await h.say(claire, None, "Reporter la tonte")
    assert nb("3 décisions déjà enregistrées") in h.last(claire).plain
    await h.press(claire, None, "Aucune autre décision")
    asked = h.last(claire).plain
    assert "la première" not in asked
    assert (
        nb(
            "3 actions de cette réunion déjà dans la feuille de route : celles que vous "
            "décrivez s'y ajoutent."
        )
        in asked
    )
    await h.press(claire, None, "Aucune autre action")
    assert nb("Le compte rendu corrigé de « Comité de filière » est enregistré.") in "\n".join(
        h.bot_texts(claire)[-2:]
    )
    posts = [m.plain for m in h.sandbox.bot_messages(group) if "Compte rendu" in m.plain]
    assert posts[-2].startswith("📝 Compte rendu corrigé — Comité de filière")
    assert "• Reporter la tonte" in posts[-2] and "• Adopter la charte" in posts[-2]
    assert posts[-1].endswith("Version corrigée : la tonte est reportée.")
    assert not any("corrigé" in p for p in posts[:-2])
    async with h.app.deps.uow() as uow:
        meeting = (await uow.session.scalars(select(Meeting))).one()
        decisions = list(await uow.session.scalars(select(Decision)))
    assert meeting.minutes_text == "Version corrigée : la tonte est reportée."
    assert meeting.minutes_file_id is None and len(decisions) == 3


async def test_an_echeance_is_read_back_and_its_examples_are_dates_only(harness: Harness) -> None:
    h = harness
    group, claire, users = await held(h)
    h.clock.set(AFTER)  # Thursday 10 December
    await h.say(claire, None, "/cr")
    await h.press(claire, None, "Comité de filière")
    await h.say(claire, None, "Nous avons parlé de la tonte.")
    await h.press(claire, None, "Valider")
    await h.press(claire, None, "Aucune autre décision")
    await h.say(claire, None, "Rédiger la charte")
    await h.press(claire, None, "Acteur0")
    await h.say(claire, None, "quand on pourra")
    refused = h.last(claire).plain
    assert nb("Je n'ai pas compris la date « quand on pourra »") in refused
    assert "31 janvier" in refused and "vendredi 18 décembre" in refused
    assert "14h30" not in refused and "demain 18h" not in refused and " h " not in refused
    await h.say(claire, None, "vendredi prochain")
    assert nb("Échéance : vendredi 11 décembre. Pas la bonne date ?") in h.last(claire).plain
    await h.press(claire, None, "◀ Précédent")
    await h.say(claire, None, "vendredi 18 décembre")
    assert nb("Échéance : vendredi 18 décembre.") in h.last(claire).plain
    await h.press(claire, None, "Financement")
    async with h.app.deps.uow() as uow:
        action = (await uow.session.scalars(select(RoadmapAction))).one()
    assert action.due_on == date(2026, 12, 18)
