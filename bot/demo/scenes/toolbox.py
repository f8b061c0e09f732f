"""The boîte à outils: Claire turns moderation on; Inès shares a link and Jeanne a document,
published by the animation team; Claire ticks the guide's actions already carried out and
shows « Où en est notre filière »; Paul searches; Claire exports ressources.csv."""

from __future__ import annotations

from bot.demo.story import Story
from bot.sandbox.core import SandboxUser

WASHING = (
    "Les étapes du lavage de la laine brute, les volumes minimums, les coûts au kilo et les "
    "trois laveries qui acceptent les petits lots dans le Massif central."
)
CONTRACT = (
    "Un contrat type entre éleveurs et filature : volumes annoncés en début de saison, prix "
    "plancher au kilo, paiement à 15 jours."
)
# The guide's actions the collective has already carried out, or started.
TICKED = (
    ("Diagnostic territorial", "Dresser une cartographie", "Fait"),
    ("Diagnostic territorial", "Identifier le potentiel", "Fait"),
    ("Organisation interne", "Organiser des comités", "Fait"),
    ("Animation du collectif", "Mettre en place une charte", "Fait"),
    ("Animation du collectif", "Recenser les besoins", "Fait"),
    ("Animation du collectif", "Organiser des groupes de travail", "En cours"),
    ("Financement", "Concevoir ou investir dans des lieux totems", "En cours"),
    ("Communication", "Créer une plateforme de mise en relation", "En cours"),
)


async def play(story: Story) -> None:
    scene, h, sb = story.scene, story.harness, story.sandbox
    wool = story.groups["wool"]
    claire, marc = story.users["claire"], story.users["marc"]
    jeanne, paul, ines = (story.users[k] for k in ("jeanne", "paul", "inès"))

    await scene.step(
        "Le lendemain, Claire ouvre la boîte à outils et active la modération",
        minutes=20 * 60,
        caption="/boite en privé : les ressources par levier du guide ; l'équipe d'animation "
        "choisit de valider ou non les ressources des membres.",
    )
    await h.say(claire, None, "/boite")
    await h.press(claire, None, "Modération\u202f: désactivée")

    await scene.step(
        "Inès partage un lien : le guide du lavage de la laine",
        minutes=45,
        caption="/ressource, en privé : un lien ou un document, un titre, une description, "
        "un levier et des mots-clés. Modération oblige, la ressource est proposée.",
    )
    await h.say(ines, wool, "/ressource")
    await h.press(ines, wool, "Ouvrir en privé")
    await h.say(ines, None, "https://www.laines-massif-central.fr/guide-lavage.pdf")
    await h.say(ines, None, "Guide du lavage de la laine brute")
    await h.say(ines, None, WASHING)
    await h.press(ines, None, "Soutien au développement économique")
    await h.say(ines, None, "laine brute, lavage, laveries")

    await scene.step(
        "Claire publie la ressource d'Inès",
        minutes=15,
        caption="Sans commande : Publier ou Refuser, sous l'avis reçu en privé ; Inès et le "
        "groupe sont prévenus.",
    )
    await h.press(claire, None, "Publier")

    await scene.step(
        "Jeanne envoie un document : un contrat type éleveurs-filature, que Marc publie",
        minutes=90,
        caption="/ressource : le document transféré au bot, son nom pour titre ; Marc, de "
        "l'équipe d'animation, le publie.",
    )
    await h.say(jeanne, None, "/ressource")
    sb.send_document(
        jeanne,
        None,
        "Contrat type eleveurs-filature.pdf",
        b"%PDF-1.4 contrat type",
        mime="application/pdf",
    )
    await h.flush()
    await h.press(jeanne, None, "Garder")
    await h.say(jeanne, None, CONTRACT)
    await h.press(jeanne, None, "Financement")
    await h.say(jeanne, None, "contrat, prix juste")
    await h.press(marc, None, "Publier")

    await scene.step(
        "Claire coche les actions du guide que la filière a déjà menées",
        minutes=30,
        caption="/boite, « Où en est notre filière » : chaque action du guide avec son « comment "
        "faire » ; l'équipe d'animation la marque à faire, en cours ou faite.",
    )
    await h.say(claire, None, "/boite")
    await h.press(claire, None, "Où en est notre filière")
    await h.press(claire, None, "Animation du collectif")
    await h.press(claire, None, "Mettre en place une charte")
    await h.press(claire, None, "Fait")
    with scene.quietly():
        for levier, action, mark in TICKED:
            await _tick(story, claire, levier, action, mark)
    scene.aside(
        "Claire marque de même cinq actions faites et trois en cours "
        "(cartographie, comités, enquête des besoins, groupes de travail…)."
    )
    await h.say(claire, None, "/boite")
    await h.press(claire, None, "Où en est notre filière")

    await scene.step(
        "Paul cherche qui s'occupe du lavage",
        minutes=60,
        caption="/chercher : ressources, acteurs, décisions et actions ; accents, majuscules et "
        "pluriels ignorés. Dans le groupe, ce qui nomme des personnes reste en privé.",
    )
    await h.say(paul, wool, "/chercher Laines LAVAGE")
    await h.say(paul, None, "/chercher Laines LAVAGE")

    await scene.step(
        "Claire exporte la boîte à outils",
        minutes=10,
        caption="/boite : ressources.csv, toutes les ressources pour un tableur.",
    )
    await h.say(claire, None, "/boite")
    await h.press(claire, None, "Exporter les ressources (CSV)")
    documents = [m.document for m in sb.bot_messages(claire) if m.document]
    name, content, _mime = documents[-1]
    (story.out / name).write_bytes(content)
    story.transcript.capture()


async def _tick(story: Story, user: SandboxUser, levier: str, action: str, mark: str) -> None:
    h = story.harness
    await h.say(user, None, "/boite")
    await h.press(user, None, "Où en est notre filière")
    await h.press(user, None, levier)
    await h.press(user, None, action)
    await h.press(user, None, mark)
