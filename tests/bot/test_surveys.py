"""Needs surveys through the real Application: launching, answering, counting, managing."""

from __future__ import annotations

from datetime import timedelta

from bot.config import Settings
from bot.demo.scenes.surveys import needs_moves, play_moves
from bot.sandbox.harness import Harness
from bot.services.needs import NeedOrOffer
from bot.services.surveys import needs_and_offers
from storage.models import DueWork, SurveyParticipant, SurveyResponse
from tests.bot.survey_helpers import (
    CLOSES,
    CLOSING,
    SIMPLE,
    NeedsAnswers,
    answer_needs,
    draft_of,
    latest_survey,
    launch_survey,
    launched,
    live_message,
    live_text,
    members,
    named_answers,
    person_of,
    rows,
)
from tests.helpers import actor, in_two_collectives, journal_kinds, nb, scene, wool_collective


async def test_enquete_launches_a_survey_and_the_group_gets_repondre_and_a_counter(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await members(h, 2)
    await h.say(claire, group, "/enquete")
    assert "Les enquêtes se préparent en privé" in h.last(group).plain
    await h.press(claire, group, "Ouvrir en privé")
    home = h.last(claire)
    assert "Enquêtes — Filière laine du Cantal" in home.plain
    assert [b for row in home.buttons for b in row] == [
        nb("Modèle : Recensement des besoins des acteurs"),
        "Importer un XLSForm",
    ]
    await h.press(claire, None, "Recensement des besoins")
    card = h.last(claire).plain
    assert "11 questions" in card and nb("avec « Autre »") in card
    await h.press(claire, None, "Lancer cette enquête")
    assert "Question 1 sur 3" in h.last(claire).plain
    await h.say(claire, None, "Besoins de la filière laine")
    assert "Jusqu'à quand peut-on répondre" in h.last(claire).plain
    assert "recevront un rappel en privé 3 jours et 1 jour avant." in h.last(claire).plain
    await h.say(claire, None, CLOSES)
    await h.press(claire, None, "Anonyme")
    confirm = h.last(claire).plain
    assert nb("Clôture : jeudi 3 décembre à 18 h") in confirm
    assert "Enquête anonyme" in confirm and "3 membres peuvent répondre" in confirm
    assert "Question" not in confirm.splitlines()[0]  # the summary is not a question
    await h.press(claire, None, "Lancer l'enquête")
    assert "C'est lancé" in h.bot_texts(claire)[-2]
    await h.tick(timedelta(seconds=1))
    posted = h.last(group)
    assert posted.plain.startswith("📋 Besoins de la filière laine — 0 réponse sur 3 membres")
    assert posted.buttons == [["Répondre"]]
    assert "?start=ea" in str(posted.inline_buttons[0]["url"])
    survey = await latest_survey(h)
    assert (survey.status, survey.anonymous, survey.closes_at) == ("open", True, CLOSING)
    keys = [w.key for w in await rows(h, DueWork) if w.key.startswith("survey:")]
    assert sorted(keys) == [
        f"survey:{survey.id}:close:20261203T170000",
        f"survey:{survey.id}:remind:1:20261203T170000",
        f"survey:{survey.id}:remind:3:20261203T170000",
    ]
    assert "survey_launched" in await journal_kinds(h, group)


async def test_the_closing_date_is_typed_in_french_and_checked(harness: Harness) -> None:
    h = harness
    group, claire, _ = await members(h, 1)
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "Recensement des besoins")
    await h.press(claire, None, "Lancer cette enquête")
    await h.press(claire, None, "Garder")
    for typed, said in (
        ("la semaine des quatre jeudis", "pas compris la date"),
        ("vendredi 3 décembre", "le jour ne correspond pas à la date"),
        ("26/11/2026 à 10 h", "au moins une heure après maintenant"),
        ("3/12/2028", "plus d'un an"),
    ):
        await h.say(claire, None, typed)
        assert said in h.last(claire).plain, typed
        assert (await latest_survey(h)).closes_at is None
    # A date without an hour closes at 18 h.
    await h.say(claire, None, "3 décembre")
    assert (await latest_survey(h)).closes_at == CLOSING
    assert "nominative ou anonyme" in h.last(claire).plain


