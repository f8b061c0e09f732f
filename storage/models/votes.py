"""Decisions and the charter: votes, their electorate, roll, tallies, ballots and proxies;
colleges; the charter, its articles, versions, amendments and signatures.

Anonymity holds by construction: an anonymous vote keeps its roll (who took part) and its
tallies (how many chose what, per round and college), and nothing that joins them. Tally rows
are all created when a round opens and a ballot rewrites every tally row of its round and
college in one statement: no row, id, time or physical position follows the roll. Ballot rows
exist only for public votes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Vote(Base):
    """One decision: a /vote question, the whole charter, one of its articles, an amendment."""

    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), index=True
    )
    # question, charter, article, amendment; subject_id: the charter, article or amendment
    kind: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    # consent, majority, judgment
    method: Mapped[str] = mapped_column(String(20))
    threshold: Mapped[str] = mapped_column(String(20), default="half")
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    live_results: Mapped[bool] = mapped_column(Boolean, default=False)
    changeable: Mapped[bool] = mapped_column(Boolean, default=False)
    include_observers: Mapped[bool] = mapped_column(Boolean, default=False)
    use_colleges: Mapped[bool] = mapped_column(Boolean, default=False)
    quorum: Mapped[int] = mapped_column(default=0)  # percent of eligible voters; 0: none
    # draft (being set up), open, paused (a consent round ended; the team decides),
    # closed, cancelled
    status: Mapped[str] = mapped_column(String(20), default="draft")
    round: Mapped[int] = mapped_column(default=0)
    closes_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # adopted, rejected, quorum, objections, winner, tie, cancelled
    outcome: Mapped[str | None] = mapped_column(String(20))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class VoteOption(Base):
    """An option of a majority judgment (the other methods have fixed choices)."""

    __tablename__ = "vote_options"
    __table_args__ = (UniqueConstraint("vote_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    position: Mapped[int]  # from 1
    label: Mapped[str] = mapped_column(String(100))


class VoteRound(Base):
    """A round of a vote (consent decisions may need several); its result once closed."""

    __tablename__ = "vote_rounds"

    vote_id: Mapped[int] = mapped_column(
        ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    opened_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # The proposal as it stood for this round (the charter's text, the question's wording).
    proposal: Mapped[dict[str, Any]] = mapped_column(default=dict)
    outcome: Mapped[str | None] = mapped_column(String(20))
    # The figures, frozen at closing (participation, quorum, counts, ranking…).
    result: Mapped[dict[str, Any] | None]


class VoteCollege(Base):
    """A college as it was when the vote opened (later changes do not move an open vote)."""

    __tablename__ = "vote_colleges"

    vote_id: Mapped[int] = mapped_column(
        ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # from 1
    name: Mapped[str] = mapped_column(String(60))
    weight: Mapped[int]


class VoteElector(Base):
    """Someone who may vote: the members of the moment the vote opened."""

    __tablename__ = "vote_electors"
    __table_args__ = (UniqueConstraint("vote_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"))
    college: Mapped[int] = mapped_column(default=0)  # VoteCollege.position; 0: no colleges
    organisation: Mapped[str | None] = mapped_column(String(200))


class VoteRoll(Base):
    """Who took part in a round (and who cast it, for a proxy). No choice here, and, in an
    anonymous vote, no time either."""

    __tablename__ = "vote_roll"

    vote_id: Mapped[int] = mapped_column(
        ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True
    )
    round: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    elector_id: Mapped[int] = mapped_column(
        ForeignKey("vote_electors.id", ondelete="CASCADE"), primary_key=True
    )
    cast_by: Mapped[int | None] = mapped_column(Integer)  # the proxy holder's elector id
    at: Mapped[datetime | None]  # public votes only


class VoteTally(Base):
    """How many chose what, per round, college and option: every row is created when the
    round opens, and counts only change."""

    __tablename__ = "vote_tallies"

    vote_id: Mapped[int] = mapped_column(
        ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True
    )
    round: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    college: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    option: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 0: none
    choice: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)


class VoteBallot(Base):
    """A public vote's ballot: who chose what (and why, for an objection)."""

    __tablename__ = "vote_ballots"

    vote_id: Mapped[int] = mapped_column(
        ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True
    )
    round: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    elector_id: Mapped[int] = mapped_column(
        ForeignKey("vote_electors.id", ondelete="CASCADE"), primary_key=True
    )
    choice: Mapped[str | None] = mapped_column(String(20))
    grades: Mapped[dict[str, Any] | None]  # majority judgment: option position → grade
    reason: Mapped[str | None] = mapped_column(String(1000))
    cast_by: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime]


