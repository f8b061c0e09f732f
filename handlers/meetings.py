"""Comités de filière in Telegram: /comite, /reunions, /odj, /rappels; the announcement with
Je viens, Peut-être, Je ne viens pas and « Ajouter à mon agenda »; the sondage de date's live
table and « Répondre »; a meeting's card, its changes and its cancellation; the reunions
exports. The due work (announcements, reminders, news of a change) is in meetings_jobs.py."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, InputFile

from bot.conversation import Finished
from bot.domain import ANIMATORS, READERS
from bot.replies import Sent
from bot.services import collectives as collectives_svc
from bot.services import date_polls, personal_data
from bot.services import meeting_flows as flows
from bot.services import meetings as svc
from bot.services.errors import Refusal
from bot.services.members import require_role
from bot.services.people import mark_unreachable
from bot.texts import caption, render
from handlers import conversation
from handlers.common import Ctx, Rows, keyboard
from handlers.meetings_jobs import DUE, rsvp_row
from handlers.registry import (
    Button,
    Command,
    Feature,
    FlowUI,
    Int,
    Link,
    LiveView,
    Word,
    link_id,
)
from storage.models import Collective, Meeting
from storage.uow import UnitOfWork

# Deep links (private chat): a command typed in the group goes on there.
NEW_LINK, LIST_LINK, ODJ_LINK, REMINDERS_LINK = "mn", "mr", "mo", "mz"
ICS_LINK, POLL_LINK = "mi", "mp"


def send_file(
    ctx: Ctx, name: str, content: bytes, text: str, *, fallback: str | None = None
) -> None:
    """A document to the person in private; pressed in the group by someone who never opened
    (or blocked) the private chat, a link to open it is posted instead (`fallback` payload)."""
    if ctx.user is None:
        return
    user_id, deps, in_group = ctx.user.id, ctx.deps, not ctx.is_private

    async def after(sent: Sent) -> None:
        if not sent.blocked:
            return
        async with deps.uow() as uow:
            await mark_unreachable(uow, user_id, deps.clock.now())
        if in_group and fallback is not None:
            open_private(ctx, fallback)

    ctx.queue(
        lambda bot: bot.send_document(user_id, InputFile(content, filename=name), caption=text),
        "document",
        then=after,
    )


def open_private(ctx: Ctx, payload: str) -> None:
    ctx.say(
        "meetings/open_private",
        ctx.private_link_button(payload),
        name=ctx.me.first_name,
    )


def in_private(ctx: Ctx, payload: str) -> None:
    """A command typed in the group goes on in private (a link opens it there)."""
    ctx.say("meetings/in_private", ctx.private_link_button(payload))


async def _collective_link(ctx: Ctx, rest: str) -> Collective:
    return await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link")


# --- /comite


async def comite(ctx: Ctx, collective: Collective) -> None:
    await require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    if not ctx.is_private:
        in_private(ctx, f"{NEW_LINK}{collective.id}")
        return
    await conversation.start(ctx, flows.NEW, collective_id=collective.id)


async def comite_link(ctx: Ctx, rest: str) -> None:
    await comite(ctx, await _collective_link(ctx, rest))


async def new_finished(ctx: Ctx, finished: Finished) -> None:
    collective: Collective = finished.subject
    if "poll_id" in finished.data:
        poll_id = int(finished.data["poll_id"])
        ctx.say(
            "meetings/poll_opened",
            [[(ctx.caption("meetings/poll_table"), ("mpt", poll_id))]],
            c=collective,
            title=finished.data.get("title"),
            slots=len(finished.data.get("slots", [])),
        )
        return
    meeting, _ = await svc.with_collective(ctx.uow, int(finished.data["meeting_id"]))
    ctx.say("meetings/scheduled", c=collective, m=await svc.card(ctx.uow, meeting, collective))
    await show_card(ctx, meeting, collective, edit=False)


# --- the announcement (live, in the group)


async def render_announcement(
    uow: UnitOfWork, meeting_id: int, lang: str
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    meeting = await svc.repo(uow).get(meeting_id)
    collective = await uow.collectives.get(meeting.collective_id) if meeting else None
    if meeting is None or collective is None:
        return None
    card = await svc.card(uow, meeting, collective)
    text = render("meetings/announcement", lang, m=card, c=collective)
    rows: Rows = []
    if not card.cancelled:
        rows = [
            rsvp_row(lang, meeting.id),
            [(caption("meetings/add_calendar", lang), ("mi", meeting.id))],
        ]
    return text, keyboard(rows)


async def rsvp_button(ctx: Ctx, meeting_id: int, value: str, origin: str = "g") -> None:
    meeting, collective = await svc.with_collective(ctx.uow, meeting_id)
    await svc.answer(ctx.uow, meeting, collective, ctx.me, value, ctx.now)
    ctx.toast("meetings/rsvp_saved", answer=value, title=meeting.title)
    if ctx.is_private and origin == "c":
        await show_card(ctx, meeting, collective, edit=True)
    elif ctx.is_private:
        ctx.edit_markup([rsvp_row(ctx.lang, meeting.id, value, origin)])


# --- calendar files


async def calendar_button(ctx: Ctx, meeting_id: int) -> None:
    meeting, collective = await svc.with_collective(ctx.uow, meeting_id)
    content = await svc.add_to_calendar(ctx.uow, meeting, collective, ctx.me, ctx.now)
    text = render("meetings/ics_caption", ctx.person_lang, title=meeting.title, series=False)
    send_file(
        ctx, svc.file_name(meeting.title, "ics"), content, text, fallback=f"{ICS_LINK}{meeting.id}"
    )
    if not ctx.is_private:
        ctx.toast("meetings/ics_toast")


async def calendar_link(ctx: Ctx, rest: str) -> None:
    await calendar_button(ctx, link_id(rest))


async def series_calendar_button(ctx: Ctx, meeting_id: int) -> None:
    meeting, collective = await svc.with_collective(ctx.uow, meeting_id)
    content, count = await svc.add_series_to_calendar(ctx.uow, meeting, collective, ctx.me, ctx.now)
    text = render("meetings/ics_caption", ctx.person_lang, title=meeting.title, series=count)
    send_file(ctx, svc.file_name(meeting.title, "ics"), content, text)


# --- a meeting's card, in private


async def show_card(ctx: Ctx, meeting: Meeting, collective: Collective, *, edit: bool) -> None:
    await require_role(ctx.uow, collective, ctx.me, READERS)
    card = await svc.card(ctx.uow, meeting, collective, ctx.me)
    rows: Rows = []
    if not card.cancelled and meeting.starts_at > ctx.now:
        rows.append(rsvp_row(ctx.lang, meeting.id, card.mine, "c"))
        rows.append([(ctx.caption("meetings/add_calendar"), ("mi", meeting.id))])
        if meeting.series_id is not None:
            rows.append([(ctx.caption("meetings/series_calendar"), ("mis", meeting.id))])
        if card.animator:
            rows.append(
                [
                    (ctx.caption("meetings/move"), ("mmove", meeting.id)),
                    (ctx.caption("meetings/change_place"), ("mplace", meeting.id)),
                ]
            )
            rows.append([(ctx.caption("meetings/cancel"), ("mcancel", meeting.id))])
    ctx.show("meetings/card", rows, edit=edit, m=card, c=collective)


async def card_button(ctx: Ctx, meeting_id: int) -> None:
    meeting, collective = await svc.with_collective(ctx.uow, meeting_id)
    await show_card(ctx, meeting, collective, edit=True)


# --- /reunions


async def reunions(ctx: Ctx, collective: Collective) -> None:
    await require_role(ctx.uow, collective, ctx.me, READERS)
    if not ctx.is_private:
        in_private(ctx, f"{LIST_LINK}{collective.id}")
        return
    meetings = await svc.upcoming(ctx.uow, collective, ctx.me, ctx.now)
    polls = await date_polls.open_polls(ctx.uow, collective, ctx.me)
    member = await require_role(ctx.uow, collective, ctx.me, READERS)
    animator = member.role in ANIMATORS
    rows: Rows = [
        [
            (
                ctx.caption(
                    "meetings/pick",
                    when=svc.short_when(m.starts_at, collective, ctx.lang),
                    title=m.title[:40],
                ),
                ("mc", m.id),
            )
        ]
        for m in meetings
    ]
    for poll in polls:
        rows.append(
            [(ctx.caption("meetings/poll_answer_named", title=poll.title[:40]), ("mpa", poll.id))]
        )
        if animator:
            rows.append([(ctx.caption("meetings/poll_table"), ("mpt", poll.id))])
    if meetings:
        rows.append([(ctx.caption("meetings/all_calendar"), ("mexp", collective.id, "ics"))])
    if animator:
        rows.append([(ctx.caption("meetings/export_csv"), ("mexp", collective.id, "csv"))])
    ctx.say(
        "meetings/list",
        rows,
        c=collective,
        meetings=meetings,
        polls=polls,
        animator=animator,
    )


async def reunions_link(ctx: Ctx, rest: str) -> None:
    await reunions(ctx, await _collective_link(ctx, rest))


async def export_button(ctx: Ctx, collective_id: int, what: str) -> None:
    from bot.services import roadmap

    collective = await collectives_svc.find(ctx.uow, collective_id)
    if what == "csv":
        content = await roadmap.meetings_csv(ctx.uow, collective, ctx.me, ctx.lang, ctx.now)
        text = render("meetings/export_caption", ctx.person_lang, c=collective, what="reunions.csv")
        send_file(ctx, "reunions.csv", content, text)
    else:
        content = await svc.upcoming_calendar(ctx.uow, collective, ctx.me, ctx.now)
        text = render("meetings/export_caption", ctx.person_lang, c=collective, what="reunions.ics")
        send_file(ctx, "reunions.ics", content, text)


# --- changing or cancelling a meeting (animation team, from its card)


async def move_button(ctx: Ctx, meeting_id: int) -> None:
    meeting, collective = await svc.with_collective(ctx.uow, meeting_id)
    await svc.check_animator(ctx.uow, meeting, collective, ctx.me, ctx.now)
    await conversation.start(ctx, flows.MOVE, collective_id=collective.id, subject_id=meeting.id)


async def place_button(ctx: Ctx, meeting_id: int) -> None:
    meeting, collective = await svc.with_collective(ctx.uow, meeting_id)
    await svc.check_animator(ctx.uow, meeting, collective, ctx.me, ctx.now)
    await conversation.start(ctx, flows.PLACE, collective_id=collective.id, subject_id=meeting.id)


async def moved_finished(ctx: Ctx, finished: Finished) -> None:
    subject: flows.MeetingSubject = finished.subject
    meeting, collective = subject.meeting, subject.collective
    card = await svc.card(ctx.uow, meeting, collective)
    before = str(finished.data.get("before") or "")
    change = "moved" if finished.flow == flows.MOVE else "place"
    ctx.say("meetings/changed", m=card, c=collective, change=change)
    ctx.post_group(
        collective, "meetings/changed_group", m=card, c=collective, change=change, before=before
    )


async def cancel_button(ctx: Ctx, meeting_id: int) -> None:
    meeting, collective = await svc.with_collective(ctx.uow, meeting_id)
    await svc.check_animator(ctx.uow, meeting, collective, ctx.me, ctx.now)
    ctx.edit(
        "meetings/confirm_cancel",
        [
            [
                (ctx.caption("meetings/cancel_yes"), ("mcancelok", meeting.id)),
                (ctx.caption("meetings/cancel_no"), ("mc", meeting.id)),
            ]
        ],
        m=await svc.card(ctx.uow, meeting, collective),
        c=collective,
    )


async def cancel_confirmed(ctx: Ctx, meeting_id: int) -> None:
    meeting, collective = await svc.with_collective(ctx.uow, meeting_id)
    await svc.cancel(ctx.uow, meeting, collective, ctx.me, ctx.now)
    card = await svc.card(ctx.uow, meeting, collective)
    ctx.edit("meetings/changed", m=card, c=collective, change="cancelled")
    ctx.post_group(
        collective, "meetings/changed_group", m=card, c=collective, change="cancelled", before=""
    )


# --- sondage de date


async def render_poll(
    uow: UnitOfWork, poll_id: int, lang: str
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    poll = await date_polls.repo(uow).get(poll_id)
    collective = await uow.collectives.get(poll.collective_id) if poll else None
    if poll is None or collective is None:
        return None
    table = await date_polls.table(uow, poll, collective)
    text = render("meetings/poll_live", lang, t=table, c=collective)
    rows: Rows = []
    if poll.status == "open":
        rows = [[(caption("meetings/poll_answer", lang), ("mpa", poll.id))]]
    return text, keyboard(rows)


async def poll_answer_button(ctx: Ctx, poll_id: int) -> None:
    poll, collective = await date_polls.find(ctx.uow, poll_id)
    await date_polls.check_can_answer(ctx.uow, poll, collective, ctx.me)
    if ctx.is_private:
        await conversation.start(
            ctx, flows.POLL_ANSWER, collective_id=collective.id, subject_id=poll.id
        )
        return

    async def delivered(sent: Sent) -> None:
        if not sent.ok:
            open_private(ctx, f"{POLL_LINK}{poll.id}")

    ctx.toast("meetings/poll_toast")
    await conversation.start(
        ctx, flows.POLL_ANSWER, collective_id=collective.id, subject_id=poll.id, then=delivered
    )


async def poll_link(ctx: Ctx, rest: str) -> None:
    await poll_answer_button(ctx, link_id(rest))


async def poll_finished(ctx: Ctx, finished: Finished) -> None:
    subject: flows.PollSubject = finished.subject
    ctx.say("meetings/poll_thanks", poll=subject.poll, c=subject.collective)


async def poll_table_button(ctx: Ctx, poll_id: int, refresh: str = "") -> None:
    table = await date_polls.results(ctx.uow, poll_id, ctx.me)
    rows: Rows = []
    if table.poll.status == "open":
        rows = [
            [
                (
                    ctx.caption(
                        "meetings/pick_slot",
                        when=svc.short_when(line.slot.starts_at, table.collective, ctx.lang),
                    ),
                    ("mpick", table.poll.id, line.slot.id),
                )
            ]
            for line in table.lines
        ]
        rows.append([(ctx.caption("meetings/refresh"), ("mpt", table.poll.id, "r"))])
    # « Actualiser » redraws the table in place; from elsewhere, it comes as a new message.
    ctx.show("meetings/poll_results", rows, edit=refresh == "r", t=table, c=table.collective)


async def pick_button(ctx: Ctx, poll_id: int, slot_id: int) -> None:
    poll, meeting, collective = await date_polls.choose(ctx.uow, poll_id, slot_id, ctx.me, ctx.now)
    card = await svc.card(ctx.uow, meeting, collective)
    ctx.edit("meetings/poll_chosen", m=card, c=collective, poll=poll)


# --- /odj


async def odj(ctx: Ctx, collective: Collective) -> None:
    await require_role(ctx.uow, collective, ctx.me, READERS)
    meetings = await svc.upcoming(ctx.uow, collective, ctx.me, ctx.now, limit=8)
    if not meetings:
        raise Refusal("no_upcoming_meeting")
    if not ctx.is_private:
        in_private(ctx, f"{ODJ_LINK}{collective.id}")
        return
    data: dict[str, object] = {"choices": [m.id for m in meetings]}
    if len(meetings) == 1:
        data["meeting_id"] = meetings[0].id
    await conversation.start(ctx, flows.AGENDA, collective_id=collective.id, data=data)


async def odj_link(ctx: Ctx, rest: str) -> None:
    await odj(ctx, await _collective_link(ctx, rest))


async def odj_finished(ctx: Ctx, finished: Finished) -> None:
    subject: flows.AgendaSubject = finished.subject
    ctx.say(
        "meetings/odj_sent",
        accepted=finished.data.get("status") == "accepted",
        item=finished.data.get("item"),
        c=subject.collective,
    )


async def odj_decide_button(ctx: Ctx, item_id: int, verdict: str) -> None:
    item, meeting, collective = await svc.decide(ctx.uow, item_id, ctx.me, verdict == "ok", ctx.now)
    author = await ctx.uow.people.get(item.proposed_by) if item.proposed_by else None
    ctx.edit(
        "meetings/odj_decided",
        item=item,
        m=await svc.card(ctx.uow, meeting, collective),
        c=collective,
        author=author.display_name if author else "",
    )


# --- /rappels


async def rappels(ctx: Ctx, collective: Collective) -> None:
    await require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    if not ctx.is_private:
        in_private(ctx, f"{REMINDERS_LINK}{collective.id}")
        return
    await conversation.start(ctx, flows.REMINDERS, collective_id=collective.id)


async def rappels_link(ctx: Ctx, rest: str) -> None:
    await rappels(ctx, await _collective_link(ctx, rest))


async def reminders_finished(ctx: Ctx, finished: Finished) -> None:
    subject: flows.RemindersSubject = finished.subject
    ctx.say("meetings/reminders_saved", c=subject.collective, codes=finished.data.get("codes", []))


# --- /moi: mute the private reminders


async def mute_button(ctx: Ctx, membership_id: int) -> None:
    from handlers.members import show_profile

    member = await svc.toggle_private_reminders(ctx.uow, membership_id, ctx.me)
    collective = await collectives_svc.find(ctx.uow, member.collective_id)
    ctx.toast("meetings/mute_toast", on=member.meeting_reminders)
    ctx.edit_markup_off()
    await show_profile(ctx, collective)


ONE = (Int(1),)

FEATURE = Feature(
    name="meetings",
    journal=(
        ("meeting_", "reunions"),
        ("agenda_", "reunions"),
        ("date_poll_", "reunions"),
        ("minutes_recorded", "reunions"),
        ("decision_recorded", "reunions"),
    ),
    privacy=(personal_data.MEETINGS,),
    commands=(
        Command(
            ("comite", "meeting"),
            for_collective=comite,
            in_group_menu=True,
            in_private_menu=True,
            help=(("animateur", "meetings/help_comite"),),
        ),
        Command(
            ("reunions", "meetings"),
            for_collective=reunions,
            in_group_menu=True,
            in_private_menu=True,
            help=(("member", "meetings/help_reunions"),),
        ),
        Command(
            ("odj", "agenda"),
            for_collective=odj,
            in_group_menu=True,
            in_private_menu=True,
            help=(("member", "meetings/help_odj"),),
        ),
        Command(
            ("rappels", "reminders"),
            for_collective=rappels,
            in_private_menu=True,
            in_group_menu=True,
            help=(("animateur", "meetings/help_rappels"),),
        ),
    ),
    buttons=(
        Button("mv", rsvp_button, (Int(1), Word(*svc.ANSWERS), Word("g", "c", "r")), optional=1),
        Button("mi", calendar_button, ONE),
        Button("mis", series_calendar_button, ONE),
        Button("mc", card_button, ONE),
        Button("mmove", move_button, ONE),
        Button("mplace", place_button, ONE),
        Button("mcancel", cancel_button, ONE),
        Button("mcancelok", cancel_confirmed, ONE),
        Button("mpa", poll_answer_button, ONE),
        Button("mpt", poll_table_button, (Int(1), Word("r")), optional=1),
        Button("mpick", pick_button, (Int(1), Int(1))),
        Button("modj", odj_decide_button, (Int(1), Word("ok", "no"))),
        Button("mmute", mute_button, ONE),
        Button("mexp", export_button, (Int(1), Word("csv", "ics"))),
    ),
    links=(
        Link(NEW_LINK, comite_link),
        Link(LIST_LINK, reunions_link),
        Link(ODJ_LINK, odj_link),
        Link(REMINDERS_LINK, rappels_link),
        Link(ICS_LINK, calendar_link),
        Link(POLL_LINK, poll_link),
    ),
    flows=(
        FlowUI(flows.NEW_FLOW, new_finished),
        FlowUI(flows.MOVE_FLOW, moved_finished),
        FlowUI(flows.PLACE_FLOW, moved_finished),
        FlowUI(flows.POLL_FLOW, poll_finished),
        FlowUI(flows.AGENDA_FLOW, odj_finished),
        FlowUI(flows.REMINDERS_FLOW, reminders_finished),
    ),
    live=(
        LiveView(svc.LIVE_KIND, render_announcement),
        LiveView(date_polls.LIVE_KIND, render_poll),
    ),
    due=DUE,
    mass_due=(svc.REMINDER, svc.CHANGED),
)
