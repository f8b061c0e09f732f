"""/importer, /acteurs, /annuaire carte: the cartographie's Telegram glue.

- `/importer` (animators, in private): the bot asks for a CSV or XLSX, previews what it
  understood and what it could not (each row with its reason), imports on « Importer ».
- `/acteurs` (animators): the imported actors (a card each: invite, delete), the suggested
  matches with their reason and « Présenter », `acteurs.csv` and the map.
- `/annuaire carte` (members, observers): the actors' map, in private.
- `/start xj<token>`: an invited actor claims their entry, through the same door as the join
  link (`handlers.members.enter`: the Telegram group first).
"""

from __future__ import annotations

from typing import Any

from telegram import Bot, InputFile

from bot.catalog import categories, familles
from bot.conversation import Finished
from bot.domain import READERS
from bot.paging import paginate
from bot.services import cartographie as svc
from bot.services import collectives as collectives_svc
from bot.services import members as members_svc
from bot.services.errors import Refusal
from bot.services.privacy import PersonalData
from handlers import conversation
from handlers.common import Ctx, Rows, answer_refusal
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
from storage.models import Collective, Membership

IMPORT_LINK, HOME_LINK, MAP_LINK, INVITE_LINK = "xi", "xa", "xm", "xj"
ACTORS_PAGE, MATCHES_PAGE = 10, 5
# Above this many actors the map goes as a document: Telegram would shrink a photo.
PHOTO_MAX_ACTORS = 30
CAPTION_LIMIT = 1024
# Characters of the preview given to the rows understood, and as many to the rows to fix.
PREVIEW_BUDGET = 1500
HOME_ACTIONS = ("import", "matches", "map", "csv")
ACTOR_ACTIONS = ("show", "invite", "delete", "delyes", "want", "clear")


def short_key(key: str) -> str:
    """« member:12 » → « m12 », « actor:5 » → « a5 » (callback data stays short)."""
    kind, _, number = key.partition(":")
    return kind[0] + number


def long_key(short: str) -> str:
    kinds = {"m": "member", "a": "actor"}
    if short[:1] not in kinds or not short[1:].isdigit():
        raise Refusal("stale_button")
    return f"{kinds[short[0]]}:{int(short[1:])}"


# --- the import


async def importer(ctx: Ctx, collective: Collective) -> None:
    await svc.require_animator(ctx.uow, collective, ctx.me)
    if not ctx.is_private:
        ctx.say(
            "cartographie/in_private",
            ctx.private_link_button(f"{IMPORT_LINK}{collective.id}"),
            c=collective,
        )
        return
    await conversation.start(ctx, svc.IMPORT, collective_id=collective.id)


async def import_link(ctx: Ctx, rest: str) -> None:
    collective = await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link")
    await importer(ctx, collective)


async def import_finished(ctx: Ctx, finished: Finished) -> None:
    """The file came (or « Annuler l'import »): read it and show the preview."""
    collective: Collective = finished.subject.collective
    file_id, name = finished.data.get("file_id"), finished.data.get("file_name")
    if not file_id or not name:
        ctx.say("cartographie/import_cancelled")
        return

    async def download(bot: Bot) -> bytes:
        found = await bot.get_file(str(file_id))
        return bytes(await found.download_as_bytearray())

    content: bytes = await ctx.ask_telegram(download)
    try:
        pending = await svc.preview(ctx.uow, collective, ctx.me, content, str(name), ctx.now)
    except Refusal as refusal:
        # Nothing is lost: say what is wrong and ask for the file again.
        answer_refusal(ctx, refusal)
        await conversation.start(ctx, svc.IMPORT, collective_id=collective.id)
        return
    show_preview(ctx, collective, pending)


def show_preview(ctx: Ctx, collective: Collective, pending: Any) -> None:
    rows = pending.rows.get("items", [])
    problems = pending.problems.get("items", [])
    names = {m.id: m.name for m in collective.maillons}
    buttons: Rows = []
    if rows:
        buttons.append(
            [(ctx.caption("cartographie/confirm_import", n=len(rows)), ("cim", pending.id, "ok"))]
        )
    buttons.append([(ctx.caption("cartographie/cancel"), ("cim", pending.id, "no"))])
    # A message holds 4,096 characters: show what fits, say how many more.
    shown_rows = _within(
        rows, PREVIEW_BUDGET, lambda r: 100 + len(r["organisation"]) + len(r["commune"] or "")
    )
    shown_problems = _within(
        problems, PREVIEW_BUDGET, lambda p: 60 + len(p["organisation"]) + len(p["value"])
    )
    ctx.say(
        "cartographie/preview",
        buttons,
        c=collective,
        file=pending.file_name,
        rows=shown_rows,
        more=len(rows) - len(shown_rows),
        count=len(rows),
        known=sum(1 for r in rows if r.get("known")),
        problems=shown_problems,
        more_problems=len(problems) - len(shown_problems),
        problem_count=len(problems),
        familles={code: f.label(ctx.lang) for code, f in familles().items()},
        maillons=names,
    )


