"""The search at a collective's scale: thousands of rows, one LIKE per word, ranked in Python."""

from __future__ import annotations

import itertools
import random
import time

from bot.sandbox.harness import Harness
from bot.services import search
from tests.helpers import collective_of, wool_collective

WORDS = [
    *("laine", "brute", "lavage", "filature", "tricot", "feutre", "toison", "mouton", "brebis"),
    *("tonte", "cardage", "teinture", "bobine", "pelote", "atelier", "boutique", "marché"),
    *("contrat", "prix", "volume", "stockage", "local", "subvention", "formation", "métier"),
    *("insertion", "commande", "publique", "cantine", "débouché", "transport", "collecte"),
]


async def test_five_thousand_rows_are_searched_quickly_and_ranked(harness: Harness) -> None:
    group, _, _ = await wool_collective(harness)
    collective = await collective_of(harness, group)
    rng = random.Random(12)
    async with harness.app.deps.uow() as uow:
        # The best match is the oldest row: the database must rank, not just cut.
        await search.index(
            uow, collective.id, "resource", 1, {"title": "Lavage des toisons de brebis mérinos"}
        )
        for i in range(1, 5001):
            title = " ".join(rng.sample(WORDS, 3))
            body = " ".join(rng.sample(WORDS, 12))
            await search.index(
                uow, collective.id, "resource", i + 1, {"title": title, "body": body}
            )
    async with harness.app.deps.uow() as uow:
        started = time.perf_counter()
        hits = await search.find(
            uow, collective.id, search.query_words("toisons brebis lavage merinos"), ("resource",)
        )
        elapsed = time.perf_counter() - started
    print(f"\nsearch over 5,001 rows: {len(hits)} hits in {elapsed * 1000:.0f} ms")
    assert hits[0].ref_id == 1 and hits[0].found == 4 and hits[0].score == 12
    assert all(a.found >= b.found for a, b in itertools.pairwise(hits))
    assert elapsed < 2.0
