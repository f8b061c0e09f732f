"""The first comité de filière: a sondage de date, the announcement and its answers, an ordre du
jour, a recurring groupe de travail, the reminders (with a restart of the bot between two of
them), the minutes with two décisions and three actions, one action done; then the exports
`reunions.ics`, `reunions.csv` and `actions.csv`, written next to the transcript."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.demo.story import Story
from bot.sandbox.core import SandboxUser

# The comité the sondage de date retains, once the needs survey is closed: Thursday
# 14 January 2027, 14 h in Paris.
COMITE = datetime(2027, 1, 14, 13, 0, tzinfo=UTC)


async def play(story: Story) -> None:
    scene, transcript = story.scene, story.transcript
    claire, marc = story.users["claire"], story.users["marc"]
    jeanne, paul, ines = story.users["jeanne"], story.users["paul"], story.users["inès"]
    lucie, amina = story.users["lucie"], story.users["amina"]
    wool = story.groups["wool"]

    await scene.step(
        "Claire propose trois dates pour le premier comité de filière",
        caption="/comite en privé : un sondage de date plutôt qu'une date ; "
        "le groupe voit le tableau.",
    )
    h = story.harness
    await h.say(claire, None, "/comite")
    await h.press(claire, None, "Proposer plusieurs dates")
    await h.press(claire, None, "Comité de filière")
    await h.say(claire, None, "Comité de lancement de la filière")
    for slot in ("14/01/2027 14h", "vendredi 15 janvier 2027 9h30", "18/01/2027 14h"):
        await h.say(claire, None, slot)
    await h.press(claire, None, "C'est tout")
    await h.press(claire, None, "3 h")
    await h.say(
        claire,
        None,
        "Maison de l'ESS, 4 place d'Armes, Saint-Flour\nhttps://visio.example.org/filiere-laine",
    )
    await h.say(
        claire,
        None,
        "Tour de table des acteurs\nRésultats de l'enquête des besoins\nProjet de charte",
    )
    await h.tick()

    await scene.step(
        "Les acteurs répondent au sondage de date, en privé",
        minutes=5,
        caption="/comite, suite : « Répondre » ouvre le privé ; Oui, Si besoin ou Non par date.",
    )
    for user, answers in (
        (jeanne, ("Oui", "Si besoin", "Non")),
        (paul, ("Oui", "Non", "Oui")),
        (ines, ("Si besoin", "Oui", "Non")),
        (lucie, ("Oui", "Oui", "Non")),
        (marc, ("Oui", "Non", "Si besoin")),
    ):
        await h.press(user, wool, "Répondre")
        for value in answers:
            await h.press(user, None, value)
        h.clock.advance(timedelta(minutes=3))
    await h.tick(timedelta(minutes=1))

    await scene.step(
        "Claire regarde le tableau et retient le jeudi 14 janvier",
        minutes=60,
        caption="/reunions : le tableau des réponses ; la date retenue crée et annonce le comité.",
    )
    await h.say(claire, None, "/reunions")
    await h.press(claire, None, "Voir le tableau et choisir")
    await h.press(claire, None, "jeu. 14 janv.")
    await h.tick()

    await scene.step(
        "Les acteurs répondent à l'annonce ; Jeanne l'ajoute à son agenda",
        minutes=20,
        caption="Sans commande : Je viens, Peut-être ou Je ne viens pas ; "
        "un fichier .ics en privé.",
    )
    for user, label in (
        (jeanne, "Je viens"),
        (paul, "Je viens"),
        (marc, "Je viens"),
        (lucie, "Je viens"),
        (ines, "Peut-être"),
        (amina, "Je ne viens pas"),
    ):
        await h.press(user, wool, label)
    await h.press(jeanne, wool, "Ajouter à mon agenda")
    await h.tick(timedelta(minutes=2))

    await scene.step(
        "Paul propose un point pour l'ordre du jour ; Claire l'accepte",
        caption="/odj : un membre propose, l'équipe d'animation accepte ou refuse.",
    )
    await h.say(paul, wool, "/odj")
    await h.press(paul, wool, "Ouvrir en privé")
    await h.say(paul, None, "Mutualiser les tondeurs pour la tonte 2027")
    await h.tick()
    await h.press(claire, None, "Accepter")
    await h.tick(timedelta(minutes=2))

    await scene.step(
        "Un groupe de travail régulier : le premier mardi de chaque mois",
        minutes=10,
        caption="/comite avec une date qui revient : les dates sont créées trois mois à l'avance.",
    )
    await h.say(claire, None, "/comite")
    await h.press(claire, None, "Une date fixée")
    await h.press(claire, None, "Groupe de travail")
    await h.say(claire, None, "Lavage et filature")
    await h.say(claire, None, "5/01/2027 14h")
    await h.press(claire, None, "Oui, c'est bien ça")
    await h.press(claire, None, "Le premier mardi de chaque mois")
    await h.press(claire, None, "2 h")
    await h.say(claire, None, "SCIC Laines d'Auvergne, Saint-Flour")
    await h.press(claire, None, "Pas d'ordre du jour")
    await h.tick()

    await scene.step(
        "Jeudi 7 janvier, 14 h : le rappel « 7 jours avant »",
        caption="Sans commande : le rappel part dans le groupe et en privé à qui vient.",
    )
    h.clock.set(COMITE - timedelta(days=7))
    await h.tick()

    await scene.step(
        "Tisserand redémarre, puis mercredi 13 janvier, 14 h : le rappel « 1 jour avant »",
        caption="Sans commande : les rappels sont en base ; après le redémarrage du serveur, "
        "aucun ne se perd ni ne part deux fois. Celui-ci part à la même heure locale, la veille.",
    )
    await story.restart()
    h = story.harness
    h.clock.set(COMITE - timedelta(days=1))
    await h.tick()
    await scene.step(
        "Jeudi 14 janvier, 12 h : le rappel « 2 h avant »",
        caption="Sans commande : deux heures avant le début.",
    )
    h.clock.set(COMITE - timedelta(hours=2))
    await h.tick()

    await scene.step(
        "Après le comité, Claire fait le compte rendu en privé",
        caption="/cr : le compte rendu, les présences, les décisions et les actions.",
    )
    h.clock.set(COMITE + timedelta(hours=4))
    await h.say(claire, None, "/cr")
    await h.press(claire, None, "Comité de lancement")
    h.sandbox.send_document(
        claire,
        None,
        "compte-rendu-comite-14-janvier.pdf",
        b"%PDF-1.4\n% Compte rendu du comite de lancement de la filiere laine\n",
        mime="application/pdf",
        caption="Le compte rendu du comité",
    )
    await h.flush()
    await h.press(claire, None, "Inès")  # she came after all
    await h.press(claire, None, "Valider")
    await h.say(claire, None, "La filière se dote d'une charte : un projet sera soumis au vote")
    await h.say(claire, None, "La tonte 2027 sera mutualisée entre les éleveurs du Cézallier")
    await h.press(claire, None, "Aucune autre décision")
    for text, porteur, due, levier in (
        ("Rédiger le projet de charte", "Claire", "29/01/2027", "Animation du collectif"),
        ("Organiser le calendrier de tonte 2027", "Paul", "26/02/2027", "Soutien au développement"),
        ("Chercher un local de stockage pour la laine", "Jeanne", "22/01/2027", "Financement"),
    ):
        await h.say(claire, None, text)
        await h.press(claire, None, porteur)
        await h.say(claire, None, due)
        await h.press(claire, None, levier)
    await h.press(claire, None, "Aucune autre action")

    await scene.step(
        "Jeanne a trouvé un local : elle marque son action comme faite",
        minutes=60 * 24,
        caption="/actions : la feuille de route ; le porteur marque son action faite.",
    )
    await h.say(jeanne, None, "/actions")
    await h.press(jeanne, None, "Marquer une action comme faite")
    await h.press(jeanne, None, "Chercher un local")
    await h.say(jeanne, None, "/actions")

    await scene.step(
        "Claire exporte les réunions et la feuille de route",
        caption="/reunions et /actions : les fichiers pour les partenaires.",
    )
    await h.say(claire, None, "/reunions")
    await h.press(claire, None, "Exporter les réunions (CSV)")
    save(story, claire, "reunions.csv")
    await h.press(claire, None, "Toutes les réunions dans mon agenda")
    save(story, claire, "reunions.ics")
    await h.say(claire, None, "/actions")
    await h.press(claire, None, "Exporter les actions (CSV)")
    save(story, claire, "actions.csv")
    transcript.capture()


def save(story: Story, user: SandboxUser, name: str) -> None:
    """Write the file the bot just sent `user` into the demo's folder."""
    sent = next(
        m
        for m in reversed(story.sandbox.bot_messages(user))
        if m.document and m.document[0] == name
    )
    (story.out / name).write_bytes(sent.document[1])
