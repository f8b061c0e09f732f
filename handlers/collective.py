"""/filiere: register the group as a collective, its setup in private chat, its card, its topic."""

from __future__ import annotations

from telegram import ChatMemberAdministrator, ChatMemberOwner
from telegram.constants import ChatMemberStatus

from bot.services import collectives as svc
from bot.services.collectives import ANIMATEUR, ChatInfo
from bot.services.errors import Refusal
from bot.services.members import require_role
from handlers.common import Button, Ctx, handler
from handlers.deeplinks import SETUP, payload
from storage.models import Collective

ANONYMOUS_ADMIN_BOT = 1087968824
TEXT_STEPS = {
    "name": svc.set_name,
    "slug": svc.set_slug,
    "territoire": svc.set_territoire,
    "timezone": svc.set_timezone,
}


@handler
async def filiere(ctx: Ctx) -> None:
    message = ctx.update.effective_message
    if ctx.chat is None or message is None:
        return
    if ctx.is_private:
        raise Refusal("filiere_private")
    if message.sender_chat is not None and message.sender_chat.id == ctx.chat.id:
        raise Refusal("filiere_anonymous")
    if ctx.group_collective is not None:
        await show_card(ctx, ctx.group_collective, message.message_thread_id)
        return
    user = ctx.user
    assert user is not None
    admin = await ctx.context.bot.get_chat_member(ctx.chat.id, user.id)
    chat = ChatInfo(
        ctx.chat.id,
        ctx.chat.title or "",
        ctx.chat.type,
        bool(ctx.chat.is_forum),
        message.message_thread_id if message.is_topic_message else None,
    )
    collective, _created = await svc.register_group(
        ctx.uow,
        chat,
        ctx.me,
        is_chat_admin=isinstance(admin, ChatMemberAdministrator | ChatMemberOwner),
        now=ctx.now,
        timezone=ctx.deps.settings.timezone,
        language=ctx.deps.settings.locale,
    )
    await ctx.uow.pending.put(
        ctx.me.id,
        kind="setup",
        step=svc.first_setup_step(),
        now=ctx.now,
        collective_id=collective.id,
    )
    missing = await missing_rights(ctx, collective)
    sent = await ctx.private("collective/setup_intro", title=collective.chat_title)
    if sent:
        await ask_setup_step(ctx, collective, svc.first_setup_step(), private=True)
    await ctx.say(
        "collective/registered",
        [[(ctx.label("continue_private"), ctx.deep_link(payload(SETUP, collective.id)))]],
        title=collective.chat_title,
        sent=sent,
        missing=missing,
    )


async def missing_rights(ctx: Ctx, collective: Collective) -> list[str]:
    """The admin rights the bot lacks: it needs them to see arrivals and departures, and to pin."""
    me = await ctx.context.bot.get_chat_member(collective.chat_id, ctx.context.bot.id)
    if me.status == ChatMemberStatus.OWNER:
        return []
    if not isinstance(me, ChatMemberAdministrator):
        return ["admin"]
    return [] if me.can_pin_messages else ["pin"]


async def show_card(ctx: Ctx, collective: Collective, thread_id: int | None) -> None:
    card = await svc.card(ctx.uow, collective)
    buttons: list[list[Button]] = []
    member = ctx.person and await ctx.uow.memberships.get(collective.id, ctx.me.id)
    is_animator = bool(member and member.role == ANIMATEUR and member.status != "left")
    if is_animator and collective.status == "setup":
        buttons.append(
            [(ctx.label("continue_private"), ctx.deep_link(payload(SETUP, collective.id)))]
        )
    if is_animator and collective.is_forum and thread_id != collective.thread_id:
        buttons.append([(ctx.label("post_here"), ("topic", collective.id, thread_id or 0))])
    await ctx.say("collective/card", buttons, card=card, c=collective)


async def resume_setup(ctx: Ctx, collective: Collective) -> None:
    """The animator opened the setup deep link: ask the step where they stopped."""
    await require_role(ctx.uow, collective, ctx.me, (ANIMATEUR,))
    pending = await ctx.uow.pending.get(ctx.me.id)
    step = (
        pending.step
        if pending is not None
        and pending.kind == "setup"
        and pending.collective_id == collective.id
        else svc.first_setup_step()
    )
    await ctx.uow.pending.put(
        ctx.me.id, kind="setup", step=step, now=ctx.now, collective_id=collective.id
    )
    await ask_setup_step(ctx, collective, step)


