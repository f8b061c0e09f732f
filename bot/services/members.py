"""Members of a collective: who may do what, joining and the profile conversation, roles,
leaving, the annuaire, and which collective a private command concerns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.catalog import familles
from bot.conversation import Flow, Kind, Option, Step, StepContext
from bot.domain import ANIMATORS, ROLES, CollectiveStatus, MembershipStatus, Role, Vision
from bot.services import journal, search
from bot.services.errors import Refusal
from bot.services.typed import clean_text
from bot.texts import caption
from storage.models import Collective, Conversation, Membership, Person
from storage.uow import UnitOfWork

PROFILE = "profile"
PROFILE_STEPS = ("organisation", "famille", "maillons", "commune", "consent")


def new_membership(collective_id: int, person_id: int, role: Role, now: datetime) -> Membership:
    """A membership at its start: the profile questions come next."""
    return Membership(
        collective_id=collective_id,
        person_id=person_id,
        role=role,
        status=MembershipStatus.ONBOARDING,
        joined_at=now,
        directory_consent=False,
    )


async def require_role(
    uow: UnitOfWork, collective: Collective, person: Person, roles: Sequence[Role]
) -> Membership:
    """The person's membership if it is active and its role is one of `roles`; else a
    refusal. Someone still answering the joining questions is not a member yet."""
    found = await uow.memberships.get(collective.id, person.id)
    if found is None or found.status == MembershipStatus.LEFT:
        raise Refusal("not_member", collective=collective.title)
    if found.status != MembershipStatus.ACTIVE:
        raise Refusal("join_unfinished", collective=collective.title)
    if found.role not in roles:
        raise Refusal("animateur_only")
    return found


class InGroup(StrEnum):
    """What Telegram says of a person and the collective's group, just before they join."""

    YES = "yes"
    NO = "no"
    # The bot cannot tell (it is not an administrator, or the call failed): nobody gets in.
    UNKNOWN = "unknown"


async def start_join(
    uow: UnitOfWork, collective: Collective, person: Person, now: datetime, in_group: InGroup
) -> tuple[Membership, bool]:
    """Begin (or resume) joining. True when the person is an active member already.
    The Telegram group is the door: only someone in it now may join."""
    if collective.status != CollectiveStatus.ACTIVE:
        raise Refusal("collective_not_ready")
    found = await uow.memberships.get(collective.id, person.id)
    if found is not None and found.status == MembershipStatus.ACTIVE:
        return found, True
    if in_group == InGroup.UNKNOWN:
        raise Refusal("join_unchecked", collective=collective.title)
    if in_group == InGroup.NO:
        raise Refusal("join_not_in_group", collective=collective.title)
    if found is None:
        found = new_membership(collective.id, person.id, Role.MEMBRE, now)
        uow.memberships.add(found)
    elif found.status == MembershipStatus.LEFT:
        found.status = MembershipStatus.ONBOARDING
        found.left_at = None
        found.joined_at = now
        # A returning animator comes back as a member: the team hands the role again.
        if found.role == Role.ANIMATEUR:
            found.role = Role.MEMBRE
    person.current_collective_id = collective.id
    await uow.memberships.flush()
    return found, False


async def find_membership(uow: UnitOfWork, membership_id: int) -> Membership:
    found = await uow.memberships.by_id(membership_id)
    if found is None:
        raise Refusal("stale_button")
    return found


# --- the profile conversation


@dataclass
class ProfileSubject:
    collective: Collective
    member: Membership


async def _load(uow: UnitOfWork, conversation: Conversation) -> ProfileSubject | None:
    if conversation.subject_id is None:
        return None
    found = await uow.memberships.with_collective(
        conversation.subject_id, person_id=conversation.person_id
    )
    if found is None or found[0].status == MembershipStatus.LEFT:
        return None
    return ProfileSubject(found[1], found[0])


async def _guard(ctx: StepContext) -> None:
    if ctx.subject.member.person_id != ctx.person.id:
        raise Refusal("stale_button")


def _params(ctx: StepContext) -> dict[str, object]:
    subject: ProfileSubject = ctx.subject
    famille = familles().get(subject.member.famille or "")
    return {
        "c": subject.collective,
        "member": subject.member,
        "editing": bool(ctx.data.get("_single")),
        "famille": famille.label(ctx.lang) if famille else "",
    }


