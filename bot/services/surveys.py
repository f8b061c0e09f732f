"""Needs surveys: templates (shipped, copied, imported), launching, answering one question at
a time on the conversation engine, anonymity, reminders and closings, results, and what the
mise en relation reads (`needs_and_offers`).

The answers in progress are the member's conversation (`ANSWER` flow, subject: the survey):
each answer is stored as soon as it is given, and « Envoyer » turns the conversation into a
response. An anonymous response keeps no link to the member (see `storage.models.surveys`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from bot.catalog import category_example
from bot.conversation import Flow, Kind, Option, Step, StepContext
from bot.dates import DateParseError, parse_datetime
from bot.domain import ANIMATORS, ConversationEnd, MembershipStatus
from bot.live import open_live, touch
from bot.services import journal
from bot.services.counting import percent_of
from bot.services.errors import Refusal
from bot.services.members import require_role
from bot.services.needs import NeedOrOffer
from bot.surveys import model as m
from bot.surveys import results as r
from bot.surveys.numbers import NotANumber, as_stored, parse_number, show
from bot.texts import caption, format_when
from bot.textsafety import shorten, tidy, visible
from storage.models import (
    Collective,
    Conversation,
    EndedConversation,
    Person,
    Survey,
    SurveyResponse,
    SurveyStatus,
    SurveyTemplate,
)
from storage.repos.surveys import ANSWERING, SurveyRepo
from storage.uow import UnitOfWork

ANSWER = "survey_answer"
SETUP = "survey_setup"
EXTEND = "survey_extend"
EDIT_TEMPLATE, EDIT_SURVEY = "survey_edit_t", "survey_edit_s"
ADD_TEMPLATE, ADD_SURVEY = "survey_add_t", "survey_add_s"
IMPORT = "survey_import"
LIVE = "survey"
CLOSE_WORK, REMIND_WORK, RESULTS_WORK = "survey_close", "survey_remind", "survey_results"

MIN_OPEN = timedelta(hours=1)
MAX_OPEN = timedelta(days=365)
DEFAULT_OPEN = timedelta(days=14)
CLOSING_HOUR = time(18, 0)
OTHER_LIMIT = 200
REMINDER_TOO_LATE = timedelta(hours=1)
SUMMARY_BUDGET = 3300
NEW_QUESTION_TYPES = ("text", "single", "multiple", "yesno")


def repo(uow: UnitOfWork) -> SurveyRepo:
    return uow.repo(SurveyRepo)


async def require_animator(uow: UnitOfWork, collective: Collective, person: Person) -> None:
    await require_role(uow, collective, person, ANIMATORS)


# --- definitions, parsed once per loaded survey (and again when its wording changes)

_DEFINITIONS: WeakKeyDictionary[Survey, tuple[int, m.SurveyDef]] = WeakKeyDictionary()


def definition(survey: Survey) -> m.SurveyDef:
    found = _DEFINITIONS.get(survey)
    if found is None or found[0] != survey.revision:
        found = _DEFINITIONS[survey] = (survey.revision, m.from_json(survey.definition))
    return found[1]


def live_key(survey_id: int) -> str:
    return f"survey:{survey_id}"


def when(moment: datetime, collective: Collective, lang: str, now: datetime) -> str:
    return format_when(moment, collective.timezone, lang, now=now)


# --- templates


@dataclass(frozen=True)
class TemplateRef:
    """A template the animator can launch: shipped (`code`) or the collective's own (`own`)."""

    survey: m.SurveyDef
    code: str | None = None
    own: SurveyTemplate | None = None

    @property
    def title(self) -> str:
        return self.survey.title


async def templates(uow: UnitOfWork, collective: Collective, actor: Person) -> list[TemplateRef]:
    await require_animator(uow, collective, actor)
    shipped = [TemplateRef(t.survey, code=t.code) for t in m.builtin_templates().values()]
    own = [
        TemplateRef(m.from_json(t.definition), own=t)
        for t in await repo(uow).templates_of(collective.id)
    ]
    return shipped + own


async def template_ref(
    uow: UnitOfWork,
    collective: Collective,
    actor: Person,
    *,
    code: str | None = None,
    template_id: int | None = None,
) -> TemplateRef:
    await require_animator(uow, collective, actor)
    if code is not None:
        found = m.builtin_templates().get(code)
        if found is None:
            raise Refusal("stale_button")
        return TemplateRef(found.survey, code=code)
    own = await repo(uow).template(template_id or 0)
    if own is None or own.collective_id != collective.id:
        raise Refusal("stale_button")
    return TemplateRef(m.from_json(own.definition), own=own)


async def own_template(uow: UnitOfWork, actor: Person, template_id: int) -> SurveyTemplate:
    """The collective's own template, for one of its animators."""
    own = await repo(uow).template(template_id)
    collective = await uow.collectives.get(own.collective_id) if own is not None else None
    if own is None or collective is None:
        raise Refusal("stale_button")
    await require_animator(uow, collective, actor)
    return own


async def duplicate(
    uow: UnitOfWork, collective: Collective, actor: Person, ref: TemplateRef, now: datetime
) -> SurveyTemplate:
    title = caption("surveys/copy_title", collective.language, title=ref.title)[: m.MAX_TITLE]
    copy = SurveyTemplate(
        collective_id=collective.id,
        title=title,
        definition=replace(ref.survey, title=title).to_dict(),
        origin="copy",
        created_by=actor.id,
        created_at=now,
    )
    repo(uow).add_template(copy)
    await repo(uow).flush()
    return copy


async def delete_template(uow: UnitOfWork, actor: Person, template_id: int) -> Collective:
    own = await own_template(uow, actor, template_id)
    collective = await uow.collectives.get(own.collective_id)
    assert collective is not None
    await repo(uow).delete_template(own)
    return collective


async def import_template(
    uow: UnitOfWork,
    collective: Collective,
    actor: Person,
    content: bytes,
    filename: str,
    now: datetime,
) -> tuple[SurveyTemplate, int]:
    """An XLSForm becomes a template of the collective; anything not understood is listed
    back (Refusal `xlsform_refused`) and nothing is created."""
    from bot.surveys.xlsform import read_xlsform

    await require_animator(uow, collective, actor)
    try:
        imported = read_xlsform(content, filename)
    except m.DefinitionError as exc:
        raise Refusal("xlsform_refused", file=filename[:80], error=exc) from None
    template = SurveyTemplate(
        collective_id=collective.id,
        title=imported.survey.title,
        definition=imported.survey.to_dict(),
        origin="xlsform",
        created_by=actor.id,
        created_at=now,
    )
    repo(uow).add_template(template)
    await repo(uow).flush()
    return template, imported.skipped


def xlsform_of(ref: TemplateRef, collective: Collective) -> bytes:
    from bot.surveys.xlsform import write

    maillons = tuple(m.Option(f"m{x.id}", x.name) for x in collective.maillons)
    return write(ref.survey, maillons=maillons, lang=collective.language)


def _maillons(collective: Collective) -> list[m.Maillon]:
    return [m.Maillon(x.id, x.name) for x in collective.maillons]


# --- launching: /enquete, a template, then title, closing date, anonymity


