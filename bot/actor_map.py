"""The actors' map (`/annuaire carte`, `cartographie.png`): the chaîne de valeur as columns,
one per maillon in order, actors as boxes coloured ESS or hors ESS, lines between actors who
were matched (dashed) or introduced (solid).

Readable from 8 actors to a few hundred: a column holds at most `PER_COLUMN` boxes and spills
into sub-columns; the figure grows with the columns and the rows; fonts shrink and names are
cut as the map grows. Matplotlib is imported only to draw, and pyplot not at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

from bot.charts import ESS, NON_ESS, png
from bot.textsafety import shorten

PER_COLUMN = 25
LINE_MATCHED = "#b5653a"
LINE_INTRODUCED = "#1f4e79"


class Box(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def ess(self) -> bool: ...
    @property
    def column(self) -> int | None: ...


def layout(
    maillons: Sequence[str], boxes: Sequence[Box]
) -> tuple[list[tuple[str, float, float]], dict[str, tuple[float, float]], int, int]:
    """Where each column title and each box go: (titles with x and width), box centres by
    key, the number of sub-columns across, the most rows in one sub-column."""
    columns: list[tuple[str, list[Box]]] = [
        (name, [b for b in boxes if b.column == i]) for i, name in enumerate(maillons)
    ]
    loose = [b for b in boxes if b.column is None or not 0 <= b.column < len(maillons)]
    if loose:
        columns.append(("", loose))
    titles: list[tuple[str, float, float]] = []
    centres: dict[str, tuple[float, float]] = {}
    x, rows = 0.0, 1
    for name, members in columns:
        subs = max(1, math.ceil(len(members) / PER_COLUMN))
        per = math.ceil(len(members) / subs) if members else 0
        rows = max(rows, per)
        titles.append((name, x, float(subs)))
        for index, box in enumerate(members):
            centres[box.key] = (x + index // max(per, 1) + 0.5, -(index % max(per, 1)) - 1.0)
        x += subs
    return titles, centres, int(x), rows


def draw(
    title: str,
    maillons: Sequence[str],
    boxes: Sequence[Box],
    lines: Sequence[tuple[str, str, bool]],
    *,
    without_maillon: str = "Sans maillon",
    legend: tuple[str, str, str, str] = ("ESS", "Hors ESS", "Mis en relation", "Présentés"),
) -> bytes:
    """The map as PNG bytes."""
    titles, centres, across, rows = layout(maillons, boxes)
    across = max(across, 1)
    width = min(max(8.0, 2.1 * across), 60.0)
    height = min(max(3.0, 0.45 * rows + 1.8), 40.0)
    # Smaller type as the columns fill up; names cut to what a column's width holds.
    font = 8.5 if rows <= 12 else 7.0 if rows <= PER_COLUMN else 6.0
    limit = min(40, int(1.9 * 72 / (font * 0.62)))
    # A Figure of its own, outside pyplot: drawing it in a worker thread touches no shared
    # state (see `cartographie.draw_map`).
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, Patch

    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()

    for a, b, introduced in lines:
        if a in centres and b in centres:
            # An arc, not a straight line: it bows away from the boxes it passes by.
            ax.add_patch(
                FancyArrowPatch(
                    centres[a],
                    centres[b],
                    connectionstyle="arc3,rad=0.25",
                    arrowstyle="-",
                    color=LINE_INTRODUCED if introduced else LINE_MATCHED,
                    linestyle="-" if introduced else "--",
                    linewidth=1.6 if introduced else 1.0,
                    alpha=0.8,
                    zorder=1,
                )
            )
    by_key = {b.key: b for b in boxes}
    for key, (x, y) in centres.items():
        box = by_key[key]
        ax.text(
            x,
            y,
            shorten(box.name, limit),
            ha="center",
            va="center",
            fontsize=font,
            color="white",
            zorder=2,
            bbox={
                "boxstyle": "round,pad=0.3",
                "facecolor": ESS if box.ess else NON_ESS,
                "edgecolor": "none",
            },
        )
    for index, (name, x, span) in enumerate(titles):
        ax.text(
            x + span / 2,
            0.0,
            shorten(name or without_maillon, 28),
            ha="center",
            va="bottom",
            fontsize=font + 1.5,
            fontweight="bold",
        )
        if index:
            ax.axvline(x, color="#dddddd", linewidth=0.8, zorder=0)
    ax.set_xlim(0, across)
    ax.set_ylim(-rows - 0.8, 0.9)
    ax.axis("off")
    ax.set_title(title, loc="left", fontweight="bold")
    handles: list[Any] = [
        Patch(color=ESS, label=legend[0]),
        Patch(color=NON_ESS, label=legend[1]),
        Line2D([], [], color=LINE_MATCHED, linestyle="--", label=legend[2]),
        Line2D([], [], color=LINE_INTRODUCED, label=legend[3]),
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=4,
        frameon=False,
        fontsize=max(font, 7.5),
    )
    return png(fig)
