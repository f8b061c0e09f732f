"""The charter and the decisions: the charter adopted by consent after an objection, an
amendment and a second round, then signed; a majority judgment to name the lieu totem; colleges
and a majority vote by colleges with a proxy. Writes charte.md, charte.html and vote-*.csv."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.demo.story import Story
from bot.sandbox.core import SandboxUser

GOVERNANCE = (
    "La filière se réunit en comité de filière au moins trois fois par an, à tour de rôle "
    "à Murat, Saint-Flour et Allanche. Les décisions qui engagent le collectif sont prises par "
    "consentement lorsque c'est possible, sinon par vote, selon les règles du collectif. "
    "L'équipe d'animation prépare les décisions et en rend compte."
)
TOTEM_NAMES = ("La Grange aux laines", "L'Atelier des Estives", "La Filature du Cézallier")
PAYMENT = (
    "Les signataires s'engagent à construire des relations commerciales justes et durables : "
    "des volumes annoncés à l'avance et respectés, des prix qui couvrent les coûts de "
    "production et rémunèrent le travail de chacun, un paiement à 15 jours au plus pour les "
    "éleveurs et les tondeurs. Ils tiennent compte des contraintes de chaque métier."
)


async def play(story: Story) -> None:
    scene, h, sb = story.scene, story.harness, story.sandbox
    wool = story.groups["wool"]
    claire, marc = story.users["claire"], story.users["marc"]
    jeanne, paul, ines, karim = (story.users[k] for k in ("jeanne", "paul", "inès", "karim"))
    lucie, amina, sophie = (story.users[k] for k in ("lucie", "amina", "sophie"))
    members = [claire, marc, jeanne, paul, ines, karim, lucie, amina, sophie]

    async def follow(user: SandboxUser) -> None:
        """The client opens the private chat the button's answer points to."""
        answers = [a for a in sb.callback_answers.values() if a["user_id"] == user.id]
        await h.open_link(user, answers[-1]["url"])

    async def until(when: timedelta) -> None:
        await h.tick(when)

    # --- the charter
    await scene.step(
        "Claire charge le modèle de charte et ajuste l'article sur la gouvernance",
        caption="/charte en privé : le modèle de charte de filière, article par article.",
    )
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Charger le modèle de charte")
    await h.press(claire, None, "Modifier un article")
    await h.press(claire, None, "3. Gouvernance")
    await h.press(claire, None, "Modifier cet article")
    await h.press(claire, None, "Garder ce titre")
    await h.say(claire, None, GOVERNANCE)

    await scene.step(
        "Claire publie le projet de charte dans le groupe",
        minutes=20,
        caption="/charte : le projet publié dans le groupe, à lire avant le vote.",
    )
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Publier le projet dans le groupe")

    await scene.step(
        "Le projet rédigé, Claire marque son action du comité comme faite",
        caption="/actions : le porteur marque son action faite, avant son échéance.",
    )
    await h.say(claire, None, "/actions")
    await h.press(claire, None, "Marquer une action comme faite")
    await h.press(claire, None, "Rédiger le projet de charte")

    await scene.step(
        "Claire met la charte au vote, par consentement, jusqu'à jeudi 18 h",
        caption="/vote : la méthode, la clôture, secret ou public ; les boutons dans le groupe.",
    )
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Mettre la charte au vote")
    for label in ("Consentement", "En direct", "Non, vote définitif", "Pas de quorum"):
        await h.press(claire, None, label)
    await h.say(claire, None, "jeudi 18h")
    await h.press(claire, None, "Ouvrir le vote")
    await until(timedelta(minutes=1))

    await scene.step(
        "Les membres répondent ; Paul fait une objection, motivée en privé",
        minutes=60,
        caption="Sans commande : Pas d'objection, Objection (motivée en privé) ou Je m'abstiens.",
    )
    for user in (jeanne, ines, lucie, amina, sophie, marc, claire):
        await h.press(user, wool, "Pas d'objection")
    await h.press(karim, wool, "Je m'abstiens")
    await h.press(paul, wool, "Objection")
    await follow(paul)
    await h.say(
        paul,
        None,
        "Les délais de paiement ne sont pas précisés : à 60 jours, les tondeurs ne tiennent pas.",
    )
    await until(timedelta(minutes=2))

    await scene.step(
        "Paul propose un amendement à l'article 4",
        minutes=30,
        caption="/amender : la nouvelle rédaction et sa raison, pour l'équipe d'animation.",
    )
    await h.say(paul, None, "/amender")
    await h.press(paul, None, "4. Engagements réciproques")
    await h.say(paul, None, PAYMENT)
    await h.say(paul, None, "Un paiement rapide fait vivre les petits ateliers et les éleveurs.")
    await until(timedelta(minutes=1))

    await scene.step(
        "Jeudi 18 h : le premier tour se clôt sur l'objection de Paul",
        caption="Sans commande : le résultat en clair dans le groupe ; l'objection va à l'équipe.",
    )
    vote_close = _next_weekday(h.clock.now(), 3, 17)  # jeudi 18 h à Paris (17 h UTC)
    await until(vote_close - h.clock.now() + timedelta(seconds=30))
    await until(timedelta(minutes=1))

    await scene.step(
        "Claire intègre l'amendement de Paul, puis ouvre un second tour",
        minutes=15,
        caption="/charte : l'amendement intégré ; un second tour, numéroté et gardé.",
    )
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Amendements en attente (1)")
    await h.press(claire, None, "Intégrer au projet")
    await h.say(claire, None, "/decisions")
    await h.press(claire, None, "Adoption de la charte")
    await h.press(claire, None, "Ouvrir un nouveau tour")
    await h.say(claire, None, "lundi 18h")
    await until(timedelta(minutes=1))

    await scene.step(
        "Second tour : plus d'objection",
        minutes=90,
        caption="Sans commande : la clôture du second tour.",
    )
    for user in members:
        await h.press(user, wool, "Pas d'objection")
    await until(_next_weekday(h.clock.now(), 0, 17) - h.clock.now() + timedelta(seconds=30))
    await until(timedelta(minutes=1))

    await scene.step(
        "La charte est adoptée et épinglée : les acteurs la signent",
        minutes=30,
        caption="/signer : la signature au nom de son organisation, pour cette version.",
    )
    await h.say(jeanne, None, "/signer")
    await h.press(jeanne, None, "Garder")
    await h.press(jeanne, None, "Je signe la version 1")
    await h.say(paul, wool, "/signer")
    await h.press(paul, wool, "Ouvrir en privé")
    await h.say(paul, None, "Association des Tondeurs du Cézallier")
    await h.press(paul, None, "Je signe la version 1")
    for user in (ines, claire, sophie):
        # Sophie is in two collectives: from the wool group, /signer knows which one.
        await h.say(user, wool, "/signer")
        await h.press(user, wool, "Ouvrir en privé")
        await h.press(user, None, "Garder")
        await h.press(user, None, "Je signe la version 1")
    await h.say(lucie, wool, "/charte")

    # --- majority judgment for the lieu totem
    await scene.step(
        "Un jugement majoritaire pour nommer le lieu totem de la filière",
        minutes=60,
        caption="/vote → jugement majoritaire : chaque nom reçoit une mention, en privé.",
    )
    await h.say(claire, None, "/vote Quel nom pour le lieu totem de la filière ?")
    await h.press(claire, None, "Jugement majoritaire")
    await h.say(claire, None, "\n".join(TOTEM_NAMES))
    await h.press(claire, None, "À bulletin secret")
    await h.press(claire, None, "Pas de quorum")
    await h.say(claire, None, "samedi 12h")
    await h.press(claire, None, "Ouvrir le vote")
    await until(timedelta(minutes=1))
    grades = [
        (jeanne, ("Très bien", "Bien", "Assez bien")),
        (paul, ("Bien", "Excellent", "Passable")),
        (ines, ("Assez bien", "Bien", "Très bien")),
        (karim, ("Très bien", "Assez bien", "Bien")),
        (lucie, ("Bien", "Très bien", "Insuffisant")),
        (sophie, ("Excellent", "Bien", "Passable")),
        (claire, ("Bien", "Bien", "Assez bien")),
    ]
    for user, chosen in grades:
        await h.press(user, wool, "Voter (en privé)")
        await follow(user)
        for grade in chosen:
            await h.press(user, None, grade)
        await h.press(user, None, "Valider mon vote")
    await until(_next_weekday(h.clock.now(), 5, 11) - h.clock.now() + timedelta(seconds=30))

    # --- colleges, and a majority vote by colleges with a proxy
    await scene.step(
        "Claire définit des collèges, comme dans une SCIC, et y place les membres",
        caption="/vote → collèges : leur poids, puis une question par membre.",
    )
    await h.say(claire, None, "/decisions")
    await h.press(claire, None, "Collèges et procurations")
    await h.press(claire, None, "Définir les collèges")
    await h.say(
        claire,
        None,
        "Producteurs 40\nTransformateurs 30\nAccompagnement et financement 20\nCollectivités 10",
    )
    await h.press(claire, None, "Répartir les membres")
    # One question per member, in the order they joined.
    placement = (
        "Accompagnement",  # Claire, Pôle ESS
        "Collectivités",  # Marc, communauté de communes
        "Producteurs",  # Jeanne, GAEC des Estives
        "Producteurs",  # Paul, tondeurs
        "Transformateurs",  # Inès, SCIC Laines d'Auvergne
        "Transformateurs",  # Karim, Atelier Fil & Trame
        "Producteurs",  # Lucie, lycée agricole (élevage)
        "Accompagnement",  # Amina, France Active
        "Accompagnement",  # Sophie, CRESS
        "Transformateurs",  # Hugo, Boutique Laine & Co (back since the survey)
    )
    for college in placement:
        await h.press(claire, None, college)

    await scene.step(
        "Un vote à la majorité par collège : investir dans une laverie commune ?",
        caption="/vote : majorité pondérée par collège, quorum par collège.",
    )
    await h.say(claire, None, "/vote Investir dans une laverie de laine mutualisée ?")
    for label in ("Majorité", "Plus de la moitié", "Vote public", "En direct"):
        await h.press(claire, None, label)
    await h.press(claire, None, "Non, vote définitif")
    await h.press(claire, None, "Par collège")
    await h.say(claire, None, "50")
    await h.say(claire, None, "mercredi 18h")
    await h.press(claire, None, "Ouvrir le vote")
    await until(timedelta(minutes=1))

    await scene.step(
        "Lucie, en formation, donne procuration à Jeanne en répondant à son message",
        caption="/procuration, en réponse à un message de Jeanne.",
    )
    sb.send_text(jeanne, wool, "Je serai à la réunion de mercredi pour la laverie.")
    await h.flush()
    asked = [m for m in sb.messages(wool) if m.from_id == jeanne.id][-1]
    await h.say(lucie, wool, "/procuration", reply_to=asked.message_id)
    await until(timedelta(minutes=1))
    await h.press(jeanne, None, "Voter pour Lucie Martin")
    await h.press(jeanne, None, "Pour")

    await scene.step(
        "Les membres votent ; le résultat se lit collège par collège",
        minutes=45,
        caption="Sans commande : Jeanne vote deux fois, pour elle et pour Lucie.",
    )
    ballots = [
        (jeanne, "Pour"),
        (paul, "Contre"),
        (ines, "Pour"),
        (karim, "Pour"),
        (claire, "Pour"),
        (amina, "Abstention"),
        (sophie, "Contre"),
        (marc, "Pour"),
    ]
    for user, choice in ballots:
        await h.press(user, wool, choice)
    await until(_next_weekday(h.clock.now(), 2, 17) - h.clock.now() + timedelta(seconds=30))
    await until(timedelta(minutes=1))

    # --- the exports
    await scene.step(
        "Claire exporte la charte et les résultats des votes",
        minutes=10,
        caption="/charte et /vote : charte.md, charte.html et un CSV par vote.",
    )
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Exporter (charte.md, charte.html)")
    _save(story, claire, 2)
    await h.say(claire, None, "/decisions")
    for title in ("Adoption de la charte", "Quel nom pour le lieu totem", "Investir dans"):
        await h.press(claire, None, title)
        await h.press(claire, None, "Exporter (CSV)")
        _save(story, claire, 1)
        await h.press(claire, None, "◀ Toutes les décisions")
    story.transcript.capture()


def _save(story: Story, user: SandboxUser, count: int) -> None:
    """Write the last `count` documents the bot sent `user` into the demo's folder."""
    documents = [m.document for m in story.sandbox.bot_messages(user) if m.document]
    for name, content, _mime in documents[-count:]:
        (story.out / name).write_bytes(content)


def _next_weekday(now: datetime, weekday: int, hour_utc: int) -> datetime:
    """The next given weekday (0 = Monday) at `hour_utc`, after `now`."""
    days = (weekday - now.weekday()) % 7
    moment = (now + timedelta(days=days)).replace(hour=hour_utc, minute=0, second=0)
    return moment if moment > now else moment + timedelta(days=7)
