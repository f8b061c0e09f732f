"""Bad input while answering: each gets a clear answer, and nothing is lost or stored twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.demo.scenes.surveys import needs_moves, play_moves
from bot.sandbox.harness import Harness
from storage.models import JournalEntry
from tests.bot.survey_helpers import (
    CLOSING,
    SIMPLE,
    NeedsAnswers,
    answer_needs,
    counts,
    draft_of,
    latest_survey,
    launched,
    live_message,
    rows,
    until,
)
from tests.helpers import nb


async def test_a_closed_or_cancelled_survey_is_not_answered(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 2)
    link = str(live_message(h, group).inline_buttons[0]["url"])
    await answer_needs(h, users[1], group, SIMPLE, stop_after=2)
    question = h.last(users[1])
    await until(h, CLOSING)
    await h.open_link(users[0], link)
    closed = nb("L'enquête « Recensement des besoins des acteurs » est close depuis le jeudi")
    assert closed + " 3 décembre à 18 h" in h.last(users[0]).plain
    # An old question's button: the draft was discarded at closing, and the button says so.
    await h.press(users[1], None, "Valider", message_id=question.message_id)
    assert h.sandbox.toasts[-1][1] == nb(
        "Cette enquête est close depuis le jeudi 3 décembre à 18 h : vos réponses n'ont pas "
        "été envoyées, elles ne sont pas prises en compte."
    )
    await h.say(users[1], None, "Une réponse tardive")
    assert await counts(h) == (0, 0, 0)

    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "Modèle")
    await h.press(claire, None, "Lancer cette enquête")
    await h.press(claire, None, "Garder")
    await h.say(claire, None, "10/12 à 18 h")
    await h.press(claire, None, "Nominative")
    await h.press(claire, None, "Lancer l'enquête")
    survey = await latest_survey(h)
    await h.press(claire, None, "Annuler l'enquête")
    await h.press(claire, None, "Oui, annuler")
    await h.open_link(users[0], link.replace(link.rsplit("ea", 1)[1], str(survey.id)))
    assert "a été annulée : il n'est plus possible d'y répondre".replace(" :", "\u202f:") in (
        h.last(users[0]).plain
    )


async def test_someone_outside_the_collective_cannot_answer(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 2)
    link = str(live_message(h, group).inline_buttons[0]["url"])
    stranger = h.sandbox.add_user("Sam")
    await h.open_link(stranger, link)
    assert "ne faites pas partie du collectif" in h.last(stranger).plain
    # Someone who left, with a draft: the draft goes, and the link is refused.
    await answer_needs(h, users[0], group, SIMPLE, stop_after=2)
    await h.leave(users[0], group)
    assert await draft_of(h, users[0]) is None
    await h.open_link(users[0], link)
    assert "ne faites pas partie du collectif" in h.last(users[0]).plain
    await h.open_link(users[1], link.rsplit("ea", 1)[0] + "ea999999")
    assert "Ce lien n'est plus valable" in h.last(users[1]).plain
    assert await counts(h) == (0, 0, 0)


async def test_a_button_of_an_earlier_question_is_stale(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 1)
    jeanne = users[0]
    await h.press(jeanne, group, "Répondre")
    await h.say(jeanne, None, "Élevage")
    maillons = h.last(jeanne)
    tonte = next(b["callback_data"] for b in maillons.inline_buttons if b["text"] == "Tonte")
    await h.press(jeanne, None, "Élevage")
    await h.press(jeanne, None, "Valider")
    h.sandbox.press_data(jeanne, None, maillons.message_id, str(tonte))
    await h.flush()
    assert "Ce bouton n'est plus valable" in h.sandbox.toasts[-1][1]
    draft = await draft_of(h, jeanne)
    assert draft is not None and draft.step == "q:besoins"
    assert len(draft.data["a"]["maillons"]) == 1


async def test_forged_callback_data_is_refused_politely(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 1)
    jeanne = users[0]
    await h.press(jeanne, group, "Répondre")
    await h.say(jeanne, None, "Élevage")
    question = h.last(jeanne)
    data = str(question.inline_buttons[0]["callback_data"])  # 1|q|<conversation>|<seq>|t|0
    base = data.rsplit("|", 2)[0]
    survey = await latest_survey(h)
    for forged in (
        base + "|t|99",  # no such option
        base + "|o|0",  # a single-choice press on a multiple choice
        base + "|k",  # « Garder » with nothing to keep
        "1|sva|abc",
        f"1|sva|{survey.id}|7",
        "1|svs|999|closeyes",
        f"1|svs|{survey.id}|closeyes",  # not an animator
        f"1|sve|s|{survey.id}|title",
        "1|svt|1|launch|../../etc",
        "1|svi|1",
        "1|q|1|1|t|0|extra",
        "garbage",
    ):
        h.sandbox.press_data(jeanne, None, question.message_id, forged)
        await h.flush()
        toast = h.sandbox.toasts[-1][1]
        assert toast.startswith(("Ce bouton n'est plus valable", "Seule l'équipe")), forged
    assert (await latest_survey(h)).status == "open"
    draft = await draft_of(h, jeanne)
    assert draft is not None and draft.step == "q:maillons" and "maillons" not in draft.data["a"]


async def test_a_text_over_the_limit_is_refused_with_the_limit_and_nothing_stored(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await launched(h, 1)
    jeanne = users[0]
    await h.press(jeanne, group, "Répondre")
    await h.say(jeanne, None, "x" * 612)
    said = h.last(jeanne).plain
    assert nb("Votre réponse fait 612 caractères ; cette question en accepte 500 au plus.") in said
    assert "Rien n'a été enregistré" in said
    draft = await draft_of(h, jeanne)
    assert draft is not None and draft.step == "q:perimetre" and not draft.data.get("a")
    assert (await latest_survey(h)).first_answer_at is None
    await h.say(jeanne, None, "x" * 500)
    assert "Sur quels maillons" in h.last(jeanne).plain


async def test_the_rest_of_a_long_text_cut_by_telegram_is_not_taken_for_an_answer(
    harness: Harness,
) -> None:
    """Telegram's apps send a 5,000-character text as two messages at once: 4,096 characters,
    then the rest. The first is too long; the rest, short enough, is no answer either."""
    h = harness
    group, claire, users = await launched(h, 1)
    jeanne = users[0]
    await h.press(jeanne, group, "Répondre")
    moves = needs_moves(replace(SIMPLE, difficultes="…"))
    await play_moves(h, jeanne, moves[: moves.index(("say", "…"))])
    assert "difficultés" in h.last(jeanne).plain  # a free text of 1,000 characters at most
    await h.say(jeanne, None, "Le lavage " * 409 + "ma")
    assert "cette question en accepte 1\u202f000 au plus" in h.last(jeanne).plain
    await h.say(jeanne, None, "nque de laveries dans le Cantal. " * 27)  # 891 characters
    assert nb("Et la suite de ce long texte n'est pas prise non plus") in h.last(jeanne).plain
    draft = await draft_of(h, jeanne)
    assert draft is not None and draft.step == "q:problematiques"
    assert "problematiques" not in draft.data["a"]
    # Typed a few seconds later, a text is an answer again.
    h.clock.advance(timedelta(seconds=5))
    await h.say(jeanne, None, "Pas de laverie dans le Cantal.")
    draft = await draft_of(h, jeanne)
    assert (
        draft is not None and draft.data["a"]["problematiques"] == "Pas de laverie dans le Cantal."
    )


async def test_a_number_out_of_range_or_not_a_number_is_refused(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 1)
    jeanne = users[0]
    await answer_needs(h, jeanne, group, SIMPLE, stop_after=9)  # up to the volumes
    assert "Quels volumes" in h.last(jeanne).plain
    for typed, said in (
        ("beaucoup", nb("« beaucoup » n'est pas un nombre. Écrivez seulement le nombre, en t")),
        ("-3", "Ce nombre doit être compris entre 0 et 100\u202f000\u00a0t."),
        ("250 000 t", "Ce nombre doit être compris entre 0 et 100\u202f000\u00a0t."),
        ("12 kg", "n'est pas un nombre"),
    ):
        await h.say(jeanne, None, typed)
        assert said in h.last(jeanne).plain, typed
        assert "volumes" not in (await draft_of(h, jeanne)).data["a"]  # type: ignore[union-attr]
    await h.say(jeanne, None, "1 500,5 t")
    assert (await draft_of(h, jeanne)).data["a"]["volumes"] == 1500.5  # type: ignore[union-attr]


@pytest.mark.parametrize("anonymous", [False, True])
async def test_two_quick_presses_on_envoyer_make_one_submission(
    harness: Harness, anonymous: bool
) -> None:
    h = harness
    group, claire, users = await launched(h, 1, anonymous=anonymous)
    jeanne = users[0]
    await h.press(jeanne, group, "Répondre")
    answers = NeedsAnswers("Élevage ovin", maillons=("Élevage",), famille="Association")
    await play_moves(h, jeanne, needs_moves(answers, anonymous=anonymous))
    h.sandbox.press(jeanne, None, "Envoyer")
    h.sandbox.press(jeanne, None, "Envoyer")
    await h.flush()
    assert await counts(h) == ((0, 1, 1) if anonymous else (1, 0, 1))
    answered = [e for e in await rows(h, JournalEntry) if e.kind == "survey_answered"]
    assert len(answered) == 1
    # The second press says the answers are sent, not that something failed.
    assert h.sandbox.toasts[-1][1] == nb(
        "Vos réponses à « Recensement des besoins des acteurs » sont déjà envoyées."
    )
    assert sum("Merci, vos réponses sont enregistrées" in t for t in h.bot_texts(jeanne)) == 1
    await h.tick(timedelta(minutes=2))
    assert "1 réponse sur 2 membres" in live_message(h, group).plain


async def test_a_required_multiple_choice_wants_at_least_one_answer(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 1)
    jeanne = users[0]
    await answer_needs(h, jeanne, group, SIMPLE, stop_after=3)  # at the needs
    await h.press(jeanne, None, "Valider")
    assert "Cette question demande au moins une réponse" in h.sandbox.toasts[-1][1]
    draft = await draft_of(h, jeanne)
    assert draft is not None and draft.step == "q:besoins"


async def test_a_whole_number_is_asked_where_the_form_says_integer(harness: Harness) -> None:
    from bot.demo.scenes.surveys import launch_survey, small_xlsform

    h = harness
    group, claire, users = await launched(h, 1)
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "Importer un XLSForm")
    h.sandbox.send_document(claire, None, "formation.xlsx", small_xlsform())
    await h.flush()
    await launch_survey(h, claire, template="Besoins en formation")
    jeanne = users[0]
    await h.press(jeanne, group, "Répondre", message_id=h.last(group).message_id)
    await h.press(jeanne, None, "Tri et classement")
    await h.press(jeanne, None, "Valider")
    await h.say(jeanne, None, "2,5")
    assert "Écrivez un nombre entier" in h.last(jeanne).plain
    await h.say(jeanne, None, "80")
    assert nb("Ce nombre doit être compris entre 1 et 50.") in h.last(jeanne).plain
    await h.say(jeanne, None, "3")
    assert "Pouvez-vous accueillir" in h.last(jeanne).plain


async def test_a_tap_after_an_early_closing_says_what_counts(harness: Harness) -> None:
    """Claire closes the survey while Jeanne changes the answers she sent and Paul is
    half-way: their next tap says the survey is closed, and what of theirs counts."""
    h = harness
    group, claire, users = await launched(h, 2)
    jeanne, paul = users
    await answer_needs(h, jeanne, group, SIMPLE)
    await h.press(jeanne, group, "Répondre")
    await h.press(jeanne, None, "Modifier mes réponses")
    changing = h.last(jeanne)
    await answer_needs(h, paul, group, SIMPLE, stop_after=2)
    answering = h.last(paul)
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "📋 Recensement")
    await h.press(claire, None, "Clore maintenant")
    await h.press(claire, None, "Oui, clore")
    await h.press(jeanne, None, "Garder", message_id=changing.message_id)
    assert h.sandbox.toasts[-1][1].startswith(nb("Cette enquête est close depuis le "))
    assert h.sandbox.toasts[-1][1].endswith(
        nb(
            " : vos dernières modifications n'ont pas été prises en compte. "
            "Les réponses que vous aviez envoyées restent comptées."
        )
    )
    await h.press(paul, None, "Valider", message_id=answering.message_id)
    assert h.sandbox.toasts[-1][1].endswith(
        nb(" : vos réponses n'ont pas été envoyées, elles ne sont pas prises en compte.")
    )
    assert await counts(h) == (1, 0, 1)


async def test_a_late_button_of_another_conversation_is_not_taken_for_the_survey(
    harness: Harness,
) -> None:
    """A conversation's id is never given again: a profile edit after the answers sent has
    its own, and its button pressed twice is merely stale."""
    h = harness
    group, claire, users = await launched(h, 1)
    jeanne = users[0]
    await answer_needs(h, jeanne, group, SIMPLE)
    await h.say(jeanne, None, "/moi")
    await h.press(jeanne, None, "Modifier la commune")
    question = h.last(jeanne)
    keep = next(b for b in question.inline_buttons if str(b["text"]).startswith("Garder"))
    await h.press(jeanne, None, "Garder", message_id=question.message_id)
    h.sandbox.press_data(jeanne, None, question.message_id, str(keep["callback_data"]))
    await h.flush()
    assert h.sandbox.toasts[-1][1].startswith("Ce bouton n'est plus valable")
