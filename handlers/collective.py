"""/filiere: register the group as a collective, its setup in private chat, its card, its topic,
and the card's « Modifier » (name, territoire, maillons or thèmes, language, time zone, greeting
the people who arrive in the group)."""

from __future__ import annotations

from telegram import ChatMember, ChatMemberAdministrator, ChatMemberOwner
from telegram.constants import ChatMemberStatus

from bot.catalog import zone_label
from bot.conversation import Finished
from bot.domain import ANIMATORS, CollectiveStatus, Role
from bot.replies import Sent
from bot.services import collectives as svc
from bot.services import members as members_svc
from bot.services.errors import Refusal
from bot.services.members import PROFILE, require_role
from handlers import conversation
from handlers.choose import run_for_collective, switch_rows
from handlers.common import Ctx, Rows
from handlers.registry import Button, Command, Feature, FlowUI, Int, Link, Word, link_id
from storage.models import Collective

# "ce": collective edit (the card's « Modifier », opened in private from the group).
SETUP_LINK, EDIT_LINK = "s", "ce"


async def filiere(ctx: Ctx) -> None:
    message = ctx.update.effective_message
    if ctx.chat is None or message is None:
        return
    if ctx.is_private:
        await filiere_private(ctx)
        return
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
    """The admin rights the bot lacks: it must be an administrator to check who is in the
    group (nobody joins the collective unchecked)."""
    if me.status == ChatMemberStatus.OWNER or isinstance(me, ChatMemberAdministrator):
        return []
    return ["admin"]


async def filiere_private(ctx: Ctx) -> None:
    """/filiere in private: the setup this animator left open, else their collective's card."""
    open_setups = await svc.open_setups(ctx.uow, ctx.me)
    if len(open_setups) == 1:
        await resume_setup(ctx, open_setups[0])
        return
    if open_setups:
        buttons: Rows = [[(c.title[:60], ("setupgo", c.id))] for c in open_setups]
        ctx.say("collective/setup_choose", buttons)
        return
    if not await members_svc.collectives_of(ctx.uow, ctx.me):
        raise Refusal("filiere_private")
    await run_for_collective(ctx, FILIERE)


async def resume_setup(ctx: Ctx, collective: Collective) -> None:
    """The setup question where the animator stopped, after a line saying so."""
    await require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    if collective.status != CollectiveStatus.SETUP:
        raise Refusal("setup_done", collective=collective.title)
    if await svc.setup_started(ctx.uow, ctx.me, collective):
        ctx.say("collective/setup_resume", c=collective)
    else:
        ctx.say("collective/setup_intro", title=collective.title)
    await conversation.start(ctx, svc.SETUP, collective_id=collective.id)


async def setup_go(ctx: Ctx, collective_id: int) -> None:
    """setupgo|<collective>: resume that setup (one of several left open)."""
    ctx.edit_markup_off()
    await resume_setup(ctx, await svc.find(ctx.uow, collective_id))


async def card_here(ctx: Ctx, collective: Collective) -> None:
    """/filiere in private, for a member: the card of their (current) collective."""
    await show_card(ctx, collective, None)


async def show_card(ctx: Ctx, collective: Collective, thread_id: int | None) -> None:
    card = await svc.card(ctx.uow, collective)
    buttons: Rows = []
    role = await members_svc.role_in(ctx.uow, collective, ctx.me) if ctx.person else None
    if role == Role.ANIMATEUR and collective.status == CollectiveStatus.SETUP:
        link = ctx.deep_link(f"{SETUP_LINK}{collective.id}")
        buttons.append([(ctx.caption("continue_private"), link)])
    if role == Role.ANIMATEUR and collective.status == CollectiveStatus.ACTIVE:
        if ctx.is_private:
            buttons.append([(ctx.caption("edit_collective"), ("cmenu", collective.id))])
        else:
            link = ctx.deep_link(f"{EDIT_LINK}{collective.id}")
            buttons.append([(ctx.caption("edit_collective_private"), link)])
    if (
        not ctx.is_private
        and role == Role.ANIMATEUR
        and collective.is_forum
        and thread_id != collective.thread_id
    ):
        buttons.append([(ctx.caption("post_here"), ("topic", collective.id, thread_id or 0))])
    if ctx.is_private:
        buttons += await switch_rows(ctx, collective, "filiere")
    ctx.say(
        "collective/card",
        buttons,
        card=card,
        c=collective,
        zone=zone_label(collective.timezone, collective.language),
    )


async def setup_link(ctx: Ctx, rest: str) -> None:
    """The animator opened the setup deep link: the question where they stopped."""
    collective = await svc.find(ctx.uow, link_id(rest), missing="stale_link")
    await resume_setup(ctx, collective)


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


