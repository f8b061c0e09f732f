"""Personal data, as French law (RGPD) asks: a person reads everything kept about them
(/mes_donnees), asks for it to be erased (/oublier), and members who left are forgotten after a
retention period.

Each feature says what it keeps about a person with a `PersonalData` (its part of the export,
and how to forget it); this module holds the platform's own part (the profile, memberships,
conversations, the journal's entries about them) and runs them all.

Forgetting keeps what is not personal: anonymous ballots and counts stay, the journal keeps
its events with the person shown as « membre supprimé », a charter signature stays as the
organisation's. What identified the person (names, @username, Telegram id, organisation,
commune, named answers) is gone, and nothing comes back after a restart.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from bot.catalog import familles
from bot.conversation import ENDED_KEPT
from bot.domain import MembershipStatus, Role
from bot.services import journal
from storage.models import (
    Conversation,
    Delivery,
    EndedConversation,
    JournalEntry,
    Membership,
    Person,
)
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class PersonalData:
    """What one feature keeps about a person."""

    name: str  # its section in the export (« enquetes », « votes »…)
    export: Callable[[UnitOfWork, Person], Awaitable[Any]]  # JSON-able
    forget: Callable[[UnitOfWork, Person, datetime], Awaitable[None]]


async def everything_about(
    uow: UnitOfWork, person: Person, parts: Sequence[PersonalData]
) -> dict[str, Any]:
    """All that is kept about the person, as one JSON-able document."""
    document: dict[str, Any] = {}
    for part in (CORE, *parts):
        document[part.name] = await part.export(uow, person)
    return document


async def forget(
    uow: UnitOfWork, person: Person, now: datetime, parts: Sequence[PersonalData]
) -> None:
    """Erase the person's personal data everywhere; the features' parts first, then the
    platform's (which scrubs the person row itself)."""
    if person.erased_at is not None:
        return
    for part in (*parts, CORE):
        await part.forget(uow, person, now)


async def purge_departed(
    uow: UnitOfWork, now: datetime, months: int, parts: Sequence[PersonalData]
) -> int:
    """Forget the people who left every collective more than `months` ago. Idempotent: run it
    daily; it touches only people not forgotten yet."""
    cutoff = now - timedelta(days=round(months * 30.44))
    forgotten = 0
    for person in await uow.people.departed_before(cutoff):
        await forget(uow, person, now, parts)
        forgotten += 1
    return forgotten


# --- the platform's own part


async def _export_core(uow: UnitOfWork, person: Person) -> dict[str, Any]:
    memberships = list(
        await uow.session.scalars(
            select(Membership).where(Membership.person_id == person.id).order_by(Membership.id)
        )
    )
    names = {c.id: c for c in await uow.memberships.collectives_of(person.id)}
    collectives: list[dict[str, Any]] = []
    for m in memberships:
        collective = names.get(m.collective_id) or await uow.collectives.get(m.collective_id)
        maillons = {x.id: x.name for x in collective.maillons} if collective else {}
        famille = familles().get(m.famille or "")
        collectives.append(
            {
                "collectif": collective.title if collective else None,
                "rôle": str(m.role),
                "statut": str(m.status),
                "organisation": m.organisation,
                "famille": famille.label("fr") if famille else m.famille,
                "maillons_ou_thèmes": [maillons.get(i, str(i)) for i in m.maillon_ids],
                "commune": m.commune,
                "dans_l_annuaire": m.directory_consent,
                "arrivée": m.joined_at.isoformat(),
                "départ": m.left_at.isoformat() if m.left_at else None,
            }
        )
    entries = list(
        await uow.session.scalars(
            select(JournalEntry)
            .where((JournalEntry.actor_id == person.id) | (JournalEntry.subject_id == person.id))
            .order_by(JournalEntry.id)
        )
    )
    conversations = list(
        await uow.session.scalars(select(Conversation).where(Conversation.person_id == person.id))
    )
    ended = list(
        await uow.session.scalars(
            select(EndedConversation)
            .where(EndedConversation.person_id == person.id)
            .order_by(EndedConversation.id)
        )
    )
    return {
        "profil": {
            "prénom": person.first_name,
            "nom": person.last_name,
            "identifiant_telegram": person.username,
            "numéro_telegram": person.telegram_id,
            "langue": person.language,
            "connu_depuis": person.created_at.isoformat(),
        },
        "collectifs": collectives,
        "journal": [
            {
                "quand": e.at.isoformat(),
                "événement": e.kind,
                "vous": "auteur" if e.actor_id == person.id else "concerné",
                "détails": e.data,
            }
            for e in entries
        ],
        "questions_en_cours": [
            {"conversation": c.flow, "question": c.step, "réponses_gardées": c.data}
            for c in conversations
        ],
        # How recent conversations ended, so that their buttons say it (ids only).
        "questions_terminées": [
            {"conversation": e.flow, "fin": str(e.how), "quand": e.ended_at.isoformat()}
            for e in ended
        ],
    }


