"""The collective comes together: registration, the actors join, roles, a departure, the
annuaire and the journal."""

from __future__ import annotations

from datetime import timedelta

from bot.demo.cast import WOOL_ACTORS, Actor
from bot.demo.story import Story


async def play(story: Story) -> None:
    scene, h, transcript = story.scene, story.harness, story.transcript
    claire = story.user("claire", "Claire", last_name="Morel", username="claire_morel")
    marc = story.user("marc", "Marc", last_name="Teyssier", username="marc_t")
    users = [
        story.user(a.first_name.lower(), a.first_name, last_name=a.last_name) for a in WOOL_ACTORS
    ]
    nadia = story.user("nadia", "Nadia", last_name="Brunet", username="nadia_alim")

    await scene.step("Claire crée le groupe de la filière laine et y ajoute Tisserand")
    wool = story.group("wool", "Filière laine Cantal", owner=claire, members=[marc, *users])
    await h.flush()
    await h.say(claire, wool, "/aide")

    await scene.step("Claire fait du groupe un collectif : /filiere, puis la création en privé")
    await scene.register(
        claire,
        wool,
        {
            "name": "Filière laine du Cantal",
            "territoire": "Cantal et Cézallier",
            "vision": "Chaîne de valeur",
        },
    )
    await scene.onboard(
        claire,
        Actor("Claire", "Morel", "Pôle ESS du Cantal", "Réseau", (), "Saint-Flour"),
        via_group=None,
    )
    await scene.onboard(
        marc,
        Actor(
            "Marc", "Teyssier", "Communauté de communes Hautes Terres", "Collectivité", (), "Murat"
        ),
        via_group=wool,
    )

    await scene.step("Huit acteurs rejoignent le collectif avec /rejoindre", minutes=30)
    for user, actor in zip(users, WOOL_ACTORS, strict=True):
        await scene.onboard(user, actor, via_group=wool)
        h.clock.advance(timedelta(minutes=7))

    await scene.step("Un second collectif, alimentation durable, dont la CRESS fait aussi partie")
    food = story.group("food", "Alimentation durable Saint-Flour", owner=nadia, members=[users[7]])
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
    sophie, cress = users[7], WOOL_ACTORS[7]
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
    await h.say(sophie, None, "/moi")

    await scene.step("Claire nomme Marc co-animateur avec /role")
    await h.say(claire, None, "/role")
    await h.press(claire, None, "Marc Teyssier")
    await h.press(claire, None, "Équipe d'animation")

    await scene.step("Hugo quitte le groupe Telegram : il quitte aussi le collectif", minutes=60)
    await h.leave(users[5], wool)

    await scene.step("Paul consulte l'annuaire : il s'ouvre en privé")
    await h.say(users[1], wool, "/annuaire")
    await h.press(users[1], wool, "Ouvrir en privé")

    await scene.step("Claire lit le journal du collectif, en privé")
    await h.say(claire, None, "/journal")
    transcript.capture()
