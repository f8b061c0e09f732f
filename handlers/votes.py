"""/vote, /decisions, /procuration: decisions in the group (the live message and its buttons)
and in private (setting a vote up, majority judgment ballots, objections, proxies, colleges,
results and exports); closings and reminders as due work."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from markupsafe import Markup
from telegram import InputFile

from bot.conversation import Finished
from bot.domain import ANIMATORS, READERS, Role
from bot.due import DueContext, Later
from bot.sender import QuietHours, Sender
from bot.services import colleges as colleges_svc
from bot.services import judgment, personal_data, vote_files
from bot.services import members as members_svc
from bot.services import votes as svc
from bot.services.errors import Refusal
from bot.services.typed import clean_text
from bot.texts import caption, render
from bot.textsafety import shorten
from handlers import conversation
from handlers.choose import run_for_collective, switch_rows
from handlers.common import Ctx, Rows, keyboard
from handlers.registry import Button, Command, Feature, FlowUI, Int, Link, LiveView, Word, link_id
from storage.models import Collective, Person, Vote
from storage.repos.votes import VoteRepo
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

NOTICE = "vote_notice"
SETUP_LINK, OBJECTION_LINK, JUDGMENT_LINK, PROXY_LINK = "vn", "vo", "vj", "vp"
TEXT_LINK = "vt"
ACTIONS = (
    "extend",
    "close",
    "close_yes",
    "cancel",
    "cancel_yes",
    "cancel_no",
    "round",
    "conclude",
    "export",
)
COLLEGE_ACTIONS = ("show", "define", "assign", "missing")


def repo(ctx: Ctx) -> VoteRepo:
    return ctx.uow.repo(VoteRepo)


def answer_with_link(ctx: Ctx, payload: str) -> None:
    """Answer a group button by opening the private chat at `payload` (Telegram's way to
    continue a button in private: the client follows t.me/<bot>?start=<payload>)."""
    query = ctx.update.callback_query
    if query is None or ctx.answered:
        return
    ctx.answered = True
    url = ctx.deep_link(payload)
    ctx.queue(lambda bot: query.answer(url=url), "link", first=True)


# --- messages the bot starts on its own, to one person (holders, authors, the team)


async def notify(
    uow: UnitOfWork,
    *,
    key: str,
    person_id: int,
    template: str,
    now: datetime,
    collective_id: int | None,
    params: dict[str, Any] | None = None,
    buttons: Sequence[Sequence[tuple[str, dict[str, Any], list[Any]]]] = (),
) -> None:
    """A private message to one person, through due work and the sender (once per key).
    `params` are JSON values; each button is (caption macro, its params, callback parts)."""
    await uow.due.schedule(
        key=f"notice:{key}:{person_id}",
        kind=NOTICE,
        due_at=now,
        now=now,
        collective_id=collective_id,
        payload={
            "person": person_id,
            "template": template,
            "params": params or {},
            "buttons": [[list(b) for b in row] for row in buttons],
        },
    )


async def notify_team(
    uow: UnitOfWork,
    collective: Collective,
    *,
    key: str,
    template: str,
    now: datetime,
    params: dict[str, Any] | None = None,
    buttons: Sequence[Sequence[tuple[str, dict[str, Any], list[Any]]]] = (),
) -> None:
    for member in await uow.memberships.of_collective(collective.id):
        if member.role == Role.ANIMATEUR:
            await notify(
                uow,
                key=key,
                person_id=member.person_id,
                template=template,
                now=now,
                collective_id=collective.id,
                params=params,
                buttons=buttons,
            )


async def send_notice(deps: Any, due: DueContext) -> object:
    payload = due.work.payload
    person = await due.uow.people.get(int(payload["person"]))
    collective = await due.uow.collectives.get(due.work.collective_id or 0)
    if person is None:
        return None
    lang = person.language
    params = dict(payload.get("params") or {})
    text = render(str(payload["template"]), lang, **params)
    rows: Rows = [
        [(caption(name, lang, **cparams), list(parts)) for name, cparams, parts in row]
        for row in payload.get("buttons") or []
    ]
    quiet = QuietHours.of(collective) if collective is not None else None
    outcome = await Sender(due.bot, due.uow, due.now).send(
        due.work.key, person.telegram_id, text, quiet=quiet, reply_markup=keyboard(rows)
    )
    if outcome.status == "later" and outcome.retry_at is not None:
        return Later(outcome.retry_at)
    return None


# --- opening a vote


async def vote_command(ctx: Ctx, collective: Collective) -> None:
    """The team opens a vote (`/vote Faut-il…?` sets the question); others see the running
    ones."""
    role = await members_svc.role_in(ctx.uow, collective, ctx.me)
    if role != Role.ANIMATEUR:
        await members_svc.require_role(ctx.uow, collective, ctx.me, READERS)
        await show_running(ctx, collective)
        return
    args = ctx.args
    title = " ".join(args).strip()
    if title:
        title = clean_text(title, field="question", limit=300)
    await start_setup(ctx, collective, title=title)


async def start_setup(
    ctx: Ctx,
    collective: Collective,
    *,
    kind: str = svc.QUESTION,
    subject_id: int | None = None,
    title: str = "",
) -> None:
    vote = await svc.new_draft(
        ctx.uow, collective, ctx.me, ctx.now, kind=kind, subject_id=subject_id, title=title
    )
    data: dict[str, object] = {"titled": bool(title)}
    if ctx.is_private:
        await conversation.start(
            ctx, svc.SETUP, collective_id=collective.id, subject_id=vote.id, data=data
        )
        return
    link = ctx.deep_link(f"{SETUP_LINK}{vote.id}")

    async def said(sent: Any) -> None:
        ctx.say("votes/setup_in_private", [[(ctx.caption("continue_private"), link)]], sent=sent.ok)

    await conversation.start(
        ctx, svc.SETUP, collective_id=collective.id, subject_id=vote.id, data=data, then=said
    )


async def setup_link(ctx: Ctx, rest: str) -> None:
    vote = await repo(ctx).get(link_id(rest))
    if vote is None or vote.status != svc.DRAFT:
        raise Refusal("stale_link")
    collective = await svc.collective_of(ctx.uow, vote)
    await members_svc.require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    await conversation.start(ctx, svc.SETUP, collective_id=collective.id, subject_id=vote.id)


async def new_vote_button(ctx: Ctx, collective_id: int) -> None:
    collective = await _collective(ctx, collective_id)
    ctx.edit_markup_off()
    await start_setup(ctx, collective)


async def setup_finished(ctx: Ctx, finished: Finished) -> None:
    s: svc.SetupSubject = finished.subject
    if finished.data.get("confirm") != "open":
        ctx.say("votes/dropped")
        return
    small = await svc.small_colleges(ctx.uow, s.vote, s.collective)
    electors = await repo(ctx).count_electors(s.vote.id)
    ctx.say(
        "votes/opened",
        v=s.vote,
        c=s.collective,
        electors=electors,
        small=small,
        tz=s.collective.timezone,
        now=ctx.now,
    )


# --- the live message in the group


def choice_rows(vote: Vote, lang: str, *, proxy: int | None = None) -> Rows:
    """The ballot's buttons (in the group; in private for a proxy, with its id)."""
    number = vote.round
    extra = [proxy] if proxy is not None else []
    if vote.method == svc.JUDGMENT:
        return [[(caption("votes/vote_private", lang), ["vj", vote.id, *extra])]]
    rows: Rows = []
    for choice in svc.choices_of(vote):
        if choice == svc.OBJECTION:
            rows.append(
                [(caption("votes/choice_objection", lang), ["vo", vote.id, number, *extra])]
            )
        else:
            label = caption(f"votes/choice_{choice}", lang)
            rows.append([(label, ["vb", vote.id, number, choice, *extra])])
    return [[cell for row in rows for cell in row]]


