"""Messages to a collective's animation team that the bot starts on its own (the bot cannot
check who is in the group, a post failed…): scheduled as due work, sent through the sender,
at most once per key."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.domain import MembershipStatus, Role
from bot.sender import QuietHours, Sender
from bot.texts import render
from storage.models import Collective
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot.app import Deps
    from bot.due import DueContext

NOTIFY_ANIMATORS = "notify_animators"


async def notify_animators(
    uow: UnitOfWork,
    collective: Collective,
    template: str,
    now: datetime,
    *,
    once_per: str = "day",
    about: str = "",
    params: dict[str, Any] | None = None,
) -> bool:
    """Tell every active animator, in private, once per `once_per` ("day" or "ever") and
    per `about` (what the notice is about, when one collective can have several).
    False when the same notice is already scheduled for that period."""
    period = now.astimezone(ZoneInfo(collective.timezone)).date().isoformat()
    key = f"notice:{template}:{collective.id}" + (f":{about}" if about else "")
    key += f":{period}" if once_per == "day" else ""
    return await uow.due.schedule(
        key=key,
        kind=NOTIFY_ANIMATORS,
        due_at=now,
        now=now,
        collective_id=collective.id,
        payload={"template": template, "params": params or {}},
    )


async def send_notice(deps: Deps, due: DueContext) -> object:
    """The due work: one private message per animator, each sent once."""
    from bot.due import Later

    work = due.work
    collective = await due.uow.collectives.get(work.collective_id or 0)
    if collective is None:
        return None
    members = await due.uow.memberships.of_collective(collective.id)
    animators = [
        m for m in members if m.role == Role.ANIMATEUR and m.status == MembershipStatus.ACTIVE
    ]
    sender = Sender(due.bot, due.uow, due.now)
    quiet = QuietHours.of(collective)
    template = str(work.payload["template"])
    params = dict(work.payload.get("params") or {})
    for member in animators:
        person = member.person
        text = render(template, person.language, c=collective, **params)
        outcome = await sender.send(
            f"{work.key}:{person.id}", person.telegram_id, text, quiet=quiet
        )
        if outcome.status == "later" and outcome.retry_at is not None:
            return Later(outcome.retry_at)
    return None
