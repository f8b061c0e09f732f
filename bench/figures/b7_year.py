"""B7 — a year of one collective: 2,000 members, 40 surveys × 300 responses, 60 votes × 150
ballots, 100 meetings × 40 answers, 1,500 actions, 50,000 journal entries (and 500 resources
when that table exists), written directly to SQLite. Measured: one weekly synthèse without
its chart (time, and SQL statements, which must not grow with the data), and the whole export
archive (time, and the peak resident memory of a fresh process that writes it)."""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from sqlalchemy import insert, inspect, select

from bench import seed
from bench.core import Figure, Options, Row
from bench.figures.statements import Counter
from bench.rigs import sqlite_url

SIZES = {
    "members": (2000, 200),
    "surveys": (40, 4),
    "responses": (300, 30),
    "votes": (60, 6),
    "ballots": (150, 15),
    "meetings": (100, 10),
    "rsvps": (40, 4),
    "actions": (1500, 150),
    "resources": (500, 50),
    "journal": (50_000, 5_000),
}
END = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a Monday, 9:00 in Paris
YEAR = timedelta(days=365)


def _at(rng: random.Random) -> datetime:
    return END - YEAR + timedelta(seconds=rng.randrange(int(YEAR.total_seconds())))


async def fill(uow: Any, options: Options) -> tuple[int, str]:
    """The year, written in bulk; the collective's id and slug."""
    from bot.surveys import model as m
    from storage.models import (
        Collective,
        JournalEntry,
        Maillon,
        Meeting,
        MeetingParticipant,
        RoadmapAction,
        Survey,
        SurveyParticipant,
        SurveyResponse,
        Vote,
        VoteBallot,
        VoteElector,
        VoteRoll,
        VoteRound,
    )

    size = {k: options.scale(*v) for k, v in SIZES.items()}
    rng = random.Random(7)
    [cid] = await seed.collectives(uow, [(-1009000000001, "Filière laine du Cantal")])
    people = await seed.people(uow, [(10_000 + i, f"Acteur{i}") for i in range(size["members"])])
    await seed.members(uow, cid, people[:3], role="animateur")
    await seed.members(uow, cid, people[3:])
    memberships = [
        mid
        for (mid,) in await uow.session.execute(
            select(Maillon.id).where(Maillon.collective_id == cid)
        )
    ]
    from storage.models import Membership

    member_ids = list(
        await uow.session.scalars(select(Membership.id).where(Membership.collective_id == cid))
    )
    maillons = [m.Maillon(i, f"M{i}") for i in memberships]
    definition = m.resolve(m.builtin_templates()["besoins"].survey, maillons, "fr")
    needs = next(q for q in definition.questions if q.source == "needs")
    codes = [o.value for o in needs.options]
    for s in range(size["surveys"]):
        opened = END - YEAR + timedelta(days=9 * s)
        [survey_id] = (
            await uow.session.execute(
                insert(Survey).returning(Survey.id),
                [
                    {
                        "collective_id": cid,
                        "title": f"Enquête {s}",
                        "definition": definition.to_dict(),
                        "revision": 1,
                        "anonymous": False,
                        "status": "closed",
                        "created_at": opened,
                        "opened_at": opened,
                        "closes_at": opened + timedelta(days=7),
                        "closed_at": opened + timedelta(days=7),
                    }
                ],
            )
        ).scalars()
        who = rng.sample(member_ids, size["responses"])
        await uow.session.execute(
            insert(SurveyResponse),
            [
                {
                    "survey_id": survey_id,
                    "membership_id": mid,
                    "answers": {needs.id: rng.sample(codes, 2)},
                    "submitted_at": opened + timedelta(days=1),
                    "updated_at": opened + timedelta(days=1),
                }
                for mid in who
            ],
        )
        await uow.session.execute(
            insert(SurveyParticipant),
            [{"survey_id": survey_id, "membership_id": mid} for mid in who],
        )
    pairs = dict(zip(member_ids, people, strict=False))
    for v in range(size["votes"]):
        opened = END - YEAR + timedelta(days=6 * v)
        [vote_id] = (
            await uow.session.execute(
                insert(Vote).returning(Vote.id),
                [
                    {
                        "collective_id": cid,
                        "kind": "question",
                        "title": f"Vote {v}",
                        "method": "majority",
                        "status": "closed",
                        "round": 1,
                        "opened_at": opened,
                        "closes_at": opened + timedelta(days=3),
                        "closed_at": opened + timedelta(days=3),
                        "outcome": "adopted",
                        "created_at": opened,
                    }
                ],
            )
        ).scalars()
        await uow.session.execute(
            insert(VoteRound),
            [
                {
                    "vote_id": vote_id,
                    "number": 1,
                    "opened_at": opened,
                    "closes_at": opened + timedelta(days=3),
                    "closed_at": opened + timedelta(days=3),
                    "proposal": {},
                    "outcome": "adopted",
                }
            ],
        )
        voters = rng.sample(member_ids, size["ballots"])
        electors = list(
            (
                await uow.session.execute(
                    insert(VoteElector).returning(VoteElector.id),
                    [
                        {"vote_id": vote_id, "person_id": pairs[mid], "membership_id": mid}
                        for mid in voters
                    ],
                )
            ).scalars()
        )
        rows = [{"vote_id": vote_id, "round": 1, "elector_id": e} for e in electors]
        await uow.session.execute(
            insert(VoteRoll), [{**r, "at": opened + timedelta(days=1)} for r in rows]
        )
        await uow.session.execute(
            insert(VoteBallot),
            [
                {**r, "choice": rng.choice(("pour", "contre")), "at": opened + timedelta(days=1)}
                for r in rows
            ],
        )
    for n in range(size["meetings"]):
        starts = END - YEAR + timedelta(days=3 * n + 1, hours=13)
        [meeting_id] = (
            await uow.session.execute(
                insert(Meeting).returning(Meeting.id),
                [
                    {
                        "collective_id": cid,
                        "uid": f"bench-{n}@tisserand",
                        "kind": "comite",
                        "title": f"Comité {n}",
                        "starts_at": starts,
                        "duration_minutes": 120,
                        "status": "scheduled",
                        "created_at": starts - timedelta(days=10),
                        "updated_at": starts - timedelta(days=10),
                    }
                ],
            )
        ).scalars()
        await uow.session.execute(
            insert(MeetingParticipant),
            [
                {"meeting_id": meeting_id, "person_id": pid, "answer": "yes", "attended": True}
                for pid in rng.sample(people, size["rsvps"])
            ],
        )
    await uow.session.execute(
        insert(RoadmapAction),
        [
            {
                "collective_id": cid,
                "text": f"Action {i}",
                "porteur_id": rng.choice(people),
                "due_on": date(2026, 1, 1) + timedelta(days=i % 400),
                "levier": "financement",
                "status": "done" if i % 3 == 0 else "open",
                "done_at": _at(rng) if i % 3 == 0 else None,
                "created_at": END - YEAR,
            }
            for i in range(size["actions"])
        ],
    )
    kinds = ("member_joined", "survey_answered", "vote_participated", "meeting_rsvp")
    for start in range(0, size["journal"], 10_000):
        await uow.session.execute(
            insert(JournalEntry),
            [
                {
                    "collective_id": cid,
                    "at": _at(rng),
                    "kind": kinds[i % len(kinds)],
                    "actor_id": rng.choice(people),
                    "data": {"title": "Enquête"},
                }
                for i in range(start, min(start + 10_000, size["journal"]))
            ],
        )
    connection = await uow.session.connection()
    tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
    # The resources come with the toolbox (another branch): counted when their table exists.
    options.say(f"resources table: {'resources' in tables} (skipped when absent)")
    slug = await uow.session.scalar(select(Collective.slug).where(Collective.id == cid))
    return cid, str(slug)


