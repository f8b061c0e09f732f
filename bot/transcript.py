"""A readable record of a sandbox conversation: printed, and written as Markdown and HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, select_autoescape

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
        chat_name = chat.title if chat.type != "private" else "privé"
        is_bot = message.from_id == self.sandbox.bot_id
        if is_bot:
            author = "Tisserand"
            if chat.type == "private":
                chat_name = f"privé · {self.sandbox.user(message.chat_id).first_name}"
        else:
            author = self.sandbox.user(message.from_id).first_name
        document = message.document[0] if message.document else None
        return Line(chat_name, author, message.plain, message.buttons, document, is_bot)

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
            quoted = "\n".join("> " + row for row in line.text.splitlines()) or ">"
            parts.append(f"**{line.author}** · _{line.chat}_\n{quoted}")
            for row in line.buttons:
                parts.append("> " + " ".join(f"`[{label}]`" for label in row))
            parts.append("")
        return "\n".join(parts) + "\n"

    def html(self) -> str:
        env = Environment(autoescape=select_autoescape(default_for_string=True))
        return env.from_string(_HTML).render(lines=self.lines, esc=html.escape)

    def write(self, folder: Path) -> None:
        self.capture()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "transcript.md").write_text(self.markdown(), encoding="utf-8")
        (folder / "transcript.html").write_text(self.html(), encoding="utf-8")


_HTML = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Tisserand — démonstration</title>
<style>
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;background:#eef1f4;color:#1d2630}
h2{font-size:1rem;margin:2rem 0 .5rem;color:#5a6b7b}
.m{background:#fff;border-radius:.6rem;padding:.5rem .8rem;margin:.4rem 0;max-width:80%}
.bot{background:#e3f2e6;margin-left:auto}
.who{font-size:.8rem;color:#5a6b7b}
.t{white-space:pre-wrap}
.b{display:inline-block;border:1px solid #7aa88a;border-radius:.4rem;padding:.1rem .5rem;margin:.2rem .2rem 0 0;font-size:.85rem}
</style></head><body><h1>Tisserand — démonstration</h1>
{% for l in lines %}{% if l.note %}<h2>{{ l.text }}</h2>{% else %}
<div class="m{{ ' bot' if l.is_bot }}"><div class="who">{{ l.author }} · {{ l.chat }}</div>
<div class="t">{{ l.text }}</div>{% for row in l.buttons %}<div>{% for b in row %}<span class="b">{{ b }}</span>{% endfor %}</div>{% endfor %}
{% if l.document %}<div>📎 {{ l.document }}</div>{% endif %}</div>{% endif %}
{% endfor %}</body></html>
"""
