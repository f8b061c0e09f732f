"""/enquete: needs surveys in Telegram. The animation team chooses a template (shipped, copied
and edited here, or sent as an XLSForm), sets the title, the closing date and anonymity, and
launches; the group gets « Répondre » and a counter; members answer in private, one question
at a time; reminders, closing, results, charts and exports are due work sent by the sender."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.charts import bar_panels
from bot.conversation import Finished
from bot.domain import ANIMATORS, READERS
from bot.due import DueContext, Later
from bot.exports import Sheet, csv_bytes, xlsx_bytes
from bot.paging import paginate
from bot.sender import CAPTION_LIMIT, QuietHours, Sender
from bot.services import collectives as collectives_svc
from bot.services import personal_data
from bot.services import surveys as svc
from bot.services.collectives import slugify
from bot.services.errors import Refusal
from bot.services.members import require_role
from bot.surveys import results as r
from bot.surveys.model import MAX_OPTIONS, MAX_QUESTIONS
from bot.surveys.xlsform import MAX_BYTES
from bot.texts import caption, render
from bot.textsafety import shorten
from handlers import conversation
from handlers.choose import switch_rows
from handlers.common import Ctx, Rows
from handlers.paging import nav_row
from handlers.registry import (
    Button,
    Command,
    Feature,
    FlowUI,
    Int,
    Link,
    LiveView,
    On,
    PagedList,
    Word,
    link_id,
)
from storage.models import Collective, Survey, SurveyStatus
from storage.repos.surveys import ANSWERING

HOME_LINK, ANSWER_LINK = "eq", "ea"
TEMPLATES_PAGE = 8
MESSAGE_BUDGET = 3800
CHART_PANELS = 12
TEMPLATE_ACTIONS = ("show", "launch", "copy", "xls", "edit", "delete", "delyes")
SURVEY_ACTIONS = (
    "show",
    "extend",
    "close",
    "closeyes",
    "cancel",
    "cancelyes",
    "edit",
    "results",
)
EDIT_ACTIONS = ("show", "q", "title", "label", "options", "required", "remove", "removeyes", "add")


# --- /enquete


async def enquete(ctx: Ctx, collective: Collective) -> None:
    member = await require_role(ctx.uow, collective, ctx.me, READERS)
    animator = member.role in ANIMATORS
    if not ctx.is_private:
        if animator:
            ctx.say(
                "surveys/in_private",
                ctx.private_link_button(f"{HOME_LINK}{collective.id}"),
                c=collective,
            )
            return
        counters = await svc.open_surveys(ctx.uow, collective)
        buttons: Rows = [
            [(ctx.caption("surveys/answer_title", title=c.survey.title[:40]), c.survey.answer_link)]
            for c in counters
            if c.survey.answer_link
        ]
        ctx.say("surveys/open_list", buttons, c=collective, counters=counters)
        return
    if animator:
        await home(ctx, collective, 0, edit=False)
        return
    await member_list(ctx, collective, answers=member.role in ANSWERING)


async def member_list(ctx: Ctx, collective: Collective, *, answers: bool) -> None:
    """The surveys running; « Répondre » for those who answer (not in observation)."""
    mine = await svc.my_surveys(ctx.uow, collective, ctx.me)
    buttons: Rows = [
        [
            (
                ctx.caption(
                    "surveys/modify_title" if done else "surveys/answer_title",
                    title=count.survey.title[:40],
                ),
                ("sva", count.survey.id, int(done)),
            )
        ]
        for count, done in mine
        if answers and not (done and count.survey.anonymous)
    ]
    # Someone with several collectives: where else surveys run, and a button to go there.
    others = await switch_rows(ctx, collective, "enquete")
    elsewhere = await svc.running_elsewhere(ctx.uow, ctx.me, collective) if others else []
    ctx.say(
        "surveys/member_list",
        buttons + others,
        c=collective,
        mine=mine,
        tz=collective.timezone,
        elsewhere=elsewhere,
    )


async def home(ctx: Ctx, collective: Collective, number: int, *, edit: bool) -> None:
    """The animation team's page: surveys running, recent ones, templates (paged)."""
    refs = await svc.templates(ctx.uow, collective, ctx.me)
    running = await svc.open_surveys(ctx.uow, collective)
    finished = (await svc.closed_surveys(ctx.uow, collective))[:5]
    page = paginate(refs, number, size=TEMPLATES_PAGE)
    buttons: Rows = [
        [(ctx.caption("surveys/manage", title=c.survey.title[:40]), ("svs", c.survey.id, "show"))]
        for c in running
    ]
    buttons += [
        [(ctx.caption("surveys/manage", title=s.title[:40]), ("svs", s.id, "show"))]
        for s in finished
    ]
    buttons += [
        [(ctx.caption("surveys/template_button", title=ref.title[:45]), _tpl(collective, ref))]
        for ref in page.items
    ]
    buttons.append(nav_row(ctx, "enquetes", collective.id, page))
    buttons.append([(ctx.caption("surveys/import"), ("svi", collective.id))])
    buttons += await switch_rows(ctx, collective, "enquete")
    ctx.show(
        "surveys/home",
        buttons,
        edit=edit,
        c=collective,
        running=running,
        finished=finished,
        page=page,
        now=ctx.now,
    )


