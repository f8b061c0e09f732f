"""Members of a collective: joining and the profile, roles, leaving, the annuaire."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.catalog import familles
from bot.services import journal
from bot.services.collectives import (
    ANIMATEUR,
    MEMBRE,
    OBSERVATEUR,
    ROLES,
    clean_text,
    new_membership,
)
from bot.services.errors import Refusal
from storage.models import Collective, Membership, Person
from storage.uow import UnitOfWork

PROFILE_STEPS = ("organisation", "famille", "maillons", "commune", "consent")
# Who may use what: the commands check these before anything else.
READERS = (ANIMATEUR, MEMBRE, OBSERVATEUR)


async def membership(uow: UnitOfWork, collective: Collective, person: Person) -> Membership | None:
    return await uow.memberships.get(collective.id, person.id)


async def require_role(
    uow: UnitOfWork, collective: Collective, person: Person, roles: Sequence[str]
) -> Membership:
    """The person's active membership, if their role is one of `roles`; else a refusal."""
    found = await uow.memberships.get(collective.id, person.id)
    if found is None or found.status == "left":
        raise Refusal("not_member", collective=collective.title)
    if found.role not in roles:
        raise Refusal("animateur_only" if roles == (ANIMATEUR,) else "members_only")
    return found


async def start_join(
    uow: UnitOfWork, collective: Collective, person: Person, now: datetime
) -> tuple[Membership, bool]:
    """Begin (or resume) onboarding. True when the person is already an active member."""
    if collective.status != "active":
        raise Refusal("collective_not_ready")
    found = await uow.memberships.get(collective.id, person.id)
    if found is not None and found.status == "active":
        return found, True
    if found is None:
        found = new_membership(collective.id, person.id, MEMBRE, now)
        uow.memberships.add(found)
    elif found.status == "left":
        found.status = "onboarding"
        found.left_at = None
        found.joined_at = now
        if found.role == ANIMATEUR:
            found.role = MEMBRE
    await uow.memberships.flush()
    return found, False


def next_profile_step(step: str) -> str | None:
    index = PROFILE_STEPS.index(step)
    return PROFILE_STEPS[index + 1] if index + 1 < len(PROFILE_STEPS) else None


def set_organisation(member: Membership, text: str) -> None:
    member.organisation = clean_text(text, field="organisation", limit=200)


def set_famille(member: Membership, code: str) -> None:
    famille = familles().get(code)
    if famille is None:
        raise Refusal("stale_button")
    member.famille = famille.code
    member.famille_ess = famille.ess


async def toggle_maillon(
    uow: UnitOfWork, collective: Collective, member: Membership, maillon_id: int
) -> None:
    if maillon_id not in {m.id for m in collective.maillons}:
        raise Refusal("stale_button")
    chosen = member.maillon_ids
    if maillon_id in chosen:
        chosen.remove(maillon_id)
    else:
        chosen.append(maillon_id)
    await uow.memberships.set_maillons(member, chosen)


def set_commune(member: Membership, text: str) -> None:
    member.commune = clean_text(text, field="commune", limit=120)


async def finish_profile(
    uow: UnitOfWork, member: Membership, consent: bool, now: datetime, *, editing: bool
) -> None:
    """The last step: consent to the annuaire. A new member becomes active."""
    member.directory_consent = consent
    if member.status != "active":
        member.status = "active"
        await journal.record(
            uow,
            member.collective_id,
            "member_joined",
            now,
            actor_id=member.person_id,
            data={"role": member.role},
        )
    elif editing:
        await journal.record(
            uow, member.collective_id, "profile_edited", now, actor_id=member.person_id
        )


async def profile_edited(uow: UnitOfWork, member: Membership, field: str, now: datetime) -> None:
    await journal.record(
        uow,
        member.collective_id,
        "profile_edited",
        now,
        actor_id=member.person_id,
        data={"field": field},
    )


async def check_can_leave(
    uow: UnitOfWork, collective: Collective, person: Person
) -> tuple[Membership, bool]:
    """The membership, and whether it is the last animator's (who must hand over first)."""
    found = await uow.memberships.get(collective.id, person.id)
    if found is None or found.status == "left":
        raise Refusal("not_member", collective=collective.title)
    last_animator = (
        found.role == ANIMATEUR
        and found.status == "active"
        and await uow.memberships.count_role(collective.id, ANIMATEUR) <= 1
    )
    return found, last_animator


async def leave(
    uow: UnitOfWork, collective: Collective, person: Person, now: datetime, *, via: str
) -> Membership:
    """Leave the collective: history stays, messages stop. The last animator cannot leave."""
    found, last_animator = await check_can_leave(uow, collective, person)
    if last_animator and via == "command":
        raise Refusal("last_animator_leave")
    found.status = "left"
    found.left_at = now
    await journal.record(
        uow, collective.id, "member_left", now, actor_id=person.id, data={"via": via}
    )
    if last_animator:
        await _promote_successor(uow, collective, now)
    return found


