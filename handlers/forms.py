"""Free text in private chat answers the question the bot asked last (kept in the database)."""

from __future__ import annotations

from handlers import collective as collective_handlers
from handlers import members as member_handlers
from handlers.common import Ctx, handler


@handler
async def private_text(ctx: Ctx) -> None:
    message = ctx.update.effective_message
    if message is None or message.text is None:
        return
    pending = await ctx.uow.pending.get(ctx.me.id)
    if pending is None:
        await ctx.say("no_question")
        return
    if pending.kind == "setup" and pending.collective_id is not None:
        collective = await ctx.uow.collectives.get(pending.collective_id)
        if collective is not None:
            await collective_handlers.setup_text(ctx, collective, pending.step, message.text)
            return
    if pending.kind == "profile":
        await member_handlers.profile_text(ctx, pending.step, message.text, dict(pending.data))
        return
    await ctx.uow.pending.clear(ctx.me.id)
    await ctx.say("no_question")
