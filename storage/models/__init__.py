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
from storage.models.surveys import (
    AnonymousResponse,
    Survey,
    SurveyParticipant,
    SurveyResponse,
    SurveyStatus,
    SurveyTemplate,
)

__all__ = [
    "NAMING",
    "AnonymousResponse",
    "Base",
    "Collective",
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
    "Survey",
    "SurveyParticipant",
    "SurveyResponse",
    "SurveyStatus",
    "SurveyTemplate",
]
