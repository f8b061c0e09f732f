"""`tisserand shell`: typed lines act as several people, in a group and in private."""

from __future__ import annotations

import pytest

from bot.sandbox.harness import Harness
from bot.shell import Shell, parse_delay


async def test_shell_switches_people_and_chats(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    shell = Shell(harness)
    for line in (
        ":groupe Filière laine",
        "/aide",
        ":moi Paul",
        ":rejoint",
        ":prive",
        "/aide",
        ":qui",
    ):
        assert await shell.handle(line)
    out = capsys.readouterr().out
    assert "[Filière laine] Tisserand" in out and "/filiere — faire de ce groupe" in out
    assert "[privé · Paul] Tisserand" in out
    assert "(Paul, dans privé)" in out
    assert not await shell.handle(":fin")


def test_delays() -> None:
    assert parse_delay("2h").total_seconds() == 7200  # type: ignore[union-attr]
    assert parse_delay("30m").total_seconds() == 1800  # type: ignore[union-attr]
    assert parse_delay("1j").days == 1  # type: ignore[union-attr]
    assert parse_delay("bientôt") is None
