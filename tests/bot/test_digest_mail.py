"""The synthèse by e-mail, received by a real local SMTP server (aiosmtpd): multipart text and
HTML, List-Unsubscribe to the animation team's address, the footer; a server that refuses or
is down: retried, the team told, nothing lost."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bot.config import Settings
from bot.sandbox.harness import Harness
from storage.models import DigestSubscription, DueWork
from tests.bot.test_digest import MONDAY, collective_with_members
from tests.helpers import nb


class Inbox:
    """An aiosmtpd handler keeping what it receives; `refuse` makes it answer 554."""

    def __init__(self) -> None:
        self.received: list[Message] = []
        self.refuse = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "554 Transaction failed"
        self.received.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A local SMTP server that can go down and come back on the same port."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.port = _free_port()
        self.running: Controller | None = None

    def start(self) -> None:
        self.running = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.running.start()

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None


@pytest.fixture
def smtp() -> Iterator[tuple[Server, Inbox]]:
    inbox = Inbox()
    server = Server(inbox)
    server.start()
    try:
        yield server, inbox
    finally:
        server.stop()


@pytest.fixture
def settings(database_url: str, smtp: tuple[Server, Inbox]) -> Settings:
    controller, _ = smtp
    return Settings(
        _env_file=None,
        database_url=database_url,
        token=None,
        smtp_url=f"smtp://127.0.0.1:{controller.port}",
        smtp_from="synthese@tisserand.example",
    )


async def with_address(h: Harness) -> Any:
    group, claire, users = await collective_with_members(h)
    await h.say(claire, None, "/resume ajouter  Elus@CC-Hautes-Terres.fr ")
    assert (
        "elus@cc-hautes-terres.fr recevra la synthèse" in h.sandbox.bot_messages(claire)[-2].plain
    )
    await h.say(claire, None, "/resume contact")
    # The example names the command typed, not /resume ajouter.
    assert nb("par exemple : /resume contact prenom.nom@exemple.fr.") in h.last(claire).plain
    await h.say(claire, None, "/resume contact animation@filiere-laine.fr")
    await h.say(claire, None, "/resume ajouter pas-une-adresse")
    assert "Je ne reconnais pas d'adresse" in h.last(claire).plain
    assert "/resume ajouter prenom.nom@exemple.fr" in h.last(claire).plain
    return group, claire, users


async def test_the_synthese_is_received_by_email(
    harness: Harness, smtp: tuple[Server, Inbox]
) -> None:
    h = harness
    _, inbox = smtp
    group, claire, users = await with_address(h)
    h.clock.set(MONDAY)
    await h.tick()
    await h.tick()
    assert len(inbox.received) == 1
    mail = inbox.received[0]
    assert mail["To"] == "elus@cc-hautes-terres.fr"
    assert "Synthèse de la semaine" in str(
        email.header.make_header(email.header.decode_header(mail["Subject"]))
    )
    assert mail["List-Unsubscribe"] == "<mailto:animation@filiere-laine.fr?subject=unsubscribe>"
    assert mail["Reply-To"] == "animation@filiere-laine.fr"
    assert mail.is_multipart()
    parts = {
        p.get_content_type(): p.get_payload(decode=True).decode()
        for p in mail.walk()
        if not p.is_multipart()
    }
    assert set(parts) == {"text/plain", "text/html"}
    assert "GAEC des Estives" in parts["text/plain"]
    assert "Filature secrète" not in parts["text/plain"]
    assert "Pour ne plus la recevoir" in parts["text/plain"]
    assert parts["text/html"].startswith("<!doctype html>")
    assert "http" not in parts["text/html"]  # no external resource
    # Never twice.
    await h.tick(timedelta(hours=2))
    assert len(inbox.received) == 1
    # Removed in /resume abonnes: no more e-mail.
    await h.say(claire, None, "/resume abonnes")
    await h.press(claire, None, "Retirer elus@cc-hautes-terres.fr")
    async with h.app.deps.uow() as uow:
        sub = (await uow.session.scalars(select(DigestSubscription))).one()
        assert sub.status == "stopped"
    await h.say(claire, None, "/journal")
    journal = h.last(claire).plain
    assert "a retiré une adresse électronique" in journal
    assert "a indiqué l'adresse de l'équipe" in journal


async def test_a_refusing_or_absent_server_is_retried_and_the_team_told(
    harness: Harness, smtp: tuple[Server, Inbox]
) -> None:
    h = harness
    controller, inbox = smtp
    group, claire, users = await with_address(h)
    inbox.refuse = True
    h.clock.set(MONDAY)
    await h.tick()
    assert inbox.received == []
    await h.tick()  # the e-mail row
    await h.tick()  # the notice
    told = h.last(claire).plain
    assert nb("le courriel à elus@cc-hautes-terres.fr n'est pas parti") in told
    # Then the server is down altogether.
    controller.stop()
    await h.tick(timedelta(minutes=2))
    assert inbox.received == []
    async with h.app.deps.uow() as uow:
        row = (
            await uow.session.scalars(select(DueWork).where(DueWork.kind == "digest_mail"))
        ).one()
        assert row.status == "pending" and row.attempts == 2
    # Back: the e-mail goes, once.
    inbox.refuse = False
    controller.start()
    await h.tick(timedelta(minutes=6))
    assert len(inbox.received) == 1
    await h.tick(timedelta(hours=1))
    assert len(inbox.received) == 1
