"""The platform's queries: inbox, due work, deliveries, people, collectives, members, journal,
conversations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import selectinload

from bot.domain import ConversationStatus, InboxState, MembershipStatus, Role
from storage.models import (
    Collective,
    Conversation,
    Delivery,
    DueWork,
    InboxUpdate,
    JournalEntry,
    LiveMessage,
    Maillon,
    Membership,
    MembershipMaillon,
    Person,
)
from storage.repos.base import Repo


class InboxRepo(Repo):
    async def store(
        self, bot_id: int, updates: Sequence[tuple[int, int | None, dict[str, Any]]], now: datetime
    ) -> set[int]:
        """Store (update id, chat id, JSON) rows not seen before; the ids newly stored."""
        if not updates:
            return set()
        stmt = (
            self._insert(InboxUpdate)
            .values(
                [
                    {
                        "bot_id": bot_id,
                        "update_id": update_id,
                        "chat_id": chat_id,
                        "state": InboxState.PENDING,
                        "payload": payload,
                        "received_at": now,
                    }
                    for update_id, chat_id, payload in updates
                ]
            )
            .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
            .returning(InboxUpdate.update_id)
        )
        return set((await self.session.execute(stmt)).scalars())

    async def finish(
        self, bot_id: int, update_id: int, now: datetime, state: InboxState = InboxState.DONE
    ) -> bool:
        """Mark a waiting update handled and forget its contents; False if it was not waiting
        (handled already, by this process or another)."""
        result = await self.session.execute(
            update(InboxUpdate)
            .where(
                InboxUpdate.bot_id == bot_id,
                InboxUpdate.update_id == update_id,
                InboxUpdate.state == InboxState.PENDING,
            )
            .values(state=state, payload=None, handled_at=now)
        )
        return cast(CursorResult[Any], result).rowcount == 1

    async def waiting(self, bot_id: int, limit: int = 1000) -> list[InboxUpdate]:
        rows = await self.session.scalars(
            select(InboxUpdate)
            .where(InboxUpdate.bot_id == bot_id, InboxUpdate.state == InboxState.PENDING)
            .order_by(InboxUpdate.received_at, InboxUpdate.update_id)
            .limit(limit)
        )
        return list(rows)

    async def get(self, bot_id: int, update_id: int) -> InboxUpdate | None:
        return await self.session.get(InboxUpdate, (bot_id, update_id), populate_existing=True)

    async def newest(self, bot_id: int) -> int | None:
        """The highest update id remembered for this bot (the sandbox shell numbers after it)."""
        return await self.session.scalar(
            select(func.max(InboxUpdate.update_id)).where(InboxUpdate.bot_id == bot_id)
        )

    async def purge(self, before: datetime) -> int:
        """Forget handled updates older than `before` (waiting ones are never forgotten)."""
        result = await self.session.execute(
            delete(InboxUpdate).where(
                InboxUpdate.state != InboxState.PENDING, InboxUpdate.received_at < before
            )
        )
        return int(cast(CursorResult[Any], result).rowcount or 0)


class DueRepo(Repo):
    async def schedule(
        self,
        *,
        key: str,
        kind: str,
        due_at: datetime,
        now: datetime,
        collective_id: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> bool:
        """Add due work once; a key already scheduled is left as it is (returns False)."""
        stmt = (
            self._insert(DueWork)
            .values(
                key=key,
                kind=kind,
                due_at=due_at,
                collective_id=collective_id,
                payload=payload or {},
                created_at=now,
                attempts=0,
                status="pending",
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )
        result = cast(CursorResult[Any], await self.session.execute(stmt))
        return bool(result.rowcount)

    async def get(self, work_id: int) -> DueWork | None:
        return await self.session.get(DueWork, work_id, populate_existing=True)

    async def by_key(self, key: str) -> DueWork | None:
        return await self.session.scalar(select(DueWork).where(DueWork.key == key))

    async def candidates(self, now: datetime, stale_before: datetime, limit: int) -> list[int]:
        rows = await self.session.scalars(
            select(DueWork.id)
            .where(
                DueWork.status == "pending",
                DueWork.due_at <= now,
                or_(DueWork.claimed_at.is_(None), DueWork.claimed_at < stale_before),
            )
            .order_by(DueWork.due_at, DueWork.id)
            .limit(limit)
        )
        return list(rows)

    async def claim(self, work_id: int, now: datetime, stale_before: datetime, worker: str) -> bool:
        """Atomic claim: only one worker's UPDATE matches the row."""
        result = await self.session.execute(
            update(DueWork)
            .where(
                DueWork.id == work_id,
                DueWork.status == "pending",
                or_(DueWork.claimed_at.is_(None), DueWork.claimed_at < stale_before),
            )
            .values(claimed_at=now, claimed_by=worker, attempts=DueWork.attempts + 1)
        )
        return cast(CursorResult[Any], result).rowcount == 1

    async def finish(self, work_id: int, now: datetime) -> None:
        await self.session.execute(
            update(DueWork).where(DueWork.id == work_id).values(status="done", done_at=now)
        )

    async def release(
        self, work_id: int, due_at: datetime, *, error: str | None = None, failed: bool = False
    ) -> None:
        values: dict[str, Any] = {"claimed_at": None, "claimed_by": None, "due_at": due_at}
        if error is not None:
            values["last_error"] = error[:500]
        if failed:
            values["status"] = "failed"
        await self.session.execute(update(DueWork).where(DueWork.id == work_id).values(**values))

    async def postpone_attempt(self, work_id: int) -> None:
        """A deferral is not a failure: give the attempt back."""
        await self.session.execute(
            update(DueWork).where(DueWork.id == work_id).values(attempts=DueWork.attempts - 1)
        )


