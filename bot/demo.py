"""`tisserand demo`: a filière laine comes together in the sandbox, start to finish."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.config import Settings
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
    Actor("Jeanne", "Roux", "GAEC des Estives", "Entreprise", ("Élevage", "Tonte"), "Allanche"),
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
        "Entreprise ESUS",
        ("Tissage et tricot", "Confection"),
        "Murat",
        consent=False,
    ),
    Actor(
        "Lucie", "Martin", "Lycée agricole Louis-Mallet", "Recherche", ("Élevage",), "Saint-Flour"
    ),
    Actor("Hugo", "Lefèvre", "Boutique Laine & Co", "Entreprise", ("Vente",), "Aurillac"),
    Actor("Amina", "Diallo", "France Active Auvergne", "Financeur", (), "Clermont-Ferrand"),
    Actor("Sophie", "Garnier", "CRESS Auvergne-Rhône-Alpes", "Réseau", (), "Lyon"),
)


class Scene:
    def __init__(self, harness: Harness, transcript: Transcript) -> None:
        self.h = harness
        self.t = transcript
        self.sb = harness.sandbox

    async def step(self, note: str, minutes: int = 2) -> None:
        self.h.clock.advance(timedelta(minutes=minutes))
        self.t.note(note)

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
        else:
            await h.press(animator, None, "Garder ces maillons")
        await h.press(animator, None, "Europe/Paris")
        await h.press(animator, None, "Français")

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
        if "Valider" in [label for row in last.buttons for label in row]:
            for maillon in actor.maillons:
                await h.press(user, None, maillon)
            await h.press(user, None, "Valider")
        await h.say(user, None, actor.commune)
        await h.press(user, None, "Oui, m'afficher" if actor.consent else "Non, merci")


async def play(harness: Harness, transcript: Transcript) -> dict[str, SandboxChat]:
    scene = Scene(harness, transcript)
    sb, h = harness.sandbox, harness
    claire = sb.add_user("Claire", last_name="Morel", username="claire_morel")
    marc = sb.add_user("Marc", last_name="Teyssier", username="marc_t")
    users = [sb.add_user(a.first_name, last_name=a.last_name, username=None) for a in WOOL_ACTORS]
    nadia = sb.add_user("Nadia", last_name="Brunet", username="nadia_alim")

    await scene.step("Claire crée le groupe de la filière laine et y ajoute Tisserand")
    wool = sb.create_group("Filière laine Cantal", owner=claire, members=[marc, *users])
    await h.flush()
    await h.say(claire, wool, "/aide")

    await scene.step("Claire fait du groupe un collectif : /filiere, puis la création en privé")
    await scene.register(
        claire,
        wool,
        {
            "name": "Filière laine du Cantal",
            "territoire": "Cantal et Cézallier",
            "vision": "Chaîne de valeur",
        },
    )
    await scene.onboard(
        claire,
        Actor("Claire", "Morel", "Pôle ESS du Cantal", "Réseau", (), "Saint-Flour"),
        via_group=None,
    )
    await scene.onboard(
        marc,
        Actor(
            "Marc", "Teyssier", "Communauté de communes Hautes Terres", "Collectivité", (), "Murat"
        ),
        via_group=wool,
    )

    await scene.step("Huit acteurs rejoignent le collectif avec /rejoindre", minutes=30)
    for user, actor in zip(users, WOOL_ACTORS, strict=True):
        await scene.onboard(user, actor, via_group=wool)
        h.clock.advance(timedelta(minutes=7))

    await scene.step("Un second collectif, alimentation durable, dont la CRESS fait aussi partie")
    food = sb.create_group("Alimentation durable Saint-Flour", owner=nadia, members=[users[7]])
    await h.flush()
    await scene.register(
        nadia,
        food,
        {
            "name": "Alimentation durable Saint-Flour",
            "territoire": "Saint-Flour Communauté",
            "vision": "Écosystème d'acteurs",
            "maillons": "Production, Restauration collective, Sensibilisation",
        },
    )
    sophie, cress = users[7], WOOL_ACTORS[7]
    await scene.onboard(
        sophie,
        Actor(
            cress.first_name,
            cress.last_name,
            cress.organisation,
            cress.famille,
            ("Restauration collective",),
            cress.commune,
        ),
        via_group=food,
    )
    await h.say(sophie, None, "/moi")

    await scene.step("Claire nomme Marc co-animateur avec /role")
    await h.say(claire, None, "/role")
    await h.press(claire, None, "Marc Teyssier")
    await h.press(claire, None, "Animateur·rice")

    await scene.step("Hugo quitte le groupe Telegram : il quitte aussi le collectif", minutes=60)
    await h.leave(users[5], wool)

    await scene.step("Paul consulte l'annuaire : il s'ouvre en privé")
    await h.say(users[1], wool, "/annuaire")
    await h.press(users[1], wool, "Ouvrir en privé")

    await scene.step("Claire lit le journal du collectif, en privé")
    await h.say(claire, None, "/journal")
    transcript.capture()
    return {"wool": wool, "food": food}


async def run_demo(out: Path, *, quiet: bool = False) -> int:
    """Play the scene on a fresh database inside `out`; write the transcripts there."""
    out.mkdir(parents=True, exist_ok=True)
    database = out / "demo.db"
    for leftover in out.glob("demo.db*"):
        leftover.unlink()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, token=None, database_url=f"sqlite+aiosqlite:///{database}"
    )
    harness = Harness(settings, clock=FakeClock(START))
    transcript = Transcript(harness.sandbox, echo=not quiet)
    async with harness:
        await play(harness, transcript)
    transcript.write(out)
    if not quiet:
        print(f"\nTranscription : {out / 'transcript.md'} et {out / 'transcript.html'}")
    shutil.rmtree(out / "__pycache__", ignore_errors=True)
    return 0
