"""/role: the animator changes someone's role, by reply or from a list, or hands over."""

from __future__ import annotations

from typing import Any

from bot.domain import ROLES
from bot.paging import paginate
from bot.services import collectives as collectives_svc
from bot.services import members as svc
from handlers.choose import run_for_collective
from handlers.common import Ctx, Rows
from handlers.paging import nav_row
from handlers.registry import Button, Command, Feature, Int, PagedList, Word
from storage.models import Collective, Membership

PAGE = 20


async def role(ctx: Ctx) -> None:
    message = ctx.update.effective_message
    replied = message.reply_to_message if message is not None else None
    if ctx.group_collective is not None and replied is not None and replied.from_user is not None:
        collective = ctx.group_collective
        target = await svc.role_target(
            ctx.uow, collective, ctx.me, telegram_id=replied.from_user.id
        )
        ask_role(ctx, collective, target)
        return
    await run_for_collective(ctx, ROLE_COMMAND)


async def pick_member(ctx: Ctx, collective: Collective) -> None:
    await member_page(ctx, collective, 0, edit=False)


async def member_page(ctx: Ctx, collective: Collective, number: int, *, edit: bool) -> None:
    members = await svc.active_members(ctx.uow, collective, ctx.me)
    page = paginate(members, number, size=PAGE)
    buttons: Rows = [
        [(f"{m.person.display_name[:40]} · {ctx.caption('role_' + m.role)}", ("rolem", m.id))]
        for m in page.items
    ]
    buttons.append(nav_row(ctx, "roles", collective.id, page))
    params: dict[str, Any] = {"c": collective, "page": page}
    ctx.show("roles/pick_member", buttons, edit=edit, **params)


async def member_list(ctx: Ctx, collective_id: int, number: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await member_page(ctx, collective, number, edit=True)


def ask_role(ctx: Ctx, collective: Collective, target: Membership) -> None:
    buttons: Rows = [
        [(ctx.caption("role_" + r), ("roleset", target.id, r))] for r in ROLES if r != target.role
    ]
    if target.person_id != ctx.me.id:
        buttons.append([(ctx.caption("hand_over"), ("handover", target.id))])
    ctx.say("roles/ask_role", buttons, c=collective, target=target.person, role=target.role)


async def _collective_of(ctx: Ctx, membership_id: int) -> tuple[Collective, int]:
    member = await svc.find_membership(ctx.uow, membership_id)
    return await collectives_svc.find(ctx.uow, member.collective_id), member.id


async def member_button(ctx: Ctx, membership_id: int) -> None:
    collective, _ = await _collective_of(ctx, membership_id)
    target = await svc.role_target(ctx.uow, collective, ctx.me, membership_id=membership_id)
    ctx.edit_markup_off()
    ask_role(ctx, collective, target)


async def role_button(ctx: Ctx, membership_id: int, new_role: str) -> None:
    collective, _ = await _collective_of(ctx, membership_id)
    before = (await svc.find_membership(ctx.uow, membership_id)).role
    changed = await svc.set_role(ctx.uow, collective, ctx.me, membership_id, new_role, ctx.now)
    ctx.edit("roles/changed", target=changed.person, role=changed.role)
    if changed.role != before:
        _tell_target(ctx, collective, changed)


async def hand_over_button(ctx: Ctx, membership_id: int) -> None:
    collective, _ = await _collective_of(ctx, membership_id)
    changed = await svc.hand_over(ctx.uow, collective, ctx.me, membership_id, ctx.now)
    ctx.edit("roles/handed_over", target=changed.person, c=collective)
    _tell_target(ctx, collective, changed)


def _tell_target(ctx: Ctx, collective: Collective, changed: Membership) -> None:
    """The person whose role changed learns it (and their new commands), in private."""
    if changed.person_id != ctx.me.id:
        ctx.tell(
            changed.person,
            "roles/you_changed",
            c=collective,
            role=changed.role,
            by=ctx.me.display_name,
        )


ROLE_COMMAND = Command(
    ("role",),
    run=role,
    for_collective=pick_member,
    in_group_menu=True,
    in_private_menu=True,
    help=(("animateur", "help_role"),),
)

FEATURE = Feature(
    name="roles",
    journal=(("role_changed", "membres"),),
    commands=(ROLE_COMMAND,),
    buttons=(
        Button("rolem", member_button, (Int(1),)),
        Button("roleset", role_button, (Int(1), Word(*ROLES))),
        Button("handover", hand_over_button, (Int(1),)),
    ),
    lists=(PagedList("roles", member_list),),
)