async def render_live(uow: UnitOfWork, vote_id: int, lang: str) -> Any:
    standing = await svc.standing(uow, vote_id)
    if standing is None:
        return None
    vote = standing.vote
    proposal, cut = svc.excerpt(standing.proposal) if standing.proposal else (None, False)
    text = render(
        "votes/live",
        lang,
        s=standing,
        v=vote,
        method=vote_files.method_label(vote, lang),
        tz=standing.collective.timezone,
        options=[o.label for o in standing.options],
        proposal=proposal,
        cut=cut,
    )
    if vote.status != svc.OPEN:
        return text, None
    rows = choice_rows(vote, lang)
    if proposal is not None:
        rows.append([(caption("votes/read_text", lang), ["vtx", vote.id])])
    rows.append([(caption("votes/give_proxy", lang), ["vpg", vote.id])])
    return text, keyboard(rows)


async def read_text_button(ctx: Ctx, vote_id: int) -> None:
    """vtx|<vote>: the whole text put to the vote, read in private."""
    if not ctx.is_private:
        answer_with_link(ctx, f"{TEXT_LINK}{vote_id}")
        return
    await show_text(ctx, vote_id)


async def text_link(ctx: Ctx, rest: str) -> None:
    await show_text(ctx, link_id(rest))


async def show_text(ctx: Ctx, vote_id: int) -> None:
    """The current round's proposal: the charter in as many messages as it takes, or the
    article or the amendment (with the article's current wording) whole."""
    vote = await svc.find(ctx.uow, vote_id)
    collective = await svc.collective_of(ctx.uow, vote)
    await members_svc.require_role(ctx.uow, collective, ctx.me, READERS)
    found = await repo(ctx).round(vote.id, vote.round)
    proposal = found.proposal if found is not None else None
    if not proposal or vote.kind == svc.QUESTION:
        raise Refusal("stale_link")
    from handlers.charter import parts, text_blocks

    text = ctx.text("votes/proposal", v=vote, p=proposal)
    if vote.kind == svc.CHARTER:
        blocks = text_blocks(proposal, ctx.lang, header=text)
    else:  # the current wording, the proposal, its reason: 3,000 characters at most each
        blocks = text.split("\n\n")
    for part in parts(blocks):
        ctx.say("charter/part", part=Markup(part))


