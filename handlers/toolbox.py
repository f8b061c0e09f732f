"""The boîte à outils in Telegram: /ressource (add a link or a document, in private), /boite
(resources by levier, the guide as a checklist, « Où en est notre filière »), /chercher, the
moderation of proposed resources, and ressources.csv."""

from __future__ import annotations

from bot.catalog import leviers
from bot.conversation import Finished
from bot.domain import READERS, MembershipStatus, Role
from bot.paging import paginate
from bot.services import collectives as collectives_svc
from bot.services import toolbox as svc
from bot.services import toolbox_flows as flows
from bot.services.members import require_role
from bot.services.privacy import PersonalData
from bot.texts import caption, render
from handlers import conversation
from handlers.choose import switch_rows
from handlers.common import Ctx, Rows
from handlers.meetings import in_private, send_file
from handlers.paging import nav_row
from handlers.registry import (
    Button,
    Command,
    Feature,
    FlowUI,
    Int,
    Link,
    PagedList,
    Word,
    link_id,
)
from storage.models import Collective, Resource

BOX_LINK, ADD_LINK, SEARCH_LINK = "bx", "bxn", "bxc"
PAGE = 8
LEVIERS = tuple(leviers())
CODES = tuple(svc.guide())


def _list_name(levier: str) -> str:
    return f"box.{levier}"


# --- /ressource


async def ressource(ctx: Ctx, collective: Collective) -> None:
    await svc.require_contributor(ctx.uow, collective, ctx.me)
    if not ctx.is_private:
        in_private(ctx, f"{ADD_LINK}{collective.id}")
        return
    await conversation.start(ctx, flows.NEW_RESOURCE, collective_id=collective.id)


