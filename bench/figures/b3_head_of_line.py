"""B3 — no head-of-line blocking: while one group is throttled by Telegram's 20 messages a
minute (30 `/aide` queued there), a private `/aide`: the time to its answer. Real time, with
Telegram's limits enforced by the sandbox and kept by the bot's pacing."""

from __future__ import annotations

import asyncio

from bench.core import Figure, Options, Row, Samples
from bench.rigs import TisserandRig, sandbox, sqlite_url

QUEUED = 30


async def measure(options: Options, samples: Samples) -> None:
    from bot.clock import SystemClock
    from bot.pacing import Pacing

    sb = sandbox(rate_limits=True, real_time=True)
    owner = sb.add_user("Claire")
    people = [sb.add_user(f"Acteur{i}") for i in range(QUEUED)]
    paul = sb.add_user("Paul")
    group = sb.create_group("Filière laine", owner=owner, members=people)
    url = await sqlite_url(options, "b3")
    async with TisserandRig(url, sb, pacing=Pacing(), clock=SystemClock()) as rig:
        await asyncio.sleep(0.5)  # the bot's arrival in the group is handled
        for person in people:
            sb.send_text(person, group, "/aide")
        latency = await asyncio.wait_for(rig.act(sb.send_text(paul, None, "/aide")), 120)
        answered = [m for m in sb.world.bot_messages(paul.id) if "Ce que je peux faire" in m.plain]
        assert answered, "the private /aide was not answered"
        in_group = sum(1 for m in sb.world.bot_messages(group.id) if "/aide" in m.plain)
        options.say(f"private answer after {1000 * latency:.0f} ms; {in_group} group answers")
        samples.add("latency", latency)
        # The group's last answers would wait for Telegram's next minute: not for the bench.
        for task in asyncio.all_tasks():
            if "process_concurrent_update" in task.get_name():
                task.cancel()


async def run(options: Options) -> list[Row]:
    samples = Samples()
    for _ in range(options.runs):
        await measure(options, samples)
    latency = samples.median("latency")
    return [
        Row(
            "B3",
            f"private /aide while a group is throttled ({QUEUED} queued there)",
            None if latency is None else 1000 * latency,
            "ms",
            target="< 500 ms",
            met=None if latency is None else latency < 0.5,
            runs=[1000 * v for v in samples.runs("latency")],
        )
    ]


FIGURE = Figure("B3", "no head-of-line blocking", run, minutes=0.5)
