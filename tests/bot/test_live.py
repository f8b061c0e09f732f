"""Live group messages: posted once, edited at most once a minute and only when they change."""

from __future__ import annotations

from datetime import timedelta

from bot.live import open_live, touch
from bot.sandbox.harness import Harness
from tests.helpers import collective_of, wool_collective


async def test_a_live_message_is_edited_at_most_once_a_minute_and_only_when_it_changed(
    harness: Harness,
) -> None:
    group, _, _ = await wool_collective(harness)
    collective = await collective_of(harness, group)
    count = {"n": 0}

    async def render(uow: object, subject_id: int, lang: str) -> tuple[str, None]:
        return f"<b>{count['n']} réponses</b> (sujet {subject_id}, {lang})", None

    assert harness.app.deps.registry is not None
    harness.app.deps.registry.live["test"] = render

    def edits() -> list[str]:
        return [
            name
            for name, params in harness.sandbox.calls
            if name == "editMessageText" and str(params.get("chat_id")) == str(group.id)
        ]

    def shown() -> str:
        return next(m for m in harness.sandbox.bot_messages(group) if m.message_id == posted).plain

    async def change(n: int, *, final: bool = False) -> None:
        count["n"] = n
        async with harness.app.deps.uow() as uow:
            await touch(uow, "t:1", harness.clock.now(), final=final)

    async with harness.app.deps.uow() as uow:
        await open_live(
            uow,
            key="t:1",
            kind="test",
            subject_id=1,
            collective=collective,
            now=harness.clock.now(),
        )
    await harness.tick(timedelta(seconds=1))
    posted = harness.last(group).message_id
    assert shown() == "0 réponses (sujet 1, fr)"
    await change(1)
    await change(2)
    await harness.tick(timedelta(seconds=20))
    assert edits() == []  # less than a minute since it was posted
    await harness.tick(timedelta(seconds=45))
    assert len(edits()) == 1 and shown().startswith("2 réponses")
    await change(2)  # nothing new to show: no edit
    await harness.tick(timedelta(minutes=2))
    assert len(edits()) == 1
    await change(3, final=True)
    await harness.tick(timedelta(minutes=1))
    await change(4)  # closed: it keeps its final state
    await harness.tick(timedelta(minutes=2))
    assert shown().startswith("3 réponses") and len(edits()) == 2