# --- voting


async def vote_button(
    ctx: Ctx, vote_id: int, number: int, choice: str, proxy_id: int | None = None
) -> None:
    """vb|<vote>|<round>|<choice>[|<proxy>]: a ballot in one press (consent, majority)."""
    chat_id = None if ctx.is_private or ctx.chat is None else ctx.chat.id
    receipt = await svc.cast(
        ctx.uow,
        vote_id,
        number,
        ctx.me,
        ctx.now,
        choice=choice,
        proxy_id=proxy_id,
        chat_id=chat_id,
    )
    await _after_cast(ctx, receipt)
    params = {
        "v": receipt.vote,
        "choice": choice,
        "changed": receipt.changed,
        "same": receipt.same,
        "giver": receipt.for_person.display_name if receipt.for_person else None,
        "lapsed": receipt.lapsed.display_name if receipt.lapsed else None,
    }
    if ctx.is_private:
        ctx.edit("votes/cast_private", **params)
    else:
        ctx.toast("votes/cast", alert=True, **params)


async def _after_cast(ctx: Ctx, receipt: svc.Receipt) -> None:
    if receipt.lapsed is not None:
        await notify(
            ctx.uow,
            key=f"vote:{receipt.vote.id}:lapsed:{ctx.me.id}",
            person_id=receipt.lapsed.id,
            template="votes/proxy_lapsed_notice",
            now=ctx.now,
            collective_id=receipt.vote.collective_id,
            params={"giver": ctx.me.display_name, "title": receipt.vote.title},
        )


async def objection_button(
    ctx: Ctx, vote_id: int, number: int, proxy_id: int | None = None
) -> None:
    """vo|<vote>|<round>[|<proxy>]: an objection needs its reason, written in private."""
    vote, collective = await svc.ballot_start(
        ctx.uow, vote_id, ctx.me, ctx.now, method=svc.CONSENT, proxy_id=proxy_id
    )
    if number != vote.round:
        raise Refusal("vote_closed", title=vote.title)
    if not ctx.is_private:
        answer_with_link(ctx, f"{OBJECTION_LINK}{vote.id}")
        return
    await _start_objection(ctx, vote, collective, proxy_id)


async def _start_objection(
    ctx: Ctx, vote: Vote, collective: Collective, proxy_id: int | None
) -> None:
    await _start_in_private(
        ctx, vote, collective, proxy_id, (svc.OBJECTION_FLOW_NAME, svc.OBJECTION_PROXY)
    )


async def _start_in_private(
    ctx: Ctx, vote: Vote, collective: Collective, proxy_id: int | None, flows: tuple[str, str]
) -> None:
    """A ballot that continues in private: the voter's own flow, or the proxy's (its subject
    is then the proxy)."""
    own, for_giver = flows
    await conversation.start(
        ctx,
        own if proxy_id is None else for_giver,
        collective_id=collective.id,
        subject_id=vote.id if proxy_id is None else proxy_id,
        data={"round": vote.round},
    )


async def objection_link(ctx: Ctx, rest: str) -> None:
    vote, collective = await svc.ballot_start(
        ctx.uow, link_id(rest), ctx.me, ctx.now, method=svc.CONSENT
    )
    await _start_objection(ctx, vote, collective, None)


async def judgment_button(ctx: Ctx, vote_id: int, proxy_id: int | None = None) -> None:
    """vj|<vote>[|<proxy>]: a majority judgment ballot, one option at a time, in private."""
    vote, collective = await svc.ballot_start(
        ctx.uow, vote_id, ctx.me, ctx.now, method=svc.JUDGMENT, proxy_id=proxy_id
    )
    if not ctx.is_private:
        answer_with_link(ctx, f"{JUDGMENT_LINK}{vote.id}")
        return
    await _start_judgment(ctx, vote, collective, proxy_id)


async def _start_judgment(
    ctx: Ctx, vote: Vote, collective: Collective, proxy_id: int | None
) -> None:
    await _start_in_private(ctx, vote, collective, proxy_id, (svc.BALLOT, svc.BALLOT_PROXY))


async def judgment_link(ctx: Ctx, rest: str) -> None:
    vote, collective = await svc.ballot_start(
        ctx.uow, link_id(rest), ctx.me, ctx.now, method=svc.JUDGMENT
    )
    await _start_judgment(ctx, vote, collective, None)