def _ref(ref: svc.TemplateRef) -> str:
    return f"_{ref.own.id}" if ref.own is not None else str(ref.code)


def _tpl(collective: Collective, ref: svc.TemplateRef, action: str = "show") -> tuple[Any, ...]:
    return ("svt", collective.id, action, _ref(ref))


async def home_list(ctx: Ctx, collective_id: int, number: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await home(ctx, collective, number, edit=True)


async def home_link(ctx: Ctx, rest: str) -> None:
    collective = await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link")
    await enquete(ctx, collective)


# --- templates


async def _template(ctx: Ctx, collective: Collective, ref: str) -> svc.TemplateRef:
    if ref.startswith("_"):
        if not ref[1:].isdigit():
            raise Refusal("stale_button")
        return await svc.template_ref(ctx.uow, collective, ctx.me, template_id=int(ref[1:]))
    return await svc.template_ref(ctx.uow, collective, ctx.me, code=ref)


async def template_button(ctx: Ctx, collective_id: int, action: str, ref: str) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    found = await _template(ctx, collective, ref)
    if action == "show":
        show_template(ctx, collective, found, edit=True)
    elif action == "launch":
        survey = await svc.start_draft(ctx.uow, collective, ctx.me, found, ctx.now)
        ctx.edit_markup_off()
        ctx.say("surveys/setup_intro", title=survey.title)
        await conversation.start(ctx, svc.SETUP, collective_id=collective.id, subject_id=survey.id)
    elif action == "copy":
        copy = await svc.duplicate(ctx.uow, collective, ctx.me, found, ctx.now)
        ctx.edit_markup_off()
        ctx.say("surveys/copied", title=copy.title)
        await show_editor(ctx, await svc.editable(ctx.uow, ctx.me, "t", copy.id), edit=False)
    elif action == "xls":
        content = svc.xlsform_of(found, collective)
        name = f"{slugify(found.title)}.xlsx"
        text = ctx.text("surveys/xlsform_caption", title=found.title)
        send_document(ctx, name, content, text)
    elif action == "edit" and found.own is not None:
        await show_editor(ctx, await svc.editable(ctx.uow, ctx.me, "t", found.own.id), edit=True)
    elif action == "delete" and found.own is not None:
        ctx.edit(
            "surveys/confirm_delete",
            [
                [
                    (ctx.caption("surveys/delete_yes"), _tpl(collective, found, "delyes")),
                    (ctx.caption("surveys/keep"), _tpl(collective, found)),
                ]
            ],
            title=found.title,
        )
    elif action == "delyes" and found.own is not None:
        await svc.delete_template(ctx.uow, ctx.me, found.own.id)
        ctx.edit("surveys/deleted", title=found.title)
    else:
        raise Refusal("stale_button")


def show_template(ctx: Ctx, collective: Collective, ref: svc.TemplateRef, *, edit: bool) -> None:
    buttons: Rows = [
        [(ctx.caption("surveys/launch_this"), _tpl(collective, ref, "launch"))],
        [(ctx.caption("surveys/copy"), _tpl(collective, ref, "copy"))],
    ]
    if ref.own is not None:
        buttons.append([(ctx.caption("surveys/edit"), _tpl(collective, ref, "edit"))])
    buttons.append([(ctx.caption("surveys/download"), _tpl(collective, ref, "xls"))])
    if ref.own is not None:
        buttons.append([(ctx.caption("surveys/delete"), _tpl(collective, ref, "delete"))])
    buttons.append([(ctx.caption("surveys/to_home"), ("pg", "enquetes", collective.id, 0))])
    ctx.show(
        "surveys/template",
        buttons,
        edit=edit,
        ref=ref,
        survey=ref.survey,
        own=ref.own is not None,
        c=collective,
    )


def send_document(ctx: Ctx, name: str, content: bytes, text: str) -> None:
    from telegram import InputFile

    if ctx.user is None:
        return
    chat_id = ctx.user.id
    ctx.queue(
        lambda bot: bot.send_document(
            chat_id, InputFile(content, filename=name), caption=text[:CAPTION_LIMIT]
        ),
        "document",
    )


# --- importing an XLSForm


async def import_button(ctx: Ctx, collective_id: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await svc.require_animator(ctx.uow, collective, ctx.me)
    ctx.edit_markup_off()
    await conversation.start(ctx, svc.IMPORT, collective_id=collective.id)


async def on_document(ctx: Ctx) -> None:
    """A file in private: the XLSForm asked for, or else not an answer."""
    message = ctx.update.effective_message
    collective = await svc.waiting_import(ctx.uow, ctx.me)
    if message is None or message.document is None or collective is None:
        await conversation.on_other(ctx)
        return
    document = message.document
    name = document.file_name or "formulaire.xlsx"
    if not re.search(r"\.xlsx?$", name, re.IGNORECASE):
        raise Refusal("xlsform_not_a_spreadsheet", file=name[:80])
    if document.file_size is not None and document.file_size > MAX_BYTES:
        raise Refusal("xlsform_too_big", limit=MAX_BYTES // 1000)
    file_id = document.file_id

    async def download(bot: Bot) -> bytes:
        found = await bot.get_file(file_id)
        return bytes(await found.download_as_bytearray())

    content: bytes = await ctx.ask_telegram(download)
    template, skipped = await svc.import_template(
        ctx.uow, collective, ctx.me, content, name, ctx.now
    )
    await svc.import_done(ctx.uow, ctx.me)
    ctx.say("surveys/imported", title=template.title, file=name, skipped=skipped)
    ref = await svc.template_ref(ctx.uow, collective, ctx.me, template_id=template.id)
    show_template(ctx, collective, ref, edit=False)


# --- the launch


async def setup_finished(ctx: Ctx, finished: Finished) -> None:
    subject: svc.SurveySubject = finished.subject
    survey = subject.survey
    await svc.publish(ctx.uow, survey, ctx.deep_link(f"{ANSWER_LINK}{survey.id}"), ctx.now)
    ctx.say("surveys/launched", c=subject.collective, survey=survey, now=ctx.now)
    await show_survey(ctx, survey.id, edit=False)


async def render_live(uow: Any, survey_id: int, lang: str) -> tuple[str, Any] | None:
    """The group message: what the survey is, « x réponses sur y membres », « Répondre »."""
    count = await svc.counter(uow, survey_id)
    if count is None:
        return None
    survey = count.survey
    text = render(
        "surveys/live",
        lang,
        survey=survey,
        c=count.collective,
        answered=count.answered,
        eligible=count.eligible,
        count=svc.question_count(survey),
    )
    markup = None
    if survey.status == SurveyStatus.OPEN and survey.answer_link:
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(caption("surveys/answer", lang), url=survey.answer_link)]]
        )
    return text, markup


