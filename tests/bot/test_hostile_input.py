"""Hostile and unexpected input: edits, stickers, invisible and reversed text, markup in names,
long lists, old buttons, maillons with symbols."""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.harness import Harness
from bot.transcript import Transcript
from storage.models import Membership, Person
from tests.helpers import actor, collective_of, membership_of, nb, scene, wool_collective


async def _joining(h: Harness) -> tuple[object, object]:
    group, _, users = await wool_collective(h)
    paul = users[0]
    await h.say(paul, group, "/rejoindre")
    await h.press(paul, group, "Rejoindre en privé")
    return group, paul


async def test_an_edited_answer_is_not_a_new_answer(harness: Harness) -> None:
    group, paul = await _joining(harness)
    await harness.say(paul, None, "Ferme du Causse")
    typed = harness.sandbox.messages(paul)[-2]  # Paul's answer, before the famille question
    assert typed.plain == "Ferme du Causse"
    harness.sandbox.edit_text(paul, None, typed.message_id, "Ferme des Estives")
    await harness.flush()
    assert "messages modifiés" in harness.last(paul).plain
    member = await membership_of(harness, group, paul)  # type: ignore[arg-type]
    assert member is not None and member.organisation == "Ferme du Causse"
    assert member.commune is None


async def test_a_message_edited_into_a_command_runs_nothing(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    await scene(harness).onboard(users[0], actor(), via_group=group)
    harness.sandbox.send_text(users[0], group, "/aide")
    await harness.flush()
    said = harness.sandbox.messages(group)[-2]
    before = len(harness.bot_texts(group))
    harness.sandbox.edit_text(users[0], group, said.message_id, "/annuaire")
    await harness.flush()
    assert len(harness.bot_texts(group)) == before  # in a group: silence


async def test_a_sticker_or_a_photo_instead_of_an_answer_gets_a_hint(harness: Harness) -> None:
    group, paul = await _joining(harness)
    sb = harness.sandbox
    for send in (
        lambda: sb.send_sticker(paul, None),
        lambda: sb.send_photo(paul, None),
        lambda: sb.send_voice(paul, None),
        lambda: sb.send_location(paul, None, 45.0, 2.9),
    ):
        send()
        await harness.flush()
        assert "J'attends une réponse écrite" in harness.last(paul).plain
    await harness.say(paul, None, "Ferme du Causse")
    sb.send_sticker(paul, None)
    await harness.flush()
    assert "touchez l'un des boutons" in harness.last(paul).plain


async def test_an_invisible_name_is_refused(harness: Harness) -> None:
    group, paul = await _joining(harness)
    for invisible in ("\u200b\u200b", "\u2060 \u200d", "\u202e", "\u200b\u3000\u00a0"):
        await harness.say(paul, None, invisible)
        assert "Votre réponse est vide" in harness.last(paul).plain
    member = await membership_of(harness, group, paul)  # type: ignore[arg-type]
    assert member is not None and member.organisation is None


async def test_a_direction_override_is_neutralised_when_shown(harness: Harness) -> None:
    group, _, users = await wool_collective(harness)
    await scene(harness).onboard(
        users[0], actor(org="\u202eFerme\u202c du Causse"), via_group=group
    )
    await harness.say(users[0], None, "/annuaire")
    shown = harness.last(users[0]).plain
    assert "Ferme du Causse" in shown and "\u202e" not in shown


async def test_button_captions_are_plain_text(harness: Harness) -> None:
    sb = harness.sandbox
    claire = sb.add_user("Claire")
    group = sb.create_group("<b>Laine</b> & Co", owner=claire)
    await harness.flush()
    await harness.say(claire, group, "/filiere")
    await harness.press(claire, group, "Continuer en privé")
    assert harness.last(claire).buttons[0] == [nb("Garder « <b>Laine</b> & Co »")]


async def test_the_transcript_never_carries_raw_markup(harness: Harness) -> None:
    paul = harness.sandbox.add_user("Paul")
    await harness.say(paul, None, "<script>alert(1)</script>")
    transcript = Transcript(harness.sandbox, echo=False)
    transcript.capture()
    assert "<script>" not in transcript.markdown()
    assert "&lt;script>alert(1)&lt;/script>" in transcript.markdown()  # no tag can open
    assert "<script>" not in transcript.html()


async def test_the_annuaire_of_300_members_is_paged(harness: Harness) -> None:
    group, claire, _ = await wool_collective(harness, members=0)
    collective = await collective_of(harness, group)
    now = harness.clock.now()
    async with harness.app.deps.uow() as uow:
        for i in range(300):
            person = Person(
                telegram_id=500000 + i,
                first_name=f"Prénom{i:03d}",
                last_name="Nom-de-famille-assez-long",
                username=f"acteur_{i:03d}",
                language="fr",
                created_at=now,
            )
            uow.people.add(person)
            await uow.people.flush()
            uow.memberships.add(
                Membership(
                    collective_id=collective.id,
                    person_id=person.id,
                    role="membre",
                    status="active",
                    organisation=f"Organisation numéro {i:03d} du territoire",
                    famille="entreprise",
                    famille_ess=False,
                    commune="Saint-Flour",
                    directory_consent=True,
                    joined_at=now,
                )
            )
    await harness.say(claire, None, "/annuaire")
    seen: set[str] = set()
    pages = 0
    while True:
        page = harness.last(claire)
        pages += 1
        assert len(page.plain) <= 4096
        seen.update(w for w in page.plain.split() if w.startswith("Prénom"))
        if "Suivants ▶" not in [b for row in page.buttons for b in row]:
            break
        await harness.press(claire, None, "Suivants ▶")
    assert pages > 5
    assert len(seen) == 300
    await harness.press(claire, None, "◀ Précédents")
    assert f"page {pages - 1} sur {pages}" in harness.last(claire).plain


async def test_a_button_of_an_earlier_question_is_stale(harness: Harness) -> None:
    sb = harness.sandbox
    claire = sb.add_user("Claire")
    group = sb.create_group("Laine", owner=claire)
    await harness.flush()
    await harness.say(claire, group, "/filiere")
    await harness.press(claire, group, "Continuer en privé")
    name_question = harness.last(claire)
    await harness.say(claire, None, "Filière laine")  # typed: the slug is asked now
    assert "Quel nom court" in harness.last(claire).plain
    sb.press(claire, None, nb("Garder « Laine »"), message_id=name_question.message_id)
    await harness.flush()
    assert sb.toasts[-1][1].startswith("Ce bouton n'est plus valable")
    assert "Quel nom court" in harness.last(claire).plain
    collective = await collective_of(harness, group)
    assert collective.name == "Filière laine" and collective.slug is None


async def test_maillons_keep_their_symbols_and_arrows_still_separate(harness: Harness) -> None:
    sb = harness.sandbox
    claire = sb.add_user("Claire")
    group = sb.create_group("Alimentation", owner=claire)
    await harness.flush()
    await scene(harness).register(
        claire,
        group,
        {
            "name": "Alimentation",
            "territoire": "Cantal",
            "vision": "Chaîne de valeur",
            "maillons": '<b>Cantines</b> & co > Restaurants "bio" -> Épiceries → Marchés',
        },
    )
    collective = await collective_of(harness, group)
    names = [m.name for m in collective.maillons]
    assert names == ["<b>Cantines</b> & co", 'Restaurants "bio"', "Épiceries", "Marchés"]
    await harness.say(claire, group, "/filiere")
    card = harness.last(group)
    assert "<b>Cantines</b> & co → Restaurants" in card.plain
    assert "&lt;b&gt;Cantines&lt;/b&gt; &amp; co" in card.text


async def test_numbers_past_any_id_in_a_button_are_stale(harness: Harness) -> None:
    group, claire, _ = await wool_collective(harness)
    last = harness.last(claire)
    for data in ("1|rolem|99999999999999999999999", "1|q|1|99999999999999999999|o|x"):
        harness.sandbox.press_data(claire, None, last.message_id, data)
        await harness.flush()
        assert harness.sandbox.toasts[-1][1].startswith("Ce bouton n'est plus valable")
    harness.clock.advance(timedelta(minutes=1))