async def ressource_link(ctx: Ctx, rest: str) -> None:
    await ressource(ctx, await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link"))


def _moderation_rows(resource: Resource, lang: str) -> Rows:
    return [
        [
            (caption("toolbox/publish", lang), ("bxd", resource.id, "ok")),
            (caption("toolbox/refuse", lang), ("bxd", resource.id, "no")),
        ]
    ]


async def resource_finished(ctx: Ctx, finished: Finished) -> None:
    """Published at once (the group hears of it), or proposed: the team gets Publier /
    Refuser."""
    collective: Collective = finished.subject
    resource = await svc.repo(ctx.uow).resource(int(finished.data["resource_id"]))
    if resource is None:
        return
    ctx.say("toolbox/added", r=resource, c=collective, levier=_levier(resource, ctx.lang))
    if resource.status == svc.PUBLISHED:
        _announce(ctx, collective, resource)
        return
    for member in await ctx.uow.memberships.of_collective(collective.id):
        if member.role != Role.ANIMATEUR or member.status != MembershipStatus.ACTIVE:
            continue
        person = member.person
        ctx.tell(
            person,
            "toolbox/proposed_notice",
            _moderation_rows(resource, person.language),
            r=resource,
            c=collective,
            author=ctx.me.display_name,
            levier=_levier(resource, person.language),
        )


def _levier(resource: Resource, lang: str) -> str:
    lev = leviers().get(resource.levier)
    return lev.label(lang) if lev else resource.levier


def _announce(ctx: Ctx, collective: Collective, resource: Resource) -> None:
    ctx.post_group(
        collective,
        "toolbox/published_group",
        r=resource,
        levier=_levier(resource, collective.language),
    )


async def decide_button(ctx: Ctx, resource_id: int, verdict: str) -> None:
    resource, collective = await svc.moderate(
        ctx.uow, resource_id, ctx.me, verdict == "ok", ctx.now
    )
    ctx.edit("toolbox/decided", r=resource, c=collective, levier=_levier(resource, ctx.lang))
    author = await ctx.uow.people.get(resource.added_by) if resource.added_by else None
    if author is not None and author.id != ctx.me.id:
        ctx.tell(author, "toolbox/decided_author", r=resource, c=collective)
    if resource.status == svc.PUBLISHED:
        _announce(ctx, collective, resource)


# --- /boite


async def boite(ctx: Ctx, collective: Collective) -> None:
    await require_role(ctx.uow, collective, ctx.me, READERS)
    if not ctx.is_private:
        in_private(ctx, f"{BOX_LINK}{collective.id}")
        return
    await show_shelf(ctx, collective, edit=False)


async def boite_link(ctx: Ctx, rest: str) -> None:
    await boite(ctx, await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link"))


async def show_shelf(ctx: Ctx, collective: Collective, *, edit: bool) -> None:
    shelf = await svc.shelf(ctx.uow, collective, ctx.me)
    rows: Rows = [
        [
            (
                ctx.caption(
                    "toolbox/levier_count",
                    name=lev.label(ctx.lang),
                    count=shelf.counts.get(code, 0),
                ),
                ("bxl", collective.id, code),
            )
        ]
        for code, lev in leviers().items()
    ]
    rows.append([(ctx.caption("toolbox/progress"), ("bxp", collective.id))])
    if shelf.animator:
        if shelf.pending:
            rows.append(
                [(ctx.caption("toolbox/pending", count=shelf.pending), ("bxq", collective.id))]
            )
        rows.append(
            [(ctx.caption("toolbox/moderation", on=shelf.moderation), ("bxmod", collective.id))]
        )
        rows.append([(ctx.caption("toolbox/export"), ("bxe", collective.id))])
    rows += await switch_rows(ctx, collective, "boite")
    ctx.show("toolbox/shelf", rows, edit=edit, s=shelf, c=collective)


async def shelf_button(ctx: Ctx, collective_id: int) -> None:
    await show_shelf(ctx, await collectives_svc.find(ctx.uow, collective_id), edit=True)


async def show_levier(
    ctx: Ctx, collective: Collective, levier: str, number: int, *, edit: bool
) -> None:
    found = await svc.shelf_of(ctx.uow, collective, ctx.me, levier)
    page = paginate(found, number, size=PAGE)
    rows: Rows = [
        [(("📄 " if r.file_id else "🔗 ") + r.title[:50], ("bxr", r.id))] for r in page.items
    ]
    rows.append(nav_row(ctx, _list_name(levier), collective.id, page))
    rows.append([(ctx.caption("toolbox/back"), ("bxm", collective.id))])
    ctx.show(
        "toolbox/levier",
        rows,
        edit=edit,
        c=collective,
        page=page,
        levier=leviers()[levier].label(ctx.lang),
    )


async def levier_button(ctx: Ctx, collective_id: int, levier: str) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await show_levier(ctx, collective, levier, 0, edit=True)


def _levier_page(levier: str) -> PagedList:
    async def show(ctx: Ctx, collective_id: int, number: int) -> None:
        collective = await collectives_svc.find(ctx.uow, collective_id)
        await show_levier(ctx, collective, levier, number, edit=True)

    return PagedList(_list_name(levier), show)


async def resource_button(ctx: Ctx, resource_id: int) -> None:
    """A resource's card, in private; its document sent again by its Telegram file id."""
    resource, collective, team = await svc.readable(ctx.uow, resource_id, ctx.me)
    author = await ctx.uow.people.get(resource.added_by) if resource.added_by else None
    rows: Rows = []
    if team and resource.status == svc.PROPOSED:
        rows += _moderation_rows(resource, ctx.lang)
    if resource.status == svc.PUBLISHED:
        rows.append([(ctx.caption("toolbox/back_levier"), ("bxl", collective.id, resource.levier))])
    params = {
        "r": resource,
        "c": collective,
        "levier": _levier(resource, ctx.lang),
        "author": author.display_name if author else None,
    }
    if ctx.is_private and resource.file_id and ctx.user is not None:
        chat_id, file_id = ctx.user.id, resource.file_id
        text = ctx.text("toolbox/document_caption", **params)
        ctx.queue(lambda bot: bot.send_document(chat_id, file_id, caption=text), "document")
    ctx.show("toolbox/resource", rows, edit=False, **params)
    ctx.ack()


async def pending_button(ctx: Ctx, collective_id: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    waiting = await svc.pending(ctx.uow, collective, ctx.me)
    if not waiting:
        ctx.toast("toolbox/none_pending")
        await show_shelf(ctx, collective, edit=True)
        return
    rows: Rows = [
        [(("📄 " if r.file_id else "🔗 ") + r.title[:50], ("bxr", r.id))] for r in waiting[:PAGE]
    ]
    rows.append([(ctx.caption("toolbox/back"), ("bxm", collective.id))])
    ctx.edit("toolbox/pending_list", rows, c=collective, count=len(waiting))


async def moderation_button(ctx: Ctx, collective_id: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    on = not await svc.moderated(ctx.uow, collective.id)
    await svc.set_moderation(ctx.uow, collective, ctx.me, on, ctx.now)
    ctx.toast("toolbox/moderation_toast", on=on)
    await show_shelf(ctx, collective, edit=True)


async def export_button(ctx: Ctx, collective_id: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    content = await svc.resources_csv(ctx.uow, collective, ctx.me, ctx.lang)
    text = render("meetings/export_caption", ctx.person_lang, c=collective, what="ressources.csv")
    send_file(ctx, "ressources.csv", content, text)
    ctx.ack()


# --- the guide as a checklist


async def progress_button(ctx: Ctx, collective_id: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    lines = await svc.progress(ctx.uow, collective, ctx.me, ctx.lang)
    rows: Rows = [
        [(ctx.caption("toolbox/checklist_of", name=label), ("bxg", collective.id, code))]
        for code, label, _done, _doing, _total in lines
    ]
    rows.append([(ctx.caption("toolbox/back"), ("bxm", collective.id))])
    ctx.edit("toolbox/progress", rows, c=collective, lines=lines)


async def checklist_button(ctx: Ctx, collective_id: int, levier: str) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    lines = await svc.checklist(ctx.uow, collective, ctx.me, levier)
    rows: Rows = [
        [
            (
                ctx.caption(
                    "toolbox/action_line", status=line.status, text=line.action.label(ctx.lang)[:55]
                ),
                ("bxa", collective.id, line.action.code),
            )
        ]
        for line in lines
    ]
    rows.append([(ctx.caption("toolbox/back_progress"), ("bxp", collective.id))])
    ctx.edit(
        "toolbox/checklist",
        rows,
        c=collective,
        levier=leviers()[levier].label(ctx.lang),
        lines=lines,
    )


async def show_action(ctx: Ctx, collective: Collective, code: str) -> None:
    action, status, team = await svc.guide_action(ctx.uow, collective, ctx.me, code)
    rows: Rows = []
    if team:
        rows.append(
            [
                (
                    ctx.caption("toolbox/set_mark", status=s, current=s == status),
                    ("bxs", collective.id, code, s),
                )
                for s in svc.MARKS
            ]
        )
    rows.append([(ctx.caption("toolbox/back_checklist"), ("bxg", collective.id, action.levier))])
    ctx.edit(
        "toolbox/action",
        rows,
        c=collective,
        text=action.label(ctx.lang),
        how=action.how_to(ctx.lang),
        status=status,
        levier=leviers()[action.levier].label(ctx.lang),
    )


async def action_button(ctx: Ctx, collective_id: int, code: str) -> None:
    await show_action(ctx, await collectives_svc.find(ctx.uow, collective_id), code)


async def mark_button(ctx: Ctx, collective_id: int, code: str, status: str) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await svc.set_mark(ctx.uow, collective, ctx.me, code, status, ctx.now)
    ctx.toast("toolbox/marked", status=status)
    await show_action(ctx, collective, code)


# --- /chercher


async def chercher(ctx: Ctx, collective: Collective) -> None:
    results = await svc.search_all(
        ctx.uow, collective, ctx.me, ctx.command_rest, ctx.lang, ctx.now, private=ctx.is_private
    )
    rows: Rows = []
    if ctx.is_private:
        rows = [
            [("🧰 " + f.title[:50], ("bxr", f.ref_id))]
            for f in results.lines
            if f.kind == "resource"
        ]
    elif results.withheld:
        rows = ctx.private_link_button(f"{SEARCH_LINK}{collective.id}")
    # Someone with several collectives learns which one was searched, and can search another
    # (a reply to the command: the buttons find its words there).
    others = await switch_rows(ctx, collective, "chercher")
    ctx.say(
        "toolbox/results",
        rows + others,
        quote=bool(others),
        r=results,
        c=collective,
        private=ctx.is_private,
        several=bool(others),
    )


async def search_link(ctx: Ctx, rest: str) -> None:
    """Opened from a search in the group: how to search in private."""
    collective = await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link")
    await require_role(ctx.uow, collective, ctx.me, READERS)
    ctx.say("toolbox/search_private", c=collective)


# --- what the feature keeps about a person

PRIVACY = PersonalData("ressources", svc.export_person, svc.forget_person)

FEATURE = Feature(
    name="toolbox",
    journal=(
        ("resource_", "ressources"),
        ("checklist_changed", "ressources"),
        ("toolbox_moderation", "ressources"),
    ),
    commands=(
        Command(
            ("boite", "toolbox"),
            for_collective=boite,
            in_group_menu=True,
            in_private_menu=True,
            help=(("member", "toolbox/help_boite"),),
        ),
        Command(
            ("ressource", "resource"),
            for_collective=ressource,
            in_group_menu=True,
            in_private_menu=True,
            help=(("member", "toolbox/help_ressource"),),
        ),
        Command(
            ("chercher", "search"),
            for_collective=chercher,
            in_group_menu=True,
            in_private_menu=True,
            help=(("member", "toolbox/help_chercher"),),
        ),
    ),
    buttons=(
        Button("bxm", shelf_button, (Int(1),)),
        Button("bxl", levier_button, (Int(1), Word(*LEVIERS))),
        Button("bxr", resource_button, (Int(1),)),
        Button("bxd", decide_button, (Int(1), Word("ok", "no"))),
        Button("bxq", pending_button, (Int(1),)),
        Button("bxmod", moderation_button, (Int(1),)),
        Button("bxe", export_button, (Int(1),)),
        Button("bxp", progress_button, (Int(1),)),
        Button("bxg", checklist_button, (Int(1), Word(*LEVIERS))),
        Button("bxa", action_button, (Int(1), Word(*CODES))),
        Button("bxs", mark_button, (Int(1), Word(*CODES), Word(*svc.MARKS))),
    ),
    links=(
        Link(BOX_LINK, boite_link),
        Link(ADD_LINK, ressource_link),
        Link(SEARCH_LINK, search_link),
    ),
    flows=(FlowUI(flows.RESOURCE_FLOW, resource_finished),),
    lists=tuple(_levier_page(code) for code in LEVIERS),
    privacy=(PRIVACY,),
)
