"""The cartographie through the real Application: import (preview, confirm, twice without
duplicates), bad files, invitations, the mise en relation and introductions, the map, the
exports, deleting an imported actor."""

from __future__ import annotations

import io
import struct
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from bot.services import cartographie as svc
from storage.models import Actor, ActorImport, Introduction
from tests.bot.survey_helpers import NeedsAnswers, answer_needs, launched
from tests.helpers import (
    actor,
    collective_of,
    food_collective,
    journal_kinds,
    nb,
    scene,
    wool_collective,
)

CSV = (
    "Organisation;Famille;Maillon;Commune;Contact;Besoins;Offres\n"
    "Ferme des Combes;Entreprise;Élevage;Allanche;ferme@example.org;"
    "débouchés : 2 t de laine brute;\n"
    "Filature du Haut-Cantal;SCIC;Filature, Lavage;Murat;06 00 00 00 00;;"
    "débouchés : achète et transforme de la laine brute\n"
    "Tricots Martin;Auto-entrepreneur;Tissage et tricot;Aurillac;;;\n"
    ";Association;Vente;Salers;;;\n"
    "Boutique Laine & Co;Entreprise;Couture;Salers;;;\n"
).encode()


def png_size(content: bytes) -> tuple[int, int]:
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", content[16:24])


async def send(h: Harness, user: SandboxUser, name: str, content: bytes) -> None:
    h.sandbox.send_document(user, None, name, content)
    await h.flush()


async def import_file(
    h: Harness, claire: SandboxUser, name: str = "acteurs.csv", content: bytes = CSV
) -> None:
    await h.say(claire, None, "/importer")
    await send(h, claire, name, content)


async def actors(h: Harness) -> list[Actor]:
    async with h.app.deps.uow() as uow:
        return list(await uow.session.scalars(select(Actor).order_by(Actor.organisation)))


async def test_an_import_is_previewed_then_done_only_on_confirmation(harness: Harness) -> None:
    h = harness
    group, claire, _ = await wool_collective(h, members=0)
    await import_file(h, claire)
    preview = h.last(claire)
    text = preview.parsed_text
    assert "Aperçu de l'import — acteurs.csv" in text
    assert nb("2 lignes comprises ; 3 lignes avec un problème") in text
    assert "Ferme des Combes — Entreprise ou exploitation agricole — Élevage, Allanche" in text
    assert "Filature du Haut-Cantal — Coopérative" in text
    assert nb("Ligne 4 (Tricots Martin) : famille inconnue « Auto-entrepreneur »") in text
    assert nb("Ligne 5 : organisation manquante") in text
    assert nb("Ligne 6 (Boutique Laine & Co) : maillon inconnu « Couture »") in text
    assert await actors(h) == []  # nothing before « Importer »

    await h.press(claire, None, "Importer 2 acteurs")
    done = h.last(claire).parsed_text
    assert "2 acteurs ajoutés, 0 mis à jour" in done
    assert "données personnelles" in done and "Bonjour, nous avons inscrit" in done
    found = await actors(h)
    assert [a.organisation for a in found] == ["Ferme des Combes", "Filature du Haut-Cantal"]
    ferme, filature = found
    assert (ferme.famille, ferme.famille_ess, ferme.contact) == (
        "entreprise",
        False,
        "ferme@example.org",
    )
    assert (filature.famille, filature.famille_ess) == ("cooperative", True)
    assert len(filature.maillon_ids) == 2
    assert [(w.kind, w.category, w.detail) for w in ferme.wants] == [
        ("need", "debouches", "2 t de laine brute")
    ]
    assert "actors_imported" in await journal_kinds(h, group)


