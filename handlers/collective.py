"""/filiere: register the group as a collective, its setup in private chat, its card, its topic."""

from __future__ import annotations

from telegram import ChatMember, ChatMemberAdministrator, ChatMemberOwner
from telegram.constants import ChatMemberStatus

from bot.conversation import Finished
from bot.domain import ANIMATORS, CollectiveStatus, Role
from bot.replies import Sent
from bot.services import collectives as svc
from bot.services import members as members_svc
from bot.services.errors import Refusal
from bot.services.members import PROFILE, require_role
from handlers import conversation
from handlers.common import Ctx, Rows
from handlers.registry import Button, Command, Feature, FlowUI, Int, Link, link_id
from storage.models import Collective

SETUP_LINK = "s"


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
    user, chat = ctx.user, ctx.chat
    assert user is not None
    # What Telegram says comes first, with no transaction open.
    asker: ChatMember = await ctx.ask_telegram(lambda bot: bot.get_chat_member(chat.id, user.id))
    me: ChatMember = await ctx.ask_telegram(lambda bot: bot.get_chat_member(chat.id, bot.id))
    collective, _created = await svc.register_group(
        ctx.uow,
        svc.ChatInfo(
            chat.id,
            chat.title or "",
            chat.type,
            bool(chat.is_forum),
            message.message_thread_id if message.is_topic_message else None,
        ),
        ctx.me,
        is_chat_admin=isinstance(asker, ChatMemberAdministrator | ChatMemberOwner),
        now=ctx.now,
        timezone=ctx.deps.settings.timezone,
        language=ctx.deps.settings.locale,
    )
    missing = missing_rights(me)
    title = collective.chat_title
    link = ctx.deep_link(f"{SETUP_LINK}{collective.id}")

    async def said_in_group(sent: Sent) -> None:
        # Whether the first question reached the private chat decides what the group reads.
        ctx.say(
            "collective/registered",
            [[(ctx.caption("continue_private"), link)]],
            title=title,
            sent=sent.ok,
            missing=missing,
        )

    ctx.private("collective/setup_intro", title=title)
    await conversation.start(ctx, svc.SETUP, collective_id=collective.id, then=said_in_group)


def missing_rights(me: ChatMember) -> list[str]:
    """The admin rights the bot lacks: it needs them to check who is in the group, to see
    arrivals and departures, and to pin."""
    if me.status == ChatMemberStatus.OWNER:
        return []
    if not isinstance(me, ChatMemberAdministrator):
        return ["admin"]
    return [] if me.can_pin_messages else ["pin"]


async def show_card(ctx: Ctx, collective: Collective, thread_id: int | None) -> None:
    card = await svc.card(ctx.uow, collective)
    buttons: Rows = []
    role = await members_svc.role_in(ctx.uow, collective, ctx.me) if ctx.person else None
    if role == Role.ANIMATEUR and collective.status == CollectiveStatus.SETUP:
        link = ctx.deep_link(f"{SETUP_LINK}{collective.id}")
        buttons.append([(ctx.caption("continue_private"), link)])
    if role == Role.ANIMATEUR and collective.is_forum and thread_id != collective.thread_id:
        buttons.append([(ctx.caption("post_here"), ("topic", collective.id, thread_id or 0))])
    ctx.say("collective/card", buttons, card=card, c=collective)


async def setup_link(ctx: Ctx, rest: str) -> None:
    """The animator opened the setup deep link: the question where they stopped."""
    collective = await svc.find(ctx.uow, link_id(rest), missing="stale_link")
    await require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    if collective.status != CollectiveStatus.SETUP:
        raise Refusal("setup_done", collective=collective.title)
    await conversation.start(ctx, svc.SETUP, collective_id=collective.id)


async def setup_finished(ctx: Ctx, finished: Finished) -> None:
    """The collective is open: announce it in the group, tell the animator whether that worked,
    then ask for their own profile (how they appear in the annuaire)."""
    collective: Collective = finished.subject
    card = await svc.card(ctx.uow, collective)
    member = await require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    profile = await ctx.registry.engine.start(
        ctx.uow,
        ctx.me,
        ctx.now,
        ctx.person_lang,
        PROFILE,
        collective_id=collective.id,
        subject_id=member.id,
        data={"mode": "creator"},
    )
    settings = ctx.deps.settings

    async def announced(sent: Sent) -> None:
        ctx.say("collective/ready_private", card=card, c=collective, posted=sent.ok)
        ctx.say(
            "members/privacy",
            c=collective,
            controller=settings.responsable_traitement,
            dpo=settings.contact_dpo,
        )
        await conversation.show(ctx, profile, pressed=False)

    ctx.post_group(collective, "collective/ready_group", then=announced, card=card, c=collective)


async def topic_button(ctx: Ctx, collective_id: int, thread: int) -> None:
    """topic|<collective>|<thread>: post in this forum topic from now on."""
    collective = await svc.find(ctx.uow, collective_id)
    if ctx.chat is None or collective.chat_id != ctx.chat.id:
        raise Refusal("stale_button")
    await svc.set_thread(ctx.uow, collective, thread or None, ctx.me, ctx.now)
    ctx.edit("collective/topic_set", c=collective)


FEATURE = Feature(
    name="collective",
    commands=(
        Command(
            ("filiere", "collective"),
            run=filiere,
            in_group_menu=True,
            help=(
                ("unregistered", "help_filiere_new"),
                ("outsider", "help_filiere_card"),
                ("member", "help_filiere_card"),
            ),
        ),
    ),
    buttons=(Button("topic", topic_button, (Int(1), Int(0))),),
    links=(Link(SETUP_LINK, setup_link),),
    flows=(FlowUI(svc.SETUP_FLOW, setup_finished),),
)
