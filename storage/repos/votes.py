"""Queries for decisions (votes, electorate, roll, tallies, ballots, proxies, colleges) and
the charter (articles, versions, amendments, signatures)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, case, delete, distinct, func, select, update

from storage.models import (
    Charter,
    CharterAmendment,
    CharterArticle,
    CharterSignature,
    CharterVersion,
    College,
    CollegeMember,
    Membership,
    Vote,
    VoteBallot,
    VoteCollege,
    VoteElector,
    VoteOption,
    VoteProxy,
    VoteRoll,
    VoteRound,
    VoteSettings,
    VoteTally,
)
from storage.repos.base import Repo


def turnout() -> tuple[Any, Any]:
    """Two columns to select beside a `Vote`: how many took part in its current round, and
    how many may vote (correlated subqueries: one statement for a list of votes)."""
    voters = (
        select(func.count(distinct(VoteRoll.elector_id)))
        .where(VoteRoll.vote_id == Vote.id, VoteRoll.round == Vote.round)
        .correlate(Vote)
        .scalar_subquery()
    )
    electors = (
        select(func.count(VoteElector.id))
        .where(VoteElector.vote_id == Vote.id)
        .correlate(Vote)
        .scalar_subquery()
    )
    return voters, electors


OPEN_STATUSES = ("open", "paused")


class VoteRepo(Repo):
    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def delete(self, row: object) -> None:
        await self.session.delete(row)
        await self.session.flush()

    async def get(self, vote_id: int) -> Vote | None:
        return await self.session.get(Vote, vote_id)

    async def recent(self, collective_id: int, limit: int = 10) -> list[Vote]:
        """Votes that opened, the ones still running first, then the newest."""
        running = case((Vote.status.in_(OPEN_STATUSES), 0), else_=1)
        rows = await self.session.scalars(
            select(Vote)
            .where(Vote.collective_id == collective_id, Vote.status != "draft")
            .order_by(running, Vote.id.desc())
            .limit(limit)
        )
        return list(rows)

    async def running(self, collective_id: int) -> list[Vote]:
        rows = await self.session.scalars(
            select(Vote)
            .where(Vote.collective_id == collective_id, Vote.status.in_(OPEN_STATUSES))
            .order_by(Vote.id)
        )
        return list(rows)

    async def about(self, kind: str, subject_id: int) -> list[Vote]:
        """Votes on a charter, an article or an amendment, oldest first (drafts left out)."""
        rows = await self.session.scalars(
            select(Vote)
            .where(Vote.kind == kind, Vote.subject_id == subject_id, Vote.status != "draft")
            .order_by(Vote.id)
        )
        return list(rows)

    # --- options, rounds, colleges

    async def options(self, vote_id: int) -> list[VoteOption]:
        rows = await self.session.scalars(
            select(VoteOption).where(VoteOption.vote_id == vote_id).order_by(VoteOption.position)
        )
        return list(rows)

    async def set_options(self, vote_id: int, labels: Sequence[str]) -> None:
        await self.session.execute(delete(VoteOption).where(VoteOption.vote_id == vote_id))
        for position, text in enumerate(labels, start=1):
            self.session.add(VoteOption(vote_id=vote_id, position=position, label=text))
        await self.session.flush()

    async def round(self, vote_id: int, number: int) -> VoteRound | None:
        return await self.session.get(VoteRound, (vote_id, number))

    async def rounds(self, vote_id: int) -> list[VoteRound]:
        rows = await self.session.scalars(
            select(VoteRound).where(VoteRound.vote_id == vote_id).order_by(VoteRound.number)
        )
        return list(rows)

    async def vote_colleges(self, vote_id: int) -> list[VoteCollege]:
        rows = await self.session.scalars(
            select(VoteCollege).where(VoteCollege.vote_id == vote_id).order_by(VoteCollege.position)
        )
        return list(rows)

    # --- the electorate and the roll

    async def electors(self, vote_id: int) -> list[VoteElector]:
        rows = await self.session.scalars(
            select(VoteElector).where(VoteElector.vote_id == vote_id).order_by(VoteElector.id)
        )
        return list(rows)

    async def elector_of(self, vote_id: int, person_id: int) -> VoteElector | None:
        return await self.session.scalar(
            select(VoteElector).where(
                VoteElector.vote_id == vote_id, VoteElector.person_id == person_id
            )
        )

    async def elector(self, elector_id: int) -> VoteElector | None:
        return await self.session.get(VoteElector, elector_id)

    async def member_state(self, collective_id: int, person_id: int) -> tuple[str, str] | None:
        """(status, role) of a membership, in one light query (no profile, no maillons)."""
        row = (
            await self.session.execute(
                select(Membership.status, Membership.role).where(
                    Membership.collective_id == collective_id, Membership.person_id == person_id
                )
            )
        ).first()
        return (str(row[0]), str(row[1])) if row is not None else None

    async def count_electors(self, vote_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count(VoteElector.id)).where(VoteElector.vote_id == vote_id)
            )
            or 0
        )

    async def roll(self, vote_id: int, number: int) -> list[VoteRoll]:
        rows = await self.session.scalars(
            select(VoteRoll).where(VoteRoll.vote_id == vote_id, VoteRoll.round == number)
        )
        return list(rows)

    async def on_roll(self, vote_id: int, number: int, elector_id: int) -> VoteRoll | None:
        return await self.session.get(VoteRoll, (vote_id, number, elector_id))

    async def participation(self, vote_id: int, number: int) -> tuple[int, int]:
        """(took part, of whom by proxy) in a round."""
        row = (
            await self.session.execute(
                select(func.count(), func.count(VoteRoll.cast_by)).where(
                    VoteRoll.vote_id == vote_id, VoteRoll.round == number
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    # --- tallies

    async def tallies(self, vote_id: int, number: int) -> list[VoteTally]:
        rows = await self.session.scalars(
            select(VoteTally).where(VoteTally.vote_id == vote_id, VoteTally.round == number)
        )
        return list(rows)

    async def create_tallies(
        self, vote_id: int, number: int, keys: Sequence[tuple[int, int, str]]
    ) -> None:
        """Every (college, option, choice) row of a round, at zero, before anyone votes."""
        self.session.add_all(
            VoteTally(vote_id=vote_id, round=number, college=c, option=o, choice=ch, count=0)
            for c, o, ch in keys
        )
        await self.session.flush()

    async def bump(
        self, vote_id: int, number: int, college: int, deltas: Mapping[tuple[int, str], int]
    ) -> None:
        """Add `deltas` ((option, choice) → ±1) to the counts, rewriting every tally row of the
        round and college in the same statement, whatever was chosen: no row's position or
        version tells which one changed."""
        change = case(
            *[
                (and_(VoteTally.option == option, VoteTally.choice == choice), delta)
                for (option, choice), delta in deltas.items()
            ],
            else_=0,
        )
        await self.session.execute(
            update(VoteTally)
            .where(
                VoteTally.vote_id == vote_id,
                VoteTally.round == number,
                VoteTally.college == college,
            )
            .values(count=VoteTally.count + change)
            .execution_options(synchronize_session=False)
        )

    # --- public ballots

    async def ballot(self, vote_id: int, number: int, elector_id: int) -> VoteBallot | None:
        return await self.session.get(VoteBallot, (vote_id, number, elector_id))

    async def ballots(self, vote_id: int, number: int | None = None) -> list[VoteBallot]:
        query = select(VoteBallot).where(VoteBallot.vote_id == vote_id)
        if number is not None:
            query = query.where(VoteBallot.round == number)
        rows = await self.session.scalars(query.order_by(VoteBallot.round, VoteBallot.at))
        return list(rows)

    # --- proxies

    async def proxy(self, proxy_id: int) -> VoteProxy | None:
        return await self.session.get(VoteProxy, proxy_id)

    async def proxy_of(self, vote_id: int, giver_id: int) -> VoteProxy | None:
        return await self.session.scalar(
            select(VoteProxy).where(VoteProxy.vote_id == vote_id, VoteProxy.giver_id == giver_id)
        )

    async def proxies(self, vote_id: int) -> list[VoteProxy]:
        rows = await self.session.scalars(
            select(VoteProxy).where(VoteProxy.vote_id == vote_id).order_by(VoteProxy.id)
        )
        return list(rows)

    async def held(self, vote_id: int, holder_id: int) -> list[VoteProxy]:
        rows = await self.session.scalars(
            select(VoteProxy).where(
                VoteProxy.vote_id == vote_id,
                VoteProxy.holder_id == holder_id,
                VoteProxy.status == "active",
            )
        )
        return list(rows)

    # --- a collective's rules and colleges

    async def settings(self, collective_id: int) -> VoteSettings | None:
        return await self.session.get(VoteSettings, collective_id)

    async def colleges(self, collective_id: int) -> list[College]:
        rows = await self.session.scalars(
            select(College).where(College.collective_id == collective_id).order_by(College.position)
        )
        return list(rows)

    async def college_of_members(self, collective_id: int) -> dict[int, int]:
        """membership id → college id, for the collective's colleges."""
        rows = await self.session.execute(
            select(CollegeMember.membership_id, CollegeMember.college_id)
            .join(College, College.id == CollegeMember.college_id)
            .where(College.collective_id == collective_id)
        )
        return {int(m): int(c) for m, c in rows.all()}

    async def set_college(self, membership_id: int, college_id: int | None) -> None:
        await self.session.execute(
            delete(CollegeMember).where(CollegeMember.membership_id == membership_id)
        )
        if college_id is not None:
            self.session.add(CollegeMember(membership_id=membership_id, college_id=college_id))
        await self.session.flush()

    async def replace_colleges(
        self, collective_id: int, colleges: Sequence[tuple[str, int]]
    ) -> list[College]:
        """Replace the colleges; one whose name is unchanged keeps its members."""
        existing = {c.name.casefold(): c for c in await self.colleges(collective_id)}
        kept: list[College] = []
        for position, (name, weight) in enumerate(colleges, start=1):
            college = existing.pop(name.casefold(), None)
            if college is None:
                college = College(collective_id=collective_id, name=name)
                self.session.add(college)
            college.name, college.weight, college.position = name, weight, -position
            kept.append(college)
        for gone in existing.values():
            await self.session.delete(gone)
        # Positions are unique: park them out of the way first.
        await self.session.flush()
        for position, college in enumerate(kept, start=1):
            college.position = position
        await self.session.flush()
        return kept