async def start_draft(
    uow: UnitOfWork, collective: Collective, actor: Person, ref: TemplateRef, now: datetime
) -> Survey:
    """A survey being prepared from a template (an earlier unfinished one is replaced)."""
    await require_animator(uow, collective, actor)
    for old in await repo(uow).drafts_by(collective.id, actor.id):
        await repo(uow).delete_drafts(SETUP, old.id)
        await repo(uow).delete(old)
    resolved = m.resolve(ref.survey, _maillons(collective), collective.language)
    survey = Survey(
        collective_id=collective.id,
        title=ref.title,
        definition=resolved.to_dict(),
        revision=1,
        anonymous=False,
        status=SurveyStatus.DRAFT,
        created_by=actor.id,
        created_at=now,
    )
    repo(uow).add(survey)
    await repo(uow).flush()
    return survey


@dataclass
class SurveySubject:
    survey: Survey
    collective: Collective


async def _load_survey(
    uow: UnitOfWork, conversation: Conversation, statuses: Sequence[SurveyStatus]
) -> SurveySubject | None:
    survey = await repo(uow).get(conversation.subject_id or 0)
    if survey is None or survey.status not in statuses:
        return None
    collective = await uow.collectives.get(survey.collective_id)
    return SurveySubject(survey, collective) if collective is not None else None


async def _load_draft(uow: UnitOfWork, conversation: Conversation) -> SurveySubject | None:
    return await _load_survey(uow, conversation, (SurveyStatus.DRAFT,))


async def _load_open(uow: UnitOfWork, conversation: Conversation) -> SurveySubject | None:
    return await _load_survey(uow, conversation, (SurveyStatus.OPEN,))


async def _guard_animator(ctx: StepContext) -> None:
    await require_animator(ctx.uow, ctx.subject.collective, ctx.person)


def read_closing(
    text: str, now: datetime, collective: Collective, lang: str, *, after: datetime | None = None
) -> datetime:
    """The closing moment typed in French (« jeudi 10 décembre à 18 h », « dans 15 jours »
    is not understood: a date is); a date without an hour closes at 18 h."""
    try:
        parsed = parse_datetime(text, now=now, tz=collective.timezone, lang=lang)
    except DateParseError as exc:
        details: dict[str, Any] = {k: v for k, v in exc.details.items() if k != "keep"}
        raise Refusal("survey_date", problem=exc.code, text=exc.text[:80], **details) from None
    value = parsed.value
    if not parsed.has_time:
        value = datetime.combine(value.date(), CLOSING_HOUR, tzinfo=ZoneInfo(collective.timezone))
    if value < now + MIN_OPEN:
        raise Refusal("survey_date_past", when=when(value, collective, lang, now))
    if value > now + MAX_OPEN:
        raise Refusal("survey_date_far")
    if after is not None and value <= after:
        raise Refusal("survey_date_not_later", when=when(after, collective, lang, now))
    return value


def default_closing(now: datetime, collective: Collective) -> datetime:
    local = (now + DEFAULT_OPEN).astimezone(ZoneInfo(collective.timezone))
    return datetime.combine(local.date(), CLOSING_HOUR, tzinfo=ZoneInfo(collective.timezone))


def _setup_params(ctx: StepContext) -> dict[str, Any]:
    subject: SurveySubject = ctx.subject
    survey = subject.survey
    return {
        "survey": survey,
        "c": subject.collective,
        "questions": sum(1 for q in definition(survey).questions if q.answerable),
        "closes": when(survey.closes_at, subject.collective, ctx.lang, ctx.now)
        if survey.closes_at
        else None,
        "reminders": list(definition(survey).reminders),
    }


async def _confirm_params(ctx: StepContext) -> dict[str, Any]:
    params = _setup_params(ctx)
    params["eligible"] = await repo(ctx.uow).eligible_count(ctx.subject.collective.id)
    return params


async def _save_title(ctx: StepContext, value: str) -> None:
    ctx.subject.survey.title = _clean(value, m.MAX_TITLE)


async def _suggest_title(ctx: StepContext) -> str:
    return str(ctx.subject.survey.title)


async def _suggest_closing(ctx: StepContext) -> str:
    subject: SurveySubject = ctx.subject
    moment = subject.survey.closes_at or default_closing(ctx.now, subject.collective)
    text = when(moment, subject.collective, ctx.lang, ctx.now)
    ctx.remember(_suggested=[text, moment.isoformat()])
    return text


def _closing_from(ctx: StepContext, text: str, after: datetime | None = None) -> datetime:
    suggested = ctx.data.get("_suggested")
    if suggested and text == suggested[0]:
        value = datetime.fromisoformat(suggested[1])
        if value >= ctx.now + MIN_OPEN and (after is None or value > after):
            return value
    return read_closing(text, ctx.now, ctx.subject.collective, ctx.lang, after=after)


async def _save_closing(ctx: StepContext, text: str) -> None:
    ctx.subject.survey.closes_at = _closing_from(ctx, text)


async def _save_anonymous(ctx: StepContext, value: str) -> None:
    ctx.subject.survey.anonymous = value == "1"


async def _nothing(ctx: StepContext, value: Any) -> None:
    return None


def _anonymity_options(ctx: StepContext) -> list[Option]:
    return [
        Option("0", caption("surveys/named", ctx.lang)),
        Option("1", caption("surveys/anonymous", ctx.lang)),
    ]


def _launch_options(ctx: StepContext) -> list[Option]:
    return [Option("go", caption("surveys/launch", ctx.lang))]


async def _launch(ctx: StepContext) -> None:
    subject: SurveySubject = ctx.subject
    survey, now = subject.survey, ctx.now
    if survey.closes_at is None or survey.closes_at < now + MIN_OPEN:
        raise Refusal("survey_date_past", when=when(now, subject.collective, ctx.lang, now))
    survey.status = SurveyStatus.OPEN
    survey.opened_at = now
    await _schedule(ctx.uow, survey, now)
    await journal.record(
        ctx.uow,
        survey.collective_id,
        "survey_launched",
        now,
        actor_id=ctx.person.id,
        data={"survey": survey.id, "title": survey.title, "anonymous": survey.anonymous},
    )


SETUP_FLOW = Flow(
    name=SETUP,
    steps=(
        Step(
            "title",
            Kind.TEXT,
            "surveys/ask_title",
            _save_title,
            params=_setup_params,
            suggest=_suggest_title,
        ),
        Step(
            "closes",
            Kind.TEXT,
            "surveys/ask_closing",
            _save_closing,
            params=_setup_params,
            suggest=_suggest_closing,
        ),
        Step(
            "anonymous",
            Kind.CHOICE,
            "surveys/ask_anonymous",
            _save_anonymous,
            params=_setup_params,
            options=_anonymity_options,
        ),
        Step(
            "confirm",
            Kind.CHOICE,
            "surveys/confirm",
            _nothing,
            params=_confirm_params,
            options=_launch_options,
            counted=False,
        ),
    ),
    load=_load_draft,
    guard=_guard_animator,
    complete=_launch,
    title=lambda ctx: str(ctx.subject.survey.title),
    progress=True,
)


async def publish(uow: UnitOfWork, survey: Survey, link: str, now: datetime) -> None:
    """The group message with « Répondre » and its counter, posted by due work."""
    collective = await uow.collectives.get(survey.collective_id)
    assert collective is not None
    survey.answer_link = link
    await open_live(
        uow,
        key=live_key(survey.id),
        kind=LIVE,
        subject_id=survey.id,
        collective=collective,
        now=now,
    )


