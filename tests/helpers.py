"""Small scene builders for tests, on top of the demo's own Scene (one way to play a flow)."""

from __future__ import annotations

from bot.demo import Actor, Scene
from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from bot.transcript import Transcript
from storage.models import Collective, Membership

NB = "\u202f"


def nb(text: str) -> str:
    """French typography as the templates write it: a narrow no-break space before : ; ! ? %
    and inside « »."""
    for plain, typeset in (
        (" :", NB + ":"),
        (" ?", NB + "?"),
        (" !", NB + "!"),
        (" ;", NB + ";"),
        (" %", NB + "%"),
        ("« ", "«" + NB),
        (" »", NB + "»"),
    ):
        text = text.replace(plain, typeset)
    return text


WOOL = {"name": "Filière laine du Cantal", "territoire": "Cantal", "vision": "Chaîne de valeur"}
FOOD = {
    "name": "Alimentation durable",
    "territoire": "Saint-Flour",
    "vision": "Écosystème d'acteurs",
    "maillons": "Production, Restauration",
}


def scene(h: Harness) -> Scene:
    return Scene(h, Transcript(h.sandbox, echo=False))


async def food_collective(
    h: Harness, animator: SandboxUser, members: list[SandboxUser]
) -> SandboxChat:
    """A registered écosystème d'acteurs (themes Production, Restauration): its group."""
    food = h.sandbox.create_group("Alimentation", owner=animator, members=members)
    await h.flush()
    await scene(h).register(animator, food, FOOD)
    return food


async def wool_collective(
    h: Harness, *, members: int = 2
) -> tuple[SandboxChat, SandboxUser, list[SandboxUser]]:
    """A registered wool collective: its group, its animator, and users in the group."""
    sb = h.sandbox
    animator = sb.add_user("Claire", last_name="Morel", username="claire")
    users = [sb.add_user(f"Acteur{i}", last_name="Test") for i in range(members)]
    group = sb.create_group("Laine Cantal", owner=animator, members=users)
    await h.flush()
    s = scene(h)
    await s.register(animator, group, WOOL)
    await s.onboard(
        animator, Actor("Claire", "Morel", "Pôle ESS", "Réseau", (), "Murat"), via_group=None
    )
    return group, animator, users


def actor(
    org: str = "GAEC des Estives",
    famille: str = "Entreprise ou exploitation",
    maillons: tuple[str, ...] = ("Élevage",),
    commune: str = "Allanche",
    consent: bool = True,
) -> Actor:
    return Actor("X", "Y", org, famille, maillons, commune, consent)


async def in_two_collectives(harness: Harness) -> tuple[SandboxUser, SandboxUser]:
    """Sophie, a member of the wool collective and of a food one (the current), and Claire,
    the wool collective's animator."""
    group, claire, users = await wool_collective(harness)
    sb = harness.sandbox
    sophie = users[0]
    await scene(harness).onboard(sophie, actor(org="CRESS"), via_group=group)
    nadia = sb.add_user("Nadia")
    food = await food_collective(harness, nadia, [sophie])
    await scene(harness).onboard(
        sophie, actor(org="CRESS", maillons=("Production",)), via_group=food
    )
    return sophie, claire


async def forget_choice(harness: Harness, user: SandboxUser) -> None:
    async with harness.app.deps.uow() as uow:
        person = await uow.people.by_telegram_id(user.id)
        assert person is not None
        person.current_collective_id = None


async def collective_of(h: Harness, group: SandboxChat) -> Collective:
    async with h.app.deps.uow() as uow:
        found = await uow.collectives.by_chat(group.id)
        assert found is not None
        return found


async def membership_of(h: Harness, group: SandboxChat, user: SandboxUser) -> Membership | None:
    async with h.app.deps.uow() as uow:
        collective = await uow.collectives.by_chat(group.id)
        person = await uow.people.by_telegram_id(user.id)
        if collective is None or person is None:
            return None
        return await uow.memberships.get(collective.id, person.id)


async def journal_kinds(h: Harness, group: SandboxChat) -> list[str]:
    async with h.app.deps.uow() as uow:
        collective = await uow.collectives.by_chat(group.id)
        assert collective is not None
        entries = await uow.journal.page(collective.id, offset=0, limit=1000)
        return [e.kind for e in reversed(entries)]


async def every_row(h: Harness, *, xmin: bool = False) -> dict[str, list[dict[str, object]]]:
    """Every row of every table as someone holding the database reads it: with its physical
    position (SQLite's rowid, PostgreSQL's ctid, and xmin if asked), in physical order. A
    SQLite table WITHOUT ROWID has no position to read."""
    from sqlalchemy import inspect, text
    from sqlalchemy.exc import OperationalError

    engine = h.app.deps.engine
    found: dict[str, list[dict[str, object]]] = {}
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
        for name in sorted(names):
            if engine.dialect.name == "postgresql":
                extra = ', xmin::text AS "_xmin"' if xmin else ""
                query = f'SELECT ctid::text AS "_ctid"{extra}, * FROM "{name}" ORDER BY ctid'
            else:
                query = f'SELECT rowid AS "_rowid", * FROM "{name}" ORDER BY rowid'
            try:
                result = await conn.execute(text(query))
            except OperationalError:  # a SQLite table WITHOUT ROWID
                await conn.rollback()
                result = await conn.execute(text(f'SELECT * FROM "{name}"'))
            found[name] = [dict(row._mapping) for row in result]
    return found