async def test_importing_the_same_file_twice_updates_without_duplicates(harness: Harness) -> None:
    h = harness
    _group, claire, _ = await wool_collective(h, members=0)
    await import_file(h, claire)
    await h.press(claire, None, "Importer 2 acteurs")
    # Same actors, other case and accents, a new contact, as XLSX this time.
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (
        ("Nom de la structure", "Type", "Étape", "Ville", "Téléphone"),
        ("FERME DES COMBES", "exploitation agricole", "elevage", "allanche", "04 71 00 00 00"),
        ("Filature du Haut Cantal", "Coopérative", "Filature", "Murat", None),
    ):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    await import_file(h, claire, "acteurs.xlsx", buffer.getvalue())
    assert "dont 2 acteurs déjà connus (mis à jour)" in h.last(claire).parsed_text
    await h.press(claire, None, "Importer 2 acteurs")
    assert "0 acteur ajouté, 2 mis à jour" in h.last(claire).parsed_text
    found = await actors(h)
    assert len(found) == 2
    assert found[0].organisation == "FERME DES COMBES"
    assert found[0].contact == "04 71 00 00 00"
    # The needs of the first import stay when the new file says none.
    assert [w.category for w in found[0].wants] == ["debouches"]


async def test_a_file_that_is_not_a_spreadsheet_is_refused_and_asked_again(
    harness: Harness,
) -> None:
    h = harness
    _group, claire, _ = await wool_collective(h, members=0)
    await import_file(h, claire, "photo.jpg", b"\xff\xd8\xff\xe0 not a table")
    assert "n'est pas un tableau que je sais lire" in h.last(claire).parsed_text
    # A .xlsx that is no workbook either.
    await send(h, claire, "faux.xlsx", b"PK\x03\x04 broken zip")
    texts = h.bot_texts(claire)
    assert any(nb("« faux.xlsx » n'est pas un tableau") in t for t in texts[-3:])
    # The question is still there: a real file goes through.
    await send(h, claire, "acteurs.csv", CSV)
    assert "Aperçu de l'import" in h.last(claire).parsed_text
    async with h.app.deps.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(ActorImport)) == 1


async def test_missing_columns_are_named(harness: Harness) -> None:
    h = harness
    _group, claire, _ = await wool_collective(h, members=0)
    await import_file(h, claire, "acteurs.csv", b"organisation,commune\nFerme,Murat\n")
    refusal, question = h.bot_texts(claire)[-2:]
    assert nb("Il manque des colonnes : famille, maillon") in refusal, refusal
    assert "Envoyez-moi le tableau" in question  # asked again: nothing lost
    assert await actors(h) == []


async def test_cp1252_and_commas_are_read(harness: Harness) -> None:
    h = harness
    _group, claire, _ = await wool_collective(h, members=0)
    content = "organisation,famille,maillon,commune\nLycée agricole,Lycée,Élevage,Aurillac\n"
    await import_file(h, claire, "acteurs.csv", content.encode("cp1252"))
    assert "Lycée agricole — Enseignement, recherche ou formation" in h.last(claire).parsed_text


async def test_a_member_who_is_not_animator_cannot_import(harness: Harness) -> None:
    h = harness
    group, claire, users = await launched(h, 1)
    await h.say(users[0], None, "/importer")
    assert "Seule l'équipe d'animation" in h.last(users[0]).parsed_text
    # Nor confirm an import someone else previewed, with a forged button.
    await import_file(h, claire)
    data = f"1|cim|{preview_id(h.last(claire))}|ok"
    h.sandbox.press_data(users[0], users[0], h.last(users[0]).message_id, data)
    await h.flush()
    assert await actors(h) == []
    # The animator's own button still works.
    await h.press(claire, None, "Importer 2 acteurs")
    assert len(await actors(h)) == 2


def preview_id(message: object) -> int:
    for button in message.inline_buttons:  # type: ignore[attr-defined]
        data = button.get("callback_data") or ""
        if data.startswith("1|cim|"):
            return int(data.split("|")[2])
    raise AssertionError("no import button")


async def test_forged_buttons_are_stale(harness: Harness) -> None:
    h = harness
    _group, claire, _ = await wool_collective(h, members=0)
    await import_file(h, claire)
    preview = h.last(claire)
    for data in ("1|cim|999999|ok", "1|cim|x|ok", "1|cac|1|burn", "1|cin|1|m1|zz|debouches"):
        h.sandbox.press_data(claire, None, preview.message_id, data)
        await h.flush()
    assert await actors(h) == []
    # The real button still works after.
    await h.press(claire, None, "Importer 2 acteurs")
    assert len(await actors(h)) == 2