async def _schedule(uow: UnitOfWork, survey: Survey, now: datetime) -> None:
    """The closing and the reminders, as due work keyed by the closing time: an extension
    schedules new ones, and the old ones find the survey changed and do nothing."""
    assert survey.closes_at is not None
    stamp = survey.closes_at.strftime("%Y%m%dT%H%M%S")
    closes = survey.closes_at.isoformat()
    await uow.due.schedule(
        key=f"survey:{survey.id}:close:{stamp}",
        kind=CLOSE_WORK,
        due_at=survey.closes_at,
        now=now,
        collective_id=survey.collective_id,
        payload={"survey": survey.id, "closes": closes},
    )
    reminders = [
        d for d in definition(survey).reminders if survey.closes_at - timedelta(days=d) > now
    ]
    for days in reminders:
        await uow.due.schedule(
            key=f"survey:{survey.id}:remind:{days}:{stamp}",
            kind=REMIND_WORK,
            due_at=survey.closes_at - timedelta(days=days),
            now=now,
            collective_id=survey.collective_id,
            payload={"survey": survey.id, "closes": closes, "days": days},
        )


# --- managing a launched survey


async def managed(uow: UnitOfWork, actor: Person, survey_id: int) -> SurveySubject:
    """A survey of one of the actor's collectives, for its animation team."""
    survey = await repo(uow).get(survey_id)
    collective = await uow.collectives.get(survey.collective_id) if survey is not None else None
    if survey is None or collective is None or survey.status == SurveyStatus.DRAFT:
        raise Refusal("stale_button")
    await require_animator(uow, collective, actor)
    return SurveySubject(survey, collective)


def _require_open(subject: SurveySubject, lang: str, now: datetime) -> None:
    survey = subject.survey
    if survey.status == SurveyStatus.CANCELLED:
        raise Refusal("survey_cancelled", title=survey.title)
    if survey.status != SurveyStatus.OPEN:
        closed = survey.closed_at or survey.closes_at or now
        raise Refusal(
            "survey_closed", title=survey.title, when=when(closed, subject.collective, lang, now)
        )


async def close_early(
    uow: UnitOfWork, actor: Person, survey_id: int, now: datetime, lang: str
) -> SurveySubject:
    subject = await managed(uow, actor, survey_id)
    _require_open(subject, lang, now)
    await close(uow, subject.survey, now, actor=actor)
    return subject


async def close(
    uow: UnitOfWork, survey: Survey, now: datetime, *, actor: Person | None = None
) -> None:
    """Closed: drafts never sent are discarded, the counter shows its last state, the
    results go out (due work, once). Closed by an animator (`actor`), who is there and
    waiting, the team's copies go at once, quiet hours or not; the group's wait for them."""
    survey.status = SurveyStatus.CLOSED
    survey.closed_at = now
    survey.members_at_close = await repo(uow).eligible_count(survey.collective_id)
    await uow.conversations.discard(ANSWER, survey.id, now)
    answered = await repo(uow).answered_count(survey.id)
    await journal.record(
        uow,
        survey.collective_id,
        "survey_closed",
        now,
        actor_id=actor.id if actor else None,
        data={"survey": survey.id, "title": survey.title, "answers": answered},
    )
    await touch(uow, live_key(survey.id), now, final=True)
    await uow.due.schedule(
        key=f"survey:{survey.id}:results",
        kind=RESULTS_WORK,
        due_at=now,
        now=now,
        collective_id=survey.collective_id,
        payload={"survey": survey.id, "asked": actor is not None},
    )


async def close_when_due(uow: UnitOfWork, survey_id: int, closes: str, now: datetime) -> bool:
    """The closing due work: True when it closed the survey (it may have been extended,
    closed early or cancelled meanwhile)."""
    survey = await repo(uow).get(survey_id)
    if (
        survey is None
        or survey.status != SurveyStatus.OPEN
        or survey.closes_at is None
        or survey.closes_at.isoformat() != closes
    ):
        return False
    await close(uow, survey, now)
    return True


async def cancel(
    uow: UnitOfWork, actor: Person, survey_id: int, now: datetime, lang: str
) -> SurveySubject:
    """Cancelled: nothing of it is kept but the fact, in the journal (answers and drafts
    are deleted; the group is told)."""
    subject = await managed(uow, actor, survey_id)
    _require_open(subject, lang, now)
    survey = subject.survey
    survey.status = SurveyStatus.CANCELLED
    survey.closed_at = now
    await uow.conversations.discard(ANSWER, survey.id, now)
    await repo(uow).delete_answers(survey.id)
    await journal.record(
        uow,
        survey.collective_id,
        "survey_cancelled",
        now,
        actor_id=actor.id,
        data={"survey": survey.id, "title": survey.title},
    )
    await touch(uow, live_key(survey.id), now, final=True)
    return subject


async def open_for_extension(
    uow: UnitOfWork, actor: Person, survey_id: int, now: datetime, lang: str
) -> SurveySubject:
    subject = await managed(uow, actor, survey_id)
    _require_open(subject, lang, now)
    return subject


async def _save_extension(ctx: StepContext, text: str) -> None:
    subject: SurveySubject = ctx.subject
    subject.survey.closes_at = _closing_from(ctx, text, after=subject.survey.closes_at)


async def _suggest_extension(ctx: StepContext) -> str:
    subject: SurveySubject = ctx.subject
    current = subject.survey.closes_at or ctx.now
    moment = max(current, ctx.now) + timedelta(days=7)
    text = when(moment, subject.collective, ctx.lang, ctx.now)
    ctx.remember(_suggested=[text, moment.isoformat()])
    return text


async def _extended(ctx: StepContext) -> None:
    subject: SurveySubject = ctx.subject
    survey = subject.survey
    await _schedule(ctx.uow, survey, ctx.now)
    assert survey.closes_at is not None
    await journal.record(
        ctx.uow,
        survey.collective_id,
        "survey_extended",
        ctx.now,
        actor_id=ctx.person.id,
        data={"survey": survey.id, "title": survey.title, "closes": survey.closes_at.isoformat()},
    )
    await touch(ctx.uow, live_key(survey.id), ctx.now)


EXTEND_FLOW = Flow(
    name=EXTEND,
    steps=(
        Step(
            "closes",
            Kind.TEXT,
            "surveys/ask_extension",
            _save_extension,
            params=_setup_params,
            suggest=_suggest_extension,
        ),
    ),
    load=_load_open,
    guard=_guard_animator,
    complete=_extended,
    title=lambda ctx: str(ctx.subject.survey.title),
)


# --- answering


@dataclass
class Entry:
    """Someone opening a survey to answer it."""

    survey: Survey
    collective: Collective
    membership_id: int
    previous: dict[str, Any] | None  # a named survey's answers already sent
    in_progress: bool  # a draft is waiting


