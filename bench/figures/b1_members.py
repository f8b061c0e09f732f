"""B1 — members at work: 1,000 members join, fill their profile and edit it, every update
through the real Application, the sandbox transport and a SQLite file (no outbound pacing).

Closed loop (every member acts again as soon as answered): updates per second for joining and
filling the profile, and for profile edits (the button, then the typed answer). Open loop
(30 updates a second, steady): p50 and p99 latency of profile edits. The floor — bare PTB with
a handler that records the update, looks up the member, upserts one answer, commits and
answers — plays the same edits on the same transport and database, in the same run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from bench.core import Figure, Options, Row, Samples, percentile
from bench.members import Collective, edit_commune, floor_edit, settle
from bench.rigs import (
    FloorRig,
    TisserandRig,
    closed_loop,
    open_loop,
    sandbox,
    set_aside,
    sqlite_url,
)

RATE = 30.0  # updates a second, open loop
COMMUNES = ("Murat", "Aurillac", "Allanche", "Marcenat")

UrlMaker = Callable[[Options, str], Awaitable[str | None]]


async def measure(
    options: Options, samples: Samples, url_for: UrlMaker, prefix: str = "", size: int = 1000
) -> bool:
    """Both sides set up once (Tisserand's members join through the bot: measured), then
    `options.runs` runs of edits, each side in turn (the order alternates from run to run)."""
    size = options.scale(size, 200)
    seconds = options.scale(10, 5)
    tisserand_url = await url_for(options, "tisserand")
    floor_url = await url_for(options, "floor")
    if tisserand_url is None or floor_url is None:
        return False
    async with TisserandRig(tisserand_url, sandbox()) as rig:
        collective = Collective(rig, size)
        await collective.register()
        options.say(f"{prefix}Tisserand: {size} members join")
        first = await collective.join(collective.users[0])  # the first one, alone, warms up
        joined: list[int] = []

        async def join(user: Any) -> None:
            joined.append(await collective.join(user))

        took = await closed_loop([partial(join, u) for u in collective.users[1:]])
        samples.add(prefix + "join/s", sum(joined) / took)
        del first
        await settle(rig)

        fsb = sandbox()
        users = [fsb.add_user(f"Acteur{i}", last_name="Test") for i in range(size)]
        floor = FloorRig(floor_url, fsb)
        await floor.seed(users)
        async with floor:
            sides = [
                ("", rig, collective.users, edit_commune, True),
                ("floor ", floor, users, floor_edit, False),
            ]
            for run in range(options.runs):
                for name, on, people, edit, tisserand in sides if run % 2 == 0 else sides[::-1]:
                    options.say(f"{prefix}run {run + 1}: {name or 'Tisserand '}edits")
                    commune = COMMUNES[run % len(COMMUNES)]
                    set_aside()  # before each timed phase, for both sides
                    took = await closed_loop([partial(edit, on, u, commune) for u in people])
                    samples.add(f"{prefix}{name}edit/s", 2 * len(people) / took)
                    await settle(on)
                    set_aside()
                    latencies = await _steady(on, people, seconds, tisserand=tisserand)
                    samples.add(f"{prefix}{name}p50", 1000 * percentile(latencies, 50))
                    samples.add(f"{prefix}{name}p99", 1000 * percentile(latencies, 99))
                    await settle(on)
    return True


async def _steady(rig: Any, users: list[Any], seconds: int, *, tisserand: bool) -> list[float]:
    """Profile edits at RATE updates a second: member k presses at 2k, types at 2k+1."""
    sb = rig.sandbox
    count = min(int(RATE * seconds), 2 * len(users))

    async def act(i: int) -> float:
        user = users[i // 2]
        if tisserand:
            first, second = (
                lambda: sb.press(user, None, "Modifier la commune"),
                lambda: sb.send_text(user, None, "Saint-Flour"),
            )
        else:
            first, second = (
                lambda: sb.send_text(user, None, "Saint-Flour"),
                lambda: sb.press(user, None, "Modifier"),
            )
        return await rig.act((first if i % 2 == 0 else second)())

    return await open_loop(act, count, RATE)


def rows(samples: Samples, figure: str = "B1", prefix: str = "", floor: str = "floor") -> list[Row]:
    edit = samples.median(prefix + "edit/s")
    floor_edit_rate = samples.median(prefix + "floor edit/s")
    ratio = samples.ratios(prefix + "edit/s", prefix + "floor edit/s")
    p50, p99 = samples.median(prefix + "p50"), samples.median(prefix + "p99")
    return [
        Row(
            figure,
            "join + profile (8 updates a member), closed loop (once)",
            samples.median(prefix + "join/s"),
            "updates/s",
            runs=samples.runs(prefix + "join/s"),
        ),
        Row(
            figure,
            "profile edits (button + typed answer), closed loop",
            edit,
            "updates/s",
            floor_edit_rate,
            floor,
            ratio,
            "≥ 0.6 of the floor",
            None if ratio is None else ratio >= 0.6,
            samples.runs(prefix + "edit/s"),
            samples.runs(prefix + "floor edit/s"),
        ),
        Row(
            figure,
            f"profile edits at {RATE:.0f}/s, p50",
            p50,
            "ms",
            samples.median(prefix + "floor p50"),
            floor,
            runs=samples.runs(prefix + "p50"),
            reference_runs=samples.runs(prefix + "floor p50"),
        ),
        Row(
            figure,
            f"profile edits at {RATE:.0f}/s, p99",
            p99,
            "ms",
            samples.median(prefix + "floor p99"),
            floor,
            target="< 10 ms" if figure == "B1" else "",
            met=None if p99 is None or figure != "B1" else p99 < 10,
            runs=samples.runs(prefix + "p99"),
            reference_runs=samples.runs(prefix + "floor p99"),
        ),
    ]


async def run(options: Options) -> list[Row]:
    samples = Samples()
    await measure(options, samples, sqlite_url)
    return rows(samples)


FIGURE = Figure("B1", "members at work (SQLite)", run, minutes=3)
