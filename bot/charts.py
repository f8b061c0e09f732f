"""Charts as PNG, drawn with Matplotlib (imported only when a chart is drawn: it is slow to
import and most updates never draw)."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from bot.textsafety import shorten

# The project's colours: ESS green, hors ESS grey, and an accent.
ESS = "#2e7d5b"
NON_ESS = "#8a8f98"
ACCENT = "#b5653a"


@contextmanager
def figure(width: float = 7.0, height: float = 4.0) -> Iterator[tuple[Any, Any]]:
    """A figure and its axes on Matplotlib's file-only backend; `png(fig)` gives the bytes."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height), dpi=110)
    try:
        yield fig, ax
    finally:
        plt.close(fig)


def png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], unit: str = "") -> bytes:
    """Horizontal bars, the longest label first on top, the value written at each bar's end."""
    with figure(7.0, max(2.0, 0.45 * len(labels) + 1.0)) as (fig, ax):
        positions = list(range(len(labels)))[::-1]
        ax.barh(positions, values, color=ACCENT)
        ax.set_yticks(positions, [shorten(label, 40) for label in labels])
        for y, value in zip(positions, values, strict=True):
            ax.text(value, y, f" {value:g}{unit}", va="center")
        ax.set_title(title, loc="left", fontweight="bold")
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_xlim(0, max([*values, 1]) * 1.15)
        return png(fig)


def bar_panels(title: str, panels: Sequence[tuple[str, Sequence[str], Sequence[float]]]) -> bytes:
    """Several bar charts in one image, one under the other: (title, labels, values) each."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    heights = [max(1.2, 0.38 * len(labels) + 0.8) for _, labels, _ in panels]
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(7.5, sum(heights) + 0.8),
        dpi=110,
        gridspec_kw={"height_ratios": heights},
        squeeze=False,
    )
    try:
        fig.suptitle(title, x=0.02, ha="left", fontweight="bold")
        for ax, (name, labels, values) in zip(axes[:, 0], panels, strict=True):
            positions = list(range(len(labels)))[::-1]
            ax.barh(positions, values, color=ACCENT)
            ax.set_yticks(positions, [shorten(label, 45) for label in labels])
            for y, value in zip(positions, values, strict=True):
                ax.text(value, y, f" {value:g}", va="center")
            ax.set_title(shorten(name, 80), loc="left", fontsize=10)
            ax.spines[["top", "right"]].set_visible(False)
            ax.set_xlim(0, max([*values, 1]) * 1.15)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.tight_layout()
        return png(fig)
    finally:
        plt.close(fig)


# Grades from the worst (« À rejeter ») to the best (« Excellent »): red to green.
GRADE_COLOURS = ("#b03a2e", "#d9713c", "#e8b04a", "#d8d96a", "#9cc46a", "#5aa36a", "#2e7d5b")


def merit_profiles(
    title: str, options: Sequence[str], profiles: Sequence[Sequence[int]], grades: Sequence[str]
) -> bytes:
    """Majority judgment: one bar per option (the best ranked on top), split by grade from the
    best on the left to the worst, each as a share of the votes; the 50 % line marks the
    majority grade."""
    with figure(7.5, max(2.2, 0.6 * len(options) + 1.6)) as (fig, ax):
        positions = list(range(len(options)))[::-1]
        for y, profile in zip(positions, profiles, strict=True):
            total = sum(profile) or 1
            left = 0.0
            for grade in range(len(profile) - 1, -1, -1):  # the best grade first
                share = 100 * profile[grade] / total
                if share:
                    ax.barh(
                        y,
                        share,
                        left=left,
                        color=GRADE_COLOURS[grade % len(GRADE_COLOURS)],
                        edgecolor="white",
                    )
                left += share
        ax.axvline(50, color="#222222", linewidth=1, linestyle="--")
        ax.set_yticks(positions, [shorten(option, 40) for option in options])
        ax.set_xlim(0, 100)
        ax.set_xlabel("%")
        ax.set_title(shorten(title, 70), loc="left", fontweight="bold")
        ax.spines[["top", "right"]].set_visible(False)
        handles = [
            matplotlib_patch(GRADE_COLOURS[i % len(GRADE_COLOURS)], grades[i])
            for i in range(len(grades) - 1, -1, -1)
        ]
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.18),
            ncol=min(4, len(handles)),
            frameon=False,
            fontsize=8,
        )
        return png(fig)


def matplotlib_patch(colour: str, label: str) -> Any:
    from matplotlib.patches import Patch

    return Patch(color=colour, label=label)
