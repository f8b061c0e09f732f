"""`tisserand shell`, through its own input and output: everything the bot does is shown, the
shell follows into the private chat, buttons are found forgivingly, errors say what to type,
and a restart carries on with the same people, groups and collectives."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.shell import Files, parse_delay, run_shell
from bot.transcript import typeset
from tests.helpers import nb

PARIS = ZoneInfo("Europe/Paris")


class Terminal:
    """Lines typed one after the other; what the shell printed and the prompts it showed."""

    def __init__(self, *lines: str) -> None:
        self.lines = list(lines)
        self.printed: list[str] = []
        self.prompts: list[str] = []

    def read(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.lines:
            raise EOFError
        return self.lines.pop(0)

    @property
    def out(self) -> Callable[[str], None]:
        return self.printed.append

    @property
    def text(self) -> str:
        return "\n".join(self.printed)


async def play(tmp_path: Path, *lines: str, fresh: bool = False) -> Terminal:
    terminal = Terminal(*lines)
    settings = Settings(_env_file=None, token=None)
    code = await run_shell(
        settings, tmp_path / "shell.db", fresh=fresh, read=terminal.read, out=terminal.out
    )
    assert code == 0
    return terminal


SETUP = (
    ":groupe Filière laine",
    "/filiere",
    ":bouton continuer",
    "Filière laine du Cantal",
    ":bouton Garder « filiere-laine-du-cantal »",  # plain spaces: the label has U+202F
    "Cantal",
    ":bouton chaine",
    ":bouton garder ces",
    ":bouton francais",
)


async def test_the_shell_shows_presses_edits_toasts_and_follows_into_private(
    tmp_path: Path,
) -> None:
    terminal = await play(tmp_path, *SETUP, ":bouton Garder « Filière laine »", ":qui")
    text = terminal.text
    assert nb("[Filière laine] Claire appuie sur « Continuer en privé »") in text
    assert typeset("(vous êtes maintenant en privé avec Tisserand ; :groupe pour revenir)") in text
    assert terminal.prompts[2] == "Claire@Filière laine> "
    assert terminal.prompts[3] == "Claire@privé> "
    assert nb("[privé · Claire] ✎ Tisserand complète son message :") in text
    assert nb("Votre réponse : filiere-laine-du-cantal") in text
    assert nb("Claire appuie sur « Chaîne de valeur »") in text
    # The name's « Garder » button is stale by now: Telegram shows the bot's alert.
    assert nb("Tisserand répond (fenêtre d'alerte) : Ce bouton n'est plus valable") in text
    assert "(vous êtes Claire, en privé avec Tisserand)" in text
    assert "le collectif est ouvert" in text


async def test_errors_say_what_to_type(tmp_path: Path) -> None:
    terminal = await play(
        tmp_path,
        *SETUP,
        ":moi Paul",
        ":groupe filiere laine",
        "/rejoindre",
        ":bouton zzz",
        ":attendre bientôt",
        ":xyz",
        ":rejoint",
        ":rejoint",
        ":bouton rejoindre",
        "GAEC",
        ":bouton entreprise ou",
        ":bouton elevage",
    )
    text = terminal.text
    for said in (
        "(Paul n'est pas dans le groupe « Filière laine ». Tapez :rejoint pour y entrer, "
        "ou :prive pour écrire au bot en privé)",
        "(aucun bouton ne commence par « zzz ». Boutons du dernier message :",
        "Tapez par exemple :bouton ",
        "(:attendre attend une durée, par exemple :attendre 30m, 2h ou 1j)",
        "(commande inconnue : :xyz. Tapez :aide pour la liste)",
        "(Paul est déjà dans le groupe « Filière laine »)",
    ):
        assert typeset(said) in text, said
    assert nb("Bienvenue, Paul !") in text  # the greeting, on :rejoint
    assert "Paul@privé> " in terminal.prompts
    # A toggle changes the keyboard: the new one is shown.
    assert nb("Tisserand met à jour les boutons :\n    [✅ Élevage]") in text
    assert "Traceback" not in text


async def test_a_restarted_shell_carries_on(tmp_path: Path) -> None:
    first = await play(tmp_path, *SETUP[:4])
    assert "Question 2 sur 6" in first.text
    files = Files(tmp_path / "shell.db")
    assert files.sandbox.exists() and files.shell.exists()
    behind = tmp_path / "behind"
    behind.mkdir()
    for path in (files.sandbox, files.shell):
        shutil.copy(path, behind / path.name)
    second = await play(tmp_path, *SETUP[4:], ":moi Paul", ":groupe Filière laine", ":rejoint")
    resumed = typeset(
        "(reprise : 1 personne, 1 groupe ; vous êtes Claire, en privé avec Tisserand)"
    )
    assert resumed in second.text
    assert "le collectif est ouvert" in second.text
    # The sandbox saved a line behind the database (a shell killed in between): the bot
    # still answers, with the same people, groups and collective.
    for path in (files.sandbox, files.shell):
        shutil.copy(behind / path.name, path)
    third = await play(tmp_path, "/aide", ":groupe Filière laine", "/filiere")
    assert nb("Vos collectifs : Filière laine du Cantal.") in third.text
    assert "Filière laine du Cantal\n    📍 Cantal" in third.text
    fresh = await play(tmp_path, ":qui", fresh=True)
    assert typeset("(vous êtes Claire, en privé avec Tisserand ; base :") in fresh.text


async def test_an_old_database_without_its_sandbox_is_set_aside(tmp_path: Path) -> None:
    await play(tmp_path, ":groupe Laine", "/aide")
    Files(tmp_path / "shell.db").sandbox.unlink()
    again = await play(tmp_path, "/aide")
    assert typeset(f"(la base {tmp_path / 'shell.db'} n'avait pas d'état de bac à sable") in (
        again.text
    )
    assert (tmp_path / "shell.db.ancienne").exists()
    assert "Ce que je peux faire pour vous" in again.text


async def test_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    terminal = Terminal(":qui")
    settings = Settings(_env_file=None, token=None)
    code = await run_shell(
        settings, tmp_path / "nulle-part" / "shell.db", read=terminal.read, out=terminal.out
    )
    assert code == 2
    assert terminal.printed == [
        typeset(f"(le dossier de la base n'existe pas : {tmp_path}/nulle-part)")
    ]


def test_delays() -> None:
    assert parse_delay("2h").total_seconds() == 7200  # type: ignore[union-attr]
    assert parse_delay("30m").total_seconds() == 1800  # type: ignore[union-attr]
    assert parse_delay("1j").days == 1  # type: ignore[union-attr]
    assert parse_delay("bientôt") is None


async def test_files_go_both_ways_and_long_texts_are_split(tmp_path: Path) -> None:
    sheet = tmp_path / "acteurs.csv"
    sheet.write_text(
        "organisation;famille;maillon;commune;contact\n"
        "Ferme du Puy Mary;Entreprise ou exploitation;Élevage;Salers;ferme@exemple.fr\n",
        encoding="utf-8",
    )
    terminal = await play(
        tmp_path,
        *SETUP,
        ":prive",
        "/importer",
        f":fichier {sheet}",
        ":fichier /nulle/part.csv",
        "/export",
        "x" * 5000,
    )
    text = terminal.text
    assert nb("Aperçu de l'import — acteurs.csv") in text
    assert nb("1 ligne comprise") in text
    assert typeset("(impossible de lire /nulle/part.csv : No such file or directory)") in text
    saved = sorted((tmp_path / "shell-fichiers").glob("*.zip"))
    assert len(saved) == 1 and saved[0].read_bytes().startswith(b"PK")
    assert typeset(f"(fichier reçu, enregistré sous {saved[0]})") in text
    assert typeset("(texte de 5000 caractères : Telegram l'envoie en 2 messages)") in text
    # A restart does not write the same files again.
    again = await play(tmp_path, ":qui")
    assert "fichier reçu" not in again.text


async def test_what_is_due_now_goes_without_waiting(tmp_path: Path) -> None:
    """The running bot's loop sends due work within seconds: the shell does not wait for
    :attendre to send what is already due (here, the notice to the last animator's
    successor)."""
    terminal = await play(
        tmp_path,
        _at_noon(),  # out of the quiet hours, when the bot sends of its own accord
        *SETUP,
        ":moi Paul",
        ":groupe Filière laine",
        ":rejoint",
        "/rejoindre",
        ":bouton rejoindre en privé",
        "GAEC des Estives",
        ":bouton entreprise ou",
        ":bouton élevage",
        ":bouton valider",
        "Allanche",
        ":bouton oui",
        ":moi Claire",
        ":groupe Filière laine",
        ":quitte",
    )
    assert nb("Vous faites maintenant partie de l'équipe d'animation") in terminal.text


async def test_at_night_the_shell_says_why_the_bot_waits(tmp_path: Path) -> None:
    """Started (or restarted) during the quiet hours, the shell says that what the bot
    sends of its own accord waits for the morning, and how to move the clock."""
    for folder, hours, quiet in (("night", 12, True), ("day", 0, False)):
        (tmp_path / folder).mkdir()
        await play(tmp_path / folder, _at_noon(hours=hours))
        restarted = await play(tmp_path / folder)  # its clock is now where :attendre left it
        assert (typeset("heures calmes") in restarted.text) is quiet, restarted.text


def _at_noon(hours: int = 0) -> str:
    """The :attendre that takes the shell's clock (the real time, at first) to noon in
    Paris, or `hours` after it."""
    now = datetime.now(PARIS)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    noon += timedelta(days=1) if noon <= now else timedelta()
    return f":attendre {int((noon - now).total_seconds() // 60) + 1 + 60 * hours}m"