async def wool_with_matches(h: Harness) -> tuple[SandboxChat, SandboxUser, list[SandboxUser]]:
    """Two members answered the needs survey (a breeder needing outlets, a spinner buying wool),
    and the spreadsheet's actors are imported."""
    group, claire, users = await launched(h, 2)
    await answer_needs(
        h,
        users[0],
        group,
        NeedsAnswers(
            "Élevage", maillons=("Élevage",), besoins=(("Des débouchés", "500 kg de laine"),)
        ),
    )
    await answer_needs(
        h,
        users[1],
        group,
        NeedsAnswers(
            "Tonte",
            maillons=("Tonte",),
            besoins=(("Du financement", None),),
            offres=(("Acheter, transformer", "de la laine en suint"),),
        ),
    )
    await import_file(h, claire)
    await h.press(claire, None, "Importer 2 acteurs")
    return group, claire, users


async def test_matches_follow_the_rule_and_say_why(harness: Harness) -> None:
    h = harness
    group, claire, users = await wool_with_matches(h)
    await h.say(claire, None, "/acteurs")
    await h.press(claire, None, "Mises en relation")
    text = h.last(claire).parsed_text
    # The farm (Élevage) needs outlets: the imported spinner (Filature) and the member on Tonte
    # both come after Élevage.
    assert nb("Ferme des Combes cherche des débouchés : « 2 t de laine brute »") in text
    assert nb("Filature du Haut-Cantal propose") in text
    # The closest later maillon of the spinner (on Lavage and Filature) is named.
    assert nb("« achète et transforme de la laine brute » (Élevage → Lavage)") in text
    # The member on Élevage needs outlets too; the member on Tonte, after, buys.
    assert "GAEC des Estives cherche des débouchés" in text
    assert "(Élevage → Tonte)" in text
    # Nobody upstream of Tonte is offered to the Tonte member's... the Tonte member offers,
    # never needs outlets; and no actor is matched with itself.
    assert "Tondeurs du Cézallier cherche des débouchés" not in text


async def test_an_introduction_writes_to_both_and_gives_the_contact_otherwise(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await wool_with_matches(h)
    await h.say(claire, None, "/acteurs")
    await h.press(claire, None, "Mises en relation")
    listing = h.last(claire).parsed_text
    lines = [line for line in listing.splitlines() if line[:1].isdigit()]
    number = next(
        i for i, line in enumerate(lines, 1) if line.startswith(f"{i}. GAEC") and "Tonte" in line
    )
    await h.press(claire, None, f"Présenter n° {number}")
    done = h.last(claire).parsed_text
    assert "Mise en relation faite" in done
    assert "GAEC des Estives a reçu un message de présentation" in done
    for user, other in ((users[0], users[1]), (users[1], users[0])):
        told = h.last(user).parsed_text
        assert "Une mise en relation" in told
        # The person to write to is named, with their @username when they have one.
        name = " ".join(p for p in (other.first_name, other.last_name) if p)
        assert f"Écrivez directement à {name}" in told, told
        if other.username:
            assert f"@{other.username}" in told
    # Twice is refused; nothing is sent again.
    before = h.last(users[0]).message_id
    await h.press(claire, None, f"Présenter n° {number}")
    assert "déjà été présentés" in h.sandbox.toasts[-1][1]
    assert h.last(users[0]).message_id == before
    # The farm is not on Telegram: the animator gets its contact.
    farm = next(i for i, line in enumerate(lines, 1) if line.startswith(f"{i}. Ferme des Combes"))
    await h.press(claire, None, f"Présenter n° {farm}")
    done = h.last(claire).parsed_text
    assert "ferme@example.org" in done, done
    async with h.app.deps.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Introduction)) == 2
    assert (await journal_kinds(h, group)).count("actors_introduced") == 2
    await h.say(claire, None, "/journal")
    assert "a mis en relation Ferme des Combes et" in h.last(claire).parsed_text


