"""Due work (claim, restart, failures, downtime) and the sender (limits, errors, quiet hours)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import due
from bot.app import Deps, build_application
from bot.config import Settings
from bot.due import DueContext, Later
from bot.sandbox.harness import Harness
from bot.sender import Outcome, QuietHours, Sender
from storage.models import Delivery, DueWork, Person

# 09:00 UTC is 10:00 in Paris: outside quiet hours.
NOON = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)


def record_runs(harness: Harness, runs: list[str], *, fail_first: int = 0) -> None:
    failures = {"left": fail_first}

    async def run(deps: Deps, ctx: DueContext) -> None:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise RuntimeError("boom")
        runs.append(ctx.work.key)

    harness.app.deps.due_kinds["test"] = run


async def schedule(
    harness: Harness,
    key: str,
    at: datetime,
    kind: str = "test",
    payload: dict[str, Any] | None = None,
) -> bool:
    async with harness.app.deps.uow() as uow:
        return await due.schedule(
            uow, key=key, kind=kind, due_at=at, now=harness.clock.now(), payload=payload
        )


async def row(harness: Harness, key: str) -> DueWork:
    async with harness.app.deps.uow() as uow:
        found = await uow.due.by_key(key)
        assert found is not None
        return found


async def test_due_rows_run_once_when_due_and_never_twice(harness: Harness) -> None:
    runs: list[str] = []
    record_runs(harness, runs)
    now = harness.clock.now()
    assert await schedule(harness, "a", now + timedelta(hours=1))
    assert not await schedule(harness, "a", now + timedelta(hours=2))  # same key: kept once
    await harness.tick()
    assert runs == []
    await harness.tick(timedelta(hours=1))
    await harness.tick(timedelta(minutes=1))
    assert runs == ["a"]
    assert (await row(harness, "a")).status == "done"


async def test_overdue_rows_run_after_downtime(harness: Harness) -> None:
    runs: list[str] = []
    record_runs(harness, runs)
    await schedule(harness, "late", harness.clock.now() - timedelta(hours=6))
    report = await harness.tick()
    assert runs == ["late"] and report.done == ["late"]


async def test_a_failing_row_is_retried_with_backoff_then_given_up(harness: Harness) -> None:
    runs: list[str] = []
    record_runs(harness, runs, fail_first=1)
    await schedule(harness, "flaky", harness.clock.now())
    report = await harness.tick()
    assert report.failed == ["flaky"] and runs == []
    failed = await row(harness, "flaky")
    assert failed.last_error == "RuntimeError" and failed.claimed_at is None
    await harness.tick()  # not yet: the backoff is a minute
    assert runs == []
    await harness.tick(timedelta(minutes=1))
    assert runs == ["flaky"]

    record_runs(harness, runs, fail_first=100)
    await schedule(harness, "broken", harness.clock.now())
    for _ in range(due.MAX_ATTEMPTS + 1):
        await harness.tick(timedelta(hours=2))
    assert (await row(harness, "broken")).status == "failed"


async def test_a_claim_left_by_a_dead_worker_is_taken_again_after_its_ttl(
    harness: Harness,
) -> None:
    runs: list[str] = []
    record_runs(harness, runs)
    now = harness.clock.now()
    await schedule(harness, "orphan", now)
    async with harness.app.deps.uow() as uow:  # a worker claims it, then dies
        assert await uow.due.claim((await row(harness, "orphan")).id, now, now, "dead:1")
    await harness.tick(due.CLAIM_TTL / 2)
    assert runs == []  # still claimed by the dead worker
    await harness.tick(due.CLAIM_TTL)
    assert runs == ["orphan"]


async def test_a_live_worker_keeps_its_claim_however_long_the_row_runs(
    harness: Harness,
) -> None:
    deps = harness.app.deps
    deps.settings = deps.settings.replace(due_claim_ttl=0.3)
    ttl = due.claim_ttl(deps)
    started, finish = asyncio.Event(), asyncio.Event()

    async def slow(deps: Deps, ctx: DueContext) -> None:
        started.set()
        await finish.wait()

    deps.due_kinds["slow"] = slow
    await schedule(harness, "slow", harness.clock.now(), kind="slow")
    running = asyncio.create_task(due.run_due(deps, harness.app.bot))
    await asyncio.wait_for(started.wait(), 5)
    for _ in range(8):  # four TTLs go by, on the clock and for real, while the row runs
        await asyncio.sleep(ttl.total_seconds() / 2)
        now = harness.clock.advance(ttl / 2)
        async with deps.uow() as uow:
            assert await uow.due.claim_batch(now, now - ttl, "other:2", 10) == []
    finish.set()
    report = await asyncio.wait_for(running, 5)
    assert report.done == ["slow"] and (await row(harness, "slow")).attempts == 1


async def test_two_workers_run_each_row_once(harness: Harness, settings: Settings) -> None:
    runs: list[str] = []
    record_runs(harness, runs)
    for i in range(30):
        await schedule(harness, f"r{i}", harness.clock.now())
    other = build_application(settings, clock=harness.clock, rate_limiter=False)
    other.deps.due_kinds["test"] = harness.app.deps.due_kinds["test"]
    other.deps.worker_id = "other:2"
    await asyncio.gather(
        due.run_due(harness.app.deps, harness.app.bot),
        due.run_due(other.deps, harness.app.bot),
    )
    await other.deps.engine.dispose()
    assert sorted(runs) == sorted(f"r{i}" for i in range(30))


# --- the sender, driven by a due kind that sends one message -------------------------------


def sending_kind(harness: Harness, outcomes: list[Outcome], *, urgent: bool = False) -> None:
    async def run(deps: Deps, ctx: DueContext) -> Later | None:
        sender = Sender(ctx.bot, ctx.uow, ctx.now)
        outcome = await sender.send(
            ctx.work.key,
            ctx.work.payload["chat_id"],
            "<b>Rappel</b> : comité demain.",
            quiet=QuietHours("Europe/Paris"),
            urgent=urgent,
        )
        outcomes.append(outcome)
        return Later(outcome.retry_at) if outcome.retry_at else None

    harness.app.deps.due_kinds["send"] = run


async def started_user(harness: Harness, name: str = "Paul") -> Any:
    user = harness.sandbox.add_user(name)
    await harness.say(user, None, "/start")
    return user


async def delivery(harness: Harness, key: str) -> Delivery:
    async with harness.app.deps.uow() as uow:
        found = await uow.deliveries.get(key)
        assert found is not None
        return found


async def test_sender_sends_once_per_key(harness: Harness) -> None:
    outcomes: list[Outcome] = []
    sending_kind(harness, outcomes)
    harness.clock.set(NOON)
    paul = await started_user(harness)
    await schedule(harness, "m1", NOON, kind="send", payload={"chat_id": paul.id})
    await harness.tick()
    assert harness.last(paul).plain == "Rappel : comité demain."
    async with harness.app.deps.uow() as uow:
        again = await Sender(harness.app.bot, uow, NOON).send("m1", paul.id, "encore")
    assert again.status == "already"
    assert [m.plain for m in harness.sandbox.bot_messages(paul)].count(
        "Rappel : comité demain."
    ) == 1


async def test_quiet_hours_wait_for_the_morning(harness: Harness) -> None:
    outcomes: list[Outcome] = []
    sending_kind(harness, outcomes)
    evening = datetime(2026, 11, 26, 21, 30, tzinfo=UTC)  # 22:30 in Paris
    harness.clock.set(evening)
    paul = await started_user(harness)
    await schedule(harness, "night", evening, kind="send", payload={"chat_id": paul.id})
    report = await harness.tick()
    assert report.deferred == ["night"]
    assert (await row(harness, "night")).due_at == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    await harness.tick(timedelta(hours=9, minutes=31))  # 08:01 in Paris
    assert harness.last(paul).plain.startswith("Rappel")


async def test_403_marks_the_person_unreachable_without_retrying(harness: Harness) -> None:
    outcomes: list[Outcome] = []
    sending_kind(harness, outcomes)
    harness.clock.set(NOON)
    paul = await started_user(harness)
    harness.sandbox.block_bot(paul)
    await schedule(harness, "blocked", NOON, kind="send", payload={"chat_id": paul.id})
    await harness.tick()
    await harness.tick(timedelta(hours=1))
    assert [o.status for o in outcomes] == ["unreachable"]
    assert (await delivery(harness, "blocked")).status == "unreachable"
    async with harness.app.deps.uow() as uow:
        person = await uow.people.by_telegram_id(paul.id)
        assert isinstance(person, Person) and person.unreachable_since == NOON


async def test_429_waits_retry_after_then_sends(harness: Harness) -> None:
    outcomes: list[Outcome] = []
    sending_kind(harness, outcomes)
    harness.clock.set(NOON)
    paul = await started_user(harness)
    harness.sandbox.fail_next("sendMessage", "retry_after", chat_id=paul.id, retry_after=30)
    await schedule(harness, "busy", NOON, kind="send", payload={"chat_id": paul.id})
    await harness.tick()
    assert outcomes[0].status == "later" and outcomes[0].retry_at == NOON + timedelta(seconds=30)
    await harness.tick(timedelta(seconds=10))
    assert len(outcomes) == 1
    await harness.tick(timedelta(seconds=20))
    assert outcomes[-1].status == "sent"
    assert (await row(harness, "busy")).status == "done"


async def test_5xx_is_retried_later(harness: Harness) -> None:
    outcomes: list[Outcome] = []
    sending_kind(harness, outcomes)
    harness.clock.set(NOON)
    paul = await started_user(harness)
    harness.sandbox.fail_next("sendMessage", "server_error", chat_id=paul.id)
    await schedule(harness, "down", NOON, kind="send", payload={"chat_id": paul.id})
    await harness.tick()
    await harness.tick(timedelta(minutes=2))
    assert [o.status for o in outcomes] == ["later", "sent"]
    assert len([m for m in harness.sandbox.bot_messages(paul) if "Rappel" in m.plain]) == 1


async def test_a_timeout_after_the_request_left_is_uncertain_and_not_resent(
    harness: Harness,
) -> None:
    outcomes: list[Outcome] = []
    sending_kind(harness, outcomes)
    harness.clock.set(NOON)
    paul = await started_user(harness)
    harness.sandbox.fail_next("sendMessage", "timeout_after_send", chat_id=paul.id)
    await schedule(harness, "unsure", NOON, kind="send", payload={"chat_id": paul.id})
    await harness.tick()
    await harness.tick(timedelta(hours=1))
    assert [o.status for o in outcomes] == ["uncertain"]
    assert (await delivery(harness, "unsure")).status == "uncertain"
    assert len([m for m in harness.sandbox.bot_messages(paul) if "Rappel" in m.plain]) == 1


def test_quiet_hours_windows() -> None:
    quiet = QuietHours("Europe/Paris")
    assert quiet.next_allowed(datetime(2026, 11, 26, 12, 0, tzinfo=UTC)) is None
    morning = quiet.next_allowed(datetime(2026, 11, 26, 5, 0, tzinfo=UTC))  # 06:00 Paris
    assert morning == datetime(2026, 11, 26, 8, 0, tzinfo=quiet_tz())
    assert QuietHours("Europe/Paris", 0, 0).next_allowed(datetime.now(UTC)) is None


def quiet_tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/Paris")


async def test_a_send_cut_short_by_a_crash_is_never_sent_again(harness: Harness) -> None:
    outcomes: list[Outcome] = []
    sending_kind(harness, outcomes)
    harness.clock.set(NOON)
    paul = await started_user(harness)
    # The process died between committing "sending" and hearing back from Telegram.
    async with harness.app.deps.uow() as uow:
        uow.session.add(
            Delivery(
                key="crashed",
                chat_id=paul.id,
                status="sending",
                attempts=1,
                created_at=NOON,
                updated_at=NOON,
            )
        )
    await schedule(harness, "crashed", NOON, kind="send", payload={"chat_id": paul.id})
    await harness.tick()
    await harness.tick(timedelta(hours=1))
    assert [o.status for o in outcomes] == ["already"]
    assert (await delivery(harness, "crashed")).status == "uncertain"
    assert not [m for m in harness.sandbox.bot_messages(paul) if "Rappel" in m.plain]


async def test_documents_and_photos_are_sent_once_per_key_too(harness: Harness) -> None:
    from bot.sandbox.media import png

    harness.clock.set(NOON)
    paul = await started_user(harness)
    async with harness.app.deps.uow() as uow:
        sender = Sender(harness.app.bot, uow, NOON)
        first = await sender.send("doc", paul.id, "Les réponses", document=("r.csv", b"a;b\n"))
        again = await sender.send("doc", paul.id, "Les réponses", document=("r.csv", b"x"))
        chart = await sender.send("png", paul.id, "Le graphique", photo=png(40, 30))
    assert (first.status, again.status, chart.status) == ("sent", "already", "sent")
    sent = harness.sandbox.bot_messages(paul)
    assert [m.document[0] for m in sent if m.document] == ["r.csv"]
    assert "photo" in sent[-1].media and sent[-1].caption == "Le graphique"


# --- draining: all that is due, continuously -----------------------------------------------


async def test_one_pass_runs_everything_due_not_a_hundred(harness: Harness) -> None:
    runs: list[str] = []
    record_runs(harness, runs)
    for i in range(250):
        await schedule(harness, f"many{i}", harness.clock.now())
    report = await harness.tick()
    assert sorted(runs) == sorted(f"many{i}" for i in range(250))
    assert len(report.done) == 250
    async with harness.app.deps.uow() as uow:
        assert await uow.due.candidates(harness.clock.now(), harness.clock.now(), 1000) == []


async def test_a_message_deferred_by_a_429_goes_out_in_the_same_drain(
    settings: Settings,
) -> None:
    """The due loop does not wait for its next tick (30 s) to honour a retry_after of 1 s."""
    from bot.clock import SystemClock

    h = Harness(settings, migrate=False, clock=SystemClock())  # type: ignore[arg-type]
    async with h:
        outcomes: list[Outcome] = []
        sending_kind(h, outcomes, urgent=True)
        paul = await started_user(h)
        h.sandbox.fail_next("sendMessage", "retry_after", chat_id=paul.id, retry_after=1)
        await schedule(h, "soon", h.clock.now(), kind="send", payload={"chat_id": paul.id})
        report = await due.drain(h.app.deps, h.app.bot, horizon=10)
        assert report.deferred == ["soon"] and report.done == ["soon"]
        assert [o.status for o in outcomes] == ["later", "sent"]
        assert len([t for t in h.bot_texts(paul) if "Rappel" in t]) == 1


async def test_a_drain_never_outlasts_its_interval(settings: Settings) -> None:
    """With work due later than the interval, or a clock that does not move, it returns."""
    runs: list[str] = []
    h = Harness(settings, migrate=False)
    async with h:
        record_runs(h, runs)
        await schedule(h, "later", h.clock.now() + timedelta(seconds=0.3))
        report = await asyncio.wait_for(due.drain(h.app.deps, h.app.bot, horizon=0.5), 5)
        assert report.done == [] and runs == []  # the fake clock never reached it
