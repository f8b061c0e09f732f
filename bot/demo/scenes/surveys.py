"""The needs survey: Claire launches « Recensement des besoins des acteurs », the eight actors
answer in private (Hugo comes back to the group meanwhile; some stop halfway and pick up after
the bot restarts), reminders go out, Claire imports a small XLSForm, and at closing the group
gets the results and Claire the written answers, the breakdowns and the exports.

Writes `enquete-besoins.csv`, `enquete-besoins.xlsx` and `enquete-besoins.png` next to the
transcript. The moves (launching, answering) are the ones the tests play too.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.catalog import categories
from bot.demo.story import Story
from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness

NB = "\u202f"
NEEDS_TEMPLATE = "Recensement des besoins des acteurs"


async def launch_survey(
    h: Harness,
    animator: SandboxUser,
    *,
    template: str = NEEDS_TEMPLATE,
    title: str | None = None,
    closes: str = "11/12 à 18 h",
    anonymous: bool = False,
) -> None:
    """/enquete in private, a template, its title, the closing date, anonymity, « Lancer »;
    then the due work posts the group message."""
    await h.say(animator, None, "/enquete")
    await h.press(animator, None, f"Modèle{NB}: {template}")
    await h.press(animator, None, "Lancer cette enquête")
    if title is None:
        await h.press(animator, None, "Garder")
    else:
        await h.say(animator, None, title)
    await h.say(animator, None, closes)
    await h.press(animator, None, "Anonyme" if anonymous else "Nominative")
    await h.press(animator, None, "Lancer l'enquête")
    await h.tick(timedelta(seconds=1))


@dataclass(frozen=True)
class NeedsAnswers:
    """Answers to the default survey: button fragments for choices, texts typed."""

    perimetre: str
    maillons: tuple[str, ...] = ()
    famille: str | None = None  # asked in anonymous surveys only
    besoins: tuple[tuple[str, str | None], ...] = (("Des débouchés", None),)
    autre: str | None = None
    difficultes: str | None = None
    offres: tuple[tuple[str, str | None], ...] = ()
    offres_autres: str | None = None
    volume: str | None = None
    priorite: int = 3
    groupe: bool = False
    sujet: str | None = None


Move = tuple[str, str]


def _in_list_order(
    chosen: tuple[tuple[str, str | None], ...], wording: str
) -> list[tuple[str, str | None]]:
    """The précisez questions follow the list's order, not the order of the presses."""
    labels = [
        c.as_need("fr") if wording == "need" else c.as_offer("fr") for c in categories().values()
    ]

    def position(item: tuple[str, str | None]) -> int:
        return next(i for i, label in enumerate(labels) if item[0] in label)

    return sorted(chosen, key=position)


def needs_moves(
    answers: NeedsAnswers, *, anonymous: bool = False, maillons: bool = True
) -> list[Move]:
    """The presses and texts that answer the default survey, question by question."""
    a = answers
    moves: list[Move] = [("say", a.perimetre)]
    if maillons:
        moves += [("press", m) for m in a.maillons] + [
            ("press", "Valider" if a.maillons else "Passer")
        ]
    if anonymous:
        moves.append(("press", a.famille or "Association"))
    besoins = _in_list_order(a.besoins, "need")
    moves += [("press", b) for b, _ in besoins]
    moves += [("press", "Autre")] if a.autre else []
    moves.append(("press", "Valider"))
    moves += [("say", d) if d else ("press", "Passer") for _, d in besoins]
    moves += [("say", a.autre)] if a.autre else []
    moves.append(("say", a.difficultes) if a.difficultes else ("press", "Passer"))
    offres = _in_list_order(a.offres, "offer")
    if offres:
        moves += [("press", o) for o, _ in offres] + [("press", "Valider")]
        moves += [("say", d) if d else ("press", "Passer") for _, d in offres]
    else:
        moves.append(("press", "Passer"))
    moves.append(("say", a.offres_autres) if a.offres_autres else ("press", "Passer"))
    moves.append(("say", a.volume) if a.volume else ("press", "Passer"))
    moves.append(("press", str(a.priorite)))
    moves.append(("press", "Oui" if a.groupe else "Non"))
    if a.groupe:
        moves.append(("say", a.sujet) if a.sujet else ("press", "Passer"))
    return moves


async def play_moves(h: Harness, user: SandboxUser, moves: list[Move]) -> None:
    for kind, value in moves:
        if kind == "say":
            await h.say(user, None, value)
        else:
            await h.press(user, None, value)


async def answer_needs(
    h: Harness,
    user: SandboxUser,
    group: SandboxChat | None,
    answers: NeedsAnswers,
    *,
    anonymous: bool = False,
    send: bool = True,
    stop_after: int | None = None,
) -> None:
    """« Répondre » in the group (if given), then the answers, then « Envoyer »."""
    if group is not None:
        await h.press(user, group, "Répondre")
    moves = needs_moves(answers, anonymous=anonymous)
    await play_moves(h, user, moves[:stop_after] if stop_after is not None else moves)
    if send and stop_after is None:
        await h.press(user, None, "Envoyer")


