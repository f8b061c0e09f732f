"""The demo's cast and the moves every scene reuses: registering a collective, onboarding an
actor. Tests play the same moves (one way to play a flow)."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from bot.transcript import Transcript

START = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # a Monday morning in Paris


@dataclass(frozen=True)
class Actor:
    first_name: str
    last_name: str
    organisation: str
    famille: str  # the button label, as the actor sees it
    maillons: tuple[str, ...]
    commune: str
    consent: bool = True


WOOL_ACTORS = (
    Actor(
        "Jeanne",
        "Roux",
        "GAEC des Estives",
        "Entreprise ou exploitation",
        ("Élevage", "Tonte"),
        "Allanche",
    ),
    Actor("Paul", "Vidal", "Tondeurs du Cézallier", "Association", ("Tonte",), "Marcenat"),
    Actor(
        "Inès",
        "Bonnet",
        "SCIC Laines d'Auvergne",
        "Coopérative",
        ("Lavage", "Filature"),
        "Saint-Flour",
    ),
    Actor(
        "Karim",
        "Haddad",
        "Atelier Fil & Trame",
        "Entreprise de l'ESS",
        ("Tissage et tricot", "Confection"),
        "Murat",
        consent=False,
    ),
    Actor(
        "Lucie", "Martin", "Lycée agricole Louis-Mallet", "Recherche", ("Élevage",), "Saint-Flour"
    ),
    Actor(
        "Hugo",
        "Lefèvre",
        "Boutique Laine & Co",
        "Entreprise ou exploitation",
        ("Vente",),
        "Aurillac",
    ),
    Actor(
        "Amina", "Diallo", "France Active Auvergne", "Financeur solidaire", (), "Clermont-Ferrand"
    ),
    Actor("Sophie", "Garnier", "CRESS Auvergne-Rhône-Alpes", "Réseau", (), "Lyon"),
)


class Scene:
    def __init__(self, harness: Harness, transcript: Transcript) -> None:
        self.h = harness
        self.t = transcript
        self.sb = harness.sandbox

    async def step(self, note: str, minutes: int = 2, *, caption: str = "") -> None:
        """A new section of the story, `minutes` later: its title, and a one-line caption
        saying what the reader sees and which command does it."""
        self.h.clock.advance(timedelta(minutes=minutes))
        self.t.note(note, caption)

    def aside(self, text: str) -> None:
        """The narrator: what happens off-screen, or why the story pauses."""
        self.t.aside(text)

    def quietly(self) -> AbstractContextManager[None]:
        """Play a part without showing it (then sum it up with `aside` or `table`)."""
        return self.t.quiet()

    def table(self, text: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.t.table(text, header, rows)

    async def register(
        self,
        animator: SandboxUser,
        group: SandboxChat,
        answers: dict[str, str],
        *,
        thread_id: int | None = None,
    ) -> None:
        """The animator types /filiere and answers the setup questions in private."""
        h = self.h
        await h.say(animator, group, "/filiere", thread_id=thread_id)
        if not animator.started:
            # Telegram lets a bot write only to people who opened a chat with it first.
            await h.press(animator, group, "Continuer en privé")
        await h.say(animator, None, answers["name"])
        await h.press(animator, None, "Garder")
        await h.say(animator, None, answers["territoire"])
        await h.press(animator, None, answers["vision"])
        if "maillons" in answers:
            await h.say(animator, None, answers["maillons"])
        elif answers["vision"] == "Écosystème d'acteurs":
            await h.press(animator, None, "Pas de thème")
        else:
            await h.press(animator, None, "Garder ces maillons")
        await h.press(animator, None, answers.get("language", "Français"))

    async def onboard(
        self, user: SandboxUser, actor: Actor, *, via_group: SandboxChat | None
    ) -> None:
        """Answer the profile questions (after /rejoindre in the group, if given)."""
        h = self.h
        if via_group is not None:
            await h.say(user, via_group, "/rejoindre")
            await h.press(user, via_group, "Rejoindre en privé")
        await h.say(user, None, actor.organisation)
        await h.press(user, None, actor.famille)
        last = self.sb.last_bot_message(user)
        labels = [label for row in last.buttons for label in row]
        if "Valider" in labels:
            # Someone filling the profile again finds their maillons ticked (« ✅ Vente »):
            # pressing one again would untick it. Tick what is missing, untick what is not theirs.
            for label in labels:
                if label.startswith("✅ ") != (label.removeprefix("✅ ") in actor.maillons):
                    await h.press(user, None, label)
            await h.press(user, None, "Valider")
        await h.say(user, None, actor.commune)
        await h.press(user, None, "Oui, m'afficher" if actor.consent else "Non, merci")