def _typed(field: str, limit: int) -> Step:
    """A typed answer kept on the membership; its current value offered (« Garder « … » »)
    when editing, or when someone who left fills their profile again."""

    async def save(ctx: StepContext, value: str) -> None:
        setattr(ctx.subject.member, field, value)

    async def current(ctx: StepContext) -> str | None:
        value: str | None = getattr(ctx.subject.member, field)
        return value or None

    return Step(
        field,
        Kind.TEXT,
        f"members/ask_{field}",
        save,
        params=_params,
        parse=lambda ctx, text: clean_text(text, field=field, limit=limit),
        suggest=current,
    )


async def _save_famille(ctx: StepContext, code: str) -> None:
    famille = familles().get(code)
    if famille is None:
        raise Refusal("stale_button")
    ctx.subject.member.famille = famille.code
    ctx.subject.member.famille_ess = famille.ess


async def _save_maillons(ctx: StepContext, values: list[str]) -> None:
    subject: ProfileSubject = ctx.subject
    known = {m.id for m in subject.collective.maillons}
    chosen = [int(v) for v in values if v.isdigit() and int(v) in known]
    await ctx.uow.memberships.set_maillons(subject.member, chosen)


async def _save_consent(ctx: StepContext, value: str) -> None:
    ctx.subject.member.directory_consent = value == "1"


def _familles(ctx: StepContext) -> list[Option]:
    return [Option(f.code, f.label(ctx.lang)) for f in familles().values()]


def _maillons(ctx: StepContext) -> list[Option]:
    return [Option(str(m.id), m.name) for m in ctx.subject.collective.maillons]


def _consent_options(ctx: StepContext) -> list[Option]:
    return [
        Option("1", caption("consent_yes", ctx.lang)),
        Option("0", caption("consent_no", ctx.lang)),
    ]


async def _complete(ctx: StepContext) -> None:
    """The last answer: someone joining becomes an active member; an edit is journaled."""
    member: Membership = ctx.subject.member
    if member.status == MembershipStatus.ONBOARDING:
        member.status = MembershipStatus.ACTIVE
        await journal.record(
            ctx.uow,
            member.collective_id,
            "member_joined",
            ctx.now,
            actor_id=member.person_id,
            data={"role": member.role},
        )
    else:
        data = {"field": ctx.conversation.step} if ctx.data.get("_single") else {}
        await journal.record(
            ctx.uow,
            member.collective_id,
            "profile_edited",
            ctx.now,
            actor_id=member.person_id,
            data=data,
        )
    from bot.services.toolbox import index_member

    await index_member(ctx.uow, member)


PROFILE_FLOW = Flow(
    name=PROFILE,
    steps=(
        _typed("organisation", 200),
        Step(
            "famille",
            Kind.CHOICE,
            "members/ask_famille",
            _save_famille,
            params=_params,
            options=_familles,
        ),
        Step(
            "maillons",
            Kind.MULTI,
            "members/ask_maillons",
            _save_maillons,
            params=_params,
            options=_maillons,
            chosen=lambda ctx: [str(i) for i in ctx.subject.member.maillon_ids],
            applies=lambda ctx: bool(ctx.subject.collective.maillons),
        ),
        _typed("commune", 120),
        Step(
            "consent",
            Kind.YESNO,
            "members/ask_consent",
            _save_consent,
            params=_params,
            options=_consent_options,
        ),
    ),
    load=_load,
    guard=_guard,
    complete=_complete,
    title=lambda ctx: str(ctx.subject.collective.title),
    progress=True,
)


# --- leaving


async def check_can_leave(
    uow: UnitOfWork, collective: Collective, person: Person
) -> tuple[Membership, bool]:
    """The membership, and whether it is the last animator's (who must hand over first)."""
    found = await uow.memberships.get(collective.id, person.id)
    if found is None or found.status == MembershipStatus.LEFT:
        raise Refusal("not_member", collective=collective.title)
    last_animator = (
        found.role == Role.ANIMATEUR
        and found.status == MembershipStatus.ACTIVE
        and await uow.memberships.count_role(collective.id, Role.ANIMATEUR) <= 1
    )
    return found, last_animator


@dataclass(frozen=True)
class Departure:
    """Who left, and whether the annuaire showed them until then (someone who had not finished
    joining, or who did not consent, never appeared in it)."""

    person: Person
    listed: bool


def listed(member: Membership) -> bool:
    """Whether the annuaire shows this member."""
    return member.status == MembershipStatus.ACTIVE and member.directory_consent