async def test_a_passed_question_reads_as_passed(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 1)
    jeanne = users[0]
    await h.press(jeanne, group, "Répondre")
    await h.say(jeanne, None, "Élevage ovin")
    await h.press(jeanne, None, "Passer")
    passed = h.bot_texts(jeanne)[-2]
    assert passed.endswith("Vous avez passé cette question."), passed
    assert "Votre réponse" not in passed
    assert "Question 3 sur" in h.last(jeanne).plain


async def test_each_precision_gives_an_example_that_fits_what_was_chosen(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await launched(h, 1)
    jeanne = users[0]
    await h.press(jeanne, group, "Répondre")
    await h.say(jeanne, None, "Élevage ovin")
    await h.press(jeanne, None, "Passer")
    await h.press(jeanne, None, "Du financement")
    await h.press(jeanne, None, "De la formation")
    await h.press(jeanne, None, "Valider")
    asked = h.last(jeanne).plain
    assert nb("Précisez si vous le souhaitez : Du financement") in asked
    example = "Par exemple : « 15\u202f000\u00a0€ pour une machine, d'ici la fin de l'année »."
    assert nb(example) in asked, asked
    await h.press(jeanne, None, "Passer")
    asked = h.last(jeanne).plain
    assert nb("Précisez si vous le souhaitez : De la formation") in asked
    assert "deux jours sur la transformation, pour deux salariés" in asked
    assert "laine" not in asked


async def test_a_member_answers_one_question_at_a_time_then_sends(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 2)
    jeanne = users[0]
    await h.press(jeanne, group, "Répondre")
    intro = h.bot_texts(jeanne)[-2]
    assert "9 questions (1 de plus selon vos réponses), une à la fois" in intro
    assert "Enquête nominative" in intro
    first = h.last(jeanne).plain
    assert first.startswith("Question 1 sur 9\nQuel est votre périmètre d'action")
    await h.say(jeanne, None, "Élevage ovin")
    maillons = h.last(jeanne)
    assert "Question 2 sur 9" in maillons.plain
    assert maillons.buttons[-1] == ["◀ Précédent", "Passer"]
    await h.press(jeanne, None, "Élevage")
    assert ["✅ Élevage"] in h.last(jeanne).buttons
    await h.press(jeanne, None, "Tonte")
    await h.press(jeanne, None, "Tonte")  # toggled off again
    await h.press(jeanne, None, "Valider")
    assert "Votre réponse : Élevage".replace(" :", "\u202f:") in h.bot_texts(jeanne)[-2]
    # « Précédent » brings the last question back, with the answer given.
    await h.press(jeanne, None, "Précédent")
    assert "Question 2 sur 9" in h.last(jeanne).plain
    assert ["✅ Élevage"] in h.last(jeanne).buttons
    await h.press(jeanne, None, "Valider")
    # Needs: « Autre » and a précisez per need chosen (counted with their question).
    await h.press(jeanne, None, "Des débouchés")
    await h.press(jeanne, None, "Autre")
    await h.press(jeanne, None, "Valider")
    precisez = h.last(jeanne).plain
    assert precisez.startswith(nb("Précisez si vous le souhaitez : Des débouchés"))
    assert "Question" not in precisez
    await h.say(jeanne, None, "2 t de laine brute")
    assert nb("Vous avez choisi « Autre »") in h.last(jeanne).plain
    await h.say(jeanne, None, "Un local de stockage")
    assert "Question 4 sur 9" in h.last(jeanne).plain
    # Then the difficulties, and the rest as SIMPLE answers it.
    await play_moves(h, jeanne, [("say", "Pas de tondeur"), *needs_moves(SIMPLE)[-5:]])
    summary = h.last(jeanne)
    assert summary.plain.startswith(nb("Vos réponses à « Recensement des besoins des acteurs »"))
    assert "2 t de laine brute" in summary.plain and "Un local de stockage" in summary.plain
    assert "Vous pourrez les modifier jusqu'à la clôture" in summary.plain
    assert summary.buttons == [["Envoyer"], ["◀ Précédent"]]
    assert await named_answers(h, jeanne) is None  # not sent yet: a draft
    await h.press(jeanne, None, "Envoyer")
    assert "Merci, vos réponses sont enregistrées" in h.last(jeanne).plain
    stored = await named_answers(h, jeanne)
    assert stored == {
        "perimetre": "Élevage ovin",
        "maillons": [stored["maillons"][0]],
        "besoins": ["debouches", "other"],
        "besoins:debouches": "2 t de laine brute",
        "besoins:other": "Un local de stockage",
        "problematiques": "Pas de tondeur",
        "priorite": 4,
        "groupe_travail": "non",
    }
    assert await draft_of(h, jeanne) is None
    assert (await journal_kinds(h, group)).count("survey_answered") == 1


async def test_the_counter_is_edited_at_most_once_a_minute_and_only_when_it_changed(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await launched(h, 3)
    posted = h.last(group).message_id

    def edits() -> int:
        return sum(
            1
            for name, params in h.sandbox.calls
            if name == "editMessageText" and params.get("message_id") == posted
        )

    def shown() -> str:
        return next(m for m in h.sandbox.bot_messages(group) if m.message_id == posted).plain

    await answer_needs(h, users[0], group, SIMPLE)
    await answer_needs(h, users[1], group, SIMPLE)
    await h.tick(timedelta(seconds=10))
    assert edits() == 0  # less than a minute since it was posted
    await h.tick(timedelta(minutes=1))
    assert edits() == 1 and "2 réponses sur 4 membres" in shown()  # Claire answers too
    await h.press(users[2], group, "Répondre")
    await h.say(users[2], None, "Une réponse commencée")  # no sending: no change shown
    await h.tick(timedelta(minutes=2))
    assert edits() == 1


async def test_answering_resumes_where_it_stopped_after_a_restart(settings: Settings) -> None:
    first = Harness(settings, migrate=False)
    await first.start()
    group, claire, users = await launched(first, 1)
    jeanne = users[0]
    await answer_needs(first, jeanne, group, SIMPLE, stop_after=3)  # the maillons answered
    await first.stop()

    second = Harness(settings, migrate=False, sandbox=first.sandbox, clock=first.clock)
    second._offset = first._offset
    await second.start()
    try:
        second.clock.advance(timedelta(days=5))
        await second.press(jeanne, group, "Répondre")
        # No second introduction: the question she was at, a week later.
        assert "une à la fois" not in second.bot_texts(jeanne)[-2]
        assert "De quoi avez-vous besoin" in second.last(jeanne).plain
        await play_moves(second, jeanne, needs_moves(SIMPLE)[3:])
        await second.press(jeanne, None, "Envoyer")
        stored = await named_answers(second, jeanne)
        assert stored is not None and stored["perimetre"] == "Élevage ovin"
    finally:
        await second.stop()


async def test_a_named_survey_can_be_answered_again_until_closing(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 1)
    jeanne = users[0]
    await answer_needs(h, jeanne, group, SIMPLE)
    await h.press(jeanne, group, "Répondre")
    assert "Vous avez déjà répondu" in h.last(jeanne).plain
    await h.press(jeanne, None, "Modifier mes réponses")
    question = h.last(jeanne)
    assert "Votre réponse actuelle : Élevage ovin".replace(" :", "\u202f:") in question.plain
    assert question.buttons == [[nb("Garder « Élevage ovin »")]]
    await h.say(jeanne, None, "Élevage ovin et bovin")
    # Earlier choices are ticked already: « Valider » keeps them.
    assert ["✅ Élevage"] in h.last(jeanne).buttons
    await play_moves(h, jeanne, [("press", "Valider"), ("press", "Valider")])
    await play_moves(h, jeanne, needs_moves(SIMPLE)[5:])
    await h.press(jeanne, None, "Envoyer")
    stored = await named_answers(h, jeanne)
    assert stored is not None and stored["perimetre"] == "Élevage ovin et bovin"
    assert len(await rows(h, SurveyResponse)) == 1
    assert len(await rows(h, SurveyParticipant)) == 1
    kinds = await journal_kinds(h, group)
    assert kinds.count("survey_answered") == 2
    await h.say(claire, None, "/journal")
    assert "a modifié ses réponses à l'enquête" in h.last(claire).plain


async def test_newcomers_may_answer_and_observers_may_not(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 2)
    newcomer = h.sandbox.add_user("Nora", last_name="Nouvelle")
    await h.join(newcomer, group)
    await scene(h).onboard(newcomer, actor(org="Ferme Nouvelle"), via_group=group)
    await answer_needs(h, newcomer, group, SIMPLE)
    await h.tick(timedelta(minutes=1))
    assert "1 réponse sur 4 membres" in live_text(h, group)
    # Claire makes a member an observer: they no longer answer, nor count.
    await h.say(claire, None, "/role")
    await h.press(claire, None, "Acteur1 Test")
    await h.press(claire, None, "Observation")
    await h.press(users[1], group, "Répondre")
    assert "Les personnes en observation ne répondent pas" in h.last(users[1]).plain
    await h.say(users[1], None, "/enquete")
    assert "Recensement des besoins" in h.last(users[1]).plain and h.last(users[1]).buttons == []
    await answer_needs(h, users[0], group, SIMPLE)
    await h.tick(timedelta(minutes=2))
    assert "2 réponses sur 3 membres" in live_text(h, group)


async def test_enquete_lists_the_surveys_running_for_members(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 1)
    jeanne = users[0]
    await h.say(jeanne, group, "/enquete")
    said = h.last(group)
    assert (
        "Recensement des besoins des acteurs : 0 réponse sur 2 membres".replace(" :", "\u202f:")
        in said.plain
    )
    assert said.buttons == [[nb("Répondre : Recensement des besoins des acteurs")]]
    await h.say(jeanne, None, "/enquete")
    assert "à faire" in h.last(jeanne).plain
    await h.press(jeanne, None, "Répondre")
    assert "Quel est votre périmètre" in h.last(jeanne).plain
    await h.say(jeanne, None, "/aide")
    assert "les enquêtes en cours, pour y répondre" in h.last(jeanne).plain


async def test_the_animator_extends_closes_early_or_cancels(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 2)
    survey = await latest_survey(h)
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "📋 Recensement")
    await h.press(claire, None, "Prolonger")
    assert nb("Clôture actuelle : jeudi 3 décembre à 18 h") in h.last(claire).plain
    await h.say(claire, None, "1/12 à 18 h")
    assert "choisissez une date après la clôture actuelle" in h.last(claire).plain
    await h.say(claire, None, "10/12 à 18 h")
    assert "se clôt maintenant le jeudi 10 décembre à 18 h" in h.bot_texts(claire)[-2]
    # The old closing does nothing; the new one closes.
    await h.tick(timedelta(days=7, hours=8))
    assert (await latest_survey(h)).status == "open"
    await h.tick(timedelta(minutes=2))
    assert "jusqu'au jeudi 10 décembre à 18 h" in live_text(h, group)
    assert "survey_extended" in await journal_kinds(h, group)

    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "📋 Recensement")
    await h.press(claire, None, "Annuler l'enquête")
    assert "Les réponses déjà reçues seront supprimées" in h.last(claire).plain
    await h.press(claire, None, "Non, la laisser ouverte")
    await h.press(claire, None, "Annuler l'enquête")
    await h.press(claire, None, "Oui, annuler")
    assert "est annulée" in h.last(claire).plain
    texts = h.bot_texts(group)
    assert any("L'équipe d'animation a annulé l'enquête" in t for t in texts)
    await h.tick(timedelta(minutes=2))
    assert "Enquête annulée" in live_text(h, group)
    assert live_message(h, group).buttons == []
    assert (await latest_survey(h)).status == "cancelled" and survey.id
    assert "survey_cancelled" in await journal_kinds(h, group)
    await h.say(claire, None, "/journal")
    journal = h.last(claire).plain
    assert (
        nb("Claire Morel a prolongé l'enquête « Recensement des besoins des acteurs »") in journal
    )
    assert nb("Claire Morel a annulé l'enquête « Recensement des besoins des acteurs »") in journal