# --- a launched survey, for the animation team


async def show_survey(ctx: Ctx, survey_id: int, *, edit: bool) -> None:
    count = await svc.counter(ctx.uow, survey_id)
    subject = await svc.managed(ctx.uow, ctx.me, survey_id)
    assert count is not None
    survey = subject.survey
    buttons: Rows = []
    if survey.status == SurveyStatus.OPEN:
        if survey.first_answer_at is None:
            buttons.append([(ctx.caption("surveys/correct"), ("sve", "s", survey.id, "show"))])
        buttons += [
            [(ctx.caption("surveys/extend"), ("svs", survey.id, "extend"))],
            [(ctx.caption("surveys/close_now"), ("svs", survey.id, "close"))],
            [(ctx.caption("surveys/cancel"), ("svs", survey.id, "cancel"))],
        ]
    elif survey.status == SurveyStatus.CLOSED:
        buttons.append([(ctx.caption("surveys/results_again"), ("svs", survey.id, "results"))])
    buttons.append([(ctx.caption("surveys/to_home"), ("pg", "enquetes", subject.collective.id, 0))])
    ctx.show(
        "surveys/card",
        buttons,
        edit=edit,
        survey=survey,
        c=subject.collective,
        answered=count.answered,
        eligible=count.eligible,
        now=ctx.now,
    )


