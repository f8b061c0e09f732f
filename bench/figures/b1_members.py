"""B1 — members at work: 1,000 members join, fill their profile and edit it, every update
through the real Application, the sandbox transport and a SQLite file (no outbound pacing).

Closed loop (every member acts again as soon as answered): updates per second for joining and
filling the profile, and for profile edits (the button, then the typed answer). Open loop
(30 updates a second, steady): p50 and p99 latency of profile edits. The floor — bare PTB with
a handler that records the update, looks up the member, upserts one answer, commits and
answers — plays the same edits on the same transport and database, in the same run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bench.core import Figure, Options, Row, Samples, percentile
from bench.members import Collective, edit_commune, floor_edit, settle
from bench.rigs import FloorRig, TisserandRig, closed_loop, open_loop, sandbox, sqlite_url

EDITS = 2  # profile edits per member in the closed loop
RATE = 30.0  # updates a second, open loop
COMMUNES = ("Murat", "Aurillac", "Allanche", "Marcenat")

UrlMaker = Callable[[Options, str], Awaitable[str | None]]


async def measure(options: Options, samples: Samples, url_for: UrlMaker, prefix: str = "") -> bool:
    """One run of both sides (Tisserand first on odd runs, the floor first on even ones)."""
    size = options.scale(1000, 200)
    seconds = options.scale(20, 6)
    first_floor = len(samples.runs(prefix + "edit/s")) % 2 == 1
    sides = [_floor, _tisserand] if first_floor else [_tisserand, _floor]
    for side in sides:
        url = await url_for(options, side.__name__.strip("_"))
        if url is None:
            return False
        await side(options, samples, url, size, seconds, prefix)
    return True


async def _tisserand(
    options: Options, samples: Samples, url: str, size: int, seconds: int, prefix: str
) -> None:
    async with TisserandRig(url, sandbox()) as rig:
        collective = Collective(rig, size)
        await collective.register()
        options.say(f"{prefix}Tisserand: {size} members join")
        joined = await asyncio.gather(*(collective.join(u) for u in collective.users[:1]))
        rest = collective.users[1:]

        async def join(user: Any) -> None:
            joined.append(await collective.join(user))

        took = await closed_loop([lambda u=u: join(u) for u in rest])  # type: ignore[misc]
        samples.add(prefix + "join/s", (sum(joined) - joined[0]) / took)
        await settle(rig)

        options.say(f"{prefix}Tisserand: profile edits, closed loop")

        async def edits(user: Any) -> None:
            for i in range(EDITS):
                await edit_commune(rig, user, COMMUNES[i % len(COMMUNES)])

        took = await closed_loop([lambda u=u: edits(u) for u in collective.users])  # type: ignore[misc]
        samples.add(prefix + "edit/s", 2 * EDITS * size / took)
        await settle(rig)

        options.say(f"{prefix}Tisserand: profile edits at {RATE:.0f}/s")
        latencies = await _steady(rig, collective.users, seconds, tisserand=True)
        samples.add(prefix + "p50", 1000 * percentile(latencies, 50))
        samples.add(prefix + "p99", 1000 * percentile(latencies, 99))


async def _floor(
    options: Options, samples: Samples, url: str, size: int, seconds: int, prefix: str
) -> None:
    sb = sandbox()
    users = [sb.add_user(f"Acteur{i}", last_name="Test") for i in range(size)]
    rig = FloorRig(url, sb)
    await rig.seed(users)
    async with rig:
        options.say(f"{prefix}floor: edits, closed loop")

        async def edits(user: Any) -> None:
            for i in range(EDITS):
                await floor_edit(rig, user, COMMUNES[i % len(COMMUNES)])

        took = await closed_loop([lambda u=u: edits(u) for u in users])  # type: ignore[misc]
        samples.add(prefix + "floor edit/s", 2 * EDITS * size / took)
        options.say(f"{prefix}floor: edits at {RATE:.0f}/s")
        latencies = await _steady(rig, users, seconds, tisserand=False)
        samples.add(prefix + "floor p50", 1000 * percentile(latencies, 50))
        samples.add(prefix + "floor p99", 1000 * percentile(latencies, 99))


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
            "join + profile (8 updates a member), closed loop",
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
    for _ in range(options.runs):
        await measure(options, samples, sqlite_url)
    return rows(samples)


FIGURE = Figure("B1", "members at work (SQLite)", run, minutes=3)
