"""Filling a database directly (not through the bot), to measure against large data quickly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

MAILLONS = ("Élevage", "Tonte", "Lavage", "Filature", "Tissage et tricot", "Confection", "Vente")
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


async def collectives(uow: Any, chats: list[tuple[int, str]]) -> list[int]:
    """Active collectives for (chat id, title) pairs, each with the wool maillons; their ids."""
    from bot.domain import CollectiveStatus, Vision
    from storage.models import Collective, Maillon

    made = []
    for chat_id, title in chats:
        collective = Collective(
            chat_id=chat_id,
            chat_title=title,
            slug=f"c{chat_id}".replace("-", "m"),
            name=title,
            territoire="Cantal",
            vision=Vision.CHAINE,
            timezone="Europe/Paris",
            language="fr",
            status=CollectiveStatus.ACTIVE,
            join_token=f"t{abs(chat_id)}",
            created_at=NOW,
        )
        collective.maillons = [Maillon(name=n, position=i) for i, n in enumerate(MAILLONS, 1)]
        uow.session.add(collective)
        made.append(collective)
    await uow.session.flush()
    return [c.id for c in made]


async def people(uow: Any, users: list[tuple[int, str]]) -> list[int]:
    from storage.models import Person

    rows = [
        {
            "telegram_id": tg,
            "first_name": name,
            "last_name": "Test",
            "language": "fr",
            "created_at": NOW,
        }
        for tg, name in users
    ]
    result = await uow.session.execute(insert(Person).returning(Person.id), rows)
    return list(result.scalars())


async def members(
    uow: Any, collective_id: int, person_ids: list[int], role: str = "membre"
) -> None:
    """Active members with a filled profile on the first maillon of the collective."""
    from sqlalchemy import select

    from storage.models import Maillon, Membership, MembershipMaillon

    first = await uow.session.scalar(
        select(Maillon.id).where(Maillon.collective_id == collective_id).order_by(Maillon.position)
    )
    result = await uow.session.execute(
        insert(Membership).returning(Membership.id),
        [
            {
                "collective_id": collective_id,
                "person_id": pid,
                "role": role,
                "status": "active",
                "organisation": "GAEC des Estives",
                "famille": "entreprise",
                "famille_ess": False,
                "commune": "Allanche",
                "directory_consent": True,
                "joined_at": NOW,
            }
            for pid in person_ids
        ],
    )
    ids = list(result.scalars())
    if first is not None and ids:
        await uow.session.execute(
            insert(MembershipMaillon), [{"membership_id": m, "maillon_id": first} for m in ids]
        )
