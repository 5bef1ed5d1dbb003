"""The channel comparison as the list shows it: one row per channel and one for them all.

Each cell's rate, count and bar are worked out here once, so the template only lays them out:
calling a macro per cell, and the template's filters per figure, cost a tenth of the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .i18n import format_number, format_rate
from .queries import ChannelFigures, Overview
from .vocab import CONVERSION_STYLES


@dataclass(frozen=True)
class RateCell:
    """One channel's rate of one conversion kind."""

    kind: str
    count: int
    #: Percent of the channel's conversations, one decimal (``queries.percent``).
    percent: float
    #: The highest rate of ``kind`` among several compared channels (and not zero).
    best: bool
    #: ``percent`` and ``count`` as the request's locale writes them.
    shown_rate: str
    shown_count: str
    #: The kind's colour (``vocab.CONVERSION_STYLES``), for its bar.
    colour: str


@dataclass(frozen=True)
class ComparisonRow:
    channel: str
    label: str
    conversations: int
    shown_conversations: str
    cells: list[RateCell]


def _row(
    figures: ChannelFigures, kinds: Sequence[str], best: dict[str, float | None]
) -> ComparisonRow:
    cells = []
    for kind in kinds:
        rate, count = figures.rate(kind), figures.count(kind)
        cells.append(
            RateCell(
                kind,
                count,
                rate,
                best[kind] is not None and rate == best[kind],
                format_rate(rate),
                format_number(count),
                CONVERSION_STYLES[kind].hex,
            )
        )
    return ComparisonRow(
        figures.channel,
        figures.label,
        figures.conversations,
        format_number(figures.conversations),
        cells,
    )


def channel_rows(overview: Overview, kinds: Sequence[str]) -> list[ComparisonRow]:
    """A row per compared channel, in the overview's order, the best rate of each kind marked."""
    best = {kind: overview.best_rate(kind) for kind in kinds}
    return [_row(figures, kinds, best) for figures in overview.by_channel]


def total_row(overview: Overview, kinds: Sequence[str]) -> ComparisonRow | None:
    """Every compared channel together (none is marked best), or ``None`` for one channel."""
    if len(overview.by_channel) < 2:
        return None
    return _row(overview.all_channels, kinds, dict.fromkeys(kinds))
