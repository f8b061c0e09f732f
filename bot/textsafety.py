"""Text people typed, made safe to keep and to show: invisible names refused, direction
overrides neutralised, whitespace tidied."""

from __future__ import annotations

import unicodedata

# Embeddings, overrides and isolates: a U+202E turns « Ferme » into « emreF » and can make a
# line say something else than it does. Shown text never carries them.
_BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None
)


def neutralise(text: str) -> str:
    """The text without direction controls (what is shown, whatever was stored)."""
    return text.translate(_BIDI_CONTROLS)


def visible(text: str) -> bool:
    """True when the text has at least one character a person can see."""
    for char in text:
        category = unicodedata.category(char)
        # Z*: spaces and separators; Cc: controls; Cf: format (zero-width, direction marks).
        if not (category.startswith("Z") or category in ("Cc", "Cf")) and not char.isspace():
            return True
    return False


def tidy(text: str) -> str:
    """Collapse runs of whitespace to one space; drop direction controls and zero-width
    characters at the ends."""
    text = neutralise(text)
    return " ".join(text.split()).strip("\u200b\u200c\u200d\u2060\ufeff")


def shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters: cut at the last word boundary (a word longer than
    half the room is cut inside), with « … » — for button captions, titles and chart labels."""
    if len(text) <= limit:
        return text
    room = text[: limit - 1]
    space = room.rfind(" ")
    if space >= limit // 2:
        room = room[:space]
    return room.rstrip(" ,;:.-–—·(«\u202f\u00a0") + "…"