class DeliveryRepo(Repo):
    async def get(self, key: str) -> Delivery | None:
        return await self.session.scalar(select(Delivery).where(Delivery.key == key))

    async def start(self, key: str, chat_id: int, now: datetime) -> Delivery:
        delivery = await self.get(key)
        if delivery is None:
            delivery = Delivery(
                key=key,
                chat_id=chat_id,
                status="pending",
                attempts=0,
                created_at=now,
                updated_at=now,
            )
            self.session.add(delivery)
        delivery.attempts += 1
        delivery.status = "sending"
        delivery.updated_at = now
        await self.session.flush()
        return delivery


class LiveRepo(Repo):
    async def get(self, key: str) -> LiveMessage | None:
        return await self.session.scalar(select(LiveMessage).where(LiveMessage.key == key))

    def add(self, live: LiveMessage) -> None:
        self.session.add(live)

    async def flush(self) -> None:
        await self.session.flush()


class PersonRepo(Repo):
    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        return await self.session.scalar(select(Person).where(Person.telegram_id == telegram_id))

    async def get(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def many(self, ids: Sequence[int]) -> dict[int, Person]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(Person).where(Person.id.in_(set(ids))))
        return {p.id: p for p in rows}

    async def departed_before(self, cutoff: datetime) -> list[Person]:
        """People not forgotten yet who left every collective they were in before `cutoff`."""
        still_in = select(Membership.id).where(
            Membership.person_id == Person.id,
            or_(Membership.status != MembershipStatus.LEFT, Membership.left_at >= cutoff),
        )
        was_in = select(Membership.id).where(Membership.person_id == Person.id)
        rows = await self.session.scalars(
            select(Person).where(Person.erased_at.is_(None), was_in.exists(), ~still_in.exists())
        )
        return list(rows)

    def add(self, person: Person) -> None:
        self.session.add(person)

    async def flush(self) -> None:
        await self.session.flush()


class CollectiveRepo(Repo):
    async def by_chat(self, chat_id: int) -> Collective | None:
        return await self.session.scalar(
            select(Collective)
            .where(Collective.chat_id == chat_id)
            .options(selectinload(Collective.maillons))
        )

    async def get(self, collective_id: int) -> Collective | None:
        return await self.session.get(
            Collective, collective_id, options=[selectinload(Collective.maillons)]
        )

    async def by_slug(self, slug: str) -> Collective | None:
        return await self.session.scalar(
            select(Collective)
            .where(Collective.slug == slug)
            .options(selectinload(Collective.maillons))
        )

    async def by_token(self, token: str) -> Collective | None:
        return await self.session.scalar(
            select(Collective)
            .where(Collective.join_token == token)
            .options(selectinload(Collective.maillons))
        )

    async def slug_taken(self, slug: str, except_id: int) -> bool:
        found = await self.session.scalar(
            select(Collective.id).where(Collective.slug == slug, Collective.id != except_id)
        )
        return found is not None

    def add(self, collective: Collective) -> None:
        self.session.add(collective)

    async def flush(self) -> None:
        await self.session.flush()

    async def set_maillons(self, collective: Collective, names: Sequence[str]) -> None:
        """Replace the ordered maillons, keeping the ones whose name is unchanged (and links)."""
        existing = {m.name.casefold(): m for m in collective.maillons}
        kept: list[Maillon] = []
        for position, name in enumerate(names, start=1):
            maillon = existing.pop(name.casefold(), None)
            if maillon is None:
                maillon = Maillon(name=name, position=-position)
            kept.append(maillon)
        # Park positions out of the way first: (collective_id, position) is unique.
        for i, maillon in enumerate(kept, start=1):
            maillon.position = -i
        collective.maillons[:] = kept
        await self.session.flush()
        for i, maillon in enumerate(kept, start=1):
            maillon.position = i
        await self.session.flush()