async def entry(uow: UnitOfWork, survey_id: int, person: Person, now: datetime, lang: str) -> Entry:
    survey = await repo(uow).get(survey_id)
    collective = await uow.collectives.get(survey.collective_id) if survey is not None else None
    if survey is None or collective is None or survey.status == SurveyStatus.DRAFT:
        raise Refusal("stale_link")
    member = await repo(uow).answering_member(collective.id, person.id)
    if member is None or member[2] == MembershipStatus.LEFT:
        raise Refusal("not_member", collective=collective.title)
    if member[2] != MembershipStatus.ACTIVE:
        raise Refusal("join_unfinished", collective=collective.title)
    if member[1] not in ANSWERING:
        raise Refusal("survey_observer")
    subject = SurveySubject(survey, collective)
    _require_open(subject, lang, now)
    if survey.closes_at is not None and now >= survey.closes_at:
        raise Refusal(
            "survey_closed", title=survey.title, when=when(survey.closes_at, collective, lang, now)
        )
    previous = None
    draft = await uow.conversations.find(person.id, ANSWER, collective.id, survey.id)
    if await repo(uow).has_answered(survey.id, member[0]):
        if survey.anonymous:
            raise Refusal("survey_already_sent", title=survey.title)
        response = await repo(uow).response(survey.id, member[0])
        previous = dict(response.answers) if response is not None else {}
    return Entry(survey, collective, member[0], previous, draft is not None)


@dataclass
class AnswerSubject:
    """A survey being answered. The collective is read only when it is needed (a refusal,
    the summary): each answer runs few statements, whatever the survey's size."""

    survey: Survey
    membership_id: int
    role: str
    status: str
    steps: list[Step] | None = None
    _applicable: tuple[int, set[str]] | None = None
    _collective: Collective | None = None

    @property
    def definition(self) -> m.SurveyDef:
        return definition(self.survey)

    async def collective(self, uow: UnitOfWork) -> Collective:
        if self._collective is None:
            self._collective = await uow.collectives.get(self.survey.collective_id)
            assert self._collective is not None  # the survey goes with its collective
        return self._collective


async def _load_answer(uow: UnitOfWork, conversation: Conversation) -> AnswerSubject | None:
    survey = await repo(uow).get(conversation.subject_id or 0)
    if survey is None:
        return None
    member = await repo(uow).answering_member(survey.collective_id, conversation.person_id)
    if member is None:
        return None
    return AnswerSubject(survey, member[0], member[1], member[2])


async def _guard_answer(ctx: StepContext) -> None:
    subject: AnswerSubject = ctx.subject
    survey = subject.survey
    closes = survey.closes_at
    if (
        subject.status == MembershipStatus.ACTIVE
        and subject.role in ANSWERING
        and survey.status == SurveyStatus.OPEN
        and (closes is None or ctx.now < closes)
    ):
        return
    collective = await subject.collective(ctx.uow)
    if subject.status != MembershipStatus.ACTIVE:
        raise Refusal("not_member", collective=collective.title)
    if subject.role not in ANSWERING:
        raise Refusal("survey_observer")
    _require_open(SurveySubject(survey, collective), ctx.lang, ctx.now)
    assert closes is not None
    raise Refusal(
        "survey_closed", title=survey.title, when=when(closes, collective, ctx.lang, ctx.now)
    )


def answers_of(ctx: StepContext) -> dict[str, Any]:
    return dict(ctx.data.get("a") or {})


def _set_answers(ctx: StepContext, changes: dict[str, Any]) -> None:
    answers = answers_of(ctx)
    for key, value in changes.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    ctx.remember(a=answers)
    survey = ctx.subject.survey
    if survey.first_answer_at is None:
        # The first answer anyone gives: the wording can no longer be corrected.
        survey.first_answer_at = ctx.now


def _applicable(ctx: StepContext) -> set[str]:
    subject: AnswerSubject = ctx.subject
    data = ctx.conversation.data
    if subject._applicable is None or subject._applicable[0] != id(data):
        found = r.applicable(subject.definition, answers_of(ctx), subject.survey.anonymous)
        subject._applicable = (id(data), found)
    return subject._applicable[1]


def _chosen(ctx: StepContext, question: m.Question) -> list[str]:
    value = answers_of(ctx).get(question.id)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _make_answer_steps(ctx: StepContext) -> list[Step]:
    subject: AnswerSubject = ctx.subject
    if subject.steps is None:
        subject.steps = _answer_steps(subject.definition, subject.survey.anonymous)
    return subject.steps


def _answer_steps(survey: m.SurveyDef, anonymous: bool) -> list[Step]:
    steps: list[Step] = []
    notes: list[m.Question] = []
    for question in survey.questions:
        if not m.asked(question, anonymous):
            continue
        if question.type == "note":
            notes.append(question)
            continue
        steps += _question_steps(question, tuple(notes))
        notes = []
    steps.append(
        Step(
            "send",
            Kind.CHOICE,
            "surveys/summary",
            _nothing,
            params=_summary_params,
            options=lambda ctx: [Option("send", caption("surveys/send", ctx.lang))],
            counted=False,
        )
    )
    return steps


def _question_steps(question: m.Question, notes: tuple[m.Question, ...]) -> list[Step]:
    qid = question.id

    def applies(ctx: StepContext) -> bool:
        return qid in _applicable(ctx) and (
            not question.is_choice or bool(question.options) or question.other
        )

    async def params(ctx: StepContext) -> dict[str, Any]:
        answers = answers_of(ctx)
        shown_notes = [n.label for n in notes if n.id in _applicable(ctx) or not n.condition]
        return {
            "q": question,
            "notes": shown_notes,
            "current": r.reads(question, answers, ctx.lang) if question.id in answers else None,
            "low": show(question.min, ctx.lang) if question.min is not None else None,
            "high": show(question.max, ctx.lang) if question.max is not None else None,
        }

    async def cleared(ctx: StepContext) -> None:
        _set_answers(ctx, {qid: None})

    base = {"params": params, "applies": applies, "optional": not question.required}
    steps: list[Step] = []
    if question.type in ("single", "yesno", "scale"):
        choices = question.choices()

        def options(ctx: StepContext) -> list[Option]:
            return [
                Option(str(i), r.choice_label(question, o.value, ctx.lang))
                for i, o in enumerate(choices)
            ]

        async def save_one(ctx: StepContext, index: str) -> None:
            value: Any = choices[int(index)].value
            if question.type == "scale":
                value = int(value)
            _set_answers(ctx, {qid: value})

        steps.append(
            Step(
                f"q:{qid}",
                Kind.CHOICE,
                "surveys/question",
                save_one,
                options=options,
                cleared=cleared,
                **base,  # type: ignore[arg-type]
            )
        )
    elif question.type == "multiple":
        choices = question.choices()

        def multi_options(ctx: StepContext) -> list[Option]:
            return [
                Option(str(i), r.choice_label(question, o.value, ctx.lang))
                for i, o in enumerate(choices)
            ]

        def chosen(ctx: StepContext) -> list[str]:
            picked = set(_chosen(ctx, question))
            return [str(i) for i, o in enumerate(choices) if o.value in picked]

        async def save_many(ctx: StepContext, indexes: list[str]) -> None:
            values = [choices[int(i)].value for i in indexes]
            if not values and question.required:
                raise Refusal("survey_choose_one")
            _set_answers(ctx, {qid: values or None})

        steps.append(
            Step(
                f"q:{qid}",
                Kind.MULTI,
                "surveys/question",
                save_many,
                options=multi_options,
                chosen=chosen,
                cleared=cleared,
                **base,  # type: ignore[arg-type]
            )
        )
    else:
        steps.append(
            Step(
                f"q:{qid}",
                Kind.TEXT,
                "surveys/question",
                _typed_saver(question),
                suggest=_typed_suggestion(question),
                cleared=cleared,
                **base,  # type: ignore[arg-type]
            )
        )
    if question.detail:
        for index, option in enumerate(question.options):
            steps.append(_extra_step(question, option.value, (index, option), applies))
    if question.other:
        steps.append(_extra_step(question, m.OTHER, None, applies, required=True))
    return steps