async def _promote_successor(uow: UnitOfWork, collective: Collective, now: datetime) -> None:
    """The last animator left the group: the longest-standing member takes over."""
    remaining = await uow.memberships.of_collective(collective.id)
    candidates = [m for m in remaining if m.role == MEMBRE] or remaining
    if not candidates:
        return
    successor = candidates[0]
    previous, successor.role = successor.role, ANIMATEUR
    await journal.record(
        uow,
        collective.id,
        "role_changed",
        now,
        subject_id=successor.person_id,
        data={"from": previous, "to": ANIMATEUR, "reason": "last_animator_left"},
    )


async def left_group(
    uow: UnitOfWork, collective: Collective, person: Person, now: datetime
) -> Membership | None:
    """Telegram says the person left the group: mark it, whatever their role."""
    found = await uow.memberships.get(collective.id, person.id)
    if found is None or found.status == "left":
        return None
    return await leave(uow, collective, person, now, via="group")


async def set_role(
    uow: UnitOfWork,
    collective: Collective,
    actor: Person,
    target_membership_id: int,
    role: str,
    now: datetime,
) -> Membership:
    """Change a member's role. There is always at least one animator."""
    await require_role(uow, collective, actor, (ANIMATEUR,))
    if role not in ROLES:
        raise Refusal("stale_button")
    target = await uow.memberships.by_id(target_membership_id)
    if target is None or target.collective_id != collective.id or target.status != "active":
        raise Refusal("role_target_gone")
    if target.role == role:
        return target
    if target.role == ANIMATEUR and await uow.memberships.count_role(collective.id, ANIMATEUR) <= 1:
        raise Refusal("last_animator")
    previous, target.role = target.role, role
    await journal.record(
        uow,
        collective.id,
        "role_changed",
        now,
        actor_id=actor.id,
        subject_id=target.person_id,
        data={"from": previous, "to": role},
    )
    return target


async def hand_over(
    uow: UnitOfWork, collective: Collective, actor: Person, target_membership_id: int, now: datetime
) -> Membership:
    """The animator passes the role on and becomes a member."""
    mine = await require_role(uow, collective, actor, (ANIMATEUR,))
    if mine.id == target_membership_id:
        raise Refusal("hand_over_self")
    target = await set_role(uow, collective, actor, target_membership_id, ANIMATEUR, now)
    await set_role(uow, collective, actor, mine.id, MEMBRE, now)
    return target


@dataclass(frozen=True)
class DirectoryEntry:
    name: str
    username: str | None
    organisation: str | None
    commune: str | None
    role: str


@dataclass(frozen=True)
class DirectoryGroup:
    maillon: str | None  # None: on no maillon
    familles: list[tuple[str, list[DirectoryEntry]]]  # famille code, entries


@dataclass(frozen=True)
class Directory:
    groups: list[DirectoryGroup]
    shown: int
    hidden: int  # active members who did not consent to appear


async def directory(uow: UnitOfWork, collective: Collective) -> Directory:
    """Consenting active members, by maillon (in chain order), then by famille (catalogue order)."""
    members = await uow.memberships.of_collective(collective.id)
    shown = [m for m in members if m.directory_consent]
    order = list(familles())
    groups: list[DirectoryGroup] = []
    buckets: list[tuple[str | None, list[Membership]]] = [
        (maillon.name, [m for m in shown if maillon.id in m.maillon_ids])
        for maillon in collective.maillons
    ]
    buckets.append((None, [m for m in shown if not m.maillon_ids]))
    for maillon_name, bucket in buckets:
        if not bucket:
            continue
        by_famille: dict[str, list[DirectoryEntry]] = {}
        for m in sorted(bucket, key=lambda m: (m.organisation or "").casefold()):
            by_famille.setdefault(m.famille or "", []).append(
                DirectoryEntry(
                    m.person.display_name, m.person.username, m.organisation, m.commune, m.role
                )
            )
        ordered = sorted(
            by_famille.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99
        )
        groups.append(DirectoryGroup(maillon_name, ordered))
    return Directory(groups, len(shown), len(members) - len(shown))


async def collectives_of(uow: UnitOfWork, person: Person) -> list[Collective]:
    """The collectives where the person is active or joining, oldest first."""
    result: list[Collective] = []
    for m in await uow.memberships.of_person(person.id):
        collective = await uow.collectives.get(m.collective_id)
        if collective is not None:
            result.append(collective)
    return result


async def current_collective(
    uow: UnitOfWork, person: Person
) -> Collective | list[Collective] | None:
    """The collective a private command concerns: the only one, the remembered one, or a choice."""
    mine = await collectives_of(uow, person)
    if not mine:
        return None
    if len(mine) == 1:
        return mine[0]
    for collective in mine:
        if collective.id == person.current_collective_id:
            return collective
    return mine


async def choose_collective(uow: UnitOfWork, person: Person, collective_id: int) -> Collective:
    for collective in await collectives_of(uow, person):
        if collective.id == collective_id:
            person.current_collective_id = collective.id
            return collective
    raise Refusal("stale_button")