async def test_no_introduction_to_a_member_who_did_not_consent(harness: Harness) -> None:
    h = harness
    group, claire, users = await wool_with_matches(h)
    async with h.app.deps.uow() as uow:
        collective = await collective_of(h, group)
        for member in await uow.memberships.of_collective(collective.id):
            if member.organisation == "Tondeurs du Cézallier":
                member.directory_consent = False
        await uow.commit()
    await h.say(claire, None, "/acteurs")
    await h.press(claire, None, "Mises en relation")
    lines = [x for x in h.last(claire).parsed_text.splitlines() if x[:1].isdigit()]
    number = next(i for i, line in enumerate(lines, 1) if "Tondeurs" in line)
    before = h.last(users[0]).message_id
    await h.press(claire, None, f"Présenter n° {number}")
    assert "n'a pas accepté d'apparaître dans l'annuaire" in h.sandbox.toasts[-1][1]
    assert h.last(users[0]).message_id == before
    async with h.app.deps.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Introduction)) == 0


async def test_the_map_is_a_png_for_members_and_the_exports_for_animators(
    harness: Harness,
) -> None:
    h = harness
    group, claire, users = await wool_with_matches(h)
    await h.say(users[0], None, "/annuaire carte")
    sent = h.last(users[0])
    assert sent.photo is not None
    width, height = png_size(sent.photo)
    assert width > 600 and height > 250
    assert "Carte des acteurs" in (sent.caption or "")
    assert "par maillon." in (sent.caption or "")
    # In the group, the map is offered in private.
    await h.say(users[0], group, "/annuaire carte")
    assert "vous attend en privé" in h.last(group).parsed_text
    await h.say(claire, None, "/acteurs")
    await h.press(claire, None, "acteurs.csv")
    document = h.last(claire).document
    assert document is not None and document[0] == "acteurs.csv"
    text = document[1].decode("utf-8-sig")
    assert text.splitlines()[0].startswith("organisation;famille;ESS")
    assert "Ferme des Combes" in text and "ferme@example.org" in text
    async with h.app.deps.uow() as uow:
        collective = await collective_of(h, group)
        found = await uow.collectives.get(collective.id)
        assert found is not None
        sheets = await svc.sheets(uow, found)
    assert [name for name, _, _ in sheets] == ["acteurs", "mises_en_relation"]
    assert len(sheets[1][2]) >= 2


async def test_deleting_an_imported_actor_erases_it(harness: Harness) -> None:
    h = harness
    group, claire, _ = await wool_collective(h, members=0)
    await import_file(h, claire)
    await h.press(claire, None, "Importer 2 acteurs")
    await h.press(claire, None, "Voir les acteurs")
    await h.press(claire, None, "Ferme des Combes")
    assert "ferme@example.org" in h.last(claire).parsed_text
    await h.press(claire, None, "Supprimer cet acteur")
    await h.press(claire, None, "Oui, supprimer")
    assert "ne figure plus dans la cartographie" in h.last(claire).parsed_text
    assert [a.organisation for a in await actors(h)] == ["Filature du Haut-Cantal"]
    assert "actor_deleted" in await journal_kinds(h, group)
    await h.say(claire, None, "/journal")
    assert "a supprimé Ferme des Combes de la cartographie" in h.last(claire).parsed_text


