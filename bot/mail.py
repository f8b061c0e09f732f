"""E-mail out: the weekly synthèse as a multipart message (plain text and HTML), over SMTP
(`TISSERAND_SMTP_URL`: smtp://user:pass@host:port, STARTTLS when the server offers it, or
`?starttls=required` / `?starttls=no`; smtps:// for TLS from the start)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

TIMEOUT = 30.0


class MailSettingsError(ValueError):
    """TISSERAND_SMTP_URL or TISSERAND_SMTP_FROM is missing or unreadable."""


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None  # None: when the server offers it

    @classmethod
    def parse(cls, url: str) -> Smtp:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailSettingsError("TISSERAND_SMTP_URL: smtp://host:port or smtps://host:port")
        option = (parse_qs(parts.query).get("starttls") or [""])[0].lower()
        start_tls = {"required": True, "yes": True, "no": False}.get(option)
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=tls,
            start_tls=False if tls else start_tls,
        )


def message(
    *,
    sender: str,
    sender_name: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    unsubscribe: str,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
) -> EmailMessage:
    """The synthèse as an e-mail: text and HTML alternatives, `List-Unsubscribe` pointing to
    the animation team's address (`unsubscribe`), which is also the reply address."""
    mail = EmailMessage()
    mail["From"] = formataddr((sender_name, sender))
    mail["To"] = to
    mail["Reply-To"] = unsubscribe
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail["List-Unsubscribe"] = f"<mailto:{unsubscribe}?subject=unsubscribe>"
    mail.set_content(text)
    mail.add_alternative(html, subtype="html")
    for name, mime, content in attachments:
        maintype, _, subtype = mime.partition("/")
        mail.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return mail


async def send(smtp: Smtp, mail: EmailMessage) -> None:
    """Raises on any refusal or network failure (the caller retries)."""
    import aiosmtplib

    await aiosmtplib.send(
        mail,
        hostname=smtp.host,
        port=smtp.port,
        username=smtp.username,
        password=smtp.password,
        use_tls=smtp.use_tls,
        start_tls=smtp.start_tls,
        timeout=TIMEOUT,
    )
