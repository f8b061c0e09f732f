"""/rejoindre and the profile, /moi, /quitter, /annuaire, and departures seen by Telegram."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from markupsafe import Markup
from telegram import ChatMember, ChatMemberRestricted
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, TelegramError

from bot.catalog import familles
from bot.conversation import Finished
from bot.domain import READERS, CollectiveStatus, MembershipStatus
from bot.notices import notify_animators
from bot.paging import paginate
from bot.services import collectives as collectives_svc
from bot.services import members as svc
from bot.services.errors import Refusal
from bot.services.members import PROFILE, PROFILE_STEPS, InGroup
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
    On,
    PagedList,
    Word,
    link_id,
)
from storage.models import Collective, Membership

JOIN_LINK, PROFILE_LINK, DIRECTORY_LINK = "j", "p", "a"
DIRECTORY_PAGE = 25


# --- joining


async def rejoindre(ctx: Ctx) -> None:
    if ctx.is_private:
        found = await svc.current_collective(ctx.uow, ctx.me)
        raise Refusal("join_in_group" if found is None else "join_in_group_member")
    collective = ctx.group_collective
    if collective is None:
        raise Refusal("group_not_registered")
    if await svc.role_in(ctx.uow, collective, ctx.me) is not None:
        ctx.say("members/already_member", name=ctx.me.first_name, c=collective)
        return
    if collective.status != CollectiveStatus.ACTIVE or collective.join_token is None:
        raise Refusal("collective_not_ready")
    link = ctx.deep_link(JOIN_LINK + collective.join_token)
    ctx.say(
        "members/join_button",
        [[(ctx.caption("join_private"), link)]],
        name=ctx.me.first_name,
        c=collective,
    )


async def join_link(ctx: Ctx, rest: str) -> None:
    """Private chat, from the join link: the group is the door; then the privacy notice and
    the first question. Old links carry the collective's id: being in the group is what counts."""
    legacy = link_id(rest) if rest.isdigit() else None
    collective = await collectives_svc.by_join_link(ctx.uow, rest, legacy)
    await enter(ctx, collective)


async def enter(
    ctx: Ctx,
    collective: Collective,
    on_joined: Callable[[Membership], Awaitable[None]] | None = None,
) -> None:
    """The one way in, for the join link and for an invitation (an imported actor claiming
    their entry, `on_joined`): the group is the door, then the privacy notice and the profile."""
    if await svc.role_in(ctx.uow, collective, ctx.me) is not None:
        if on_joined is not None:
            member = await ctx.uow.memberships.get(collective.id, ctx.me.id)
            if member is not None:
                await on_joined(member)
        ctx.say("members/already_member_private", c=collective)
        await show_profile(ctx, collective)
        return
    in_group = await in_the_group(ctx, collective)
    if in_group == InGroup.UNKNOWN:
        # Nobody gets in unchecked, and the team learns why (once a day).
        await notify_animators(
            ctx.uow, collective, "notices/bot_not_admin", ctx.now, once_per="day"
        )
        raise Refusal("join_unchecked", keep=True, collective=collective.title)
    member, already = await svc.start_join(ctx.uow, collective, ctx.me, ctx.now, in_group)
    if on_joined is not None:
        await on_joined(member)
    if already:
        ctx.say("members/already_member_private", c=collective)
        await show_profile(ctx, collective)
        return
    settings = ctx.deps.settings
    ctx.say(
        "members/privacy",
        c=collective,
        controller=settings.responsable_traitement,
        dpo=settings.contact_dpo,
    )
    await conversation.start(
        ctx, PROFILE, collective_id=collective.id, subject_id=member.id, data={"mode": "join"}
    )


async def in_the_group(ctx: Ctx, collective: Collective) -> InGroup:
    """Is the person in the collective's group now? Telegram answers reliably about other
    users only to an administrator bot; any doubt is UNKNOWN."""
    user = ctx.user
    if user is None:
        return InGroup.NO
    chat_id = collective.chat_id
    try:
        me: ChatMember = await ctx.ask_telegram(lambda bot: bot.get_chat_member(chat_id, bot.id))
        if me.status not in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER):
            return InGroup.UNKNOWN
        them: ChatMember = await ctx.ask_telegram(lambda bot: bot.get_chat_member(chat_id, user.id))
    except BadRequest as exc:
        # Telegram does not know this person in that chat.
        return InGroup.NO if "user not found" in exc.message.lower() else InGroup.UNKNOWN
    except TelegramError:
        return InGroup.UNKNOWN
    if them.status in (
        ChatMemberStatus.OWNER,
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.MEMBER,
    ):
        return InGroup.YES
    if isinstance(them, ChatMemberRestricted) and them.is_member:
        return InGroup.YES
    return InGroup.NO