async def test_the_wording_can_be_corrected_only_until_the_first_answer(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 1)
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "📋 Recensement")
    await h.press(claire, None, "Corriger le texte")
    await h.press(claire, None, "1. Quel est votre")
    await h.press(claire, None, "Modifier le libellé")
    await h.say(claire, None, "Où travaillez-vous, et sur quoi ?")
    assert "C'est enregistré" in h.bot_texts(claire)[-2]
    await h.press(users[0], group, "Répondre")
    assert "Où travaillez-vous, et sur quoi" in h.last(users[0]).plain
    await h.say(users[0], None, "Élevage")  # the first answer
    editor = h.last(claire)
    await h.press(claire, None, "Changer le titre")
    assert "son texte ne peut plus être corrigé" in h.sandbox.toasts[-1][1]
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "📋 Recensement")
    assert "Corriger le texte" not in [b for row in h.last(claire).buttons for b in row]
    assert "le texte ne peut plus être corrigé" in h.last(claire).plain
    # An old « Corriger » button is refused too (forged or kept).
    survey_id = (await latest_survey(h)).id
    h.sandbox.press_data(claire, None, editor.message_id, f"1|sve|s|{survey_id}|title")
    await h.flush()
    assert "ne peut plus être corrigé" in h.sandbox.toasts[-1][1]


