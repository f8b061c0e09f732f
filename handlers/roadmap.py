"""After the meeting and the feuille de route in Telegram: /cr (minutes, attendance,
décisions, actions), /actions (open actions by levier or by porteur, overdue ones marked,
« C'est fait »), actions.csv, and the porteurs' reminders."""

from __future__ import annotations

from typing import Any

from bot.app import Deps
from bot.conversation import Finished
from bot.domain import READERS, MembershipStatus, Role
from bot.due import DueContext, Later
from bot.paging import paginate
from bot.sender import QuietHours, Sender
from bot.services import collectives as collectives_svc
from bot.services import meeting_flows as flows
from bot.services import meetings as meetings_svc
from bot.services import roadmap as svc
from bot.services.errors import Refusal
from bot.services.members import require_role
from bot.texts import caption, format_when, render
from bot.textsafety import shorten
from handlers import conversation
from handlers.choose import switch_rows
from handlers.common import Ctx, Rows, keyboard
from handlers.meetings import in_private, send_file
from handlers.paging import nav_row
from handlers.registry import Button, Command, Feature, FlowUI, Int, Link, PagedList, Word, link_id
from storage.models import Collective

MINUTES_LINK, ROADMAP_LINK = "mk", "mf"
PAGE = 30


# --- /cr


async def cr(ctx: Ctx, collective: Collective) -> None:
    meetings = await svc.reportable(ctx.uow, collective, ctx.me, ctx.now)
    if not ctx.is_private:
        in_private(ctx, f"{MINUTES_LINK}{collective.id}")
        return
    rows: Rows = [
        [
            (
                ctx.caption(
                    "meetings/pick",
                    when=meetings_svc.short_when(m.starts_at, collective, ctx.lang),
                    title=shorten(m.title, 40),
                ),
                ("mcr", m.id),
            )
        ]
        for m in meetings
    ]
    ctx.say("meetings/cr_pick", rows, c=collective)


