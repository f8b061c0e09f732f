"""Survey definitions: the default survey, checking templates, conditions, numbers."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.catalog import categories
from bot.surveys import conditions
from bot.surveys import model as m
from bot.surveys.numbers import NotANumber, parse_number, show
from bot.surveys.results import applicable, effective
from bot.texts import render
from tests.helpers import nb


def test_the_default_survey_covers_what_the_guide_asks() -> None:
    survey = m.builtin_templates()["besoins"].survey
    assert survey.title == "Recensement des besoins des acteurs"
    assert survey.reminders == (3, 1)
    by_id = {q.id: q for q in survey.questions}
    assert by_id["perimetre"].type == "text"
    assert by_id["maillons"].source == "maillons"
    needs, offers = by_id["besoins"], by_id["offres"]
    assert (needs.type, needs.source, needs.other, needs.detail) == (
        "multiple",
        "needs",
        True,
        True,
    )
    assert (offers.type, offers.source, offers.detail) == ("multiple", "offers", True)
    assert by_id["offres_autres"].type == "text"  # offers as a choice and as text
    assert by_id["problematiques"].type == "text" and by_id["problematiques"].max_length == 1000
    volumes = by_id["volumes"]
    assert (volumes.type, volumes.unit, volumes.min, volumes.max) == ("number", "t", 0, 100000)
    assert by_id["priorite"].type == "scale"
    assert by_id["groupe_travail"].type == "yesno"
    assert by_id["groupe_sujet"].condition == "${groupe_travail} = 'oui'"
    assert by_id["famille"].anonymous_only
    assert {q.type for q in survey.questions} >= {"single", "multiple", "text", "number", "scale"}


def test_needs_and_offers_share_one_list_of_categories_with_two_wordings() -> None:
    survey = m.resolve(m.builtin_templates()["besoins"].survey, [m.Maillon(1, "Élevage")], "fr")
    needs = survey.question("besoins")
    offers = survey.question("offres")
    assert needs is not None and offers is not None
    codes = list(categories())
    assert [o.value for o in needs.options] == codes == [o.value for o in offers.options]
    assert codes == [
        "debouches",
        "foncier",
        "financement",
        "formation",
        "equipements",
        "logistique",
        "communication",
        "recrutement",
        "recherche",
    ]
    assert needs.options[0].label.startswith("Des débouchés")
    assert offers.options[0].label.startswith("Acheter, transformer ou distribuer")
    maillons = survey.question("maillons")
    assert maillons is not None and maillons.options == (m.Option("m1", "Élevage"),)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "enquete.toml"
    path.write_text(text, encoding="utf-8")
    return path


BAD_FILES = [
    (
        'title = "T"\n[[question]]\nid = "q1"\ntype = "choice"\nlabel = "L"\n',
        "q1",
        "le type « choice » n'existe pas",
    ),
    (
        'title = "T"\n[[question]]\nid = "vol"\ntype = "number"\nlabel = "L"\nmin = 10\nmax = 1\n',
        "vol",
        "min est plus grand que max",
    ),
    (
        'title = "T"\n[[question]]\nid = "q1"\ntype = "single"\nlabel = "L"\n'
        'options = [{ value = "a", label = "A" }]\n',
        "q1",
        "il faut au moins deux options",
    ),
    (
        'title = "T"\n[[question]]\nid = "q1"\ntype = "text"\nlabel = "L"\n'
        '[[question]]\nid = "q2"\ntype = "text"\nlabel = "M"\ncondition = "${q9} = \'x\'"\n',
        "q2",
        "la condition cite « q9 », qui n'est pas une question posée avant celle-ci",
    ),
    (
        'title = "T"\n[[question]]\nid = "q1"\ntype = "yesno"\nlabel = "L"\n'
        '[[question]]\nid = "q2"\ntype = "text"\nlabel = "M"\ncondition = "${q1} > \'x\'"\n',
        "q2",
        "je ne comprends pas la condition",
    ),
    (
        'title = "T"\n[[question]]\nid = "q1"\ntype = "yesno"\nlabel = "L"\n'
        '[[question]]\nid = "q2"\ntype = "text"\nlabel = "M"\n'
        "condition = \"${q1} = 'peut-être'\"\n",
        "q2",
        "« peut-être », qui n'est pas une réponse possible à « q1 »",
    ),
    (
        'title = "T"\n[[question]]\nid = "q1"\ntype = "text"\nlabel = "L"\ncouleur = "bleu"\n',
        "q1",
        "la clé « couleur » n'existe pas",
    ),
    (
        'title = "T"\n[[question]]\nid = "q1"\ntype = "text"\n',
        "q1",
        "le libellé (label) manque",
    ),
]


@pytest.mark.parametrize(("text", "question", "problem"), BAD_FILES)
def test_a_malformed_template_names_the_file_the_question_and_the_problem(
    tmp_path: Path, text: str, question: str, problem: str
) -> None:
    with pytest.raises(m.DefinitionError) as caught:
        m.read_file(_write(tmp_path, text))
    said = render("surveys/problems", "fr", error=caught.value)
    assert "content/surveys/enquete.toml" in said
    assert nb(f"question « {question} » :") in said
    assert nb(problem) in said


def test_a_file_that_is_not_toml_is_named_too(tmp_path: Path) -> None:
    with pytest.raises(m.DefinitionError) as caught:
        m.read_file(_write(tmp_path, 'title = "T\n'))
    assert "le fichier n'est pas un TOML valide" in render(
        "surveys/problems", "fr", error=caught.value
    )


def test_a_malformed_template_is_left_out_when_loaded_and_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "bonne.toml").write_text(
        'title = "Bonne"\n[[question]]\nid = "q"\ntype = "text"\nlabel = "L"\n', encoding="utf-8"
    )
    (tmp_path / "cassee.toml").write_text(
        'title = "Cassée"\n[[question]]\nid = "q"\ntype = "number"\nlabel = "L"\nmin = "zéro"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(m, "SURVEYS", tmp_path)
    m.builtin_templates.cache_clear()
    try:
        with caplog.at_level(logging.ERROR):
            found = m.builtin_templates()
    finally:
        monkeypatch.undo()
        m.builtin_templates.cache_clear()
    assert list(found) == ["bonne"]
    logged = caplog.text
    assert "cassee.toml" in logged and "« q »" in logged.replace(nb("« q »"), "« q »")
    assert "doit être un nombre" in logged


def test_conditions_understand_only_the_simple_forms() -> None:
    tree = conditions.parse("${a} = 'x' and (selected(${b}, \"y\") or ${c} = 'z')")
    assert conditions.holds(tree, {"a": "x", "b": ["y"]})
    assert not conditions.holds(tree, {"a": "x", "b": ["w"], "c": "q"})
    assert conditions.holds(tree, {"a": "x", "c": "z"})
    assert not conditions.holds(tree, {"b": ["y"]})  # a question not asked has no answer
    assert conditions.write(conditions.parse(conditions.write(tree))) == conditions.write(tree)
    for text in ("${a} > 3", "${a} != 'x'", "count(${a}) = 1", "${a} = x", "${a} = 'x' and"):
        with pytest.raises(conditions.ConditionError):
            conditions.parse(text)


def test_an_answer_to_a_question_that_no_longer_applies_counts_for_nothing() -> None:
    survey = m.read(
        {
            "title": "T",
            "questions": [
                {"id": "a", "type": "yesno", "label": "A"},
                {"id": "b", "type": "yesno", "label": "B", "condition": "${a} = 'oui'"},
                {"id": "c", "type": "text", "label": "C", "condition": "${b} = 'oui'"},
            ],
        }
    )
    # Answered a, b, c; then went back and said « non » to a: b and c no longer apply.
    answers = {"a": "non", "b": "oui", "c": "texte"}
    assert applicable(survey, answers, False) == {"a"}
    assert effective(survey, answers, False) == {"a": "non"}


def test_numbers_are_read_the_french_way() -> None:
    assert parse_number("1 500") == 1500
    assert parse_number("1\u202f500,5") == 1500.5
    assert parse_number("12,5 t", "t") == 12.5
    assert parse_number("2t", "t") == 2
    assert parse_number("-3") == -3
    for text in ("environ douze", "12 kg", "1,2,3", "", "t"):
        with pytest.raises(NotANumber):
            parse_number(text, "t")
    assert show(1500, "fr", "t") == "1\u202f500\u00a0t"
    assert show(12.5) == "12,5"