def small_xlsform() -> bytes:
    """A short XLSForm as a field worker would make it in KoboToolbox."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    label = "label::Français (fr)"
    sheets: dict[str, list[list[str]]] = {
        "survey": [
            ["type", "name", label, "required", "constraint", "relevant"],
            ["start", "start", "", "", "", ""],
            [
                "select_multiple formations or_other",
                "formations",
                "Quelles formations vous manquent ?",
                "yes",
                "",
                "",
            ],
            [
                "integer",
                "personnes",
                "Combien de personnes formeriez-vous ?",
                "no",
                ". >= 1 and . <= 50",
                "selected(${formations}, 'tri')",
            ],
            [
                "select_one oui_non",
                "accueil",
                "Pouvez-vous accueillir une formation ?",
                "yes",
                "",
                "",
            ],
            ["text", "lieu", "Dans quel lieu ?", "no", "", "${accueil} = 'oui'"],
        ],
        "choices": [
            ["list_name", "name", label],
            ["formations", "tri", "Tri et classement de la laine"],
            ["formations", "feutre", "Feutrage"],
            ["formations", "vente", "Vente en circuit court"],
            ["oui_non", "oui", "Oui"],
            ["oui_non", "non", "Non"],
        ],
        "settings": [["form_title"], ["Besoins en formation"]],
    }
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value:
                    sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def _local(day: int, hour: int) -> datetime:
    """A moment of December 2026 in Paris (UTC+1)."""
    return datetime(2026, 12, day, hour - 1, 0, tzinfo=UTC)


async def _until(story: Story, moment: datetime) -> Any:
    h = story.harness
    if h.clock.now() < moment:
        h.clock.advance(moment - h.clock.now())
    report = await h.tick()
    await h.tick()  # what the first pass scheduled for now (the results after a closing)
    return report


ANSWERS = {
    "jeanne": NeedsAnswers(
        "Élevage ovin sur le Cézallier, 300 brebis",
        maillons=("Élevage", "Tonte"),
        besoins=(("Des débouchés", "2 t de laine brute par an"), ("De la logistique", None)),
        offres=(("Du foncier ou des locaux", "Une grange à Allanche pour stocker la laine"),),
        volume="2 t",
        priorite=5,
        groupe=True,
        sujet="Un circuit de collecte de la laine",
    ),
    "paul": NeedsAnswers(
        "Tonte dans tout le Cézallier, 15 000 brebis par an",
        maillons=("Tonte",),
        besoins=(("Des équipements", "Une table de tri mobile"), ("De la formation", None)),
        offres=(("Des formations ou du savoir-faire", "Tri de la laine à la tonte"),),
        difficultes="Trop peu de tondeurs formés dans le département.",
        priorite=4,
        groupe=True,
    ),
    "inès": NeedsAnswers(
        "Lavage et filature à Saint-Flour",
        maillons=("Lavage", "Filature"),
        besoins=(("Du financement", "Une seconde ligne de lavage"), ("Des débouchés", None)),
        offres=(("Acheter, transformer", "20 t de laine lavée par an"),),
        volume="20",
        priorite=4,
        groupe=True,
        sujet="=Un label laine du Cantal",
    ),
    "karim": NeedsAnswers(
        "Atelier de tissage et de tricot à Murat",
        maillons=("Tissage et tricot", "Confection"),
        besoins=(("Du recrutement", "Deux tricoteuses en insertion"),),
        autre="Un local plus grand pour l'atelier",
        priorite=3,
    ),
    "lucie": NeedsAnswers(
        "Formation agricole, élevage ovin",
        maillons=("Élevage",),
        besoins=(("De la recherche", None),),
        offres=(("Des formations ou du savoir-faire", None),),
        priorite=2,
        groupe=True,
        sujet="La formation à la tonte",
    ),
    "hugo": NeedsAnswers(
        "Boutique de produits en laine à Aurillac",
        maillons=("Vente",),
        besoins=(("De la communication", None), ("Des débouchés", "Des pulls fabriqués ici")),
        priorite=3,
    ),
    "amina": NeedsAnswers(
        "Financement solidaire en Auvergne",
        besoins=(("De la communication", None),),
        offres=(("Du financement ou de l'aide", "Prêts d'honneur et garanties"),),
        priorite=1,
    ),
    "sophie": NeedsAnswers(
        "Réseau régional de l'ESS",
        besoins=(("De la communication", None),),
        offres=(("Des compétences ou des canaux", "Les réseaux de la CRESS"),),
        offres_autres="Un accompagnement à la création de SCIC",
        priorite=2,
        groupe=True,
    ),
}


async def play(story: Story) -> None:
    scene, transcript = story.scene, story.transcript
    claire = story.users["claire"]
    wool = story.groups["wool"]
    actors = {key: story.users[key] for key in ANSWERS}

    await scene.step(
        "Claire lance l'enquête des besoins, en privé",
        minutes=30,
        caption="/enquete : un modèle, le titre, la date de clôture, nominative ou anonyme ; "
        "le groupe reçoit « Répondre » et le compteur.",
    )
    await launch_survey(story.harness, claire, closes="11/12 à 18 h")

    await scene.step(
        "Jeanne, Paul et Inès répondent, une question à la fois",
        caption="/enquete, suite : « Répondre » ouvre le privé ; un résumé avant « Envoyer ».",
    )
    for key in ("jeanne", "paul", "inès"):
        await answer_needs(story.harness, actors[key], wool, ANSWERS[key])
        story.harness.clock.advance(timedelta(minutes=11))
    await story.harness.tick()

    await scene.step(
        "Hugo revient dans le groupe et rejoint le collectif : il peut répondre aussi",
        caption="/rejoindre, puis « Répondre » : qui arrive pendant l'enquête y répond.",
    )
    h = story.harness
    await h.join(actors["hugo"], wool)
    from bot.demo.cast import WOOL_ACTORS

    hugo_profile = next(a for a in WOOL_ACTORS if a.first_name == "Hugo")
    with scene.quietly():
        await scene.onboard(actors["hugo"], hugo_profile, via_group=wool)
    scene.aside("Hugo remplit de nouveau son profil, comme à sa première arrivée.")
    await answer_needs(h, actors["hugo"], wool, ANSWERS["hugo"])

    await scene.step(
        "Lucie et Amina s'arrêtent à mi-chemin",
        caption="Sans commande : chaque réponse est enregistrée dès qu'elle est donnée.",
    )
    await answer_needs(h, actors["lucie"], wool, ANSWERS["lucie"], stop_after=4)
    await answer_needs(h, actors["amina"], wool, ANSWERS["amina"], stop_after=2)

    await scene.step(
        "Le bot redémarre ; Lucie reprend où elle en était, Amina touche « Répondre »",
        minutes=45,
        caption="Sans commande : les réponses déjà données sont en base ; "
        "la conversation reprend à la question suivante.",
    )
    await story.restart()
    h = story.harness
    await play_moves(h, actors["lucie"], needs_moves(ANSWERS["lucie"])[4:])
    await h.press(actors["lucie"], None, "Envoyer")
    await h.press(actors["amina"], wool, "Répondre")
    await play_moves(h, actors["amina"], needs_moves(ANSWERS["amina"])[2:])
    await h.press(actors["amina"], None, "Envoyer")

    await scene.step(
        "Sophie commence, puis s'interrompt",
        caption="/enquete, suite : Sophie ne touche pas encore « Envoyer ».",
    )
    await answer_needs(h, actors["sophie"], wool, ANSWERS["sophie"], stop_after=5)

    await scene.step(
        "Trois jours avant la clôture : rappels en privé, et un mot dans le groupe",
        caption="Sans commande : qui a fini n'est jamais relancé ; le groupe lit un nombre, "
        "jamais un nom.",
    )
    await _until(story, _local(8, 18))

    await scene.step(
        "Karim répond après le rappel ; Sophie envoie enfin ses réponses",
        caption="/enquete, suite : le rappel ramène à la question où l'on s'était arrêté.",
    )
    h = story.harness
    await answer_needs(h, actors["karim"], wool, ANSWERS["karim"])
    await play_moves(h, actors["sophie"], needs_moves(ANSWERS["sophie"])[5:])
    await h.press(actors["sophie"], None, "Envoyer")

    await scene.step(
        "Claire importe un petit XLSForm fait dans KoboToolbox",
        caption="/enquete → « Importer un XLSForm » : le fichier devient un modèle.",
    )
    await h.say(claire, None, "/enquete")
    await h.press(claire, None, "Importer un XLSForm")
    h.sandbox.send_document(claire, None, "besoins-formation.xlsx", small_xlsform())
    await h.flush()

    await scene.step(
        "Claire télécharge l'enquête des besoins au format XLSForm",
        caption="/enquete → le modèle → « Télécharger en XLSForm ».",
    )
    await h.press(claire, None, "Enquêtes")
    await h.press(claire, None, f"Modèle{NB}: {NEEDS_TEMPLATE}")
    await h.press(claire, None, "Télécharger en XLSForm")

    await scene.step(
        "La veille de la clôture : un dernier rappel à qui n'a pas répondu",
        caption="Sans commande : le dernier rappel, dû la veille.",
    )
    await _until(story, _local(10, 18))

    await scene.step(
        "Vendredi 18 h : l'enquête se clôt, les résultats arrivent",
        caption="Sans commande : les résultats dans le groupe ; pour Claire, les réponses écrites, "
        "les répartitions et les exports.",
    )
    await _until(story, _local(11, 18))
    transcript.capture()
    _write_files(story)


def _write_files(story: Story) -> None:
    """The exports and the chart, as the group and Claire received them."""
    sandbox = story.sandbox
    claire, wool = story.users["claire"], story.groups["wool"]
    for message in sandbox.bot_messages(claire):
        if message.document is not None:
            name, content, _ = message.document
            if name.startswith("enquete-") and name.endswith((".csv", ".xlsx")):
                suffix = name.rsplit(".", 1)[1]
                (story.out / f"enquete-besoins.{suffix}").write_bytes(content)
    photos = [m.photo for m in sandbox.bot_messages(wool) if m.photo]
    if photos:
        (story.out / "enquete-besoins.png").write_bytes(photos[-1])