async def survey_button(ctx: Ctx, survey_id: int, action: str) -> None:
    if action == "show":
        await show_survey(ctx, survey_id, edit=True)
    elif action == "extend":
        subject = await svc.open_for_extension(ctx.uow, ctx.me, survey_id, ctx.now, ctx.person_lang)
        ctx.edit_markup_off()
        await conversation.start(
            ctx, svc.EXTEND, collective_id=subject.collective.id, subject_id=survey_id
        )
    elif action in ("close", "cancel"):
        subject = await svc.managed(ctx.uow, ctx.me, survey_id)
        ctx.edit(
            f"surveys/confirm_{action}",
            [
                [
                    (ctx.caption(f"surveys/{action}_yes"), ("svs", survey_id, f"{action}yes")),
                    (ctx.caption("surveys/keep_open"), ("svs", survey_id, "show")),
                ]
            ],
            survey=subject.survey,
        )
    elif action == "closeyes":
        subject = await svc.close_early(ctx.uow, ctx.me, survey_id, ctx.now, ctx.person_lang)
        collective = subject.collective
        ctx.edit(
            "surveys/closed_now",
            survey=subject.survey,
            group_at=QuietHours.of(collective).next_allowed(ctx.now),
            tz=collective.timezone,
            now=ctx.now,
        )
    elif action == "cancelyes":
        subject = await svc.cancel(ctx.uow, ctx.me, survey_id, ctx.now, ctx.person_lang)
        ctx.edit("surveys/cancelled", survey=subject.survey)
        ctx.post_group(subject.collective, "surveys/cancelled_group", survey=subject.survey)
    elif action == "edit":
        await show_editor(ctx, await svc.editable(ctx.uow, ctx.me, "s", survey_id), edit=True)
    elif action == "results":
        subject = await svc.managed(ctx.uow, ctx.me, survey_id)
        if subject.survey.status != SurveyStatus.CLOSED:
            raise Refusal("stale_button")
        await _schedule_resend(ctx, subject.survey)
        ctx.toast("surveys/results_coming")
    else:
        raise Refusal("stale_button")


async def _schedule_resend(ctx: Ctx, survey: Survey) -> None:
    """The animator's copies again (texts, breakdowns, exports), under a key of their own."""
    stamp = ctx.now.strftime("%Y%m%dT%H%M%S")
    await ctx.uow.due.schedule(
        key=f"survey:{survey.id}:results:{ctx.me.id}:{stamp}",
        kind=svc.RESULTS_WORK,
        due_at=ctx.now,
        now=ctx.now,
        collective_id=survey.collective_id,
        payload={"survey": survey.id, "only": ctx.me.id, "stamp": stamp},
    )


