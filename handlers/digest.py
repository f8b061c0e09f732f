"""The weekly synthèse in Telegram: /abonner CODE and /desabonner in the collectivité's chat;
/resume (the coming synthèse, not sent), /resume abonnes (a code, the subscribers, the
e-mail addresses, the schedule) for the animation team; the due work that sends it."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from telegram import Chat

from bot import digests
from bot import mail as mailer
from bot.app import Deps
from bot.domain import ANIMATORS
from bot.due import DueContext, Later
from bot.notices import NOTIFY_ANIMATORS
from bot.sender import Outcome, Sender
from bot.services import collectives as collectives_svc
from bot.services import digest as svc
from bot.services.members import require_role
from bot.texts import render
from handlers.common import Button as Key
from handlers.common import Ctx, Rows
from handlers.meetings import in_private, send_file
from handlers.registry import Button, Command, Feature, Int, Link, Word, link_id
from storage.models import Collective, DigestSubscription

log = logging.getLogger(__name__)

PREVIEW_LINK, SUBSCRIBERS_LINK = "dg", "da"
SUBSCRIBERS_WORDS = {"abonnes", "abonnés", "abonne", "abonné", "subscribers"}
ADD_WORDS = {"ajouter", "add"}
CONTACT_WORDS = {"contact"}
HOURS = tuple(range(6, 21))


# --- /resume


async def resume(ctx: Ctx, collective: Collective) -> None:
    await require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    args = ctx.args
    word = args[0].casefold() if args else ""
    if not ctx.is_private:
        # The list of subscribers and the codes are the team's: read in private.
        payload = SUBSCRIBERS_LINK if word in SUBSCRIBERS_WORDS else PREVIEW_LINK
        in_private(ctx, f"{payload}{collective.id}")
        return
    if word in SUBSCRIBERS_WORDS:
        await show_subscribers(ctx, collective, new_code=True, edit=False)
    elif word in ADD_WORDS:
        address = await svc.add_email(ctx.uow, collective, ctx.me, " ".join(args[1:]), ctx.now)
        ctx.say("digest/email_added", address=address, c=collective)
        await show_subscribers(ctx, collective, new_code=False, edit=False)
    elif word in CONTACT_WORDS:
        address = svc.valid_email(" ".join(args[1:]), for_contact=True)
        await svc.set_contact(ctx.uow, collective, ctx.me, address, ctx.now)
        ctx.say("digest/contact_saved", address=address, c=collective)
    else:
        await preview(ctx, collective)


async def preview(ctx: Ctx, collective: Collective) -> None:
    """The synthèse as it would go out now, with what it covers and when it really goes."""
    now = ctx.now
    digest = await svc.preview(ctx.uow, collective, now)
    settings = await svc.settings_of(ctx.uow, collective, now)
    subs = await svc.repo(ctx.uow).subscriptions(collective.id, ("active",))
    ctx.say(
        "digest/preview",
        c=collective,
        next_at=svc.next_slot(settings, collective.timezone, now),
        recipients=len(subs),
        quiet=digest.quiet,
        quiet_week=settings.quiet_week,
        now=now,
    )
    out = await outputs(ctx.uow, digest, now)
    if out.too_long:
        send_file(ctx, digests.FILE_NAME, out.page.encode(), out.message)
    else:
        ctx.private_html(out.message, what="digest")
    if out.chart is not None and ctx.user is not None:
        user_id, image = ctx.user.id, out.chart
        text = render("digest/chart_caption", collective.language, c=collective)
        ctx.queue(lambda bot: bot.send_photo(user_id, image, caption=text), "chart")


async def show_subscribers(ctx: Ctx, collective: Collective, *, new_code: bool, edit: bool) -> None:
    found = await svc.subscribers(ctx.uow, collective, ctx.me, ctx.now, new_code=new_code)
    rows: Rows = [
        [(ctx.caption("digest/remove", name=s.email or s.chat_title or "?"), ("dgx", s.id))]
        for s in [*found.chats, *found.emails]
    ]
    rows.append([(ctx.caption("digest/change_day"), ("dgw", collective.id))])
    other = "none" if found.settings.quiet_week == "short" else "short"
    rows.append([(ctx.caption(f"digest/quiet_{other}"), ("dgq", collective.id, other))])
    params: dict[str, Any] = {"c": collective, "s": found, "now": ctx.now}
    ctx.show("digest/subscribers", rows, edit=edit, **params)


async def preview_link(ctx: Ctx, rest: str) -> None:
    collective = await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link")
    await require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    await preview(ctx, collective)


async def subscribers_link(ctx: Ctx, rest: str) -> None:
    collective = await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link")
    await require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    await show_subscribers(ctx, collective, new_code=True, edit=False)


async def remove_button(ctx: Ctx, subscription_id: int) -> None:
    collective, sub = await svc.remove_subscription(ctx.uow, subscription_id, ctx.me, ctx.now)
    ctx.toast("digest/removed", name=sub.email or sub.chat_title or "")
    await show_subscribers(ctx, collective, new_code=False, edit=True)


async def weekday_button(ctx: Ctx, collective_id: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    rows: Rows = [
        [(ctx.caption("digest/weekday", day=d), ("dgd", collective.id, d))] for d in range(7)
    ]
    ctx.edit("digest/pick_day", rows, c=collective)


async def day_button(ctx: Ctx, collective_id: int, weekday: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    hours: list[Key] = [
        (ctx.caption("digest/hour", hour=h), ("dgh", collective.id, weekday, h)) for h in HOURS
    ]
    rows: Rows = [hours[i : i + 5] for i in range(0, len(hours), 5)]
    ctx.edit("digest/pick_hour", rows, c=collective, day=weekday)


async def hour_button(ctx: Ctx, collective_id: int, weekday: int, hour: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await svc.change_schedule(ctx.uow, collective, ctx.me, ctx.now, weekday=weekday, hour=hour)
    ctx.toast("digest/schedule_saved_toast")
    await show_subscribers(ctx, collective, new_code=False, edit=True)


async def quiet_button(ctx: Ctx, collective_id: int, choice: str) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await svc.change_schedule(ctx.uow, collective, ctx.me, ctx.now, quiet_week=choice)
    ctx.toast("digest/schedule_saved_toast")
    await show_subscribers(ctx, collective, new_code=False, edit=True)


# --- /abonner, /desabonner (any chat)


def _chat_title(ctx: Ctx) -> str:
    chat = ctx.chat
    if chat is not None and chat.type != Chat.PRIVATE:
        return chat.title or "?"
    return ctx.me.display_name


async def abonner(ctx: Ctx) -> None:
    if ctx.chat is None:
        return
    collective, settings = await svc.subscribe_chat(
        ctx.uow, " ".join(ctx.args), ctx.chat.id, _chat_title(ctx), ctx.now
    )
    ctx.say(
        "digest/subscribed",
        c=collective,
        settings=settings,
        group=not ctx.is_private,
        next_at=svc.next_slot(settings, collective.timezone, ctx.now),
        now=ctx.now,
    )
    await notify(
        ctx.uow,
        collective,
        "digest/notice_subscribed",
        ctx.now,
        f"{ctx.chat.id}:{ctx.now:%Y%m%d%H%M%S}",
        chat=_chat_title(ctx),
    )


async def desabonner(ctx: Ctx) -> None:
    if ctx.chat is None:
        return
    stopped = await svc.unsubscribe_chat(ctx.uow, ctx.chat.id, ctx.now)
    ctx.say("digest/unsubscribed", titles=[c.title for c in stopped])


# --- due work


async def notify(
    uow: Any, collective: Collective, template: str, now: datetime, key: str, **params: Any
) -> None:
    """A notice to the animation team (bot.notices), once per `key`."""
    await uow.due.schedule(
        key=f"notice:{template}:{collective.id}:{key}",
        kind=NOTIFY_ANIMATORS,
        due_at=now,
        now=now,
        collective_id=collective.id,
        payload={"template": template, "params": params},
    )


def _later(outcome: Outcome) -> Later | None:
    if outcome.status == "later" and outcome.retry_at is not None:
        return Later(outcome.retry_at)
    return None


async def weekly(deps: Deps, due: DueContext) -> object:
    """The synthèse of the week that ends at the slot: to every subscribed chat (once per key,
    whatever restarts), then one e-mail row per address; then next week's row."""
    collective = await due.uow.collectives.get(due.work.collective_id or 0)
    if collective is None:
        return None
    settings = await svc.settings_of(due.uow, collective, due.now)
    slot = datetime.fromisoformat(str(due.work.payload["slot"]))
    manual = bool(due.work.payload.get("manual"))  # `tisserand digest SLUG`
    if not manual and not svc.is_slot(settings, collective.timezone, slot):
        return None  # the schedule changed: the new slot has its own row
    subs = await svc.repo(due.uow).subscriptions(collective.id, ("active",))
    if not subs:
        return None  # the next subscription plans the next one
    digest = await svc.build(due.uow, collective, slot)
    if digest.quiet and settings.quiet_week == "none":
        if not manual:
            await svc.schedule_next(due.uow, collective, due.now)
        return None
    lang = collective.language
    key = due.work.key
    out = await outputs(due.uow, digest, due.now)
    sender = Sender(due.bot, due.uow, due.now)
    for sub in subs:
        if sub.chat_id is None:
            continue
        later = await _send_chat(due, sender, collective, sub, key, out)
        if later is not None:
            return later
    for sub in subs:
        if sub.email is None:
            continue
        await due.uow.due.schedule(
            key=f"{key}:m{sub.id}",
            kind=svc.DIGEST_MAIL,
            due_at=due.now,
            now=due.now,
            collective_id=collective.id,
            payload={
                "subscription_id": sub.id,
                "subject": render("digest/mail_subject", lang, c=collective, d=digest),
                "html": out.page,
                "text": out.text,
            },
        )
    if not manual:
        await svc.schedule_next(due.uow, collective, due.now)
    return None


