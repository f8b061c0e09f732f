"""/charte, /amender, /signer: the charter from the template to signatures; its publication
and pinning when a version is adopted; the exports charte.md and charte.html."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from telegram import InputFile
from telegram.error import BadRequest, Forbidden

from bot.conversation import Finished
from bot.domain import ANIMATORS, READERS, Role
from bot.due import DueContext, Later
from bot.notices import notify_animators
from bot.sender import QuietHours, Sender
from bot.services import charter as svc
from bot.services import members as members_svc
from bot.services import personal_data, vote_files
from bot.services import votes as votes_svc
from bot.services.errors import Refusal
from bot.texts import caption, render
from handlers import conversation
from handlers.common import Ctx, Rows, keyboard
from handlers.registry import Button, Command, Feature, FlowUI, Int, Link, link_id
from handlers.votes import notify, notify_team, start_setup
from storage.models import CharterVersion, Collective, Vote

READ_LINK, AMEND_LINK, SIGN_LINK = "cr", "ca", "cs"
# Telegram takes 4,096 characters a message: the charter's text is cut between articles.
PART_LIMIT = 3800


# --- showing the charter


def parts(blocks: list[str], limit: int = PART_LIMIT) -> list[str]:
    """Pack blocks of HTML into as few messages as fit, never cutting a block."""
    packed: list[str] = []
    for block in blocks:
        if packed and len(packed[-1]) + 2 + len(block) <= limit:
            packed[-1] += "\n\n" + block
        else:
            packed.append(block)
    return packed


def text_blocks(
    text: dict[str, Any], lang: str, *, header: str, footer: str | None = None
) -> list[str]:
    blocks = [header]
    for number, (title, body) in enumerate(text.get("articles", []), start=1):
        blocks.append(render("charter/article", lang, n=number, title=title, body=body))
    if footer:
        blocks.append(footer)
    return blocks


async def show_charter(ctx: Ctx, collective: Collective) -> None:
    await members_svc.require_role(ctx.uow, collective, ctx.me, READERS)
    role = await members_svc.role_in(ctx.uow, collective, ctx.me)
    charter = await svc.of_collective(ctx.uow, collective)
    if charter is None:
        rows: Rows = []
        if role == Role.ANIMATEUR and ctx.is_private:
            rows = [[(ctx.caption("charter/load"), ("chl", collective.id))]]
        elif role == Role.ANIMATEUR:
            rows = ctx.private_link_button(f"{READ_LINK}{collective.id}")
        ctx.say("charter/none", rows, c=collective, animator=role == Role.ANIMATEUR)
        return
    view = await svc.view(ctx.uow, collective)
    text = view.version.text if view.version is not None else svc.text_of(charter, view.articles)
    tz = collective.timezone
    header = ctx.text("charter/header", v=view, text=text, tz=tz, now=ctx.now)
    footer = ctx.text("charter/footer", v=view, tz=tz, now=ctx.now)
    packed = parts(text_blocks(text, ctx.lang, header=header, footer=footer))
    rows = await charter_rows(ctx, view, role) if ctx.is_private else []
    if not ctx.is_private:
        rows = ctx.private_link_button(f"{READ_LINK}{collective.id}")
    for i, part in enumerate(packed):
        last = i == len(packed) - 1
        ctx.say("charter/part", rows if last else None, part=Markup(part))


async def charter_rows(ctx: Ctx, view: svc.View, role: Role | None) -> Rows:
    cid = view.collective.id
    rows: Rows = []
    if view.charter.status == "adopted":
        signed = [s for s in view.signatories if s.person_id == ctx.me.id]
        if not signed and role in svc.SIGNERS:
            rows.append([(ctx.caption("charter/sign", version=view.charter.version), ("csg", cid))])
    if role in svc.AMENDERS:
        rows.append([(ctx.caption("charter/amend"), ("cam", cid))])
    if role == Role.ANIMATEUR:
        if view.charter.status != "adopted":
            rows.append([(ctx.caption("charter/edit_articles"), ("cart", cid))])
            rows.append([(ctx.caption("charter/publish"), ("cpub", cid))])
            if view.vote is None:
                rows.append([(ctx.caption("charter/put_to_vote"), ("cvt", cid))])
        if view.pending:
            rows.append([(ctx.caption("charter/amendments", n=view.pending), ("cams", cid))])
    rows.append([(ctx.caption("charter/export"), ("cex", cid))])
    return rows


async def read_link(ctx: Ctx, rest: str) -> None:
    collective = await _collective(ctx, link_id(rest), missing="stale_link")
    await show_charter(ctx, collective)


async def load_button(ctx: Ctx, collective_id: int) -> None:
    collective = await _collective(ctx, collective_id)
    await svc.load_template(ctx.uow, collective, ctx.me, ctx.now)
    ctx.edit_markup_off()
    ctx.say("charter/loaded", c=collective)
    await show_charter(ctx, collective)


async def publish_button(ctx: Ctx, collective_id: int) -> None:
    """cpub: post the draft in the group, for everyone to read and amend."""
    collective = await _collective(ctx, collective_id)
    view = await svc.publish_draft(ctx.uow, collective, ctx.me, ctx.now)
    text = svc.text_of(view.charter, view.articles)
    lang = collective.language
    header = render("charter/draft_header", lang, v=view, text=text)
    footer = render("charter/draft_footer", lang, v=view)
    for part in parts(text_blocks(text, lang, header=header, footer=footer)):
        ctx.post_group(collective, "charter/part", part=Markup(part))
    ctx.say("charter/published", c=collective)


# --- editing articles (the team, while the charter is a draft)


async def articles_button(ctx: Ctx, collective_id: int) -> None:
    collective = await _collective(ctx, collective_id)
    await members_svc.require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    charter = await svc.require_charter(ctx.uow, collective)
    await svc.check_editable(ctx.uow, charter)
    articles = await svc.repo(ctx.uow).articles(charter.id)
    rows: Rows = [[(f"{a.position}. {a.title}"[:60], ("cae", a.id))] for a in articles]
    rows.append([(ctx.caption("charter/add_article"), ("cadd", collective.id))])
    ctx.say("charter/pick_article", rows, c=collective)


async def article_button(ctx: Ctx, article_id: int) -> None:
    """cae: one article, to edit or to put to a vote on its own."""
    charter, article, _collective = await svc.article_to_edit(ctx.uow, article_id, ctx.me)
    await svc.check_editable(ctx.uow, charter)
    ctx.say(
        "charter/article_card",
        [
            [(ctx.caption("charter/edit_article"), ("caedit", article.id))],
            [(ctx.caption("charter/article_to_vote"), ("cavt", article.id))],
        ],
        article=article,
    )


async def edit_article_button(ctx: Ctx, article_id: int) -> None:
    charter, article, collective = await svc.article_to_edit(ctx.uow, article_id, ctx.me)
    await svc.check_editable(ctx.uow, charter)
    await conversation.start(ctx, svc.ARTICLE, collective_id=collective.id, subject_id=article.id)


async def add_article_button(ctx: Ctx, collective_id: int) -> None:
    collective = await _collective(ctx, collective_id)
    charter = await svc.can_add_article(ctx.uow, collective, ctx.me)
    await conversation.start(
        ctx, svc.NEW_ARTICLE, collective_id=collective.id, subject_id=charter.id
    )


async def new_article_finished(ctx: Ctx, finished: Finished) -> None:
    article = await svc.repo(ctx.uow).article(int(finished.data["article"]))
    if article is not None:
        ctx.say("charter/article_saved", article=article)


async def article_finished(ctx: Ctx, finished: Finished) -> None:
    s: svc.ArticleSubject = finished.subject
    ctx.say("charter/article_saved", article=s.article)


async def article_vote_button(ctx: Ctx, article_id: int) -> None:
    _charter, article, collective = await svc.article_to_edit(ctx.uow, article_id, ctx.me)
    title = ctx.caption("charter/article_vote_title", n=article.position, title=article.title)
    await start_setup(ctx, collective, kind=votes_svc.ARTICLE, subject_id=article.id, title=title)


async def charter_vote_button(ctx: Ctx, collective_id: int) -> None:
    """cvt: put the whole charter to a vote."""
    collective = await _collective(ctx, collective_id)
    charter = await svc.require_charter(ctx.uow, collective)
    if charter.status == "adopted":
        raise Refusal("charter_adopted_locked")
    title = ctx.caption("charter/charter_vote_title", title=charter.title)
    await start_setup(ctx, collective, kind=votes_svc.CHARTER, subject_id=charter.id, title=title)


# --- amendments


async def amend_command(ctx: Ctx, collective: Collective) -> None:
    charter = await svc.can_amend(ctx.uow, collective, ctx.me)
    if not ctx.is_private:
        ctx.say("charter/amend_in_private", ctx.private_link_button(f"{AMEND_LINK}{collective.id}"))
        return
    await conversation.start(ctx, svc.AMEND, collective_id=collective.id, subject_id=charter.id)


async def amend_link(ctx: Ctx, rest: str) -> None:
    await amend_command(ctx, await _collective(ctx, link_id(rest), missing="stale_link"))


async def amend_button(ctx: Ctx, collective_id: int) -> None:
    await amend_command(ctx, await _collective(ctx, collective_id))


async def amend_finished(ctx: Ctx, finished: Finished) -> None:
    s: svc.AmendSubject = finished.subject
    position = finished.data.get("position")
    ctx.say("charter/amendment_thanks", c=s.collective, n=position)
    await notify_team(
        ctx.uow,
        s.collective,
        key=f"amendment:{finished.data.get('amendment')}",
        template="charter/amendment_notice",
        now=ctx.now,
        params={"name": ctx.me.display_name, "n": position},
        buttons=[[("charter/see_amendments", {}, ["cams", s.collective.id])]],
    )


async def amendments_button(ctx: Ctx, collective_id: int) -> None:
    """cams: the amendments waiting for the team, each with what can be done with it."""
    collective = await _collective(ctx, collective_id)
    waiting = await svc.amendments(ctx.uow, collective, ctx.me, ("proposed",))
    charter = await svc.require_charter(ctx.uow, collective)
    if not waiting:
        ctx.say("charter/no_amendments")
        return
    for item in waiting[:10]:
        rows: Rows = [[(ctx.caption("charter/amendment_vote"), ("camv", item.amendment.id))]]
        if charter.status != "adopted":
            rows.append([(ctx.caption("charter/amendment_merge"), ("camm", item.amendment.id))])
        rows.append([(ctx.caption("charter/amendment_decline"), ("camd", item.amendment.id))])
        ctx.say(
            "charter/amendment",
            rows,
            a=item.amendment,
            article=item.article,
            author=item.author.display_name if item.author else None,
            tz=collective.timezone,
            now=ctx.now,
        )


async def amendment_vote_button(ctx: Ctx, amendment_id: int) -> None:
    amendment, _charter, collective, article = await svc.amendment_for_team(
        ctx.uow, amendment_id, ctx.me
    )
    ctx.edit_markup_off()
    title = ctx.caption("charter/amendment_vote_title", n=article.position, title=article.title)
    await start_setup(
        ctx, collective, kind=votes_svc.AMENDMENT, subject_id=amendment.id, title=title
    )


async def amendment_merge_button(ctx: Ctx, amendment_id: int) -> None:
    merged = await svc.merge(ctx.uow, amendment_id, ctx.me, ctx.now)
    ctx.edit("charter/amendment_merged", a=merged.amendment, article=merged.article)
    if merged.author is not None and merged.author.id != ctx.me.id:
        await notify(
            ctx.uow,
            key=f"amendment:{amendment_id}:decided",
            person_id=merged.author.id,
            template="charter/amendment_decided_notice",
            now=ctx.now,
            collective_id=merged.collective_id,
            params={
                "n": merged.article.position if merged.article else 0,
                "status": "merged",
                "reason": None,
            },
        )


async def amendment_decline_button(ctx: Ctx, amendment_id: int) -> None:
    amendment, _charter, collective, _article = await svc.amendment_for_team(
        ctx.uow, amendment_id, ctx.me
    )
    ctx.edit_markup_off()
    await conversation.start(ctx, svc.DECLINE, collective_id=collective.id, subject_id=amendment.id)


async def decline_finished(ctx: Ctx, finished: Finished) -> None:
    s: svc.DeclineSubject = finished.subject
    ctx.say("charter/amendment_declined", a=s.amendment, article=s.article)
    if s.amendment.author_id is not None and s.amendment.author_id != ctx.me.id:
        await notify(
            ctx.uow,
            key=f"amendment:{s.amendment.id}:decided",
            person_id=s.amendment.author_id,
            template="charter/amendment_decided_notice",
            now=ctx.now,
            collective_id=s.collective.id,
            params={"n": s.article.position, "status": "declined", "reason": s.amendment.reason},
        )


# --- signatures


async def sign_command(ctx: Ctx, collective: Collective) -> None:
    charter, version, _member = await svc.can_sign(ctx.uow, collective, ctx.me)
    if not ctx.is_private:
        ctx.say("charter/sign_in_private", ctx.private_link_button(f"{SIGN_LINK}{collective.id}"))
        return
    await conversation.start(
        ctx,
        svc.SIGN,
        collective_id=collective.id,
        subject_id=charter.id,
        data={"version": version.number},
    )


async def sign_link(ctx: Ctx, rest: str) -> None:
    await sign_command(ctx, await _collective(ctx, link_id(rest), missing="stale_link"))


async def sign_button(ctx: Ctx, collective_id: int) -> None:
    await sign_command(ctx, await _collective(ctx, collective_id))


async def sign_finished(ctx: Ctx, finished: Finished) -> None:
    s: svc.SignSubject = finished.subject
    organisation = str(finished.data.get("organisation") or s.member.organisation or "")
    params: dict[str, Any] = {
        "version": s.version.number,
        "organisation": organisation,
        "name": ctx.me.display_name,
        "tz": s.collective.timezone,
        "at": ctx.now,
    }
    ctx.say("charter/signed", **params)
    ctx.post_group(s.collective, "charter/signed_group", **params)


# --- adoption: publish the version, pin it, invite the earlier signatories (due work)


async def publish_version(deps: Any, due: DueContext, vote: Vote) -> object:
    uow = due.uow
    found = await svc.version_adopted_by(uow, vote)
    if found is None:
        return None
    charter, version = found
    collective = await uow.collectives.get(charter.collective_id)
    if collective is None:
        return None
    lang, tz = collective.language, collective.timezone
    header = render(
        "charter/adopted_header", lang, version=version, vote=vote, tz=tz, text=version.text
    )
    footer = render("charter/adopted_footer", lang, version=version)
    sender = Sender(due.bot, uow, due.now)
    first: int | None = None
    for i, part in enumerate(parts(text_blocks(version.text, lang, header=header, footer=footer))):
        outcome = await sender.send(
            f"charter:{charter.id}:v{version.number}:{i}",
            collective.chat_id,
            part,
            thread_id=collective.thread_id,
        )
        if i == 0:
            first = outcome.message_id
    if version.pin is None and first is not None:
        await _pin(due, collective, version, first)
    quiet = QuietHours.of(collective)
    for person, signed in await svc.to_invite(uow, charter, version):
        text = render(
            "charter/invite",
            person.language,
            c=collective,
            version=version.number,
            signed=signed,
            at=version.adopted_at,
            tz=tz,
        )
        rows: Rows = [
            [
                (
                    caption("charter/sign", person.language, version=version.number),
                    ["csg", collective.id],
                )
            ]
        ]
        outcome = await sender.send(
            f"charter:{charter.id}:v{version.number}:invite:{person.id}",
            person.telegram_id,
            text,
            quiet=quiet,
            reply_markup=keyboard(rows),
        )
        if outcome.status == "later" and outcome.retry_at is not None:
            return Later(outcome.retry_at)
    return None


async def _pin(
    due: DueContext, collective: Collective, version: CharterVersion, message_id: int
) -> None:
    """Pin the adopted version; without the right to, tell the team how to give it."""
    uow = due.uow
    chat_id, version_id, number = collective.chat_id, version.id, version.number
    await uow.commit()  # no transaction open while Telegram is asked
    try:
        await due.bot.pin_chat_message(chat_id, message_id, disable_notification=True)
        pin = "pinned"
    except BadRequest as exc:
        pin = "missing_right" if "right" in exc.message.lower() else "failed"
    except Forbidden:
        pin = "failed"
    await svc.set_pin(uow, version_id, message_id, pin)
    if pin == "missing_right":
        await notify_animators(
            uow,
            collective,
            "charter/pin_missing",
            due.now,
            once_per="day",
            params={"version": number},
        )
    await uow.commit()


# --- the exports: charte.md and a print-friendly charte.html


async def export_button(ctx: Ctx, collective_id: int) -> None:
    collective = await _collective(ctx, collective_id)
    await members_svc.require_role(ctx.uow, collective, ctx.me, READERS)
    files = await vote_files.charter_files(ctx.uow, collective, ctx.now)
    chat_id = ctx.me.telegram_id
    for name, content in files.items():
        ctx.queue(
            lambda bot, n=name, c=content: bot.send_document(  # type: ignore[misc]
                chat_id, InputFile(c, filename=n)
            ),
            "export",
        )
    ctx.say("charter/exported")


async def _collective(ctx: Ctx, collective_id: int, *, missing: str = "stale_button") -> Collective:
    collective = await ctx.uow.collectives.get(collective_id)
    if collective is None:
        raise Refusal(missing)
    return collective


FEATURE = Feature(
    name="charter",
    journal=(("charter_", "votes"), ("amendment_", "votes")),
    privacy=(personal_data.CHARTER,),
    commands=(
        Command(
            ("charte", "charter"),
            for_collective=show_charter,
            in_group_menu=True,
            in_private_menu=True,
            help=(("member", "charter/help_charte"),),
        ),
        Command(
            ("amender", "amend"),
            for_collective=amend_command,
            in_group_menu=True,
            in_private_menu=True,
            help=(("member", "charter/help_amender"),),
        ),
        Command(
            ("signer", "sign"),
            for_collective=sign_command,
            in_group_menu=True,
            in_private_menu=True,
            help=(("member", "charter/help_signer"),),
        ),
    ),
    buttons=(
        Button("chl", load_button, (Int(1),)),
        Button("cpub", publish_button, (Int(1),)),
        Button("cart", articles_button, (Int(1),)),
        Button("cae", article_button, (Int(1),)),
        Button("caedit", edit_article_button, (Int(1),)),
        Button("cadd", add_article_button, (Int(1),)),
        Button("cavt", article_vote_button, (Int(1),)),
        Button("cvt", charter_vote_button, (Int(1),)),
        Button("cam", amend_button, (Int(1),)),
        Button("cams", amendments_button, (Int(1),)),
        Button("camv", amendment_vote_button, (Int(1),)),
        Button("camm", amendment_merge_button, (Int(1),)),
        Button("camd", amendment_decline_button, (Int(1),)),
        Button("csg", sign_button, (Int(1),)),
        Button("cex", export_button, (Int(1),)),
    ),
    links=(
        Link(READ_LINK, read_link),
        Link(AMEND_LINK, amend_link),
        Link(SIGN_LINK, sign_link),
    ),
    flows=(
        FlowUI(svc.ARTICLE_FLOW, article_finished),
        FlowUI(svc.NEW_ARTICLE_FLOW, new_article_finished),
        FlowUI(svc.AMEND_FLOW, amend_finished),
        FlowUI(svc.DECLINE_FLOW, decline_finished),
        FlowUI(svc.SIGN_FLOW, sign_finished),
    ),
)