class VoteProxy(Base):
    """A proxy for one vote: the holder casts the giver's ballot too."""

    __tablename__ = "vote_proxies"
    __table_args__ = (UniqueConstraint("vote_id", "giver_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"))
    giver_id: Mapped[int] = mapped_column(ForeignKey("vote_electors.id", ondelete="CASCADE"))
    holder_id: Mapped[int] = mapped_column(
        ForeignKey("vote_electors.id", ondelete="CASCADE"), index=True
    )
    # active, withdrawn, lapsed (the giver voted in person)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class College(Base):
    """A college (as in a SCIC): a weighted group of members for majority votes."""

    __tablename__ = "colleges"
    __table_args__ = (UniqueConstraint("collective_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(ForeignKey("collectives.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(60))
    weight: Mapped[int]  # percent


class CollegeMember(Base):
    __tablename__ = "college_members"

    membership_id: Mapped[int] = mapped_column(
        ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True
    )
    college_id: Mapped[int] = mapped_column(
        ForeignKey("colleges.id", ondelete="CASCADE"), index=True
    )


class VoteSettings(Base):
    """A collective's rules for its decisions."""

    __tablename__ = "vote_settings"

    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), primary_key=True
    )
    proxies_per_holder: Mapped[int] = mapped_column(default=1)


class Charter(Base):
    """The filière's charter: its working text (articles), and its adopted versions."""

    __tablename__ = "charters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collective_id: Mapped[int] = mapped_column(
        ForeignKey("collectives.id", ondelete="CASCADE"), unique=True
    )
    title: Mapped[str] = mapped_column(String(200))
    preamble: Mapped[str] = mapped_column(String(2000), default="")
    # draft (never adopted), adopted
    status: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(default=0)  # the latest adopted version; 0: none
    published_at: Mapped[datetime | None]  # the draft, posted in the group
    created_at: Mapped[datetime]


class CharterArticle(Base):
    __tablename__ = "charter_articles"
    __table_args__ = (UniqueConstraint("charter_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    charter_id: Mapped[int] = mapped_column(ForeignKey("charters.id", ondelete="CASCADE"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(3000))
    approved_vote_id: Mapped[int | None] = mapped_column(Integer)  # an article vote it passed
    updated_at: Mapped[datetime]


class CharterVersion(Base):
    """An adopted version, frozen: its text, when and how it was adopted, where it is pinned."""

    __tablename__ = "charter_versions"
    __table_args__ = (UniqueConstraint("charter_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    charter_id: Mapped[int] = mapped_column(ForeignKey("charters.id", ondelete="CASCADE"))
    number: Mapped[int]
    text: Mapped[dict[str, Any]] = mapped_column(default=dict)  # title, preamble, articles
    adopted_at: Mapped[datetime]
    vote_id: Mapped[int | None] = mapped_column(Integer)
    change: Mapped[str | None] = mapped_column(String(300))  # what this version changed
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # its post in the group
    # pinned, missing_right (the bot may not pin), failed
    pin: Mapped[str | None] = mapped_column(String(20))


class CharterAmendment(Base):
    __tablename__ = "charter_amendments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    charter_id: Mapped[int] = mapped_column(
        ForeignKey("charters.id", ondelete="CASCADE"), index=True
    )
    article_id: Mapped[int] = mapped_column(ForeignKey("charter_articles.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    wording: Mapped[str] = mapped_column(String(3000))
    rationale: Mapped[str] = mapped_column(String(1000))
    # proposed, voting, merged (by the team, or adopted by a vote), declined, rejected (by vote)
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    reason: Mapped[str | None] = mapped_column(String(1000))  # why it was declined
    vote_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class CharterSignature(Base):
    """A member signed one version, for an organisation, on a date. A new version needs a new
    signature; the old one stays with the old version."""

    __tablename__ = "charter_signatures"
    __table_args__ = (UniqueConstraint("version_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("charter_versions.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    organisation: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime]
