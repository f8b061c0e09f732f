"""The `tisserand` command: run, demo, shell, sandbox, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from bot.config import Settings, SettingsError, load_settings

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, not argparse's usage block.
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tisserand", description="Tisserand, le bot des filières de territoire.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("run", help="the bot, long polling against the Bot API")
    demo = sub.add_parser("demo", help="a scene played in the built-in sandbox (no token)")
    demo.add_argument("--out", default="tisserand-demo", help="folder for the outputs")
    demo.add_argument("--quiet", action="store_true", help="do not print the conversation")
    shell = sub.add_parser("shell", help="chat with the bot in the terminal, as several people")
    shell.add_argument("--db", default="tisserand-shell.db", help="SQLite file for the shell")
    sandbox = sub.add_parser("sandbox", help="the sandbox Bot API over HTTP on loopback")
    sandbox.add_argument("--port", type=int, default=8081)
    sandbox.add_argument("--host", default="127.0.0.1")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    db_sub.add_parser("upgrade", help="apply the database migrations")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run()
        if args.command == "demo":
            from bot.demo import run_demo

            return asyncio.run(run_demo(Path(args.out), quiet=args.quiet))
        if args.command == "shell":
            from bot.shell import run_shell

            return asyncio.run(run_shell(_settings(), Path(args.db)))
        if args.command == "sandbox":
            return asyncio.run(_sandbox(args.host, args.port))
        if args.command == "db":
            return _db_upgrade(_settings())
    except SettingsError as exc:
        print(f"tisserand: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    return EXIT_USAGE


def _settings() -> Settings:
    return load_settings()


def _db_upgrade(settings: Settings) -> int:
    from storage.migrate import upgrade_sync

    try:
        upgrade_sync(settings.database_url)
    except Exception as exc:  # an unreachable server, a wrong password: one line
        print(f"tisserand: database upgrade failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print("Database up to date.")
    return 0


def _up_to_date(settings: Settings) -> bool:
    from storage.migrate import up_to_date

    return up_to_date(settings.database_url)


def _database_problem(settings: Settings) -> str | None:
    from storage.db import unreachable

    return asyncio.run(unreachable(settings.database_url))


def _run() -> int:
    from telegram import Update
    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_application
    from bot.logs import setup_logging

    settings = _settings()
    token = settings.require_token()
    setup_logging(secret=token)
    if (problem := _database_problem(settings)) is not None:
        print(f"tisserand: {problem}", file=sys.stderr)
        return EXIT_USAGE
    sqlite = settings.database_url.startswith("sqlite")
    if sqlite and not _up_to_date(settings) and _db_upgrade(settings) != 0:
        return 1
    application = build_application(settings)
    try:
        application.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
    except InvalidToken:
        print("tisserand: Telegram refused the token (TISSERAND_TOKEN).", file=sys.stderr)
        return EXIT_USAGE
    except NetworkError as exc:
        print(f"tisserand: cannot reach the Bot API: {type(exc).__name__}", file=sys.stderr)
        return 1
    if application.deps.stop_reason:
        print(f"tisserand: {application.deps.stop_reason}", file=sys.stderr)
        return 1
    return 0


async def _sandbox(host: str, port: int) -> int:
    from bot.sandbox.core import Sandbox
    from bot.sandbox.server import serve

    logging.basicConfig(level=logging.WARNING)
    server = await serve(Sandbox(), host=host, port=port)
    print(
        f"Sandbox Bot API on http://{host}:{server.port}/bot "
        f"(client API: http://{host}:{server.port}/sandbox/). Ctrl-C to stop.",
        flush=True,
    )
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
