"""The collective comes together: the bot arrives, /filiere and the setup, one profile in
full, newcomers greeted, the others joining (summed up in a table), roles, « Modifier », a
departure, the annuaire, a second collective, and the journal."""

from __future__ import annotations

from datetime import timedelta

from bot.catalog import familles
from bot.demo.cast import WOOL_ACTORS, Actor
from bot.demo.story import Story
from bot.sandbox.core import SandboxChat, SandboxUser
from bot.transcript import quoted

HEADER = ("Acteur", "Organisation", "Famille", "Maillons", "Commune", "Annuaire")


async def play(story: Story) -> None:
    scene, h = story.scene, story.harness
    claire = story.user("claire", "Claire", last_name="Morel", username="claire_morel")
    marc = story.user("marc", "Marc", last_name="Teyssier", username="marc_t")
    users = [
        story.user(a.first_name.lower(), a.first_name, last_name=a.last_name) for a in WOOL_ACTORS
    ]
    jeanne, paul, ines, hugo, sophie = users[0], users[1], users[2], users[5], users[7]
    nadia = story.user("nadia", "Nadia", last_name="Brunet", username="nadia_alim")

    await scene.step(
        "Tisserand arrive dans le groupe de la filière laine",
        caption="Claire ajoute le bot à son groupe Telegram ; /aide dit ce qu'il peut y faire.",
    )
    wool = story.group("wool", "Filière laine Cantal", owner=claire, members=[marc])
    await h.flush()
    await h.say(claire, wool, "/aide")

    await scene.step(
        "Claire crée le collectif",
        caption="/filiere dans le groupe, puis la création en privé : une question à la fois.",
    )
    await scene.register(
        claire,
        wool,
        {
            "name": "Filière laine du Cantal",
            "territoire": "Cantal et Cézallier",
            "vision": "Chaîne de valeur",
        },
    )

    await scene.step(
        "Claire remplit son profil : les questions de chaque acteur",
        caption="En privé, après la création ; chaque acteur qui tape /rejoindre reçoit les "
        "mêmes questions.",
    )
    await scene.onboard(
        claire,
        Actor("Claire", "Morel", "Pôle ESS du Cantal", "Réseau", (), "Saint-Flour"),
        via_group=None,
    )

    await scene.step(
        "Des acteurs arrivent dans le groupe : Tisserand les accueille",
        minutes=25,
        caption="Un message pour plusieurs arrivées, avec le bouton pour rejoindre le collectif "
        "(/filiere puis « Modifier » pour ne plus accueillir).",
    )
    story.sandbox.add_members(claire, wool, [jeanne, paul, ines])
    await h.flush()

    await scene.step(
        "Les acteurs rejoignent le collectif",
        minutes=5,
        caption="/rejoindre dans le groupe, ou le bouton de l'accueil : les mêmes questions "
        "que Claire, en privé.",
    )
    await h.say(marc, wool, "/rejoindre")
    marc_actor = Actor(
        "Marc", "Teyssier", "Communauté de communes Hautes Terres", "Collectivité", (), "Murat"
    )
    joined: list[tuple[SandboxUser, Actor]] = [(marc, marc_actor)]
    with scene.quietly():
        await h.press(marc, wool, "Rejoindre en privé")
        await scene.onboard(marc, marc_actor, via_group=None)
        for user, actor in zip(users[:3], WOOL_ACTORS[:3], strict=True):
            h.clock.advance(timedelta(minutes=7))
            await h.press(user, wool, "Rejoindre en privé")
            await scene.onboard(user, actor, via_group=None)
            joined.append((user, actor))
        h.clock.advance(timedelta(minutes=30))
        story.sandbox.add_members(claire, wool, users[3:])
        await h.flush()
        for user, actor in zip(users[3:], WOOL_ACTORS[3:], strict=True):
            h.clock.advance(timedelta(minutes=7))
            await scene.onboard(user, actor, via_group=wool)
            joined.append((user, actor))
    scene.aside(
        "Marc touche « Rejoindre en privé » et répond aux questions, comme Claire. "
        "Karim, Lucie, Hugo, Amina et Sophie arrivent dans le groupe un peu plus tard."
    )
    scene.table(
        f"{len(joined)} acteurs rejoignent ainsi le collectif :",
        HEADER,
        await _rows(story, wool, [user for user, _ in joined]),
    )

    await scene.step(
        "Marc rejoint l'équipe d'animation",
        minutes=20,
        caption="/role, en privé : Claire choisit Marc et lui donne un rôle ; Marc en est prévenu.",
    )
    await h.say(claire, None, "/role")
    await h.press(claire, None, "Marc Teyssier")
    await h.press(claire, None, "Équipe d'animation")

    await scene.step(
        "Claire ajoute un maillon à la chaîne de valeur",
        caption="/filière (l'accent est compris) affiche la fiche ; « Modifier en privé » ouvre "
        "les réglages.",
    )
    await h.say(claire, wool, "/filière")
    await h.press(claire, wool, "Modifier en privé")
    await h.press(claire, None, "Les maillons")
    await h.press(claire, None, "Ajouter un maillon")
    await h.say(claire, None, "Collecte et tri")
    await h.press(claire, None, "Après " + quoted("Tonte"))
    await h.press(claire, None, "Terminé")

    await scene.step(
        "Hugo quitte le groupe Telegram",
        minutes=60,
        caption="Sans commande, dans Telegram : quitter le groupe, c'est quitter le collectif ; "
        "Tisserand le dit à Hugo en privé, et le journal le note.",
    )
    await h.leave(hugo, wool)

    await scene.step(
        "Paul consulte l'annuaire",
        caption="/annuaire dans le groupe ouvre l'annuaire en privé : les noms et les communes "
        "restent entre membres.",
    )
    await h.say(paul, wool, "/annuaire")
    await h.press(paul, wool, "Ouvrir en privé")

    await scene.step(
        "Un second collectif, l'alimentation durable",
        caption="Nadia crée un écosystème d'acteurs avec /filiere : des thèmes plutôt que des "
        "maillons.",
    )
    food = story.group("food", "Alimentation durable Saint-Flour", owner=nadia, members=[sophie])
    await h.flush()
    await scene.register(
        nadia,
        food,
        {
            "name": "Alimentation durable Saint-Flour",
            "territoire": "Saint-Flour Communauté",
            "vision": "Écosystème d'acteurs",
            "maillons": "Production, Restauration collective, Sensibilisation",
        },
    )
    await h.say(nadia, None, "Saint-Flour Communauté")
    scene.aside("Nadia s'arrête là pour aujourd'hui : la question suivante l'attendra.")
    with scene.quietly():
        cress = WOOL_ACTORS[7]
        await scene.onboard(
            sophie,
            Actor(
                cress.first_name,
                cress.last_name,
                cress.organisation,
                cress.famille,
                ("Restauration collective",),
                cress.commune,
            ),
            via_group=food,
        )
    scene.aside(
        "Sophie, de la CRESS, rejoint aussi ce collectif : elle fait partie des deux, et /moi "
        "lui propose de passer de l'un à l'autre."
    )

    await scene.step(
        "Le lendemain, Nadia termine son profil",
        minutes=22 * 60,
        caption="Sans commande : la question de la veille attendait ; Nadia y répond et "
        "continue (les thèmes se cochent, puis « Valider »).",
    )
    await h.press(nadia, None, "Collectivité")
    await h.press(nadia, None, "Production")
    await h.press(nadia, None, "Sensibilisation")
    await h.press(nadia, None, "Valider")
    await h.say(nadia, None, "Saint-Flour")
    await h.press(nadia, None, "Oui, m'afficher")

    await scene.step(
        "Claire lit le journal du collectif",
        caption="/journal, en privé, pour l'équipe d'animation : arrivées, rôles, modifications, "
        "départs.",
    )
    await h.say(claire, None, "/journal")
    story.transcript.capture()


async def _rows(story: Story, group: SandboxChat, people: list[SandboxUser]) -> list[list[str]]:
    """Who joined, as the collective stored it."""
    rows: list[list[str]] = []
    async with story.harness.app.deps.uow() as uow:
        collective = await uow.collectives.by_chat(group.id)
        assert collective is not None
        names = {m.id: m.name for m in collective.maillons}
        for user in people:
            person = await uow.people.by_telegram_id(user.id)
            member = await uow.memberships.get(collective.id, person.id) if person else None
            if person is None or member is None:
                continue
            famille = familles().get(member.famille or "")
            rows.append(
                [
                    person.display_name,
                    member.organisation or "—",
                    famille.label("fr") if famille else "—",
                    ", ".join(names[i] for i in member.maillon_ids if i in names) or "—",
                    member.commune or "—",
                    "oui" if member.directory_consent else "non",
                ]
            )
    return rows