async def ballot_finished(ctx: Ctx, finished: Finished) -> None:
    """A private ballot cast (majority judgment, or an objection with its reason)."""
    s: svc.BallotSubject = finished.subject
    grades = [
        (o.label, judgment.GRADES[int(finished.data.get(f"g{o.position}", judgment.REJECT))])
        for o in s.options
    ]
    ctx.say(
        "votes/ballot_done",
        v=s.vote,
        grades=grades if s.vote.method == svc.JUDGMENT else [],
        reason=finished.data.get("reason"),
        giver=s.giver.display_name if s.giver else None,
        changed=bool(finished.data.get("changed")),
        lapsed=finished.data.get("lapsed"),
    )
    lapsed = finished.data.get("lapsed")
    if lapsed:
        holder = await _holder_of_lapsed(ctx, s.vote)
        if holder is not None:
            await notify(
                ctx.uow,
                key=f"vote:{s.vote.id}:lapsed:{ctx.me.id}",
                person_id=holder,
                template="votes/proxy_lapsed_notice",
                now=ctx.now,
                collective_id=s.vote.collective_id,
                params={"giver": ctx.me.display_name, "title": s.vote.title},
            )
    if finished.data.get("reason"):
        await notify_team(
            ctx.uow,
            s.collective,
            key=f"vote:{s.vote.id}:{s.vote.round}:objection:{ctx.me.id}",
            template="votes/objection_notice",
            now=ctx.now,
            params={
                "title": s.vote.title,
                "name": ctx.me.display_name,
                "giver": s.giver.display_name if s.giver else None,
                "round": s.vote.round,
                "reason": str(finished.data.get("reason")),
            },
        )


async def _holder_of_lapsed(ctx: Ctx, vote: Vote) -> int | None:
    mine = await repo(ctx).elector_of(vote.id, ctx.me.id)
    proxy = await repo(ctx).proxy_of(vote.id, mine.id) if mine else None
    holder = await repo(ctx).elector(proxy.holder_id) if proxy else None
    return holder.person_id if holder else None


# --- proxies


async def proxy_command(ctx: Ctx) -> None:
    """/procuration in reply to someone's message in the group: they will vote for you. In
    private: choose the vote, then the person."""
    message = ctx.update.effective_message
    replied = message.reply_to_message if message is not None else None
    collective = ctx.group_collective
    if collective is not None and replied is not None and replied.from_user is not None:
        holder = await ctx.uow.people.by_telegram_id(replied.from_user.id)
        running = [v for v in await repo(ctx).running(collective.id) if v.status == svc.OPEN]
        if not running:
            raise Refusal("no_running_vote")
        if len(running) == 1:
            await _give(ctx, running[0].id, holder)
            return
        holder_id = holder.id if holder is not None else 0
        rows: Rows = [[(v.title[:60], ("vpx", v.id, holder_id))] for v in running]
        ctx.say("votes/proxy_which", rows)
        return
    if collective is not None:
        raise Refusal("proxy_reply")
    await run_for_collective(ctx, ctx.registry.commands["procuration"])


async def proxy_private(ctx: Ctx, collective: Collective) -> None:
    await members_svc.require_role(ctx.uow, collective, ctx.me, READERS)
    running = [v for v in await repo(ctx).running(collective.id) if v.status == svc.OPEN]
    if not running:
        raise Refusal("no_running_vote")
    rows: Rows = [[(v.title[:60], ("vpg", v.id))] for v in running]
    ctx.say("votes/proxy_pick_vote", rows, c=collective)


async def proxy_vote_button(ctx: Ctx, vote_id: int, holder_id: int) -> None:
    """vpx|<vote>|<holder>: which vote the proxy asked by reply is for."""
    holder = await ctx.uow.people.get(holder_id) if holder_id else None
    ctx.edit_markup_off()
    await _give(ctx, vote_id, holder)


async def _give(ctx: Ctx, vote_id: int, holder: Person | None) -> None:
    given = await svc.give_proxy(ctx.uow, vote_id, ctx.me, holder, ctx.now)
    await _proxy_given(ctx, given)
    ctx.say(
        "votes/proxy_given",
        [[(ctx.caption("votes/withdraw_proxy"), ("vpw", given.proxy.id))]],
        v=given.vote,
        holder=given.holder.display_name,
        giver=given.giver.display_name,
        private=ctx.is_private,
    )


async def _proxy_given(ctx: Ctx, given: svc.ProxyGiven) -> None:
    await notify(
        ctx.uow,
        key=f"vote:{given.vote.id}:proxy:{given.proxy.id}:{int(ctx.now.timestamp())}",
        person_id=given.holder.id,
        template="votes/proxy_notice",
        now=ctx.now,
        collective_id=given.vote.collective_id,
        params={"giver": given.giver.display_name, "title": given.vote.title},
        buttons=[
            [("votes/vote_for", {"name": given.giver.display_name[:30]}, ["vpu", given.proxy.id])]
        ],
    )


async def proxy_start_button(ctx: Ctx, vote_id: int) -> None:
    """vpg|<vote>: give a proxy, from the vote's message (continues in private)."""
    vote, collective = await svc.proxy_start(ctx.uow, vote_id, ctx.me, ctx.now)
    if not ctx.is_private:
        answer_with_link(ctx, f"{PROXY_LINK}{vote.id}")
        return
    await conversation.start(ctx, svc.PROXY, collective_id=collective.id, subject_id=vote.id)


