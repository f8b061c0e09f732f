"""`tisserand shell`: chat with the bot in the terminal, as several people, in the sandbox.

Every line typed is a message from the current person in the current chat, or a shell command
(`:moi`, `:groupe`, `:bouton`…). What follows is shown as a Telegram client would (see
`bot.transcript`): the bot's messages and their buttons, a message it edits, a keyboard that
changes, the answer to a press, a deletion. When a button opens the private chat, the shell
follows there.

Nothing is lost between two runs: the database is a SQLite file, and next to it the sandbox
(people, groups, messages, the last update number) and the shell's own state (who speaks,
where, the clock) are saved after every line.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.clock import FakeClock
from bot.config import Settings
from bot.sandbox.core import Sandbox, SandboxChat, SandboxError, SandboxMessage, SandboxUser
from bot.sandbox.harness import Harness
from bot.sandbox.world import PRESENT
from bot.sender import QuietHours
from bot.texts import format_when
from bot.transcript import Transcript, quoted, typeset

HELP = """Commandes du shell (toute autre ligne part comme un message) :
  :moi NOM            parler en tant que NOM (créé au besoin)
  :groupe [TITRE]     écrire dans le groupe TITRE (créé au besoin, vous en êtes propriétaire)
  :prive              écrire au bot en privé
  :bouton DÉBUT       toucher le bouton dont le libellé commence ainsi (majuscules, accents,
                      espaces et guillemets indifférents) ; :bouton 2 touche le deuxième
  :boutons            les boutons du dernier message du bot ici
  :rejoint / :quitte  entrer dans le groupe courant, ou en sortir
  :fichier CHEMIN     envoyer un fichier au bot, ici (un tableau à importer, un document)
  :attendre 2h        avancer l'horloge (30m, 2h, 1j) et faire ce qui est dû ; l'horloge du
                      shell ne bouge pas seule : ce que le bot fait plus tard (un rappel, un
                      accueil groupé, une synthèse) attend un :attendre
  :qui                qui parle, et où
  :aide               cette aide ;  :fin  quitter (tout est gardé pour la prochaine fois)"""

STATE_VERSION = 1
# Telegram's limit for one message; a client splits a longer text.
TEXT_LIMIT = 4096


def normalize(text: str) -> str:
    """A label as the shell compares it: no case, no accents, no quotes, one kind of space."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    plain = re.sub(r"[«»\"“”'’]", " ", plain)
    return " ".join(plain.casefold().split())


class NoButton(Exception):
    """What to tell the person when no button matches (a French sentence)."""


def find_button(messages: Sequence[SandboxMessage], wanted: str) -> tuple[SandboxMessage, str]:
    """The button `wanted` names among these messages' (newest first): the same label, or
    the only one starting so, or the only one containing it; a number picks by position in
    the newest keyboard."""
    target = normalize(wanted)
    for message in messages:
        labels = [str(b.get("text", "")) for b in message.inline_buttons]
        found = [label for label in labels if normalize(label) == target]
        for test in (str.startswith, str.__contains__):
            if found:
                break
            found = [label for label in labels if test(normalize(label), target)]
            if len(found) > 1:
                shown = "  ".join(f"[{label}]" for label in found)
                raise NoButton(
                    f"plusieurs boutons conviennent : {shown}. Tapez-en un peu plus, "
                    f"par exemple :bouton {found[0]}"
                )
        if found:
            return message, found[0]
    if messages and target.isdigit():
        labels = [str(b.get("text", "")) for b in messages[0].inline_buttons]
        if 1 <= int(target) <= len(labels):
            return messages[0], labels[int(target) - 1]
    if not messages:
        raise NoButton("aucun message du bot n'a de bouton ici")
    shown = "  ".join(f"[{b.get('text', '')}]" for b in messages[0].inline_buttons)
    first = str(messages[0].inline_buttons[0].get("text", ""))
    raise NoButton(
        f"aucun bouton ne commence par {quoted(wanted)}. Boutons du dernier message : {shown}. "
        f"Tapez par exemple :bouton {first}"
    )