async def test_an_invited_actor_claims_their_entry_through_the_group_door(
    harness: Harness,
) -> None:
    h = harness
    group, claire, _ = await wool_collective(h, members=0)
    await import_file(h, claire)
    await h.press(claire, None, "Importer 2 acteurs")
    await h.press(claire, None, "Voir les acteurs")
    await h.press(claire, None, "Ferme des Combes")
    await h.press(claire, None, "Inviter sur Telegram")
    invitation = h.last(claire).parsed_text
    link = next(w for w in invitation.split() if "start=xj" in w)
    paul = h.sandbox.add_user("Paul", last_name="Combes")
    # Not in the group yet: the door stays shut.
    await h.open_link(paul, link)
    assert "groupe" in h.last(paul).parsed_text
    assert (await actors(h))[0].membership_id is None
    await h.join(paul, group)
    await h.open_link(paul, link)
    texts = " ".join(h.bot_texts(paul)[-4:])
    assert "Vous êtes inscrit·e pour" in texts and "Ferme des Combes" in texts
    ferme = (await actors(h))[0]
    assert ferme.membership_id is not None
    kinds = await journal_kinds(h, group)
    assert "actor_invited" in kinds and "actor_claimed" in kinds
    # The link serves one person: someone else in the group cannot take the entry.
    marie = h.sandbox.add_user("Marie", last_name="Combes")
    await h.join(marie, group)
    await h.open_link(marie, link)
    assert "déjà rattachée à quelqu'un d'autre" in h.last(marie).parsed_text
    assert (await actors(h))[0].membership_id == ferme.membership_id
    await h.say(claire, None, "/journal")
    journal = h.last(claire).parsed_text
    assert "a invité Ferme des Combes sur Telegram" in journal
    assert "a rejoint le collectif pour Ferme des Combes" in journal
    assert nb("a importé « acteurs.csv »") in journal


def test_the_rule_débouchés_need_a_later_maillon() -> None:
    from bot.services.needs import NeedOrOffer

    need = NeedOrOffer("member:1", "need", "debouches", "2 t de laine brute", "survey:1")
    later = NeedOrOffer("actor:2", "offer", "debouches", None, "animator")
    earlier = NeedOrOffer("actor:3", "offer", "debouches", None, "animator")
    itself = NeedOrOffer("member:1", "offer", "debouches", None, "survey:1")
    funding = NeedOrOffer("actor:3", "offer", "financement", None, "animator")
    same = NeedOrOffer("actor:4", "offer", "debouches", None, "animator")
    positions = {"member:1": [1, 4], "actor:2": [3], "actor:3": [0], "actor:4": [1]}
    found = svc.find_matches([need, later, earlier, same, itself, funding], positions, chain=True)
    # Only a maillon strictly after one of the needing actor's: not the same one.
    assert [(m.offer.actor, m.steps) for m in found] == [("actor:2", (1, 3))]
    # In an écosystème, no order: any other actor offering outlets matches.
    found = svc.find_matches([need, later, earlier, same, itself], positions, chain=False)
    assert [m.offer.actor for m in found] == ["actor:2", "actor:3", "actor:4"]
    # Other categories ignore the maillons.
    money = NeedOrOffer("actor:2", "need", "financement", None, "animator")
    assert [m.offer.actor for m in svc.find_matches([money, funding], positions, chain=True)] == [
        "actor:3"
    ]


def test_the_map_stays_readable_with_8_and_150_actors() -> None:
    from bot.actor_map import draw

    maillons = [
        "Élevage",
        "Tonte",
        "Lavage",
        "Filature",
        "Tissage et tricot",
        "Confection",
        "Vente",
    ]
    for count in (8, 150):
        boxes = [
            svc.MapBox(
                f"actor:{i}",
                f"Organisation n° {i} au nom assez long",
                i % 3 == 0,
                i % 8 if i % 8 < 7 else None,
            )
            for i in range(count)
        ]
        lines = [(f"actor:{i}", f"actor:{i + 1}", i % 2 == 0) for i in range(0, count - 1, 3)]
        content = draw("Filière laine du Cantal", maillons, boxes, lines)
        width, height = png_size(content)
        assert 1000 <= width <= 8000 and 300 <= height <= 5000, (count, width, height)
        assert len(content) > 20_000
        if count == 150:
            assert height > 600  # grew with the rows


async def test_a_large_map_goes_as_a_document(harness: Harness) -> None:
    h = harness
    group, claire, _ = await wool_collective(h, members=0)
    maillons = ["Élevage", "Tonte", "Lavage", "Filature", "Tissage et tricot", "Confection"]
    lines = ["organisation;famille;maillon;commune"] + [
        f"Acteur n° {i} de la filière;{'Association' if i % 3 else 'Entreprise'};"
        f"{maillons[i % 6]};Commune {i}"
        for i in range(150)
    ]
    await import_file(h, claire, "acteurs.csv", "\n".join(lines).encode())
    await h.press(claire, None, "Importer 150 acteurs")
    await h.say(claire, None, "/annuaire carte")
    sent = h.last(claire)
    assert sent.photo is None and sent.document is not None
    name, content, _ = sent.document
    assert name == "cartographie.png"
    width, height = png_size(content)
    assert width >= 1400 and height >= 900, (width, height)
    assert "151 acteurs" in (sent.caption or "")  # and Claire, on the annuaire


