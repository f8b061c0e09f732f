"""A readable record of a sandbox conversation: printed, and written as Markdown and HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.catalog import CONTENT
from bot.sandbox.core import Sandbox, SandboxMessage


@dataclass(frozen=True)
class Line:
    chat: str
    author: str
    text: str
    buttons: list[list[str]]
    document: str | None
    is_bot: bool
    note: bool = False


def _md(text: str) -> str:
    return html.escape(text, quote=False)


class Transcript:
    def __init__(self, sandbox: Sandbox, *, echo: bool = True) -> None:
        self.sandbox = sandbox
        self.echo = echo
        self.lines: list[Line] = []
        self._seen: set[tuple[int, int]] = set()

    def note(self, text: str) -> None:
        """A stage direction: what happens next in the scene."""
        self.capture()
        self.lines.append(Line("", "", text, [], None, False, note=True))
        if self.echo:
            print(f"\n── {text}")

    def capture(self) -> None:
        """Add the messages not seen yet, in the order the sandbox received them."""
        for message in self.sandbox.all_messages():
            key = (message.chat_id, message.message_id)
            if key in self._seen or message.service:
                continue
            self._seen.add(key)
            line = self._line(message)
            self.lines.append(line)
            if self.echo:
                print(self._plain(line))

    def _line(self, message: SandboxMessage) -> Line:
        chat = self.sandbox.chat(message.chat_id)
        chat_name = (chat.title or "") if chat.type != "private" else "privé"
        is_bot = message.from_id == self.sandbox.bot_id
        if is_bot:
            author = "Tisserand"
            if chat.type == "private":
                chat_name = f"privé · {self.sandbox.user(message.chat_id).first_name}"
        elif message.from_id is None or message.from_id not in self.sandbox.users:
            author = chat_name  # an anonymous admin posts as the group
        else:
            author = self.sandbox.user(message.from_id).first_name
        document = message.document[0] if message.document else None
        return Line(chat_name, author, message.plain or "", message.buttons, document, is_bot)

    @staticmethod
    def _plain(line: Line) -> str:
        head = f"[{line.chat}] {line.author} :"
        body = line.text.replace("\n", "\n    ")
        out = f"{head} {body}" if "\n" not in line.text else f"{head}\n    {body}"
        for row in line.buttons:
            out += "\n    " + "  ".join(f"[{label}]" for label in row)
        if line.document:
            out += f"\n    📎 {line.document}"
        return out

    def markdown(self) -> str:
        parts = ["# Tisserand — démonstration\n"]
        for line in self.lines:
            if line.note:
                parts.append(f"\n## {line.text}\n")
                continue
            # What people typed is text, never markup: a Markdown viewer renders raw HTML.
            quoted = "\n".join("> " + _md(row) for row in line.text.splitlines()) or ">"
            parts.append(f"**{_md(line.author)}** · _{_md(line.chat)}_\n{quoted}")
            for row in line.buttons:
                parts.append("> " + " ".join(f"`[{_md(label)}]`" for label in row))
            parts.append("")
        return "\n".join(parts) + "\n"

    def html(self) -> str:
        env = Environment(
            loader=FileSystemLoader(str(CONTENT)), autoescape=select_autoescape(default=True)
        )
        return env.get_template("transcript.html.j2").render(lines=self.lines)

    def write(self, folder: Path) -> None:
        self.capture()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "transcript.md").write_text(self.markdown(), encoding="utf-8")
        (folder / "transcript.html").write_text(self.html(), encoding="utf-8")
