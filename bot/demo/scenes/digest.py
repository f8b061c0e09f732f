"""The collectivité's weekly synthèse and the animator's archive: a subscription code, the
communauté de communes subscribes its group, Monday 9:00 the synthèse goes out with its
chart; then /export. Writes synthese.html, synthese.eml and export.zip."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.demo.story import Story


async def play(story: Story) -> None:
    scene, h = story.scene, story.harness
    claire = story.users["claire"]
    wool = story.groups["wool"]

    await scene.step(
        "Claire prépare un code pour la communauté de communes",
        caption="/resume abonnes en privé : un code d'abonnement valable 7 jours, les abonnés.",
    )
    await h.say(claire, None, "/resume abonnes")
    found = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", h.last(claire).plain)
    assert found is not None
    code = found.group(0)

    agnes = story.user("agnès", "Agnès", last_name="Vidal")
    town = story.group("town", "Com'com Hautes Terres — élus", owner=agnes)
    await h.flush()
    await scene.step(
        "Agnès, chargée de mission à la communauté de communes, abonne le groupe des élus",
        minutes=30,
        caption="/abonner CODE dans le groupe de la collectivité : la synthèse chaque lundi.",
    )
    await h.say(agnes, town, f"/abonner {code}")
    await h.tick()  # the animation team is told

    await scene.step(
        "Claire regarde la synthèse qui partira lundi",
        minutes=10,
        caption="/resume en privé : l'aperçu de la synthèse, sans l'envoyer.",
    )
    await h.say(claire, None, "/resume")

    # Next Monday at 9:00 in the collective's timezone.
    async with h.app.deps.uow() as uow:
        collective = await uow.collectives.by_chat(wool.id)
        assert collective is not None
        tz = ZoneInfo(collective.timezone)
    local = h.clock.now().astimezone(tz)
    monday = local.date() + timedelta(days=(7 - local.weekday()) % 7 or 7)
    slot = datetime.combine(monday, time(9), tzinfo=tz)
    await scene.step(
        "Lundi, 9 h : la synthèse de la semaine arrive chez les élus",
        minutes=0,
        caption="Sans commande : la synthèse et le graphique de participation, envoyés seuls.",
    )
    await h.tick(slot - h.clock.now())
    await h.tick()

    await write_synthese(story, slot)

    await scene.step(
        "Claire exporte l'archive du collectif pour le comité de pilotage",
        minutes=45,
        caption="/export en privé : un ZIP (CSV, XLSX, bilan de la filière, LISEZMOI.txt).",
    )
    await h.say(claire, None, "/export")
    sent = h.last(claire)
    if sent.document is not None:
        (story.out / "export.zip").write_bytes(sent.document[1])


async def write_synthese(story: Story, until: datetime) -> None:
    """synthese.html and synthese.eml, as the e-mail recipients would get them."""
    from email.policy import SMTP

    from bot import mail
    from bot.services import digest as svc
    from bot.texts import render
    from handlers.digest import outputs

    h = story.harness
    async with h.app.deps.uow() as uow:
        collective = await uow.collectives.by_chat(story.groups["wool"].id)
        assert collective is not None
        digest = await svc.build(uow, collective, until)
        out = await outputs(uow, digest, h.clock.now())
        subject = render("digest/mail_subject", collective.language, c=collective, d=digest)
    (story.out / "synthese.html").write_text(out.page, encoding="utf-8")
    message = mail.message(
        sender="synthese@tisserand.example",
        sender_name=collective.title,
        to="elus@hautes-terres.example",
        subject=subject,
        text=out.text,
        html=out.page,
        unsubscribe="animation@filiere-laine.example",
    )
    (story.out / "synthese.eml").write_bytes(message.as_bytes(policy=SMTP))
