"""Queries of the needs surveys: templates, surveys, answers, who has answered, drafts."""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select

from bot.domain import MembershipStatus, Role
from storage.models import (
    AnonymousResponse,
    Conversation,
    Membership,
    Survey,
    SurveyParticipant,
    SurveyResponse,
    SurveyStatus,
    SurveyTemplate,
)
from storage.repos.base import Repo

# Who answers surveys: every active member but those in observation.
ANSWERING = (Role.ANIMATEUR, Role.MEMBRE)


class SurveyRepo(Repo):
    # --- templates

    def add_template(self, template: SurveyTemplate) -> None:
        self.session.add(template)

    async def template(self, template_id: int) -> SurveyTemplate | None:
        return await self.session.get(SurveyTemplate, template_id)

    async def templates_of(self, collective_id: int) -> list[SurveyTemplate]:
        rows = await self.session.scalars(
            select(SurveyTemplate)
            .where(SurveyTemplate.collective_id == collective_id)
            .order_by(SurveyTemplate.id)
        )
        return list(rows)

    async def delete_template(self, template: SurveyTemplate) -> None:
        await self.session.delete(template)

    # --- surveys

    def add(self, survey: Survey) -> None:
        self.session.add(survey)

    async def flush(self) -> None:
        await self.session.flush()

    async def get(self, survey_id: int) -> Survey | None:
        return await self.session.get(Survey, survey_id)

    async def of_collective(
        self, collective_id: int, statuses: Sequence[SurveyStatus]
    ) -> list[Survey]:
        rows = await self.session.scalars(
            select(Survey)
            .where(Survey.collective_id == collective_id, Survey.status.in_(statuses))
            .order_by(Survey.id.desc())
        )
        return list(rows)

    async def drafts_by(self, collective_id: int, person_id: int) -> list[Survey]:
        rows = await self.session.scalars(
            select(Survey).where(
                Survey.collective_id == collective_id,
                Survey.created_by == person_id,
                Survey.status == SurveyStatus.DRAFT,
            )
        )
        return list(rows)

    async def delete(self, survey: Survey) -> None:
        await self.session.delete(survey)

    # --- who may answer

    async def answering_member(
        self, collective_id: int, person_id: int
    ) -> tuple[int, Role, MembershipStatus] | None:
        """(membership id, role, status), in one light query: the answer path runs it often."""
        row = (
            await self.session.execute(
                select(Membership.id, Membership.role, Membership.status).where(
                    Membership.collective_id == collective_id, Membership.person_id == person_id
                )
            )
        ).first()
        return (row[0], row[1], row[2]) if row is not None else None

    async def eligible_count(self, collective_id: int) -> int:
        """Active members who answer surveys now (observers do not)."""
        return int(
            await self.session.scalar(
                select(func.count(Membership.id)).where(
                    Membership.collective_id == collective_id,
                    Membership.status == MembershipStatus.ACTIVE,
                    Membership.role.in_(ANSWERING),
                )
            )
            or 0
        )

    async def eligible_members(self, collective_id: int) -> list[Membership]:
        rows = await self.session.scalars(
            select(Membership)
            .where(
                Membership.collective_id == collective_id,
                Membership.status == MembershipStatus.ACTIVE,
                Membership.role.in_(ANSWERING),
            )
            .order_by(Membership.id)
        )
        return list(rows.unique())

    # --- who has answered

    async def has_answered(self, survey_id: int, membership_id: int) -> bool:
        found = await self.session.get(SurveyParticipant, (survey_id, membership_id))
        return found is not None

    async def answered_count(self, survey_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(SurveyParticipant.survey_id == survey_id)
            )
            or 0
        )

    async def answered(self, survey_id: int) -> set[int]:
        rows = await self.session.scalars(
            select(SurveyParticipant.membership_id).where(SurveyParticipant.survey_id == survey_id)
        )
        return set(rows)

    def add_participant(self, survey_id: int, membership_id: int) -> None:
        self.session.add(SurveyParticipant(survey_id=survey_id, membership_id=membership_id))

    # --- named answers

    async def response(self, survey_id: int, membership_id: int) -> SurveyResponse | None:
        return await self.session.scalar(
            select(SurveyResponse).where(
                SurveyResponse.survey_id == survey_id,
                SurveyResponse.membership_id == membership_id,
            )
        )

    def add_response(self, response: SurveyResponse) -> None:
        self.session.add(response)

    async def responses(self, survey_id: int) -> list[tuple[SurveyResponse, Membership]]:
        """Named answers with their member (and person), in the order they were first sent."""
        rows = await self.session.execute(
            select(SurveyResponse, Membership)
            .join(Membership, Membership.id == SurveyResponse.membership_id)
            .where(SurveyResponse.survey_id == survey_id)
            .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
        )
        return [(r, m) for r, m in rows.unique().all()]

    async def named_answers_of(
        self, collective_id: int
    ) -> tuple[dict[int, dict[str, Any]], list[tuple[int, int, dict[str, Any]]]]:
        """The definitions of the collective's open or closed named surveys, by id, and
        (survey id, membership id, answers) of every named answer to them from members still
        active. Each definition is read once, not once per answer."""
        surveys = (
            Survey.collective_id == collective_id,
            Survey.anonymous.is_(False),
            Survey.status.in_((SurveyStatus.OPEN, SurveyStatus.CLOSED)),
        )
        definitions = {
            sid: dict(d)
            for sid, d in (
                await self.session.execute(select(Survey.id, Survey.definition).where(*surveys))
            ).all()
        }
        rows = await self.session.execute(
            select(SurveyResponse.survey_id, SurveyResponse.membership_id, SurveyResponse.answers)
            .join(Survey, SurveyResponse.survey_id == Survey.id)
            .join(Membership, Membership.id == SurveyResponse.membership_id)
            .where(*surveys, Membership.status == MembershipStatus.ACTIVE)
            .order_by(SurveyResponse.survey_id, SurveyResponse.id)
        )
        return definitions, [(sid, mid, dict(a)) for sid, mid, a in rows.all()]

    # --- anonymous answers

    async def add_anonymous(self, survey_id: int, answers: dict[str, Any]) -> None:
        """Keep an anonymous answer under a random id. SQLite keeps the rows in the order of
        their ids (the table has no rowid). PostgreSQL would show the order of writing in its
        system columns (xmin, ctid): there, the survey's rows are written again, shuffled, in
        the same transaction, so that they all look alike."""
        rows = [(secrets.token_hex(16), answers)]
        if self.dialect == "postgresql":
            existing = await self.session.execute(
                select(AnonymousResponse.id, AnonymousResponse.answers).where(
                    AnonymousResponse.survey_id == survey_id
                )
            )
            rows += [(i, dict(a)) for i, a in existing.all()]
            await self.session.execute(
                delete(AnonymousResponse).where(AnonymousResponse.survey_id == survey_id)
            )
            random.SystemRandom().shuffle(rows)
        await self.session.execute(
            insert(AnonymousResponse),
            [{"id": i, "survey_id": survey_id, "answers": a} for i, a in rows],
        )

    async def anonymous_answers(self, survey_id: int) -> list[dict[str, Any]]:
        """In the order of their random ids: no order of arrival."""
        rows = await self.session.scalars(
            select(AnonymousResponse.answers)
            .where(AnonymousResponse.survey_id == survey_id)
            .order_by(AnonymousResponse.id)
        )
        return [dict(a) for a in rows]

    async def delete_answers(self, survey_id: int) -> None:
        for table in (AnonymousResponse, SurveyResponse, SurveyParticipant):
            await self.session.execute(delete(table).where(table.survey_id == survey_id))

    # --- answers in progress: the members' conversations about the survey

    async def drafts(self, flow: str, survey_id: int) -> dict[int, Conversation]:
        """The conversations answering the survey, by person id."""
        rows = await self.session.scalars(
            select(Conversation).where(
                Conversation.flow == flow, Conversation.subject_id == survey_id
            )
        )
        return {c.person_id: c for c in rows}

    async def delete_drafts(self, flow: str, survey_id: int) -> None:
        await self.session.execute(
            delete(Conversation).where(
                Conversation.flow == flow, Conversation.subject_id == survey_id
            )
        )
