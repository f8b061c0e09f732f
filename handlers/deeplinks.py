"""Deep links (`t.me/<bot>?start=…`) carry the collective into the private chat."""

from __future__ import annotations

from handlers.common import Ctx

# payload prefix -> what it opens; the rest of the payload is the collective id.
JOIN, SETUP, PROFILE, JOURNAL = "j", "s", "p", "l"


def payload(kind: str, collective_id: int) -> str:
    return f"{kind}{collective_id}"


async def dispatch_start(ctx: Ctx, raw: str) -> None:
    from handlers import collective as collective_handlers
    from handlers import journal as journal_handlers
    from handlers import members as member_handlers

    kind, number = raw[:1], raw[1:]
    collective = await ctx.uow.collectives.get(int(number)) if number.isdigit() else None
    if collective is None:
        await ctx.say("refusals/stale_link")
        return
    if kind == JOIN:
        await member_handlers.begin_join(ctx, collective)
    elif kind == SETUP:
        await collective_handlers.resume_setup(ctx, collective)
    elif kind == PROFILE:
        await member_handlers.show_profile(ctx, collective)
    elif kind == JOURNAL:
        await journal_handlers.show_journal(ctx, collective, 0)
    else:
        await ctx.say("refusals/stale_link")