def _typed_saver(question: m.Question) -> Any:
    async def save(ctx: StepContext, text: str) -> None:
        _set_answers(ctx, {question.id: read_typed(question, text, ctx.lang)})

    return save


def _typed_suggestion(question: m.Question) -> Any:
    async def suggest(ctx: StepContext) -> str | None:
        value = answers_of(ctx).get(question.id)
        if value is None:
            return None
        return show(value, ctx.lang) if question.type == "number" else str(value)

    return suggest


def read_typed(question: m.Question, text: str, lang: str) -> str | int | float:
    """A typed answer checked against its question: the length of a text, a number and its
    range. Refused answers store nothing and leave the question in place."""
    if question.type == "number":
        try:
            value = parse_number(text, question.unit)
        except NotANumber:
            raise Refusal("survey_not_a_number", unit=question.unit, text=text[:40]) from None
        if question.integer and value != int(value):
            raise Refusal("survey_not_integer")
        if (question.min is not None and value < question.min) or (
            question.max is not None and value > question.max
        ):
            raise Refusal(
                "survey_out_of_range",
                low=show(question.min, lang) if question.min is not None else None,
                high=show(question.max, lang) if question.max is not None else None,
                unit=question.unit,
            )
        return as_stored(value, question.integer)
    return _clean(text, question.max_length)


def _clean(text: str, limit: int) -> str:
    value = tidy(text)
    if not value or not visible(value):
        raise Refusal("empty_answer", field="answer")
    if len(value) > limit:
        raise Refusal("survey_too_long", limit=limit, length=len(value))
    return value


def _extra_step(
    question: m.Question,
    value: str,
    option: tuple[int, m.Option] | None,
    applies: Any,
    *,
    required: bool = False,
) -> Step:
    key = f"{question.id}:{value}"

    def shown(ctx: StepContext) -> bool:
        return applies(ctx) and value in _chosen(ctx, question)

    async def save(ctx: StepContext, text: str) -> None:
        _set_answers(ctx, {key: _clean(text, OTHER_LIMIT)})

    async def cleared(ctx: StepContext) -> None:
        _set_answers(ctx, {key: None})

    async def suggest(ctx: StepContext) -> str | None:
        found = answers_of(ctx).get(key)
        return str(found) if found else None

    def params(ctx: StepContext) -> dict[str, Any]:
        kind = {"needs": "need", "offers": "offer"}.get(question.source, "")
        return {
            "q": question,
            "option": option[1].label if option else None,
            "example": category_example(value, kind, ctx.lang) if kind else "",
        }

    name = f"o:{question.id}" if option is None else f"d:{question.id}:{option[0]}"
    return Step(
        name,
        Kind.TEXT,
        "surveys/ask_other" if option is None else "surveys/ask_detail",
        save,
        params=params,
        applies=shown,
        optional=not required,
        suggest=suggest,
        cleared=cleared,
        # A « précisez » or « Autre » belongs to its question: not counted apart, so the
        # progress line (« Question 4 sur 11 ») does not grow with each option chosen.
        counted=False,
    )


def question_count(survey: Survey) -> tuple[int, int]:
    """(always asked, asked or not depending on earlier answers), for this survey's
    anonymity: what the announcement says, and what the progress line then counts."""
    asked = [
        q for q in definition(survey).questions if q.answerable and m.asked(q, survey.anonymous)
    ]
    depending = sum(1 for q in asked if q.condition)
    return len(asked) - depending, depending