async def proxy_link(ctx: Ctx, rest: str) -> None:
    vote, collective = await svc.proxy_start(ctx.uow, link_id(rest), ctx.me, ctx.now)
    await conversation.start(ctx, svc.PROXY, collective_id=collective.id, subject_id=vote.id)


async def proxy_finished(ctx: Ctx, finished: Finished) -> None:
    s: svc.ProxySubject = finished.subject
    proxy = await repo(ctx).proxy(int(finished.data["proxy"]))
    if proxy is None:
        return
    holder = await repo(ctx).elector(proxy.holder_id)
    person = await ctx.uow.people.get(holder.person_id) if holder else None
    if person is None:
        return
    await _proxy_given(ctx, svc.ProxyGiven(proxy, s.vote, person, ctx.me))
    ctx.say(
        "votes/proxy_given",
        [[(ctx.caption("votes/withdraw_proxy"), ("vpw", proxy.id))]],
        v=s.vote,
        holder=person.display_name,
        giver=ctx.me.display_name,
        private=True,
    )


async def withdraw_button(ctx: Ctx, proxy_id: int) -> None:
    given = await svc.withdraw_proxy(ctx.uow, proxy_id, ctx.me, ctx.now)
    await notify(
        ctx.uow,
        key=f"vote:{given.vote.id}:withdrawn:{proxy_id}:{int(ctx.now.timestamp())}",
        person_id=given.holder.id,
        template="votes/proxy_withdrawn_notice",
        now=ctx.now,
        collective_id=given.vote.collective_id,
        params={"giver": given.giver.display_name, "title": given.vote.title},
    )
    ctx.edit("votes/proxy_withdrawn", v=given.vote, holder=given.holder.display_name)


async def use_proxy_button(ctx: Ctx, proxy_id: int) -> None:
    """vpu|<proxy>: the holder votes for the giver, in private."""
    proxy, vote, giver = await svc.proxy_for_holder(ctx.uow, proxy_id, ctx.me, ctx.now)
    await svc.ballot_start(ctx.uow, vote.id, ctx.me, ctx.now, proxy_id=proxy.id)
    collective = await svc.collective_of(ctx.uow, vote)
    if vote.method == svc.JUDGMENT:
        await _start_judgment(ctx, vote, collective, proxy.id)
        return
    ctx.say(
        "votes/proxy_ballot",
        choice_rows(vote, ctx.lang, proxy=proxy.id),
        v=vote,
        giver=giver.display_name,
        method=vote_files.method_label(vote, ctx.lang),
    )


# --- /decisions: the list, one vote, the team's controls


async def decisions(ctx: Ctx, collective: Collective) -> None:
    await members_svc.require_role(ctx.uow, collective, ctx.me, READERS)
    if not ctx.is_private:
        ctx.say(
            "votes/decisions_in_private",
            ctx.private_link_button(f"vd{collective.id}"),
            c=collective,
        )
        return
    await show_decisions(ctx, collective, edit=False)


async def decisions_link(ctx: Ctx, rest: str) -> None:
    collective = await _collective(ctx, link_id(rest), missing="stale_link")
    await members_svc.require_role(ctx.uow, collective, ctx.me, READERS)
    await show_decisions(ctx, collective, edit=False)


async def show_decisions(ctx: Ctx, collective: Collective, *, edit: bool) -> None:
    listed = await repo(ctx).recent(collective.id, 12)
    role = await members_svc.role_in(ctx.uow, collective, ctx.me)
    rows: Rows = [
        [
            (
                ctx.caption("votes/list_entry", title=shorten(v.title, 45), status=v.status),
                ("vd", v.id),
            )
        ]
        for v in listed
    ]
    if role == Role.ANIMATEUR:
        rows.append([(ctx.caption("votes/new_vote"), ("vnew", collective.id))])
        rows.append([(ctx.caption("votes/colleges"), ("vcol", collective.id, "show"))])
    rows += await switch_rows(ctx, collective, "decisions")
    ctx.show("votes/decisions", rows, edit=edit, c=collective, votes=listed, tz=collective.timezone)


async def show_running(ctx: Ctx, collective: Collective) -> None:
    running = await repo(ctx).running(collective.id)
    ctx.say("votes/running", c=collective, votes=running, tz=collective.timezone, now=ctx.now)