async def outputs(uow: Any, digest: svc.Digest, now: datetime) -> digests.Output:
    """The synthèse in every form it goes out in (the chart only when the week had news)."""
    lang = digest.collective.language
    if digest.quiet:
        return digests.quiet_output(digest, lang, now)
    weeks = await svc.participation(uow, digest.collective, digest.until)
    # Drawing takes a moment: not while a transaction is open, nor on the event loop.
    await uow.checkpoint()
    chart = await asyncio.to_thread(digests.chart, weeks, lang)
    return digests.full_output(digest, lang, now, chart)


async def _send_chat(
    due: DueContext,
    sender: Sender,
    collective: Collective,
    sub: DigestSubscription,
    key: str,
    out: digests.Output,
) -> Later | None:
    base = f"{key}:c{sub.id}"
    assert sub.chat_id is not None
    if out.too_long:
        outcome = await sender.send(
            base, sub.chat_id, out.message, document=(digests.FILE_NAME, out.page.encode())
        )
    else:
        outcome = await sender.send(base, sub.chat_id, out.message)
    if outcome.status == "unreachable":
        # The chat removed the bot: suspended, and the team told, once.
        await svc.suspend(due.uow, sub, due.now)
        await notify(
            due.uow,
            collective,
            "digest/notice_suspended",
            due.now,
            f"{key}:{sub.id}",
            chat=sub.chat_title or "?",
        )
        return None
    later = _later(outcome)
    if later is not None or out.chart is None or outcome.status not in ("sent", "already"):
        return later
    caption = render("digest/chart_caption", collective.language, c=collective)
    return _later(await sender.send(f"{base}:chart", sub.chat_id, caption, photo=out.chart))


