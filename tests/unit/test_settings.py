"""Settings: what the operator sets in the environment or a `.env` file, read the way the
README and CONTRACT.md say, and a wrong value named in one line without echoing a secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, SettingsError

TOKEN = "123456:" + "A" * 35


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.upper().startswith("TISSERAND_"):
            monkeypatch.delenv(name)


def test_defaults_are_the_contract_s() -> None:
    settings = Settings(_env_file=None)
    assert settings.token is None
    assert settings.database_url == "sqlite+aiosqlite:///tisserand.db"
    assert settings.timezone == "Europe/Paris" and settings.locale == "fr"
    assert settings.due_interval == 30.0 and settings.retention_months == 12


def test_given_beats_environment_beats_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tmp_path / ".env"
    env.write_text(
        "TISSERAND_TIMEZONE=America/Cayenne\n"
        "TISSERAND_LOCALE=en\n"
        "tisserand_retention_months=6\n"
        f"TISSERAND_TOKEN='{TOKEN}'\n"
        "TISSERAND_SMTP_FROM=\n"
        "TISSERAND_SOMETHING_ELSE=ignored\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("TISSERAND_LOCALE", "fr")
    monkeypatch.setenv("TISSERAND_DUE_INTERVAL", "2.5")
    settings = Settings(_env_file=env, timezone="Indian/Reunion")
    assert settings.timezone == "Indian/Reunion"  # given
    assert settings.locale == "fr"  # the environment over the file
    assert settings.due_interval == 2.5  # read as a number
    assert settings.retention_months == 6  # any case
    assert settings.require_token() == TOKEN  # quotes removed
    assert settings.smtp_from is None  # empty is unset
    assert Settings(_env_file=None).timezone == "Europe/Paris"  # no file read


def test_secrets_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TISSERAND_TOKEN", f"  {TOKEN} ")
    settings = Settings(_env_file=None, smtp_url="smtp://elus:motdepasse@mail.example:587")
    assert settings.require_token() == TOKEN
    assert settings.smtp_url is not None
    assert settings.smtp_url.get_secret_value() == "smtp://elus:motdepasse@mail.example:587"
    shown = repr(settings) + str(settings.token)
    assert TOKEN not in shown and "motdepasse" not in shown


@pytest.mark.parametrize(
    ("variable", "value", "said"),
    [
        ("TISSERAND_DATABASE_URL", "mysql://nope", "le pilote 'mysql' n'est pas pris en charge"),
        ("TISSERAND_DATABASE_URL", "pas une url", "ce n'est pas une URL de base de données"),
        ("TISSERAND_TIMEZONE", "Mars/Olympus", "fuseau horaire inconnu : 'Mars/Olympus'"),
        ("TISSERAND_LOCALE", "de", "valeurs possibles : 'fr' ou 'en'"),
        ("TISSERAND_DUE_INTERVAL", "souvent", "doit être un nombre"),
        ("TISSERAND_DUE_INTERVAL", "nan", "doit être un nombre"),
        ("TISSERAND_DUE_CLAIM_TTL", "inf", "doit être un nombre"),
        ("TISSERAND_DUE_INTERVAL", "0", "doit être un nombre plus grand que 0"),
        ("TISSERAND_RETENTION_MONTHS", "0", "doit être un nombre supérieur ou égal à 1"),
        ("TISSERAND_TOKEN", "pas-un-jeton-secret", "ne ressemble pas à un jeton"),
    ],
)
def test_a_wrong_value_is_named_in_one_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, said: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        Settings(_env_file=None)
    message = str(raised.value)
    assert message.startswith(f"{variable} : ") and said in message
    assert "\n" not in message
    if variable == "TISSERAND_TOKEN":
        assert value not in message


def test_replace_keeps_the_rest() -> None:
    settings = Settings(_env_file=None, token=TOKEN, due_interval=1)
    moved = settings.replace(database_url="sqlite+aiosqlite:///autre.db")
    assert moved.database_url == "sqlite+aiosqlite:///autre.db"
    assert moved.require_token() == TOKEN and moved.due_interval == 1.0
    assert settings.database_url == "sqlite+aiosqlite:///tisserand.db"
