"""`tisserand shell`: chat with the bot in the terminal, as several people, in the sandbox."""

from __future__ import annotations

import asyncio
import re
import shlex
from datetime import timedelta
from pathlib import Path

from bot.config import Settings
from bot.sandbox.core import SandboxChat, SandboxError, SandboxUser
from bot.sandbox.harness import Harness
from bot.transcript import Transcript

HELP = """Commandes du shell (tout le reste est envoyé comme message) :
  :moi NOM          parler en tant que NOM (créé au besoin)
  :groupe [TITRE]   écrire dans le groupe TITRE (créé au besoin, avec vous comme propriétaire)
  :prive            écrire en privé au bot
  :bouton LIBELLÉ   appuyer sur un bouton du dernier message du bot dans ce chat
  :rejoint / :quitte   entrer dans le groupe courant, ou le quitter
  :attendre 2h      avancer l'horloge (30m, 2h, 1j) et lancer ce qui est dû
  :qui              qui parle, et où
  :aide             cette aide ;  :fin  quitter"""


class Shell:
    def __init__(self, harness: Harness) -> None:
        self.h = harness
        self.sb = harness.sandbox
        self.transcript = Transcript(self.sb, echo=True)
        self.users: dict[str, SandboxUser] = {}
        self.groups: dict[str, SandboxChat] = {}
        self.user = self._user("Claire")
        self.chat: SandboxChat | None = None

    def _user(self, name: str) -> SandboxUser:
        if name not in self.users:
            self.users[name] = self.sb.add_user(name, username=name.lower())
        return self.users[name]

    async def handle(self, line: str) -> bool:
        """Handle one typed line; False to stop."""
        line = line.strip()
        if not line:
            return True
        if not line.startswith(":"):
            await self.h.say(self.user, self.chat, line)
            self.transcript.capture()
            return True
        command, _, rest = line.partition(" ")
        rest = rest.strip()
        if command in (":fin", ":quit", ":q"):
            return False
        if command == ":moi" and rest:
            self.user = self._user(rest)
        elif command == ":groupe":
            title = rest or "Filière de test"
            if title not in self.groups:
                self.groups[title] = self.sb.create_group(title, owner=self.user)
                await self.h.flush()
            self.chat = self.groups[title]
        elif command == ":prive":
            self.chat = None
        elif command == ":bouton" and rest:
            await self.h.press(self.user, self.chat, " ".join(shlex.split(rest)))
        elif command == ":rejoint" and self.chat is not None:
            await self.h.join(self.user, self.chat)
        elif command == ":quitte" and self.chat is not None:
            await self.h.leave(self.user, self.chat)
        elif command == ":attendre" and (delta := parse_delay(rest)) is not None:
            report = await self.h.tick(delta)
            print(f"(horloge : {self.h.clock.now():%d/%m %H:%M} UTC, {len(report.done)} tâche(s))")
        elif command == ":qui":
            where = self.chat.title if self.chat else "privé"
            print(f"({self.user.first_name}, dans {where})")
        else:
            print(HELP)
        self.transcript.capture()
        return True


def parse_delay(text: str) -> timedelta | None:
    match = re.fullmatch(r"(\d+)\s*(m|min|h|j|d)", text.strip().lower())
    if not match:
        return None
    value, unit = int(match.group(1)), match.group(2)
    if unit in ("m", "min"):
        return timedelta(minutes=value)
    return timedelta(hours=value) if unit == "h" else timedelta(days=value)


async def run_shell(settings: Settings, db: Path) -> int:
    settings = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{db}"})
    async with Harness(settings) as harness:
        shell = Shell(harness)
        print("Tisserand — shell du bac à sable. Tapez :aide pour l'aide.")
        print(f"(vous êtes {shell.user.first_name} ; base : {db})")
        while True:
            try:
                prompt = f"{shell.user.first_name}@{shell.chat.title if shell.chat else 'privé'}> "
                line = await asyncio.to_thread(input, prompt)
            except EOFError:
                break
            try:
                if not await shell.handle(line):
                    break
            except SandboxError as exc:
                print(f"({exc})")
    return 0