async def leave(
    uow: UnitOfWork, collective: Collective, person: Person, now: datetime, *, via: str
) -> Membership:
    """Leave the collective: history stays, messages stop. The last animator cannot leave by
    command; if they leave the Telegram group, the longest-standing member takes over."""
    found, last_animator = await check_can_leave(uow, collective, person)
    if last_animator and via == "command":
        raise Refusal("last_animator_leave")
    found.status = MembershipStatus.LEFT
    found.left_at = now
    await uow.conversations.delete_for(person.id, collective.id)
    await journal.record(
        uow, collective.id, "member_left", now, actor_id=person.id, data={"via": via}
    )
    await search.forget(uow, "actor", found.id)
    if last_animator:
        await _promote_successor(uow, collective, now)
    return found


async def own_membership(uow: UnitOfWork, membership_id: int, presser: Person) -> Membership:
    """A membership a button is about, if it is the presser's: a button posted in the group
    for one person (« Quitter ») is theirs alone."""
    member = await find_membership(uow, membership_id)
    if member.person_id != presser.id:
        owner = await uow.people.get(member.person_id)
        raise Refusal("button_for_other", name=owner.display_name if owner else "")
    return member


async def leave_by_button(
    uow: UnitOfWork, membership_id: int, presser: Person, now: datetime
) -> tuple[Collective, Departure]:
    member = await own_membership(uow, membership_id, presser)
    collective = await uow.collectives.get(member.collective_id)
    if collective is None:
        raise Refusal("stale_button")
    was_listed = listed(member)
    await leave(uow, collective, presser, now, via="command")
    return collective, Departure(presser, was_listed)


async def _promote_successor(uow: UnitOfWork, collective: Collective, now: datetime) -> None:
    remaining = await uow.memberships.of_collective(collective.id)
    candidates = [m for m in remaining if m.role == Role.MEMBRE] or remaining
    if not candidates:
        return
    successor = candidates[0]
    previous, successor.role = successor.role, Role.ANIMATEUR
    await journal.record(
        uow,
        collective.id,
        "role_changed",
        now,
        subject_id=successor.person_id,
        data={"from": previous, "to": Role.ANIMATEUR, "reason": "last_animator_left"},
    )
    # The successor learns it in private (they are now the only animator the notice
    # reaches); the person who left is not named: they may have asked to be forgotten.
    from bot.notices import notify_animators

    await notify_animators(
        uow,
        collective,
        "roles/successor",
        now,
        once_per="ever",
        about=f"{successor.id}:{now.isoformat()}",
        params={"was": previous},
    )


async def left_group(
    uow: UnitOfWork, collective: Collective, telegram_id: int, now: datetime
) -> Departure | None:
    """Telegram says the person left the group: they leave the collective, whatever their
    role. Who left, when they were a member or joining (to tell them), else None."""
    person = await uow.people.by_telegram_id(telegram_id)
    if person is None:
        return None
    found = await uow.memberships.get(collective.id, person.id)
    if found is None or found.status == MembershipStatus.LEFT:
        return None
    was_listed = listed(found)
    await leave(uow, collective, person, now, via="group")
    return Departure(person, was_listed)


# --- roles


async def set_role(
    uow: UnitOfWork,
    collective: Collective,
    actor: Person,
    target_membership_id: int,
    role: str,
    now: datetime,
) -> Membership:
    """Change a member's role. There is always at least one animator."""
    await require_role(uow, collective, actor, ANIMATORS)
    if role not in ROLES:
        raise Refusal("stale_button")
    target = await uow.memberships.by_id(target_membership_id)
    if (
        target is None
        or target.collective_id != collective.id
        or target.status != MembershipStatus.ACTIVE
    ):
        raise Refusal("role_target_gone")
    if target.role == role:
        return target
    if (
        target.role == Role.ANIMATEUR
        and await uow.memberships.count_role(collective.id, Role.ANIMATEUR) <= 1
    ):
        raise Refusal("last_animator")
    previous, target.role = target.role, Role(role)
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
    mine = await require_role(uow, collective, actor, ANIMATORS)
    if mine.id == target_membership_id:
        raise Refusal("hand_over_self")
    target = await set_role(uow, collective, actor, target_membership_id, Role.ANIMATEUR, now)
    await set_role(uow, collective, actor, mine.id, Role.MEMBRE, now)
    return target