def _within(items: list[Any], budget: int, cost: Any, most: int = 15) -> list[Any]:
    shown: list[Any] = []
    for item in items[:most]:
        budget -= cost(item)
        if budget < 0:
            break
        shown.append(item)
    return shown


async def import_button(ctx: Ctx, import_id: int, action: str) -> None:
    if action == "no":
        await svc.cancel(ctx.uow, import_id, ctx.me)
        ctx.edit_markup_off()
        ctx.say("cartographie/import_cancelled")
        return
    done, collective = await svc.confirm(ctx.uow, import_id, ctx.me, ctx.now)
    ctx.edit_markup_off()
    ctx.say(
        "cartographie/imported",
        [[(ctx.caption("cartographie/see_actors"), ("cah", collective.id, "show"))]],
        c=collective,
        created=done.created,
        updated=done.updated,
        controller=ctx.deps.settings.responsable_traitement,
        dpo=ctx.deps.settings.contact_dpo,
    )


# --- /acteurs: the imported actors, each with its card


async def actors_home(ctx: Ctx, collective: Collective) -> None:
    await svc.require_animator(ctx.uow, collective, ctx.me)
    if not ctx.is_private:
        ctx.say(
            "cartographie/in_private",
            ctx.private_link_button(f"{HOME_LINK}{collective.id}"),
            c=collective,
        )
        return
    await actors_page(ctx, collective, 0, edit=False)


async def home_link(ctx: Ctx, rest: str) -> None:
    collective = await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link")
    await actors_home(ctx, collective)


async def actors_page(ctx: Ctx, collective: Collective, number: int, *, edit: bool) -> None:
    await svc.require_animator(ctx.uow, collective, ctx.me)
    actors = await svc.actors_of(ctx.uow, collective.id)
    page = paginate(actors, number, size=ACTORS_PAGE)
    buttons: Rows = [[(a.organisation[:60], ("cac", a.id, "show"))] for a in page.items]
    buttons.append(nav_row(ctx, "acteurs", collective.id, page))
    buttons += [
        [(ctx.caption("cartographie/home_import"), ("cah", collective.id, "import"))],
        [(ctx.caption("cartographie/home_matches"), ("cah", collective.id, "matches"))],
        [
            (ctx.caption("cartographie/home_map"), ("cah", collective.id, "map")),
            (ctx.caption("cartographie/home_csv"), ("cah", collective.id, "csv")),
        ],
    ]
    ctx.show(
        "cartographie/actors",
        buttons,
        edit=edit,
        c=collective,
        page=page,
        familles={code: f.label(ctx.lang) for code, f in familles().items()},
        maillons={m.id: m.name for m in collective.maillons},
    )


