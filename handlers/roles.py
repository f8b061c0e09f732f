"""/role: the animator changes someone's role, by reply or from a list, or hands over."""

from __future__ import annotations

from bot.services import members as svc
from bot.services.collectives import ANIMATEUR, ROLES
from bot.services.errors import Refusal
from handlers.choose import run_for_collective
from handlers.common import Button, Ctx, handler
from storage.models import Collective, Membership

PAGE = 20


@handler
async def role(ctx: Ctx) -> None:
    message = ctx.update.effective_message
    replied = message.reply_to_message if message is not None else None
    if ctx.group_collective is not None and replied is not None and replied.from_user is not None:
        collective = ctx.group_collective
        await svc.require_role(ctx.uow, collective, ctx.me, (ANIMATEUR,))
        person = await ctx.uow.people.by_telegram_id(replied.from_user.id)
        target = person and await ctx.uow.memberships.get(collective.id, person.id)
        if not target or target.status != "active":
            raise Refusal("role_target_gone")
        await ask_role(ctx, collective, target)
        return
    await run_for_collective(ctx, "role")


async def pick_member(ctx: Ctx, collective: Collective) -> None:
    await svc.require_role(ctx.uow, collective, ctx.me, (ANIMATEUR,))
    members = await ctx.uow.memberships.of_collective(collective.id)
    buttons: list[list[Button]] = [
        [(f"{m.person.display_name[:40]} · {ctx.label('role_' + m.role)}", ("rolem", m.id))]
        for m in members[:PAGE]
    ]
    await ctx.say("roles/pick_member", buttons, c=collective, more=max(0, len(members) - PAGE))


async def ask_role(ctx: Ctx, collective: Collective, target: Membership) -> None:
    buttons: list[list[Button]] = [
        [(ctx.label("role_" + r), ("roleset", target.id, r))] for r in ROLES if r != target.role
    ]
    if target.person_id != ctx.me.id:
        buttons.append([(ctx.label("hand_over"), ("handover", target.id))])
    await ctx.say("roles/ask_role", buttons, c=collective, target=target.person, role=target.role)


async def _target(ctx: Ctx, membership_id: str) -> tuple[Collective, Membership]:
    target = await ctx.uow.memberships.by_id(int(membership_id))
    collective = target and await ctx.uow.collectives.get(target.collective_id)
    if not target or not collective:
        raise Refusal("stale_button")
    return collective, target


async def member_button(ctx: Ctx, args: list[str]) -> None:
    collective, target = await _target(ctx, args[0])
    await svc.require_role(ctx.uow, collective, ctx.me, (ANIMATEUR,))
    await ctx.edit_markup_off()
    await ask_role(ctx, collective, target)


async def role_button(ctx: Ctx, args: list[str]) -> None:
    collective, target = await _target(ctx, args[0])
    changed = await svc.set_role(ctx.uow, collective, ctx.me, target.id, args[1], ctx.now)
    await ctx.edit("roles/changed", target=changed.person, role=changed.role)


async def hand_over_button(ctx: Ctx, args: list[str]) -> None:
    collective, target = await _target(ctx, args[0])
    changed = await svc.hand_over(ctx.uow, collective, ctx.me, target.id, ctx.now)
    await ctx.edit("roles/handed_over", target=changed.person, c=collective)
