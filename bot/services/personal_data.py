"""What the surveys, votes, meetings and the charter keep about a person: their parts of
/mes_donnees and of /oublier (`PersonalData`, declared on each feature with `privacy=`).

Forgetting erases what is personal and keeps what the collective decided or counted:
- surveys: the named answers are deleted; anonymous answers (nothing links them to anyone)
  and who-took-part counts stay;
- votes: a public ballot stays as cast (a decision stays valid), shown as « membre
  supprimé », but the reason typed with it is erased; anonymous votes hold only counts;
  proxies stay (between electors, the person shown as « membre supprimé »);
- meetings: the answers to invitations and date polls, and attendance, are deleted;
- charter: a signature stays as the organisation's; the person behind it is « membre
  supprimé ».
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import aliased

from bot.services.privacy import PersonalData
from storage.models import (
    Charter,
    CharterSignature,
    CharterVersion,
    DatePoll,
    DatePollAnswer,
    DatePollSlot,
    Meeting,
    MeetingParticipant,
    Membership,
    Person,
    Survey,
    SurveyResponse,
    Vote,
    VoteBallot,
    VoteElector,
    VoteProxy,
)
from storage.uow import UnitOfWork


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _memberships(person: Person) -> Any:
    return select(Membership.id).where(Membership.person_id == person.id)


def _electors(person: Person) -> Any:
    return select(VoteElector.id).where(VoteElector.person_id == person.id)


# --- surveys


async def _export_surveys(uow: UnitOfWork, person: Person) -> list[dict[str, Any]]:
    rows = await uow.session.execute(
        select(Survey.title, SurveyResponse.answers, SurveyResponse.submitted_at)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(SurveyResponse.membership_id.in_(_memberships(person)))
        .order_by(SurveyResponse.id)
    )
    return [
        {"enquête": title, "réponses": answers, "envoyées_le": _when(at)}
        for title, answers, at in rows
    ]


async def _forget_surveys(uow: UnitOfWork, person: Person, now: datetime) -> None:
    await uow.session.execute(
        delete(SurveyResponse).where(SurveyResponse.membership_id.in_(_memberships(person)))
    )


# --- votes and proxies


async def _export_votes(uow: UnitOfWork, person: Person) -> dict[str, Any]:
    ballots = await uow.session.execute(
        select(Vote.title, VoteBallot.round, VoteBallot.choice, VoteBallot.grades)
        .add_columns(VoteBallot.reason, VoteBallot.at)
        .join(Vote, Vote.id == VoteBallot.vote_id)
        .where(VoteBallot.elector_id.in_(_electors(person)), Vote.anonymous.is_(False))
        .order_by(VoteBallot.at)
    )
    giver, holder = aliased(VoteElector), aliased(VoteElector)
    proxies = await uow.session.execute(
        select(Vote.title, VoteProxy.status, VoteProxy.created_at, giver.person_id)
        .add_columns(holder.person_id)
        .join(Vote, Vote.id == VoteProxy.vote_id)
        .join(giver, giver.id == VoteProxy.giver_id)
        .join(holder, holder.id == VoteProxy.holder_id)
        .where((giver.person_id == person.id) | (holder.person_id == person.id))
        .order_by(VoteProxy.id)
    )
    names: dict[int, str] = {}

    async def name(person_id: int) -> str:
        if person_id not in names:
            other = await uow.session.get(Person, person_id)
            names[person_id] = other.display_name if other is not None else "?"
        return names[person_id]

    document = {
        "votes_publics": [
            {
                "vote": title,
                "tour": round_,
                "choix": choice,
                "mentions": grades,
                "motif": reason,
                "le": _when(at),
            }
            for title, round_, choice, grades, reason, at in ballots
        ],
        "procurations": [
            {
                "vote": title,
                "sens": "donnée" if giver_id == person.id else "reçue",
                "à_ou_de": await name(holder_id if giver_id == person.id else giver_id),
                "état": status,
                "le": _when(at),
            }
            for title, status, at, giver_id, holder_id in proxies
        ],
    }
    return {key: value for key, value in document.items() if value}


async def _forget_votes(uow: UnitOfWork, person: Person, now: datetime) -> None:
    # The ballot stays (the decision stands); what was typed with it goes.
    await uow.session.execute(
        update(VoteBallot)
        .where(VoteBallot.elector_id.in_(_electors(person)), VoteBallot.reason.is_not(None))
        .values(reason=None)
    )


# --- meetings and date polls


async def _export_meetings(uow: UnitOfWork, person: Person) -> dict[str, Any]:
    invitations = await uow.session.execute(
        select(Meeting.title, Meeting.starts_at, MeetingParticipant.answer)
        .add_columns(MeetingParticipant.answered_at, MeetingParticipant.attended)
        .join(Meeting, Meeting.id == MeetingParticipant.meeting_id)
        .where(MeetingParticipant.person_id == person.id)
        .order_by(Meeting.starts_at)
    )
    polls = await uow.session.execute(
        select(DatePoll.title, DatePollSlot.starts_at, DatePollAnswer.answer)
        .join(DatePollSlot, DatePollSlot.id == DatePollAnswer.slot_id)
        .join(DatePoll, DatePoll.id == DatePollSlot.poll_id)
        .where(DatePollAnswer.person_id == person.id)
        .order_by(DatePollSlot.starts_at)
    )
    document = {
        "réunions": [
            {
                "réunion": title,
                "date": _when(starts),
                "réponse": answer,
                "répondu_le": _when(answered),
                "présence": attended,
            }
            for title, starts, answer, answered, attended in invitations
            if answer is not None or attended is not None
        ],
        "sondages_de_date": [
            {"sondage": title, "créneau": _when(starts), "réponse": answer}
            for title, starts, answer in polls
        ],
    }
    return {key: value for key, value in document.items() if value}


async def _forget_meetings(uow: UnitOfWork, person: Person, now: datetime) -> None:
    await uow.session.execute(
        delete(MeetingParticipant).where(MeetingParticipant.person_id == person.id)
    )
    await uow.session.execute(delete(DatePollAnswer).where(DatePollAnswer.person_id == person.id))


# --- the charter


async def _export_charter(uow: UnitOfWork, person: Person) -> list[dict[str, Any]]:
    rows = await uow.session.execute(
        select(CharterVersion.number, CharterSignature.organisation, CharterSignature.signed_at)
        .join(CharterVersion, CharterVersion.id == CharterSignature.version_id)
        .join(Charter, Charter.id == CharterVersion.charter_id)
        .where(CharterSignature.person_id == person.id)
        .order_by(CharterSignature.signed_at)
    )
    return [
        {"version": number, "organisation": organisation, "signée_le": _when(at)}
        for number, organisation, at in rows
    ]


async def _forget_charter(uow: UnitOfWork, person: Person, now: datetime) -> None:
    """Nothing to delete: the signature is the organisation's. The person row it points to is
    scrubbed by the platform's part (shown as « membre supprimé »)."""


SURVEYS = PersonalData("enquêtes", _export_surveys, _forget_surveys)
VOTES = PersonalData("votes", _export_votes, _forget_votes)
MEETINGS = PersonalData("réunions", _export_meetings, _forget_meetings)
CHARTER = PersonalData("charte", _export_charter, _forget_charter)
