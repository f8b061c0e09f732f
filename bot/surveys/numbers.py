"""Numbers as people type them in France (« 1 500 », « 12,5 », « 2 t ») and as they read them."""

from __future__ import annotations

import re

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)")


class NotANumber(ValueError):
    pass


def parse_number(text: str, unit: str = "") -> float:
    """The number in `text`, with the unit after it or not; NotANumber otherwise."""
    value = text.strip().rstrip(".")
    if unit:
        folded = value.casefold()
        for suffix in (unit.casefold(), unit.casefold().rstrip("s")):
            if suffix and folded.endswith(suffix):
                value = value[: -len(suffix)]
                break
    value = _SPACES.sub("", value)
    if not _NUMBER.fullmatch(value):
        raise NotANumber(text)
    return float(value.replace(",", "."))


def as_stored(value: float, integer: bool) -> int | float:
    """An integer when it is one (JSON, exports), else the decimal."""
    return int(value) if integer or value == int(value) else value


def show(value: float | int | None, lang: str = "fr", unit: str = "") -> str:
    """« 1 500 », « 12,5 t » (a narrow no-break space between thousands, as French writes)."""
    if value is None:
        return ""
    from babel.numbers import format_decimal  # loaded when first needed, not at start

    text = format_decimal(value, format="#,##0.##", locale="fr" if lang != "en" else "en")
    return f"{text}\u00a0{unit}" if unit else text
