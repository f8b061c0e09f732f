"""The charter through the bot: the template, editing in private, the draft in the group,
amendments merged, declined or voted, adoption published and pinned, versions, signatures
and invitations to sign again, the exports charte.md and charte.html."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from storage.models import CharterAmendment, CharterArticle, CharterSignature, CharterVersion
from tests.bot.votes_helpers import collective_with, follow, plain, read_journal, toast
from tests.helpers import collective_of

DAY = timedelta(days=1)


async def load(h: Harness, claire: SandboxUser) -> None:
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Charger le modèle de charte")


async def put_to_vote(h: Harness, claire: SandboxUser, *, method: str = "Consentement") -> None:
    """From /charte (or the amendment's buttons): the setup questions, then the group post."""
    await h.press(claire, None, method)
    if method == "Majorité":
        await h.press(claire, None, "Plus de la moitié")
        await h.press(claire, None, "Vote public")
    await h.press(claire, None, "À la clôture")
    await h.press(claire, None, "Non, vote définitif")
    await h.press(claire, None, "Pas de quorum")
    await h.say(claire, None, "demain 18h")
    await h.press(claire, None, "Ouvrir le vote")
    await h.tick(timedelta(seconds=1))


async def adopt(
    h: Harness, claire: SandboxUser, group: SandboxChat, voters: list[SandboxUser]
) -> None:
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Mettre la charte au vote")
    await put_to_vote(h, claire)
    for user in voters:
        await h.press(user, group, "Pas d'objection")
    await h.tick(2 * DAY)


async def rows(h: Harness, model: type) -> list:  # type: ignore[type-arg]
    async with h.app.deps.uow() as uow:
        return list(await uow.session.scalars(select(model).order_by(model.id)))


async def test_the_team_loads_edits_and_publishes_the_draft(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await h.say(users[0], None, "/charte")
    assert "Pas encore de charte" in h.last(users[0]).plain
    assert h.last(users[0]).buttons == []
    await h.say(users[0], None, "/amender")
    assert "n'a pas encore de charte" in plain(h.last(users[0]).plain)
    await load(h, claire)
    collective = await collective_of(h, group)
    h.sandbox.press_data(claire, None, h.last(claire).message_id, f"1|chl|{collective.id}")
    await h.flush()
    assert "La charte existe déjà" in toast(h, claire)
    articles = await rows(h, CharterArticle)
    assert [a.title for a in articles] == [
        "Objet",
        "Valeurs partagées",
        "Gouvernance",
        "Engagements réciproques",
        "Transparence et partage de l'information",
        "Coopération et ancrage territorial",
        "Adhésion et retrait",
    ]
    text = plain("\n".join(h.bot_texts(claire)[-2:]))
    assert "Charte de la filière laine du Cantal" in text
    assert "Brouillon : projet de charte, pas encore adopté." in text
    await h.press(claire, None, "Modifier un article")
    await h.press(claire, None, "3. Gouvernance")
    await h.press(claire, None, "Modifier cet article")
    await h.press(claire, None, "Garder ce titre")
    await h.say(claire, None, "Le comité de filière se réunit trois fois par an, à tour de rôle.")
    assert "trois fois par an" in h.last(claire).plain
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Modifier un article")
    await h.press(claire, None, "Ajouter un article")
    await h.say(claire, None, "Évolution de la charte")
    await h.say(claire, None, "La charte évolue par amendement, voté par les membres.")
    assert [a.title for a in await rows(h, CharterArticle)][-1] == "Évolution de la charte"
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Publier le projet dans le groupe")
    assert "Le projet de charte est publié" in h.last(claire).plain
    posted = plain(h.last(group).plain)
    assert "Projet de charte — Charte de la filière laine du Cantal" in posted
    assert "Article 3 — Gouvernance\nLe comité de filière se réunit trois fois par an" in posted
    assert "Article 8 — Évolution de la charte" in posted
    assert "/amender" in posted
    journal = await read_journal(h, claire)
    assert "Claire Morel modifie l'article 3 de la charte (Gouvernance)" in journal
    assert "Claire Morel publie le projet de charte dans le groupe" in journal
    # Fifteen articles at most.
    for number in range(9, 16):
        await h.say(claire, None, "/charte")
        await h.press(claire, None, "Modifier un article")
        await h.press(claire, None, "Ajouter un article")
        await h.say(claire, None, f"Article en plus {number}")
        await h.say(claire, None, "Un texte.")
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Modifier un article")
    await h.press(claire, None, "Ajouter un article")
    assert "15 articles au plus" in toast(h, claire)
    assert len(await rows(h, CharterArticle)) == 15


async def test_amendments_are_merged_or_declined_with_a_reason(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 2)
    await load(h, claire)
    await h.say(users[0], group, "/amender")
    await h.press(users[0], group, "Ouvrir en privé")
    await h.press(users[0], None, "4. Engagements réciproques")
    await h.say(users[0], None, "Des prix justes, revus ensemble chaque année.")
    await h.say(users[0], None, "Pour que les prix suivent les coûts.")
    assert "votre amendement à l'article 4 est enregistré" in h.last(users[0]).plain
    await h.say(users[1], None, "/amender")
    await h.press(users[1], None, "1. Objet")
    await h.say(users[1], None, "Un objet plus court.")
    await h.say(users[1], None, "Plus lisible.")
    await h.tick()
    # One notice per amendment; the two due notices may go out in either order.
    notices = [plain(m.plain) for m in h.sandbox.bot_messages(claire)[-2:]]
    assert sorted(n[: n.index(" de la charte")] for n in notices) == [
        "📜 Nouvel amendement à l'article 1",
        "📜 Nouvel amendement à l'article 4",
    ], notices
    await h.press(claire, None, "Voir les amendements")  # the newest notice's button
    texts = h.sandbox.bot_messages(claire)
    amendments = [m for m in texts if "Amendement à l'article" in m.plain]
    assert len(amendments) >= 2
    merged = amendments[-2].message_id
    await h.press(claire, None, "Intégrer au projet", message_id=merged)
    edited = next(m for m in h.sandbox.bot_messages(claire) if m.message_id == merged)
    assert "L'amendement est intégré à l'article 4" in edited.plain
    await h.press(claire, None, "Ne pas retenir", message_id=amendments[-1].message_id)
    await h.say(claire, None, "L'objet actuel reprend les mots du guide.")
    assert "n'est pas retenu" in h.last(claire).plain
    await h.tick()
    assert "est intégré au projet" in h.last(users[0]).plain
    assert "reprend les mots du guide" in h.last(users[1]).plain
    articles = await rows(h, CharterArticle)
    assert articles[3].body == "Des prix justes, revus ensemble chaque année."
    notice = next(m for m in h.sandbox.bot_messages(claire) if "Nouvel amendement" in m.plain)
    await h.press(claire, None, "Voir les amendements", message_id=notice.message_id)
    assert "Aucun amendement en attente" in h.last(claire).plain
    journal = await read_journal(h, claire)
    assert "Acteur0 Test propose un amendement à l'article 4 de la charte" in journal
    assert "Claire Morel intègre l'amendement d'Acteur0 Test à l'article 4" in journal
    assert "Claire Morel ne retient pas l'amendement d'Acteur1 Test à l'article 1" in journal
    assert [a.status for a in await rows(h, CharterAmendment)] == ["merged", "declined"]
    declined = (await rows(h, CharterAmendment))[1]
    h.sandbox.press_data(claire, None, amendments[-1].message_id, f"1|camm|{declined.id}")
    await h.flush()  # a button kept from before: the amendment was dealt with
    assert "Cet amendement est déjà traité (non retenu)" in plain(toast(h, claire))


async def test_adoption_is_published_pinned_then_signed(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 2)
    await load(h, claire)
    await h.say(users[0], None, "/signer")
    assert "La charte n'est pas encore adoptée" in h.last(users[0]).plain
    await adopt(h, claire, group, [claire, *users])
    messages = h.sandbox.bot_messages(group)
    assert "La charte est adoptée." in messages[-2].plain
    published = messages[-1]
    assert "Charte adoptée — version 1" in published.plain and published.pinned
    assert h.sandbox.chat(group.id).pinned == [published.message_id]
    versions = await rows(h, CharterVersion)
    assert [(v.number, v.pin) for v in versions] == [(1, "pinned")]
    await h.say(users[0], group, "/charte")
    shown = plain(h.last(group).plain)
    assert "Adoptée : version 1, du" in shown and "Signataires de la version 1" in shown
    await h.say(users[0], None, "/signer")
    await h.say(users[0], None, "GAEC des Estives")
    assert "pour « GAEC des Estives »" in plain(h.last(users[0]).plain)
    await h.press(users[0], None, "Je signe la version 1")
    assert "Vous avez signé la version 1 de la charte" in plain(h.last(users[0]).plain)
    assert "Acteur0 Test signe la charte (version 1)" in plain(h.last(group).plain)
    signatures = await rows(h, CharterSignature)
    assert [(s.organisation, s.signed_at) for s in signatures] == [
        ("GAEC des Estives", h.clock.now())
    ]
    await h.say(users[0], None, "/signer")
    assert "Vous avez déjà signé la version 1" in plain(h.last(users[0]).plain)
    await h.say(users[1], group, "/signer")
    assert "La signature se fait en privé" in h.last(group).plain
    collective = await collective_of(h, group)
    h.sandbox.press_data(claire, None, h.last(claire).message_id, f"1|cvt|{collective.id}")
    await h.flush()
    assert toast(h, claire).startswith("La charte est adoptée : elle ne change plus")
    await h.say(users[1], None, "/charte")
    text = plain("\n".join(h.bot_texts(users[1])[-2:]))
    assert "Signataires de la version 1 (1) :\n• Acteur0 Test — GAEC des Estives" in text
    await h.say(claire, None, "/decisions")
    await h.press(claire, None, "Adoption de la charte")
    assert "• Tour n° 1 : proposition adoptée — 3 votants sur 3" in plain(h.last(claire).plain)
    journal = await read_journal(h, claire)
    for line in (
        "charge le modèle de charte",
        "La charte est adoptée : version 1",
        "Vote clos — « Adoption de la charte » : proposition adoptée (3 votants sur 3)",
        "Acteur0 Test signe la charte (version 1) pour « GAEC des Estives »",
    ):
        assert line in journal


async def test_without_the_pin_right_the_team_is_told(harness: Harness) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    h.sandbox.set_bot_admin(group, True, rights={"can_pin_messages": False})
    await h.flush()
    await load(h, claire)
    await adopt(h, claire, group, [claire, *users])
    assert "Charte adoptée — version 1" in h.last(group).plain
    assert not h.last(group).pinned
    assert [v.pin for v in await rows(h, CharterVersion)] == ["missing_right"]
    await h.tick()
    told = plain(h.last(claire).plain)
    assert "je n'ai pas pu l'épingler : il me manque le droit d'épingler des messages" in told


async def test_an_amendment_voted_makes_version_2_and_earlier_signatories_are_invited(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await collective_with(h, 2)
    await load(h, claire)
    await adopt(h, claire, group, [claire, *users])
    await h.say(users[0], None, "/signer")
    await h.press(users[0], None, "Garder")
    await h.press(users[0], None, "Je signe la version 1")
    # The adopted charter changes only by a vote.
    await h.say(claire, None, "/charte")
    assert ["Modifier un article"] not in h.last(claire).buttons
    await h.say(users[1], None, "/amender")
    await h.press(users[1], None, "3. Gouvernance")
    await h.say(users[1], None, "Le comité de filière se réunit chaque trimestre.")
    await h.say(users[1], None, "Deux fois par an, c'est trop peu.")
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Amendements en attente (1)")
    assert ["Intégrer au projet"] not in h.last(claire).buttons
    await h.press(claire, None, "Mettre au vote")
    await put_to_vote(h, claire, method="Majorité")
    await h.say(users[1], None, "/signer")  # starts signing version 1…
    assert "Amendement à l'article 3 — Gouvernance" in h.last(group).plain
    for user in (claire, *users):
        await h.press(user, group, "Pour")
    await h.tick(2 * DAY)
    messages = h.sandbox.bot_messages(group)
    assert "L'amendement est adopté." in messages[-2].plain
    assert "Charte adoptée — version 2" in messages[-1].plain and messages[-1].pinned
    assert "chaque trimestre" in messages[-1].plain
    invitation = h.last(users[0])
    assert "la version 2 a été adoptée" in invitation.plain
    assert "Vous aviez signé la version 1" in invitation.plain
    assert h.last(users[1]).plain.find("la version 2 a été adoptée") == -1
    await h.press(users[1], None, "Garder")  # … but version 2 is adopted meanwhile
    assert "Une nouvelle version de la charte vient d'être adoptée" in toast(h, users[1])
    await h.press(users[0], None, "✍️ Signer la version 2")
    await h.press(users[0], None, "Garder")
    await h.press(users[0], None, "Je signe la version 2")
    versions = {v.id: v.number for v in await rows(h, CharterVersion)}
    signed = [(versions[s.version_id], s.organisation) for s in await rows(h, CharterSignature)]
    assert signed == [(1, "Organisation 0"), (2, "Organisation 0")]


async def test_the_text_is_locked_during_a_round_and_an_article_can_be_voted(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await load(h, claire)
    await h.press(claire, None, "Modifier un article")
    await h.press(claire, None, "2. Valeurs partagées")
    await h.press(claire, None, "Mettre cet article au vote")
    await put_to_vote(h, claire)
    assert "Article 2 de la charte — Valeurs partagées" in h.last(group).plain
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Mettre la charte au vote")
    await put_to_vote(h, claire)
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Modifier un article")
    assert "son texte ne change pas pendant un tour de vote" in plain(toast(h, claire))
    collective = await collective_of(h, group)
    h.sandbox.press_data(claire, None, h.last(claire).message_id, f"1|cvt|{collective.id}")
    await h.flush()
    assert "Un vote est déjà en cours à ce sujet" in plain(toast(h, claire))
    for user in (claire, users[0]):
        for message in [m for m in h.sandbox.bot_messages(group) if m.buttons][-2:]:
            await h.press(user, group, "Pas d'objection", message_id=message.message_id)
    await h.tick(2 * DAY)
    articles = await rows(h, CharterArticle)
    assert articles[1].approved_vote_id is not None
    assert [v.number for v in await rows(h, CharterVersion)] == [1]


async def test_the_exports_carry_the_text_the_history_and_the_signatories(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await collective_with(h, 1)
    await load(h, claire)
    await adopt(h, claire, group, [claire, *users])
    await h.say(users[0], None, "/signer")
    await h.say(users[0], None, "<b>Laines</b> & Co")
    await h.press(users[0], None, "Je signe la version 1")
    await h.say(users[0], None, "/charte")
    await h.press(users[0], None, "Exporter (charte.md, charte.html)")
    documents = {
        m.document[0]: m.document[1].decode()
        for m in h.sandbox.bot_messages(users[0])[-3:]
        if m.document
    }
    assert set(documents) == {"charte.md", "charte.html"}
    md, page = documents["charte.md"], documents["charte.html"]
    assert md.startswith("# Charte de la filière laine du Cantal")
    assert "## Article 1 — Objet" in md and "### Version 1" in md
    assert "- Acteur0 Test — <b>Laines</b> & Co" in md
    assert "<!DOCTYPE html>" in page and "@media print" in page
    assert "<h2>Article 7 — Adhésion et retrait</h2>" in page
    assert "&lt;b&gt;Laines&lt;/b&gt; &amp; Co" in page and "<b>Laines" not in page


async def test_the_group_reads_what_is_put_to_the_vote(harness: Harness) -> None:
    """An amendment's vote shows its wording and its reason (a long wording cut, read whole
    in private); the charter's adoption vote leads to its text."""
    h = harness
    group, claire, users = await collective_with(h, 1)
    await load(h, claire)
    await h.say(users[0], None, "/amender")
    await h.press(users[0], None, "3. Gouvernance")
    long = " ".join(["Le comité de filière se réunit chaque trimestre."] * 60) + " Fin."
    await h.say(users[0], None, long)
    await h.say(users[0], None, "Deux fois par an, c'est trop peu.")
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Amendements en attente (1)")
    await h.press(claire, None, "Mettre au vote")
    await put_to_vote(h, claire)
    live = h.last(group)
    shown = plain(live.plain)
    assert "Amendement à l'article 3 — Gouvernance" in shown
    assert "Proposition :\nLe comité de filière se réunit chaque trimestre." in shown
    assert "Motif : Deux fois par an, c'est trop peu." in shown
    assert "Texte abrégé : touchez « Lire le texte » pour le lire en entier." in shown
    assert "Fin." not in shown and len(live.plain) < 4096
    await h.press(users[0], group, "📜 Lire le texte")
    await follow(h, users[0])
    whole = plain(h.last(users[0]).plain)
    assert "Texte actuel :" in whole and whole.endswith("Motif : Deux fois par an, c'est trop peu.")
    assert long in whole
    await h.press(claire, group, "Pas d'objection")
    await h.press(users[0], group, "Pas d'objection")
    await h.tick(2 * DAY)
    await h.say(claire, None, "/charte")
    await h.press(claire, None, "Mettre la charte au vote")
    await put_to_vote(h, claire)
    shown = plain(h.last(group).plain)
    assert "Le texte de la charte soumis au vote : touchez « Lire le texte »." in shown
    await h.press(users[0], group, "📜 Lire le texte")
    await follow(h, users[0])
    text = plain("\n".join(h.bot_texts(users[0])[-3:]))
    assert "Adoption de la charte" in text and "Le texte soumis au vote :" in text
    assert "Article 3 — Gouvernance\n" + long in text
