"""The charter: from the template to signatures.

The animation team loads the template (`content/charters/<lang>.md`), edits the articles in
private and publishes the draft in the group. Members propose amendments (`/amender`); the
team puts one to a vote, merges it (while the charter is a draft) or declines it with a
reason. A vote adopts the charter, or an amendment to an adopted charter: each adoption is a
new version, frozen with its text. Members sign a version, for an organisation, on a date; the
signatories of earlier versions are invited to sign the new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from bot.catalog import CONTENT
from bot.conversation import Flow, Kind, Option, Step, StepContext
from bot.domain import ANIMATORS, MembershipStatus, Role
from bot.services import journal
from bot.services.errors import Refusal
from bot.services.members import require_role
from bot.services.typed import clean_text
from bot.texts import caption
from storage.models import (
    Charter,
    CharterAmendment,
    CharterArticle,
    CharterSignature,
    CharterVersion,
    Collective,
    Conversation,
    Membership,
    Person,
    Vote,
)
from storage.repos.votes import CharterRepo, VoteRepo
from storage.uow import UnitOfWork

SIGNERS = (Role.ANIMATEUR, Role.MEMBRE)
AMENDERS = (Role.ANIMATEUR, Role.MEMBRE)
MAX_ARTICLES = 15
ARTICLE_LIMIT = 3000


def repo(uow: UnitOfWork) -> CharterRepo:
    return uow.repo(CharterRepo)


# --- the template


@dataclass(frozen=True)
class Template:
    title: str
    preamble: str
    articles: list[tuple[str, str]]


@lru_cache(maxsize=4)
def _template_text(lang: str) -> str:
    path = CONTENT / "charters" / f"{lang}.md"
    if not path.exists():
        path = CONTENT / "charters" / "fr.md"
    return path.read_text(encoding="utf-8")


def parse_template(text: str) -> Template:
    """`# Title`, a preamble, then `## Article title` and its paragraphs."""
    title, preamble, articles = "", [], []
    current: list[str] | None = None
    heading = ""
    for line in text.splitlines():
        if line.startswith("## "):
            if current is not None:
                articles.append((heading, "\n".join(current).strip()))
            heading, current = line[3:].strip(), []
        elif line.startswith("# "):
            title = line[2:].strip()
        elif current is None:
            preamble.append(line)
        else:
            current.append(line)
    if current is not None:
        articles.append((heading, "\n".join(current).strip()))
    return Template(title, "\n".join(preamble).strip(), articles)


def _filiere(collective: Collective) -> str:
    """« filière laine du Cantal » from « Filière laine du Cantal »; else « filière « X » »."""
    title = collective.title
    if title.casefold().startswith(("filière ", "filiere ")):
        return title[0].lower() + title[1:]
    return f"filière « {title} »"


def template_for(collective: Collective) -> Template:
    raw = parse_template(_template_text(collective.language))

    def fill(text: str) -> str:
        text = text.replace("{filiere}", _filiere(collective))
        if collective.territoire:
            return text.replace("{territoire}", collective.territoire)
        return text.replace(" ({territoire})", "").replace("{territoire}", "")

    return Template(
        fill(raw.title), fill(raw.preamble), [(fill(t), fill(b)) for t, b in raw.articles]
    )


# --- reading


async def of_collective(uow: UnitOfWork, collective: Collective) -> Charter | None:
    return await repo(uow).of_collective(collective.id)


async def require_charter(uow: UnitOfWork, collective: Collective) -> Charter:
    found = await of_collective(uow, collective)
    if found is None:
        raise Refusal("charter_none", collective=collective.title)
    return found


async def running_vote(uow: UnitOfWork, charter: Charter) -> Vote | None:
    """The vote on the whole charter that is running, if any."""
    for vote in await uow.repo(VoteRepo).about("charter", charter.id):
        if vote.status in ("open", "paused"):
            return vote
    return None


@dataclass(frozen=True)
class Signatory:
    person_id: int
    name: str
    organisation: str
    signed_at: datetime
    version: int


def _signatory(signature: CharterSignature, person: Person, version: int) -> Signatory:
    return Signatory(
        signature.person_id,
        person.display_name,
        signature.organisation,
        signature.signed_at,
        version,
    )


@dataclass(frozen=True)
class View:
    charter: Charter
    collective: Collective
    status: str  # brouillon (draft), vote (a vote on the whole charter runs), adoptee
    articles: list[CharterArticle]
    version: CharterVersion | None  # the latest adopted version
    vote: Vote | None  # the running vote on the whole charter
    signatories: list[Signatory]  # of the latest version
    earlier: int  # people who signed only an earlier version
    pending: int  # amendments waiting for the team
    changed: bool  # the working text differs from the adopted version


async def view(uow: UnitOfWork, collective: Collective) -> View:
    charter = await require_charter(uow, collective)
    articles = await repo(uow).articles(charter.id)
    version = await repo(uow).version(charter.id, charter.version) if charter.version else None
    vote = await running_vote(uow, charter)
    signed = await repo(uow).signatures(charter.id)
    people = await uow.people.many([s.person_id for s, _ in signed])
    current = [
        _signatory(s, people[s.person_id], n)
        for s, n in signed
        if n == charter.version and s.person_id in people
    ]
    current_ids = {s.person_id for s, n in signed if n == charter.version}
    earlier = {s.person_id for s, n in signed if n != charter.version} - current_ids
    pending = len(await repo(uow).amendments(charter.id, ("proposed",)))
    status = (
        "vote" if vote is not None else ("adoptee" if charter.status == "adopted" else "brouillon")
    )
    return View(
        charter,
        collective,
        status,
        articles,
        version,
        vote,
        current,
        len(earlier),
        pending,
        version is not None and version.text.get("articles") != _articles_of(articles),
    )


def _articles_of(articles: list[CharterArticle]) -> list[list[str]]:
    return [[a.title, a.body] for a in articles]


def text_of(charter: Charter, articles: list[CharterArticle]) -> dict[str, Any]:
    return {
        "title": charter.title,
        "preamble": charter.preamble,
        "articles": _articles_of(articles),
    }


# --- loading, editing, publishing


async def load_template(
    uow: UnitOfWork, collective: Collective, actor: Person, now: datetime
) -> Charter:
    await require_role(uow, collective, actor, ANIMATORS)
    if await of_collective(uow, collective) is not None:
        raise Refusal("charter_exists")
    template = template_for(collective)
    charter = Charter(
        collective_id=collective.id,
        title=template.title[:200],
        preamble=template.preamble[:2000],
        status="draft",
        version=0,
        created_at=now,
    )
    repo(uow).add(charter)
    await repo(uow).flush()
    for position, (title, body) in enumerate(template.articles, start=1):
        repo(uow).add(
            CharterArticle(
                charter_id=charter.id,
                position=position,
                title=title[:200],
                body=body[:ARTICLE_LIMIT],
                updated_at=now,
            )
        )
    await repo(uow).flush()
    await journal.record(uow, collective.id, "charter_loaded", now, actor_id=actor.id)
    return charter


async def check_editable(uow: UnitOfWork, charter: Charter) -> None:
    """The team edits the working text while the charter is a draft, and not during a round of
    a vote on it (between consent rounds, amending is the point)."""
    if charter.status == "adopted":
        raise Refusal("charter_adopted_locked")
    vote = await running_vote(uow, charter)
    if vote is not None and vote.status == "open":
        raise Refusal("charter_in_vote", title=vote.title)


async def publish_draft(
    uow: UnitOfWork, collective: Collective, actor: Person, now: datetime
) -> View:
    await require_role(uow, collective, actor, ANIMATORS)
    charter = await require_charter(uow, collective)
    if charter.status == "adopted":
        raise Refusal("charter_adopted_locked")
    charter.published_at = now
    await journal.record(uow, collective.id, "charter_published", now, actor_id=actor.id)
    return await view(uow, collective)


@dataclass
class ArticleSubject:
    charter: Charter
    article: CharterArticle
    collective: Collective


async def _load_article(uow: UnitOfWork, conversation: Conversation) -> ArticleSubject | None:
    article = await repo(uow).article(conversation.subject_id or 0)
    if article is None:
        return None
    charter = await repo(uow).get(article.charter_id)
    collective = await uow.collectives.get(charter.collective_id) if charter else None
    if charter is None or collective is None:
        return None
    return ArticleSubject(charter, article, collective)


async def _guard_article(ctx: StepContext) -> None:
    s: ArticleSubject = ctx.subject
    await require_role(ctx.uow, s.collective, ctx.person, ANIMATORS)
    await check_editable(ctx.uow, s.charter)
    await _article_vote_check(ctx.uow, s.article)


async def _article_vote_check(uow: UnitOfWork, article: CharterArticle) -> None:
    for vote in await uow.repo(VoteRepo).about("article", article.id):
        if vote.status == "open":
            raise Refusal("charter_in_vote", title=vote.title)


def _article_params(ctx: StepContext) -> dict[str, Any]:
    s: ArticleSubject = ctx.subject
    return {"c": s.collective, "article": s.article}


async def _save_article_title(ctx: StepContext, value: str) -> None:
    ctx.subject.article.title = value
    ctx.subject.article.updated_at = ctx.now


async def _save_article_body(ctx: StepContext, value: str) -> None:
    ctx.subject.article.body = value
    ctx.subject.article.updated_at = ctx.now


async def _current_title(ctx: StepContext) -> str:
    return str(ctx.subject.article.title)


async def _current_body(ctx: StepContext) -> str:
    return str(ctx.subject.article.body)


async def _complete_article(ctx: StepContext) -> None:
    s: ArticleSubject = ctx.subject
    s.article.approved_vote_id = None  # a changed article is no longer the one voted
    await journal.record(
        ctx.uow,
        s.collective.id,
        "charter_article_edited",
        ctx.now,
        actor_id=ctx.person.id,
        data={"article": s.article.position, "title": s.article.title[:120]},
    )


ARTICLE = "charter_article"
ARTICLE_FLOW = Flow(
    name=ARTICLE,
    steps=(
        Step(
            "title",
            Kind.TEXT,
            "charter/ask_article_title",
            _save_article_title,
            params=_article_params,
            parse=lambda ctx, text: clean_text(text, field="article_title", limit=200),
            suggest=_current_title,
            keep_caption="charter/keep_title",
        ),
        Step(
            "body",
            Kind.TEXT,
            "charter/ask_article_body",
            _save_article_body,
            params=_article_params,
            parse=lambda ctx, text: clean_text(text, field="article", limit=ARTICLE_LIMIT),
            suggest=_current_body,
            keep_caption="charter/keep_body",
        ),
    ),
    load=_load_article,
    guard=_guard_article,
    complete=_complete_article,
    title=lambda ctx: str(ctx.subject.article.title),
)


async def article_to_edit(
    uow: UnitOfWork, article_id: int, actor: Person
) -> tuple[Charter, CharterArticle, Collective]:
    article = await repo(uow).article(article_id)
    charter = await repo(uow).get(article.charter_id) if article else None
    collective = await uow.collectives.get(charter.collective_id) if charter else None
    if article is None or charter is None or collective is None:
        raise Refusal("stale_button")
    await require_role(uow, collective, actor, ANIMATORS)
    return charter, article, collective


async def can_add_article(uow: UnitOfWork, collective: Collective, actor: Person) -> Charter:
    await require_role(uow, collective, actor, ANIMATORS)
    charter = await require_charter(uow, collective)
    await check_editable(uow, charter)
    if len(await repo(uow).articles(charter.id)) >= MAX_ARTICLES:
        raise Refusal("charter_articles_many", limit=MAX_ARTICLES)
    return charter


@dataclass
class NewArticleSubject:
    charter: Charter
    collective: Collective
    position: int  # the article it will be


async def _load_new_article(
    uow: UnitOfWork, conversation: Conversation
) -> NewArticleSubject | None:
    charter = await repo(uow).get(conversation.subject_id or 0)
    collective = await uow.collectives.get(charter.collective_id) if charter else None
    if charter is None or collective is None:
        return None
    position = len(await repo(uow).articles(charter.id)) + 1
    return NewArticleSubject(charter, collective, position)


async def _guard_new_article(ctx: StepContext) -> None:
    s: NewArticleSubject = ctx.subject
    await can_add_article(ctx.uow, s.collective, ctx.person)


def _new_article_params(ctx: StepContext) -> dict[str, Any]:
    s: NewArticleSubject = ctx.subject
    return {"c": s.collective, "n": s.position, "title": ctx.data.get("title")}


async def _save_new_title(ctx: StepContext, value: str) -> None:
    ctx.remember(title=value)


async def _save_new_body(ctx: StepContext, value: str) -> None:
    ctx.remember(body=value)


async def _complete_new_article(ctx: StepContext) -> None:
    """The article exists once written: an abandoned one leaves nothing behind."""
    s: NewArticleSubject = ctx.subject
    article = CharterArticle(
        charter_id=s.charter.id,
        position=s.position,
        title=str(ctx.data["title"]),
        body=str(ctx.data["body"]),
        updated_at=ctx.now,
    )
    repo(ctx.uow).add(article)
    await repo(ctx.uow).flush()
    ctx.remember(article=article.id)
    await journal.record(
        ctx.uow,
        s.collective.id,
        "charter_article_edited",
        ctx.now,
        actor_id=ctx.person.id,
        data={"article": article.position, "title": article.title[:120]},
    )


NEW_ARTICLE = "charter_new_article"
NEW_ARTICLE_FLOW = Flow(
    name=NEW_ARTICLE,
    steps=(
        Step(
            "title",
            Kind.TEXT,
            "charter/ask_new_article_title",
            _save_new_title,
            params=_new_article_params,
            parse=lambda ctx, text: clean_text(text, field="article_title", limit=200),
        ),
        Step(
            "body",
            Kind.TEXT,
            "charter/ask_new_article_body",
            _save_new_body,
            params=_new_article_params,
            parse=lambda ctx, text: clean_text(text, field="article", limit=ARTICLE_LIMIT),
        ),
    ),
    load=_load_new_article,
    guard=_guard_new_article,
    complete=_complete_new_article,
    title=lambda ctx: str(ctx.subject.charter.title),
)


# --- amendments


@dataclass
class AmendSubject:
    charter: Charter
    collective: Collective
    articles: list[CharterArticle]


async def _load_amend(uow: UnitOfWork, conversation: Conversation) -> AmendSubject | None:
    charter = await repo(uow).get(conversation.subject_id or 0)
    collective = await uow.collectives.get(charter.collective_id) if charter else None
    if charter is None or collective is None:
        return None
    return AmendSubject(charter, collective, await repo(uow).articles(charter.id))


async def _guard_amend(ctx: StepContext) -> None:
    await require_role(ctx.uow, ctx.subject.collective, ctx.person, AMENDERS)


def _amend_params(ctx: StepContext) -> dict[str, Any]:
    s: AmendSubject = ctx.subject
    chosen = next((a for a in s.articles if a.id == ctx.data.get("article")), None)
    return {"c": s.collective, "article": chosen}


def _article_options(ctx: StepContext) -> list[Option]:
    return [Option(str(a.id), f"{a.position}. {a.title}"[:60]) for a in ctx.subject.articles]


async def _save_amended_article(ctx: StepContext, value: str) -> None:
    if not any(str(a.id) == value for a in ctx.subject.articles):
        raise Refusal("stale_button")
    ctx.remember(article=int(value))


async def _save_wording(ctx: StepContext, value: str) -> None:
    ctx.remember(wording=value)


async def _save_rationale(ctx: StepContext, value: str) -> None:
    ctx.remember(rationale=value)


async def _complete_amend(ctx: StepContext) -> None:
    s: AmendSubject = ctx.subject
    article = next((a for a in s.articles if a.id == ctx.data.get("article")), None)
    if article is None:
        raise Refusal("stale_button")
    amendment = CharterAmendment(
        charter_id=s.charter.id,
        article_id=article.id,
        author_id=ctx.person.id,
        wording=str(ctx.data["wording"]),
        rationale=str(ctx.data["rationale"]),
        status="proposed",
        created_at=ctx.now,
    )
    repo(ctx.uow).add(amendment)
    await repo(ctx.uow).flush()
    ctx.remember(amendment=amendment.id, position=article.position)
    await journal.record(
        ctx.uow,
        s.collective.id,
        "amendment_proposed",
        ctx.now,
        actor_id=ctx.person.id,
        data={"amendment": amendment.id, "article": article.position},
    )


AMEND = "charter_amend"
AMEND_FLOW = Flow(
    name=AMEND,
    steps=(
        Step(
            "article",
            Kind.CHOICE,
            "charter/ask_amend_article",
            _save_amended_article,
            params=_amend_params,
            options=_article_options,
        ),
        Step(
            "wording",
            Kind.TEXT,
            "charter/ask_amend_wording",
            _save_wording,
            params=_amend_params,
            parse=lambda ctx, text: clean_text(text, field="article", limit=ARTICLE_LIMIT),
        ),
        Step(
            "rationale",
            Kind.TEXT,
            "charter/ask_amend_rationale",
            _save_rationale,
            params=_amend_params,
            parse=lambda ctx, text: clean_text(text, field="rationale", limit=1000),
        ),
    ),
    load=_load_amend,
    guard=_guard_amend,
    complete=_complete_amend,
    title=lambda ctx: str(ctx.subject.charter.title),
    progress=True,
)


async def can_amend(uow: UnitOfWork, collective: Collective, person: Person) -> Charter:
    await require_role(uow, collective, person, AMENDERS)
    return await require_charter(uow, collective)


@dataclass(frozen=True)
class AmendmentView:
    amendment: CharterAmendment
    article: CharterArticle | None
    author: Person | None
    collective_id: int = 0


async def amendments(
    uow: UnitOfWork, collective: Collective, actor: Person, statuses: tuple[str, ...]
) -> list[AmendmentView]:
    await require_role(uow, collective, actor, ANIMATORS)
    charter = await require_charter(uow, collective)
    found = await repo(uow).amendments(charter.id, statuses)
    people = await uow.people.many([a.author_id for a in found if a.author_id])
    return [
        AmendmentView(a, await repo(uow).article(a.article_id), people.get(a.author_id or 0))
        for a in found
    ]


async def amendment_for_team(
    uow: UnitOfWork, amendment_id: int, actor: Person
) -> tuple[CharterAmendment, Charter, Collective, CharterArticle]:
    amendment = await repo(uow).amendment(amendment_id)
    charter = await repo(uow).get(amendment.charter_id) if amendment else None
    collective = await uow.collectives.get(charter.collective_id) if charter else None
    article = await repo(uow).article(amendment.article_id) if amendment else None
    if amendment is None or charter is None or collective is None or article is None:
        raise Refusal("stale_button")
    await require_role(uow, collective, actor, ANIMATORS)
    if amendment.status != "proposed":
        raise Refusal("amendment_decided", status=amendment.status)
    return amendment, charter, collective, article


async def merge(uow: UnitOfWork, amendment_id: int, actor: Person, now: datetime) -> AmendmentView:
    """The team takes the amendment into the draft (an adopted charter changes only by vote)."""
    amendment, charter, collective, article = await amendment_for_team(uow, amendment_id, actor)
    await check_editable(uow, charter)
    article.body, article.updated_at, article.approved_vote_id = amendment.wording, now, None
    amendment.status, amendment.decided_at, amendment.decided_by = "merged", now, actor.id
    await journal.record(
        uow,
        collective.id,
        "amendment_merged",
        now,
        actor_id=actor.id,
        subject_id=amendment.author_id,
        data={"amendment": amendment.id, "article": article.position},
    )
    author = await uow.people.get(amendment.author_id) if amendment.author_id else None
    return AmendmentView(amendment, article, author, collective.id)


@dataclass
class DeclineSubject:
    amendment: CharterAmendment
    collective: Collective
    article: CharterArticle


async def _load_decline(uow: UnitOfWork, conversation: Conversation) -> DeclineSubject | None:
    amendment = await repo(uow).amendment(conversation.subject_id or 0)
    if amendment is None or amendment.status != "proposed":
        return None
    charter = await repo(uow).get(amendment.charter_id)
    collective = await uow.collectives.get(charter.collective_id) if charter else None
    article = await repo(uow).article(amendment.article_id)
    if collective is None or article is None:
        return None
    return DeclineSubject(amendment, collective, article)


async def _guard_decline(ctx: StepContext) -> None:
    await require_role(ctx.uow, ctx.subject.collective, ctx.person, ANIMATORS)


async def _save_decline(ctx: StepContext, value: str) -> None:
    s: DeclineSubject = ctx.subject
    s.amendment.status, s.amendment.reason = "declined", value
    s.amendment.decided_at, s.amendment.decided_by = ctx.now, ctx.person.id
    await journal.record(
        ctx.uow,
        s.collective.id,
        "amendment_declined",
        ctx.now,
        actor_id=ctx.person.id,
        subject_id=s.amendment.author_id,
        data={"amendment": s.amendment.id, "article": s.article.position},
    )


DECLINE = "charter_decline"
DECLINE_FLOW = Flow(
    name=DECLINE,
    steps=(
        Step(
            "reason",
            Kind.TEXT,
            "charter/ask_decline_reason",
            _save_decline,
            params=lambda ctx: {
                "c": ctx.subject.collective,
                "article": ctx.subject.article,
                "amendment": ctx.subject.amendment,
            },
            parse=lambda ctx, text: clean_text(text, field="reason", limit=1000),
        ),
    ),
    load=_load_decline,
    guard=_guard_decline,
    title=lambda ctx: str(ctx.subject.article.title),
)


# --- what votes do to the charter


async def subject_of(uow: UnitOfWork, vote: Vote) -> tuple[Charter, CharterArticle | None]:
    """The charter a vote is about (and the article, for an article or an amendment)."""
    if vote.kind == "charter":
        charter = await repo(uow).get(vote.subject_id or 0)
        article = None
    elif vote.kind == "article":
        article = await repo(uow).article(vote.subject_id or 0)
        charter = await repo(uow).get(article.charter_id) if article else None
    else:
        amendment = await repo(uow).amendment(vote.subject_id or 0)
        article = await repo(uow).article(amendment.article_id) if amendment else None
        charter = await repo(uow).get(amendment.charter_id) if amendment else None
    if charter is None:
        raise Refusal("stale_button")
    return charter, article


async def proposal(uow: UnitOfWork, vote: Vote) -> dict[str, Any]:
    charter, article = await subject_of(uow, vote)
    if vote.kind == "charter":
        return text_of(charter, await repo(uow).articles(charter.id))
    assert article is not None
    if vote.kind == "article":
        return {"article": article.position, "title": article.title, "body": article.body}
    amendment = await repo(uow).amendment(vote.subject_id or 0)
    assert amendment is not None
    return {
        "article": article.position,
        "title": article.title,
        "before": article.body,
        "wording": amendment.wording,
        "rationale": amendment.rationale,
    }


async def vote_opened(uow: UnitOfWork, vote: Vote, now: datetime) -> None:
    if vote.kind == "amendment":
        amendment = await repo(uow).amendment(vote.subject_id or 0)
        if amendment is not None:
            amendment.status, amendment.vote_id = "voting", vote.id


async def vote_ended(uow: UnitOfWork, vote: Vote, adopted: bool, now: datetime) -> None:
    """A vote about the charter ended: adopt, merge or record what it decided."""
    charter, article = await subject_of(uow, vote)
    if vote.kind == "charter" and adopted:
        await adopt_version(uow, charter, vote, now, change=None)
    elif vote.kind == "article" and adopted and article is not None:
        article.approved_vote_id = vote.id
    elif vote.kind == "amendment":
        amendment = await repo(uow).amendment(vote.subject_id or 0)
        if amendment is None or article is None:
            return
        if vote.status == "cancelled":
            amendment.status, amendment.vote_id = "proposed", None
            return
        amendment.decided_at = now
        if not adopted:
            amendment.status = "rejected"
            return
        amendment.status = "merged"
        article.body, article.updated_at = amendment.wording, now
        if charter.status == "adopted":
            await adopt_version(uow, charter, vote, now, change=f"article {article.position}")


async def adopt_version(
    uow: UnitOfWork, charter: Charter, vote: Vote, now: datetime, *, change: str | None
) -> CharterVersion:
    articles = await repo(uow).articles(charter.id)
    charter.version += 1
    charter.status = "adopted"
    version = CharterVersion(
        charter_id=charter.id,
        number=charter.version,
        text=text_of(charter, articles),
        adopted_at=now,
        vote_id=vote.id,
        change=change,
    )
    repo(uow).add(version)
    await repo(uow).flush()
    await journal.record(
        uow,
        charter.collective_id,
        "charter_adopted",
        now,
        data={"version": version.number, "vote": vote.id, "method": vote.method},
    )
    return version


async def version_adopted_by(uow: UnitOfWork, vote: Vote) -> tuple[Charter, CharterVersion] | None:
    """The version a vote adopted, if it adopted one."""
    if vote.kind not in ("charter", "amendment"):
        return None
    charter, _ = await subject_of(uow, vote)
    for version in await repo(uow).versions(charter.id):
        if version.vote_id == vote.id:
            return charter, version
    return None


async def to_invite(
    uow: UnitOfWork, charter: Charter, version: CharterVersion
) -> list[tuple[Person, int]]:
    """People who signed an earlier version, not this one, and are still active members:
    with the last version they signed."""
    signed = await repo(uow).signatures(charter.id)
    latest: dict[int, int] = {}
    for signature, number in signed:
        latest[signature.person_id] = max(latest.get(signature.person_id, 0), number)
    people = await uow.people.many(list(latest))
    result = []
    for person_id, number in latest.items():
        if number >= version.number or person_id not in people:
            continue
        member = await uow.memberships.get(charter.collective_id, person_id)
        if member is not None and member.status == MembershipStatus.ACTIVE:
            result.append((people[person_id], number))
    return result


async def set_pin(uow: UnitOfWork, version_id: int, message_id: int | None, pin: str) -> None:
    version = await uow.session.get(CharterVersion, version_id)
    if version is not None:
        if message_id is not None:
            version.message_id = message_id
        version.pin = pin


# --- signatures


@dataclass
class SignSubject:
    charter: Charter
    version: CharterVersion
    collective: Collective
    member: Membership


async def can_sign(
    uow: UnitOfWork, collective: Collective, person: Person
) -> tuple[Charter, CharterVersion, Membership]:
    member = await require_role(uow, collective, person, SIGNERS)
    charter = await require_charter(uow, collective)
    version = await repo(uow).version(charter.id, charter.version) if charter.version else None
    if charter.status != "adopted" or version is None:
        raise Refusal("charter_not_adopted")
    found = await repo(uow).signature(version.id, person.id)
    if found is not None:
        raise Refusal(
            "charter_signed_already",
            version=version.number,
            when=found.signed_at,
            tz=collective.timezone,
        )
    return charter, version, member


async def _load_sign(uow: UnitOfWork, conversation: Conversation) -> SignSubject | None:
    charter = await repo(uow).get(conversation.subject_id or 0)
    collective = await uow.collectives.get(charter.collective_id) if charter else None
    if charter is None or collective is None or not charter.version:
        return None
    version = await repo(uow).version(charter.id, charter.version)
    member = await uow.memberships.get(collective.id, conversation.person_id)
    if version is None or member is None:
        return None
    return SignSubject(charter, version, collective, member)


async def _guard_sign(ctx: StepContext) -> None:
    s: SignSubject = ctx.subject
    await require_role(ctx.uow, s.collective, ctx.person, SIGNERS)
    if ctx.data.get("version", s.version.number) != s.version.number:
        # A new version was adopted meanwhile: sign that one, knowingly.
        raise Refusal("charter_version_changed", version=s.version.number)


def _sign_params(ctx: StepContext) -> dict[str, Any]:
    s: SignSubject = ctx.subject
    return {
        "c": s.collective,
        "version": s.version,
        "organisation": ctx.data.get("organisation") or s.member.organisation,
        "tz": s.collective.timezone,
        "now": ctx.now,
    }


async def _save_organisation(ctx: StepContext, value: str) -> None:
    ctx.remember(organisation=value)


async def _suggest_organisation(ctx: StepContext) -> str | None:
    return ctx.subject.member.organisation


async def _save_sign(ctx: StepContext, value: str) -> None:
    if value != "sign":
        raise Refusal("stale_button")


async def _complete_sign(ctx: StepContext) -> None:
    s: SignSubject = ctx.subject
    if await repo(ctx.uow).signature(s.version.id, ctx.person.id) is not None:
        raise Refusal(
            "charter_signed_already",
            version=s.version.number,
            when=ctx.now,
            tz=s.collective.timezone,
        )
    organisation = str(ctx.data.get("organisation") or s.member.organisation or "")
    repo(ctx.uow).add(
        CharterSignature(
            version_id=s.version.id,
            person_id=ctx.person.id,
            organisation=organisation[:200],
            signed_at=ctx.now,
        )
    )
    await repo(ctx.uow).flush()
    await journal.record(
        ctx.uow,
        s.collective.id,
        "charter_signed",
        ctx.now,
        actor_id=ctx.person.id,
        data={"version": s.version.number, "organisation": organisation[:120]},
    )


SIGN = "charter_sign"
SIGN_FLOW = Flow(
    name=SIGN,
    steps=(
        Step(
            "organisation",
            Kind.TEXT,
            "charter/ask_sign_organisation",
            _save_organisation,
            params=_sign_params,
            parse=lambda ctx, text: clean_text(text, field="organisation", limit=200),
            suggest=_suggest_organisation,
        ),
        Step(
            "sign",
            Kind.CHOICE,
            "charter/ask_sign",
            _save_sign,
            params=_sign_params,
            options=lambda ctx: [
                Option(
                    "sign",
                    caption("charter/sign_now", ctx.lang, version=ctx.subject.version.number),
                )
            ],
        ),
    ),
    load=_load_sign,
    guard=_guard_sign,
    complete=_complete_sign,
    title=lambda ctx: str(ctx.subject.charter.title),
)


# --- the history, for the exports


@dataclass(frozen=True)
class VersionRecord:
    version: CharterVersion
    vote: Vote | None
    signatories: list[Signatory]


async def history(uow: UnitOfWork, collective: Collective) -> tuple[View, list[VersionRecord]]:
    current = await view(uow, collective)
    signed = await repo(uow).signatures(current.charter.id)
    people = await uow.people.many([s.person_id for s, _ in signed])
    records = []
    for version in await repo(uow).versions(current.charter.id):
        vote = await uow.repo(VoteRepo).get(version.vote_id) if version.vote_id else None
        records.append(
            VersionRecord(
                version,
                vote,
                [
                    _signatory(s, people[s.person_id], n)
                    for s, n in signed
                    if n == version.number and s.person_id in people
                ],
            )
        )
    return current, records


def plain_paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