def summary(survey: Survey, answers: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(question, answer) for what would be sent, cut to fit one message."""
    defn = definition(survey)
    sent = r.effective(defn, answers, survey.anonymous)
    lines = [
        (q.label, r.reads(q, sent, lang) or "")
        for q in defn.questions
        if q.answerable and q.id in sent
    ]
    for limit in (300, 150, 80, 40):
        if sum(min(len(a), limit) + min(len(q), 90) + 8 for q, a in lines) <= SUMMARY_BUDGET:
            break
    return [(shorten(q, 90), shorten(a, limit)) for q, a in lines]


async def _summary_params(ctx: StepContext) -> dict[str, Any]:
    subject: AnswerSubject = ctx.subject
    survey = subject.survey
    collective = await subject.collective(ctx.uow)
    return {
        "survey": survey,
        "lines": summary(survey, answers_of(ctx), ctx.lang),
        "closes": when(survey.closes_at, collective, ctx.lang, ctx.now)
        if survey.closes_at
        else None,
    }


async def _submit(ctx: StepContext) -> None:
    """« Envoyer »: a named survey keeps the answers with the member (changed until
    closing); an anonymous one keeps them under a random id, with no link to anyone."""
    subject: AnswerSubject = ctx.subject
    survey, now, uow = subject.survey, ctx.now, ctx.uow
    answers = r.effective(subject.definition, answers_of(ctx), survey.anonymous)
    surveys = repo(uow)
    first = not await surveys.has_answered(survey.id, subject.membership_id)
    if survey.anonymous:
        if not first:
            raise Refusal("survey_already_sent", title=survey.title)
        surveys.add_participant(survey.id, subject.membership_id)
        await surveys.add_anonymous(survey.id, answers)
        # The journal says the survey got an answer; never whose.
        await journal.record(
            uow,
            survey.collective_id,
            "survey_answered",
            now,
            data={"survey": survey.id, "title": survey.title, "anonymous": True},
        )
    else:
        response = await surveys.response(survey.id, subject.membership_id)
        if response is None:
            surveys.add_response(
                SurveyResponse(
                    survey_id=survey.id,
                    membership_id=subject.membership_id,
                    answers=answers,
                    submitted_at=now,
                    updated_at=now,
                )
            )
        else:
            response.answers = answers
            response.updated_at = now
        if first:
            surveys.add_participant(survey.id, subject.membership_id)
        await journal.record(
            uow,
            survey.collective_id,
            "survey_answered",
            now,
            actor_id=ctx.person.id,
            data={"survey": survey.id, "title": survey.title, "changed": not first},
        )
    if first:
        await touch(uow, live_key(survey.id), now)


async def _answering_ended(
    uow: UnitOfWork, person: Person, ended: EndedConversation, now: datetime, lang: str
) -> Refusal:
    """A button of answers that were sent, or that the closing discarded."""
    survey = await repo(uow).get(ended.subject_id or 0)
    collective = await uow.collectives.get(survey.collective_id) if survey is not None else None
    if survey is None or collective is None:
        return Refusal("stale_button")
    if survey.status == SurveyStatus.CANCELLED:
        return Refusal("survey_cancelled", title=survey.title)
    if ended.how == ConversationEnd.DONE:
        return Refusal("survey_answers_sent", title=survey.title)
    if survey.status != SurveyStatus.CLOSED:
        return Refusal("stale_button")
    # Discarded at closing: what was being answered, or changed after sending (then the
    # answers sent before are those counted).
    member = await repo(uow).answering_member(collective.id, person.id)
    kept = member is not None and await repo(uow).has_answered(survey.id, member[0])
    closed = survey.closed_at or now
    return Refusal("survey_closed_unsent", when=when(closed, collective, lang, now), kept=kept)


ANSWER_FLOW = Flow(
    name=ANSWER,
    make_steps=_make_answer_steps,
    load=_load_answer,
    guard=_guard_answer,
    complete=_submit,
    title=lambda ctx: str(ctx.subject.survey.title),
    progress=True,
    ended=_answering_ended,
)


# --- the counter in the group


@dataclass(frozen=True)
class Counter:
    survey: Survey
    collective: Collective
    answered: int
    eligible: int


async def counter(uow: UnitOfWork, survey_id: int) -> Counter | None:
    survey = await repo(uow).get(survey_id)
    if survey is None or survey.status == SurveyStatus.DRAFT:
        return None
    collective = await uow.collectives.get(survey.collective_id)
    if collective is None:
        return None
    answered = await repo(uow).answered_count(survey.id)
    eligible = (
        survey.members_at_close
        if survey.members_at_close is not None
        else await repo(uow).eligible_count(collective.id)
    )
    return Counter(survey, collective, answered, eligible)


async def open_surveys(uow: UnitOfWork, collective: Collective) -> list[Counter]:
    found = []
    for survey in await repo(uow).of_collective(collective.id, (SurveyStatus.OPEN,)):
        count = await counter(uow, survey.id)
        if count is not None:
            found.append(count)
    return found


async def closed_surveys(uow: UnitOfWork, collective: Collective) -> list[Survey]:
    return await repo(uow).of_collective(
        collective.id, (SurveyStatus.CLOSED, SurveyStatus.CANCELLED)
    )


async def my_surveys(
    uow: UnitOfWork, collective: Collective, person: Person
) -> list[tuple[Counter, bool]]:
    """The open surveys a member can answer, and whether they have sent their answers."""
    member = await repo(uow).answering_member(collective.id, person.id)
    if member is None or member[2] != MembershipStatus.ACTIVE:
        raise Refusal("not_member", collective=collective.title)
    found = []
    for count in await open_surveys(uow, collective):
        found.append((count, await repo(uow).has_answered(count.survey.id, member[0])))
    return found


async def running_elsewhere(
    uow: UnitOfWork, person: Person, here: Collective
) -> list[tuple[Collective, int]]:
    """The person's other collectives (as an active member) with surveys running, and how
    many: someone who meant another collective learns where to look."""
    found = []
    for collective in await uow.memberships.collectives_of(person.id):
        if collective.id == here.id:
            continue
        member = await repo(uow).answering_member(collective.id, person.id)
        if member is None or member[2] != MembershipStatus.ACTIVE:
            continue
        running = await repo(uow).of_collective(collective.id, (SurveyStatus.OPEN,))
        if running:
            found.append((collective, len(running)))
    return found


# --- reminders


@dataclass(frozen=True)
class Reminder:
    person: Person
    in_progress: bool


@dataclass(frozen=True)
class ReminderPlan:
    survey: Survey
    collective: Collective
    people: list[Reminder]
    missing: int


async def reminder_plan(
    uow: UnitOfWork, survey_id: int, closes: str, now: datetime
) -> ReminderPlan | None:
    """Who gets a reminder: active members who answer surveys, have not sent their answers
    and can be reached; None when the survey changed since the reminder was planned."""
    survey = await repo(uow).get(survey_id)
    if (
        survey is None
        or survey.status != SurveyStatus.OPEN
        or survey.closes_at is None
        or survey.closes_at.isoformat() != closes
    ):
        return None
    collective = await uow.collectives.get(survey.collective_id)
    if collective is None or now >= survey.closes_at - REMINDER_TOO_LATE:
        # Overdue after a long stop: a reminder an hour before closing helps nobody.
        return None
    answered = await repo(uow).answered(survey.id)
    drafts = await repo(uow).drafts(ANSWER, survey.id)
    waiting = [x for x in await repo(uow).eligible_members(collective.id) if x.id not in answered]
    people = [
        Reminder(x.person, x.person_id in drafts)
        for x in waiting
        if x.person.unreachable_since is None
    ]
    return ReminderPlan(survey, collective, people, len(waiting))


# --- results


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    collective: Collective
    definition: m.SurveyDef
    respondents: list[r.Respondent]
    eligible: int
    tallies: list[r.Tally]
    breakdowns: list[r.Breakdown]
    breakdown_source: str  # "profile", "questions", or "none"

    @property
    def answered(self) -> int:
        return len(self.respondents)

    @property
    def rate(self) -> int:
        return percent_of(self.answered, self.eligible)

    def table(self, lang: str) -> tuple[list[str], list[list[Any]]]:
        return r.table(
            self.definition, self.respondents, named=not self.survey.anonymous, lang=lang
        )


async def answers_table(
    uow: UnitOfWork, survey_id: int, lang: str
) -> tuple[Survey, list[str], list[list[Any]]] | None:
    """A closed survey's answers as a table (the export archive): one row per response."""
    found = await _respondents(uow, survey_id)
    if found is None:
        return None
    survey, _, defn, respondents, _ = found
    header, rows = r.table(defn, respondents, named=not survey.anonymous, lang=lang)
    return survey, header, rows


async def _respondents(
    uow: UnitOfWork, survey_id: int
) -> tuple[Survey, Collective, m.SurveyDef, list[r.Respondent], str] | None:
    survey = await repo(uow).get(survey_id)
    if survey is None or survey.status != SurveyStatus.CLOSED:
        return None
    collective = await uow.collectives.get(survey.collective_id)
    if collective is None:
        return None
    full = definition(survey)
    # What was asked: a question for anonymous surveys only is left out of a named one.
    defn = replace(full, questions=tuple(q for q in full.questions if m.asked(q, survey.anonymous)))
    names = {x.id: x.name for x in collective.maillons}
    if survey.anonymous:
        respondents = []
        for answers in await repo(uow).anonymous_answers(survey.id):
            maillons, ess = r.anonymous_profile(defn, answers)
            respondents.append(r.Respondent(answers, maillons, ess))
        has_dimension = any(q.source in ("maillons", "familles") for q in defn.questions)
        source = "questions" if has_dimension else "none"
    else:
        respondents = [
            r.Respondent(
                dict(response.answers),
                tuple(names[i] for i in member.maillon_ids if i in names),
                member.famille_ess,
                name=member.person.display_name,
                organisation=member.organisation or "",
                sent_at=response.submitted_at,
            )
            for response, member in await repo(uow).responses(survey.id)
        ]
        source = "profile"
    return survey, collective, defn, respondents, source


async def results(uow: UnitOfWork, survey_id: int, lang: str) -> SurveyResults | None:
    found = await _respondents(uow, survey_id)
    if found is None:
        return None
    survey, collective, defn, respondents, source = found
    maillon_names = [x.name for x in collective.maillons]
    if survey.anonymous:
        maillon_names = [
            o.label for q in defn.questions if q.source == "maillons" for o in q.options
        ]
    return SurveyResults(
        survey,
        collective,
        defn,
        respondents,
        survey.members_at_close or 0,
        r.tally(defn, [x.answers for x in respondents], lang),
        r.breakdowns(
            defn,
            respondents,
            anonymous=survey.anonymous,
            maillon_names=maillon_names,
            lang=lang,
        )
        if source != "none"
        else [],
        source,
    )


async def animators_of(uow: UnitOfWork, collective_id: int) -> list[Person]:
    from bot.domain import Role

    members = await uow.memberships.of_collective(collective_id)
    return [x.person for x in members if x.role == Role.ANIMATEUR]


# --- what the mise en relation reads


async def needs_and_offers(uow: UnitOfWork, collective_id: int) -> list[NeedOrOffer]:
    """Needs and offers from the named surveys of the collective (open or closed), in the
    shared categories, with the « précisez » each actor gave. Anonymous answers never feed
    it."""
    found: list[NeedOrOffer] = []
    # The questions that feed it, read once per survey (not once per answer: a year of
    # surveys is 12,000 answers to 40 definitions).
    definitions, named = await repo(uow).named_answers_of(collective_id)
    sourced = {
        survey_id: [q for q in m.from_json(data).questions if q.source in ("needs", "offers")]
        for survey_id, data in definitions.items()
    }
    for survey_id, membership_id, answers in named:
        for question in sourced[survey_id]:
            chosen = answers.get(question.id) or []
            for value in chosen if isinstance(chosen, list) else [chosen]:
                if value == m.OTHER:
                    continue
                found.append(
                    NeedOrOffer(
                        actor=f"member:{membership_id}",
                        kind="need" if question.source == "needs" else "offer",
                        category=str(value),
                        detail=answers.get(f"{question.id}:{value}"),
                        source=f"survey:{survey_id}",
                    )
                )
    return found


# --- editing a template (any time) or a launched survey (until the first answer)


@dataclass
class Editable:
    kind: str  # "t": the collective's own template; "s": a launched survey
    row: SurveyTemplate | Survey
    collective: Collective

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def survey(self) -> m.SurveyDef:
        if isinstance(self.row, Survey):
            return definition(self.row)
        return m.from_json(self.row.definition)


async def editable(uow: UnitOfWork, actor: Person, kind: str, row_id: int) -> Editable:
    found: SurveyTemplate | Survey | None
    found = await repo(uow).template(row_id) if kind == "t" else await repo(uow).get(row_id)
    collective = await uow.collectives.get(found.collective_id) if found is not None else None
    if found is None or collective is None:
        raise Refusal("stale_button")
    await require_animator(uow, collective, actor)
    if isinstance(found, Survey):
        if found.status != SurveyStatus.OPEN:
            raise Refusal("stale_button")
        if found.first_answer_at is not None:
            raise Refusal("survey_locked", title=found.title)
    return Editable(kind, found, collective)


async def change(uow: UnitOfWork, target: Editable, new: m.SurveyDef, now: datetime) -> None:
    """Save a changed wording, checked like a template file."""
    try:
        checked = m.read(new.to_dict())
    except m.DefinitionError as exc:
        raise Refusal("survey_edit_refused", error=exc) from None
    row = target.row
    row.title = checked.title
    row.definition = checked.to_dict()
    if isinstance(row, Survey):
        row.revision += 1
        # Nobody has answered (else it would be locked): a half-opened question goes.
        await repo(uow).delete_drafts(ANSWER, row.id)
        await touch(uow, live_key(row.id), now)


def _question_of(target: Editable, question_id: str) -> m.Question:
    found = target.survey.question(question_id)
    if found is None:
        raise Refusal("stale_button")
    return found


def _replace_question(survey: m.SurveyDef, question: m.Question) -> m.SurveyDef:
    return replace(
        survey,
        questions=tuple(question if q.id == question.id else q for q in survey.questions),
    )


async def toggle_required(
    uow: UnitOfWork, target: Editable, question_id: str, now: datetime
) -> None:
    question = _question_of(target, question_id)
    if question.type == "note":
        raise Refusal("stale_button")
    await change(
        uow,
        target,
        _replace_question(target.survey, replace(question, required=not question.required)),
        now,
    )


async def remove_question(
    uow: UnitOfWork, target: Editable, question_id: str, now: datetime
) -> None:
    _question_of(target, question_id)
    survey = target.survey
    remaining = tuple(q for q in survey.questions if q.id != question_id)
    if not any(q.answerable for q in remaining):
        raise Refusal("survey_last_question")
    await change(uow, target, replace(survey, questions=remaining), now)


def option_labels(text: str) -> list[str]:
    """One option per line, or separated by « ; »."""
    labels = [tidy(part) for part in re.split(r"[\n;]", text)]
    return [label for label in labels if label and visible(label)]


def _value_of(label: str, taken: set[str]) -> str:
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:30] or "option"
    value, n = base, 2
    while value in taken or value == m.OTHER:
        value = f"{base[:26]}_{n}"
        n += 1
    taken.add(value)
    return value