async def profile_finished(ctx: Ctx, finished: Finished) -> None:
    subject: svc.ProfileSubject = finished.subject
    collective = subject.collective
    # What just happened heads the profile, in the same message.
    if finished.data.get("single"):
        lead = ctx.text("members/saved")
    elif finished.data.get("mode") == "join":
        lead = ctx.text("members/welcome", c=collective, member=subject.member)
    else:
        lead = ctx.text("members/profile_done", c=collective)
    await show_profile(ctx, collective, lead=lead)


# --- the profile


async def show_profile(ctx: Ctx, collective: Collective, *, lead: str | None = None) -> None:
    """The person's profile in this collective, with its buttons; `lead`, a message already
    rendered, comes first in the same message."""
    member = await svc.require_role(ctx.uow, collective, ctx.me, READERS)
    if not ctx.is_private:
        ctx.say(
            "members/profile_in_private",
            ctx.private_link_button(f"{PROFILE_LINK}{collective.id}"),
        )
        return
    mine = await svc.collectives_of(ctx.uow, ctx.me)
    mid = member.id
    buttons: Rows = [
        [(ctx.caption("edit_organisation"), ("edit", mid, "organisation"))],
        [(ctx.caption("edit_famille"), ("edit", mid, "famille"))],
        [(ctx.caption("edit_commune"), ("edit", mid, "commune"))],
        [(ctx.caption("edit_consent"), ("edit", mid, "consent"))],
        # The comités feature: meeting reminders in private, on or off.
        [(ctx.caption("meetings/mute", on=member.meeting_reminders), ("mmute", mid))],
    ]
    if collective.maillons:
        word = "edit_themes" if svc.vision_word(collective) == "themes" else "edit_maillons"
        buttons.insert(2, [(ctx.caption(word), ("edit", mid, "maillons"))])
    buttons += await switch_rows(ctx, collective, "moi")
    famille = familles().get(member.famille or "")
    ctx.say(
        "members/profile",
        buttons,
        c=collective,
        member=member,
        person=ctx.me,
        famille=famille.label(ctx.lang) if famille else None,
        maillons=[m.name for m in collective.maillons if m.id in member.maillon_ids],
        others=[c.title for c in mine if c.id != collective.id],
        lead=Markup(lead) if lead else None,
    )


async def profile_link(ctx: Ctx, rest: str) -> None:
    collective = await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link")
    await show_profile(ctx, collective)


async def edit_button(ctx: Ctx, membership_id: int, field: str) -> None:
    """edit|<membership>|<field>: ask that one question again."""
    member = await svc.find_membership(ctx.uow, membership_id)
    if member.person_id != ctx.me.id or member.status != MembershipStatus.ACTIVE:
        raise Refusal("stale_button")
    ctx.edit_markup_off()
    await conversation.start(
        ctx, PROFILE, collective_id=member.collective_id, subject_id=member.id, at_step=field
    )


# --- leaving


async def confirm_leave(ctx: Ctx, collective: Collective) -> None:
    member, last_animator = await svc.check_can_leave(ctx.uow, collective, ctx.me)
    if last_animator:
        raise Refusal("last_animator_leave")
    ctx.say(
        "members/confirm_leave",
        [
            [
                (ctx.caption("leave_yes"), ("quit", member.id)),
                (ctx.caption("leave_no"), ("quitno", member.id)),
            ]
        ],
        c=collective,
    )


async def leave_button(ctx: Ctx, membership_id: int) -> None:
    collective, departure = await svc.leave_by_button(ctx.uow, membership_id, ctx.me, ctx.now)
    ctx.edit("members/left", c=collective, listed=departure.listed)


async def leave_cancel(ctx: Ctx, membership_id: int) -> None:
    await svc.own_membership(ctx.uow, membership_id, ctx.me)
    ctx.edit("members/leave_cancelled")