class MembershipRepo(Repo):
    async def get(self, collective_id: int, person_id: int) -> Membership | None:
        return await self.session.scalar(
            select(Membership).where(
                Membership.collective_id == collective_id, Membership.person_id == person_id
            )
        )

    async def by_id(self, membership_id: int) -> Membership | None:
        return await self.session.get(Membership, membership_id)

    async def of_collective(
        self, collective_id: int, statuses: Sequence[str] = (MembershipStatus.ACTIVE,)
    ) -> list[Membership]:
        rows = await self.session.scalars(
            select(Membership)
            .where(Membership.collective_id == collective_id, Membership.status.in_(statuses))
            .order_by(Membership.joined_at, Membership.id)
        )
        return list(rows.unique())

    async def of_person(self, person_id: int) -> list[Membership]:
        rows = await self.session.scalars(
            select(Membership)
            .where(Membership.person_id == person_id, Membership.status != MembershipStatus.LEFT)
            .order_by(Membership.joined_at, Membership.id)
        )
        return list(rows.unique())

    async def has_left(self, person_id: int) -> bool:
        """Did the person leave a collective (whatever else they belong to)?"""
        found = await self.session.scalar(
            select(Membership.id)
            .where(Membership.person_id == person_id, Membership.status == MembershipStatus.LEFT)
            .limit(1)
        )
        return found is not None

    async def count_role(self, collective_id: int, role: Role) -> int:
        return int(
            await self.session.scalar(
                select(func.count(Membership.id)).where(
                    Membership.collective_id == collective_id,
                    Membership.role == role,
                    Membership.status == MembershipStatus.ACTIVE,
                )
            )
            or 0
        )

    async def count_by_role(self, collective_id: int) -> dict[str, int]:
        """Active members per role."""
        rows = await self.session.execute(
            select(Membership.role, func.count(Membership.id))
            .where(
                Membership.collective_id == collective_id,
                Membership.status == MembershipStatus.ACTIVE,
            )
            .group_by(Membership.role)
        )
        return {str(role): int(count) for role, count in rows.all()}

    async def collectives_of(self, person_id: int) -> list[Collective]:
        """The collectives where the person is active or joining, oldest membership first."""
        rows = await self.session.scalars(
            select(Collective)
            .join(Membership, Membership.collective_id == Collective.id)
            .where(Membership.person_id == person_id, Membership.status != MembershipStatus.LEFT)
            .order_by(Membership.joined_at, Membership.id)
            .options(selectinload(Collective.maillons))
        )
        return list(rows.unique())

    def add(self, membership: Membership) -> None:
        self.session.add(membership)

    async def flush(self) -> None:
        await self.session.flush()

    async def set_maillons(self, membership: Membership, maillon_ids: Sequence[int]) -> None:
        membership.maillon_links[:] = [
            MembershipMaillon(maillon_id=maillon_id) for maillon_id in dict.fromkeys(maillon_ids)
        ]
        await self.session.flush()


class ConversationRepo(Repo):
    async def get(self, conversation_id: int) -> Conversation | None:
        return await self.session.get(Conversation, conversation_id)

    async def active(self, person_id: int) -> Conversation | None:
        return await self.session.scalar(
            select(Conversation)
            .where(
                Conversation.person_id == person_id,
                Conversation.status == ConversationStatus.ACTIVE,
            )
            .order_by(Conversation.id.desc())
            .limit(1)
        )

    async def parked(self, person_id: int) -> list[Conversation]:
        """Set-aside conversations, the most recently touched first."""
        rows = await self.session.scalars(
            select(Conversation)
            .where(
                Conversation.person_id == person_id,
                Conversation.status == ConversationStatus.PARKED,
            )
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
        )
        return list(rows)

    async def find(
        self, person_id: int, flow: str, collective_id: int | None, subject_id: int | None
    ) -> Conversation | None:
        """The person's conversation of this flow about this subject, active or parked."""
        return await self.session.scalar(
            select(Conversation)
            .where(
                Conversation.person_id == person_id,
                Conversation.flow == flow,
                Conversation.collective_id == collective_id
                if collective_id is not None
                else Conversation.collective_id.is_(None),
                Conversation.subject_id == subject_id
                if subject_id is not None
                else Conversation.subject_id.is_(None),
            )
            .limit(1)
        )

    def add(self, conversation: Conversation) -> None:
        self.session.add(conversation)

    async def flush(self) -> None:
        await self.session.flush()

    async def delete(self, conversation: Conversation) -> None:
        await self.session.delete(conversation)
        await self.session.flush()

    async def delete_for(self, person_id: int, collective_id: int) -> None:
        """Forget a person's conversations about one collective (they left it)."""
        await self.session.execute(
            delete(Conversation).where(
                Conversation.person_id == person_id, Conversation.collective_id == collective_id
            )
        )


class JournalRepo(Repo):
    async def append(
        self,
        collective_id: int,
        kind: str,
        at: datetime,
        *,
        actor_id: int | None = None,
        subject_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            JournalEntry(
                collective_id=collective_id,
                kind=kind,
                at=at,
                actor_id=actor_id,
                subject_id=subject_id,
                data=data or {},
            )
        )
        await self.session.flush()

    async def page(self, collective_id: int, *, offset: int, limit: int) -> list[JournalEntry]:
        rows = await self.session.scalars(
            select(JournalEntry)
            .where(JournalEntry.collective_id == collective_id)
            .order_by(JournalEntry.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return list(rows)

    async def count(self, collective_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count(JournalEntry.id)).where(
                    JournalEntry.collective_id == collective_id
                )
            )
            or 0
        )
