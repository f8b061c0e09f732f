"""Queries of the cartographie: imported actors, pending imports, introductions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, or_, select

from storage.models import (
    Actor,
    ActorImport,
    ActorMaillon,
    Introduction,
    Membership,
    MembershipMaillon,
)
from storage.repos.base import Repo


class CartographieRepo(Repo):
    async def actors(self, collective_id: int) -> list[Actor]:
        rows = await self.session.scalars(
            select(Actor).where(Actor.collective_id == collective_id).order_by(Actor.key)
        )
        return list(rows)

    async def actor_keys(self, collective_id: int) -> set[str]:
        rows = await self.session.scalars(
            select(Actor.key).where(Actor.collective_id == collective_id)
        )
        return set(rows)

    async def actor(self, actor_id: int) -> Actor | None:
        return await self.session.get(Actor, actor_id)

    async def invited(self, token: str) -> Actor | None:
        return await self.session.scalar(select(Actor).where(Actor.invite_token == token))

    async def pending(self, import_id: int) -> ActorImport | None:
        return await self.session.get(ActorImport, import_id)

    def add(self, row: Actor | ActorImport | Introduction | MembershipMaillon) -> None:
        self.session.add(row)

    async def delete_actor(self, actor: Actor) -> None:
        """The actor, its maillons, needs and offers, and the introductions naming it."""
        key = f"actor:{actor.id}"
        await self.session.execute(
            delete(Introduction).where(
                Introduction.collective_id == actor.collective_id,
                or_(Introduction.needing == key, Introduction.offering == key),
            )
        )
        await self.session.delete(actor)
        await self.session.flush()

    async def actor_maillons(self, actor_id: int) -> list[int]:
        rows = await self.session.scalars(
            select(ActorMaillon.maillon_id).where(ActorMaillon.actor_id == actor_id)
        )
        return list(rows)

    async def has_maillons(self, membership_id: int) -> bool:
        found = await self.session.scalar(
            select(MembershipMaillon.maillon_id)
            .where(MembershipMaillon.membership_id == membership_id)
            .limit(1)
        )
        return found is not None

    async def introductions(self, collective_id: int) -> list[Introduction]:
        rows = await self.session.scalars(
            select(Introduction)
            .where(Introduction.collective_id == collective_id)
            .order_by(Introduction.id)
        )
        return list(rows)

    # --- one person's part (/mes_donnees, /oublier)

    async def membership_ids(self, person_id: int) -> list[int]:
        rows = await self.session.scalars(
            select(Membership.id).where(Membership.person_id == person_id)
        )
        return list(rows)

    async def introductions_about(self, person_id: int, keys: Sequence[str]) -> list[Introduction]:
        rows = await self.session.scalars(
            select(Introduction)
            .where(
                or_(
                    Introduction.introduced_by == person_id,
                    Introduction.needing.in_(keys),
                    Introduction.offering.in_(keys),
                )
            )
            .order_by(Introduction.id)
        )
        return list(rows)

    async def claimed_by(self, membership_ids: Sequence[int]) -> list[Actor]:
        rows = await self.session.scalars(
            select(Actor).where(Actor.membership_id.in_(membership_ids))
        )
        return list(rows)

    async def forget(self, person_id: int, membership_ids: Sequence[int]) -> None:
        """Introductions about these memberships and the entries they claimed go; the
        introductions the person made keep no trace of them."""
        keys = [f"member:{i}" for i in membership_ids]
        if keys:
            await self.session.execute(
                delete(Introduction).where(
                    or_(Introduction.needing.in_(keys), Introduction.offering.in_(keys))
                )
            )
            await self.session.execute(delete(Actor).where(Actor.membership_id.in_(membership_ids)))
        for intro in await self.session.scalars(
            select(Introduction).where(Introduction.introduced_by == person_id)
        ):
            intro.introduced_by = None

    async def flush(self) -> None:
        await self.session.flush()
