"""Statements per update on the main paths: every statement SQLAlchemy executes for one update
(the inbox writes included, BEGIN/COMMIT/ROLLBACK not), for 5, 50 and 500 members in the
collective and for 1, 3 and 10 collectives per person. None may grow with the data.

One person joins a collective through the bot (every update counted), then edits their
profile and asks for help; the others are written to the database directly.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from bench import seed
from bench.core import Figure, Options, Row
from bench.rigs import sqlite_url

MEMBERS = (5, 50, 500)
COLLECTIVES = (1, 3, 10)
# (path, target): at most this many statements, whatever the data.
TARGETS = {
    "/aide in a group": 3,
    "profile step: typed answer": 8,
    "profile step: choice": 8,
    "profile step: toggle": 8,
    "profile step: Valider": 8,
    "profile edit: button": 8,
    "profile edit: typed answer": 8,
}
SKIPPED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class Counter:
    def __init__(self, engine: Any) -> None:
        self.count = 0
        self.statements: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(SKIPPED):
            self.count += 1
            self.statements.append(" ".join(statement.split())[:160])

    def take(self) -> tuple[int, list[str]]:
        found, seen = self.count, self.statements
        self.count, self.statements = 0, []
        return found, seen


async def count_paths(options: Options, members: int, collectives: int) -> dict[str, int]:
    from bot.config import Settings
    from bot.sandbox.harness import Harness

    url = await sqlite_url(options, f"statements-{members}-{collectives}")
    settings = Settings(_env_file=None, database_url=url, token=None)
    h = Harness(settings, migrate=False)
    sb = h.sandbox
    animator = sb.add_user("Claire", last_name="Morel")
    me = sb.add_user("Jeanne", last_name="Roux")
    others = [sb.add_user(f"Acteur{i}") for i in range(members - 2)]
    groups = [
        sb.create_group(f"Filière {i}", owner=animator, members=[me, *others] if i == 0 else [me])
        for i in range(collectives)
    ]
    counts: dict[str, int] = {}
    async with h:
        async with h.app.deps.uow() as uow:
            ids = await seed.collectives(uow, [(g.id, g.title or "") for g in groups])
            people = await seed.people(uow, [(u.id, u.first_name) for u in (animator, me, *others)])
            for i, collective_id in enumerate(ids):
                await seed.members(uow, collective_id, people[:1], role="animateur")
                if i == 0:
                    await seed.members(uow, collective_id, people[2:])
                else:
                    await seed.members(uow, collective_id, people[1:2])
        await h.flush()
        counter = Counter(h.app.deps.engine)
        group = groups[0]

        async def measure(path: str, action: Any) -> None:
            counter.take()
            await action
            counts[path], seen = counter.take()
            if options.verbose and members == MEMBERS[0] and collectives == COLLECTIVES[0]:
                print(f"    {path}: {counts[path]}")
                for statement in seen:
                    print(f"      {statement}")

        await measure("/rejoindre in the group", h.say(me, group, "/rejoindre"))
        await measure("join link (asks Telegram)", h.press(me, group, "Rejoindre en privé"))
        await measure("profile step: typed answer", h.say(me, None, "GAEC des Estives"))
        await measure("profile step: choice", h.press(me, None, "Entreprise ou exploitation"))
        await measure("profile step: toggle", h.press(me, None, "Élevage"))
        await measure("profile step: Valider", h.press(me, None, "Valider"))
        await h.say(me, None, "Allanche")
        await measure("profile: last answer, profile shown", h.press(me, None, "Oui, m'afficher"))
        await measure("profile edit: button", h.press(me, None, "Modifier la commune"))
        await measure("profile edit: typed answer", h.say(me, None, "Murat"))
        await measure("/aide in a group", h.say(me, group, "/aide"))
        await measure("/aide in private", h.say(me, None, "/aide"))
        if collectives == 1:
            await measure("/moi in private", h.say(me, None, "/moi"))
            await measure("/annuaire in private", h.say(me, None, "/annuaire"))
    return counts


async def run(options: Options) -> list[Row]:
    by_members = {n: await count_paths(options, n, 1) for n in MEMBERS}
    by_collectives = {
        k: by_members[MEMBERS[0]] if k == 1 else await count_paths(options, MEMBERS[0], k)
        for k in COLLECTIVES
    }
    rows: list[Row] = []
    for path, base in by_members[MEMBERS[0]].items():
        series = [by_members[n].get(path) for n in MEMBERS]
        kseries = [by_collectives[k].get(path) for k in COLLECTIVES]
        values = [v for v in (*series, *kseries) if v is not None]
        constant = len(set(values)) == 1
        target = TARGETS.get(path)
        met = constant and (target is None or max(values) <= target)
        rows.append(
            Row(
                "S",
                path,
                float(base),
                "statements",
                target=(f"≤ {target}, constant" if target is not None else "constant"),
                met=met,
                runs=[float(v) for v in values],
                note=(
                    "members 5/50/500: "
                    + "/".join(str(v) for v in series)
                    + "; collectives 1/3/10: "
                    + "/".join("—" if v is None else str(v) for v in kseries)
                ),
            )
        )
    return rows


FIGURE = Figure("S", "statements per update", run, minutes=1)
