"""Templates in the chat: a copy edited by the animator, an XLSForm sent and one downloaded."""

from __future__ import annotations

from bot.demo.scenes.surveys import NEEDS_TEMPLATE, small_xlsform
from bot.sandbox.harness import Harness
from bot.surveys import model as m
from storage.models import SurveyTemplate
from tests.bot.survey_helpers import latest_survey, launch_survey, members, rows
from tests.helpers import nb
from tests.unit.test_xlsform import workbook


async def own_templates(h: Harness) -> list[SurveyTemplate]:
    return await rows(h, SurveyTemplate)


def buttons(h: Harness, user: object) -> list[str]:
    return [b for row in h.last(user).buttons for b in row]


async def test_a_template_is_duplicated_then_edited_in_the_chat(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "Recensement des besoins")
    assert "Modifier ce modèle" not in buttons(h, claire)  # the shipped one is copied first
    await h.press(claire, None, "Dupliquer pour la modifier")
    assert (
        nb("« Recensement des besoins des acteurs (copie) » est un modèle")
        in h.bot_texts(claire)[-2]
    )
    assert "Les conditions viennent des modèles et des XLSForm" in h.last(claire).plain
    (copy,) = await own_templates(h)
    tid = copy.id

    await h.press(claire, None, "1. Quel est votre")
    await h.press(claire, None, "Modifier le libellé")
    await h.say(claire, None, "Où travaillez-vous ?")
    assert "C'est enregistré" in h.bot_texts(claire)[-2]

    # A question on a shared list: its wording changes, its options do not.
    await h.press(claire, None, "4. De quoi avez-vous besoin")
    assert "Modifier les options" not in buttons(h, claire)
    card = h.last(claire)
    h.sandbox.press_data(claire, None, card.message_id, f"1|sve|t|{tid}|options|besoins")
    await h.flush()
    assert "viennent d'une liste commune" in h.sandbox.toasts[-1][1]
    await h.press(claire, None, "Précédent")

    # A condition is shown, and not edited here.
    await h.press(claire, None, "11. Sur quel sujet")
    assert "Posée seulement si" in h.last(claire).plain
    assert not any("ondition" in b for b in buttons(h, claire))
    await h.press(claire, None, "Précédent")

    # A new single-choice question.
    await h.press(claire, None, "Ajouter une question")
    await h.press(claire, None, "Choix unique")
    await h.say(claire, None, "Quelle race de brebis élevez-vous ?")
    await h.say(claire, None, "Mérinos d'Arles ; Rava ; Limousine")
    await h.press(claire, None, "Obligatoire")
    assert "12. Quelle race" in " ".join(buttons(h, claire))
    await h.press(claire, None, "12. Quelle race")
    await h.press(claire, None, "Modifier les options")
    await h.say(claire, None, "Mérinos d'Arles\nRava\nBizet")
    await h.press(claire, None, "12. Quelle race")
    await h.press(claire, None, "La rendre facultative")
    (copy,) = await own_templates(h)
    race = m.from_json(copy.definition).questions[-1]
    assert [(o.value, o.label) for o in race.options] == [
        ("merinos_d_arles", "Mérinos d'Arles"),
        ("rava", "Rava"),
        ("limousine", "Bizet"),  # renamed in place: answers and conditions on it still hold
    ]
    assert race.required is False

    # Removing a question a condition depends on is refused, with the reason.
    await h.press(claire, None, "Précédent")
    await h.press(claire, None, "10. Souhaitez-vous")
    await h.press(claire, None, "Supprimer la question")
    await h.press(claire, None, "Oui, supprimer")
    refused = h.sandbox.toasts[-1][1]
    assert "Je n'ai pas enregistré ce changement" in refused and "groupe_travail" in refused

    await h.press(claire, None, "Non, garder")
    await h.press(claire, None, "Supprimer la question")
    await h.press(claire, None, "Non, garder")
    await h.press(claire, None, "Précédent")
    await h.press(claire, None, "12. Quelle race")
    await h.press(claire, None, "Supprimer la question")
    await h.press(claire, None, "Oui, supprimer")
    await h.press(claire, None, "Changer le titre")
    await h.say(claire, None, "Besoins des éleveurs")
    await h.press(claire, None, "Terminé")
    card_text = h.last(claire).plain
    assert card_text.startswith("📋 Besoins des éleveurs") and "11 questions" in card_text
    assert "1. Où travaillez-vous" in card_text
    assert "Modifier ce modèle" in buttons(h, claire)

    # Launched, it asks the new wording.
    await launch_survey(h, claire, template="Besoins des éleveurs")
    assert (await latest_survey(h)).title == "Besoins des éleveurs"
    await h.press(users[0], group, "Répondre")
    assert "Où travaillez-vous" in h.last(users[0]).plain

    await h.say(claire, None, "/enquete")
    await h.press(claire, None, nb("Modèle : Besoins des éleveurs"))
    await h.press(claire, None, "Supprimer ce modèle")
    await h.press(claire, None, "Oui, supprimer")
    assert "est supprimé" in h.last(claire).plain
    assert await own_templates(h) == []
    assert (await latest_survey(h)).status == "open"  # the launched survey goes on


