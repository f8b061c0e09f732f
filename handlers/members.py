"""/rejoindre and the profile form, /moi, /quitter, /annuaire, and departures seen by Telegram."""

from __future__ import annotations

from bot.catalog import familles
from bot.services import members as svc
from bot.services.errors import Refusal
from handlers.choose import run_for_collective, switch_rows
from handlers.common import Button, Ctx, handler, keyboard
from handlers.deeplinks import JOIN, payload
from storage.models import Collective, Membership

TEXT_STEPS = {"organisation": svc.set_organisation, "commune": svc.set_commune}


@handler
async def rejoindre(ctx: Ctx) -> None:
    if ctx.is_private:
        found = await svc.current_collective(ctx.uow, ctx.me)
        raise Refusal("join_in_group" if found is None else "join_in_group_member")
    collective = ctx.group_collective
    if collective is None:
        raise Refusal("group_not_registered")
    member = await ctx.uow.memberships.get(collective.id, ctx.me.id)
    if member is not None and member.status == "active":
        await ctx.say("members/already_member", name=ctx.me.first_name, c=collective)
        return
    if collective.status != "active":
        raise Refusal("collective_not_ready")
    link = ctx.deep_link(payload(JOIN, collective.id))
    await ctx.say(
        "members/join_button",
        [[(ctx.label("join_private"), link)]],
        name=ctx.me.first_name,
        c=collective,
    )


async def begin_join(ctx: Ctx, collective: Collective) -> None:
    """Private chat, from the deep link: the privacy notice, then the first question."""
    member, already = await svc.start_join(ctx.uow, collective, ctx.me, ctx.now)
    if already:
        await ctx.say("members/already_member_private", c=collective)
        await show_profile(ctx, collective)
        return
    ctx.me.current_collective_id = collective.id
    settings = ctx.deps.settings
    await ctx.say(
        "members/privacy",
        c=collective,
        controller=settings.responsable_traitement,
        dpo=settings.contact_dpo,
    )
    await ask_profile_step(ctx, collective, member, "organisation", mode="join")


async def ask_profile_step(
    ctx: Ctx, collective: Collective, member: Membership, step: str, *, mode: str
) -> None:
    await ctx.uow.pending.put(
        ctx.me.id,
        kind="profile",
        step=step,
        now=ctx.now,
        collective_id=collective.id,
        data={"mode": mode, "membership": member.id},
    )
    mid = member.id
    buttons: list[list[Button]] = []
    if step == "famille":
        items = [(f.label(ctx.lang), ("fam", mid, f.code)) for f in familles().values()]
        buttons = [[item] for item in items]
    elif step == "maillons":
        buttons = maillon_buttons(ctx, collective, member)
    elif step == "consent":
        buttons = [
            [(ctx.label("consent_yes"), ("cons", mid, 1))],
            [(ctx.label("consent_no"), ("cons", mid, 0))],
        ]
    await ctx.say(f"members/ask_{step}", buttons, c=collective, member=member, mode=mode)


def maillon_buttons(ctx: Ctx, collective: Collective, member: Membership) -> list[list[Button]]:
    chosen = set(member.maillon_ids)
    rows: list[list[Button]] = [
        [(("✅ " if m.id in chosen else "") + m.name, ("mai", member.id, m.id))]
        for m in collective.maillons
    ]
    rows.append([(ctx.label("validate"), ("maiok", member.id))])
    return rows


async def _pending_member(
    ctx: Ctx, membership_id: int, step: str
) -> tuple[Collective, Membership, str]:
    """The membership a profile button speaks of, if it is the question being asked now."""
    pending = await ctx.uow.pending.get(ctx.me.id)
    member = await ctx.uow.memberships.by_id(membership_id)
    if (
        pending is None
        or pending.kind != "profile"
        or pending.step != step
        or member is None
        or member.person_id != ctx.me.id
        or pending.data.get("membership") != member.id
    ):
        raise Refusal("stale_button")
    collective = await ctx.uow.collectives.get(member.collective_id)
    if collective is None:
        raise Refusal("stale_button")
    return collective, member, str(pending.data.get("mode", "join"))


