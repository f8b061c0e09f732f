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
from storage.models.greetings import Greeting
from storage.models.meetings import (
    AgendaItem,
    DatePoll,
    DatePollAnswer,
    DatePollSlot,
    Decision,
    Meeting,
    MeetingParticipant,
    MeetingSeries,
    MeetingSettings,
    RoadmapAction,
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
    "AgendaItem",
    "AnonymousResponse",
    "Base",
    "Collective",
    "Conversation",
    "DatePoll",
    "DatePollAnswer",
    "DatePollSlot",
    "Decision",
    "Delivery",
    "DueWork",
    "Greeting",
    "InboxUpdate",
    "JournalEntry",
    "LiveMessage",
    "Maillon",
    "Meeting",
    "MeetingParticipant",
    "MeetingSeries",
    "MeetingSettings",
    "Membership",
    "MembershipMaillon",
    "Person",
    "RoadmapAction",
    "Survey",
    "SurveyParticipant",
    "SurveyResponse",
    "SurveyStatus",
    "SurveyTemplate",
]