async def extend_finished(ctx: Ctx, finished: Finished) -> None:
    subject: svc.SurveySubject = finished.subject
    ctx.say("surveys/extended", survey=subject.survey, c=subject.collective, now=ctx.now)
    await show_survey(ctx, subject.survey.id, edit=False)


# --- the editor: a copy of a template, or a survey before its first answer


async def show_editor(ctx: Ctx, target: svc.Editable, *, edit: bool) -> None:
    survey = target.survey
    kind, row = target.kind, target.id
    buttons: Rows = [
        [
            (
                ctx.caption("surveys/question_button", n=i, label=shorten(q.label, 40)),
                ("sve", kind, row, "q", q.id),
            )
        ]
        for i, q in enumerate(survey.questions, start=1)
    ]
    buttons.append([(ctx.caption("surveys/rename"), ("sve", kind, row, "title"))])
    buttons.append([(ctx.caption("surveys/add_question"), ("sve", kind, row, "add"))])
    done = ("svt", target.collective.id, "show", f"_{row}") if kind == "t" else ("svs", row, "show")
    buttons.append([(ctx.caption("surveys/done"), done)])
    ctx.show("surveys/editor", buttons, edit=edit, survey=survey, kind=kind)


async def edit_button(
    ctx: Ctx, kind: str, row_id: int, action: str, question_id: str | None = None
) -> None:
    target = await svc.editable(ctx.uow, ctx.me, kind, row_id)
    edit_flow = svc.EDIT_TEMPLATE if kind == "t" else svc.EDIT_SURVEY
    add_flow = svc.ADD_TEMPLATE if kind == "t" else svc.ADD_SURVEY
    cid = target.collective.id
    if action == "show":
        await show_editor(ctx, target, edit=True)
    elif action == "title":
        ctx.edit_markup_off()
        await conversation.start(
            ctx, edit_flow, collective_id=cid, subject_id=row_id, at_step="title"
        )
    elif action == "add":
        if len(target.survey.questions) >= MAX_QUESTIONS:
            raise Refusal("survey_many_questions", limit=MAX_QUESTIONS)
        ctx.edit_markup_off()
        await conversation.start(ctx, add_flow, collective_id=cid, subject_id=row_id)
    elif question_id is None or target.survey.question(question_id) is None:
        raise Refusal("stale_button")
    elif action == "q":
        show_question(ctx, target, question_id)
    elif action in ("label", "options"):
        question = target.survey.question(question_id)
        assert question is not None
        if action == "options" and question.source:
            raise Refusal("survey_shared_list")
        ctx.edit_markup_off()
        await conversation.start(
            ctx,
            edit_flow,
            collective_id=cid,
            subject_id=row_id,
            data={"question": question_id},
            at_step=action,
        )
    elif action == "required":
        await svc.toggle_required(ctx.uow, target, question_id, ctx.now)
        show_question(ctx, await svc.editable(ctx.uow, ctx.me, kind, row_id), question_id)
    elif action == "remove":
        question = target.survey.question(question_id)
        ctx.edit(
            "surveys/confirm_remove",
            [
                [
                    (
                        ctx.caption("surveys/remove_yes"),
                        ("sve", kind, row_id, "removeyes", question_id),
                    ),
                    (ctx.caption("surveys/keep"), ("sve", kind, row_id, "q", question_id)),
                ]
            ],
            q=question,
        )
    elif action == "removeyes":
        await svc.remove_question(ctx.uow, target, question_id, ctx.now)
        await show_editor(ctx, await svc.editable(ctx.uow, ctx.me, kind, row_id), edit=True)
    else:
        raise Refusal("stale_button")