def _export_in_child(url: str, slug: str, out: str) -> tuple[float, float]:
    """In a fresh process: seconds to write the archive, and the peak resident memory (MiB)."""
    from bot.config import Settings
    from bot.digest_cli import export_command

    settings = Settings(_env_file=None, database_url=url, token=None)
    started = time.perf_counter()
    asyncio.run(export_command(settings, slug, out=Path(out)))
    seconds = time.perf_counter() - started
    return seconds, _peak_mib()


def _peak_mib() -> float:
    """This process's peak resident set (VmHWM). Not `ru_maxrss`: Linux carries it over
    `exec`, so a child spawned by the bench would report the bench's own size (449 MiB in a
    full run, against 140 MiB for the export itself)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(options: Options) -> list[Row]:
    from bot.services import digest as svc
    from storage.db import create_engine, session_factory
    from storage.uow import UnitOfWork

    url = await sqlite_url(options, "b6")
    engine = create_engine(url)
    sessions = session_factory(engine)
    t0 = time.perf_counter()
    async with UnitOfWork(sessions) as uow:
        cid, slug = await fill(uow, options)
    options.say(f"filled in {time.perf_counter() - t0:.1f} s")
    counter = Counter(engine)
    times: list[float] = []
    statements: list[int] = []
    for _ in range(max(5, options.runs)):
        async with UnitOfWork(sessions) as uow:
            collective = await uow.collectives.get(cid)
            assert collective is not None
            counter.take()
            started = time.perf_counter()
            await svc.build(uow, collective, END)
            times.append((time.perf_counter() - started) * 1000)
            statements.append(counter.take()[0])
    await engine.dispose()
    export_times: list[float] = []
    peaks: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        pool = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
        with pool:
            for i in range(options.runs):
                seconds, peak = await asyncio.get_running_loop().run_in_executor(
                    pool, _export_in_child, url, slug, f"{folder}/archive-{i}.zip"
                )
                export_times.append(seconds)
                peaks.append(peak)
    synthese = statistics.median(times)
    export = statistics.median(export_times)
    peak = max(peaks)
    scale = "" if not options.quick else " (quick: a tenth of the data)"
    return [
        Row(
            "B7",
            f"weekly synthèse, no chart{scale}",
            synthese,
            "ms",
            target="< 150 ms",
            met=synthese < 150,
            runs=times,
        ),
        Row(
            "B7",
            f"SQL statements of one synthèse{scale}",
            float(max(statements)),
            "statements",
            target="≤ 20",
            met=max(statements) <= 20,
            runs=[float(s) for s in statements],
        ),
        Row(
            "B7",
            f"export archive (ZIP){scale}",
            export,
            "s",
            target="< 10 s",
            met=export < 10,
            runs=export_times,
        ),
        Row(
            "B7",
            f"export archive: peak memory of the process{scale}",
            peak,
            "MiB",
            target="< 300 MiB",
            met=peak < 300,
            runs=peaks,
            note="resident set of a fresh process, interpreter and imports included",
        ),
    ]


FIGURE = Figure("B7", "a year of one collective: the synthèse and the export", run, minutes=2.0)
