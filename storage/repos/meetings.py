"""Queries of the comités feature: meetings, series, answers, agenda, date polls, minutes,
décisions and actions. Reached with `uow.repo(MeetingRepo)` (and the others)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from bot.domain import MembershipStatus
from storage.models import (
    AgendaItem,
    DatePoll,
    DatePollAnswer,
    DatePollSlot,
    Decision,
    Meeting,
    MeetingParticipant,
    MeetingSeries,
    MeetingSettings,
    Membership,
    RoadmapAction,
)
from storage.repos.base import Repo


class MeetingRepo(Repo):
    def add(self, row: Any) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def settings(self, collective_id: int) -> MeetingSettings | None:
        return await self.session.get(MeetingSettings, collective_id)

    async def get(self, meeting_id: int) -> Meeting | None:
        return await self.session.get(Meeting, meeting_id)

    async def series(self, series_id: int) -> MeetingSeries | None:
        return await self.session.get(MeetingSeries, series_id)

    async def upcoming(
        self, collective_id: int, now: datetime, *, limit: int = 50
    ) -> list[Meeting]:
        """Scheduled meetings not started yet, soonest first."""
        rows = await self.session.scalars(
            select(Meeting)
            .where(
                Meeting.collective_id == collective_id,
                Meeting.status == "scheduled",
                Meeting.starts_at > now,
            )
            .order_by(Meeting.starts_at, Meeting.id)
            .limit(limit)
        )
        return list(rows)

    async def started(self, collective_id: int, now: datetime, *, limit: int) -> list[Meeting]:
        """Scheduled meetings that have started, the latest first."""
        rows = await self.session.scalars(
            select(Meeting)
            .where(
                Meeting.collective_id == collective_id,
                Meeting.status == "scheduled",
                Meeting.starts_at <= now,
            )
            .order_by(Meeting.starts_at.desc(), Meeting.id.desc())
            .limit(limit)
        )
        return list(rows)

    async def all_of(self, collective_id: int) -> list[Meeting]:
        rows = await self.session.scalars(
            select(Meeting)
            .where(Meeting.collective_id == collective_id)
            .order_by(Meeting.starts_at, Meeting.id)
        )
        return list(rows)

    async def of_series(self, series_id: int, after: datetime) -> list[Meeting]:
        rows = await self.session.scalars(
            select(Meeting)
            .where(
                Meeting.series_id == series_id,
                Meeting.status == "scheduled",
                Meeting.starts_at > after,
            )
            .order_by(Meeting.starts_at, Meeting.id)
        )
        return list(rows)

    async def occurrence(self, series_id: int, original_start: datetime) -> Meeting | None:
        return await self.session.scalar(
            select(Meeting).where(
                Meeting.series_id == series_id, Meeting.original_start == original_start
            )
        )

    # --- answers

    async def participant(self, meeting_id: int, person_id: int) -> MeetingParticipant | None:
        return await self.session.get(MeetingParticipant, (meeting_id, person_id))

    async def participants(self, meeting_id: int) -> list[MeetingParticipant]:
        rows = await self.session.scalars(
            select(MeetingParticipant)
            .where(MeetingParticipant.meeting_id == meeting_id)
            .order_by(MeetingParticipant.answered_at, MeetingParticipant.person_id)
        )
        return list(rows)

    async def counts(self, meeting_id: int) -> dict[str, int]:
        rows = await self.session.execute(
            select(MeetingParticipant.answer, func.count())
            .where(
                MeetingParticipant.meeting_id == meeting_id,
                MeetingParticipant.answer.is_not(None),
            )
            .group_by(MeetingParticipant.answer)
        )
        return {str(answer): int(count) for answer, count in rows.all()}

    async def members_answering(
        self, meeting_id: int, collective_id: int, answers: Sequence[str]
    ) -> list[tuple[MeetingParticipant, Membership]]:
        """Active members whose answer is one of `answers`, in the order they answered."""
        rows = await self.session.execute(
            select(MeetingParticipant, Membership)
            .join(
                Membership,
                (Membership.person_id == MeetingParticipant.person_id)
                & (Membership.collective_id == collective_id),
            )
            .where(
                MeetingParticipant.meeting_id == meeting_id,
                MeetingParticipant.answer.in_(list(answers)),
                Membership.status == MembershipStatus.ACTIVE,
            )
            .order_by(MeetingParticipant.answered_at, MeetingParticipant.person_id)
        )
        return [(p, m) for p, m in rows.unique().all()]

    # --- agenda

    async def agenda(self, meeting_id: int, statuses: Sequence[str]) -> list[AgendaItem]:
        rows = await self.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting_id, AgendaItem.status.in_(list(statuses)))
            .order_by(AgendaItem.id)
        )
        return list(rows)

    async def agenda_item(self, item_id: int) -> AgendaItem | None:
        return await self.session.get(AgendaItem, item_id)


class DatePollRepo(Repo):
    def add(self, row: Any) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def get(self, poll_id: int) -> DatePoll | None:
        return await self.session.get(DatePoll, poll_id)

    async def open_of(self, collective_id: int) -> list[DatePoll]:
        rows = await self.session.scalars(
            select(DatePoll)
            .where(DatePoll.collective_id == collective_id, DatePoll.status == "open")
            .order_by(DatePoll.id)
        )
        return list(rows)

    async def slots(self, poll_id: int) -> list[DatePollSlot]:
        rows = await self.session.scalars(
            select(DatePollSlot)
            .where(DatePollSlot.poll_id == poll_id)
            .order_by(DatePollSlot.position)
        )
        return list(rows)

    async def answers(self, poll_id: int) -> list[DatePollAnswer]:
        rows = await self.session.scalars(
            select(DatePollAnswer)
            .join(DatePollSlot, DatePollSlot.id == DatePollAnswer.slot_id)
            .where(DatePollSlot.poll_id == poll_id)
            .order_by(DatePollAnswer.answered_at, DatePollAnswer.person_id)
        )
        return list(rows)

    async def answer(self, slot_id: int, person_id: int) -> DatePollAnswer | None:
        return await self.session.get(DatePollAnswer, (slot_id, person_id))


class RoadmapRepo(Repo):
    def add(self, row: Any) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def decisions(self, meeting_id: int) -> list[Decision]:
        rows = await self.session.scalars(
            select(Decision).where(Decision.meeting_id == meeting_id).order_by(Decision.id)
        )
        return list(rows)

    async def decision_counts(self, collective_id: int) -> dict[int, int]:
        rows = await self.session.execute(
            select(Decision.meeting_id, func.count())
            .where(Decision.collective_id == collective_id, Decision.meeting_id.is_not(None))
            .group_by(Decision.meeting_id)
        )
        return {int(m): int(count) for m, count in rows.all() if m is not None}

    async def action(self, action_id: int) -> RoadmapAction | None:
        return await self.session.get(RoadmapAction, action_id)

    async def actions(
        self, collective_id: int, *, status: str | None = None, meeting_id: int | None = None
    ) -> list[RoadmapAction]:
        query = select(RoadmapAction).where(RoadmapAction.collective_id == collective_id)
        if status is not None:
            query = query.where(RoadmapAction.status == status)
        if meeting_id is not None:
            query = query.where(RoadmapAction.meeting_id == meeting_id)
        rows = await self.session.scalars(query.order_by(RoadmapAction.due_on, RoadmapAction.id))
        return list(rows)

    async def overdue(self, collective_id: int, today: date) -> list[RoadmapAction]:
        rows = await self.session.scalars(
            select(RoadmapAction)
            .where(
                RoadmapAction.collective_id == collective_id,
                RoadmapAction.status == "open",
                RoadmapAction.due_on < today,
            )
            .order_by(RoadmapAction.due_on, RoadmapAction.id)
        )
        return list(rows)