async def detail_button(ctx: Ctx, vote_id: int) -> None:
    """vd|<vote>: one vote, its rounds and results; the team's controls."""
    vote = await svc.find(ctx.uow, vote_id)
    collective = await svc.collective_of(ctx.uow, vote)
    await members_svc.require_role(ctx.uow, collective, ctx.me, READERS)
    rounds = await repo(ctx).rounds(vote.id)
    standing = await svc.standing(ctx.uow, vote.id)
    role = await members_svc.role_in(ctx.uow, collective, ctx.me)
    rows: Rows = []
    mine = await repo(ctx).elector_of(vote.id, ctx.me.id)
    proxy = await repo(ctx).proxy_of(vote.id, mine.id) if mine else None
    if vote.status == svc.OPEN and mine is not None:
        if proxy is not None and proxy.status == "active":
            rows.append([(ctx.caption("votes/withdraw_proxy"), ("vpw", proxy.id))])
        else:
            rows.append([(ctx.caption("votes/give_proxy"), ("vpg", vote.id))])
    if role == Role.ANIMATEUR:
        if vote.status == svc.OPEN:
            rows.append(
                [
                    (ctx.caption("votes/extend"), ("vx", vote.id, "extend")),
                    (ctx.caption("votes/cancel"), ("vx", vote.id, "cancel")),
                ]
            )
            rows.append([(ctx.caption("votes/close_now"), ("vx", vote.id, "close"))])
        if vote.status == svc.PAUSED:
            rows.append(
                [
                    (ctx.caption("votes/new_round"), ("vx", vote.id, "round")),
                    (ctx.caption("votes/conclude"), ("vx", vote.id, "conclude")),
                ]
            )
        rows.append([(ctx.caption("votes/export"), ("vx", vote.id, "export"))])
    rows.append([(ctx.caption("votes/all_decisions"), ("vlist", collective.id))])
    ctx.say(
        "votes/detail",
        rows,
        v=vote,
        c=collective,
        s=standing,
        rounds=rounds,
        method=vote_files.method_label(vote, ctx.lang),
        tz=collective.timezone,
        holder=await _holder_name(ctx, proxy) if proxy and proxy.status == "active" else None,
    )


async def _holder_name(ctx: Ctx, proxy: Any) -> str | None:
    holder = await repo(ctx).elector(proxy.holder_id)
    person = await ctx.uow.people.get(holder.person_id) if holder else None
    return person.display_name if person else None


async def list_button(ctx: Ctx, collective_id: int) -> None:
    collective = await _collective(ctx, collective_id)
    await members_svc.require_role(ctx.uow, collective, ctx.me, READERS)
    await show_decisions(ctx, collective, edit=True)


def _confirm(ctx: Ctx, vote: Vote, action: str, **params: Any) -> None:
    """« Annuler » or « Clore maintenant »: asked once more, « Non, le garder » beside."""
    ctx.say(
        f"votes/confirm_{action}",
        [
            [
                (ctx.caption(f"votes/{action}_yes"), ("vx", vote.id, f"{action}_yes")),
                (ctx.caption("votes/cancel_no"), ("vx", vote.id, "cancel_no")),
            ]
        ],
        v=vote,
        **params,
    )


async def manage_button(ctx: Ctx, vote_id: int, action: str) -> None:
    """vx|<vote>|<action>: the team extends, closes now, cancels, opens a new round, concludes,
    exports."""
    vote, collective = await svc.managed(ctx.uow, vote_id, ctx.me)
    if action == "extend":
        await conversation.start(ctx, svc.EXTEND, collective_id=collective.id, subject_id=vote.id)
    elif action == "cancel":
        if vote.status not in svc.RUNNING:
            raise Refusal("vote_not_running", title=vote.title)
        _confirm(ctx, vote, "cancel")
    elif action == "close":
        if vote.status != svc.OPEN:
            raise Refusal("vote_not_running", title=vote.title)
        _confirm(ctx, vote, "close", s=await svc.standing(ctx.uow, vote.id))
    elif action == "close_yes":
        await svc.close_now(ctx.uow, vote.id, ctx.me, ctx.now)
        ctx.edit("votes/closed_now", v=vote)
    elif action == "cancel_yes":
        await svc.cancel(ctx.uow, vote.id, ctx.me, ctx.now)
        ctx.edit("votes/cancelled", v=vote)
        ctx.post_group(collective, "votes/cancelled_group", v=vote)
    elif action == "cancel_no":
        ctx.edit("votes/cancel_kept", v=vote)
    elif action == "round":
        if vote.status != svc.PAUSED:
            raise Refusal("vote_not_paused", title=vote.title)
        await conversation.start(ctx, svc.ROUND, collective_id=collective.id, subject_id=vote.id)
    elif action == "conclude":
        await svc.conclude(ctx.uow, vote.id, ctx.me, ctx.now)
        ctx.say("votes/concluded", v=vote)
        ctx.post_group(collective, "votes/concluded_group", v=vote)
    else:
        await send_export(ctx, vote, collective)


async def extend_finished(ctx: Ctx, finished: Finished) -> None:
    s: svc.RoundSubject = finished.subject
    tz = s.collective.timezone
    ctx.say("votes/extended", v=s.vote, tz=tz)
    ctx.post_group(s.collective, "votes/extended_group", v=s.vote, tz=tz)


async def round_finished(ctx: Ctx, finished: Finished) -> None:
    s: svc.RoundSubject = finished.subject
    ctx.say("votes/round_opened", v=s.vote, tz=s.collective.timezone)


# --- results, closings and reminders (due work)