class CharterRepo(Repo):
    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def get(self, charter_id: int) -> Charter | None:
        return await self.session.get(Charter, charter_id)

    async def of_collective(self, collective_id: int) -> Charter | None:
        return await self.session.scalar(
            select(Charter).where(Charter.collective_id == collective_id)
        )

    async def articles(self, charter_id: int) -> list[CharterArticle]:
        rows = await self.session.scalars(
            select(CharterArticle)
            .where(CharterArticle.charter_id == charter_id)
            .order_by(CharterArticle.position)
        )
        return list(rows)

    async def article(self, article_id: int) -> CharterArticle | None:
        return await self.session.get(CharterArticle, article_id)

    async def versions(self, charter_id: int) -> list[CharterVersion]:
        rows = await self.session.scalars(
            select(CharterVersion)
            .where(CharterVersion.charter_id == charter_id)
            .order_by(CharterVersion.number)
        )
        return list(rows)

    async def version(self, charter_id: int, number: int) -> CharterVersion | None:
        return await self.session.scalar(
            select(CharterVersion).where(
                CharterVersion.charter_id == charter_id, CharterVersion.number == number
            )
        )

    async def amendment(self, amendment_id: int) -> CharterAmendment | None:
        return await self.session.get(CharterAmendment, amendment_id)

    async def amendments(
        self, charter_id: int, statuses: Sequence[str] | None = None
    ) -> list[CharterAmendment]:
        query = select(CharterAmendment).where(CharterAmendment.charter_id == charter_id)
        if statuses is not None:
            query = query.where(CharterAmendment.status.in_(statuses))
        rows = await self.session.scalars(query.order_by(CharterAmendment.id))
        return list(rows)

    async def signatures(self, charter_id: int) -> list[tuple[CharterSignature, int]]:
        """Every signature with its version number, oldest first."""
        rows = await self.session.execute(
            select(CharterSignature, CharterVersion.number)
            .join(CharterVersion, CharterVersion.id == CharterSignature.version_id)
            .where(CharterVersion.charter_id == charter_id)
            .order_by(CharterVersion.number, CharterSignature.signed_at, CharterSignature.id)
        )
        return [(s, int(n)) for s, n in rows.all()]

    async def signature(self, version_id: int, person_id: int) -> CharterSignature | None:
        return await self.session.scalar(
            select(CharterSignature).where(
                CharterSignature.version_id == version_id, CharterSignature.person_id == person_id
            )
        )