async def profile_text(ctx: Ctx, step: str, text: str, data: dict[str, object]) -> None:
    member_id = data.get("membership")
    member = await ctx.uow.memberships.by_id(int(member_id)) if isinstance(member_id, int) else None
    if member is None or member.person_id != ctx.me.id:
        await ctx.uow.pending.clear(ctx.me.id)
        raise Refusal("stale_button")
    collective = await ctx.uow.collectives.get(member.collective_id)
    assert collective is not None
    if step not in TEXT_STEPS:
        await ctx.say("members/use_buttons")
        return
    TEXT_STEPS[step](member, text)
    await after_step(ctx, collective, member, step, str(data.get("mode", "join")))


async def after_step(
    ctx: Ctx, collective: Collective, member: Membership, step: str, mode: str
) -> None:
    if mode == "edit":
        await ctx.uow.pending.clear(ctx.me.id)
        await svc.profile_edited(ctx.uow, member, step, ctx.now)
        await ctx.say("members/saved")
        await show_profile(ctx, collective)
        return
    following = svc.next_profile_step(step)
    if following == "maillons" and not collective.maillons:
        following = svc.next_profile_step("maillons")
    assert following is not None
    await ask_profile_step(ctx, collective, member, following, mode=mode)


async def famille_button(ctx: Ctx, args: list[str]) -> None:
    collective, member, mode = await _pending_member(ctx, int(args[0]), "famille")
    svc.set_famille(member, args[1])
    await ctx.edit("members/answered_famille", famille=familles()[args[1]].label(ctx.lang))
    await after_step(ctx, collective, member, "famille", mode)


async def maillon_button(ctx: Ctx, args: list[str]) -> None:
    collective, member, _mode = await _pending_member(ctx, int(args[0]), "maillons")
    await svc.toggle_maillon(ctx.uow, collective, member, int(args[1]))
    query = ctx.update.callback_query
    assert query is not None
    await query.edit_message_reply_markup(keyboard(maillon_buttons(ctx, collective, member)))


async def maillons_done(ctx: Ctx, args: list[str]) -> None:
    collective, member, mode = await _pending_member(ctx, int(args[0]), "maillons")
    chosen = [m.name for m in collective.maillons if m.id in member.maillon_ids]
    await ctx.edit("members/answered_maillons", maillons=chosen)
    await after_step(ctx, collective, member, "maillons", mode)


async def consent_button(ctx: Ctx, args: list[str]) -> None:
    collective, member, mode = await _pending_member(ctx, int(args[0]), "consent")
    if args[1] not in ("0", "1"):
        raise Refusal("stale_button")
    consent = args[1] == "1"
    await svc.finish_profile(ctx.uow, member, consent, ctx.now, editing=mode == "edit")
    await ctx.uow.pending.clear(ctx.me.id)
    await ctx.edit("members/answered_consent", consent=consent)
    if mode == "join":
        await ctx.say("members/welcome", c=collective, member=member)
    else:
        await ctx.say("members/saved")
    await show_profile(ctx, collective)


@handler
async def moi(ctx: Ctx) -> None:
    await run_for_collective(ctx, "moi")