async def role_target(
    uow: UnitOfWork,
    collective: Collective,
    actor: Person,
    *,
    membership_id: int | None = None,
    telegram_id: int | None = None,
) -> Membership:
    """The member whose role an animator is about to change (by list or by reply)."""
    await require_role(uow, collective, actor, ANIMATORS)
    target: Membership | None = None
    if membership_id is not None:
        target = await uow.memberships.by_id(membership_id)
    elif telegram_id is not None:
        person = await uow.people.by_telegram_id(telegram_id)
        if person is not None:
            target = await uow.memberships.get(collective.id, person.id)
    if (
        target is None
        or target.collective_id != collective.id
        or target.status != MembershipStatus.ACTIVE
    ):
        raise Refusal("role_target_gone")
    return target


async def active_members(
    uow: UnitOfWork, collective: Collective, actor: Person
) -> list[Membership]:
    """The members an animator can pick from, oldest first."""
    await require_role(uow, collective, actor, ANIMATORS)
    return await uow.memberships.of_collective(collective.id)


# --- the annuaire


@dataclass(frozen=True)
class DirectoryEntry:
    maillon: str | None  # None: on no maillon
    famille: str  # famille code ("" when unknown)
    name: str
    username: str | None
    organisation: str | None
    commune: str | None

    @property
    def size(self) -> int:
        """About how many characters the entry takes on screen."""
        fields = (self.name, self.username, self.organisation, self.commune)
        return 16 + sum(len(f) for f in fields if f)


@dataclass(frozen=True)
class Directory:
    entries: list[DirectoryEntry]  # by maillon (chain order), then famille, then organisation
    shown: int
    hidden: int  # active members who did not consent to appear


async def directory(uow: UnitOfWork, collective: Collective, reader: Person) -> Directory:
    """Consenting active members, by maillon (in chain order), then by famille (catalogue
    order). An actor on two maillons appears under each."""
    await require_role(uow, collective, reader, ROLES)
    members = await uow.memberships.of_collective(collective.id)
    shown = [m for m in members if listed(m)]
    order = {code: i for i, code in enumerate(familles())}
    buckets: list[tuple[str | None, list[Membership]]] = [
        (maillon.name, [m for m in shown if maillon.id in m.maillon_ids])
        for maillon in collective.maillons
    ]
    buckets.append((None, [m for m in shown if not m.maillon_ids]))
    entries: list[DirectoryEntry] = []
    for maillon_name, bucket in buckets:
        ranked = sorted(
            bucket,
            key=lambda m: (order.get(m.famille or "", 99), (m.organisation or "").casefold()),
        )
        entries += [
            DirectoryEntry(
                maillon_name,
                m.famille or "",
                m.person.display_name,
                m.person.username,
                m.organisation,
                m.commune,
            )
            for m in ranked
        ]
    return Directory(entries, len(shown), len(members) - len(shown))


@dataclass(frozen=True)
class DirectoryGroup:
    maillon: str | None
    familles: list[tuple[str, list[DirectoryEntry]]]  # famille code, its entries


def group_entries(entries: Sequence[DirectoryEntry]) -> list[DirectoryGroup]:
    """Consecutive entries under their maillon, then their famille (order kept)."""
    groups: list[DirectoryGroup] = []
    for entry in entries:
        if not groups or groups[-1].maillon != entry.maillon:
            groups.append(DirectoryGroup(entry.maillon, []))
        familles_of = groups[-1].familles
        if not familles_of or familles_of[-1][0] != entry.famille:
            familles_of.append((entry.famille, []))
        familles_of[-1][1].append(entry)
    return groups


# --- which collective a private command concerns


async def collectives_of(uow: UnitOfWork, person: Person) -> list[Collective]:
    """The collectives where the person is active or joining, oldest first."""
    return await uow.memberships.collectives_of(person.id)


async def has_left(uow: UnitOfWork, person: Person) -> bool:
    """Did the person leave a collective? (« Vous ne faites plus partie… », not « encore ».)"""
    return await uow.memberships.has_left(person.id)


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


async def role_in(uow: UnitOfWork, collective: Collective, person: Person) -> Role | None:
    """The person's role if they are an active member, else None."""
    found = await uow.memberships.get(collective.id, person.id)
    return found.role if found is not None and found.status == MembershipStatus.ACTIVE else None


def vision_word(collective: Collective) -> str:
    """« maillons » for a chaîne de valeur, « thèmes » for an écosystème (label key)."""
    return "themes" if collective.vision == Vision.ECOSYSTEME else "maillons"