async def _forget_core(uow: UnitOfWork, person: Person, now: datetime) -> None:
    from bot.services.members import leave

    memberships = list(
        await uow.session.scalars(select(Membership).where(Membership.person_id == person.id))
    )
    for member in memberships:
        collective = await uow.collectives.get(member.collective_id)
        if member.status != MembershipStatus.LEFT and collective is not None:
            # Leaving as if the group was left: the last animator hands over automatically.
            await leave(uow, collective, person, now, via="erased")
        # What would single the person out among a few members goes too (famille, maillons).
        member.organisation = None
        member.commune = None
        member.famille = None
        await uow.memberships.set_maillons(member, [])
        member.directory_consent = False
        if member.role == Role.ANIMATEUR:
            member.role = Role.MEMBRE
        await journal.record(uow, member.collective_id, "member_erased", now, subject_id=person.id)
    await uow.session.execute(delete(Conversation).where(Conversation.person_id == person.id))
    await uow.session.execute(
        delete(EndedConversation).where(EndedConversation.person_id == person.id)
    )
    await uow.session.execute(delete(Delivery).where(Delivery.chat_id == person.telegram_id))
    person.first_name = ""
    person.last_name = None
    person.username = None
    # Telegram ids of people are positive: a negative one can never match anyone again.
    person.telegram_id = -person.id
    person.current_collective_id = None
    person.unreachable_since = None
    person.erased_at = now
    await uow.people.flush()


CORE = PersonalData("profil_et_collectifs", _export_core, _forget_core)


# --- the daily retention purge, as due work

PURGE = "privacy_purge"
# When the purge runs, in the bot's time zone: a quiet hour.
PURGE_AT = time(3, 30)


def next_purge(now: datetime, zone: ZoneInfo) -> datetime:
    """The next PURGE_AT in `zone` strictly after `now`."""
    local = now.astimezone(zone)
    at = datetime.combine(local.date(), PURGE_AT, tzinfo=zone)
    if at <= local:
        at = datetime.combine(local.date() + timedelta(days=1), PURGE_AT, tzinfo=zone)
    return at.astimezone(now.tzinfo)


async def schedule_purge(uow: UnitOfWork, now: datetime, zone: ZoneInfo) -> bool:
    """Schedule the next daily purge. Its key is its day: however many processes start, or
    however often a run reschedules it, one row per day; False when it was there already."""
    at = next_purge(now, zone)
    day = at.astimezone(zone).date().isoformat()
    return await uow.due.schedule(key=f"{PURGE}:{day}", kind=PURGE, due_at=at, now=now)


async def run_purge(
    uow: UnitOfWork, now: datetime, zone: ZoneInfo, months: int, parts: Sequence[PersonalData]
) -> int:
    """The day's purge (idempotent), then the next day's row."""
    forgotten = await purge_departed(uow, now, months, parts)
    await uow.conversations.forget_ended(now - ENDED_KEPT)
    await schedule_purge(uow, now, zone)
    return forgotten
