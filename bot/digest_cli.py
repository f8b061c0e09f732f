"""`tisserand digest SLUG [--preview] [--out FICHIER]`: the coming synthèse of one collective,
printed as text (and written as HTML with --out); without --preview, it is queued as due
work now, and the running bot sends it (once, like the weekly one)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings

EXIT_USAGE = 2


async def digest_command(settings: Settings, slug: str, *, preview: bool, out: Path | None) -> int:
    from bot import digests
    from bot.services import digest as svc
    from storage.db import create_engine, session_factory
    from storage.uow import UnitOfWork

    engine = create_engine(settings.database_url)
    try:
        sessions = session_factory(engine)
        now = datetime.now(UTC)
        async with UnitOfWork(sessions) as uow:
            collective = await uow.collectives.by_slug(slug)
            if collective is None:
                print(f"tisserand: aucun collectif ne s'appelle « {slug} ».", file=sys.stderr)
                return EXIT_USAGE
            digest = await svc.preview(uow, collective, now)
            lang = collective.language
            output = (
                digests.quiet_output(digest, lang, now)
                if digest.quiet
                else digests.full_output(digest, lang, now)
            )
            if not preview:
                await uow.due.schedule(
                    key=f"digest:{collective.id}:cli:{now:%Y%m%dT%H%M%S}",
                    kind=svc.DIGEST_WEEKLY,
                    due_at=now,
                    now=now,
                    collective_id=collective.id,
                    payload={"slot": now.isoformat(), "manual": True},
                )
        print(output.text, end="")
        if out is not None:
            out.write_text(output.page, encoding="utf-8")
        if not preview:
            print("La synthèse partira dès que le bot en marche passera sur ses tâches.")
        return 0
    finally:
        await engine.dispose()


async def export_command(settings: Settings, slug: str, *, out: Path | None) -> int:
    """`tisserand export SLUG [--out FICHIER]`: the animator's archive as a ZIP file."""
    import asyncio

    from bot import archive
    from storage.db import create_engine, session_factory
    from storage.uow import UnitOfWork

    engine = create_engine(settings.database_url)
    try:
        async with UnitOfWork(session_factory(engine)) as uow:
            collective = await uow.collectives.by_slug(slug)
            if collective is None:
                print(f"tisserand: aucun collectif ne s'appelle « {slug} ».", file=sys.stderr)
                return EXIT_USAGE
            built = await archive.build(uow, collective, datetime.now(UTC))
        target = out or Path(built.zip_name)
        with target.open("wb") as stream:
            await asyncio.to_thread(archive.write_zip, built, stream)
        print(f"Archive écrite : {target}")
        return 0
    finally:
        await engine.dispose()
