"""XLSForms: the subset read with pyxform, everything else listed back, and the round trip."""

from __future__ import annotations

import html
import io

import pytest

from bot.surveys import model as m
from bot.surveys.xlsform import read_xlsform, write
from bot.texts import render

LABEL = "label::Français (fr)"


def workbook(
    survey: list[list[str]],
    choices: list[list[str]] | None = None,
    settings: list[list[str]] | None = None,
) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheets = {"survey": survey, "choices": choices, "settings": settings}
    for name, rows in sheets.items():
        if rows is None:
            continue
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value:
                    sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def test_the_default_survey_downloaded_then_sent_back_is_the_same_survey() -> None:
    survey = m.builtin_templates()["besoins"].survey
    maillons = (m.Option("m1", "Élevage"), m.Option("m2", "Tonte"))
    imported = read_xlsform(write(survey, maillons=maillons), "besoins.xlsx")
    assert imported.survey == survey
    assert imported.survey.to_dict() == survey.to_dict()


def test_every_understood_form_is_read() -> None:
    content = workbook(
        [
            [
                "type",
                "name",
                "label",
                LABEL,
                "hint",
                "required",
                "constraint",
                "relevant",
                "parameters",
            ],
            ["start", "start", "", "", "", "", "", "", ""],
            ["note", "intro", "", "Bienvenue", "", "", "", "", ""],
            ["select_one lieu", "lieu", "Place", "Lieu", "", "yes", "", "", ""],
            ["select_multiple besoins or_other", "besoins", "", "Besoins", "", "true", "", "", ""],
            ["select_one yn", "accord", "", "D'accord ?", "", "yes", "", "${lieu} = 'ferme'", ""],
            ["integer", "nb", "", "Combien ?", "", "no", ". >= 1 and . <= 50", "", ""],
            ["decimal", "poids", "", "Poids", "", "", ". <= 2,5", "selected(${besoins}, 'a')", ""],
            ["range", "prio", "", "Priorité", "", "yes", "", "", "start=1 end=5 step=1"],
            [
                "text",
                "note_libre",
                "",
                "Pourquoi ?",
                "Un mot",
                "no",
                "string-length(.) <= 80",
                "",
                "",
            ],
            [
                "text",
                "suite",
                "",
                "Et ensuite ?",
                "",
                "",
                "",
                "${accord} = 'yes' or (${prio} = '5' and selected(${besoins}, 'b'))",
                "",
            ],
        ],
        [
            ["list_name", "name", LABEL],
            ["lieu", "ferme", "Ferme"],
            ["lieu", "atelier", "Atelier"],
            ["besoins", "a", "A"],
            ["besoins", "b", "B"],
            ["yn", "yes", "Oui"],
            ["yn", "no", "Non"],
        ],
        [["form_title"], ["Petite enquête"]],
    )
    imported = read_xlsform(content, "petite.xlsx")
    survey = imported.survey
    assert imported.skipped == 1
    assert survey.title == "Petite enquête"
    q = {x.id: x for x in survey.questions}
    assert (q["intro"].type, q["intro"].label) == ("note", "Bienvenue")
    assert q["lieu"].label == "Lieu"  # the French label wins over the plain one
    assert [(o.value, o.label) for o in q["lieu"].options] == [
        ("ferme", "Ferme"),
        ("atelier", "Atelier"),
    ]
    assert (q["besoins"].type, q["besoins"].other, q["besoins"].required) == (
        "multiple",
        True,
        True,
    )
    assert q["accord"].type == "yesno" and q["accord"].condition == "${lieu} = 'ferme'"
    assert (q["nb"].type, q["nb"].integer, q["nb"].min, q["nb"].max) == ("number", True, 1, 50)
    assert (q["poids"].integer, q["poids"].min, q["poids"].max) == (False, None, 2.5)
    assert q["poids"].required is False
    assert q["prio"].type == "scale"
    assert (q["note_libre"].max_length, q["note_libre"].hint) == (80, "Un mot")
    # yes/no values are the bot's own (oui, non), whatever the file wrote.
    assert q["suite"].condition == (
        "${accord} = 'oui' or (${prio} = '5' and selected(${besoins}, 'b'))"
    )


