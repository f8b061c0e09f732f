"""A readable record of what happened in the sandbox: printed as it happens (the demo, the
shell), and written as Markdown and HTML (the demo's transcript).

It reads the sandbox's ordered event log (`Sandbox.events`), so it shows everything a
Telegram client would: the bot's messages with their bold, a button pressed (« Claire appuie
sur « Valider » »), a message the bot edited (its new text, once), a keyboard that changed, the
answer to a press (a toast), a message deleted, someone joining or leaving the group.

A story is told in sections: each has a title and a one-line caption naming the command at
work. Parts of a scene can be played `quiet()` (not shown) and summed up in a `table()`, so
that the transcript shows one onboarding in full rather than ten alike.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.catalog import CONTENT
from bot.sandbox.core import Sandbox
from bot.sandbox.events import (
    Answer,
    Deleted,
    Edited,
    Event,
    Markup,
    Pinned,
    Sent,
    UserEdit,
    UserJoin,
    UserLeave,
    UserMessage,
    UserPress,
)

NB = "\u202f"


def quoted(text: str) -> str:
    """« text », with the narrow no-break spaces French typography puts inside."""
    return f"«{NB}{text}{NB}»"


def typeset(text: str) -> str:
    """The narrator's French, set like the bot's: U+202F before : ; ! ? and inside « »."""
    # Only punctuation, not a command such as « :rejoint » that the text names.
    text = re.sub(r"[ \u00a0]([:;!?])(?=\s|$|\))", NB + r"\1", text)
    text = re.sub("«[ \u00a0]?(?!\u202f)", "«" + NB, text)
    return re.sub("(?<!\u202f)[ \u00a0]?»", NB + "»", text)


@dataclass(frozen=True)
class Line:
    """One thing the reader sees. `kind`: message (anyone's), press, open (a deep link opens
    the private chat), edit, markup, toast, alert, deleted, pinned, join, leave, user_edit,
    section (a title and its caption), aside (the narrator), table."""

    chat: str
    author: str
    text: str
    buttons: list[list[str]]
    document: str | None
    is_bot: bool
    note: bool = False  # a section's title
    kind: str = "message"
    html: str = ""  # the bot's text with its formatting, escaped (HTML output)
    caption: str = ""  # a section's one line: what the reader sees, which command does it
    anchor: str = ""  # a section's id, for the table of contents
    rows: tuple[tuple[str, ...], ...] = ()  # a table: its header, then its rows
    chat_id: int = 0


@dataclass
class Section:
    title: str
    caption: str
    anchor: str


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60] or "section"


# --- the bot's formatting, from Telegram's entities back to HTML

_TAGS = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "code": ("<code>", "</code>"),
    "pre": ("<pre>", "</pre>"),
    "spoiler": ("<span class=spoiler>", "</span>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
}


def _utf16_index(text: str) -> list[int]:
    """Python index of each UTF-16 position (Telegram counts entity offsets in UTF-16)."""
    index: list[int] = []
    for i, ch in enumerate(text):
        index += [i] * (2 if ord(ch) > 0xFFFF else 1)
    index.append(len(text))
    return index


def to_html(text: str, entities: Sequence[dict[str, Any]], start: int = 0) -> str:
    """`text[start:]` as escaped HTML, with the formatting its entities give it."""
    where = _utf16_index(text)
    opens: dict[int, list[str]] = {}
    closes: dict[int, list[str]] = {}
    for entity in sorted(entities, key=lambda e: (e["offset"], -e["length"])):
        tags = _TAGS.get(str(entity.get("type")))
        if tags is None:
            continue
        first = where[min(entity["offset"], len(where) - 1)]
        last = where[min(entity["offset"] + entity["length"], len(where) - 1)]
        first, last = max(first, start), max(last, start)
        if first >= last:
            continue
        opens.setdefault(first, []).append(tags[0])
        closes.setdefault(last, []).insert(0, tags[1])
    out: list[str] = []
    for i in range(start, len(text) + 1):
        out += closes.get(i, [])
        out += opens.get(i, [])
        if i < len(text):
            out.append(html.escape(text[i], quote=False))
    return "".join(out)


def _checked(rows: Sequence[Sequence[str]]) -> list[str]:
    return [label for row in rows for label in row if label.startswith("✅")]


class Transcript:
    def __init__(
        self,
        sandbox: Sandbox,
        *,
        echo: bool = True,
        out: Callable[[str], None] = print,
    ) -> None:
        self.sandbox = sandbox
        self.echo = echo
        self.out = out
        self.lines: list[Line] = []
        self.sections: list[Section] = []
        self._seen = 0  # events read so far
        self._quiet = 0
        self._opening: set[int] = set()  # users whose URL button press opens a chat

    # --- the story's structure

    def note(self, text: str, caption: str = "") -> None:
        """A new section: its title (what happens next) and a one-line caption."""
        self.capture()
        text, caption = typeset(text), typeset(caption)
        anchor = _slug(text)
        taken = {s.anchor for s in self.sections}
        n = 2
        while anchor in taken:
            anchor = f"{_slug(text)}-{n}"
            n += 1
        self.sections.append(Section(text, caption, anchor))
        self._add(
            Line(
                "",
                "",
                text,
                [],
                None,
                False,
                note=True,
                kind="section",
                caption=caption,
                anchor=anchor,
            )
        )

    section = note

    def aside(self, text: str) -> None:
        """The narrator, inside a section: what happens off-screen, or why."""
        self.capture()
        self._add(Line("", "", typeset(text), [], None, False, kind="aside"))

    def table(self, text: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A summary: what the reader did not see played out, row by row."""
        self.capture()
        body = tuple(tuple(str(cell) for cell in row) for row in rows)
        self._add(
            Line("", "", typeset(text), [], None, False, kind="table", rows=(tuple(header), *body))
        )

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Play without showing: what happens inside is left out of the transcript."""
        self.capture()
        self._quiet += 1
        try:
            yield
        finally:
            self.capture()
            self._quiet -= 1

    # --- reading the sandbox

    def capture(self) -> None:
        """Add what happened since the last look, in order."""
        events = self.sandbox.events_since(self._seen)
        self._seen += len(events)
        for event in events:
            line = self._line(event)
            if line is not None and not self._quiet:
                self._add(line)

    def _add(self, line: Line) -> None:
        self.lines.append(line)
        if self.echo:
            self.out(self.plain(line))

    def _chat_name(self, chat_id: int) -> str:
        chat = self.sandbox.chat(chat_id)
        if chat.type == "private":
            return f"privé · {self.sandbox.user(chat_id).first_name}"
        return chat.title or ""

    def _name(self, user_id: int) -> str:
        if user_id == self.sandbox.bot_id:
            return "Tisserand"
        if user_id in self.sandbox.users:
            return self.sandbox.user(user_id).first_name
        return "Quelqu'un"

    def _line(self, event: Event) -> Line | None:
        chat = self._chat_name(getattr(event, "chat_id", 0)) if hasattr(event, "chat_id") else ""
        chat_id = int(getattr(event, "chat_id", 0))
        if isinstance(event, Sent):
            message = event.message
            markup = to_html(event.text, event.entities)
            document = message.document[0] if message.document else None
            buttons = [list(row) for row in event.buttons]
            return Line(
                chat, "Tisserand", event.text, buttons, document, True, html=markup, chat_id=chat_id
            )
        if isinstance(event, Edited):
            text, start = event.text, 0
            if event.previous and text.startswith(event.previous) and text != event.previous:
                # A question and its answer below it: only what was added is new.
                start = len(event.previous)
                while start < len(text) and text[start].isspace():
                    start += 1
            shown = text[start:]
            markup = to_html(text, event.entities, start)
            buttons = [list(row) for row in event.buttons]
            return Line(
                chat,
                "Tisserand",
                shown,
                buttons,
                None,
                True,
                kind="edit",
                html=markup,
                caption="ajout" if start else "",
                chat_id=chat_id,
            )
        if isinstance(event, Markup):
            buttons = [list(row) for row in event.buttons]
            text = ", ".join(_checked(buttons)) if _checked(buttons) else ""
            return Line(
                chat, "Tisserand", text, buttons, None, True, kind="markup", chat_id=chat_id
            )
        if isinstance(event, Answer):
            kind = "alert" if event.alert else "toast"
            return Line(chat, "Tisserand", event.text, [], None, True, kind=kind, chat_id=chat_id)
        if isinstance(event, Deleted):
            return Line(
                chat, "Tisserand", event.text, [], None, True, kind="deleted", chat_id=chat_id
            )
        if isinstance(event, Pinned):
            found = self.sandbox.world.find(event.chat_id, event.message_id)
            text = found.plain if found is not None else ""
            return Line(chat, "Tisserand", text, [], None, True, kind="pinned", chat_id=chat_id)
        if isinstance(event, UserPress):
            if event.data is None:
                self._opening.add(event.user_id)
            label = event.label if event.label is not None else "un bouton périmé"
            return Line(
                chat,
                self._name(event.user_id),
                label,
                [],
                None,
                False,
                kind="press",
                chat_id=chat_id,
            )
        if isinstance(event, UserMessage):
            author = self._name(event.user_id)
            if event.message.sender_chat is not None:
                author = chat  # an anonymous administrator writes as the group
            if event.text.startswith("/start ") and event.chat_id == event.user_id:
                # The client's own message when a link opens the chat with the bot.
                self._opening.discard(event.user_id)
                return Line(chat, author, event.text, [], None, False, kind="open", chat_id=chat_id)
            document = event.message.document[0] if event.message.document else None
            media = sorted(event.message.media)
            text = event.text or (f"({', '.join(media)})" if media else "")
            return Line(chat, author, text, [], document, False, chat_id=chat_id)
        if isinstance(event, UserEdit):
            return Line(
                chat,
                self._name(event.user_id),
                event.text,
                [],
                None,
                False,
                kind="user_edit",
                chat_id=chat_id,
            )
        if isinstance(event, UserJoin):
            return Line(
                chat, self._name(event.user_id), "", [], None, False, kind="join", chat_id=chat_id
            )
        if isinstance(event, UserLeave):
            return Line(
                chat, self._name(event.user_id), "", [], None, False, kind="leave", chat_id=chat_id
            )
        return None

    # --- as text

    @staticmethod
    def sentence(line: Line) -> str:
        """What a line that is not a message says, as a sentence."""
        if line.kind == "press":
            return f"{line.author} appuie sur {quoted(line.text)}"
        if line.kind == "open":
            return f"{line.author} arrive dans la conversation privée avec Tisserand"
        if line.kind == "edit":
            return (
                "Tisserand complète son message"
                if line.caption
                else "Tisserand modifie son message"
            )
        if line.kind == "markup":
            if not line.buttons:
                return "Tisserand retire les boutons de son message"
            return "Tisserand met à jour les boutons"
        if line.kind == "toast":
            return f"Tisserand répond{NB}: {line.text}"
        if line.kind == "alert":
            return f"Tisserand répond (fenêtre d'alerte){NB}: {line.text}"
        if line.kind == "deleted":
            return f"Tisserand supprime son message {quoted(line.text[:60])}"
        if line.kind == "pinned":
            return f"Tisserand épingle {quoted(line.text[:60])}"
        if line.kind == "join":
            return f"{line.author} entre dans le groupe"
        if line.kind == "leave":
            return f"{line.author} quitte le groupe"
        if line.kind == "user_edit":
            return f"{line.author} modifie son message{NB}: {line.text}"
        return line.text

    def plain(self, line: Line) -> str:
        """A line for the terminal."""
        if line.kind == "section":
            return f"\n── {line.text}" + (f"\n   {line.caption}" if line.caption else "")
        if line.kind == "aside":
            return f"   ({line.text})"
        if line.kind == "table":
            widths = [max(len(row[i]) for row in line.rows) for i in range(len(line.rows[0]))]
            rows = [
                "   " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
                for row in line.rows
            ]
            return "\n".join([f"   {line.text}", *rows])
        head = f"[{line.chat}]"
        if line.kind == "message":
            body = line.text.replace("\n", "\n    ")
            sep = " " if "\n" not in line.text else "\n    "
            out = f"{head} {line.author}{NB}:{sep}{body}"
        elif line.kind == "edit":
            out = f"{head} ✎ {self.sentence(line)}{NB}:\n    " + line.text.replace("\n", "\n    ")
        elif line.kind == "markup" and line.buttons:
            out = f"{head} {self.sentence(line)}{NB}:"
        else:
            out = f"{head} {self.sentence(line)}"
        if line.kind in ("message", "edit", "markup"):
            for row in line.buttons:
                out += "\n    " + "  ".join(f"[{label}]" for label in row)
        if line.document:
            out += f"\n    📎 {line.document}"
        return out

    def markdown(self) -> str:
        parts = ["# Tisserand — démonstration\n"]
        if self.sections:
            parts.append("## Sommaire\n")
            parts += [f"{n}. [{s.title}](#{s.anchor})" for n, s in enumerate(self.sections, 1)]
            parts.append("")
        for line in self.lines:
            if line.kind == "section":
                parts.append(f'\n<a id="{line.anchor}"></a>\n\n## {_md(line.text)}\n')
                if line.caption:
                    parts.append(f"_{_md(line.caption)}_\n")
                continue
            if line.kind == "aside":
                parts.append(f"_({_md(line.text)})_\n")
                continue
            if line.kind == "table":
                header, *rows = line.rows
                parts.append(_md(line.text) + "\n")
                parts.append("| " + " | ".join(_md(c) for c in header) + " |")
                parts.append("|" + " --- |" * len(header))
                parts += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
                parts.append("")
                continue
            if line.kind in ("message", "edit"):
                # What people typed is text, never markup: a Markdown viewer renders raw HTML.
                quoted_text = "\n".join("> " + _md(row) for row in line.text.splitlines()) or ">"
                who = line.author if line.kind == "message" else f"✎ {self.sentence(line)}"
                parts.append(f"**{_md(who)}** · _{_md(line.chat)}_\n{quoted_text}")
            else:
                parts.append(f"> _{_md(self.sentence(line))}_ · {_md(line.chat)}")
                if line.kind == "markup":
                    parts.append(">")
            for row in line.buttons if line.kind in ("message", "edit", "markup") else []:
                parts.append("> " + " ".join(f"`[{_md(label)}]`" for label in row))
            if line.document:
                parts.append(f"> 📎 {_md(line.document)}")
            parts.append("")
        return "\n".join(parts) + "\n"

    def html(self) -> str:
        env = Environment(
            loader=FileSystemLoader(str(CONTENT)), autoescape=select_autoescape(default=True)
        )
        from markupsafe import Markup as Safe

        items = [
            {
                "line": line,
                "sentence": self.sentence(line),
                "body": Safe(line.html) if line.html else None,
            }
            for line in self.lines
        ]
        return env.get_template("transcript.html.j2").render(
            items=items, sections=self.sections, lines=self.lines
        )

    def write(self, folder: Path) -> None:
        self.capture()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "transcript.md").write_text(self.markdown(), encoding="utf-8")
        (folder / "transcript.html").write_text(self.html(), encoding="utf-8")


# What a Markdown viewer would take for HTML: a tag, a comment or declaration, an entity.
_AS_HTML = re.compile(r"<(?=[A-Za-z/!?])|&(?=#?\w+;)")


def _md(text: str) -> str:
    """Readable as it is in a plain text editor (« Fil & Trame », « . <= b »), and shown the
    same by a Markdown viewer: only what it would take for HTML is escaped, and no stray
    table column."""
    return _AS_HTML.sub(lambda m: html.escape(m.group()), text).replace("|", "\\|")