async def cr_link(ctx: Ctx, rest: str) -> None:
    await cr(ctx, await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link"))


async def cr_button(ctx: Ctx, meeting_id: int) -> None:
    meeting, collective = await meetings_svc.with_collective(ctx.uow, meeting_id)
    await svc.check_reporter(ctx.uow, meeting, collective, ctx.me, ctx.now)
    ctx.edit_markup_off()
    await conversation.start(
        ctx,
        flows.MINUTES,
        collective_id=collective.id,
        subject_id=meeting.id,
        data=await flows.minutes_start(ctx.uow, meeting, collective),
    )


async def minutes_finished(ctx: Ctx, finished: Finished) -> None:
    """The animator is told what is recorded; the group gets the relevé de décisions and the
    actions, with the minutes (the document, or the text)."""
    subject: flows.MeetingSubject = finished.subject
    meeting, collective = subject.meeting, subject.collective
    r = svc.repo(ctx.uow)
    decisions = await r.decisions(meeting.id)
    actions = await r.actions(collective.id, meeting_id=meeting.id)
    people = await ctx.uow.people.many([a.porteur_id for a in actions if a.porteur_id])
    lines = [
        (a, people[a.porteur_id].display_name if a.porteur_id in people else "—") for a in actions
    ]
    when = format_when(meeting.starts_at, collective.timezone, collective.language, now=ctx.now)
    params: dict[str, Any] = {
        "meeting": meeting,
        "c": collective,
        "when": when,
        "decisions": decisions,
        "actions": lines,
        "attended": int(finished.data.get("attended", 0)),
        "today": svc.local_today(collective, ctx.now),
        "corrected": finished.data.get("earlier") is not None,
    }
    ctx.say("meetings/cr_done", **params)
    ctx.post_group(collective, "meetings/cr_group", **params)
    if meeting.minutes_file_id:
        chat_id, thread, file_id = collective.chat_id, collective.thread_id, meeting.minutes_file_id
        text = render("meetings/cr_document", collective.language, meeting=meeting, when=when)
        ctx.queue(
            lambda bot: bot.send_document(chat_id, file_id, caption=text, message_thread_id=thread),
            "minutes",
        )
    elif meeting.minutes_text:
        ctx.post_group(collective, "meetings/cr_text", meeting=meeting, when=when)


# --- /actions: the feuille de route


async def actions(ctx: Ctx, collective: Collective) -> None:
    await require_role(ctx.uow, collective, ctx.me, READERS)
    if not ctx.is_private:
        in_private(ctx, f"{ROADMAP_LINK}{collective.id}")
        return
    await show_roadmap(ctx, collective, "levier", 0, edit=False)


async def actions_link(ctx: Ctx, rest: str) -> None:
    await actions(ctx, await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link"))


LISTS = {"levier": "actlev", "porteur": "actpor"}


async def show_roadmap(
    ctx: Ctx, collective: Collective, by: str, number: int, *, edit: bool
) -> None:
    roadmap = await svc.roadmap(ctx.uow, collective, ctx.me, ctx.now, ctx.lang, by=by)
    page = paginate(roadmap.lines, number, size=PAGE, weight=lambda line: line.size)
    other = "porteur" if by == "levier" else "levier"
    rows: Rows = [nav_row(ctx, LISTS[by], collective.id, page)]
    rows.append([(ctx.caption(f"meetings/by_{other}"), ("mar", collective.id, other))])
    if any(line.mine for line in roadmap.lines) or (roadmap.animator and roadmap.lines):
        rows.append([(ctx.caption("meetings/mark_done"), ("mam", collective.id))])
    if roadmap.animator:
        rows.append([(ctx.caption("meetings/export_actions"), ("mae", collective.id))])
    rows += await switch_rows(ctx, collective, "actions")
    ctx.show("meetings/roadmap", rows, edit=edit, r=roadmap, page=page, by=by, c=collective)


async def roadmap_view_button(ctx: Ctx, collective_id: int, by: str) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await show_roadmap(ctx, collective, by, 0, edit=True)


async def by_levier_page(ctx: Ctx, collective_id: int, number: int) -> None:
    await show_roadmap(
        ctx, await collectives_svc.find(ctx.uow, collective_id), "levier", number, edit=True
    )


async def by_porteur_page(ctx: Ctx, collective_id: int, number: int) -> None:
    await show_roadmap(
        ctx, await collectives_svc.find(ctx.uow, collective_id), "porteur", number, edit=True
    )


async def markable_button(ctx: Ctx, collective_id: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    found = await svc.markable(ctx.uow, collective, ctx.me)
    if not found:
        raise Refusal("no_action_to_mark")
    rows: Rows = [
        [(ctx.caption("meetings/done_one", text=a.text[:50]), ("mad", a.id))] for a in found[:PAGE]
    ]
    rows.append([(ctx.caption("meetings/back_roadmap"), ("mar", collective.id, "levier"))])
    ctx.edit("meetings/mark_pick", rows, c=collective)


async def done_button(ctx: Ctx, action_id: int) -> None:
    action, collective = await svc.mark_done(ctx.uow, action_id, ctx.me, ctx.now)
    ctx.toast("meetings/action_done_toast")
    rows: Rows = [[(ctx.caption("meetings/back_roadmap"), ("mar", collective.id, "levier"))]]
    ctx.edit("meetings/action_done", rows, action=action, c=collective)


async def export_button(ctx: Ctx, collective_id: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    content = await svc.actions_csv(ctx.uow, collective, ctx.me, ctx.now, ctx.lang)
    text = render("meetings/export_caption", ctx.person_lang, c=collective, what="actions.csv")
    send_file(ctx, "actions.csv", content, text)


# --- due work: the porteurs' reminders


async def action_soon(deps: Deps, due: DueContext) -> object:
    """Two days before the échéance, the porteur is reminded (if the action is still open)."""
    action = await svc.repo(due.uow).action(int(due.work.payload["action_id"]))
    if action is None or action.status != "open" or action.porteur_id is None:
        return None
    collective = await due.uow.collectives.get(action.collective_id)
    member = await due.uow.memberships.get(action.collective_id, action.porteur_id)
    if collective is None or member is None or member.status != MembershipStatus.ACTIVE:
        return None
    person = member.person
    markup = keyboard([[(caption("meetings/done_button", person.language), ("mad", action.id))]])
    today = svc.local_today(collective, due.now)
    text = render("meetings/action_soon", person.language, action=action, c=collective, today=today)
    outcome = await Sender(due.bot, due.uow, due.now).send(
        due.work.key, person.telegram_id, text, quiet=QuietHours.of(collective), reply_markup=markup
    )
    if outcome.status == "later" and outcome.retry_at is not None:
        return Later(outcome.retry_at)
    return None


async def overdue_weekly(deps: Deps, due: DueContext) -> object:
    """Monday morning: each porteur gets their overdue actions, the animation team all of
    them; then next week's reminder is planned while actions remain open."""
    collective = await due.uow.collectives.get(due.work.collective_id or 0)
    if collective is None:
        return None
    now = due.now
    r = svc.repo(due.uow)
    today = svc.local_today(collective, now)
    overdue = await r.overdue(collective.id, today)
    members = {m.person_id: m for m in await due.uow.memberships.of_collective(collective.id)}
    ids = [a.porteur_id for a in overdue if a.porteur_id is not None]
    people = await due.uow.people.many(ids)
    names = {i: p.display_name for i, p in people.items()}
    sender = Sender(due.bot, due.uow, now)
    quiet = QuietHours.of(collective)
    for person_id, member in members.items():
        person = member.person
        if member.role == Role.ANIMATEUR:
            mine = overdue
            template = "meetings/overdue_team"
        else:
            mine = [a for a in overdue if a.porteur_id == person_id]
            template = "meetings/overdue_porteur"
        if not mine:
            continue
        lines = [(a, names.get(a.porteur_id or 0, "—")) for a in mine]
        text = render(template, person.language, lines=lines, c=collective, today=today)
        outcome = await sender.send(
            f"{due.work.key}:{person_id}", person.telegram_id, text, quiet=quiet
        )
        if outcome.status == "later" and outcome.retry_at is not None:
            return Later(outcome.retry_at)
    if await r.actions(collective.id, status="open"):
        await svc.schedule_weekly(due.uow, collective, now)
    return None


FEATURE = Feature(
    name="roadmap",
    journal=(("action_", "actions"),),
    commands=(
        Command(
            ("cr", "minutes"),
            for_collective=cr,
            in_group_menu=True,
            in_private_menu=True,
            help=(("animateur", "meetings/help_cr"),),
        ),
        Command(
            ("actions", "roadmap"),
            for_collective=actions,
            in_group_menu=True,
            in_private_menu=True,
            help=(("member", "meetings/help_actions"),),
        ),
    ),
    buttons=(
        Button("mcr", cr_button, (Int(1),)),
        Button("mar", roadmap_view_button, (Int(1), Word("levier", "porteur"))),
        Button("mam", markable_button, (Int(1),)),
        Button("mad", done_button, (Int(1),)),
        Button("mae", export_button, (Int(1),)),
    ),
    links=(Link(MINUTES_LINK, cr_link), Link(ROADMAP_LINK, actions_link)),
    flows=(FlowUI(flows.MINUTES_FLOW, minutes_finished),),
    lists=(PagedList("actlev", by_levier_page), PagedList("actpor", by_porteur_page)),
    due=((svc.ACTION_SOON, action_soon), (svc.ACTIONS_WEEKLY, overdue_weekly)),
    mass_due=(svc.ACTIONS_WEEKLY,),
)
