"""Queries of the export archive: whole tables of one collective, read in chunks where they
grow large (the journal)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select

from storage.models import (
    JournalEntry,
    Maillon,
    Membership,
    MembershipMaillon,
    Survey,
    Vote,
)
from storage.repos.base import Repo
from storage.repos.votes import turnout

CHUNK = 5000


class ArchiveRepo(Repo):
    async def memberships(self, collective_id: int) -> list[Membership]:
        rows = await self.session.scalars(
            select(Membership)
            .where(Membership.collective_id == collective_id)
            .order_by(Membership.joined_at, Membership.id)
        )
        return list(rows)

    async def maillons_of_members(self, collective_id: int) -> dict[int, list[str]]:
        rows = await self.session.execute(
            select(MembershipMaillon.membership_id, Maillon.name)
            .join(Maillon, Maillon.id == MembershipMaillon.maillon_id)
            .where(Maillon.collective_id == collective_id)
            .order_by(Maillon.position)
        )
        found: dict[int, list[str]] = {}
        for membership_id, name in rows:
            found.setdefault(int(membership_id), []).append(name)
        return found

    async def closed_surveys(self, collective_id: int) -> list[int]:
        rows = await self.session.scalars(
            select(Survey.id)
            .where(Survey.collective_id == collective_id, Survey.status == "closed")
            .order_by(Survey.opened_at, Survey.id)
        )
        return list(rows)

    async def votes(self, collective_id: int) -> list[Any]:
        voters, electors = turnout()
        rows = await self.session.execute(
            select(Vote, voters, electors)
            .where(Vote.collective_id == collective_id, Vote.status != "draft")
            .order_by(Vote.opened_at, Vote.id)
        )
        return list(rows)

    async def journal(self, collective_id: int) -> AsyncIterator[list[Any]]:
        """The whole journal, oldest first, CHUNK entries at a time (plain rows: id, at,
        kind, actor_id, subject_id, data; none kept in the session)."""
        j = JournalEntry
        after = 0
        while True:
            rows = list(
                await self.session.execute(
                    select(j.id, j.at, j.kind, j.actor_id, j.subject_id, j.data)
                    .where(j.collective_id == collective_id, j.id > after)
                    .order_by(j.id)
                    .limit(CHUNK)
                )
            )
            if not rows:
                return
            yield rows
            after = rows[-1].id
