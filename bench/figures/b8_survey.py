"""B8 — a collective answering the needs survey: 1,000 members (200 with --quick) answer the
default survey, every press and typed answer through the real Application, the sandbox
transport and a SQLite file (no outbound pacing), as the needs-survey issue asks.

Closed loop (every member answers their next question as soon as the previous is answered):
survey answers per second, against the floor of B1 (bare PTB recording the update, looking up
the member, upserting one answer, committing and answering), measured in the same run. Open
loop (30 answers a second, steady, 30 members one answer a second each): p50 and p99 latency.
The statements per answer are B6's (constant in the members, at most 8 per step).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from bench.core import Figure, Options, Row, Samples, percentile
from bench.members import Collective, floor_edit, settle
from bench.rigs import (
    FloorRig,
    TisserandRig,
    closed_loop,
    open_loop,
    sandbox,
    set_aside,
    sqlite_url,
)

RATE = 30.0
STEADY_MEMBERS = 30
NB = "\u202f"


def _moves() -> list[tuple[str, str]]:
    from bot.demo.scenes.surveys import NeedsAnswers, needs_moves

    answers = NeedsAnswers(
        "Élevage ovin, 300 brebis",
        maillons=("Élevage",),
        besoins=(("Des débouchés", "2 t de laine brute"),),
        priorite=4,
    )
    return needs_moves(answers)


async def _launch(rig: Any, collective: Collective, closes: str) -> None:
    """The animator launches the default survey in private; the due work posts it."""
    from bot.due import drain

    sb, a = rig.sandbox, collective.animator
    await rig.act(sb.send_text(a, None, "/enquete"))
    await rig.act(sb.press(a, None, f"Modèle{NB}: Recensement des besoins des acteurs"))
    await rig.act(sb.press(a, None, "Lancer cette enquête"))
    await rig.act(sb.press(a, None, "Garder"))
    await rig.act(sb.send_text(a, None, closes))
    await rig.act(sb.press(a, None, "Nominative"))
    await rig.act(sb.press(a, None, "Lancer l'enquête"))
    await drain(rig.app.deps, rig.app.bot, horizon=0)
    await settle(rig)


def _step(rig: Any, collective: Collective, user: Any, index: int) -> dict[str, Any]:
    """The update of a member's `index`-th action: « Répondre », the answers, « Envoyer »."""
    sb = rig.sandbox
    moves = _moves()
    if index == 0:
        return sb.press(user, collective.group, "Répondre")
    if index <= len(moves):
        kind, value = moves[index - 1]
        return sb.send_text(user, None, value) if kind == "say" else sb.press(user, None, value)
    return sb.press(user, None, "Envoyer")


async def _answer(rig: Any, collective: Collective, user: Any, latencies: list[float]) -> None:
    for index in range(len(_moves()) + 2):
        latencies.append(await rig.act(_step(rig, collective, user, index)))


async def measure(options: Options, samples: Samples) -> None:
    size = options.scale(1000, 200)
    steps = len(_moves()) + 2
    async with TisserandRig(await sqlite_url(options, "b8"), sandbox()) as rig:
        collective = Collective(rig, size)
        await collective.register()
        options.say(f"{size} members join")

        async def join(user: Any) -> None:
            await collective.join(user)

        await closed_loop([partial(join, u) for u in collective.users])
        await settle(rig)
        fsb = sandbox()
        users = [fsb.add_user(f"Acteur{i}", last_name="Test") for i in range(size)]
        floor = FloorRig(await sqlite_url(options, "b8-floor"), fsb)
        await floor.seed(users)
        async with floor:
            for run in range(options.runs):
                # One survey per run, each answered by everyone (closed loop), then the floor.
                await _launch(rig, collective, f"{10 + run}/12 à 18 h")
                latencies: list[float] = []
                set_aside()  # before each timed phase, for both sides
                took = await closed_loop(
                    [partial(_answer, rig, collective, u, latencies) for u in collective.users]
                )
                samples.add("answer/s", size * steps / took)
                await settle(rig)
                set_aside()
                took = await closed_loop([partial(_edits, floor, u, steps // 2) for u in users])
                samples.add("floor/s", size * 2 * (steps // 2) / took)
                await settle(floor)
                options.say(f"run {run + 1}: {samples.values['answer/s'][-1]:.0f}/s")
            # Open loop: a last survey, 30 members answering one question a second each.
            await _launch(rig, collective, "20/12 à 18 h")
            people = collective.users[:STEADY_MEMBERS]
            count = min(int(RATE * options.scale(10, 5)), STEADY_MEMBERS * steps)

            async def act(i: int) -> float:
                user, index = people[i % STEADY_MEMBERS], i // STEADY_MEMBERS
                return await rig.act(_step(rig, collective, user, index))

            set_aside()
            steady = await open_loop(act, count, RATE)
            samples.add("p50", 1000 * percentile(steady, 50))
            samples.add("p99", 1000 * percentile(steady, 99))
            await settle(rig)


async def _edits(floor: Any, user: Any, times: int) -> None:
    for i in range(times):
        await floor_edit(floor, user, f"Commune {i}")


async def run(options: Options) -> list[Row]:
    samples = Samples()
    await measure(options, samples)
    ratio = samples.ratios("answer/s", "floor/s")
    p99 = samples.median("p99")
    return [
        Row(
            "B8",
            "survey answers (« Répondre », each answer, « Envoyer »), closed loop",
            samples.median("answer/s"),
            "updates/s",
            samples.median("floor/s"),
            "floor",
            ratio,
            "≥ 0.6 of the floor",
            None if ratio is None else ratio >= 0.6,
            samples.runs("answer/s"),
            samples.runs("floor/s"),
        ),
        Row(
            "B8",
            f"survey answers at {RATE:.0f}/s, p50",
            samples.median("p50"),
            "ms",
            runs=samples.runs("p50"),
        ),
        Row(
            "B8",
            f"survey answers at {RATE:.0f}/s, p99",
            p99,
            "ms",
            target="< 10 ms",
            met=None if p99 is None else p99 < 10,
            runs=samples.runs("p99"),
        ),
    ]


FIGURE = Figure("B8", "a collective answering the needs survey", run, minutes=3)
