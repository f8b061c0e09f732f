"""Queries, grouped by what they are about. Services call these; handlers never do.

Each feature adds its own module; `UnitOfWork.repo(Cls)` gives any repository on the unit's
session.
"""

from storage.repos.base import Repo
from storage.repos.core import (
    CollectiveRepo,
    ConversationRepo,
    DeliveryRepo,
    DueRepo,
    InboxRepo,
    JournalRepo,
    LiveRepo,
    MembershipRepo,
    PersonRepo,
)

__all__ = [
    "CollectiveRepo",
    "ConversationRepo",
    "DeliveryRepo",
    "DueRepo",
    "InboxRepo",
    "JournalRepo",
    "LiveRepo",
    "MembershipRepo",
    "PersonRepo",
    "Repo",
]
