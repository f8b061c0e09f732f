"""The weekly synthèse as people read it: the Telegram message (HTML, 4,096 characters at
most, else a short message with the whole synthèse as an HTML file), a standalone HTML page
(no external resource: it reads the same in a browser, on a phone and printed), its plain
text, and the participation chart."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from bot.services.digest import Digest
from bot.texts import caption, render

# Telegram's limit on a message's text.
MESSAGE_LIMIT = 4096
FILE_NAME = "synthese.html"


@dataclass(frozen=True)
class Output:
    """The synthèse in every form it goes out in."""

    message: str  # Telegram HTML, within the limit
    page: str  # a whole HTML document (the attached file, the e-mail's HTML part)
    text: str  # plain text (the e-mail's text part)
    too_long: bool  # `message` is a short one: `page` goes as a file with it
    chart: bytes | None = None  # the participation chart (PNG), when the week had news


def sections_html(digest: Digest, lang: str, now: datetime) -> list[Markup]:
    c = digest.collective
    return [
        Markup(render(f"digest/sections/{s.name}", lang, c=c, now=now, **s.params))
        for s in digest.sections
    ]


def full_output(digest: Digest, lang: str, now: datetime, chart: bytes | None = None) -> Output:
    c = digest.collective
    parts = sections_html(digest, lang, now)
    common = {"c": c, "d": digest, "sections": parts, "tz": c.timezone, "now": now}
    message = render("digest/message", lang, **common)
    too_long = len(message) > MESSAGE_LIMIT
    if too_long:
        message = render("digest/message_file", lang, **common)
    page = render("digest/page", lang, **common)
    return Output(message, page, plain_text(page), too_long, chart)


def quiet_output(digest: Digest, lang: str, now: datetime) -> Output:
    """A week with nothing new: the short version."""
    c = digest.collective
    message = render("digest/quiet", lang, c=c, d=digest, tz=c.timezone, now=now)
    common = {"c": c, "d": digest, "sections": [Markup(message)], "tz": c.timezone, "now": now}
    page = render("digest/page", lang, **common)
    return Output(message, page, plain_text(page), False)


_BLOCK = re.compile(r"</?(p|div|h1|h2|h3|li|ul|br|section|footer|header|tr)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]+>")
_STYLE = re.compile(r"<(style|head)\b.*?</\1>", re.I | re.S)


def plain_text(page: str) -> str:
    """The HTML page as plain text: blocks become lines, tags go, entities are undone."""
    text = _STYLE.sub("", page)
    text = _BLOCK.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"


def chart(weeks: Sequence[tuple[object, int]], lang: str) -> bytes:
    """Bars: for each recent week, the share of active members who took part."""
    from bot import charts

    labels = [caption("digest/week_of", lang, day=day) for day, _ in weeks]
    values = [share for _, share in weeks]
    with charts.figure(7.0, 3.2) as (fig, ax):
        ax.bar(range(len(values)), values, color=charts.ESS)
        ax.set_xticks(range(len(values)), labels, fontsize=8)
        for x, value in enumerate(values):
            ax.text(x, value, f"{value} %", ha="center", va="bottom", fontsize=8)
        ax.set_ylim(0, 100)
        ax.set_title(caption("digest/chart_title", lang), loc="left", fontweight="bold")
        ax.spines[["top", "right"]].set_visible(False)
        return charts.png(fig)