def parse_delay(text: str) -> timedelta | None:
    match = re.fullmatch(r"(\d+)\s*(m|min|h|j|d)", text.strip().lower())
    if not match:
        return None
    value, unit = int(match.group(1)), match.group(2)
    if unit in ("m", "min"):
        return timedelta(minutes=value)
    return timedelta(hours=value) if unit == "h" else timedelta(days=value)


class Shell:
    def __init__(
        self,
        harness: Harness,
        *,
        saved: dict[str, Any] | None = None,
        out: Callable[[str], None] = print,
        received: Path | None = None,
    ) -> None:
        self.h = harness
        # Where the files the bot sends are written, to open them (None: not written).
        self.received = received
        self.written: set[tuple[int, int]] = set()
        self.sb = harness.sandbox
        self.out = out
        self.transcript = Transcript(self.sb, echo=True, out=out)
        self.users: dict[str, int] = {}
        self.groups: dict[str, int] = {}
        self.chat: SandboxChat | None = None
        saved = saved or {}
        self.users = {str(k): int(v) for k, v in (saved.get("users") or {}).items()}
        self.groups = {str(k): int(v) for k, v in (saved.get("groups") or {}).items()}
        current = saved.get("user")
        if isinstance(current, int) and current in self.sb.users:
            self.user = self.sb.user(current)
        else:
            self.user = self._user("Claire")
        chat = saved.get("chat")
        if isinstance(chat, int) and chat in self.sb.chats:
            self.chat = self.sb.chat(chat)

    def mark_received(self) -> None:
        """Files the bot sent before this start were written then: not again."""
        for chat_id in [*self.sb.users, *self.sb.chats]:
            for message in self.sb.bot_messages(chat_id):
                if message.document is not None or message.photo is not None:
                    self.written.add((chat_id, message.message_id))

    # --- who and where

    def _user(self, name: str) -> SandboxUser:
        for known, user_id in self.users.items():
            if normalize(known) == normalize(name):
                return self.sb.user(user_id)
        user = self.sb.add_user(name, username=re.sub(r"\W", "", normalize(name)) or None)
        self.users[name] = user.id
        return user

    def _group(self, title: str) -> SandboxChat | None:
        for known, chat_id in self.groups.items():
            if normalize(known) == normalize(title):
                return self.sb.chat(chat_id)
        return None

    def where(self) -> str:
        if self.chat is None:
            return "en privé avec Tisserand"
        return f"dans le groupe {quoted(self.chat.title or '')}"

    def prompt(self) -> str:
        return f"{self.user.first_name}@{self.chat.title if self.chat else 'privé'}> "

    def _in_chat(self) -> bool:
        return self.chat is None or self.chat.members.get(self.user.id, "left") in PRESENT

    def _present(self) -> bool:
        """Whether the person is in the chat they write in; if not, say how to get there."""
        if self._in_chat():
            return True
        assert self.chat is not None
        self.say(
            f"{self.user.first_name} n'est pas dans le groupe {quoted(self.chat.title or '')}"
            " : tapez :rejoint pour y entrer"
        )
        return False

    def say(self, text: str) -> None:
        """The shell's own words, between brackets, set like the bot's French."""
        self.out(f"({typeset(text)})")

    # --- one line

    async def handle(self, line: str) -> bool:
        """Handle one typed line; False to stop."""
        line = line.strip()
        if not line:
            return True
        start = len(self.transcript.lines)
        try:
            if not line.startswith(":"):
                await self._send(line)
                await self.h.tick()
                return True
            command, _, rest = line.partition(" ")
            go_on = await self._command(command.lower(), rest.strip())
            # What is due now goes now, as the running bot's loop sends it within seconds
            # (a survey's post in the group, a notice); only later work waits for :attendre.
            await self.h.tick()
            return go_on
        except NoButton as missing:
            self.say(str(missing))
            return True
        except SandboxError as refused:
            self.say(f"le bac à sable refuse : {refused}")
            return True
        finally:
            self.transcript.capture()
            self._follow(start)
            self._write_received()

    async def _send(self, text: str) -> None:
        if len(text) > TEXT_LIMIT:
            # What a Telegram client does with a long text: several messages, in order.
            parts = [text[i : i + TEXT_LIMIT] for i in range(0, len(text), TEXT_LIMIT)]
            self.say(
                f"texte de {len(text)} caractères : Telegram l'envoie en {len(parts)} messages"
            )
            for part in parts:
                await self._send(part)
            return
        if not self._in_chat():
            assert self.chat is not None
            self.say(
                f"{self.user.first_name} n'est pas dans le groupe {quoted(self.chat.title or '')}."
                " Tapez :rejoint pour y entrer, ou :prive pour écrire au bot en privé"
            )
            return
        await self.h.say(self.user, self.chat, text)

    async def _command(self, command: str, rest: str) -> bool:
        if command in (":fin", ":quit", ":q", ":quitter"):
            return False
        if command == ":moi":
            if not rest:
                self.say(f"vous êtes {self.user.first_name}. Pour changer : :moi NOM")
                return True
            self.user = self._user(rest)
            self.say(f"vous êtes maintenant {self.user.first_name}, {self.where()}")
        elif command == ":groupe":
            await self._switch_group(rest or "Filière de test")
        elif command in (":prive", ":privé"):
            self.chat = None
            self.say("vous écrivez maintenant au bot en privé")
        elif command == ":bouton":
            await self._press(rest)
        elif command == ":boutons":
            self._list_buttons()
        elif command == ":rejoint":
            await self._join()
        elif command == ":quitte":
            await self._leave()
        elif command == ":attendre":
            await self._wait(rest)
        elif command == ":fichier":
            await self._send_file(rest)
        elif command == ":qui":
            self.say(f"vous êtes {self.user.first_name}, {self.where()}")
        elif command == ":aide":
            self.out(HELP)
        else:
            self.say(f"commande inconnue : {command}. Tapez :aide pour la liste")
        return True

    async def _send_file(self, where: str) -> None:
        if not where:
            self.say("quel fichier ? Tapez :fichier suivi de son chemin")
            return
        path = Path(where.strip("\"'")).expanduser()
        try:
            content = path.read_bytes()
        except OSError as exc:
            self.say(f"impossible de lire {path} : {exc.strerror or type(exc).__name__}")
            return
        if not self._present():
            return
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        self.sb.send_document(self.user, self.chat, path.name, content, mime=mime)
        await self.h.flush()

    def _write_received(self) -> None:
        """Write each file the bot sent (documents, images) beside the database, once."""
        if self.received is None:
            return
        for chat_id in [*self.sb.users, *self.sb.chats]:
            for message in self.sb.bot_messages(chat_id):
                if (chat_id, message.message_id) in self.written:
                    continue
                if message.document is not None:
                    name, content = message.document[0], message.document[1]
                elif message.photo is not None:
                    name, content = f"image-{message.message_id}.png", message.photo
                else:
                    continue
                self.written.add((chat_id, message.message_id))
                self.received.mkdir(parents=True, exist_ok=True)
                target = self.received / f"{message.message_id}-{Path(name).name}"
                target.write_bytes(content)
                self.say(f"fichier reçu, enregistré sous {target}")

    async def _switch_group(self, title: str) -> None:
        found = self._group(title)
        if found is None:
            found = self.sb.create_group(title, owner=self.user)
            self.groups[title] = found.id
            self.chat = found
            self.say(
                f"groupe {quoted(title)} créé par {self.user.first_name}, avec Tisserand ; "
                "vous y écrivez maintenant"
            )
            await self.h.flush()
            return
        self.chat = found
        if self._in_chat():
            self.say(f"vous écrivez maintenant {self.where()}")
        else:
            self.say(
                f"{self.user.first_name} n'est pas dans ce groupe : tapez :rejoint pour y entrer"
            )

    async def _press(self, wanted: str) -> None:
        if not wanted:
            self.say("quel bouton ? Tapez :bouton suivi du début de son libellé")
            return
        target = self.chat if self.chat is not None else self.user
        messages = [m for m in reversed(self.sb.bot_messages(target)) if m.inline_buttons]
        message, label = find_button(messages, wanted)
        if not self._present():
            return
        await self.h.press(self.user, self.chat, label, message_id=message.message_id)

    def _list_buttons(self) -> None:
        target = self.chat if self.chat is not None else self.user
        messages = [m for m in reversed(self.sb.bot_messages(target)) if m.inline_buttons]
        if not messages:
            self.say("aucun message du bot n'a de bouton ici")
            return
        labels = [str(b.get("text", "")) for b in messages[0].inline_buttons]
        self.out("\n".join(f"  {n}. [{label}]" for n, label in enumerate(labels, 1)))

    async def _join(self) -> None:
        if self.chat is None:
            self.say(":rejoint entre dans le groupe courant : choisissez-le avec :groupe TITRE")
            return
        if self._in_chat():
            self.say(f"{self.user.first_name} est déjà {self.where()}")
            return
        await self.h.join(self.user, self.chat)

    async def _leave(self) -> None:
        if self.chat is None:
            self.say(":quitte sort du groupe courant : choisissez-le avec :groupe TITRE")
            return
        if not self._in_chat():
            self.say(f"{self.user.first_name} n'est pas {self.where()}")
            return
        await self.h.leave(self.user, self.chat)

    async def _wait(self, rest: str) -> None:
        delay = parse_delay(rest)
        if delay is None:
            self.say(":attendre attend une durée, par exemple :attendre 30m, 2h ou 1j")
            return
        report = await self.h.tick(delay)
        done = len(report.done)
        when = format_when(self.h.clock.now(), "Europe/Paris", "fr")
        self.say(
            f"il est maintenant {when}, heure de Paris ; "
            + (
                f"{done} tâche{'s' if done > 1 else ''} faite{'s' if done > 1 else ''}"
                if done
                else "rien n'était dû"
            )
        )

    def _follow(self, start: int) -> None:
        """After a deep link, carry on in the private chat; point out a private message."""
        new = self.transcript.lines[start:]
        private = f"privé · {self.user.first_name}"
        if any(line.kind == "open" and line.chat == private for line in new):
            if self.chat is not None:
                self.chat = None
                self.say("vous êtes maintenant en privé avec Tisserand ; :groupe pour revenir")
            return
        wrote = any(line.is_bot and line.kind == "message" and line.chat == private for line in new)
        if wrote and self.chat is not None:
            self.say("Tisserand vous a écrit en privé : tapez :prive pour lui répondre")

    # --- saving

    def state(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "now": self.h.clock.now().isoformat(),
            "user": self.user.id,
            "chat": self.chat.id if self.chat is not None else None,
            "users": self.users,
            "groups": self.groups,
        }


