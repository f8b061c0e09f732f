"""Settings read from the environment (or a `.env` file), as listed in CONTRACT.md.

Read by this module rather than by pydantic-settings: for a dozen flat settings, that library
cost every start about 200 ms and 20 MiB (pydantic's validation core). The rules are those
of the usual settings libraries: a value given to `Settings(...)` wins over the environment,
which wins over the `.env` file; names are `TISSERAND_` + the field, in any case; an empty
value counts as unset; other `TISSERAND_` variables are ignored.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///tisserand.db"
ASYNC_DRIVERS = {"sqlite+aiosqlite", "postgresql+asyncpg"}
PREFIX = "TISSERAND_"


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line for the operator."""


class Secret:
    """A value that is never shown: not in a repr, a log line or an error message."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


# --- how each kind of value is read; a ValueError's text is said to the operator


def _text(value: Any) -> str:
    return str(value).strip()


def _secret(value: Any) -> Secret:
    return value if isinstance(value, Secret) else Secret(_text(value))


def _number(kind: type[float] | type[int], low: float, *, strict: bool) -> Callable[[Any], Any]:
    def read(value: Any) -> float | int:
        try:
            number = kind(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError("doit être un nombre") from None
        if not math.isfinite(number):  # « nan », « inf »: no interval nor delay
            raise ValueError("doit être un nombre")
        if strict and number <= low:
            raise ValueError(f"doit être un nombre plus grand que {low:g}")
        if number < low:
            raise ValueError(f"doit être un nombre supérieur ou égal à {low:g}")
        return number

    return read


def _database_url(value: Any) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    text = _text(value)
    try:
        url = make_url(text)
    except ArgumentError:
        raise ValueError("ce n'est pas une URL de base de données") from None
    if url.drivername not in ASYNC_DRIVERS:
        raise ValueError(
            f"le pilote {url.drivername!r} n'est pas pris en charge ; utilisez "
            + " ou ".join(sorted(ASYNC_DRIVERS))
        )
    return text


def _timezone(value: Any) -> str:
    text = _text(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"fuseau horaire inconnu : {text!r}") from None
    return text


def _locale(value: Any) -> str:
    text = _text(value)
    if text not in ("fr", "en"):
        raise ValueError("valeurs possibles : 'fr' ou 'en'")
    return text


def _token(value: Any) -> Secret:
    raw = _secret(value).get_secret_value().strip()
    head, _, tail = raw.partition(":")
    if not head.isdigit() or len(tail) < 20:
        # Never echo the token itself.
        raise ValueError("ne ressemble pas à un jeton donné par @BotFather (123456:ABC…)")
    return Secret(raw)


# Each setting: its default (None: unset) and how a value given is read.
FIELDS: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "token": (None, _token),
    "database_url": (DEFAULT_DATABASE_URL, _database_url),
    "api_base_url": (None, _text),
    "webhook_secret": (None, _secret),
    "timezone": ("Europe/Paris", _timezone),
    "locale": ("fr", _locale),
    "smtp_url": (None, _secret),
    "smtp_from": (None, _text),
    "responsable_traitement": (None, _text),
    "contact_dpo": (None, _text),
    # Seconds between two looks at the due-work table.
    "due_interval": (30.0, _number(float, 0, strict=True)),
    # Seconds SQLite waits for another process's write lock before giving up.
    "sqlite_busy_timeout": (10.0, _number(float, 0, strict=True)),
    # A 409 Conflict (another process polls with the same token) in the first seconds of
    # polling stops this process; after that, this process was there first: it waits, retries.
    "conflict_grace": (60.0, _number(float, 0, strict=False)),
    # Months after which the data of people who left every collective is erased.
    "retention_months": (12, _number(int, 1, strict=False)),
    # Seconds after which due work claimed by a process that died is taken by another (a live
    # process renews its claims every third of it).
    "due_claim_ttl": (60.0, _number(float, 0, strict=True)),
}


@dataclass(init=False)
class Settings:
    token: Secret | None
    database_url: str
    api_base_url: str | None
    webhook_secret: Secret | None
    timezone: str
    locale: str
    smtp_url: Secret | None
    smtp_from: str | None
    responsable_traitement: str | None
    contact_dpo: str | None
    due_interval: float
    sqlite_busy_timeout: float
    conflict_grace: float
    retention_months: int
    due_claim_ttl: float

    def __init__(self, _env_file: str | Path | None = ".env", **given: Any) -> None:
        """`given` values win; then the environment; then `_env_file` (None: no file).
        A wrong value raises SettingsError, naming the variable."""
        unknown = set(given) - set(FIELDS)
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        found = _dotenv(Path(_env_file)) if _env_file is not None else {}
        found.update(_prefixed(os.environ))
        for name, (default, read) in FIELDS.items():
            if name in given:
                value = given[name]
            else:
                value = found.get(name)
                if value is None or not value.strip():
                    value = None
            if value is None:
                setattr(self, name, default)
                continue
            try:
                setattr(self, name, read(value))
            except ValueError as exc:
                raise SettingsError(f"{PREFIX}{name.upper()} : {exc}") from None

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed (read as given to `Settings`)."""
        current = {name: getattr(self, name) for name in FIELDS}
        return Settings(_env_file=None, **{**current, **changes})

    def require_token(self) -> str:
        if self.token is None:
            raise SettingsError(
                "TISSERAND_TOKEN manque : créez un bot avec @BotFather, puis mettez son jeton "
                "dans la variable d'environnement TISSERAND_TOKEN ou dans le fichier .env."
            )
        return self.token.get_secret_value()


def _prefixed(variables: Mapping[str, str | None]) -> dict[str, str | None]:
    """The settings among `variables`, by field name (TISSERAND_DUE_INTERVAL: due_interval)."""
    return {
        key[len(PREFIX) :].lower(): value
        for key, value in variables.items()
        if key.upper().startswith(PREFIX)
    }


def _dotenv(path: Path) -> dict[str, str | None]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return _prefixed(dotenv_values(path, encoding="utf-8"))
