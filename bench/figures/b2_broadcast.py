"""B2 — a reminder to every member at Telegram's ceiling: 600 members in private and 20 groups,
through the due work and the sender, in real time, against a sandbox that enforces Telegram's
limits by sliding windows (30 a second overall, 20 a minute per group, 1 a second per private
chat) and answers 429 beyond. Reported: the rate achieved as a fraction of the ceiling (30 a
second), the 429s received, the messages lost (not delivered once)."""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime
from typing import Any

from bench.core import Figure, Options, Row, Samples
from bench.rigs import TisserandRig, sandbox, sqlite_url

KIND = "bench_reminder"
CEILING = 30.0


async def _remind(deps: Any, ctx: Any) -> Any:
    from bot.due import Later
    from bot.sender import Sender

    outcome = await Sender(ctx.bot, ctx.uow, ctx.now).send(
        ctx.work.key, ctx.work.payload["chat_id"], "<b>Rappel</b> : comité de filière demain."
    )
    return Later(outcome.retry_at) if outcome.retry_at else None


async def measure(options: Options, samples: Samples) -> None:
    from bot.clock import SystemClock
    from bot.due import schedule
    from bot.pacing import Pacing

    people = options.scale(600, 120)
    groups = options.scale(20, 4)
    sb = sandbox(rate_limits=True, real_time=True)
    owner = sb.add_user("Claire")
    users = [sb.add_user(f"Acteur{i}") for i in range(people)]
    for user in users:
        user.started = True
    chats = [u.id for u in users] + [
        sb.create_group(f"Filière {i}", owner=owner).id for i in range(groups)
    ]
    limiter = sb.api.limiter
    stamps: list[float] = []
    record = limiter.record

    def recorded(chat: Any, *, edit: bool = False) -> None:
        if "Rappel" in sb.world.bot_messages(chat.id)[-1].plain:
            stamps.append(time.monotonic())  # when the reminder reached "Telegram"
        record(chat, edit=edit)

    limiter.record = recorded
    url = await sqlite_url(options, "b2")
    rig = TisserandRig(url, sb, pacing=Pacing(), clock=SystemClock())
    rig.app.deps.due_kinds[KIND] = _remind
    async with rig.app.deps.uow() as uow:
        now = datetime.now(UTC)
        for i, chat_id in enumerate(chats):
            await schedule(
                uow, key=f"bench:{i}", kind=KIND, due_at=now, now=now, payload={"chat_id": chat_id}
            )
    before = len(sb.api.calls)
    async with rig:
        started = time.monotonic()
        deadline = started + 3 * len(chats) / CEILING + 30
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            if len(stamps) >= len(chats):
                break
    del before
    times = sorted(stamps)
    per_chat = [sum(1 for m in sb.world.bot_messages(c) if "Rappel" in m.plain) for c in chats]
    lost = sum(1 for n in per_chat if n == 0)
    twice = sum(1 for n in per_chat if n > 1)
    # Under sliding windows, the fastest sender delivers n messages in ceil(n / 30) - 1
    # seconds (30 at once, then 30 more each second): the share of the ceiling achieved is
    # that shortest span over the span taken.
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    shortest = max(math.ceil(len(times) / CEILING) - 1, 0)
    fraction = min(shortest / span, 1.0) if span > 0 else 0.0
    rate = CEILING * fraction
    options.say(
        f"{len(times)} messages in {span:.2f} s (at best {shortest} s): {rate:.1f}/s, "
        f"{limiter.rate_limited} 429s"
    )
    samples.add("rate", rate)
    samples.add("fraction", fraction)
    samples.add("429", float(limiter.rate_limited))
    samples.add("lost", float(lost + twice))


async def run(options: Options) -> list[Row]:
    samples = Samples()
    for _ in range(options.runs):
        await measure(options, samples)
    fraction = samples.median("fraction")
    rejected = samples.median("429")
    lost = samples.median("lost")
    return [
        Row(
            "B2",
            "reminders to members and groups, share of Telegram's ceiling",
            None if fraction is None else 100 * fraction,
            "%",
            None,
            "the shortest time Telegram's windows allow",
            fraction,
            "≥ 90 %",
            None if fraction is None else fraction >= 0.9,
            [100 * v for v in samples.runs("fraction")],
        ),
        Row(
            "B2",
            "429 answers received",
            rejected,
            "",
            target="0",
            met=rejected == 0,
            runs=samples.runs("429"),
        ),
        Row(
            "B2",
            "messages lost or sent twice",
            lost,
            "",
            target="0",
            met=lost == 0,
            runs=samples.runs("lost"),
        ),
    ]


FIGURE = Figure("B2", "broadcast at Telegram's ceiling", run, minutes=1.5)