async def test_needs_and_offers_come_from_named_surveys_only(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 1)
    answers = NeedsAnswers(
        "Élevage",
        maillons=("Élevage",),
        besoins=(("Des débouchés", "2 t de laine brute"), ("Du financement", None)),
        autre="Un tracteur",
        offres=(("Des équipements à partager", "Une tondeuse"),),
    )
    await answer_needs(h, users[0], group, answers)
    survey = await latest_survey(h)
    person = await person_of(h, users[0])
    async with h.app.deps.uow() as uow:
        found = await needs_and_offers(uow, survey.collective_id)
        member = await uow.memberships.get(survey.collective_id, person.id)
    assert member is not None
    who, source = f"member:{member.id}", f"survey:{survey.id}"
    assert found == [
        NeedOrOffer(who, "need", "debouches", "2 t de laine brute", source),
        NeedOrOffer(who, "need", "financement", None, source),
        NeedOrOffer(who, "offer", "equipements", "Une tondeuse", source),
    ]
    # An anonymous survey of the same collective adds nothing.
    await h.say(claire, None, "/enquete")
    await launch_survey(h, claire, closes=CLOSES, anonymous=True)
    await h.press(users[0], group, "Répondre", message_id=h.last(group).message_id)
    await play_moves(h, users[0], needs_moves(answers, anonymous=True))
    await h.press(users[0], None, "Envoyer")
    async with h.app.deps.uow() as uow:
        assert await needs_and_offers(uow, survey.collective_id) == found


