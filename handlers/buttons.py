"""Every button press: the registry names its handler and types its arguments; nothing in the
callback data is trusted (the handlers re-check the person, the role and the state)."""

from __future__ import annotations

from handlers.common import Ctx


async def on_button(ctx: Ctx) -> None:
    query = ctx.update.callback_query
    assert query is not None
    button, args = ctx.registry.parse_button(query.data)
    await button.run(ctx, *args)