def show_question(ctx: Ctx, target: svc.Editable, question_id: str) -> None:
    question = target.survey.question(question_id)
    assert question is not None
    kind, row = target.kind, target.id
    buttons: Rows = [
        [(ctx.caption("surveys/edit_label"), ("sve", kind, row, "label", question_id))]
    ]
    if question.is_choice and not question.source:
        buttons.append(
            [(ctx.caption("surveys/edit_options"), ("sve", kind, row, "options", question_id))]
        )
    if question.answerable:
        buttons.append(
            [
                (
                    ctx.caption(
                        "surveys/make_optional" if question.required else "surveys/make_required"
                    ),
                    ("sve", kind, row, "required", question_id),
                )
            ]
        )
    buttons.append([(ctx.caption("surveys/remove"), ("sve", kind, row, "remove", question_id))])
    buttons.append([(ctx.caption("back"), ("sve", kind, row, "show"))])
    ctx.edit("surveys/question_card", buttons, q=question, max_options=MAX_OPTIONS)


async def edit_finished(ctx: Ctx, finished: Finished) -> None:
    target: svc.Editable = finished.subject
    ctx.say("surveys/edited")
    await show_editor(ctx, await svc.editable(ctx.uow, ctx.me, target.kind, target.id), edit=False)


# --- answering


async def answer_link(ctx: Ctx, rest: str) -> None:
    await answer(ctx, link_id(rest), modify=False)


async def answer_button(ctx: Ctx, survey_id: int, modify: int = 0) -> None:
    ctx.edit_markup_off()
    await answer(ctx, survey_id, modify=bool(modify))


async def answer(ctx: Ctx, survey_id: int, *, modify: bool) -> None:
    found = await svc.entry(ctx.uow, survey_id, ctx.me, ctx.now, ctx.person_lang)
    survey, collective = found.survey, found.collective
    closes = (
        svc.when(survey.closes_at, collective, ctx.person_lang, ctx.now) if survey.closes_at else ""
    )
    if found.previous is not None and not found.in_progress and not modify:
        ctx.say(
            "surveys/already_answered",
            [[(ctx.caption("surveys/modify"), ("sva", survey.id, 1))]],
            survey=survey,
            closes=closes,
        )
        return
    if not found.in_progress:
        ctx.say(
            "surveys/intro",
            survey=survey,
            c=collective,
            closes=closes,
            count=svc.question_count(survey),
            modify=found.previous is not None,
        )
    await conversation.start(
        ctx,
        svc.ANSWER,
        collective_id=collective.id,
        subject_id=survey.id,
        data={"a": found.previous} if found.previous else None,
    )


async def answer_finished(ctx: Ctx, finished: Finished) -> None:
    subject: svc.AnswerSubject = finished.subject
    survey = subject.survey
    collective = await subject.collective(ctx.uow)
    closes = (
        svc.when(survey.closes_at, collective, ctx.person_lang, ctx.now) if survey.closes_at else ""
    )
    ctx.say("surveys/sent", survey=survey, closes=closes)


# --- due work: closing, reminders, results


async def due_close(deps: Any, due: DueContext) -> object:
    payload = due.work.payload
    await svc.close_when_due(due.uow, int(payload["survey"]), str(payload["closes"]), due.now)
    return None


def _answer_markup(link: str | None, lang: str) -> InlineKeyboardMarkup | None:
    if not link:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(caption("surveys/answer", lang), url=link)]])


async def due_remind(deps: Any, due: DueContext) -> object:
    """Before closing: each member who has not sent their answers, in private (once per key,
    quiet hours kept, nobody who has answered, nobody unreachable); then the group, with
    the number of answers missing and no name."""
    payload = due.work.payload
    plan = await svc.reminder_plan(due.uow, int(payload["survey"]), str(payload["closes"]), due.now)
    if plan is None:
        return None
    survey, collective = plan.survey, plan.collective
    days = int(payload["days"])
    base = f"{due.work.key}"
    sender = Sender(due.bot, due.uow, due.now)
    quiet = QuietHours.of(collective)
    link, closes_at, now = survey.answer_link, survey.closes_at, due.now
    title, anonymous = survey.title, survey.anonymous
    assert closes_at is not None
    for reminder in plan.people:
        person = reminder.person
        lang = person.language
        text = render(
            "surveys/reminder",
            lang,
            title=title,
            anonymous=anonymous,
            closes=svc.when(closes_at, collective, lang, now),
            in_progress=reminder.in_progress,
        )
        outcome = await sender.send(
            f"{base}:{person.id}",
            person.telegram_id,
            text,
            quiet=quiet,
            reply_markup=_answer_markup(link, lang),
        )
        if outcome.status == "later" and outcome.retry_at is not None:
            return Later(outcome.retry_at)
    if plan.missing:
        lang = collective.language
        text = render(
            "surveys/nudge",
            lang,
            title=title,
            missing=plan.missing,
            days=days,
            closes=svc.when(closes_at, collective, lang, now),
        )
        outcome = await sender.send(
            f"{base}:group",
            collective.chat_id,
            text,
            quiet=quiet,
            thread_id=collective.thread_id,
            reply_markup=_answer_markup(link, lang),
        )
        if outcome.status == "later" and outcome.retry_at is not None:
            return Later(outcome.retry_at)
    return None