async def actors_list(ctx: Ctx, collective_id: int, number: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await actors_page(ctx, collective, number, edit=True)


async def home_button(ctx: Ctx, collective_id: int, action: str) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await svc.require_animator(ctx.uow, collective, ctx.me)
    if action == "show":
        await actors_page(ctx, collective, 0, edit=False)
    elif action == "import":
        await conversation.start(ctx, svc.IMPORT, collective_id=collective.id)
    elif action == "matches":
        await matches_page(ctx, collective, 0, edit=False)
    elif action == "map":
        await send_map(ctx, collective)
    else:
        content = await svc.actors_csv(ctx.uow, collective, ctx.me)
        send_file(ctx, "acteurs.csv", content, ctx.text("cartographie/csv_caption", c=collective))


async def actor_button(ctx: Ctx, actor_id: int, action: str) -> None:
    if action == "delyes":
        name, collective = await svc.delete_actor(ctx.uow, actor_id, ctx.me, ctx.now)
        rows: Rows = [[(ctx.caption("cartographie/back"), ("cah", collective.id, "show"))]]
        ctx.edit("cartographie/deleted", rows, name=name)
        return
    if action == "invite":
        actor, collective = await svc.invite(ctx.uow, actor_id, ctx.me, ctx.now)
        ctx.say(
            "cartographie/invitation",
            c=collective,
            actor=actor,
            link=ctx.deep_link(f"{INVITE_LINK}{actor.invite_token}"),
        )
        return
    if action == "clear":
        await svc.clear_wants(ctx.uow, actor_id, ctx.me, ctx.now)
        ctx.edit_markup_off()
        await actor_button(ctx, actor_id, "show")
        return
    actor, collective = await svc.actor_for_animator(ctx.uow, actor_id, ctx.me)
    if action == "want":
        ctx.edit_markup_off()
        await conversation.start(ctx, svc.WANT, collective_id=collective.id, subject_id=actor.id)
        return
    if action == "delete":
        ctx.edit(
            "cartographie/confirm_delete",
            [
                [
                    (ctx.caption("cartographie/delete_yes"), ("cac", actor.id, "delyes")),
                    (ctx.caption("cartographie/keep"), ("cac", actor.id, "show")),
                ]
            ],
            actor=actor,
        )
        return
    buttons: Rows = [
        [(ctx.caption("cartographie/add_want"), ("cac", actor.id, "want"))],
        [(ctx.caption("cartographie/clear_wants"), ("cac", actor.id, "clear"))]
        if actor.wants
        else [],
        [(ctx.caption("cartographie/invite"), ("cac", actor.id, "invite"))],
        [(ctx.caption("cartographie/delete"), ("cac", actor.id, "delete"))],
        [(ctx.caption("cartographie/back"), ("cah", collective.id, "show"))],
    ]
    ctx.say(
        "cartographie/actor",
        buttons,
        actor=actor,
        famille=familles()[actor.famille].label(ctx.lang) if actor.famille in familles() else "",
        maillons=[m.name for m in collective.maillons if m.id in actor.maillon_ids],
        wants=[(w.kind, _category(ctx, w.kind, w.category), w.detail) for w in actor.wants],
    )


def _category(ctx: Ctx, kind: str, code: str) -> str:
    category = categories().get(code)
    if category is None:
        return code
    return category.as_need(ctx.lang) if kind == "need" else category.as_offer(ctx.lang)


async def want_finished(ctx: Ctx, finished: Finished) -> None:
    subject: svc.WantSubject = finished.subject
    ctx.say("cartographie/want_added", actor=subject.actor)
    await actor_button(ctx, subject.actor.id, "show")


# --- invitations


async def invite_link(ctx: Ctx, rest: str) -> None:
    """An invited actor arrives: the same door as /rejoindre, then the entry is theirs."""
    from handlers.members import enter

    actor, collective = await svc.invited(ctx.uow, rest)
    actor_id = actor.id

    async def claimed(member: Membership) -> None:
        found = await svc.repo(ctx.uow).actor(actor_id)
        if found is None:
            raise Refusal("stale_link")
        await svc.claim(ctx.uow, found, member, ctx.me, ctx.now)
        ctx.say("cartographie/claimed", organisation=found.organisation, c=collective)

    await enter(ctx, collective, claimed)


# --- the mise en relation


async def matches_page(ctx: Ctx, collective: Collective, number: int, *, edit: bool) -> None:
    board = await svc.matches_for(ctx.uow, collective, ctx.me)
    page = paginate(board.matches, number, size=MATCHES_PAGE)
    lines = [describe(ctx, board, m) for m in page.items]
    buttons: Rows = [
        [
            (
                ctx.caption("cartographie/introduce", n=page.number * MATCHES_PAGE + i + 1),
                (
                    "cin",
                    collective.id,
                    short_key(m.need.actor),
                    short_key(m.offer.actor),
                    m.need.category,
                ),
            )
        ]
        for i, m in enumerate(page.items)
        if (m.need.actor, m.offer.actor) not in board.introduced
    ]
    buttons.append(nav_row(ctx, "relations", collective.id, page))
    ctx.show(
        "cartographie/matches",
        buttons,
        edit=edit,
        c=collective,
        page=page,
        lines=lines,
        start=page.number * MATCHES_PAGE,
    )


def describe(ctx: Ctx, board: svc.Board, match: svc.Match) -> dict[str, Any]:
    """What the template needs to say why two actors match."""
    category = categories()[match.need.category]
    steps = match.steps
    return {
        "needing": board.parties[match.need.actor].name,
        "offering": board.parties[match.offer.actor].name,
        "need": category.as_need(ctx.lang)
        .split(" : ")[0]
        .split(" \u202f: ")[0]
        .split(":")[0]
        .strip(),
        "offer": category.as_offer(ctx.lang),
        "need_detail": match.need.detail,
        "offer_detail": match.offer.detail,
        "debouches": match.need.category == svc.DEBOUCHES,
        "from_step": board.maillon_name(steps[0]) if steps else None,
        "to_step": board.maillon_name(steps[1]) if steps else None,
        "introduced": (match.need.actor, match.offer.actor) in board.introduced,
    }


async def matches_list(ctx: Ctx, collective_id: int, number: int) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    await matches_page(ctx, collective, number, edit=True)


async def introduce_button(
    ctx: Ctx, collective_id: int, needing: str, offering: str, category: str
) -> None:
    collective = await collectives_svc.find(ctx.uow, collective_id)
    done = await svc.introduce(
        ctx.uow, collective, ctx.me, long_key(needing), long_key(offering), category, ctx.now
    )
    board = await svc.board(ctx.uow, collective)
    why = describe(ctx, board, done.match)
    for side, other in ((done.needing, done.offering), (done.offering, done.needing)):
        if side.person is not None:
            ctx.tell(
                side.person,
                "cartographie/introduction",
                c=collective,
                other=other,
                why=why,
                by=ctx.me.display_name,
            )
    ctx.say(
        "cartographie/introduced",
        c=collective,
        needing=done.needing,
        offering=done.offering,
        why=why,
    )


# --- the map and the files


async def show_map(ctx: Ctx, collective: Collective) -> None:
    """`/annuaire carte`: organisations' names, so in private, to members and observers."""
    await members_svc.require_role(ctx.uow, collective, ctx.me, READERS)
    if not ctx.is_private:
        ctx.say(
            "cartographie/map_in_private",
            ctx.private_link_button(f"{MAP_LINK}{collective.id}"),
            c=collective,
        )
        return
    await send_map(ctx, collective)


async def map_link(ctx: Ctx, rest: str) -> None:
    collective = await collectives_svc.find(ctx.uow, link_id(rest), missing="stale_link")
    await show_map(ctx, collective)


async def send_map(ctx: Ctx, collective: Collective) -> None:
    content, count = await svc.map_png(ctx.uow, collective, ctx.me, ctx.lang)
    text = ctx.text("cartographie/map_caption", c=collective, count=count)[:CAPTION_LIMIT]
    if ctx.user is None:
        return
    chat_id = ctx.user.id
    if count <= PHOTO_MAX_ACTORS:
        ctx.queue(
            lambda bot: bot.send_photo(
                chat_id, InputFile(content, filename="cartographie.png"), caption=text
            ),
            "map",
        )
    else:
        send_file(ctx, "cartographie.png", content, text)


def send_file(ctx: Ctx, name: str, content: bytes, text: str) -> None:
    if ctx.user is None:
        return
    chat_id = ctx.user.id
    ctx.queue(
        lambda bot: bot.send_document(
            chat_id, InputFile(content, filename=name), caption=text[:CAPTION_LIMIT]
        ),
        "document",
    )


FEATURE = Feature(
    name="cartographie",
    journal=(("actor_", "membres"), ("actors_", "membres")),
    commands=(
        Command(
            ("importer", "import"),
            for_collective=importer,
            in_private_menu=True,
            help=(("animateur", "cartographie/help_importer"),),
        ),
        Command(
            ("acteurs", "actors"),
            for_collective=actors_home,
            in_private_menu=True,
            help=(("animateur", "cartographie/help_acteurs"),),
        ),
    ),
    buttons=(
        Button("cim", import_button, (Int(1), Word("ok", "no"))),
        Button("cah", home_button, (Int(1), Word("show", *HOME_ACTIONS))),
        Button("cac", actor_button, (Int(1), Word(*ACTOR_ACTIONS))),
        Button("cin", introduce_button, (Int(1), Word(), Word(), Word())),
    ),
    links=(
        Link(IMPORT_LINK, import_link),
        Link(HOME_LINK, home_link),
        Link(MAP_LINK, map_link),
        Link(INVITE_LINK, invite_link),
    ),
    flows=(FlowUI(svc.IMPORT_FLOW, import_finished), FlowUI(svc.WANT_FLOW, want_finished)),
    lists=(PagedList("acteurs", actors_list), PagedList("relations", matches_list)),
    privacy=(PersonalData("cartographie", svc.export_person, svc.forget_person),),
)
