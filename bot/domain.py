"""The domain's vocabulary: roles, statuses and visions, shared by services and storage.

Values are stored as they are written here; StrEnum members compare equal to those strings.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ANIMATEUR = "animateur"
    MEMBRE = "membre"
    OBSERVATEUR = "observateur"


class MembershipStatus(StrEnum):
    # Joining: the profile questions are not all answered yet. Reads nothing, votes nothing.
    ONBOARDING = "onboarding"
    ACTIVE = "active"
    LEFT = "left"


class CollectiveStatus(StrEnum):
    SETUP = "setup"
    ACTIVE = "active"


class Vision(StrEnum):
    CHAINE = "chaine"  # a chaîne de valeur: ordered maillons
    ECOSYSTEME = "ecosysteme"  # an écosystème d'acteurs: themes


class ConversationStatus(StrEnum):
    ACTIVE = "active"  # the question in front of the person now
    PARKED = "parked"  # set aside by another conversation; offered again when that one ends


class ConversationEnd(StrEnum):
    """How a conversation ended, as a late button of it reads it."""

    DONE = "done"  # its last answer was given (« Envoyer »)
    DISCARDED = "discarded"  # its subject closed under it (a survey closed or cancelled)


class InboxState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


ROLES = (Role.ANIMATEUR, Role.MEMBRE, Role.OBSERVATEUR)
# Who reads the annuaire and the profile: every role, once active.
READERS = ROLES
ANIMATORS = (Role.ANIMATEUR,)
