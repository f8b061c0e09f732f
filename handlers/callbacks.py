"""One table for every button: `kind` -> (handler, number of arguments). Nothing is trusted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.services.errors import Refusal
from handlers import choose, collective, journal, members, roles
from handlers.common import Ctx, handler, unpack

ButtonHandler = Callable[[Ctx, list[str]], Awaitable[None]]

# kind -> (handler, allowed argument counts)
TABLE: dict[str, tuple[ButtonHandler, tuple[int, ...]]] = {
    "setup": (collective.setup_button, (2, 3)),
    "topic": (collective.topic_button, (2,)),
    "fam": (members.famille_button, (2,)),
    "mai": (members.maillon_button, (2,)),
    "maiok": (members.maillons_done, (1,)),
    "cons": (members.consent_button, (2,)),
    "edit": (members.edit_button, (2,)),
    "quit": (members.leave_button, (1,)),
    "quitno": (members.leave_cancel, (1,)),
    "pick": (choose.pick_button, (2,)),
    "rolem": (roles.member_button, (1,)),
    "roleset": (roles.role_button, (2,)),
    "handover": (roles.hand_over_button, (1,)),
    "jrnl": (journal.page_button, (2,)),
}
# Arguments that must be numbers (ids), by kind and position.
NUMERIC = {
    "setup": (0,),
    "topic": (0, 1),
    "fam": (0,),
    "mai": (0, 1),
    "maiok": (0,),
    "cons": (0,),
    "edit": (0,),
    "quit": (0,),
    "quitno": (0,),
    "pick": (0,),
    "rolem": (0,),
    "roleset": (0,),
    "handover": (0,),
    "jrnl": (0, 1),
}


@handler
async def on_button(ctx: Ctx) -> None:
    query = ctx.update.callback_query
    assert query is not None
    parts = unpack(query.data)
    entry = TABLE.get(parts[0]) if parts else None
    if parts is None or entry is None or len(parts) - 1 not in entry[1]:
        raise Refusal("stale_button")
    kind, args = parts[0], parts[1:]
    if not all(args[i].lstrip("-").isdigit() for i in NUMERIC.get(kind, ()) if i < len(args)):
        raise Refusal("stale_button")
    await entry[0](ctx, args)
    await ctx.ack()
