"""/ressource's questions in private, on the conversation engine: a link or a document, then
its title, a description, its levier (buttons) and tags. Each answer re-checks that the person
may still add to the collective; the resource is created with the last answer."""

from __future__ import annotations

from typing import Any

from bot.catalog import leviers
from bot.conversation import Flow, Kind, Option, SentFile, Step, StepContext
from bot.services import toolbox as svc
from bot.services.typed import clean_text
from bot.texts import caption
from storage.models import Collective, Conversation
from storage.uow import UnitOfWork

NEW_RESOURCE = "resource_new"


async def _load(uow: UnitOfWork, conversation: Conversation) -> Collective | None:
    if conversation.collective_id is None:
        return None
    return await uow.collectives.get(conversation.collective_id)


async def _guard(ctx: StepContext) -> None:
    await svc.require_contributor(ctx.uow, ctx.subject, ctx.person)


def _params(ctx: StepContext) -> dict[str, Any]:
    lev = leviers().get(str(ctx.data.get("levier") or ""))
    return {
        "c": ctx.subject,
        "url": ctx.data.get("url"),
        "file_name": ctx.data.get("file_name"),
        "title": ctx.data.get("title"),
        "levier": lev.label(ctx.lang) if lev else None,
    }


async def _save_source(ctx: StepContext, value: str | SentFile) -> None:
    ctx.remember(**svc.source_of(value))


async def _suggest_title(ctx: StepContext) -> str | None:
    name = ctx.data.get("file_name")
    if not name:
        return None
    stem = str(name).rsplit(".", 1)[0].replace("_", " ").strip()
    return stem[: svc.TITLE_LIMIT] or None


async def _remember(ctx: StepContext, **values: Any) -> None:
    ctx.remember(**values)


async def _complete(ctx: StepContext) -> None:
    resource = await svc.add_resource(
        ctx.uow, ctx.subject, ctx.person, svc.Draft.of(ctx.data), ctx.now
    )
    ctx.remember(resource_id=resource.id, status=resource.status)


async def _clear(ctx: StepContext, key: str) -> None:
    ctx.remember(**{key: None})


RESOURCE_FLOW = Flow(
    name=NEW_RESOURCE,
    steps=(
        Step(
            "source",
            Kind.TEXT,
            "toolbox/ask_source",
            _save_source,
            params=_params,
            files=True,
        ),
        Step(
            "title",
            Kind.TEXT,
            "toolbox/ask_title",
            lambda ctx, v: _remember(ctx, title=v),
            params=_params,
            parse=lambda ctx, text: clean_text(text, field="title", limit=svc.TITLE_LIMIT),
            suggest=_suggest_title,
        ),
        Step(
            "description",
            Kind.TEXT,
            "toolbox/ask_description",
            lambda ctx, v: _remember(ctx, description=v),
            params=_params,
            parse=lambda ctx, text: clean_text(
                text, field="description", limit=svc.DESCRIPTION_LIMIT
            ),
            optional=True,
            cleared=lambda ctx: _clear(ctx, "description"),
        ),
        Step(
            "levier",
            Kind.CHOICE,
            "toolbox/ask_levier",
            lambda ctx, v: _remember(ctx, levier=svc.check_levier(v)),
            params=_params,
            options=lambda ctx: [
                Option(code, lev.label(ctx.lang)) for code, lev in leviers().items()
            ],
        ),
        Step(
            "tags",
            Kind.TEXT,
            "toolbox/ask_tags",
            lambda ctx, v: _remember(ctx, tags=v),
            params=_params,
            parse=lambda ctx, text: svc.parse_tags(text),
            optional=True,
            cleared=lambda ctx: _clear(ctx, "tags"),
            skip_caption="toolbox/no_tags",
        ),
    ),
    load=_load,
    guard=_guard,
    complete=_complete,
    title=lambda ctx: caption("toolbox/flow_title", ctx.lang, c=ctx.subject.title),
)
