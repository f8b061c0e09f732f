"""Queries of the weekly synthèse: its settings, codes and subscribers, and the week's figures
read from the other features' tables (aggregated in the database, so that one synthèse costs
the same few statements whatever the collective's size)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from storage.models import (
    AgendaItem,
    AnonymousResponse,
    Decision,
    DigestCode,
    DigestSettings,
    DigestSubscription,
    JournalEntry,
    Maillon,
    Meeting,
    MeetingParticipant,
    Membership,
    MembershipMaillon,
    RoadmapAction,
    Survey,
    SurveyParticipant,
    SurveyResponse,
    Vote,
    VoteRound,
)
from storage.repos.base import Repo
from storage.repos.votes import turnout

ACTIVE = "active"


class DigestRepo(Repo):
    # --- settings, codes, subscriptions

    async def settings(self, collective_id: int) -> DigestSettings | None:
        return await self.session.get(DigestSettings, collective_id)

    async def add(self, row: object) -> None:
        self.session.add(row)
        await self.session.flush()

    async def code(self, text: str) -> DigestCode | None:
        found = await self.session.scalars(select(DigestCode).where(DigestCode.code == text))
        return found.first()

    async def use_code(self, code_id: int, now: datetime) -> bool:
        """Mark the code used, once: False when another chat took it first."""
        result = await self.session.execute(
            update(DigestCode)
            .where(DigestCode.id == code_id, DigestCode.used_at.is_(None))
            .values(used_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def subscriptions(
        self, collective_id: int, statuses: tuple[str, ...] = (ACTIVE, "suspended")
    ) -> list[DigestSubscription]:
        rows = await self.session.scalars(
            select(DigestSubscription)
            .where(
                DigestSubscription.collective_id == collective_id,
                DigestSubscription.status.in_(statuses),
            )
            .order_by(DigestSubscription.id)
        )
        return list(rows)

    async def subscription(self, subscription_id: int) -> DigestSubscription | None:
        return await self.session.get(DigestSubscription, subscription_id)

    async def by_chat(self, collective_id: int, chat_id: int) -> DigestSubscription | None:
        rows = await self.session.scalars(
            select(DigestSubscription).where(
                DigestSubscription.collective_id == collective_id,
                DigestSubscription.chat_id == chat_id,
            )
        )
        return rows.first()

    async def by_email(self, collective_id: int, email: str) -> DigestSubscription | None:
        rows = await self.session.scalars(
            select(DigestSubscription).where(
                DigestSubscription.collective_id == collective_id,
                DigestSubscription.email == email,
            )
        )
        return rows.first()

    async def of_chat(self, chat_id: int) -> list[DigestSubscription]:
        rows = await self.session.scalars(
            select(DigestSubscription).where(
                DigestSubscription.chat_id == chat_id, DigestSubscription.status == ACTIVE
            )
        )
        return list(rows)

    # --- the week's figures

    async def new_members(self, collective_id: int, since: datetime, until: datetime) -> list[Any]:
        """(famille, famille_ess, organisation, directory_consent) of who joined in the week."""
        rows = await self.session.execute(
            select(
                Membership.famille,
                Membership.famille_ess,
                Membership.organisation,
                Membership.directory_consent,
            )
            .where(
                Membership.collective_id == collective_id,
                Membership.status == ACTIVE,
                Membership.joined_at >= since,
                Membership.joined_at < until,
            )
            .order_by(Membership.joined_at)
        )
        return list(rows)

    async def new_members_by_maillon(
        self, collective_id: int, since: datetime, until: datetime
    ) -> list[tuple[str, int]]:
        rows = await self.session.execute(
            select(Maillon.name, func.count())
            .join(MembershipMaillon, MembershipMaillon.maillon_id == Maillon.id)
            .join(Membership, Membership.id == MembershipMaillon.membership_id)
            .where(
                Membership.collective_id == collective_id,
                Membership.status == ACTIVE,
                Membership.joined_at >= since,
                Membership.joined_at < until,
            )
            .group_by(Maillon.position, Maillon.name)
            .order_by(Maillon.position)
        )
        return [(name, int(n)) for name, n in rows]

    async def active_members(self, collective_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count(Membership.id)).where(
                    Membership.collective_id == collective_id, Membership.status == ACTIVE
                )
            )
            or 0
        )

    async def surveys_in(self, collective_id: int, since: datetime, until: datetime) -> list[Any]:
        """Surveys open at some point of the week, with how many answered each."""
        answered = (
            select(func.count())
            .where(SurveyParticipant.survey_id == Survey.id)
            .correlate(Survey)
            .scalar_subquery()
        )
        rows = await self.session.execute(
            select(
                Survey.id,
                Survey.title,
                Survey.status,
                Survey.closes_at,
                Survey.closed_at,
                Survey.definition,
                Survey.anonymous,
                answered,
            )
            .where(
                Survey.collective_id == collective_id,
                Survey.status.in_(("open", "closed")),
                Survey.opened_at < until,
                or_(Survey.closed_at.is_(None), Survey.closed_at >= since),
            )
            .order_by(Survey.opened_at)
        )
        return list(rows)

    async def survey_answers(self, survey_ids: list[int]) -> list[tuple[int, dict[str, Any]]]:
        """Every answer (named and anonymous) of these surveys: for the top needs only."""
        if not survey_ids:
            return []
        named = select(SurveyResponse.survey_id, SurveyResponse.answers).where(
            SurveyResponse.survey_id.in_(survey_ids)
        )
        anonymous = select(AnonymousResponse.survey_id, AnonymousResponse.answers).where(
            AnonymousResponse.survey_id.in_(survey_ids)
        )
        rows = await self.session.execute(named.union_all(anonymous))
        return [(int(i), dict(a or {})) for i, a in rows]

    async def votes_in(self, collective_id: int, since: datetime, until: datetime) -> list[Any]:
        """Votes closed in the week and votes running now, with their turnout."""
        voters, electors = turnout()
        rows = await self.session.execute(
            select(
                Vote.id,
                Vote.title,
                Vote.kind,
                Vote.status,
                Vote.outcome,
                Vote.closes_at,
                voters,
                electors,
                VoteRound.result,
            )
            .outerjoin(
                VoteRound, and_(VoteRound.vote_id == Vote.id, VoteRound.number == Vote.round)
            )
            .where(
                Vote.collective_id == collective_id,
                or_(
                    and_(Vote.closed_at >= since, Vote.closed_at < until, Vote.status == "closed"),
                    Vote.status.in_(("open", "paused")),
                ),
            )
            .order_by(Vote.closed_at.is_(None), Vote.closed_at, Vote.closes_at)
        )
        return list(rows)

    async def decisions_in(self, collective_id: int, since: datetime, until: datetime) -> list[str]:
        rows = await self.session.scalars(
            select(Decision.text)
            .where(
                Decision.collective_id == collective_id,
                Decision.created_at >= since,
                Decision.created_at < until,
            )
            .order_by(Decision.id)
        )
        return list(rows)

    async def meetings_in(self, collective_id: int, since: datetime, until: datetime) -> list[Any]:
        """Meetings held in the week (with attendance: recorded, else those who said they
        came) and meetings of the next two weeks (`ahead` is the horizon's end)."""
        attended = (
            select(func.count())
            .where(
                MeetingParticipant.meeting_id == Meeting.id, MeetingParticipant.attended.is_(True)
            )
            .correlate(Meeting)
            .scalar_subquery()
        )
        coming = (
            select(func.count())
            .where(MeetingParticipant.meeting_id == Meeting.id, MeetingParticipant.answer == "yes")
            .correlate(Meeting)
            .scalar_subquery()
        )
        rows = await self.session.execute(
            select(
                Meeting.id,
                Meeting.kind,
                Meeting.title,
                Meeting.starts_at,
                Meeting.place,
                Meeting.minutes_at,
                attended,
                coming,
            )
            .where(
                Meeting.collective_id == collective_id,
                Meeting.status != "cancelled",
                Meeting.starts_at >= since,
                Meeting.starts_at < until,
            )
            .order_by(Meeting.starts_at)
        )
        return list(rows)

    async def agenda_of(self, meeting_ids: list[int]) -> list[tuple[int, str]]:
        if not meeting_ids:
            return []
        rows = await self.session.execute(
            select(AgendaItem.meeting_id, AgendaItem.text)
            .where(AgendaItem.meeting_id.in_(meeting_ids), AgendaItem.status == "accepted")
            .order_by(AgendaItem.meeting_id, AgendaItem.id)
        )
        return [(int(m), t) for m, t in rows]

    async def actions_in(
        self, collective_id: int, since: datetime, until: datetime, today: date, soon: date
    ) -> list[Any]:
        """Actions done in the week, open ones due within the coming week, overdue ones."""
        rows = await self.session.execute(
            select(RoadmapAction.text, RoadmapAction.status, RoadmapAction.due_on)
            .where(
                RoadmapAction.collective_id == collective_id,
                or_(
                    and_(
                        RoadmapAction.status == "done",
                        RoadmapAction.done_at >= since,
                        RoadmapAction.done_at < until,
                    ),
                    and_(RoadmapAction.status == "open", RoadmapAction.due_on <= soon),
                ),
            )
            .order_by(RoadmapAction.due_on, RoadmapAction.id)
        )
        return list(rows)

    async def participants_by_week(
        self, collective_id: int, kinds: tuple[str, ...], since: datetime, until: datetime
    ) -> list[tuple[datetime, int]]:
        """(moment, person) of every named participation in the journal since `since`."""
        rows = await self.session.execute(
            select(JournalEntry.at, JournalEntry.actor_id).where(
                JournalEntry.collective_id == collective_id,
                JournalEntry.kind.in_(kinds),
                JournalEntry.actor_id.is_not(None),
                JournalEntry.at >= since,
                JournalEntry.at < until,
            )
        )
        return [(at, int(actor or 0)) for at, actor in rows]

    async def attendance_since(
        self, collective_id: int, since: datetime, until: datetime
    ) -> list[tuple[datetime, int]]:
        rows = await self.session.execute(
            select(Meeting.starts_at, MeetingParticipant.person_id)
            .join(MeetingParticipant, MeetingParticipant.meeting_id == Meeting.id)
            .where(
                Meeting.collective_id == collective_id,
                Meeting.starts_at >= since,
                Meeting.starts_at < until,
                MeetingParticipant.attended.is_(True),
            )
        )
        return [(at, int(p)) for at, p in rows]
