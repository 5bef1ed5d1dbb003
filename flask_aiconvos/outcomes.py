"""A conversation's outcomes as a small bit mask, and the ``outcome=`` filters as sets of masks.

Each conversation row stores ``outcome_mask`` (escalated, each conversion kind, a pending inbox
item, no customer), and the counters (``counters``) count conversations per mask. A filter is
the set of the 256 masks it accepts, decided here once in Python (``matching_masks``), so the
conversation list (``outcome_mask IN …``), the counters (``outcomes IN …``) and any check of a
single conversation (``accepts``) can never disagree about what an outcome means.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import case, exists, select

from .vocab import ConversionKind, InboxStatus, Outcome, count_column, values

ESCALATED_BIT = 1
#: One bit per conversion kind, in the kinds' order.
KIND_BITS: dict[str, int] = {kind: 2 << index for index, kind in enumerate(values(ConversionKind))}
CONVERSION_BITS = sum(KIND_BITS.values())
INBOX_PENDING_BIT = 2 << len(KIND_BITS)
ANONYMOUS_BIT = INBOX_PENDING_BIT << 1
#: Every mask a conversation can have.
ALL_MASKS = range(ANONYMOUS_BIT << 1)


def accepts(mask: int, outcome: str) -> bool:
    """Whether a conversation with outcome bits ``mask`` has ``outcome`` (an ``Outcome`` value)."""
    if outcome == Outcome.ESCALATED:
        return bool(mask & ESCALATED_BIT)
    if outcome in KIND_BITS:
        return bool(mask & KIND_BITS[outcome])
    if outcome == Outcome.CONVERTED:
        return bool(mask & CONVERSION_BITS)
    if outcome == Outcome.UNCONVERTED:
        return not mask & CONVERSION_BITS
    if outcome == Outcome.INBOX_PENDING:
        return bool(mask & INBOX_PENDING_BIT)
    if outcome == Outcome.ANONYMOUS:
        return bool(mask & ANONYMOUS_BIT)
    raise ValueError(f"unknown outcome {outcome!r}")


@cache
def matching_masks(outcomes: tuple[str, ...]) -> tuple[int, ...]:
    """The masks having every one of ``outcomes`` (all masks for none)."""
    return tuple(mask for mask in ALL_MASKS if all(accepts(mask, o) for o in outcomes))


def condition(column: Any, outcomes: tuple[str, ...]) -> Any:
    """SQL: the mask ``column`` has every one of ``outcomes`` (``None`` for no outcome)."""
    if not outcomes:
        return None
    return column.in_(matching_masks(outcomes))


def kinds_of(mask: int) -> list[str]:
    """The conversion kinds a conversation with ``mask`` has at least one of."""
    return [kind for kind, bit in KIND_BITS.items() if mask & bit]


def mask_of(
    *,
    tickets: int,
    kind_counts: dict[str, int],
    pending_items: int,
    customer_id: str | None,
) -> int:
    """The mask of a conversation from its tallies (the importer's new rows)."""
    mask = ESCALATED_BIT if tickets else 0
    for kind, count in kind_counts.items():
        if count:
            mask |= KIND_BITS[kind]
    if pending_items:
        mask |= INBOX_PENDING_BIT
    if customer_id is None:
        mask |= ANONYMOUS_BIT
    return mask


def stored_mask_expression(conversations: Any, inbox_items: Any) -> Any:
    """SQL: the mask of each row of the ``conversations`` table as its stored columns and its
    inbox items say (writes after a change, the migration's backfill, repairs)."""
    c = conversations.c
    pending = exists(
        select(1)
        .select_from(inbox_items)
        .where(
            inbox_items.c.conversation_id == c.id,
            inbox_items.c.status == InboxStatus.PENDING.value,
        )
    )
    parts: Iterable[Any] = [
        case((c.ticket_count > 0, ESCALATED_BIT), else_=0),
        *(case((c[count_column(kind)] > 0, bit), else_=0) for kind, bit in KIND_BITS.items()),
        case((pending, INBOX_PENDING_BIT), else_=0),
        case((c.customer_id.is_(None), ANONYMOUS_BIT), else_=0),
    ]
    total: Any = None
    for part in parts:
        total = part if total is None else total + part
    return total
