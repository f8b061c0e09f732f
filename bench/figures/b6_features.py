"""B6 — the features' hot paths: a needs-survey answer and a vote, for 5, 50 and 500 members.

Every update goes through the real `Application`, the sandbox transport and a SQLite file (the
members are written to the database directly, the animator launches the survey and opens the
vote through the bot). For each path: the statements SQLAlchemy executes for one update (the
inbox writes included, BEGIN/COMMIT not), which must not grow with the members, and the time
to handle one update end to end (median and p99 over every member's updates of that path).
"""

from __future__ import annotations

import time
from typing import Any

from bench import seed
from bench.core import Figure, Options, Row, percentile
from bench.figures.statements import Counter
from bench.rigs import sqlite_url

MEMBERS = (5, 50, 500)
# The paths measured. No issue set a number for them: the target is that none grows with the
# members (a step of the survey is held to the profile step's 8, like any conversation step).
TARGETS: dict[str, int | None] = {
    "survey: « Répondre » in the group": None,
    "survey: typed answer": 8,
    "survey: choice": 8,
    "survey: « Envoyer »": None,
    "vote: a press in the group": None,
}
# How many members answer and vote in each run (all of them up to this).
ACTING = 40


async def _open_vote(h: Any, animator: Any) -> None:
    """A public majority vote, results at the closing, opened by the animator in private."""
    from datetime import timedelta

    await h.say(animator, None, "/vote Adhérer au réseau des filières laine ?")
    for label in ("Majorité", "Plus de la moitié", "Vote public", "À la clôture"):
        await h.press(animator, None, label)
    await h.press(animator, None, "Non, vote définitif")
    await h.press(animator, None, "Pas de quorum")
    await h.say(animator, None, "demain 18h")
    await h.press(animator, None, "Ouvrir le vote")
    await h.tick(timedelta(seconds=1))


async def measure(options: Options, members: int) -> dict[str, tuple[list[int], list[float]]]:
    """Per path: the statements and the seconds of each measured update."""
    from bot.config import Settings
    from bot.demo.scenes.surveys import NeedsAnswers, launch_survey, needs_moves
    from bot.sandbox.harness import Harness

    url = await sqlite_url(options, f"b6-{members}")
    settings = Settings(_env_file=None, database_url=url, token=None)
    h = Harness(settings, migrate=False)
    sb = h.sandbox
    animator = sb.add_user("Claire", last_name="Morel")
    others = [sb.add_user(f"Acteur{i}") for i in range(members - 1)]
    group = sb.create_group("Filière laine", owner=animator, members=others)
    found: dict[str, tuple[list[int], list[float]]] = {path: ([], []) for path in TARGETS}
    async with h:
        async with h.app.deps.uow() as uow:
            (collective_id,) = await seed.collectives(uow, [(group.id, group.title or "")])
            people = await seed.people(uow, [(u.id, u.first_name) for u in (animator, *others)])
            await seed.members(uow, collective_id, people[:1], role="animateur")
            await seed.members(uow, collective_id, people[1:])
        await h.flush()
        counter = Counter(h.app.deps.engine)

        async def timed(path: str, action: Any) -> None:
            counter.take()
            started = time.perf_counter()
            await action
            seconds = time.perf_counter() - started
            statements, seen = counter.take()
            found[path][0].append(statements)
            found[path][1].append(seconds)
            if options.verbose and members == MEMBERS[0] and len(found[path][0]) == 1:
                print(f"    {path}: {statements}")
                for statement in seen:
                    print(f"      {statement}")

        await launch_survey(h, animator)
        answers = NeedsAnswers("Élevage ovin", besoins=(("Des débouchés", "2 t de laine"),))
        moves = needs_moves(answers)
        for user in others[:ACTING]:
            await timed("survey: « Répondre » in the group", h.press(user, group, "Répondre"))
            for kind, value in moves:
                if kind == "say":
                    await timed("survey: typed answer", h.say(user, None, value))
                else:
                    await timed("survey: choice", h.press(user, None, value))
            await timed("survey: « Envoyer »", h.press(user, None, "Envoyer"))

        await _open_vote(h, animator)
        for i, user in enumerate(others[:ACTING]):
            choice = ("Pour", "Contre", "Abstention")[i % 3]
            await timed("vote: a press in the group", h.press(user, group, choice))
    return found


async def run(options: Options) -> list[Row]:
    by_members = {n: await measure(options, n) for n in MEMBERS}
    rows: list[Row] = []
    for path, target in TARGETS.items():
        most = [max(by_members[n][path][0], default=0) for n in MEMBERS]
        constant = len(set(most)) == 1
        rows.append(
            Row(
                "B6",
                f"{path}: statements",
                float(most[0]),
                "statements",
                target="constant" if target is None else f"≤ {target}, constant",
                met=constant and (target is None or max(most) <= target),
                runs=[float(v) for v in most],
                note="members 5/50/500: " + "/".join(str(v) for v in most),
            )
        )
        seconds = by_members[MEMBERS[-1]][path][1]
        rows.append(
            Row(
                "B6",
                f"{path}: time per update ({MEMBERS[-1]} members)",
                1000 * percentile(seconds, 50),
                "ms",
                note=f"p99 {1000 * percentile(seconds, 99):.1f} ms over {len(seconds)} updates",
                runs=[1000 * v for v in seconds[:20]],
            )
        )
    return rows


FIGURE = Figure("B6", "a survey answer and a vote", run, minutes=1)