def new_options(labels: Sequence[str], old: Sequence[m.Option]) -> tuple[m.Option, ...]:
    """Options from typed labels, keeping the value of an option whose label is unchanged,
    then of one renamed in place (so conditions on it still hold)."""
    if len(labels) < 2:
        raise Refusal("survey_few_options")
    if len(labels) > m.MAX_OPTIONS:
        raise Refusal("survey_many_options", limit=m.MAX_OPTIONS)
    for label in labels:
        if len(label) > m.MAX_OPTION_LABEL:
            raise Refusal("survey_option_too_long", limit=m.MAX_OPTION_LABEL, label=label[:40])
    by_label = {o.label.casefold(): o.value for o in old}
    values: list[str | None] = [by_label.pop(label.casefold(), None) for label in labels]
    left = [o.value for o in old if o.value in by_label.values()]
    taken = {v for v in values if v is not None}
    for i, value in enumerate(values):
        if value is None and left:
            values[i] = left.pop(0)
            taken.add(values[i] or "")
    return tuple(
        m.Option(value or _value_of(label, taken), label)
        for value, label in zip(values, labels, strict=True)
    )


# The edit flows: one question at a time (`at_step`), about a template or a survey.


async def _load_editable(uow: UnitOfWork, conversation: Conversation, kind: str) -> Editable | None:
    row: SurveyTemplate | Survey | None
    row = (
        await repo(uow).template(conversation.subject_id or 0)
        if kind == "t"
        else await repo(uow).get(conversation.subject_id or 0)
    )
    if row is None or (isinstance(row, Survey) and row.status != SurveyStatus.OPEN):
        return None
    collective = await uow.collectives.get(row.collective_id)
    return Editable(kind, row, collective) if collective is not None else None


async def _guard_edit(ctx: StepContext) -> None:
    target: Editable = ctx.subject
    await require_animator(ctx.uow, target.collective, ctx.person)
    if isinstance(target.row, Survey) and target.row.first_answer_at is not None:
        raise Refusal("survey_locked", title=target.row.title)


def _edit_params(ctx: StepContext) -> dict[str, Any]:
    target: Editable = ctx.subject
    question = target.survey.question(str(ctx.data.get("question", "")))
    return {"title": target.survey.title, "q": question, "new": ctx.data.get("new")}