# --- « Modifier »: a menu in private, each choice a question on the conversation engine


def edit_menu_rows(ctx: Ctx, collective: Collective) -> Rows:
    cid = collective.id
    greet = "greet_off" if collective.greet_newcomers else "greet_on"
    return [
        [
            (ctx.caption("edit_name"), ("cedit", cid, "name")),
            (ctx.caption("edit_territoire"), ("cedit", cid, "territoire")),
        ],
        [
            (
                ctx.caption("edit_collective_maillons", vision=collective.vision),
                ("cedit", cid, "maillons"),
            )
        ],
        [
            (ctx.caption("edit_language"), ("cedit", cid, "language")),
            (ctx.caption("edit_timezone"), ("cedit", cid, "timezone")),
        ],
        [(ctx.caption(greet), ("cedit", cid, "greet"))],
        [(ctx.caption("edit_done"), ("cedit", cid, "done"))],
    ]


async def show_edit_menu(ctx: Ctx, collective: Collective, *, edit: bool = False) -> None:
    ctx.show("collective/edit_menu", edit_menu_rows(ctx, collective), edit=edit, c=collective)


async def menu_button(ctx: Ctx, collective_id: int) -> None:
    """cmenu|<collective>: the card's « Modifier », in private."""
    collective = await svc.editable(ctx.uow, collective_id, ctx.me)
    ctx.edit_markup_off()
    await show_edit_menu(ctx, collective)


async def edit_link(ctx: Ctx, rest: str) -> None:
    """« Modifier en privé » from the card in the group."""
    collective = await svc.find(ctx.uow, link_id(rest), missing="stale_link")
    await show_edit_menu(ctx, await svc.editable(ctx.uow, collective.id, ctx.me))


async def edit_button(ctx: Ctx, collective_id: int, choice: str) -> None:
    """cedit|<collective>|<choice>: one question of the flow, the maillons' flow, the greeting
    switch, or done."""
    collective = await svc.editable(ctx.uow, collective_id, ctx.me)
    if choice == "greet":
        await svc.set_greeting(ctx.uow, collective, ctx.me, not collective.greet_newcomers, ctx.now)
        await show_edit_menu(ctx, collective, edit=True)
        return
    ctx.edit_markup_off()
    if choice == "done":
        return
    if choice == "maillons":
        await conversation.start(ctx, svc.MAILLONS_EDIT, collective_id=collective.id)
        return
    await conversation.start(
        ctx, svc.EDIT, collective_id=collective.id, at_step=choice, data={"field": choice}
    )


async def edit_finished(ctx: Ctx, finished: Finished) -> None:
    """One answer changed: say what it is now, and offer the menu again."""
    collective: Collective = finished.subject
    ctx.say(
        "collective/edited",
        c=collective,
        field=finished.data.get("field", ""),
        zone=zone_label(collective.timezone, ctx.person_lang),
    )
    await show_edit_menu(ctx, collective)


async def maillons_finished(ctx: Ctx, finished: Finished) -> None:
    collective: Collective = finished.subject
    ctx.say("collective/edited", c=collective, field="maillons", zone="")
    await show_edit_menu(ctx, collective)


async def topic_button(ctx: Ctx, collective_id: int, thread: int) -> None:
    """topic|<collective>|<thread>: post in this forum topic from now on."""
    collective = await svc.find(ctx.uow, collective_id)
    if ctx.chat is None or collective.chat_id != ctx.chat.id:
        raise Refusal("stale_button")
    await svc.set_thread(ctx.uow, collective, thread or None, ctx.me, ctx.now)
    ctx.edit("collective/topic_set", c=collective)


FILIERE = Command(
    ("filiere", "collective"),
    run=filiere,
    for_collective=card_here,
    in_group_menu=True,
    in_private_menu=True,
    help=(
        ("unregistered", "help_filiere_new"),
        ("animateur", "help_filiere_edit"),
        ("outsider", "help_filiere_card"),
        ("member", "help_filiere_card"),
    ),
)

FEATURE = Feature(
    name="collective",
    commands=(FILIERE,),
    buttons=(
        Button("topic", topic_button, (Int(1), Int(0))),
        Button("setupgo", setup_go, (Int(1),)),
        Button("cmenu", menu_button, (Int(1),)),
        Button("cedit", edit_button, (Int(1), Word(*svc.EDIT_FIELDS, "maillons", "greet", "done"))),
    ),
    links=(Link(SETUP_LINK, setup_link), Link(EDIT_LINK, edit_link)),
    flows=(
        FlowUI(svc.SETUP_FLOW, setup_finished),
        FlowUI(svc.EDIT_FLOW, edit_finished),
        FlowUI(svc.MAILLONS_FLOW, maillons_finished),
    ),
)
