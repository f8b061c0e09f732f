"""A collective and its members, played through a rig: registration, joining, the profile."""

from __future__ import annotations

import asyncio
from typing import Any

WOOL = {"name": "Filière laine du Cantal", "territoire": "Cantal", "vision": "Chaîne de valeur"}


async def settle(rig: Any) -> None:
    """Wait until every update queued so far is handled."""
    queue = rig.sandbox.world.updates
    while rig.completion.handled < queue.next_id - 1:  # noqa: ASYNC110 (polled, in a bench)
        await asyncio.sleep(0.002)


class Collective:
    """One group whose animator registered it, and its users (not members yet)."""

    def __init__(self, rig: Any, size: int, *, title: str = "Laine Cantal") -> None:
        sb = rig.sandbox
        self.rig = rig
        self.animator = sb.add_user("Claire", last_name="Morel", username="claire")
        self.users = [sb.add_user(f"Acteur{i}", last_name="Test") for i in range(size)]
        self.group = sb.create_group(title, owner=self.animator, members=self.users)

    async def register(self) -> None:
        rig, sb, a, g = self.rig, self.rig.sandbox, self.animator, self.group
        await settle(rig)
        await rig.act(sb.send_text(a, g, "/filiere"))
        if not a.started:
            await rig.act(sb.press(a, g, "Continuer en privé"))
        await rig.act(sb.send_text(a, None, WOOL["name"]))
        await rig.act(sb.press(a, None, "Garder"))
        await rig.act(sb.send_text(a, None, WOOL["territoire"]))
        await rig.act(sb.press(a, None, WOOL["vision"]))
        await rig.act(sb.press(a, None, "Garder ces maillons"))
        await rig.act(sb.press(a, None, "Français"))
        await fill(rig, a)
        await settle(rig)

    async def join(self, user: Any) -> int:
        """/rejoindre in the group, the private link, the five profile questions."""
        rig, sb = self.rig, self.rig.sandbox
        await rig.act(sb.send_text(user, self.group, "/rejoindre"))
        await rig.act(sb.press(user, self.group, "Rejoindre en privé"))
        return 2 + await fill(rig, user)


async def fill(rig: Any, user: Any) -> int:
    sb = rig.sandbox
    await rig.act(sb.send_text(user, None, "GAEC des Estives"))
    await rig.act(sb.press(user, None, "Entreprise ou exploitation"))
    await rig.act(sb.press(user, None, "Élevage"))
    await rig.act(sb.press(user, None, "Valider"))
    await rig.act(sb.send_text(user, None, "Allanche"))
    await rig.act(sb.press(user, None, "Oui, m'afficher"))
    return 6


async def edit_commune(rig: Any, user: Any, commune: str) -> None:
    """A profile edit: the button on the profile, then the typed answer."""
    sb = rig.sandbox
    await rig.act(sb.press(user, None, "Modifier la commune"))
    await rig.act(sb.send_text(user, None, commune))


async def floor_edit(rig: Any, user: Any, commune: str) -> None:
    """The floor's equivalent: a typed answer (answered with a button), then a press."""
    sb = rig.sandbox
    await rig.act(sb.send_text(user, None, commune))
    await rig.act(sb.press(user, None, "Modifier"))
