"""Queries of the boîte à outils: resources, checklist marks, the moderation setting, and the
search index."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, func, or_, select

from storage.models import ChecklistMark, Resource, SearchEntry, ToolboxSettings
from storage.repos.base import Repo


class ToolboxRepo(Repo):
    def add(self, row: Any) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def settings(self, collective_id: int) -> ToolboxSettings | None:
        return await self.session.get(ToolboxSettings, collective_id)

    async def resource(self, resource_id: int) -> Resource | None:
        return await self.session.get(Resource, resource_id)

    async def resources(
        self,
        collective_id: int,
        *,
        status: str | None = None,
        levier: str | None = None,
    ) -> list[Resource]:
        query = select(Resource).where(Resource.collective_id == collective_id)
        if status is not None:
            query = query.where(Resource.status == status)
        if levier is not None:
            query = query.where(Resource.levier == levier)
        rows = await self.session.scalars(query.order_by(Resource.created_at.desc(), Resource.id))
        return list(rows)

    async def many(self, ids: Sequence[int]) -> dict[int, Resource]:
        if not ids:
            return {}
        rows = await self.session.scalars(select(Resource).where(Resource.id.in_(list(ids))))
        return {r.id: r for r in rows}

    async def counts(self, collective_id: int, status: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(Resource.levier, func.count())
            .where(Resource.collective_id == collective_id, Resource.status == status)
            .group_by(Resource.levier)
        )
        return {str(levier): int(count) for levier, count in rows.all()}

    async def published_between(
        self, collective_id: int, since: datetime, until: datetime
    ) -> list[Resource]:
        rows = await self.session.scalars(
            select(Resource)
            .where(
                Resource.collective_id == collective_id,
                Resource.status == "published",
                Resource.published_at >= since,
                Resource.published_at < until,
            )
            .order_by(Resource.published_at, Resource.id)
        )
        return list(rows)

    async def by_author(self, person_id: int) -> list[Resource]:
        rows = await self.session.scalars(
            select(Resource).where(Resource.added_by == person_id).order_by(Resource.id)
        )
        return list(rows)

    async def marks(self, collective_id: int) -> dict[str, ChecklistMark]:
        rows = await self.session.scalars(
            select(ChecklistMark).where(ChecklistMark.collective_id == collective_id)
        )
        return {m.action: m for m in rows}

    async def mark(self, collective_id: int, action: str) -> ChecklistMark | None:
        return await self.session.get(ChecklistMark, (collective_id, action))


def _put_search(insert: Any) -> Any:
    stmt = insert(SearchEntry.__table__).values(
        {name: bindparam(name) for name in ("collective_id", "kind", "ref_id", "title", "body")}
    )
    return stmt.on_conflict_do_update(
        index_elements=["kind", "ref_id"],
        set_={
            "collective_id": stmt.excluded.collective_id,
            "title": stmt.excluded.title,
            "body": stmt.excluded.body,
        },
    )


class SearchRepo(Repo):
    async def put(self, collective_id: int, kind: str, ref_id: int, title: str, body: str) -> None:
        """Insert or refresh one row's text, in one statement (a profile edit pays for one)."""
        connection = await self.session.connection()
        await connection.execute(
            self._once("search.put", _put_search),
            {
                "collective_id": collective_id,
                "kind": kind,
                "ref_id": ref_id,
                "title": title,
                "body": body,
            },
        )

    async def drop(self, kind: str, ref_id: int) -> None:
        await self.session.execute(
            delete(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.ref_id == ref_id)
        )

    async def drop_many(self, kind: str, ref_ids: Sequence[int]) -> None:
        if ref_ids:
            await self.session.execute(
                delete(SearchEntry).where(
                    SearchEntry.kind == kind, SearchEntry.ref_id.in_(list(ref_ids))
                )
            )

    async def matching(
        self, collective_id: int, words: Sequence[str], kinds: Sequence[str], *, limit: int
    ) -> list[tuple[str, int, str, str]]:
        """Rows of the collective holding at least one of the (normalised) words, the best
        first (the most words found, then a title counting three times a body), at most
        `limit`. The words are bound parameters, with LIKE's own wildcards escaped."""
        found_terms = []
        score_terms = []
        for word in words:
            pattern = f"% {_escape(word)} %"
            in_title = SearchEntry.title.like(pattern, escape="\\")
            in_body = SearchEntry.body.like(pattern, escape="\\")
            found_terms.append(case((or_(in_title, in_body), 1), else_=0))
            score_terms.append(case((in_title, 3), (in_body, 1), else_=0))
        found = sum(found_terms[1:], found_terms[0])
        score = sum(score_terms[1:], score_terms[0])
        rows = await self.session.execute(
            select(SearchEntry.kind, SearchEntry.ref_id, SearchEntry.title, SearchEntry.body)
            .where(
                SearchEntry.collective_id == collective_id,
                SearchEntry.kind.in_(list(kinds)),
                found > 0,
            )
            .order_by(found.desc(), score.desc(), SearchEntry.id.desc())
            .limit(limit)
        )
        return [(str(k), int(i), str(t), str(b)) for k, i, t, b in rows.all()]


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
