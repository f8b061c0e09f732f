"""A real `tisserand run` process against `tisserand sandbox` over HTTP."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.client import SandboxClient
from tests.e2e.processes import TOKEN, Step, register_steps, start_bot, stop


def test_run_answers_aide_then_filiere_rejoindre_annuaire_journal(
    sandbox_url: str, database_url: str, tmp_path: Path
) -> None:
    client = SandboxClient(sandbox_url)
    claire = client.add_user("Claire", username="claire")
    paul = client.add_user("Paul")
    group = client.create_group("Laine", owner_id=claire["id"], member_ids=[paul["id"]])
    gid, cid, pid = group["id"], claire["id"], paul["id"]
    # (who acts, in which chat (None: private), "say" or "press", what, chat to watch, expected)
    G, C, P = gid, cid, pid
    script: list[Step] = [
        (C, G, "say", "/aide", G, "Ce que je peux faire ici"),
        *register_steps(G, C),
        (P, G, "say", "/rejoindre", G, "pour rejoindre"),
        (P, G, "press", "Rejoindre en privé", P, "Quelle organisation représentez-vous"),
        (P, None, "say", "GAEC des Estives", P, "À quelle famille"),
        (P, None, "press", "Entreprise ou exploitation", P, "Touchez-en un ou plusieurs"),
        (P, None, "press", "Élevage", P, lambda m: ["✅ Élevage"] in m["buttons"]),
        (P, None, "press", "Valider", P, "Quelle est votre commune"),
        (P, None, "say", "Allanche", P, "Voulez-vous apparaître dans l'annuaire"),
        (P, None, "press", "Oui, m'afficher", P, "Bienvenue, vous faites partie"),
        (P, G, "say", "/annuaire", G, "se consulte en privé"),
        (
            P,
            None,
            "say",
            "/annuaire",
            P,
            lambda m: "Annuaire" in m["plain"] and "GAEC des Estives" in m["plain"],
        ),
        (
            C,
            None,
            "say",
            "/journal",
            C,
            lambda m: "Journal" in m["plain"] and "Paul a rejoint" in m["plain"],
        ),
    ]
    bot = start_bot(sandbox_url, database_url, tmp_path)
    try:
        for user, chat, action, what, watch, expected in script:
            if action == "say":
                client.send(user, what, chat_id=chat)
            else:
                client.press(user, what, chat_id=chat)
            client.wait_for(watch, expected, timeout=30)
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
    assert last.startswith("tisserand: Un autre processus lit déjà")
    assert "Traceback" not in err


def test_the_readme_sandbox_example_works(
    sandbox_url: str, database_url: str, tmp_path: Path
) -> None:
    """The README's curl requests, against a served sandbox and a real `tisserand run`."""
    import json
    import re
    import urllib.request

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Tester un vrai processus sans Telegram")[1].split("```bash")[1]
    block = block.split("```")[0]
    requests = re.findall(
        r"curl -s (?:-X POST )?'?(http://127\.0\.0\.1:8081\S+?)'?(?: -d '(.+)')?$",
        block,
        flags=re.M,
    )
    assert len(requests) == 4
    client = SandboxClient(sandbox_url)
    bot = start_bot(sandbox_url, database_url, tmp_path)
    answers = []
    try:
        for url, body in requests:
            url = url.replace("http://127.0.0.1:8081", sandbox_url)
            if "messages?" in url:
                client.wait_for(100001, "Ce que je peux faire pour vous", timeout=30)
            data = body.encode() if body else None
            with urllib.request.urlopen(urllib.request.Request(url, data=data)) as response:
                assert response.status == 200
                answers.append(json.loads(response.read()))
    finally:
        stop(bot)
    assert answers[0]["id"] == 100001
    assert any("Ce que je peux faire pour vous" in m["plain"] for m in answers[2])
    assert answers[3][0]["first_name"] == "Claire"