def test_a_range_other_than_one_to_five_is_a_number() -> None:
    content = workbook(
        [
            ["type", "name", "label", "parameters"],
            ["range", "r", "Note", "start=0 end=10 step=1"],
            ["range", "s", "Note", ""],  # XLSForm's default: 1 to 10
        ]
    )
    found = read_xlsform(content, "r.xlsx").survey.questions
    assert [(q.type, q.min, q.max, q.integer) for q in found] == [
        ("number", 0, 10, True),
        ("number", 1, 10, True),
    ]


def test_anything_else_is_refused_with_the_list_of_what_was_not_understood() -> None:
    content = workbook(
        [
            ["type", "name", "label", "constraint", "relevant", "appearance", "calculation"],
            ["calculate", "total", "", "", "", "", "1+1"],
            ["begin_group", "g", "Groupe", "", "", "", ""],
            ["text", "t", "Texte", "regex(., '^[a-z]+$')", "", "multiline", ""],
            ["integer", "n", "Nombre", ". > 3", "${t} != ''", "", ""],
            ["select_one absente", "s", "Choix", "", "", "", ""],
            ["end_group", "", "", "", "", "", ""],
        ],
        [["list_name", "name", "label", "filter"], ["autre", "x", "X", "f1"]],
    )
    with pytest.raises(m.DefinitionError) as caught:
        read_xlsform(content, "kobo.xlsx")
    said = html.unescape(
        render("refusals/xlsform_refused", "fr", file="kobo.xlsx", error=caught.value)
    )
    for fragment in (
        "la colonne « appearance » de la feuille « survey » n'est pas comprise",
        "la colonne « calculation » de la feuille « survey » n'est pas comprise",
        "la colonne « filter » de la feuille « choices » n'est pas comprise",
        "ligne 2 (« total ») : le type « calculate » n'est pas compris",
        "ligne 3 (« g ») : le type « begin_group » n'est pas compris",
        "ligne 4 (« t ») : je ne comprends pas constraint « regex(., '^[a-z]+$') »",
        "ligne 5 (« n ») : je ne comprends pas constraint « . > 3 »",
        "ligne 5 (« n ») : je ne comprends pas relevant « ${t} != '' »",
        "ligne 6 (« s ») : la liste « absente » n'est pas dans la feuille « choices »",
        "ligne 7 : le type « end_group » n'est pas compris",
        "Rien n'a été créé",
    ):
        assert (
            fragment.replace(" :", "\u202f:").replace("« ", "«\u202f").replace(" »", "\u202f»")
            in said
        ), fragment


def test_a_file_that_is_not_a_spreadsheet_is_refused() -> None:
    with pytest.raises(m.DefinitionError) as caught:
        read_xlsform(b"not a spreadsheet at all", "x.xlsx")
    assert [p.code for p in caught.value.problems] == ["xls_unreadable"]


def test_what_pyxform_refuses_is_said_too() -> None:
    # Two rows named alike: the survey's own check says it first.
    content = workbook([["type", "name", "label"], ["text", "a", "A"], ["text", "a", "B"]])
    with pytest.raises(m.DefinitionError) as caught:
        read_xlsform(content, "x.xlsx")
    assert [p.code for p in caught.value.problems] == ["duplicate_id"]


def test_a_small_file_that_unpacks_into_gigabytes_is_refused_unopened() -> None:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"\0" * 30_000_000)
    assert len(buffer.getvalue()) < 100_000
    with pytest.raises(m.DefinitionError) as caught:
        read_xlsform(buffer.getvalue(), "bombe.xlsx")
    assert [p.code for p in caught.value.problems] == ["xls_too_big"]