async def test_a_group_that_is_no_collective_gets_no_survey(harness: Harness) -> None:
    h = harness
    group, claire, users = await wool_collective(h)
    stranger = h.sandbox.add_user("Sam")
    await h.say(stranger, None, "/enquete")
    assert "aucun collectif" in h.last(stranger).plain
    await h.say(users[1], group, "/enquete")
    assert "ne faites pas partie du collectif" in h.last(group).plain
    assert await draft_of(h, claire) is None
    assert await rows(h, SurveyResponse) == []


async def test_an_answer_costs_a_few_sql_statements_whatever_the_survey_size(
    harness: Harness,
) -> None:
    from sqlalchemy import event

    from tests.unit.test_xlsform import workbook

    h = harness
    group, claire, users = await launched(h, 1)
    jeanne = users[0]
    await h.press(jeanne, group, "Répondre")
    seen: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    engine = h.app.deps.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        costs = []
        for kind, value in (
            ("say", "Élevage"),  # the first answer anyone gives also locks the wording
            ("press", "Élevage"),
            ("press", "Valider"),
            ("press", "Des débouchés"),
            ("press", "Valider"),
            ("press", "Passer"),
            ("say", "Le manque de tondeurs"),
        ):
            seen.clear()
            await (h.say if kind == "say" else h.press)(jeanne, None, value)
            costs.append(len(seen))
        assert costs[0] <= 8 and max(costs[1:]) <= 7, costs

        # Sixty questions: the same cost.
        many = workbook(
            [["type", "name", "label"], *[["text", f"q{i}", f"Question {i}"] for i in range(60)]],
            None,
            [["form_title"], ["Soixante questions"]],
        )
        await h.say(claire, None, "/enquete")
        await h.press(claire, None, "Importer un XLSForm")
        h.sandbox.send_document(claire, None, "soixante.xlsx", many)
        await h.flush()
        await launch_survey(h, claire, template="Soixante questions")
        await h.press(jeanne, group, "Répondre", message_id=h.last(group).message_id)
        await h.say(jeanne, None, "Première")
        seen.clear()
        await h.say(jeanne, None, "Deuxième")
        assert len(seen) <= 7, seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_enquete_in_private_points_to_the_collective_where_a_survey_runs(
    harness: Harness,
) -> None:
    """Sophie's current collective runs no survey; the wool one does: /enquete says so and
    offers to go there."""
    h = harness
    sophie, claire = await in_two_collectives(h)
    await launch_survey(h, claire)
    await h.say(sophie, None, "/enquete")
    listed = h.last(sophie)
    assert "Enquêtes en cours — Alimentation durable\nAucune enquête en cours." in listed.plain
    assert nb("Aussi en cours : 1 enquête dans « Filière laine du Cantal ».") in listed.plain
    assert listed.buttons == [[nb("Passer à « Filière laine du Cantal »")]]
    await h.press(sophie, None, "Filière laine du Cantal")
    there = h.last(sophie)
    assert "Enquêtes en cours — Filière laine du Cantal" in there.plain
    assert nb("Répondre : Recensement des besoins") in there.buttons[0][0]
    assert there.buttons[-1] == [nb("Passer à « Alimentation durable »")]
    assert "Aussi en cours" not in there.plain


async def test_going_back_to_an_answer_offers_to_remove_it_not_to_skip_it(
    harness: Harness,
) -> None:
    h = harness
    group, _, users = await launched(h, 1)
    paul = users[0]
    await h.press(paul, group, "Répondre")
    moves = needs_moves(NeedsAnswers("Tonte", maillons=("Tonte",), difficultes="Pas de tondeurs"))
    await play_moves(h, paul, moves[: moves.index(("say", "Pas de tondeurs")) + 1])
    # The next question, never answered: « Passer ».
    assert h.last(paul).buttons[-1] == ["◀ Précédent", "Passer"]
    await h.press(paul, None, "Précédent")
    back = h.last(paul)
    assert back.buttons[-2:] == [
        [nb("Garder « Pas de tondeurs »")],
        ["◀ Précédent", "Retirer ma réponse"],
    ]
    await h.press(paul, None, "Retirer ma réponse")
    assert h.bot_texts(paul)[-2].endswith("Vous avez retiré votre réponse.")
    draft = await draft_of(h, paul)
    assert draft is not None and "Pas de tondeurs" not in str(draft.data)