async def chat_member_changed(ctx: Ctx) -> None:
    """Telegram says someone left (or was removed from) the group: they leave the collective."""
    change = ctx.update.chat_member
    collective = ctx.group_collective
    if change is None or collective is None:
        return
    if change.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        await _left_group(ctx, collective, change.new_chat_member.user.id)


async def left_message(ctx: Ctx) -> None:
    """The service message of a departure, for groups where the bot gets no chat_member updates."""
    message = ctx.update.effective_message
    collective = ctx.group_collective
    if message is None or message.left_chat_member is None or collective is None:
        return
    await _left_group(ctx, collective, message.left_chat_member.id)


async def _left_group(ctx: Ctx, collective: Collective, telegram_id: int) -> None:
    departure = await svc.left_group(ctx.uow, collective, telegram_id, ctx.now)
    if departure is not None:
        # Leaving the group is leaving the collective: say so, once, to whom it concerns.
        ctx.tell(departure.person, "members/left_with_group", c=collective, listed=departure.listed)


# --- the annuaire


async def show_directory(ctx: Ctx, collective: Collective) -> None:
    if ctx.args and ctx.args[0].casefold() in ("carte", "map"):
        from handlers.cartographie import show_map  # /annuaire carte: the actors' map

        await show_map(ctx, collective)
        return
    if not ctx.is_private:
        # Names, organisations, communes: people in the group who are not members must not
        # read them there.
        await svc.require_role(ctx.uow, collective, ctx.me, READERS)
        ctx.say(
            "members/directory_in_private",
            ctx.private_link_button(f"{DIRECTORY_LINK}{collective.id}"),
            c=collective,
        )
        return
    await directory_page(ctx, collective, 0, edit=False)


async def directory_page(ctx: Ctx, collective: Collective, number: int, *, edit: bool) -> None:
    directory = await svc.directory(ctx.uow, collective, ctx.me)
    page = paginate(directory.entries, number, size=DIRECTORY_PAGE, weight=lambda e: e.size)
    names = {code: f.label(ctx.lang) for code, f in familles().items()}
    buttons: Rows = [nav_row(ctx, "annuaire", collective.id, page)]
    buttons += await switch_rows(ctx, collective, "annuaire")
    params: dict[str, Any] = {
        "c": collective,
        "d": directory,
        "groups": svc.group_entries(page.items),
        "page": page,
        "familles": names,
    }
    ctx.show("members/directory", buttons, edit=edit, **params)


async def directory_link(ctx: Ctx, rest: str) -> None:
    collective = await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link")
    await directory_page(ctx, collective, 0, edit=False)


async def directory_list(ctx: Ctx, collective_id: int, number: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await directory_page(ctx, collective, number, edit=True)


FEATURE = Feature(
    name="members",
    journal=(("member_", "membres"), ("profile_edited", "membres")),
    pitch="pitch_annuaire",
    commands=(
        Command(
            ("rejoindre", "join"),
            run=rejoindre,
            in_group_menu=True,
            help=(("outsider", "help_rejoindre"),),
        ),
        Command(
            ("annuaire", "directory"),
            for_collective=show_directory,
            in_group_menu=True,
            in_private_menu=True,
            help=(("member", "help_annuaire"),),
        ),
        Command(
            ("moi", "me"),
            for_collective=show_profile,
            in_group_menu=True,
            in_private_menu=True,
            help=(("member", "help_moi"),),
        ),
        Command(
            ("quitter", "leave"),
            for_collective=confirm_leave,
            in_group_menu=True,
            in_private_menu=True,
            help=(("member", "help_quitter"),),
        ),
    ),
    buttons=(
        Button("edit", edit_button, (Int(1), Word(*PROFILE_STEPS))),
        Button("quit", leave_button, (Int(1),)),
        Button("quitno", leave_cancel, (Int(1),)),
    ),
    links=(
        Link(JOIN_LINK, join_link),
        Link(PROFILE_LINK, profile_link),
        Link(DIRECTORY_LINK, directory_link),
    ),
    flows=(FlowUI(svc.PROFILE_FLOW, profile_finished),),
    lists=(PagedList("annuaire", directory_list),),
    events=(On("chat_member", chat_member_changed), On("member_left", left_message)),
)