async def test_an_xlsform_sent_in_the_chat_becomes_a_template(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    sb = h.sandbox
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "Importer un XLSForm")
    assert "Envoyez-moi ici le fichier" in h.last(claire).plain
    await h.say(claire, None, "le voici")
    assert "J'attends un fichier XLSForm" in h.last(claire).plain
    sb.send_document(claire, None, "photo.png", b"\x89PNG....")
    await h.flush()
    assert nb("« photo.png » n'est pas un classeur") in h.last(claire).plain
    bad = workbook(
        [
            ["type", "name", "label", "appearance"],
            ["calculate", "c", "", ""],
            ["text", "t", "T", "x"],
        ]
    )
    sb.send_document(claire, None, "kobo.xlsx", bad)
    await h.flush()
    refused = h.last(claire).plain
    assert nb("Je n'ai pas importé « kobo.xlsx »") in refused and "Rien n'a été créé" in refused
    assert nb("le type « calculate » n'est pas compris") in refused
    assert nb("la colonne « appearance »") in refused
    assert await own_templates(h) == []
    sb.send_document(claire, None, "besoins-formation.xlsx", small_xlsform())
    await h.flush()
    assert (
        nb("« besoins-formation.xlsx » devient le modèle « Besoins en formation »")
        in (h.bot_texts(claire)[-2])
    )
    (template,) = await own_templates(h)
    survey = m.from_json(template.definition)
    assert [(q.id, q.type) for q in survey.questions] == [
        ("formations", "multiple"),
        ("personnes", "number"),
        ("accueil", "yesno"),
        ("lieu", "text"),
    ]
    assert survey.questions[0].other and survey.questions[3].condition == "${accueil} = 'oui'"
    # Its conditions work when members answer.
    await launch_survey(h, claire, template="Besoins en formation")
    member = users[0]
    await h.press(member, group, "Répondre")
    await h.press(member, None, "Feutrage")
    await h.press(member, None, "Valider")
    assert "Pouvez-vous accueillir" in h.last(member).plain  # « personnes » only after « tri »
    await h.press(member, None, "Oui")
    assert "Dans quel lieu" in h.last(member).plain

    # « Annuler l'import » ends the question.
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "Importer un XLSForm")
    await h.press(claire, None, "Annuler l'import")
    assert "L'import est annulé" in h.bot_texts(claire)[-2]
    # A file with no import asked for is not an answer (the member is at a typed question).
    sb.send_document(member, None, "notes.xlsx", small_xlsform())
    await h.flush()
    assert len(await own_templates(h)) == 1
    assert "J'attends une réponse écrite" in h.last(member).plain


async def test_the_default_survey_downloaded_then_sent_back_gives_the_same_survey(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "Recensement des besoins")
    await h.press(claire, None, "Télécharger en XLSForm")
    sent = h.last(claire)
    assert sent.document is not None
    name, content, _ = sent.document
    assert name == "recensement-des-besoins-des-acteurs.xlsx"
    assert "au format XLSForm" in sent.plain
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "Importer un XLSForm")
    h.sandbox.send_document(claire, None, name, content)
    await h.flush()
    (template,) = await own_templates(h)
    shipped = m.builtin_templates()["besoins"].survey
    assert m.from_json(template.definition) == shipped
    assert template.definition == shipped.to_dict()
    assert template.title == NEEDS_TEMPLATE


async def test_options_and_questions_have_limits_in_the_editor(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    one = workbook(
        [["type", "name", "label"], ["select_one l", "choix", "Un choix"]],
        [["list_name", "name", "label"], ["l", "a", "A"], ["l", "b", "B"]],
        [["form_title"], ["Une question"]],
    )
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "Importer un XLSForm")
    h.sandbox.send_document(claire, None, "une.xlsx", one)
    await h.flush()
    await h.press(claire, None, "Modifier ce modèle")
    await h.press(claire, None, "1. Un choix")
    await h.press(claire, None, "Modifier les options")
    for typed, said in (
        ("Seule", "Il faut au moins deux options"),
        (" ; ".join(f"Option {i}" for i in range(31)), "30 options au plus"),
        ("Courte ; " + "L" * 120, "est trop longue : 100 caractères au plus"),
    ):
        await h.say(claire, None, typed)
        assert nb(said) in h.last(claire).plain, typed
    await h.say(claire, None, "Oui ; Non ; Peut-être")
    await h.press(claire, None, "1. Un choix")
    await h.press(claire, None, "Supprimer la question")
    await h.press(claire, None, "Oui, supprimer")
    assert "C'est la dernière question" in h.sandbox.toasts[-1][1]
    (template,) = await own_templates(h)
    assert [o.label for o in m.from_json(template.definition).questions[0].options] == [
        "Oui",
        "Non",
        "Peut-être",
    ]

    many = workbook(
        [["type", "name", "label"], *[["text", f"q{i}", f"Question {i}"] for i in range(60)]],
        None,
        [["form_title"], ["Soixante questions"]],
    )
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "Importer un XLSForm")
    h.sandbox.send_document(claire, None, "soixante.xlsx", many)
    await h.flush()
    assert "et 35 autres" in h.last(claire).plain  # the card lists the first 25
    await h.press(claire, None, "Modifier ce modèle")
    await h.press(claire, None, "Ajouter une question")
    assert "60 questions au plus" in h.sandbox.toasts[-1][1]


async def test_a_file_too_big_for_an_xlsform_is_refused_before_it_is_downloaded(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "Importer un XLSForm")
    h.sandbox.send_document(claire, None, "enorme.xlsx", b"x" * 1_100_000)
    await h.flush()
    assert "Ce fichier dépasse 1000 ko" in h.last(claire).plain
    assert not any(name == "getFile" for name, _ in h.sandbox.calls)
    assert await own_templates(h) == []
