"""Answers people type, checked the same way everywhere: tidy, visible, within a limit."""

from __future__ import annotations

from bot.services.errors import Refusal
from bot.textsafety import tidy, visible


def clean_text(value: str, *, field: str, limit: int) -> str:
    """Tidy a typed answer; refuse an empty, invisible or over-long one (with the limit)."""
    text = tidy(value)
    if not text or not visible(text):
        raise Refusal("empty_answer", field=field)
    if len(text) > limit:
        raise Refusal("too_long", field=field, limit=limit, length=len(text))
    return text
