"""SQLAlchemy 2 typed models: the database is the truth for everything the bot knows.

One module per part of the domain; each feature adds its own module and imports it here, so
that Alembic and the tests see every table.
"""

from storage.models.base import NAMING, Base
from storage.models.core import (
    Collective,
    Conversation,
    Delivery,
    DueWork,
    InboxUpdate,
    JournalEntry,
    LiveMessage,
    Maillon,
    Membership,
    MembershipMaillon,
    Person,
)
from storage.models.votes import (
    Charter,
    CharterAmendment,
    CharterArticle,
    CharterSignature,
    CharterVersion,
    College,
    CollegeMember,
    Vote,
    VoteBallot,
    VoteCollege,
    VoteElector,
    VoteOption,
    VoteProxy,
    VoteRoll,
    VoteRound,
    VoteSettings,
    VoteTally,
)

__all__ = [
    "NAMING",
    "Base",
    "Charter",
    "CharterAmendment",
    "CharterArticle",
    "CharterSignature",
    "CharterVersion",
    "Collective",
    "College",
    "CollegeMember",
    "Conversation",
    "Delivery",
    "DueWork",
    "InboxUpdate",
    "JournalEntry",
    "LiveMessage",
    "Maillon",
    "Membership",
    "MembershipMaillon",
    "Person",
    "Vote",
    "VoteBallot",
    "VoteCollege",
    "VoteElector",
    "VoteOption",
    "VoteProxy",
    "VoteRoll",
    "VoteRound",
    "VoteSettings",
    "VoteTally",
]
