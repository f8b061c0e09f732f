"""What the survey tests share: a collective whose members have profiles, a launched survey,
and reading what was stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.demo.scenes.surveys import NeedsAnswers, answer_needs, launch_survey
from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from storage.models import (
    AnonymousResponse,
    Conversation,
    Person,
    Survey,
    SurveyParticipant,
    SurveyResponse,
)
from tests.helpers import actor, scene, wool_collective

__all__ = ["NeedsAnswers", "answer_needs", "launch_survey"]

# The survey closes on Thursday 3 December 2026 at 18 h in Paris (17 h UTC).
CLOSES = "3/12 à 18 h"
CLOSING = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
PROFILES = [
    ("GAEC des Estives", "Entreprise ou exploitation", ("Élevage",)),
    ("Tondeurs du Cézallier", "Association", ("Tonte",)),
    ("SCIC Laines d'Auvergne", "Coopérative", ("Lavage", "Filature")),
    ("Atelier Fil & Trame", "Entreprise de l'ESS", ("Tissage et tricot",)),
    ("Lycée agricole", "Recherche", ("Élevage",)),
    ("Boutique Laine & Co", "Entreprise ou exploitation", ("Vente",)),
]


async def members(h: Harness, count: int = 3) -> tuple[SandboxChat, SandboxUser, list[SandboxUser]]:
    """The wool collective, its animator (Claire) and `count` members with profiles."""
    group, claire, users = await wool_collective(h, members=count)
    for user, (org, famille, maillons) in zip(users, PROFILES * 3, strict=False):
        await scene(h).onboard(
            user, actor(org=org, famille=famille, maillons=maillons), via_group=group
        )
    return group, claire, users


async def launched(
    h: Harness, count: int = 3, *, anonymous: bool = False
) -> tuple[SandboxChat, SandboxUser, list[SandboxUser]]:
    group, claire, users = await members(h, count)
    await launch_survey(h, claire, closes=CLOSES, anonymous=anonymous)
    return group, claire, users


SIMPLE = NeedsAnswers("Élevage ovin", maillons=("Élevage",), priorite=4)


async def latest_survey(h: Harness) -> Survey:
    async with h.app.deps.uow() as uow:
        found = await uow.session.scalar(select(Survey).order_by(Survey.id.desc()).limit(1))
        assert found is not None
        return found


async def person_of(h: Harness, user: SandboxUser) -> Person:
    async with h.app.deps.uow() as uow:
        found = await uow.people.by_telegram_id(user.id)
        assert found is not None
        return found


async def named_answers(h: Harness, user: SandboxUser) -> dict[str, Any] | None:
    survey = await latest_survey(h)
    person = await person_of(h, user)
    async with h.app.deps.uow() as uow:
        member = await uow.memberships.get(survey.collective_id, person.id)
        assert member is not None
        found = await uow.session.scalar(
            select(SurveyResponse).where(
                SurveyResponse.survey_id == survey.id, SurveyResponse.membership_id == member.id
            )
        )
        return dict(found.answers) if found is not None else None


async def rows(h: Harness, model: Any) -> list[Any]:
    async with h.app.deps.uow() as uow:
        return list(await uow.session.scalars(select(model)))


async def draft_of(h: Harness, user: SandboxUser) -> Conversation | None:
    person = await person_of(h, user)
    async with h.app.deps.uow() as uow:
        return await uow.session.scalar(
            select(Conversation).where(
                Conversation.person_id == person.id, Conversation.flow == "survey_answer"
            )
        )


async def counts(h: Harness) -> tuple[int, int, int]:
    """(named responses, anonymous responses, participants)."""
    return (
        len(await rows(h, SurveyResponse)),
        len(await rows(h, AnonymousResponse)),
        len(await rows(h, SurveyParticipant)),
    )


def before_closing(days: float) -> datetime:
    return CLOSING - timedelta(days=days)


async def until(h: Harness, moment: datetime) -> None:
    """Move the clock to `moment` and run what is due (twice: what the first pass scheduled
    for now, such as the results after a closing)."""
    if h.clock.now() < moment:
        h.clock.advance(moment - h.clock.now())
    await h.tick()
    await h.tick()


def live_message(h: Harness, group: SandboxChat) -> Any:
    """The group message with « Répondre » and the counter (edited in place)."""
    return next(m for m in h.sandbox.bot_messages(group) if m.plain.startswith("📋 Recensement"))


def live_text(h: Harness, group: SandboxChat) -> str:
    return str(live_message(h, group).plain)