def pack(head: str, blocks: list[str], budget: int = MESSAGE_BUDGET) -> list[str]:
    """Messages of at most `budget` characters: the head, then whole blocks."""
    messages: list[str] = []
    current = head
    for block in blocks:
        if len(current) + len(block) + 2 > budget and current:
            messages.append(current)
            current = ""
        piece = block if len(block) <= budget else block[: budget - 1] + "…"
        current = f"{current}\n\n{piece}" if current else piece
    if current:
        messages.append(current)
    return messages


def chart_panels(found: svc.SurveyResults) -> list[tuple[str, list[str], list[float]]]:
    return [
        (t.question.label, [c.label for c in t.counts], [float(c.count) for c in t.counts])
        for t in found.tallies
        if t.is_chart
    ]


def chart_of(found: svc.SurveyResults) -> bytes | None:
    """One image, a bar chart per choice question (the first CHART_PANELS: Telegram refuses
    a photo taller than about twenty times its width)."""
    panels = chart_panels(found)[:CHART_PANELS]
    return bar_panels(found.survey.title, panels) if panels else None


def file_name(survey: Survey, ext: str) -> str:
    return f"enquete-{slugify(survey.title)}.{ext}"


async def due_results(deps: Any, due: DueContext) -> object:
    """At closing: the group gets counts, percentages, the participation and a chart; the
    animation team gets the typed answers, the breakdowns, the CSV and the XLSX."""
    payload = due.work.payload
    survey_id = int(payload["survey"])
    collective_row = await due.uow.collectives.get(due.work.collective_id or 0)
    if collective_row is None:
        return None
    lang = collective_row.language
    found = await svc.results(due.uow, survey_id, lang)
    if found is None:
        return None
    survey, collective = found.survey, found.collective
    sender = Sender(due.bot, due.uow, due.now)
    key, thread = due.work.key, collective.thread_id
    only = payload.get("only")
    # An animator who closed the survey, or asked for the results again, is waiting for
    # their copies: those go at once; the group's wait for the end of the quiet hours.
    group_quiet = QuietHours.of(collective)
    team_quiet = None if only is not None or payload.get("asked") else group_quiet

    async def send(suffix: str, chat_id: int, text: str, **kwargs: Any) -> Later | None:
        quiet = group_quiet if chat_id == collective.chat_id else team_quiet
        outcome = await sender.send(f"{key}:{suffix}", chat_id, text, quiet=quiet, **kwargs)
        if outcome.status == "later" and outcome.retry_at is not None:
            return Later(outcome.retry_at)
        return None

    async def to_group() -> Later | None:
        head = render("surveys/results_head", lang, survey=survey, f=found)
        blocks = [render("surveys/results_block", lang, t=t) for t in found.tallies]
        for i, text in enumerate(pack(head, blocks)):
            if later := await send(f"group:{i}", collective.chat_id, text, thread_id=thread):
                return later
        chart = await asyncio.to_thread(chart_of, found)
        if chart is None:
            return None
        total = len(chart_panels(found))
        text = render(
            "surveys/chart_caption",
            lang,
            survey=survey,
            f=found,
            shown=min(total, CHART_PANELS),
            total=total,
        )
        return await send("chart", collective.chat_id, text, photo=chart, thread_id=thread)

    async def to_team() -> Later | None:
        header, rows = found.table(lang)
        csv_content = csv_bytes(header, rows)
        xlsx_content = await asyncio.to_thread(
            xlsx_bytes, [Sheet(caption("surveys/sheet_name", lang), header, rows)]
        )
        named = not survey.anonymous
        texts = r.free_texts(found.definition, found.respondents, named=named, lang=lang)
        for person in await svc.animators_of(due.uow, collective.id):
            if only is not None and person.id != only:
                continue
            mine, chat = person.language, person.telegram_id
            head = render("surveys/texts_head", mine, survey=survey, f=found, count=len(texts))
            blocks = [render("surveys/texts_block", mine, label=lb, lines=ls) for lb, ls in texts]
            for i, text in enumerate(pack(head, blocks)):
                if later := await send(f"{person.id}:texts:{i}", chat, text):
                    return later
            head = render("surveys/breakdown_head", mine, survey=survey, f=found)
            blocks = [
                render("surveys/breakdown_block", mine, b=b, f=found) for b in found.breakdowns
            ]
            for i, text in enumerate(pack(head, blocks)):
                if later := await send(f"{person.id}:breakdown:{i}", chat, text):
                    return later
            caption_text = render("surveys/export_caption", mine, survey=survey, f=found)
            for ext, content in (("csv", csv_content), ("xlsx", xlsx_content)):
                document = (file_name(survey, ext), content)
                if later := await send(f"{person.id}:{ext}", chat, caption_text, document=document):
                    return later
        return None

    # Each part is sent once (the sender's keys): one that must wait does not hold the other.
    waiting = [
        later
        for later in (await to_team(), None if only is not None else await to_group())
        if later
    ]
    return min(waiting, key=lambda later: later.at) if waiting else None


