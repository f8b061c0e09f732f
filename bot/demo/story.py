"""What the scenes share: the harness, the transcript, the cast by name, the output folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.demo.cast import Scene
from bot.sandbox.core import SandboxChat, SandboxUser
from bot.sandbox.harness import Harness
from bot.transcript import Transcript


@dataclass
class Story:
    harness: Harness
    transcript: Transcript
    out: Path
    users: dict[str, SandboxUser] = field(default_factory=dict)
    groups: dict[str, SandboxChat] = field(default_factory=dict)

    @property
    def scene(self) -> Scene:
        return Scene(self.harness, self.transcript)

    @property
    def sandbox(self) -> Any:
        return self.harness.sandbox

    def user(self, key: str, first_name: str, **kwargs: Any) -> SandboxUser:
        """A person of the cast, created once; later scenes find them by `key`."""
        if key not in self.users:
            self.users[key] = self.harness.sandbox.add_user(first_name, **kwargs)
        return self.users[key]

    async def restart(self) -> None:
        """The bot stops and a new one starts on the same database and sandbox, as after a
        restart of the process: what people were answering is picked up from the database."""
        old = self.harness
        await old.stop()
        new = Harness(old.settings, clock=old.clock, sandbox=old.sandbox, migrate=False)
        new._offset = old._offset
        await new.start()
        self.harness = new

    def group(self, key: str, title: str, **kwargs: Any) -> SandboxChat:
        if key not in self.groups:
            self.groups[key] = self.harness.sandbox.create_group(title, **kwargs)
        return self.groups[key]
