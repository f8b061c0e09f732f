"""The `tisserand` command: run, demo, shell, sandbox, db upgrade; its help and its errors in
French."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from bot.config import Settings, SettingsError

if TYPE_CHECKING:
    from bot.app import TisserandApplication

EXIT_USAGE = 2


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's layout, in French."""

    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None):
        # argparse passes "" when it builds a subcommand's name: keep that one empty.
        return super().add_usage(
            usage, actions, groups, "utilisation : " if prefix is None else prefix
        )


# argparse's own error messages, in French (the rest of the line is ours).
_ERRORS = (
    (r"the following arguments are required: (.+)", r"il manque : \1"),
    (r"unrecognized arguments: (.+)", r"argument inconnu : \1"),
    (
        r"argument (\S+): invalid choice: '?([^']*)'? \(choose from (.+)\)",
        r"« \2 » n'est pas une commande de tisserand (commandes : \3)",
    ),
    (r"argument (\S+): invalid int value: '([^']*)'", r"\1 attend un nombre entier, pas « \2 »"),
    (r"argument (\S+): expected one argument", r"\1 attend une valeur"),
    (r"argument (\S+): (.+)", r"\1 : \2"),
)


def _french(message: str) -> str:
    for pattern, replacement in _ERRORS:
        if re.fullmatch(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "arguments"
        self._optionals.title = "options"
        self.add_argument("-h", "--help", action="help", help="afficher cette aide, puis s'arrêter")

    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block.
        self.exit(EXIT_USAGE, f"{self.prog}: {_french(message)} (voir {self.prog} --help)\n")


RUN_HELP = """Lance le bot : il interroge l'API Bot de Telegram (long polling) et répond dans
les groupes et en privé.

Le jeton du bot vient de TISSERAND_TOKEN : une variable d'environnement, ou une ligne
TISSERAND_TOKEN=123456:ABC… dans le fichier .env du dossier où vous lancez la commande.
@BotFather le donne quand vous créez le bot (/newbot). La base vient de
TISSERAND_DATABASE_URL (par défaut, le fichier SQLite tisserand.db de ce dossier, mis à
jour tout seul ; pour PostgreSQL, lancez d'abord « tisserand db upgrade »)."""

DEMO_HELP = """Joue une filière du début à la fin dans le bac à sable intégré : ni jeton, ni
réseau. Affiche la conversation et l'écrit en Markdown et en HTML (transcript.md,
transcript.html), avec sa propre base : elle ne touche jamais la vôtre."""

SHELL_HELP = """Discuter avec le vrai bot dans le terminal, en jouant plusieurs personnes, dans des
groupes et en privé (bac à sable : ni jeton, ni réseau). Tapez :aide une fois lancé.

Tout est gardé d'une fois sur l'autre : la base SQLite (--db) et, à côté, l'état du bac à
sable (personnes, groupes, messages, heure)."""

WEBHOOK_HELP = """Lance le bot derrière un webhook : Telegram envoie chaque mise à jour à l'adresse
--url (en HTTPS, en général un proxy inverse comme nginx), qui la transmet à ce processus sur
--listen:--port. Chaque appel doit porter le secret TISSERAND_WEBHOOK_SECRET (1 à 256
caractères A-Z, a-z, 0-9, _ et -), que le bot donne à Telegram. /healthz répond si la base
répond. Plusieurs processus peuvent servir le même bot, sur une même base PostgreSQL."""

SANDBOX_HELP = """Sert le bac à sable en HTTP sur la boucle locale : l'API Bot de Telegram (pour un
vrai « tisserand run », avec TISSERAND_API_BASE_URL=http://HOTE:PORT/bot) et une petite API
JSON pour agir comme des personnes (/sandbox/users, /sandbox/send, /sandbox/press,
/sandbox/messages…). Ctrl-C l'arrête."""


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tisserand",
        description="Tisserand, le bot Telegram des filières de territoire.",
        epilog="Réglages : variables d'environnement TISSERAND_…, ou fichier .env du dossier\n"
        "de travail (voir README.md). « tisserand COMMANDE --help » détaille une commande.",
    )
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        parser_class=_Parser,
        title="commandes",
        metavar="COMMANDE",
        help="l'une de celles-ci :",
    )
    sub.add_parser(
        "run",
        help="lancer le bot (le jeton vient de TISSERAND_TOKEN)",
        description=RUN_HELP,
    )
    demo = sub.add_parser(
        "demo", help="la démonstration, dans le bac à sable (sans jeton)", description=DEMO_HELP
    )
    demo.add_argument(
        "--out",
        default="tisserand-demo",
        metavar="DOSSIER",
        help="dossier où écrire la transcription et la base de la démonstration "
        "(défaut : tisserand-demo)",
    )
    demo.add_argument(
        "--quiet", action="store_true", help="ne pas afficher la conversation dans le terminal"
    )
    shell = sub.add_parser(
        "shell", help="discuter avec le bot dans le terminal, à plusieurs", description=SHELL_HELP
    )
    shell.add_argument(
        "--db",
        default="tisserand-shell.db",
        metavar="FICHIER",
        help="base SQLite du shell (défaut : tisserand-shell.db) ; le reste est gardé à côté "
        "(pour tisserand-shell.db : tisserand-shell.sandbox.json et tisserand-shell.shell.json)",
    )
    shell.add_argument(
        "--nouveau",
        action="store_true",
        help="repartir de zéro : efface la base du shell et l'état du bac à sable",
    )
    webhook = sub.add_parser(
        "webhook",
        help="lancer le bot derrière un webhook (production, plusieurs processus)",
        description=WEBHOOK_HELP,
    )
    webhook.add_argument(
        "--url",
        required=True,
        metavar="URL",
        help="adresse publique que Telegram appelle, par exemple https://bot.exemple.fr/telegram",
    )
    webhook.add_argument(
        "--listen",
        default="127.0.0.1",
        metavar="ADRESSE",
        help="adresse d'écoute (défaut : 127.0.0.1, derrière un proxy inverse)",
    )
    webhook.add_argument(
        "--port", type=int, default=8000, metavar="N", help="port d'écoute (défaut : 8000)"
    )
    sandbox = sub.add_parser(
        "sandbox",
        help="le bac à sable servi en HTTP, pour des scripts ou un vrai « tisserand run »",
        description=SANDBOX_HELP,
    )
    sandbox.add_argument(
        "--port", type=int, default=8081, metavar="N", help="port d'écoute (défaut : 8081)"
    )
    sandbox.add_argument(
        "--host",
        default="127.0.0.1",
        metavar="ADRESSE",
        help="adresse d'écoute (défaut : 127.0.0.1, la boucle locale)",
    )
    export = sub.add_parser(
        "export",
        help="l'archive d'un collectif : tous ses tableaux, en un fichier ZIP",
        description="Écrit l'archive du collectif SLUG (son nom court, sur sa fiche) : un CSV\n"
        "par tableau, un classeur XLSX, le bilan de la filière en HTML, LISEZMOI.txt.",
    )
    export.add_argument("slug", metavar="SLUG", help="le nom court du collectif")
    export.add_argument(
        "--out",
        metavar="FICHIER",
        help="le fichier ZIP à écrire (défaut : dans le dossier courant)",
    )
    digest = sub.add_parser(
        "digest",
        help="la synthèse hebdomadaire d'un collectif : l'afficher, ou l'envoyer",
        description="Construit la synthèse de la semaine écoulée du collectif SLUG (son nom\n"
        "court, sur sa fiche) et l'affiche ; sans --preview, elle part aussi aux abonnés.",
    )
    digest.add_argument("slug", metavar="SLUG", help="le nom court du collectif")
    digest.add_argument(
        "--preview", action="store_true", help="seulement l'afficher, sans l'envoyer"
    )
    digest.add_argument(
        "--out", metavar="FICHIER", help="écrire aussi la synthèse en HTML dans ce fichier"
    )
    db = sub.add_parser(
        "db",
        help="entretien de la base de données",
        description="Entretien de la base désignée par TISSERAND_DATABASE_URL.",
    )
    db_sub = db.add_subparsers(
        dest="db_command",
        required=True,
        parser_class=_Parser,
        title="commandes",
        metavar="COMMANDE",
        help="l'une de celles-ci :",
    )
    db_sub.add_parser(
        "upgrade",
        help="appliquer les migrations",
        description="Applique les migrations à la base de TISSERAND_DATABASE_URL (SQLite\n"
        "tisserand.db par défaut). Sans effet si elle est déjà à jour.",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run()
        if args.command == "webhook":
            return _webhook(args.url, args.listen, args.port)
        if args.command in ("demo", "shell"):
            # What the bot logs (a reply refused by Telegram…) would cut into the conversation.
            logging.basicConfig(level=logging.ERROR)
        if args.command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(Path(args.out), quiet=args.quiet))
        if args.command == "shell":
            from bot.shell import run_shell

            return asyncio.run(run_shell(_settings(), Path(args.db), fresh=args.nouveau))
        if args.command == "sandbox":
            return asyncio.run(_sandbox(args.host, args.port))
        if args.command == "db":
            return _db_upgrade(_settings())
        if args.command in ("export", "digest") and (code := _existing_database()) is not None:
            return code
        if args.command == "export":
            from bot.digest_cli import export_command

            target = Path(args.out) if args.out else None
            return asyncio.run(export_command(_settings(), args.slug, out=target))
        if args.command == "digest":
            from bot.digest_cli import digest_command

            out = Path(args.out) if args.out else None
            return asyncio.run(
                digest_command(_settings(), args.slug, preview=args.preview, out=out)
            )
    except SettingsError as exc:
        print(f"tisserand: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return EXIT_USAGE


def _settings() -> Settings:
    """From the environment and `.env`; a wrong value raises SettingsError, in one line."""
    return Settings()


def _db_upgrade(settings: Settings) -> int:
    from storage.migrate import upgrade_sync

    try:
        upgrade_sync(settings.database_url)
    except Exception as exc:  # an unreachable server, a wrong password: one line
        print(
            f"tisserand: la mise à jour de la base a échoué : {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 1
    print("La base de données est à jour.")
    return 0


def _up_to_date(settings: Settings) -> bool:
    from storage.migrate import up_to_date

    return up_to_date(settings.database_url)


def _existing_database() -> int | None:
    """`export` and `digest` read a bot's database: it must exist (no empty file made on the
    way), answer, and be up to date (SQLite is brought up to date, as `run` does). None when
    it is ready, else the exit code, the reason said in one line."""
    from sqlalchemy.engine import make_url

    settings = _settings()
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database).expanduser()
        if not path.exists():
            print(
                f"tisserand: pas de base de données à lire ici ({path}) ; indiquez celle du bot"
                " avec TISSERAND_DATABASE_URL.",
                file=sys.stderr,
            )
            return EXIT_USAGE
    if (problem := _database_problem(settings)) is not None:
        print(f"tisserand: {problem}", file=sys.stderr)
        return EXIT_USAGE
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite and not _up_to_date(settings) and _db_upgrade(settings) != 0:
        return 1
    return None


def _database_problem(settings: Settings) -> str | None:
    from storage.db import unreachable

    return asyncio.run(unreachable(settings.database_url))


def _serving() -> None:
    """A serving process is about to load the bot: a quarter of a million objects that live
    as long as it does. Meanwhile the cyclic collector would walk them again and again (a
    fifth of the start's CPU); it is back once they are frozen (`bot.app.keep_loaded`)."""
    gc.disable()


def _application(settings: Settings) -> TisserandApplication | int:
    """What `run` and `webhook` share once their settings are read: logs that never show the
    token, a database that answers and is up to date, the application, then what the start
    loaded put out of the collector's sight. The application, or the exit code when the
    reason was said in one line."""
    from bot.app import build_application, keep_loaded
    from bot.logs import setup_logging

    setup_logging(secret=settings.require_token())
    if (problem := _database_problem(settings)) is not None:
        print(f"tisserand: {problem}", file=sys.stderr)
        return EXIT_USAGE
    sqlite = settings.database_url.startswith("sqlite")
    if sqlite and not _up_to_date(settings) and _db_upgrade(settings) != 0:
        return 1
    application = build_application(settings)
    keep_loaded()
    return application


def _stopped(application: TisserandApplication) -> int:
    """The exit code once serving ended: 1 when the bot stopped itself, with its reason."""
    if application.deps.stop_reason:
        print(f"tisserand: {application.deps.stop_reason}", file=sys.stderr)
        return 1
    return 0


def _run() -> int:
    _serving()
    from telegram.error import InvalidToken, NetworkError

    from bot.app import ALLOWED_UPDATES

    application = _application(_settings())
    if isinstance(application, int):
        return application
    try:
        application.run_polling(allowed_updates=list(ALLOWED_UPDATES), close_loop=False)
    except InvalidToken:
        print("tisserand: Telegram refuse le jeton (TISSERAND_TOKEN).", file=sys.stderr)
        return EXIT_USAGE
    except NetworkError as exc:
        print(f"tisserand: impossible de joindre l'API Bot : {type(exc).__name__}", file=sys.stderr)
        return 1
    return _stopped(application)


# Telegram's rule for the secret token.
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _webhook(url: str, listen: str, port: int) -> int:
    _serving()
    from bot.webhook import serve_webhook

    settings = _settings()
    settings.require_token()
    if settings.webhook_secret is None:
        raise SettingsError(
            "il manque TISSERAND_WEBHOOK_SECRET, le secret que Telegram joint à chaque appel "
            "du webhook (1 à 256 caractères A-Z, a-z, 0-9, _ et -)"
        )
    secret = settings.webhook_secret.get_secret_value()
    if not _SECRET_TOKEN.fullmatch(secret):
        raise SettingsError(
            "TISSERAND_WEBHOOK_SECRET ne peut contenir que 1 à 256 caractères A-Z, a-z, 0-9, _ et -"
        )
    if not url.startswith(("https://", "http://")):
        raise SettingsError(f"--url attend une adresse https://…, pas « {url} »")
    application = _application(settings)
    if isinstance(application, int):
        return application

    def ready(bound: int) -> None:
        print(f"Webhook : {url}, servi sur http://{listen}:{bound}.", flush=True)

    try:
        asyncio.run(
            serve_webhook(
                application, url=url, secret=secret, listen=listen, port=port, on_ready=ready
            )
        )
    except OSError as exc:
        print(f"tisserand: impossible d'écouter sur {listen}:{port} : {exc}", file=sys.stderr)
        return 1
    return _stopped(application)


async def _sandbox(host: str, port: int) -> int:
    from bot.sandbox.core import Sandbox
    from bot.sandbox.server import serve

    logging.basicConfig(level=logging.WARNING)
    server = await serve(Sandbox(), host=host, port=port)
    print(
        f"Bac à sable : API Bot sur http://{host}:{server.port}/bot, API des personnes sur "
        f"http://{host}:{server.port}/sandbox/. Ctrl-C pour l'arrêter.",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
