"""Settings read from the environment (or a `.env` file), as listed in CONTRACT.md."""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///tisserand.db"
ASYNC_DRIVERS = {"sqlite+aiosqlite", "postgresql+asyncpg"}


class SettingsError(Exception):
    """A setting is missing or wrong; the message is one line for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TISSERAND_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    api_base_url: str | None = None
    webhook_secret: SecretStr | None = None
    timezone: str = "Europe/Paris"
    locale: Literal["fr", "en"] = "fr"
    smtp_url: SecretStr | None = None
    smtp_from: str | None = None
    responsable_traitement: str | None = None
    contact_dpo: str | None = None
    # Seconds between two looks at the due-work table.
    due_interval: float = Field(default=30.0, gt=0)
    # Seconds SQLite waits for another process's write lock before giving up.
    sqlite_busy_timeout: float = Field(default=10.0, gt=0)
    # A 409 Conflict (another process polls with the same token) in the first seconds of
    # polling stops this process; after that, this process was there first: it waits, retries.
    conflict_grace: float = Field(default=60.0, ge=0)
    # Months after which the data of people who left every collective is erased.
    retention_months: int = Field(default=12, ge=1)
    # Seconds after which due work claimed by a process that died is taken by another (a live
    # process renews its claims every third of it).
    due_claim_ttl: float = Field(default=60.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("ce n'est pas une URL de base de données") from None
        if url.drivername not in ASYNC_DRIVERS:
            raise ValueError(
                f"le pilote {url.drivername!r} n'est pas pris en charge ; utilisez "
                + " ou ".join(sorted(ASYNC_DRIVERS))
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"fuseau horaire inconnu : {value!r}") from None
        return value

    @field_validator("token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            raw = value.get_secret_value().strip()
            head, _, tail = raw.partition(":")
            if not head.isdigit() or len(tail) < 20:
                # Never echo the token itself.
                raise ValueError("ne ressemble pas à un jeton donné par @BotFather (123456:ABC…)")
            return SecretStr(raw)
        return value

    def require_token(self) -> str:
        if self.token is None:
            raise SettingsError(
                "TISSERAND_TOKEN manque : créez un bot avec @BotFather, puis mettez son jeton "
                "dans la variable d'environnement TISSERAND_TOKEN ou dans le fichier .env."
            )
        return self.token.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a wrong value becomes one clear SettingsError line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "TISSERAND_" + str(first["loc"][0]).upper() if first["loc"] else "réglage"
        message = _french(first)
        raise SettingsError(f"{name} : {message}") from None


def _french(error: Any) -> str:
    """Pydantic's message for a wrong setting, in French for the usual cases."""
    kind, context = str(error.get("type", "")), error.get("ctx") or {}
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in ("greater_than", "greater_than_equal"):
        bound = context.get("gt", context.get("ge"))
        return f"doit être un nombre plus grand que {bound}"
    if kind in ("float_parsing", "int_parsing", "float_type", "int_type"):
        return "doit être un nombre"
    if kind == "literal_error":
        return f"valeurs possibles : {context.get('expected', '')}"
    return str(error.get("msg", "valeur incorrecte"))
