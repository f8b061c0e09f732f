"""The boîte à outils: /ressource (a link or a document, in private), moderation by the animation
team, /boite by levier with documents sent again by their file id, the guide as a checklist
(« Où en est notre filière »), ressources.csv, personal data; and the bad input the issue lists."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from bot.services import toolbox
from storage.models import ChecklistMark, Resource
from tests.bot.test_meetings import members
from tests.bot.test_roadmap import document, rows_of
from tests.helpers import actor, collective_of, journal_kinds, nb, scene, wool_collective


async def resources(h: Harness) -> list[Resource]:
    async with h.app.deps.uow() as uow:
        return list(await uow.session.scalars(select(Resource).order_by(Resource.id)))


async def add_link(
    h: Harness,
    user: SandboxUser,
    *,
    url: str = "https://www.laines-cantal.fr/guide-lavage.pdf",
    title: str = "Guide du lavage de la laine",
    description: str | None = "Les étapes du lavage, les coûts et les prestataires.",
    levier: str = "Soutien au développement économique",
    tags: str | None = "laine, lavage",
) -> None:
    await h.say(user, None, "/ressource")
    await h.say(user, None, url)
    await h.say(user, None, title)
    if description is None:
        await h.press(user, None, "Passer")
    else:
        await h.say(user, None, description)
    await h.press(user, None, levier)
    if tags is None:
        await h.press(user, None, "Pas de mot-clé")
    else:
        await h.say(user, None, tags)


async def test_a_member_adds_a_link_and_everyone_finds_it_by_levier(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 2)
    paul = users[0]
    await h.say(paul, group, "/ressource")
    assert "La suite se passe en privé" in h.last(group).plain
    await h.press(paul, group, "Ouvrir en privé")
    assert "Envoyez-moi un lien" in h.last(paul).plain
    await h.say(paul, None, "https://www.laines-cantal.fr/guide-lavage.pdf")
    assert "Quel titre" in h.last(paul).plain
    await h.say(paul, None, "Guide du lavage de la laine")
    await h.say(paul, None, "Les étapes du lavage, les coûts et les prestataires.")
    assert "De quel levier" in h.last(paul).plain
    await h.press(paul, None, "Soutien au développement économique")
    await h.say(paul, None, "laine, lavage, #laine, prestataires")
    assert nb("C'est enregistré : « Guide du lavage de la laine » est dans la boîte") in (
        h.last(paul).plain
    )
    assert "Nouvelle ressource dans la boîte à outils" in h.last(group).plain
    [stored] = await resources(h)
    assert stored.status == "published" and stored.levier == "developpement"
    assert stored.url == "https://www.laines-cantal.fr/guide-lavage.pdf"
    assert stored.tags == ["laine", "lavage", "prestataires"]
    assert stored.published_at is not None and stored.added_by is not None
    assert "resource_added" in await journal_kinds(h, group)

    # /boite, in private, by levier; the resource's card has its link and its author.
    jeanne = users[1]
    await h.say(jeanne, group, "/boite")
    await h.press(jeanne, group, "Ouvrir en privé")
    shelf = h.last(jeanne)
    assert "1 ressource" in shelf.plain
    assert [row[0] for row in shelf.buttons[:6]] == [
        "Diagnostic territorial (0)",
        "Organisation interne (0)",
        "Animation du collectif (0)",
        "Financement (0)",
        "Communication (0)",
        "Soutien au développement économique (1)",
    ]
    assert not any("Exporter" in b for row in shelf.buttons for b in row)  # the team's only
    await h.press(jeanne, None, "Soutien au développement économique (1)")
    assert h.last(jeanne).buttons[0] == ["🔗 Guide du lavage de la laine"]
    await h.press(jeanne, None, "Guide du lavage de la laine")
    card = h.last(jeanne).plain
    assert "https://www.laines-cantal.fr/guide-lavage.pdf" in card
    assert "Mots-clés : laine, lavage, prestataires" in nb(card) or "laine, lavage" in card
    assert "par Acteur0 Test" in card


async def test_a_document_is_sent_again_by_its_file_id(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    paul = users[0]
    await h.say(paul, None, "/ressource")
    h.sandbox.send_document(
        paul, None, "charte_type_filiere.pdf", b"%PDF-1.4 charte", mime="application/pdf"
    )
    await h.flush()
    assert "Document reçu : charte_type_filiere.pdf" in nb(h.last(paul).plain) or (
        "charte_type_filiere.pdf" in h.last(paul).plain
    )
    await h.press(paul, None, "Garder")  # the file's name, as a title
    await h.press(paul, None, "Passer")
    await h.press(paul, None, "Animation du collectif")
    await h.press(paul, None, "Pas de mot-clé")
    [stored] = await resources(h)
    assert stored.title == "charte type filiere" and stored.file_id and stored.url is None
    assert stored.description is None and stored.tags == []
    before = len(h.sandbox.bot_messages(claire))
    await h.say(claire, None, "/boite")
    await h.press(claire, None, "Animation du collectif (1)")
    await h.press(claire, None, "charte type filiere")
    sent = [m for m in h.sandbox.bot_messages(claire)[before:] if m.document]
    assert len(sent) == 1 and sent[0].document is not None
    assert sent[0].document[0] == "charte_type_filiere.pdf"


async def test_moderation_proposes_then_the_team_publishes_or_refuses(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 2)
    paul, jeanne = users
    await h.say(claire, None, "/boite")
    assert "Modération désactivée" in h.last(claire).plain
    await h.press(claire, None, nb("Modération : désactivée"))
    assert [nb("Modération : activée")] in h.last(claire).buttons
    assert "Modération activée" in h.last(claire).plain
    await add_link(h, paul)
    assert "est proposée à l'équipe d'animation" in h.last(paul).plain
    assert "Nouvelle ressource" not in h.last(group).plain
    notice = h.last(claire)
    assert "Acteur0 Test propose" in notice.plain
    assert notice.buttons == [["Publier", "Refuser"]]
    [proposed] = await resources(h)
    assert proposed.status == "proposed" and proposed.published_at is None
    # Not in the toolbox, nor found, until published.
    await h.say(jeanne, None, "/chercher lavage")
    assert "Rien trouvé" in h.last(jeanne).plain
    # Someone who is not in the team cannot publish it, even with a forged button.
    h.sandbox.press_data(jeanne, None, h.last(jeanne).message_id, f"1|bxd|{proposed.id}|ok")
    await h.flush()
    assert "Seule l'équipe d'animation" in h.sandbox.toasts[-1][1]
    # Nor open it before it is published.
    h.sandbox.press_data(jeanne, None, h.last(jeanne).message_id, f"1|bxr|{proposed.id}")
    await h.flush()
    assert "n'est pas (ou plus) dans la boîte à outils" in h.sandbox.toasts[-1][1]
    # The team finds it under « À valider » too.
    await h.say(claire, None, "/boite")
    shelf = h.last(claire)
    await h.press(claire, None, "À valider (1)")
    assert "1 ressource attend votre accord" in h.last(claire).plain
    await h.press(claire, None, "Guide du lavage de la laine")
    assert "proposée" in h.last(claire).plain
    assert h.last(claire).buttons[0] == ["Publier", "Refuser"]
    await h.press(claire, None, "Publier")
    assert "est publiée dans la boîte à outils" in h.last(claire).plain
    assert "L'équipe d'animation a publié votre ressource" in h.last(paul).plain
    assert "Nouvelle ressource dans la boîte à outils" in h.last(group).plain
    # Pressed again (a stale notice): already decided.
    h.sandbox.press_data(claire, None, notice.message_id, f"1|bxd|{proposed.id}|no")
    await h.flush()
    assert "déjà publiée" in h.sandbox.toasts[-1][1]
    collective = await collective_of(h, group)
    h.sandbox.press_data(claire, None, shelf.message_id, f"1|bxq|{collective.id}")
    await h.flush()
    assert "Aucune ressource n'attend votre accord" in h.sandbox.toasts[-1][1]

    await add_link(h, jeanne, url="https://exemple.fr/pub", title="Publicité", tags=None)
    await h.press(claire, None, "Refuser")
    assert "est refusée" in h.last(claire).plain
    assert "n'a pas retenu votre ressource" in h.last(jeanne).plain
    statuses = [r.status for r in await resources(h)]
    assert statuses == ["published", "refused"]
    kinds = await journal_kinds(h, group)
    for kind in ("toolbox_moderation", "resource_proposed", "resource_published"):
        assert kind in kinds
    assert kinds[-1] == "resource_refused"
    # The team's own resources are published at once, moderation or not.
    await add_link(h, claire, url="https://exemple.fr/a", title="Annuaire des aides")
    assert [r.status for r in await resources(h)][-1] == "published"
    await h.say(claire, None, "/journal")
    page = nb(h.last(claire).plain)
    assert nb("Claire Morel a activé la modération de la boîte à outils") in page
    assert nb("Acteur0 Test a proposé « Guide du lavage de la laine »") in page
    assert nb("Claire Morel a publié « Guide du lavage de la laine », proposée par Acteur0") in page
    assert nb("Claire Morel a refusé « Publicité », proposée par Acteur1 Test") in page
    assert nb("Claire Morel a ajouté « Annuaire des aides » à la boîte à outils") in page


async def test_links_that_are_not_web_links_are_refused(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    paul = users[0]
    await h.say(paul, None, "/ressource")
    for typed, expected in (
        ("pas un lien", "n'est pas un lien que je sais ouvrir"),
        ("https://", "n'est pas un lien"),
        ("javascript:alert(document.cookie)", "Je n'accepte que les liens web"),
        ("JavaScript://www.exemple.fr/%0aalert(1)", "Je n'accepte que les liens web"),
        ("file:///etc/passwd", "Je n'accepte que les liens web"),
        ("ftp://exemple.fr/doc.pdf", "Je n'accepte que les liens web"),
        ("data:text/html,<script>alert(1)</script>", "Je n'accepte que les liens web"),
    ):
        await h.say(paul, None, typed)
        assert expected in h.last(paul).plain, typed
    assert await resources(h) == []
    # « www. » gets its https://, and the question goes on.
    await h.say(paul, None, "www.exemple.fr/guide")
    assert "https://www.exemple.fr/guide" in h.last(paul).plain
    await h.say(paul, None, "Guide")
    # A Telegram client sends 5,000 characters as two messages: 4,096 then 904, at once. Both
    # are refused (the first over 800, the second as its rest), so no fragment becomes the
    # description.
    await h.say(paul, None, "x" * 4096)
    assert (
        nb("Cette réponse ne doit pas dépasser 800 caractères ; la vôtre en compte 4\u202f096.")
        in h.last(paul).plain
    )
    await h.say(paul, None, "x" * 904)
    assert nb("Et la suite de ce long texte n'est pas prise non plus") in h.last(paul).plain
    h.clock.advance(timedelta(seconds=5))
    await h.say(paul, None, "Court et utile.")
    await h.press(paul, None, "Financement")
    await h.say(paul, None, ", ".join(f"mot{i}" for i in range(12)))
    assert "8 mots-clés au plus" in h.last(paul).plain
    await h.press(paul, None, "Pas de mot-clé")
    [stored] = await resources(h)
    assert stored.url == "https://www.exemple.fr/guide" and stored.description == "Court et utile."


async def test_only_members_add_resources(harness: Harness) -> None:
    h = harness
    group, claire, users = await wool_collective(h, members=2)
    stranger = users[0]
    await h.say(stranger, group, "/ressource")
    assert "Vous ne faites pas partie" in h.last(group).plain
    collective = await collective_of(h, group)
    await h.open_link(stranger, f"https://t.me/tisserand_bot?start=bxn{collective.id}")
    assert "Vous ne faites pas partie" in h.last(stranger).plain
    await h.say(stranger, None, "https://exemple.fr/doc")
    assert "Envoyez-moi un lien" not in h.last(stranger).plain
    # An observer reads the toolbox but adds nothing.
    observer = users[1]
    await scene(h).onboard(
        observer, actor(org="Communauté de communes", famille="Collectivité"), via_group=group
    )
    async with h.app.deps.uow() as uow:
        person = await uow.people.by_telegram_id(observer.id)
        assert person is not None
        member = await uow.memberships.get(collective.id, person.id)
        assert member is not None
        member.role = "observateur"  # type: ignore[assignment]
    await h.say(observer, None, "/ressource")
    assert "Les personnes en observation consultent" in h.last(observer).plain
    await h.say(observer, None, "/boite")
    assert "Boîte à outils" in h.last(observer).plain
    assert await resources(h) == []


async def test_forged_and_stale_buttons(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    collective = await collective_of(h, group)
    await h.say(claire, None, "/boite")
    last = h.last(claire)
    for data in (
        f"1|bxl|{collective.id}|nimportequoi",
        f"1|bxa|{collective.id}|diagnostic.inconnu",
        f"1|bxs|{collective.id}|diagnostic.cartographie|fini",
        "1|bxr|999999",
        "1|bxd|999999|ok",
        f"1|bxm|{collective.id + 1000}",
        f"1|pg|box.financement|{collective.id}|-1",
    ):
        h.sandbox.press_data(claire, None, last.message_id, data)
        await h.flush()
        assert h.sandbox.toasts[-1][1].startswith("Ce bouton n'est plus valable"), data
    # A member cannot tick the checklist, even with a forged button.
    paul = users[0]
    await h.say(paul, None, "/boite")
    h.sandbox.press_data(
        paul, None, h.last(paul).message_id, f"1|bxs|{collective.id}|diagnostic.cartographie|done"
    )
    await h.flush()
    assert "Seule l'équipe d'animation" in h.sandbox.toasts[-1][1]
    async with h.app.deps.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(ChecklistMark)) == 0


async def test_the_guide_as_a_checklist(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    await h.say(claire, None, "/boite")
    await h.press(claire, None, "Où en est notre filière")
    progress = h.last(claire).plain
    assert nb("Diagnostic territorial : 0 faite sur 5") in progress
    assert nb("Soutien au développement économique : 0 faite sur 10") in progress
    await h.press(claire, None, "Diagnostic territorial")
    checklist = h.last(claire)
    assert "⬜ Dresser une cartographie des acteurs" in checklist.plain
    await h.press(claire, None, "Dresser une cartographie")
    action = h.last(claire)
    assert "Comment faire" in action.plain and "/annuaire" in action.plain
    assert action.buttons[0] == ["● À faire", "En cours", "Fait"]
    await h.press(claire, None, "Fait")
    assert h.last(claire).buttons[0] == ["À faire", "En cours", "● Fait"]
    await h.press(claire, None, "Actions de ce levier")
    await h.press(claire, None, "Identifier le potentiel")
    await h.press(claire, None, "En cours")
    await h.press(claire, None, "Actions de ce levier")
    assert "✅ Dresser une cartographie" in h.last(claire).plain
    assert "⏳ Identifier le potentiel" in h.last(claire).plain
    await h.press(claire, None, "Où en est notre filière")
    assert nb("Diagnostic territorial : 1 faite sur 5, 1 en cours") in h.last(claire).plain
    kinds = await journal_kinds(h, group)
    assert kinds.count("checklist_changed") == 2
    await h.say(claire, None, "/journal")
    assert nb("a marqué « Identifier le potentiel") in h.last(claire).plain
    collective = await collective_of(h, group)
    async with h.app.deps.uow() as uow:
        progress_rows = await toolbox.checklist_progress(uow, collective.id)
    assert progress_rows[0] == ("Diagnostic territorial", 1, 1, 5)
    assert [row[3] for row in progress_rows] == [5, 5, 7, 9, 5, 10]
    # A member reads the checklist and how to do it, without the buttons to tick it.
    paul = users[0]
    await h.say(paul, None, "/boite")
    assert nb("Où en est notre filière : 1 action du guide faite sur 41, 1 en cours") in (
        h.last(paul).plain
    )
    await h.press(paul, None, "Où en est notre filière")
    await h.press(paul, None, "Diagnostic territorial")
    await h.press(paul, None, "Dresser une cartographie")
    assert "Comment faire" in h.last(paul).plain
    assert h.last(paul).buttons == [["◀ Actions de ce levier"]]


async def test_export_and_what_the_integrator_reads(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    await add_link(h, users[0], title='=HYPERLINK("x")')
    await h.say(claire, None, "/boite")
    await h.press(claire, None, "Exporter les ressources (CSV)")
    name, content, caption = document(h, claire)
    assert name == "ressources.csv"
    rows = rows_of(content)
    assert rows[0][:3] == ["Titre", "Levier", "Lien"]
    assert rows[1][0] == '\'=HYPERLINK("x")'  # a formula stays text
    assert rows[1][6] == "publiée" and rows[1][7] == "Acteur0 Test"
    collective = await collective_of(h, group)
    async with h.app.deps.uow() as uow:
        collective = await uow.collectives.get(collective.id)
        assert collective is not None
        sheets = await toolbox.sheets(uow, collective)
        assert [s[0] for s in sheets] == ["ressources", "guide_checklist"]
        assert len(sheets[1][2]) == 41 and sheets[1][1][0] == "Levier"
        now = h.clock.now()
        found = await toolbox.added_between(
            uow, collective.id, now - timedelta(days=1), now + timedelta(days=1)
        )
        assert [r.title for r in found] == ['=HYPERLINK("x")']
        assert (
            await toolbox.added_between(
                uow, collective.id, now + timedelta(days=1), now + timedelta(days=8)
            )
            == []
        )
    # Members get no export.
    paul = users[0]
    await h.say(paul, None, "/boite")
    h.sandbox.press_data(paul, None, h.last(paul).message_id, f"1|bxe|{collective.id}")
    await h.flush()
    assert "Seule l'équipe d'animation" in h.sandbox.toasts[-1][1]


async def test_my_data_lists_my_resources_and_forgetting_keeps_them_unsigned(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    paul = users[0]
    await add_link(h, paul)
    await h.say(paul, None, "/mes_donnees")
    summary = next(m for m in reversed(h.sandbox.bot_messages(paul)) if "Vos données" in m.plain)
    assert nb("Et aussi : 1 ressource ajoutée.") in summary.plain, summary.plain
    content = next(data for name, data, _ in h.sandbox.files.values() if name == "mes-donnees.json")
    mine = json.loads(content)["ressources"]
    assert [r["titre"] for r in mine] == ["Guide du lavage de la laine"]
    await h.say(paul, None, "/oublier")
    await h.press(paul, None, "Effacer mes données")
    [kept] = await resources(h)
    assert kept.added_by is None and kept.status == "published"
    await h.say(claire, None, "/boite")
    await h.press(claire, None, "Soutien au développement économique (1)")
    await h.press(claire, None, "Guide du lavage")
    assert "Acteur0" not in h.last(claire).plain and "Ajoutée le" in h.last(claire).plain
    # The actor is no longer found.
    await h.say(claire, None, "/chercher organisation")
    assert "Organisation 0" not in h.last(claire).plain


async def _search(h: Harness, user: SandboxUser, chat: SandboxChat | None, text: str) -> str:
    await h.say(user, chat, text)
    return h.last(chat if chat is not None else user).plain


async def test_search_ranks_folds_and_keeps_people_private(harness: Harness) -> None:
    from tests.bot.test_roadmap import AFTER, held, report

    h = harness
    group, claire, users = await held(h)
    h.clock.set(AFTER)
    await report(h, claire, group, users)
    paul, jeanne, ines = users
    await add_link(h, paul, title="Laine", description="Fiche pratique", tags=None)
    await add_link(
        h,
        jeanne,
        url="https://exemple.fr/debouches",
        title="Débouchés des filières",
        description="Vendre des LAINES lavées aux filatures.",
        levier="Financement",
        tags="Lavâge",
    )
    # Plural, accents and case folded; the word in a title ranks first.
    text = await _search(h, paul, None, "/chercher laines")
    assert nb("« laines » — 2 résultats") in text
    assert text.index("Laine") < text.index("Débouchés des filières")
    assert "Débouchés des filières" in await _search(h, paul, None, "/chercher LAVAGE")
    # More words found ranks higher than a title.
    text = await _search(h, paul, None, "/chercher laine lavée filatures")
    assert text.index("Débouchés") < text.index("Laine")
    # Décisions and actions (with their porteur) in private.
    text = await _search(h, jeanne, None, "/chercher charte")
    assert "Adopter la charte de la filière" in text
    assert "Rédiger la charte — Acteur0 Test" in text
    # Actors who appear in the annuaire, in private.
    text = await _search(h, jeanne, None, "/chercher organisation")
    assert "Organisation 0" in text and "Organisation 2" in text
    # In the group: what names people is only counted, with a way to private.
    text = await _search(h, jeanne, group, "/chercher charte organisation")
    assert "Adopter la charte" in text
    assert "Rédiger la charte" not in text and "Organisation 0" not in text
    assert "je ne les montre qu'en privé" in text
    # One alone: the pronoun agrees.
    text = await _search(h, jeanne, group, "/chercher rédiger")
    assert nb("« rédiger » — 1 résultat\nIl nomme des personnes") in text, text
    assert "je ne le montre qu'en privé" in text
    # Several, and only people: counted in the heading (it said « 0 résultat », then « 2 autres »).
    text = await _search(h, jeanne, group, "/chercher organisation")
    assert nb("« organisation » — 3 résultats\nIls nomment des personnes") in text, text
    assert h.last(group).buttons == [["Ouvrir en privé"]]
    await h.press(jeanne, group, "Ouvrir en privé")
    assert "/chercher suivi des mots" in h.last(jeanne).plain
    # An actor who leaves the annuaire is no longer found.
    await h.say(ines, None, "/moi")
    await h.press(ines, None, nb("Annuaire : m'afficher ou non"))
    await h.press(ines, None, "Non, merci")
    text = await _search(h, jeanne, None, "/chercher organisation")
    assert "Organisation 2" not in text and "Organisation 0" in text
    # Someone outside the collective gets nothing.
    stranger = h.sandbox.add_user("Inconnu")
    await h.join(stranger, group)
    await h.say(stranger, group, "/chercher laine")
    assert "Vous ne faites pas partie" in h.last(group).plain


async def test_an_empty_search_or_syntax_characters(harness: Harness) -> None:
    h = harness
    group, claire, users = await members(h, 1)
    paul = users[0]
    await add_link(h, paul, title="Laine 100% locale", tags="lavage, prix_juste")
    for empty in ("/chercher", "/chercher    "):
        assert "Que cherchez-vous" in await _search(h, paul, None, empty)
        assert "Que cherchez-vous" in await _search(h, paul, group, empty)
    for typed in (
        "%",
        "_",
        "' OR 1=1 --",
        "'; DROP TABLE resources; --",
        '"',
        "*",
        "\\",
        "NEAR(a b)",
        "a OR b AND NOT c",
        "laine*",
        '"laine" NEAR lavage*',
        "100%",
        "prix_juste",
        "^lai{1,3}ne$",
    ):
        text = await _search(h, paul, None, f"/chercher {typed}")
        assert "résultat" in text, (typed, text)
    assert "Rien trouvé" in await _search(h, paul, None, "/chercher %")
    assert "Rien trouvé" in await _search(h, paul, None, "/chercher ' OR 1=1 --")
    assert "Laine 100% locale" in await _search(h, paul, None, '/chercher "laine" NEAR lavage*')
    assert "Laine 100% locale" in await _search(h, paul, None, "/chercher 100%")
    assert "Laine 100% locale" in await _search(h, paul, None, "/chercher prix_juste")
    assert len(await resources(h)) == 1


async def test_rows_older_than_the_search_are_indexed_at_the_first_search(
    harness: Harness,
) -> None:
    from sqlalchemy import delete

    from storage.models import SearchEntry, ToolboxSettings
    from tests.bot.test_roadmap import AFTER, held, report

    h = harness
    group, claire, users = await held(h)
    h.clock.set(AFTER)
    await report(h, claire, group, users)
    # As after the upgrade: décisions, actions and actors, but an empty index.
    async with h.app.deps.uow() as uow:
        await uow.session.execute(delete(SearchEntry))
        await uow.session.execute(delete(ToolboxSettings))
    text = await _search(h, users[0], None, "/chercher charte organisation")
    assert "Adopter la charte" in text and "Rédiger la charte" in text
    assert "Organisation 0" in text
    async with h.app.deps.uow() as uow:
        kinds = sorted(set((await uow.session.scalars(select(SearchEntry.kind))).all()))
        settings = (await uow.session.scalars(select(ToolboxSettings))).one()
    assert kinds == ["action", "actor", "decision"] and settings.indexed_at is not None


async def test_a_search_that_finds_nothing_never_suggests_the_words_just_searched(
    harness: Harness,
) -> None:
    h = harness
    group, claire, (paul, _) = await members(h, 2)
    said = await _search(h, paul, None, "/chercher laine")
    assert "Rien trouvé" in said
    assert nb("plus courant (« lavage », « subvention », « formation »).") in said, said
    said = await _search(h, paul, None, "/chercher Laines LAVAGE")
    assert nb("plus courant (« subvention », « formation »).") in said, said
