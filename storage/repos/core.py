"""The platform's queries: inbox, due work, deliveries, people, collectives, members, journal,
conversations."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from bot.domain import ConversationEnd, ConversationStatus, InboxState, MembershipStatus, Role
from storage.models import (
    Collective,
    Conversation,
    Delivery,
    DueWork,
    EndedConversation,
    InboxUpdate,
    JournalEntry,
    LiveMessage,
    Maillon,
    Membership,
    MembershipMaillon,
    Person,
)
from storage.repos.base import Repo
from storage.types import StrEnumType, UTCDateTime

# The hot statements are built once: building a statement costs more than running it on
# SQLite (SQLAlchemy then finds its compiled form in its cache). Values come as parameters.
_INBOX = cast(Table, InboxUpdate.__table__)
_inbox = _INBOX.c
# The advisory locks that keep one chat's updates in order across processes (the second key
# is the chat id's hash); bot.lease uses the namespace before this one.
CHAT_LOCK_NAMESPACE = 0x54697374

_FINISH = (
    update(_INBOX)
    .where(
        _inbox.bot_id == bindparam("b_bot"),
        _inbox.update_id == bindparam("b_update"),
        _inbox.state == InboxState.PENDING,
    )
    .values(state=bindparam("b_state"), payload=None, handled_at=bindparam("b_now"))
)
_PERSON = select(Person).where(Person.telegram_id == bindparam("telegram_id"))
_MAILLONS = joinedload(Collective.maillons)
_LINKS = joinedload(Membership.maillon_links)
_IN_GROUP = (
    select(Person, Collective, Membership)
    .select_from(Person)
    .outerjoin(Collective, Collective.chat_id == bindparam("chat_id"))
    .outerjoin(
        Membership,
        and_(Membership.collective_id == Collective.id, Membership.person_id == Person.id),
    )
    .where(Person.telegram_id == bindparam("telegram_id"))
    .options(_MAILLONS, _LINKS)
)
_IN_PRIVATE = (
    select(Person, Conversation)
    .select_from(Person)
    .outerjoin(Conversation, Conversation.person_id == Person.id)
    .where(Person.telegram_id == bindparam("telegram_id"))
)
_COLLECTIVE_BY = {
    column: select(Collective)
    .where(getattr(Collective, column) == bindparam("value"))
    .options(_MAILLONS)
    for column in ("chat_id", "slug", "join_token")
}
_MEMBERSHIP = (
    select(Membership)
    .where(
        Membership.collective_id == bindparam("collective_id"),
        Membership.person_id == bindparam("person_id"),
    )
    .options(_LINKS)
)
_MEMBERSHIP_AND_COLLECTIVE = (
    select(Membership, Collective)
    .join(Collective, Collective.id == Membership.collective_id)
    .where(Membership.id == bindparam("membership_id"))
    .options(_LINKS, _MAILLONS)
)
_MEMBERSHIPS_OF = (
    select(Collective, Membership)
    .join(Membership, Membership.collective_id == Collective.id)
    .where(Membership.person_id == bindparam("person_id"))
    .order_by(Membership.joined_at, Membership.id)
    .options(_MAILLONS, _LINKS)
)


def _store_inbox(insert: Any) -> Any:
    return (
        insert(_INBOX)
        .values(
            {
                name: bindparam(name)
                for name in ("bot_id", "update_id", "chat_id", "state", "payload", "received_at")
            }
        )
        .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
        .returning(_inbox.update_id)
    )


_DELIVERY = select(Delivery).where(Delivery.key == bindparam("key"))


class InboxRepo(Repo):
    async def store(
        self, bot_id: int, updates: Sequence[tuple[int, int | None, dict[str, Any]]], now: datetime
    ) -> set[int]:
        """Store (update id, chat id, JSON) rows not seen before; the ids newly stored."""
        if not updates:
            return set()
        rows = [
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
        stmt = self._once("inbox.store", _store_inbox)
        # Core, not the ORM: no object is loaded or kept for these rows.
        connection = await self.session.connection()
        return set((await connection.execute(stmt, rows)).scalars())

    async def finish(
        self, bot_id: int, update_id: int, now: datetime, state: InboxState = InboxState.DONE
    ) -> bool:
        """Mark a waiting update handled and forget its contents; False if it was not waiting
        (handled already, by this process or another)."""
        connection = await self.session.connection()
        result = await connection.execute(
            _FINISH, {"b_bot": bot_id, "b_update": update_id, "b_state": state, "b_now": now}
        )
        return result.rowcount == 1

    async def lock_chat(self, chat_id: int | None) -> None:
        """PostgreSQL: wait until no other process's transaction handles this chat, then hold
        the chat until this transaction ends (an advisory transaction lock). With several
        processes behind one webhook, one chat's updates are thus handled one at a time.
        Nothing on SQLite, where one process handles every update."""
        if self.dialect != "postgresql" or chat_id is None:
            return
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, hashtext(:chat))"),
            {"ns": CHAT_LOCK_NAMESPACE, "chat": str(chat_id)},
        )

    async def handled_elsewhere(self, bot_id: int, update_id: int) -> bool:
        """The update is in the inbox and no longer waiting: another process handled it."""
        state = await self.session.scalar(
            select(InboxUpdate.state).where(
                InboxUpdate.bot_id == bot_id, InboxUpdate.update_id == update_id
            )
        )
        return state is not None and state != InboxState.PENDING

    async def waiting_before(
        self, bot_id: int, chat_id: int, update_id: int
    ) -> list[tuple[int, dict[str, Any]]]:
        """The chat's updates older than `update_id` still waiting, in order: (id, JSON)."""
        rows = await self.session.execute(
            select(InboxUpdate.update_id, InboxUpdate.payload)
            .where(
                InboxUpdate.bot_id == bot_id,
                InboxUpdate.state == InboxState.PENDING,
                InboxUpdate.chat_id == chat_id,
                InboxUpdate.update_id < update_id,
            )
            .order_by(InboxUpdate.update_id)
        )
        return [(int(i), dict(p)) for i, p in rows if p is not None]

    async def waiting(
        self, bot_id: int, limit: int = 1000, *, received_before: datetime | None = None
    ) -> list[InboxUpdate]:
        query = select(InboxUpdate).where(
            InboxUpdate.bot_id == bot_id, InboxUpdate.state == InboxState.PENDING
        )
        if received_before is not None:
            query = query.where(InboxUpdate.received_at < received_before)
        rows = await self.session.scalars(
            query.order_by(InboxUpdate.received_at, InboxUpdate.update_id).limit(limit)
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

    async def claim_batch(
        self,
        now: datetime,
        stale_before: datetime,
        worker: str,
        limit: int,
        *,
        skip_kinds: Collection[str] = (),
    ) -> list[dict[str, Any]]:
        """Claim up to `limit` rows due now in one atomic statement; their values, in due
        order. A row another worker claims meanwhile is not matched again; on PostgreSQL the
        rows are picked `FOR UPDATE SKIP LOCKED`, so workers claiming at once take different
        rows instead of queueing on the same ones. Rows of `skip_kinds` are left to others."""
        table = cast(Table, DueWork.__table__)
        c = table.c
        claimable = and_(
            c.status == "pending",
            or_(c.claimed_at.is_(None), c.claimed_at < stale_before),
        )
        if skip_kinds:
            claimable = and_(claimable, c.kind.not_in(list(skip_kinds)))
        pick = select(c.id).where(claimable, c.due_at <= now).order_by(c.due_at, c.id).limit(limit)
        if self.dialect == "postgresql":
            # In a CTE, picked once: as `id IN (subquery)` PostgreSQL may run the LIMIT again
            # for each row and claim more than `limit`.
            picked = pick.with_for_update(skip_locked=True).cte("picked")
            chosen: Any = c.id == picked.c.id
        else:
            chosen = c.id.in_(pick.scalar_subquery())
        stmt = (
            update(table)
            .where(chosen, claimable)
            .values(claimed_at=now, claimed_by=worker, attempts=c.attempts + 1)
            .returning(c.id, c.key, c.kind, c.due_at, c.collective_id, c.payload, c.attempts)
        )
        connection = await self.session.connection()
        rows = [dict(row._mapping) for row in await connection.execute(stmt)]
        return sorted(rows, key=lambda r: (r["due_at"], r["id"]))

    async def next_due(self, *, skip_kinds: Collection[str] = ()) -> datetime | None:
        """When the earliest pending row is due (claimed or not), `skip_kinds` aside."""
        query = select(func.min(DueWork.due_at)).where(DueWork.status == "pending")
        if skip_kinds:
            query = query.where(DueWork.kind.not_in(list(skip_kinds)))
        return await self.session.scalar(query)

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

    async def renew(self, work_ids: Collection[int], now: datetime, worker: str) -> None:
        """Renew `worker`'s claims on these rows, the ones it still runs."""
        await self.session.execute(
            update(DueWork)
            .where(
                DueWork.id.in_(list(work_ids)),
                DueWork.status == "pending",
                DueWork.claimed_by == worker,
            )
            .values(claimed_at=now)
        )

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
        return await self.session.scalar(_DELIVERY, {"key": key})

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
    """People by Telegram id are looked up once per unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._by_telegram_id: dict[int, Person] = {}

    def forget(self) -> None:
        self._by_telegram_id.clear()

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        found = self._by_telegram_id.get(telegram_id)
        if found is None:
            found = await self.session.scalar(_PERSON, {"telegram_id": telegram_id})
            if found is not None:
                self._by_telegram_id[telegram_id] = found
        return found

    async def context(
        self,
        telegram_id: int,
        *,
        group_chat_id: int | None = None,
        memberships: MembershipRepo | None = None,
        conversations: ConversationRepo | None = None,
    ) -> tuple[Person | None, Collective | None]:
        """What an update needs first, in one statement: the person; in a group, its
        collective (with its maillons) and the person's membership there; in private, the
        person's conversations. Later lookups of these in the unit of work cost nothing."""
        if group_chat_id is not None:
            found = await self.session.execute(
                _IN_GROUP, {"chat_id": group_chat_id, "telegram_id": telegram_id}
            )
            row = found.unique().first()
            if row is None:
                return None, None
            person, collective, membership = row
            self._by_telegram_id[telegram_id] = person
            if collective is not None and memberships is not None:
                memberships.prime(collective.id, person.id, membership)
            return person, collective
        rows = (await self.session.execute(_IN_PRIVATE, {"telegram_id": telegram_id})).all()
        if not rows:
            return None, None
        person = rows[0][0]
        self._by_telegram_id[telegram_id] = person
        if conversations is not None:
            conversations.prime(person.id, [c for _, c in rows if c is not None])
        return person, None

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
        self._by_telegram_id[person.telegram_id] = person

    async def flush(self) -> None:
        await self.session.flush()


class CollectiveRepo(Repo):
    async def by_chat(self, chat_id: int) -> Collective | None:
        return await self._one("chat_id", chat_id)

    async def get(self, collective_id: int) -> Collective | None:
        """From the unit of work when it is loaded already, else with its maillons, at once."""
        return await self.session.get(Collective, collective_id, options=[_MAILLONS])

    async def by_slug(self, slug: str) -> Collective | None:
        return await self._one("slug", slug)

    async def by_token(self, token: str) -> Collective | None:
        return await self._one("join_token", token)

    async def _one(self, column: str, value: object) -> Collective | None:
        """One collective and its maillons, in one statement."""
        result = await self.session.execute(_COLLECTIVE_BY[column], {"value": value})
        return result.unique().scalar_one_or_none()

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
    """A membership looked up once in a unit of work is not looked up again (it is the same
    object, kept up to date by the unit of work itself)."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._known: dict[tuple[int, int], Membership | None] = {}
        # The person's collectives and memberships there, oldest first (see collectives_of).
        self._of_person: dict[int, list[tuple[Collective, Membership]]] = {}

    def forget(self) -> None:
        self._known.clear()
        self._of_person.clear()

    def prime(self, collective_id: int, person_id: int, membership: Membership | None) -> None:
        """Remember a lookup made elsewhere (the context of an update)."""
        self._known[(collective_id, person_id)] = membership

    def _remember(self, memberships: Sequence[Membership]) -> None:
        for membership in memberships:
            self._known[(membership.collective_id, membership.person_id)] = membership

    async def get(self, collective_id: int, person_id: int) -> Membership | None:
        key = (collective_id, person_id)
        if key in self._known:
            return self._known[key]
        result = await self.session.execute(
            _MEMBERSHIP, {"collective_id": collective_id, "person_id": person_id}
        )
        found = result.unique().scalar_one_or_none()
        self._known[key] = found
        return found

    async def by_id(self, membership_id: int) -> Membership | None:
        found = await self.session.get(Membership, membership_id, options=[_LINKS])
        if found is not None:
            self._remember([found])
        return found

    async def with_collective(
        self, membership_id: int, *, person_id: int | None = None
    ) -> tuple[Membership, Collective] | None:
        """A membership and its collective (with its maillons), in one statement at most.
        With `person_id`, the membership is looked for among that person's, by the statement
        that also answers `collectives_of` in this unit of work (a profile shown after an edit
        lists the person's other collectives: one statement for both)."""
        member = self._loaded(Membership, membership_id)
        if isinstance(member, Membership):
            collective = self._loaded(Collective, member.collective_id)
            if isinstance(collective, Collective) and "maillons" in collective.__dict__:
                return member, collective
        # What is pending (a conversation just started) is written later, in one go.
        with self.session.no_autoflush:
            if person_id is not None:
                await self._memberships_of(person_id)
                for collective, member in self._of_person[person_id]:
                    if member.id == membership_id:
                        return member, collective
            row = await self._with_collective(membership_id)
        if row is None:
            return None
        self._remember([row[0]])
        return row[0], row[1]

    async def _with_collective(self, membership_id: int) -> Any:
        found = await self.session.execute(
            _MEMBERSHIP_AND_COLLECTIVE, {"membership_id": membership_id}
        )
        return found.unique().first()

    def _loaded(self, cls: type[Any], pk: int) -> Any:
        """The object if this unit of work holds it, loaded and not expired; else None."""
        found = self.session.identity_map.get(inspect(cls).identity_key_from_primary_key((pk,)))
        if found is None or inspect(found).expired_attributes:
            return None
        return found

    async def of_collective(
        self, collective_id: int, statuses: Sequence[str] = (MembershipStatus.ACTIVE,)
    ) -> list[Membership]:
        rows = await self.session.scalars(
            select(Membership)
            .where(Membership.collective_id == collective_id, Membership.status.in_(statuses))
            .order_by(Membership.joined_at, Membership.id)
            .options(joinedload(Membership.maillon_links))
        )
        found = list(rows.unique())
        self._remember(found)
        return found

    async def of_person(self, person_id: int) -> list[Membership]:
        return [m for _, m in await self._memberships_of(person_id)]

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
        return [c for c, _ in await self._memberships_of(person_id)]

    async def _memberships_of(self, person_id: int) -> list[tuple[Collective, Membership]]:
        """One statement per unit of work: the person's memberships (not left) and their
        collectives; the memberships are remembered for `get`."""
        found = self._of_person.get(person_id)
        if found is None:
            result = await self.session.execute(_MEMBERSHIPS_OF, {"person_id": person_id})
            found = [(c, m) for c, m in result.unique().all()]
            self._of_person[person_id] = found
            self._remember([m for _, m in found])
        # Statuses may have changed in this unit of work since: read them now.
        return [(c, m) for c, m in found if m.status != MembershipStatus.LEFT]

    def add(self, membership: Membership) -> None:
        self.session.add(membership)
        self._of_person.pop(membership.person_id, None)
        if membership.collective_id is not None and membership.person_id is not None:
            self._known[(membership.collective_id, membership.person_id)] = membership

    async def flush(self) -> None:
        await self.session.flush()

    async def set_maillons(self, membership: Membership, maillon_ids: Sequence[int]) -> None:
        membership.maillon_links[:] = [
            MembershipMaillon(maillon_id=maillon_id) for maillon_id in dict.fromkeys(maillon_ids)
        ]
        await self.session.flush()


class ConversationRepo(Repo):
    """Once a person's conversations are loaded (with the context of an update), questions
    about them are answered from the unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._of_person: dict[int, list[Conversation]] = {}

    def forget(self) -> None:
        self._of_person.clear()

    def prime(self, person_id: int, conversations: Sequence[Conversation]) -> None:
        self._of_person[person_id] = list(conversations)

    def _known(self, person_id: int) -> list[Conversation] | None:
        found = self._of_person.get(person_id)
        if found is None:
            return None
        # Deleted in this unit of work: gone.
        return [c for c in found if c not in self.session.deleted]

    async def get(self, conversation_id: int) -> Conversation | None:
        return await self.session.get(Conversation, conversation_id)

    async def active(self, person_id: int) -> Conversation | None:
        known = self._known(person_id)
        if known is not None:
            found = [c for c in known if c.status == ConversationStatus.ACTIVE]
            return max(found, key=_newest) if found else None
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
        known = self._known(person_id)
        if known is not None:
            parked = [c for c in known if c.status == ConversationStatus.PARKED]
            return sorted(parked, key=lambda c: (c.updated_at, _newest(c)), reverse=True)
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
        known = self._known(person_id)
        if known is not None:
            return next(
                (
                    c
                    for c in known
                    if c.flow == flow
                    and c.collective_id == collective_id
                    and c.subject_id == subject_id
                ),
                None,
            )
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
        known = self._of_person.get(conversation.person_id)
        if known is not None:
            known.append(conversation)

    async def flush(self) -> None:
        await self.session.flush()

    async def delete(self, conversation: Conversation) -> None:
        await self.session.delete(conversation)
        await self.session.flush()
        known = self._of_person.get(conversation.person_id)
        if known is not None and conversation in known:
            known.remove(conversation)

    def remember_end(self, conversation: Conversation, how: ConversationEnd, now: datetime) -> None:
        """Keep how the conversation ended, for its buttons pressed later (it goes next). The
        day only: when someone sent an anonymous survey's answers is never kept."""
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        self.session.add(
            EndedConversation(
                conversation_id=conversation.id,
                person_id=conversation.person_id,
                flow=conversation.flow,
                subject_id=conversation.subject_id,
                how=how,
                ended_at=day,
            )
        )

    async def discard(self, flow: str, subject_id: int, now: datetime) -> None:
        """Forget everyone's conversations of `flow` about `subject_id` (a survey closed
        under them: the answers half-given are not kept), remembering that they were."""
        self._of_person.clear()
        about = (Conversation.flow == flow, Conversation.subject_id == subject_id)
        columns = ("conversation_id", "person_id", "flow", "subject_id", "how", "ended_at")
        await self.session.execute(
            insert(EndedConversation).from_select(
                columns,
                select(
                    Conversation.id,
                    Conversation.person_id,
                    Conversation.flow,
                    Conversation.subject_id,
                    literal(ConversationEnd.DISCARDED, StrEnumType(ConversationEnd)),
                    literal(now, UTCDateTime()),
                ).where(*about),
            )
        )
        await self.session.execute(delete(Conversation).where(*about))

    async def ended(self, conversation_id: int, person_id: int) -> EndedConversation | None:
        """How the person's conversation `conversation_id` ended, if it is remembered."""
        return await self.session.scalar(
            select(EndedConversation)
            .where(
                EndedConversation.conversation_id == conversation_id,
                EndedConversation.person_id == person_id,
            )
            .order_by(EndedConversation.id.desc())
            .limit(1)
        )

    async def forget_ended(self, before: datetime) -> int:
        """Forget how conversations ended before `before`."""
        result = await self.session.execute(
            delete(EndedConversation).where(EndedConversation.ended_at < before)
        )
        return int(cast(CursorResult[Any], result).rowcount or 0)

    async def delete_about(self, flows: Sequence[str], subject_ids: Sequence[int]) -> None:
        """Forget everyone's conversations of these flows about these subjects (a vote's round
        closed: the grades given half-way are not kept)."""
        if not subject_ids:
            return
        self._of_person.clear()
        await self.session.execute(
            delete(Conversation).where(
                Conversation.flow.in_(list(flows)), Conversation.subject_id.in_(list(subject_ids))
            )
        )

    async def delete_for(self, person_id: int, collective_id: int) -> None:
        """Forget a person's conversations about one collective (they left it)."""
        self._of_person.pop(person_id, None)
        await self.session.execute(
            delete(Conversation).where(
                Conversation.person_id == person_id, Conversation.collective_id == collective_id
            )
        )


def _newest(conversation: Conversation) -> int:
    """Newest first among equals: a conversation not written yet is the newest."""
    return conversation.id if conversation.id is not None else 1 << 62


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