async def mail(deps: Deps, due: DueContext) -> object:
    """One e-mail of the synthèse. A refusal or a server away raises: the due work tries again
    (1, 5, 15, 60 minutes), the team is told once a day, the row keeps the message."""
    payload = due.work.payload
    sub = await svc.repo(due.uow).subscription(int(payload["subscription_id"]))
    collective = await due.uow.collectives.get(sub.collective_id) if sub else None
    if sub is None or collective is None or sub.status != "active" or sub.email is None:
        return None
    previous = await due.uow.deliveries.get(due.work.key)
    if previous is not None and previous.status in ("sent", "uncertain"):
        return None
    if previous is not None and previous.status == "sending":
        previous.status = "uncertain"  # a worker died mid-send: never twice
        return None
    settings = await svc.settings_of(due.uow, collective, due.now)
    try:
        url = deps.settings.smtp_url.get_secret_value() if deps.settings.smtp_url else ""
        sender = deps.settings.smtp_from or ""
        if not url or not sender:
            raise mailer.MailSettingsError("TISSERAND_SMTP_URL and TISSERAND_SMTP_FROM")
        smtp = mailer.Smtp.parse(url)
    except mailer.MailSettingsError:
        await notify(due.uow, collective, "digest/notice_no_smtp", due.now, f"{due.now:%Y%m%d}")
        await due.uow.commit()
        raise
    message = mailer.message(
        sender=sender,
        sender_name=collective.title,
        to=sub.email,
        subject=str(payload["subject"]),
        text=str(payload["text"]),
        html=str(payload["html"]),
        unsubscribe=settings.contact_email or sender,
    )
    delivery = previous or await due.uow.deliveries.start(due.work.key, 0, due.now)
    delivery.status = "sending"
    await due.uow.commit()
    try:
        await mailer.send(smtp, message)
    except Exception as exc:
        log.warning("e-mail of %s failed: %s", due.work.key, type(exc).__name__)
        delivery.status, delivery.error, delivery.updated_at = "pending", str(exc)[:300], due.now
        await notify(
            due.uow,
            collective,
            "digest/notice_mail_failed",
            due.now,
            f"{sub.id}:{due.now:%Y%m%d}",
            email=sub.email,
        )
        await due.uow.commit()
        raise
    delivery.status, delivery.error, delivery.updated_at = "sent", None, due.now
    return None


FEATURE = Feature(
    name="digest",
    commands=(
        Command(
            ("resume", "digest"),
            for_collective=resume,
            in_private_menu=True,
            help=(("animateur", "digest/help_resume"),),
        ),
        Command(("abonner", "subscribe"), run=abonner),
        Command(("desabonner", "unsubscribe"), run=desabonner),
    ),
    buttons=(
        Button("dgx", remove_button, (Int(1),)),
        Button("dgw", weekday_button, (Int(1),)),
        Button("dgd", day_button, (Int(1), Int(0, 6))),
        Button("dgh", hour_button, (Int(1), Int(0, 6), Int(0, 23))),
        Button("dgq", quiet_button, (Int(1), Word(*svc.QUIET_CHOICES))),
    ),
    links=(Link(PREVIEW_LINK, preview_link), Link(SUBSCRIBERS_LINK, subscribers_link)),
    due=((svc.DIGEST_WEEKLY, weekly), (svc.DIGEST_MAIL, mail)),
    # A synthèse goes to every subscriber: sent by the process that holds the sending lease.
    mass_due=(svc.DIGEST_WEEKLY, svc.DIGEST_MAIL),
)