async def test_introductions_are_in_my_data_and_go_when_forgotten(harness: Harness) -> None:
    import json

    h = harness
    group, claire, users = await wool_with_matches(h)
    await h.say(claire, None, "/acteurs")
    await h.press(claire, None, "Mises en relation")
    lines = [x for x in h.last(claire).parsed_text.splitlines() if x[:1].isdigit()]
    number = next(i for i, line in enumerate(lines, 1) if "Tondeurs" in line)
    await h.press(claire, None, f"Présenter n° {number}")
    await h.say(users[1], None, "/mes_donnees")
    content = next(data for name, data, _ in h.sandbox.files.values() if name == "mes-donnees.json")
    part = json.loads(content)["cartographie"]
    assert [x["catégorie"] for x in part] == ["debouches"]
    await h.say(users[1], None, "/oublier")
    await h.press(users[1], None, "Effacer mes données")
    async with h.app.deps.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Introduction)) == 0


async def test_the_team_records_a_need_for_an_imported_actor(harness: Harness) -> None:
    h = harness
    group, claire, _ = await wool_collective(h, members=0)
    await import_file(h, claire)
    await h.press(claire, None, "Importer 2 acteurs")
    await h.press(claire, None, "Voir les acteurs")
    await h.press(claire, None, "Ferme des Combes")
    await h.press(claire, None, "Effacer ses besoins et offres")
    assert (await actors(h))[0].wants == []
    await h.press(claire, None, "Noter un besoin ou une offre")
    await h.press(claire, None, "Un besoin")
    assert nb("De quoi Ferme des Combes a-t-elle besoin ?") in h.last(claire).parsed_text
    await h.press(claire, None, "Des débouchés")
    # The example fits the category, as a need.
    assert nb("par exemple : « 2\u00a0t par an à vendre, dès juin »") in h.last(claire).plain
    await h.say(claire, None, "1 t de laine lavée")
    texts = h.bot_texts(claire)
    assert any(nb("C'est noté pour Ferme des Combes") in t for t in texts[-3:])
    assert nb("Cherche : Des débouchés") in texts[-1] and "1 t de laine lavée" in texts[-1]
    ferme = (await actors(h))[0]
    assert [(w.kind, w.category, w.detail) for w in ferme.wants] == [
        ("need", "debouches", "1 t de laine lavée")
    ]
    await h.say(claire, None, "/acteurs")
    await h.press(claire, None, "Mises en relation")
    assert nb("Ferme des Combes cherche des débouchés : « 1 t de laine lavée »") in (
        h.last(claire).parsed_text
    )
    kinds = await journal_kinds(h, group)
    assert "actor_wants_cleared" in kinds and "actor_want_added" in kinds
    await h.say(claire, None, "/journal")
    journal = h.last(claire).parsed_text
    assert "a noté un besoin (debouches) pour Ferme des Combes" in journal
    assert "a effacé les besoins et offres de Ferme des Combes" in journal


async def test_a_long_preview_fits_in_one_message(harness: Harness) -> None:
    h = harness
    _group, claire, _ = await wool_collective(h, members=0)
    lines = ["organisation;famille;maillon;commune"]
    lines += [f"{'Organisation ' * 15}{i};Association;Élevage;{'Commune ' * 14}" for i in range(40)]
    lines += [f"Autre {i};Inconnue {'x' * 50};Élevage;Murat" for i in range(40)]
    await import_file(h, claire, "acteurs.csv", "\n".join(lines).encode())
    text = h.last(claire).parsed_text
    assert len(text) < 4096
    assert "40 lignes comprises" in text and "autres." in text
    await h.press(claire, None, "Importer 40 acteurs")
    assert len(await actors(h)) == 40