async def close_due(deps: Any, due: DueContext) -> object:
    """At the closing date: count, keep the result, announce it in the group (with the merit
    profiles' chart for a majority judgment); after a consent round with objections, tell the
    team; a charter version adopted is published and pinned."""
    payload = due.work.payload
    uow = due.uow
    votes = uow.repo(VoteRepo)
    vote = await votes.get(int(payload["vote"]))
    if vote is None:
        return None
    if svc.is_current(vote, payload):
        await svc.close_round(uow, vote, due.now)
        await uow.commit()
        vote = await votes.get(int(payload["vote"]))
        assert vote is not None
    number = int(payload["round"])
    found = await votes.round(vote.id, number)
    if found is None or found.result is None:
        return None  # extended, cancelled: nothing was counted at this date
    collective = await uow.collectives.get(vote.collective_id)
    if collective is None:
        return None
    result = dict(found.result)
    vote_id, title = vote.id, vote.title
    sender = Sender(due.bot, uow, due.now)
    lang, tz = collective.language, collective.timezone
    text = render(
        "votes/result",
        lang,
        v=vote,
        r=result,
        round=number,
        method=vote_files.method_label(vote, lang),
        tz=tz,
        final=vote.status != svc.PAUSED,
    )
    await sender.send(
        f"vote:{vote_id}:{number}:result", collective.chat_id, text, thread_id=collective.thread_id
    )
    if result.get("ranking"):
        chart = merit_chart(title, result["ranking"], lang)
        await sender.send(
            f"vote:{vote_id}:{number}:chart",
            collective.chat_id,
            render("votes/chart_caption", lang, title=title),
            thread_id=collective.thread_id,
            photo=chart,
        )
    vote = await votes.get(vote_id)
    assert vote is not None
    if vote.status == svc.PAUSED and vote.round == number:
        await notify_team(
            uow,
            collective,
            key=f"vote:{vote_id}:{number}:paused",
            template="votes/paused_notice",
            now=due.now,
            params={
                "title": title,
                "round": number,
                "objections": result.get("objections", []),
                "outcome": result["outcome"],
                "kind": vote.kind,
            },
            buttons=[
                [("votes/new_round", {}, ["vx", vote_id, "round"])],
                [("votes/conclude", {}, ["vx", vote_id, "conclude"])],
            ],
        )
    if vote.kind in (svc.CHARTER, svc.AMENDMENT):
        from handlers.charter import publish_version

        return await publish_version(deps, due, vote)
    return None


def merit_chart(title: str, ranking: list[dict[str, Any]], lang: str) -> bytes:
    from bot.charts import merit_profiles

    grades = [caption(f"votes/grade_{g}", lang) for g in judgment.GRADES]
    return merit_profiles(
        title,
        [str(r["option"]) for r in ranking],
        [list(r["profile"]) for r in ranking],
        grades,
    )


async def remind_due(deps: Any, due: DueContext) -> object:
    """A day before the closing: a private reminder to those who have not voted yet."""
    payload = due.work.payload
    vote = await due.uow.repo(VoteRepo).get(int(payload["vote"]))
    if vote is None or not svc.is_current(vote, payload):
        return None
    collective = await due.uow.collectives.get(vote.collective_id)
    if collective is None:
        return None
    quiet = QuietHours.of(collective)
    sender = Sender(due.bot, due.uow, due.now)
    for person in await svc.not_voted(due.uow, vote):
        text = render(
            "votes/reminder",
            person.language,
            v=vote,
            c=collective,
            tz=collective.timezone,
            now=due.now,
        )
        outcome = await sender.send(
            f"{due.work.key}:{person.id}", person.telegram_id, text, quiet=quiet
        )
        if outcome.status == "later" and outcome.retry_at is not None:
            return Later(outcome.retry_at)
    return None


# --- the CSV export


async def send_export(ctx: Ctx, vote: Vote, collective: Collective) -> None:
    content = await vote_files.results_csv(ctx.uow, vote, collective, ctx.lang)
    name = f"vote-{vote.id}.csv"
    chat_id = ctx.me.telegram_id
    caption_text = ctx.text("votes/export_caption", v=vote)
    ctx.queue(
        lambda bot: bot.send_document(
            chat_id, InputFile(content, filename=name), caption=caption_text
        ),
        "export",
    )


# --- colleges and the collective's rules for proxies


async def colleges_button(ctx: Ctx, collective_id: int, action: str) -> None:
    """vcol|<collective>|<action>: the colleges' screen, and what the team does there."""
    collective = await _collective(ctx, collective_id)
    if action == "define":
        await members_svc.require_role(ctx.uow, collective, ctx.me, ANIMATORS)
        await conversation.start(ctx, colleges_svc.DEFINE, collective_id=collective.id)
        return
    if action in ("assign", "missing"):
        await members_svc.require_role(ctx.uow, collective, ctx.me, ANIMATORS)
        data = await colleges_svc.assign_data(
            ctx.uow, collective, only_unassigned=action == "missing"
        )
        await conversation.start(ctx, colleges_svc.ASSIGN, collective_id=collective.id, data=data)
        return
    await show_colleges(ctx, collective, edit=False)


