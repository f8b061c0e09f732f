"""B4 — start and footprint: from launch to the first `getUpdates` on a migrated SQLite
database holding 1,000 collectives, and the resident memory then, for `tisserand run` and for
bare PTB's `run_polling` (bench/bare.py), interleaved, the median of at least 7 runs each.
Both poll the sandbox served over HTTP on the loopback."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from bench import seed
from bench.core import Figure, Options, Row, Samples
from bench.rigs import sqlite_url

COLLECTIVES = 1000
TOKEN = "123456:" + "E" * 35
BARE = Path(__file__).resolve().parent.parent / "bare.py"


async def _database(options: Options) -> str:
    from storage.db import create_engine, session_factory
    from storage.uow import UnitOfWork

    url = await sqlite_url(options, "b4")
    engine = create_engine(url)
    async with UnitOfWork(session_factory(engine)) as uow:
        await seed.collectives(
            uow, [(-1001000000000 - i, f"Filière {i}") for i in range(COLLECTIVES)]
        )
    await engine.dispose()
    return url


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _launch(
    command: list[str], env: dict[str, str], cwd: Path, options: Options | None = None
) -> tuple[float, float]:
    """Seconds from launch to the first getUpdates, and the RSS (MiB) at that moment."""
    from bot.sandbox.core import Sandbox
    from bot.sandbox.server import serve

    sb = Sandbox()
    server = await serve(sb, port=0)
    env = {**env, "TISSERAND_API_BASE_URL": server.api_base_url}
    command = [server.api_base_url if part == "{base}" else part for part in command]
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        while not any(name == "getUpdates" for name, _ in sb.api.calls):
            if process.returncode is not None or time.monotonic() - started > 60:
                raise RuntimeError(f"{command[1:3]} did not start polling")
            await asyncio.sleep(0.002)
        seconds = time.monotonic() - started
        rss = _rss_mib(process.pid)
        if options is not None:
            calls = [name for name, _ in sb.api.calls]
            options.say(f"{command[1:3]}: {seconds:.2f} s, {rss:.1f} MiB, calls {calls}")
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        await server.stop()
    return seconds, rss


async def run(options: Options) -> list[Row]:
    samples = Samples()
    url = await _database(options)
    # Python may write its bytecode (a deployed install has it; a shell that says
    # PYTHONDONTWRITEBYTECODE would have every start compile the bot's sources again): the
    # first, uncounted pair of launches writes it.
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TISSERAND_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    env = {**base_env, "TISSERAND_TOKEN": TOKEN, "TISSERAND_DATABASE_URL": url}
    cwd = options.workdir
    runs = max(7, options.runs) if not options.quick else 3
    sides = {
        "tisserand": [sys.executable, "-m", "bot.cli", "run"],
        "bare": [sys.executable, str(BARE), "{base}"],
    }
    for i in range(runs + 1):  # the first pair warms the disk cache and writes the bytecode
        order = list(sides) if i % 2 == 0 else list(reversed(sides))
        for side in order:
            seconds, memory = await _launch(sides[side], env, cwd, options)
            if i > 0:
                samples.add(f"{side} start", seconds)
                samples.add(f"{side} rss", memory)
    start, rss = samples.median("tisserand start"), samples.median("tisserand rss")
    bare = samples.median("bare start")
    return [
        Row(
            "B4",
            "launch to first getUpdates (1,000 collectives)",
            None if start is None else 1000 * start,
            "ms",
            None if bare is None else 1000 * bare,
            "bare run_polling",
            samples.ratios("tisserand start", "bare start"),
            "≤ 700 ms",
            None if start is None else start <= 0.7,
            [1000 * v for v in samples.runs("tisserand start")],
            [1000 * v for v in samples.runs("bare start")],
        ),
        Row(
            "B4",
            "resident memory at the first getUpdates",
            rss,
            "MiB",
            samples.median("bare rss"),
            "bare run_polling",
            samples.ratios("tisserand rss", "bare rss"),
            "≤ 75 MiB",
            None if rss is None else rss <= 75,
            samples.runs("tisserand rss"),
            samples.runs("bare rss"),
        ),
    ]


FIGURE = Figure("B4", "start and footprint", run, minutes=0.5)