async def test_more_bad_files_each_get_a_clear_answer(harness: Harness) -> None:
    h = harness
    group, claire, _ = await wool_collective(h, members=0)
    # In the group: the import goes on in private.
    await h.say(claire, group, "/importer")
    assert "se gère en privé" in h.last(group).parsed_text
    await h.say(claire, None, "/importer")
    await h.say(claire, None, "voici le fichier")
    assert "J'attends un fichier" in h.last(claire).parsed_text
    await send(h, claire, "vide.csv", b"\n;;;\n\n")
    assert "Ce tableau est vide" in h.bot_texts(claire)[-2]
    await send(
        h, claire, "enorme.csv", b"organisation;famille;maillon;commune\n" + b"x" * 2_100_000
    )
    assert "dépasse 2 Mo" in h.bot_texts(claire)[-2]
    rows = "\n".join(f"A{i};Association;Élevage;Murat" for i in range(2001))
    await send(h, claire, "long.csv", ("organisation;famille;maillon;commune\n" + rows).encode())
    assert "dépasse 2000 lignes" in h.bot_texts(claire)[-2]
    # Still asked; « Annuler l'import » ends it with nothing stored.
    await h.press(claire, None, "Annuler l'import")
    assert "Import annulé" in h.last(claire).parsed_text
    # A preview cancelled stores nothing either.
    await import_file(h, claire)
    await h.press(claire, None, "Annuler")
    assert "Import annulé" in h.last(claire).parsed_text
    assert await actors(h) == []
    async with h.app.deps.uow() as uow:
        statuses = list(await uow.session.scalars(select(ActorImport.status)))
    assert statuses == ["cancelled"]


async def test_no_introduction_to_someone_the_bot_cannot_write_to(harness: Harness) -> None:
    from datetime import UTC, datetime

    from storage.models import Person

    h = harness
    group, claire, users = await wool_with_matches(h)
    await h.say(claire, None, "/acteurs")
    await h.press(claire, None, "Mises en relation")
    listing = h.last(claire)
    lines = [x for x in listing.parsed_text.splitlines() if x[:1].isdigit()]
    number = next(i for i, line in enumerate(lines, 1) if "Tondeurs" in line)
    async with h.app.deps.uow() as uow:
        person = await uow.people.by_telegram_id(users[1].id)
        assert person is not None
        found = await uow.session.get(Person, person.id)
        assert found is not None
        found.unreachable_since = datetime(2026, 12, 1, tzinfo=UTC)
        await uow.commit()
    await h.press(claire, None, f"Présenter n° {number}")
    assert "Je ne peux pas écrire à Tondeurs du Cézallier" in h.sandbox.toasts[-1][1]
    # A pair that is no match (forged): refused, nothing recorded.
    collective = await collective_of(h, group)
    h.sandbox.press_data(
        claire, None, listing.message_id, f"1|cin|{collective.id}|a1|a2|financement"
    )
    await h.flush()
    assert "n'est plus d'actualité" in h.sandbox.toasts[-1][1]
    async with h.app.deps.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Introduction)) == 0


async def test_the_map_of_an_ecosystem_is_by_theme(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An écosystème d'acteurs has themes, not maillons: the caption and the map say so."""
    import bot.actor_map

    drawn: list[dict[str, Any]] = []
    draw = bot.actor_map.draw

    def spy(*args: Any, **kwargs: Any) -> bytes:
        drawn.append(kwargs)
        return draw(*args, **kwargs)

    monkeypatch.setattr(bot.actor_map, "draw", spy)
    h = harness
    nadia, sophie = h.sandbox.add_user("Nadia"), h.sandbox.add_user("Sophie")
    food = await food_collective(h, nadia, [sophie])
    await scene(h).onboard(sophie, actor(org="CRESS", maillons=()), via_group=food)
    await h.say(sophie, None, "/annuaire carte")
    caption = h.last(sophie).caption or ""
    assert "par thème." in caption and "maillon" not in caption, caption
    assert drawn[-1]["without_maillon"] == "Sans thème"
