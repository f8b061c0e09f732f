"""The `tisserand` command line: clear one-line errors, and the demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TOKEN = "123456:" + "S" * 35


def tisserand(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("TISSERAND_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_run_without_token_says_so_in_one_line(tmp_path: Path) -> None:
    result = tisserand("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "TISSERAND_TOKEN manque" in one_line(result)


def test_bad_database_url_is_one_line(tmp_path: Path) -> None:
    result = tisserand(
        "run",
        env={"TISSERAND_TOKEN": TOKEN, "TISSERAND_DATABASE_URL": "mysql://nope"},
        cwd=tmp_path,
    )
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith("tisserand: TISSERAND_DATABASE_URL")
    assert TOKEN not in result.stderr


def test_malformed_token_is_refused_without_being_echoed(tmp_path: Path) -> None:
    result = tisserand("run", env={"TISSERAND_TOKEN": "not-a-token-secret"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "TISSERAND_TOKEN" in one_line(result)
    assert "not-a-token-secret" not in result.stderr


def test_unknown_option_is_one_line(tmp_path: Path) -> None:
    result = tisserand("demo", "--frobnicate", cwd=tmp_path)
    assert result.returncode == 2
    assert "--frobnicate" in one_line(result)
    assert tisserand("nonsense", cwd=tmp_path).returncode == 2


def test_help_answers_in_french(tmp_path: Path) -> None:
    for args in (("--help",), ("run", "--help"), ("demo", "--help"), ("db", "upgrade", "--help")):
        result = tisserand(*args, cwd=tmp_path)
        assert result.returncode == 0
        assert result.stdout.startswith("utilisation : tisserand")
        for english in ("usage:", "show this help", "positional arguments"):
            assert english not in result.stdout
    run = tisserand("run", "--help", cwd=tmp_path).stdout
    assert "TISSERAND_TOKEN" in run and ".env" in run and "@BotFather" in run
    wrong = tisserand("sandbox", "--port", "huit", cwd=tmp_path)
    assert wrong.returncode == 2
    assert one_line(wrong) == (
        "tisserand sandbox: --port attend un nombre entier, pas « huit » "
        "(voir tisserand sandbox --help)"
    )


def test_db_upgrade(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    result = tisserand("db", "upgrade", env={"TISSERAND_DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "x.db").exists()


def test_demo_plays_the_scene_and_can_be_run_again(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    for _ in range(2):
        result = tisserand("demo", "--out", str(out), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    printed = result.stdout
    assert "Bonjour, je suis Tisserand" in printed
    assert "Annuaire — Filière laine du Cantal" in printed
    assert "Journal — Filière laine du Cantal" in printed
    markdown = (out / "transcript.md").read_text(encoding="utf-8")
    page = (out / "transcript.html").read_text(encoding="utf-8")
    assert "Hugo" in markdown and "a quitté le collectif" in markdown
    assert page.startswith("<!doctype html>") and "Annuaire" in page
    assert not (tmp_path / "tisserand.db").exists()  # never the user's database
    # The needs survey: answered by the eight actors, closed, and its files written.
    assert "Résultats — Recensement des besoins des acteurs" in markdown
    assert "8 réponses sur 10 membres" in markdown
    assert (out / "enquete-besoins.csv").read_bytes().startswith(b"\xef\xbb\xbfNom;")
    assert (out / "enquete-besoins.xlsx").read_bytes().startswith(b"PK")
    assert (out / "enquete-besoins.png").read_bytes().startswith(b"\x89PNG")