async def show_colleges(ctx: Ctx, collective: Collective, *, edit: bool) -> None:
    overview = await colleges_svc.overview(ctx.uow, collective, ctx.me)
    cid = collective.id
    rows: Rows = [[(ctx.caption("votes/define_colleges"), ("vcol", cid, "define"))]]
    if overview.colleges:
        rows.append([(ctx.caption("votes/assign_colleges"), ("vcol", cid, "assign"))])
        if overview.unassigned:
            rows.append([(ctx.caption("votes/assign_missing"), ("vcol", cid, "missing"))])
    rows.append(
        [
            (
                ("✅ " if n == overview.proxies else "") + ctx.caption("votes/proxies_n", n=n),
                ("vset", cid, n),
            )
            for n in (1, 2, 3)
        ]
    )
    ctx.show("votes/colleges", rows, edit=edit, c=collective, o=overview)


async def proxies_setting_button(ctx: Ctx, collective_id: int, number: int) -> None:
    collective = await _collective(ctx, collective_id)
    await svc.set_proxies_per_holder(ctx.uow, collective, ctx.me, number, ctx.now)
    await show_colleges(ctx, collective, edit=True)


async def colleges_finished(ctx: Ctx, finished: Finished) -> None:
    collective = finished.subject if isinstance(finished.subject, Collective) else None
    if collective is None:
        collective = finished.subject.collective
    ctx.say("votes/colleges_saved")
    await show_colleges(ctx, collective, edit=False)


async def _collective(ctx: Ctx, collective_id: int, *, missing: str = "stale_button") -> Collective:
    collective = await ctx.uow.collectives.get(collective_id)
    if collective is None:
        raise Refusal(missing)
    return collective


FEATURE = Feature(
    name="votes",
    journal=(("vote_", "votes"), ("colleges_", "votes")),
    privacy=(personal_data.VOTES,),
    commands=(
        Command(
            ("vote",),
            for_collective=vote_command,
            in_group_menu=True,
            in_private_menu=True,
            help=(("animateur", "votes/help_vote"),),
        ),
        Command(
            ("decisions",),
            for_collective=decisions,
            in_group_menu=True,
            in_private_menu=True,
            help=(("member", "votes/help_decisions"),),
        ),
        Command(
            ("procuration", "proxy"),
            run=proxy_command,
            for_collective=proxy_private,
            in_group_menu=True,
            in_private_menu=True,
            help=(("member", "votes/help_procuration"),),
        ),
    ),
    buttons=(
        Button("vb", vote_button, (Int(1), Int(1), Word(*svc.ALL_CHOICES), Int(1)), optional=1),
        Button("vo", objection_button, (Int(1), Int(1), Int(1)), optional=1),
        Button("vj", judgment_button, (Int(1), Int(1)), optional=1),
        Button("vd", detail_button, (Int(1),)),
        Button("vtx", read_text_button, (Int(1),)),
        Button("vlist", list_button, (Int(1),)),
        Button("vnew", new_vote_button, (Int(1),)),
        Button("vx", manage_button, (Int(1), Word(*ACTIONS))),
        Button("vpg", proxy_start_button, (Int(1),)),
        Button("vpx", proxy_vote_button, (Int(1), Int(0))),
        Button("vpw", withdraw_button, (Int(1),)),
        Button("vpu", use_proxy_button, (Int(1),)),
        Button("vcol", colleges_button, (Int(1), Word(*COLLEGE_ACTIONS))),
        Button("vset", proxies_setting_button, (Int(1), Int(1, 5))),
    ),
    links=(
        Link(SETUP_LINK, setup_link),
        Link(OBJECTION_LINK, objection_link),
        Link(JUDGMENT_LINK, judgment_link),
        Link(PROXY_LINK, proxy_link),
        Link(TEXT_LINK, text_link),
        Link("vd", decisions_link),
    ),
    flows=(
        FlowUI(svc.SETUP_FLOW, setup_finished),
        FlowUI(svc.PROXY_FLOW, proxy_finished),
        FlowUI(svc.BALLOT_FLOW, ballot_finished),
        FlowUI(svc.BALLOT_PROXY_FLOW, ballot_finished),
        FlowUI(svc.OBJECTION_FLOW, ballot_finished),
        FlowUI(svc.OBJECTION_PROXY_FLOW, ballot_finished),
        FlowUI(svc.EXTEND_FLOW, extend_finished),
        FlowUI(svc.ROUND_FLOW, round_finished),
        FlowUI(colleges_svc.DEFINE_FLOW, colleges_finished),
        FlowUI(colleges_svc.ASSIGN_FLOW, colleges_finished),
    ),
    due=((svc.VOTE_CLOSE, close_due), (svc.VOTE_REMIND, remind_due), (NOTICE, send_notice)),
    mass_due=(svc.VOTE_CLOSE, svc.VOTE_REMIND),
    live=(LiveView(svc.LIVE_KIND, render_live),),
)
