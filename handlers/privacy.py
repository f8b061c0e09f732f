"""/mes_donnees and /oublier: what is kept about me, and erasing it."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from telegram import InputFile

from bot.services import privacy as svc
from bot.services.errors import Refusal
from handlers.common import Ctx
from handlers.registry import Button, Command, Feature, Int, Link

if TYPE_CHECKING:
    from bot.app import Deps
    from bot.due import DueContext

log = logging.getLogger(__name__)

DATA_LINK, FORGET_LINK = "d", "o"


async def my_data(ctx: Ctx) -> None:
    if not ctx.is_private:
        # Personal data is read in private, never in the group.
        ctx.say("privacy/in_private", ctx.private_link_button(DATA_LINK))
        return
    await _send_my_data(ctx)


async def _send_my_data(ctx: Ctx) -> None:
    document = await svc.everything_about(ctx.uow, ctx.me, ctx.registry.personal_data)
    content = json.dumps(document, ensure_ascii=False, indent=2, default=str).encode()
    core = document[svc.CORE.name]
    ctx.say(
        "privacy/summary",
        person=ctx.me,
        collectives=core["collectifs"],
        events=len(core["journal"]),
        # Each feature's part, with how many rows it holds (« 2 ressources ajoutées »).
        parts=[
            (name, len(value) if isinstance(value, list) else None)
            for name, value in document.items()
            if name != svc.CORE.name and value
        ],
    )
    user_id = ctx.me.telegram_id
    caption = ctx.text("privacy/file_caption")
    ctx.queue(
        lambda bot: bot.send_document(
            user_id, InputFile(content, filename="mes-donnees.json"), caption=caption
        ),
        "privacy/file",
    )


async def data_link(ctx: Ctx, rest: str) -> None:
    await _send_my_data(ctx)


async def notice_button(ctx: Ctx) -> None:
    """« Vos données » under /aide: the privacy notice."""
    settings = ctx.deps.settings
    ctx.say(
        "privacy/notice",
        controller=settings.responsable_traitement,
        dpo=settings.contact_dpo,
        months=settings.retention_months,
    )


async def forget_me(ctx: Ctx) -> None:
    if not ctx.is_private:
        ctx.say("privacy/in_private", ctx.private_link_button(FORGET_LINK))
        return
    _confirm(ctx)


def _confirm(ctx: Ctx) -> None:
    person = ctx.me.id
    ctx.say(
        "privacy/confirm_forget",
        [
            [(ctx.caption("forget_yes"), ("forget", person))],
            [(ctx.caption("forget_no"), ("forgetno", person))],
        ],
    )


async def forget_link(ctx: Ctx, rest: str) -> None:
    _confirm(ctx)


async def forget_button(ctx: Ctx, person_id: int) -> None:
    if person_id != ctx.me.id:
        raise Refusal("stale_button")
    await svc.forget(ctx.uow, ctx.me, ctx.now, ctx.registry.personal_data)
    ctx.edit("privacy/forgotten")


async def keep_button(ctx: Ctx, person_id: int) -> None:
    if person_id != ctx.me.id:
        raise Refusal("stale_button")
    ctx.edit("privacy/kept")


async def purge_due(deps: Deps, due: DueContext) -> None:
    """The daily retention purge: members gone for longer than TISSERAND_RETENTION_MONTHS are
    forgotten; the next day's purge is scheduled."""
    assert deps.registry is not None
    forgotten = await svc.run_purge(
        due.uow,
        due.now,
        ZoneInfo(deps.settings.timezone),
        deps.settings.retention_months,
        deps.registry.personal_data,
    )
    if forgotten:
        log.info("retention purge: %d person(s) forgotten", forgotten)


FEATURE = Feature(
    name="privacy",
    due=((svc.PURGE, purge_due),),
    commands=(
        Command(
            ("mes_donnees", "my_data"),
            run=my_data,
            in_private_menu=True,
            help=(("member", "help_mes_donnees"), ("unregistered", "help_mes_donnees")),
        ),
        Command(
            ("oublier", "forget_me"),
            run=forget_me,
            in_private_menu=True,
            help=(("member", "help_oublier"),),
        ),
    ),
    buttons=(
        Button("forget", forget_button, (Int(1),)),
        Button("forgetno", keep_button, (Int(1),)),
        Button("vosdonnees", notice_button),
    ),
    links=(Link(DATA_LINK, data_link), Link(FORGET_LINK, forget_link)),
)