async def show_profile(ctx: Ctx, collective: Collective) -> None:
    member = await svc.require_role(ctx.uow, collective, ctx.me, svc.READERS)
    if not ctx.is_private:
        link = ctx.deep_link(payload("p", collective.id))
        await ctx.say("members/profile_in_private", [[(ctx.label("open_private"), link)]])
        return
    mine = await svc.collectives_of(ctx.uow, ctx.me)
    mid = member.id
    buttons: list[list[Button]] = [
        [(ctx.label("edit_organisation"), ("edit", mid, "organisation"))],
        [(ctx.label("edit_famille"), ("edit", mid, "famille"))],
        [(ctx.label("edit_commune"), ("edit", mid, "commune"))],
        [(ctx.label("edit_consent"), ("edit", mid, "consent"))],
    ]
    if collective.maillons:
        buttons.insert(2, [(ctx.label("edit_maillons"), ("edit", mid, "maillons"))])
    buttons += await switch_rows(ctx, collective, "moi")
    famille = familles().get(member.famille or "")
    await ctx.say(
        "members/profile",
        buttons,
        c=collective,
        member=member,
        person=ctx.me,
        famille=famille.label(ctx.lang) if famille else None,
        maillons=[m.name for m in collective.maillons if m.id in member.maillon_ids],
        others=[c.title for c in mine if c.id != collective.id],
    )


async def edit_button(ctx: Ctx, args: list[str]) -> None:
    member = await ctx.uow.memberships.by_id(int(args[0]))
    if member is None or member.person_id != ctx.me.id or member.status != "active":
        raise Refusal("stale_button")
    if args[1] not in svc.PROFILE_STEPS:
        raise Refusal("stale_button")
    collective = await ctx.uow.collectives.get(member.collective_id)
    assert collective is not None
    await ctx.edit_markup_off()
    await ask_profile_step(ctx, collective, member, args[1], mode="edit")


@handler
async def quitter(ctx: Ctx) -> None:
    await run_for_collective(ctx, "quitter")


async def confirm_leave(ctx: Ctx, collective: Collective) -> None:
    _member, last_animator = await svc.check_can_leave(ctx.uow, collective, ctx.me)
    if last_animator:
        raise Refusal("last_animator_leave")
    await ctx.say(
        "members/confirm_leave",
        [
            [
                (ctx.label("leave_yes"), ("quit", collective.id)),
                (ctx.label("leave_no"), ("quitno", collective.id)),
            ]
        ],
        c=collective,
    )


async def leave_button(ctx: Ctx, args: list[str]) -> None:
    collective = await ctx.uow.collectives.get(int(args[0]))
    if collective is None:
        raise Refusal("stale_button")
    await svc.leave(ctx.uow, collective, ctx.me, ctx.now, via="command")
    await ctx.edit("members/left", c=collective)


async def leave_cancel(ctx: Ctx, args: list[str]) -> None:
    await ctx.edit("members/leave_cancelled")


@handler
async def annuaire(ctx: Ctx) -> None:
    await run_for_collective(ctx, "annuaire")


async def show_directory(ctx: Ctx, collective: Collective) -> None:
    await svc.require_role(ctx.uow, collective, ctx.me, svc.READERS)
    directory = await svc.directory(ctx.uow, collective)
    names = {code: f.label(ctx.lang) for code, f in familles().items()}
    buttons = await switch_rows(ctx, collective, "annuaire")
    await ctx.say("members/directory", buttons, c=collective, d=directory, familles=names)


@handler
async def chat_member_changed(ctx: Ctx) -> None:
    """Telegram says someone left (or was removed from) the group: they leave the collective."""
    change = ctx.update.chat_member
    collective = ctx.group_collective
    if change is None or collective is None:
        return
    if change.new_chat_member.status not in ("left", "kicked"):
        return
    person = await ctx.uow.people.by_telegram_id(change.new_chat_member.user.id)
    if person is not None:
        await svc.left_group(ctx.uow, collective, person, ctx.now)


@handler
async def left_message(ctx: Ctx) -> None:
    """The service message of a departure, for groups where the bot gets no chat_member updates."""
    message = ctx.update.effective_message
    collective = ctx.group_collective
    if message is None or message.left_chat_member is None or collective is None:
        return
    person = await ctx.uow.people.by_telegram_id(message.left_chat_member.id)
    if person is not None:
        await svc.left_group(ctx.uow, collective, person, ctx.now)