async def _edit_title(ctx: StepContext, text: str) -> None:
    target: Editable = ctx.subject
    await change(ctx.uow, target, replace(target.survey, title=_clean(text, m.MAX_TITLE)), ctx.now)


async def _edit_label(ctx: StepContext, text: str) -> None:
    target: Editable = ctx.subject
    question = _question_of(target, str(ctx.data.get("question", "")))
    label = _clean(text, m.MAX_LABEL)
    await change(
        ctx.uow, target, _replace_question(target.survey, replace(question, label=label)), ctx.now
    )


async def _edit_options(ctx: StepContext, text: str) -> None:
    target: Editable = ctx.subject
    question = _question_of(target, str(ctx.data.get("question", "")))
    if not question.is_choice:
        raise Refusal("stale_button")
    if question.source:
        raise Refusal("survey_shared_list")
    options = new_options(option_labels(text), question.options)
    await change(
        ctx.uow,
        target,
        _replace_question(target.survey, replace(question, options=options)),
        ctx.now,
    )


async def _current_title(ctx: StepContext) -> str:
    return str(ctx.subject.survey.title)


async def _current_label(ctx: StepContext) -> str | None:
    question = ctx.subject.survey.question(str(ctx.data.get("question", "")))
    return question.label if question is not None else None


async def _current_options(ctx: StepContext) -> str | None:
    question = ctx.subject.survey.question(str(ctx.data.get("question", "")))
    if question is None or not question.options or question.source:
        return None
    return " ; ".join(o.label for o in question.options)


def _edit_flow(name: str, kind: str) -> Flow:
    async def load(uow: UnitOfWork, conversation: Conversation) -> Editable | None:
        return await _load_editable(uow, conversation, kind)

    return Flow(
        name=name,
        steps=(
            Step(
                "title",
                Kind.TEXT,
                "surveys/edit_title",
                _edit_title,
                params=_edit_params,
                suggest=_current_title,
            ),
            Step(
                "label",
                Kind.TEXT,
                "surveys/edit_label",
                _edit_label,
                params=_edit_params,
                suggest=_current_label,
            ),
            Step(
                "options",
                Kind.TEXT,
                "surveys/edit_options",
                _edit_options,
                params=_edit_params,
                suggest=_current_options,
            ),
        ),
        load=load,
        guard=_guard_edit,
        title=lambda ctx: str(ctx.subject.survey.title),
    )


def _new(ctx: StepContext) -> dict[str, Any]:
    return dict(ctx.data.get("new") or {})


async def _add_type(ctx: StepContext, value: str) -> None:
    if value not in NEW_QUESTION_TYPES:
        raise Refusal("stale_button")
    ctx.remember(new={**_new(ctx), "type": value})


async def _add_label(ctx: StepContext, text: str) -> None:
    ctx.remember(new={**_new(ctx), "label": _clean(text, m.MAX_LABEL)})


async def _add_options(ctx: StepContext, text: str) -> None:
    options = new_options(option_labels(text), ())
    ctx.remember(new={**_new(ctx), "options": [[o.value, o.label] for o in options]})


async def _add_required(ctx: StepContext, value: str) -> None:
    ctx.remember(new={**_new(ctx), "required": value == "1"})


async def _added(ctx: StepContext) -> None:
    target: Editable = ctx.subject
    new = _new(ctx)
    survey = target.survey
    taken = {q.id for q in survey.questions}
    n = len(survey.questions) + 1
    while f"q{n}" in taken:
        n += 1
    question = m.Question(
        id=f"q{n}",
        type=str(new.get("type", "text")),
        label=str(new.get("label", "")),
        required=bool(new.get("required", True)),
        options=tuple(m.Option(v, label) for v, label in new.get("options", []))
        if new.get("type") in m.CHOICE_TYPES
        else (),
    )
    if len(survey.questions) >= m.MAX_QUESTIONS:
        raise Refusal("survey_many_questions", limit=m.MAX_QUESTIONS)
    await change(ctx.uow, target, replace(survey, questions=(*survey.questions, question)), ctx.now)


def _type_options(ctx: StepContext) -> list[Option]:
    return [Option(t, caption(f"surveys/type_{t}", ctx.lang)) for t in NEW_QUESTION_TYPES]


def _required_options(ctx: StepContext) -> list[Option]:
    return [
        Option("1", caption("surveys/required", ctx.lang)),
        Option("0", caption("surveys/optional", ctx.lang)),
    ]


def _add_flow(name: str, kind: str) -> Flow:
    async def load(uow: UnitOfWork, conversation: Conversation) -> Editable | None:
        return await _load_editable(uow, conversation, kind)

    return Flow(
        name=name,
        steps=(
            Step(
                "type",
                Kind.CHOICE,
                "surveys/add_type",
                _add_type,
                params=_edit_params,
                options=_type_options,
            ),
            Step("label", Kind.TEXT, "surveys/add_label", _add_label, params=_edit_params),
            Step(
                "options",
                Kind.TEXT,
                "surveys/add_options",
                _add_options,
                params=_edit_params,
                applies=lambda ctx: _new(ctx).get("type") in m.CHOICE_TYPES,
            ),
            Step(
                "required",
                Kind.CHOICE,
                "surveys/add_required",
                _add_required,
                params=_edit_params,
                options=_required_options,
            ),
        ),
        load=load,
        guard=_guard_edit,
        complete=_added,
        title=lambda ctx: str(ctx.subject.survey.title),
        progress=True,
    )


EDIT_FLOWS = (
    _edit_flow(EDIT_TEMPLATE, "t"),
    _edit_flow(EDIT_SURVEY, "s"),
    _add_flow(ADD_TEMPLATE, "t"),
    _add_flow(ADD_SURVEY, "s"),
)


# --- importing an XLSForm: the animator is asked for the file


@dataclass
class OfCollective:
    collective: Collective


async def _load_collective(uow: UnitOfWork, conversation: Conversation) -> OfCollective | None:
    collective = await uow.collectives.get(conversation.collective_id or 0)
    return OfCollective(collective) if collective is not None else None


async def _not_a_file(ctx: StepContext, value: str) -> None:
    raise Refusal("xlsform_send_file")


IMPORT_FLOW = Flow(
    name=IMPORT,
    steps=(
        Step(
            "file",
            Kind.TEXT,
            "surveys/ask_file",
            _not_a_file,
            back=False,
            optional=True,
            skip_caption="surveys/cancel_import",
        ),
    ),
    load=_load_collective,
    guard=_guard_animator,
    title=lambda ctx: caption("surveys/import_title", ctx.lang),
)


async def waiting_import(uow: UnitOfWork, person: Person) -> Collective | None:
    """The collective whose XLSForm the person was asked to send, if that is the question
    in front of them."""
    current = await uow.conversations.active(person.id)
    if current is None or current.flow != IMPORT:
        return None
    collective = await uow.collectives.get(current.collective_id or 0)
    if collective is None:
        return None
    await require_animator(uow, collective, person)
    return collective


async def import_done(uow: UnitOfWork, person: Person) -> None:
    current = await uow.conversations.active(person.id)
    if current is not None and current.flow == IMPORT:
        await uow.conversations.delete(current)