async def import_finished(ctx: Ctx, finished: Finished) -> None:
    """« Annuler l'import » (a file ends the question in `on_document`)."""
    ctx.say("surveys/import_cancelled")
    await home(ctx, await collectives_svc.find(ctx.uow, finished.collective_id or 0), 0, edit=False)


FEATURE = Feature(
    name="surveys",
    journal=(("survey_", "enquetes"),),
    privacy=(personal_data.SURVEYS,),
    commands=(
        Command(
            ("enquete", "survey"),
            for_collective=enquete,
            in_group_menu=True,
            in_private_menu=True,
            help=(("animateur", "surveys/help_animateur"), ("member", "surveys/help_member")),
        ),
    ),
    buttons=(
        Button("svt", template_button, (Int(1), Word(*TEMPLATE_ACTIONS), Word())),
        Button("svs", survey_button, (Int(1), Word(*SURVEY_ACTIONS))),
        Button(
            "sve", edit_button, (Word("t", "s"), Int(1), Word(*EDIT_ACTIONS), Word()), optional=1
        ),
        Button("sva", answer_button, (Int(1), Int(0, 1)), optional=1),
        Button("svi", import_button, (Int(1),)),
    ),
    links=(Link(HOME_LINK, home_link), Link(ANSWER_LINK, answer_link)),
    flows=(
        FlowUI(svc.SETUP_FLOW, setup_finished),
        FlowUI(svc.ANSWER_FLOW, answer_finished),
        FlowUI(svc.EXTEND_FLOW, extend_finished),
        FlowUI(svc.IMPORT_FLOW, import_finished),
        *(FlowUI(flow, edit_finished) for flow in svc.EDIT_FLOWS),
    ),
    lists=(PagedList("enquetes", home_list),),
    events=(On("private_document", on_document),),
    due=(
        (svc.CLOSE_WORK, due_close),
        (svc.REMIND_WORK, due_remind),
        (svc.RESULTS_WORK, due_results),
    ),
    mass_due=(svc.REMIND_WORK, svc.RESULTS_WORK),
    live=(LiveView(svc.LIVE, render_live),),
)