async def ask_setup_step(
    ctx: Ctx, collective: Collective, step: str, *, private: bool = False
) -> None:
    cid = collective.id
    buttons: list[list[Button]] = []
    params: dict[str, object] = {"c": collective}
    if step == "name":
        buttons = [[(ctx.label("keep", value=collective.chat_title[:40]), ("setup", cid, "keep"))]]
    elif step == "slug":
        suggestion = await svc.suggest_slug(ctx.uow, collective)
        params["suggestion"] = suggestion
        buttons = [[(ctx.label("keep", value=suggestion), ("setup", cid, "keep"))]]
    elif step == "vision":
        buttons = [
            [(ctx.label("vision_chaine"), ("setup", cid, "vision", "chaine"))],
            [(ctx.label("vision_ecosysteme"), ("setup", cid, "vision", "ecosysteme"))],
        ]
    elif step == "maillons":
        maillons = svc.maillon_suggestion(collective)
        params["suggestion"] = maillons
        keep = ctx.label("keep_maillons") if maillons else ctx.label("no_themes")
        buttons = [[(keep, ("setup", cid, "keep"))]]
    elif step == "timezone":
        buttons = [[(ctx.label("keep", value=collective.timezone), ("setup", cid, "keep"))]]
    elif step == "language":
        buttons = [
            [
                (ctx.label("lang_fr"), ("setup", cid, "lang", "fr")),
                (ctx.label("lang_en"), ("setup", cid, "lang", "en")),
            ]
        ]
    name = f"collective/ask_{step}"
    if private:
        await ctx.private(name, buttons, **params)
    else:
        await ctx.say(name, buttons, **params)


async def setup_text(ctx: Ctx, collective: Collective, step: str, text: str) -> None:
    """A typed answer to a setup step."""
    if step in TEXT_STEPS:
        await TEXT_STEPS[step](ctx.uow, collective, text)
    elif step == "maillons":
        await svc.set_maillons(ctx.uow, collective, svc.parse_maillons(text))
    else:
        await ctx.say("collective/use_buttons")
        return
    await advance_setup(ctx, collective, step)


async def setup_button(ctx: Ctx, args: list[str]) -> None:
    """Buttons of the setup: keep a suggestion, pick a vision, pick a language."""
    collective = await ctx.uow.collectives.get(int(args[0]))
    pending = await ctx.uow.pending.get(ctx.me.id)
    if (
        collective is None
        or pending is None
        or pending.kind != "setup"
        or pending.collective_id != collective.id
    ):
        raise Refusal("stale_button")
    await require_role(ctx.uow, collective, ctx.me, (ANIMATEUR,))
    action, step = args[1], pending.step
    if action == "keep" and step == "name":
        await svc.set_name(ctx.uow, collective, collective.chat_title)
    elif action == "keep" and step == "slug":
        await svc.set_slug(ctx.uow, collective, await svc.suggest_slug(ctx.uow, collective))
    elif action == "keep" and step == "maillons":
        await svc.set_maillons(ctx.uow, collective, svc.maillon_suggestion(collective))
    elif action == "keep" and step == "timezone":
        pass
    elif action == "vision" and step == "vision" and len(args) == 3:
        await svc.set_vision(ctx.uow, collective, args[2])
    elif action == "lang" and step == "language" and len(args) == 3:
        await svc.set_language(ctx.uow, collective, args[2], ctx.me, ctx.now)
    else:
        raise Refusal("stale_button")
    await ctx.toast("collective/saved")
    await ctx.edit_markup_off()
    await advance_setup(ctx, collective, step)


async def advance_setup(ctx: Ctx, collective: Collective, step: str) -> None:
    following = svc.next_setup_step(step)
    if following is not None:
        await ctx.uow.pending.put(
            ctx.me.id, kind="setup", step=following, now=ctx.now, collective_id=collective.id
        )
        await ask_setup_step(ctx, collective, following)
        return
    await ctx.uow.pending.clear(ctx.me.id)
    card = await svc.card(ctx.uow, collective)
    await ctx.say("collective/ready_private", card=card, c=collective)
    await ctx.post_group(collective, "collective/ready_group", card=card, c=collective)
    # The animator also fills in their own profile, like every member.
    from handlers.members import begin_join

    await begin_join(ctx, collective)


async def topic_button(ctx: Ctx, args: list[str]) -> None:
    """topic|<collective>|<thread>: post in this forum topic from now on."""
    collective = await ctx.uow.collectives.get(int(args[0]))
    if collective is None or ctx.chat is None or collective.chat_id != ctx.chat.id:
        raise Refusal("stale_button")
    await require_role(ctx.uow, collective, ctx.me, (ANIMATEUR,))
    thread = int(args[1]) or None
    await svc.set_thread(ctx.uow, collective, thread, ctx.me, ctx.now)
    await ctx.edit("collective/topic_set", c=collective)
