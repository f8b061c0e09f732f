"""A real `tisserand run` process against `tisserand sandbox` over HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox.client import SandboxClient
from tests.helpers import nb

TOKEN = "123456:" + "E" * 35


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/bot", line)
    assert match, line + (process.stderr.read() if process.stderr else "")
    try:
        yield f"http://127.0.0.1:{match.group(1)}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def start_bot(sandbox_url: str, database_url: str, tmp_path: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TISSERAND_")}
    env.update(
        TISSERAND_TOKEN=TOKEN,
        TISSERAND_API_BASE_URL=f"{sandbox_url}/bot",
        TISSERAND_DATABASE_URL=database_url,
        TISSERAND_DUE_INTERVAL="1",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return err


def test_run_answers_aide_then_filiere_rejoindre_annuaire_journal(
    sandbox_url: str, database_url: str, tmp_path: Path
) -> None:
    client = SandboxClient(sandbox_url)
    claire = client.add_user("Claire", username="claire")
    paul = client.add_user("Paul")
    group = client.create_group("Laine", owner_id=claire["id"], member_ids=[paul["id"]])
    gid, cid, pid = group["id"], claire["id"], paul["id"]
    bot = start_bot(sandbox_url, database_url, tmp_path)
    try:
        client.send(cid, "/aide", chat_id=gid)
        client.wait_for(gid, "Ce que je peux faire ici", timeout=30)

        client.send(cid, "/filiere", chat_id=gid)
        client.wait_for(gid, nb("Le collectif « Laine » est créé"))
        client.press(cid, "Continuer en privé", chat_id=gid)
        client.wait_for(cid, "Quel est le nom du collectif")
        client.send(cid, "Filière laine")
        for label, expected in (("Garder", "Sur quel territoire"),):
            client.wait_for(cid, "Quel nom court")
            client.press(cid, label)
            client.wait_for(cid, expected)
        client.send(cid, "Cantal")
        client.wait_for(cid, "Comment voyez-vous la filière")
        client.press(cid, "Chaîne de valeur")
        client.wait_for(cid, "Quels sont les maillons")
        client.press(cid, "Garder ces maillons")
        client.wait_for(cid, "Quel fuseau horaire")
        client.press(cid, "Europe/Paris")
        client.wait_for(cid, "En quelle langue")
        client.press(cid, "Français")
        client.wait_for(gid, "le collectif est ouvert")

        client.send(pid, "/rejoindre", chat_id=gid)
        client.wait_for(gid, "pour rejoindre")
        client.press(pid, "Rejoindre en privé", chat_id=gid)
        client.wait_for(pid, "Quelle organisation représentez-vous")
        client.send(pid, "GAEC des Estives")
        client.wait_for(pid, "À quelle famille")
        client.press(pid, "Entreprise")
        client.wait_for(pid, "Touchez-en un ou plusieurs")
        client.press(pid, "Élevage")
        client.wait_for(pid, lambda m: any("✅ Élevage" in b for row in m["buttons"] for b in row))
        client.press(pid, "Valider")
        client.wait_for(pid, "Dans quelle commune")
        client.send(pid, "Allanche")
        client.wait_for(pid, "Voulez-vous apparaître dans l'annuaire")
        client.press(pid, "Oui, m'afficher")
        client.wait_for(pid, "Bienvenue, vous faites partie")

        client.send(pid, "/annuaire", chat_id=gid)
        client.wait_for(
            gid, lambda m: "Annuaire" in m["plain"] and "GAEC des Estives" in m["plain"]
        )
        client.send(cid, "/journal")
        client.wait_for(cid, lambda m: "Journal" in m["plain"] and "Paul a rejoint" in m["plain"])
    finally:
        err = stop(bot)
    assert TOKEN not in err and TOKEN.split(":")[1] not in err


def test_a_second_poller_stops_the_bot_with_one_clear_line(
    sandbox_url: str, database_url: str, tmp_path: Path
) -> None:
    client = SandboxClient(sandbox_url)
    # Telegram answers 409 to a poller while another one holds the token.
    client.fail("getUpdates", "conflict", times=1000)
    bot = start_bot(sandbox_url, database_url, tmp_path)
    try:
        _, err = bot.communicate(timeout=60)
    finally:
        if bot.poll() is None:
            bot.kill()
    assert bot.returncode == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("tisserand: Another process is already polling")
    assert "Traceback" not in err
