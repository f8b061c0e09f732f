"""/export: the animator's export archive (bot/archive.py), sent in private as one ZIP."""

from __future__ import annotations

import asyncio

from bot import archive
from bot.domain import ANIMATORS
from bot.services import collectives as collectives_svc
from bot.services import journal
from bot.services.members import require_role
from bot.texts import render
from handlers.common import Ctx
from handlers.meetings import send_file
from handlers.registry import Command, Feature, Link, link_id
from storage.models import Collective

EXPORT_LINK = "ex"


async def export(ctx: Ctx, collective: Collective) -> None:
    await require_role(ctx.uow, collective, ctx.me, ANIMATORS)
    if not ctx.is_private:
        ctx.say("archive/in_private", ctx.private_link_button(f"{EXPORT_LINK}{collective.id}"))
        return
    built = await archive.build(ctx.uow, collective, ctx.now)
    await journal.record(ctx.uow, collective.id, "archive_exported", ctx.now, actor_id=ctx.me.id)
    # Everything is read: the ZIP is written outside the transaction, off the event loop.
    await ctx.uow.checkpoint()
    content = await asyncio.to_thread(archive.zip_bytes, built)
    text = render("archive/caption", ctx.person_lang, c=collective)
    send_file(ctx, built.zip_name, content, text)


async def export_link(ctx: Ctx, rest: str) -> None:
    await export(ctx, await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link"))


FEATURE = Feature(
    name="archive",
    commands=(
        Command(
            ("export",),
            for_collective=export,
            in_private_menu=True,
            help=(("animateur", "archive/help_export"),),
        ),
    ),
    links=(Link(EXPORT_LINK, export_link),),
)