async def _number_after_the_inbox(harness: Harness) -> None:
    """A shell stopped between handling a line and saving the sandbox would number its next
    updates like ones the bot has handled already (and ignores): start after them."""
    async with harness.app.deps.uow() as uow:
        newest = await uow.inbox.newest(harness.sandbox.bot_id)
    updates = harness.sandbox.world.updates
    if newest is not None and updates.next_id <= newest:
        updates.next_id = newest + 1


class Files:
    """The shell's files: its database, and beside it the sandbox and the shell's state."""

    def __init__(self, db: Path) -> None:
        self.db = db
        base = db.with_suffix("") if db.suffix == ".db" else db
        self.sandbox = base.with_name(base.name + ".sandbox.json")
        self.shell = base.with_name(base.name + ".shell.json")
        self.received = base.with_name(base.name + "-fichiers")

    def database_files(self) -> list[Path]:
        return [self.db.with_name(self.db.name + suffix) for suffix in ("", "-wal", "-shm")]

    def remove_all(self) -> None:
        for path in [*self.database_files(), self.sandbox, self.shell]:
            path.unlink(missing_ok=True)

    def set_aside(self) -> Path:
        """Keep an old database out of the way (its update numbers would clash)."""
        aside = self.db.with_name(self.db.name + ".ancienne")
        for path in self.database_files():
            if path.exists():
                os.replace(path, path.with_name(path.name.replace(self.db.name, aside.name, 1)))
        return aside

    def read_shell(self) -> dict[str, Any]:
        try:
            data = json.loads(self.shell.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) and data.get("version") == STATE_VERSION else {}

    def save(self, shell: Shell) -> None:
        shell.sb.save_state(self.sandbox)
        temporary = self.shell.with_name(self.shell.name + ".tmp")
        temporary.write_text(json.dumps(shell.state(), ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.shell)


async def run_shell(
    settings: Settings,
    db: Path,
    *,
    fresh: bool = False,
    read: Callable[[str], str] = input,
    out: Callable[[str], None] = print,
) -> int:
    files = Files(db)
    if not db.resolve().parent.is_dir():
        out(typeset(f"(le dossier de la base n'existe pas : {db.resolve().parent})"))
        return 2
    if fresh:
        files.remove_all()
    if db.exists() and not files.sandbox.exists():
        aside = files.set_aside()
        out(
            typeset(
                f"(la base {db} n'avait pas d'état de bac à sable à côté : "
                f"mise de côté sous {aside})"
            )
        )
    saved = files.read_shell() if files.sandbox.exists() else {}
    start = datetime.fromisoformat(saved["now"]) if "now" in saved else datetime.now(UTC)
    clock = FakeClock(start)
    try:
        sandbox = (
            Sandbox.load_state(files.sandbox, now=clock.now) if files.sandbox.exists() else None
        )
    except (SandboxError, OSError, ValueError, KeyError):
        out(
            typeset(f"(l'état {files.sandbox} est illisible : tapez « tisserand shell --nouveau »)")
        )
        return 2
    settings = settings.replace(database_url=f"sqlite+aiosqlite:///{db}")
    async with Harness(settings, clock=clock, sandbox=sandbox) as harness:
        await _number_after_the_inbox(harness)
        shell = Shell(harness, saved=saved, out=out, received=files.received)
        shell.mark_received()
        out("Tisserand — le shell du bac à sable. Tapez :aide pour la liste des commandes.")
        if sandbox is None:
            shell.say(f"vous êtes {shell.user.first_name}, {shell.where()} ; base : {db}")
        else:
            people, groups = len(shell.users), len(shell.groups)
            shell.say(
                f"reprise : {people} personne{'s' if people > 1 else ''}, {groups} groupe"
                f"{'s' if groups > 1 else ''} ; vous êtes {shell.user.first_name}, "
                f"{shell.where()}"
            )
        quiet = QuietHours("Europe/Paris").next_allowed(clock.now())
        if quiet is not None:
            shell.say(
                f"il est {format_when(clock.now(), 'Europe/Paris', 'fr')}, heure de Paris : "
                "ce que le bot envoie de lui-même (rappels, notices, résultats dans le groupe) "
                f"attend la fin des heures calmes, {format_when(quiet, 'Europe/Paris', 'fr')} ;"
                " :attendre avance l'horloge"
            )
        await harness.flush()
        shell.transcript.capture()
        files.save(shell)
        while True:
            try:
                line = await asyncio.to_thread(read, shell.prompt())
            except (EOFError, KeyboardInterrupt):
                break
            keep_going = await shell.handle(line)
            files.save(shell)
            if not keep_going:
                break
    return 0
