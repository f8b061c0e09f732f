"""The files a vote and the charter leave behind: a vote's results as CSV (every round; every
ballot of a public vote) and the charter's text as Markdown and HTML. Sent by the features'
export buttons and written into the animator's archive."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.catalog import CONTENT
from bot.exports import Cell, csv_bytes
from bot.services import charter as charter_svc
from bot.services import judgment
from bot.services import votes as svc
from bot.texts import caption, format_when
from storage.models import Collective, Vote
from storage.repos.votes import VoteRepo
from storage.uow import UnitOfWork


def method_label(vote: Vote, lang: str) -> str:
    return caption(f"votes/method_{vote.method}", lang)


async def results_csv(uow: UnitOfWork, vote: Vote, collective: Collective, lang: str) -> bytes:
    """The results of every round, then, for a public vote, every ballot."""
    votes = uow.repo(VoteRepo)
    tz = collective.timezone

    def label(name: str, **params: Any) -> str:
        return caption(f"votes/{name}", lang, **params)

    def choice_label(code: str | None) -> str:
        if code is None:
            return ""
        return label(f"grade_{code}") if code in judgment.GRADES else label(f"choice_{code}")

    rows: list[Sequence[Cell]] = [
        [label("csv_method"), method_label(vote, lang)],
        [label("csv_ballot"), label("secret" if vote.anonymous else "public")],
        [label("csv_status"), label(f"status_{vote.status}")],
        [],
        [
            label("csv_round"),
            label("csv_college"),
            label("csv_option"),
            label("csv_choice"),
            label("csv_count"),
        ],
    ]
    options = {o.position: o.label for o in await votes.options(vote.id)}
    colleges = {c.position: c.name for c in await votes.vote_colleges(vote.id)}
    summary: list[Sequence[Cell]] = []
    # A round still open shows its counts only when the vote shows them live (never a
    # secret ballot's).
    visible = {
        r.number
        for r in await votes.rounds(vote.id)
        if r.result is not None or (vote.live_results and not vote.anonymous)
    }
    for found in await votes.rounds(vote.id):
        if found.number not in visible:
            continue
        for t in sorted(
            await votes.tallies(vote.id, found.number), key=lambda t: (t.college, t.option)
        ):
            hidden = False
            if vote.anonymous and colleges and found.result:
                shown = {c["name"]: c["shown"] for c in found.result.get("colleges", [])}
                hidden = not shown.get(colleges.get(t.college), True)
            if hidden:
                continue
            rows.append(
                [
                    found.number,
                    colleges.get(t.college, ""),
                    options.get(t.option, ""),
                    choice_label(t.choice),
                    t.count,
                ]
            )
        result = found.result or {}
        summary.append(
            [
                found.number,
                label(f"outcome_{found.outcome}") if found.outcome else label("csv_running"),
                result.get("participants"),
                result.get("eligible"),
                result.get("by_proxy"),
                label("csv_yes") if result.get("quorum_met", True) else label("csv_no"),
            ]
        )
    rows += [
        [],
        [
            label("csv_round"),
            label("csv_outcome"),
            label("csv_participants"),
            label("csv_eligible"),
            label("csv_by_proxy"),
            label("csv_quorum_met"),
        ],
        *summary,
    ]
    ballots = await svc.ballots_for_export(uow, vote)
    if ballots:
        rows += [
            [],
            [
                label("csv_round"),
                label("csv_voter"),
                label("csv_organisation"),
                label("csv_option"),
                label("csv_choice"),
                label("csv_reason"),
                label("csv_cast_by"),
                label("csv_at"),
            ],
        ]
        for number, person, elector, ballot, holder in ballots:
            if number not in visible:
                continue
            name = person.display_name if person else ""
            organisation = elector.organisation if elector else None
            at = svc.local(ballot.at, tz).replace(tzinfo=None)
            cast_by = holder.display_name if holder else None
            if ballot.grades:
                for position, grade in sorted(ballot.grades.items(), key=lambda i: int(i[0])):
                    rows.append(
                        [
                            number,
                            name,
                            organisation,
                            options.get(int(position), ""),
                            choice_label(judgment.GRADES[int(grade)]),
                            None,
                            cast_by,
                            at,
                        ]
                    )
            else:
                rows.append(
                    [
                        number,
                        name,
                        organisation,
                        None,
                        choice_label(ballot.choice),
                        ballot.reason,
                        cast_by,
                        at,
                    ]
                )
    return csv_bytes([label("csv_question"), vote.title], rows)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(CONTENT / "charters")),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = format_when
    env.filters["paragraphs"] = charter_svc.plain_paragraphs
    return env


async def charter_files(uow: UnitOfWork, collective: Collective, now: datetime) -> dict[str, bytes]:
    current, records = await charter_svc.history(uow, collective)
    text = (
        current.version.text
        if current.version is not None
        else charter_svc.text_of(current.charter, current.articles)
    )
    params = {
        "c": collective,
        "view": current,
        "text": text,
        "records": records,
        "tz": collective.timezone,
        "lang": collective.language,
        "now": now,
    }
    env = _environment()
    return {
        "charte.md": env.get_template("export.md.j2").render(**params).encode("utf-8"),
        "charte.html": env.get_template("export.html.j2").render(**params).encode("utf-8"),
    }
