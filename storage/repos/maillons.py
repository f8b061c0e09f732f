"""Queries about the members on a maillon (or theme), for editing the collective's list."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.domain import MembershipStatus
from storage.models import Membership, MembershipMaillon
from storage.repos.base import Repo


class MaillonRepo(Repo):
    async def count_members(self, maillon_id: int) -> int:
        """Active members who chose this maillon."""
        found = await self.session.scalar(
            select(func.count())
            .select_from(MembershipMaillon)
            .join(Membership, Membership.id == MembershipMaillon.membership_id)
            .where(
                MembershipMaillon.maillon_id == maillon_id,
                Membership.status == MembershipStatus.ACTIVE,
            )
        )
        return int(found or 0)

    async def move_members(self, from_id: int, to_id: int) -> None:
        """Put everyone on `from_id` also on `to_id` (once), before `from_id` goes away."""
        links = await self.session.scalars(
            select(MembershipMaillon).where(MembershipMaillon.maillon_id == from_id)
        )
        already = set(
            await self.session.scalars(
                select(MembershipMaillon.membership_id).where(MembershipMaillon.maillon_id == to_id)
            )
        )
        for link in list(links):
            if link.membership_id not in already:
                self.session.add(
                    MembershipMaillon(membership_id=link.membership_id, maillon_id=to_id)
                )
        await self.session.flush()
