"""`tisserand demo`: a filière comes together in the sandbox, start to finish.

Each feature adds a scene module under `bot/demo/scenes/` and one line in `SCENES`; the scenes
play in that order on one story (the same people, groups and clock).
"""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.clock import FakeClock
from bot.config import Settings
from bot.demo.cast import START, WOOL_ACTORS, Actor, Scene
from bot.demo.story import Story
from bot.sandbox.harness import Harness
from bot.transcript import Transcript

__all__ = [
    "SCENES",
    "START",
    "WOOL_ACTORS",
    "Actor",
    "Scene",
    "Story",
    "play_demo",
    "run_demo",
]


def _scenes() -> list[Callable[[Story], Awaitable[None]]]:
    from bot.demo.scenes import (
        cartographie,
        collective,
        digest,
        meetings,
        surveys,
        toolbox,
        votes,
    )

    return [
        collective.play,
        surveys.play,
        meetings.play,
        votes.play,
        toolbox.play,
        cartographie.play,
        digest.play,
    ]


SCENES = _scenes


async def play_demo(out: Path, *, echo: bool = False) -> Transcript:
    """Play the scenes on a fresh database inside `out`; the transcript of what happened."""
    out.mkdir(parents=True, exist_ok=True)
    database = out / "demo.db"
    for leftover in out.glob("demo.db*"):
        leftover.unlink()
    settings = Settings(_env_file=None, token=None, database_url=f"sqlite+aiosqlite:///{database}")
    harness = Harness(settings, clock=FakeClock(START))
    transcript = Transcript(harness.sandbox, echo=echo)
    async with harness:
        story = Story(harness, transcript, out)
        try:
            for play in SCENES():
                await play(story)
            transcript.capture()
        finally:
            if story.harness is not harness:  # a scene restarted the bot
                await story.harness.stop()
    return transcript


async def run_demo(out: Path, *, quiet: bool = False) -> int:
    """Play the scenes on a fresh database inside `out`; write the transcripts there."""
    transcript = await play_demo(out, echo=not quiet)
    transcript.write(out)
    if not quiet:
        print(f"\nTranscription : {out / 'transcript.md'} et {out / 'transcript.html'}")
    shutil.rmtree(out / "__pycache__", ignore_errors=True)
    return 0
