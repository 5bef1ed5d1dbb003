"""The read side: list filters, metrics, channel tabs, the page of rows and the timeline.

One grouped query (conversations and per-kind conversion counts per channel, over the current
search, date range and tenant scope) feeds the metrics, the tab counts, the channel comparison and
the pager's total, so those figures can never disagree with each other or with the rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from .models import Conversation, Conversion, EscalationTicket, InboxItem, Message
from .recording import search_term
from .vocab import (
    CHANNEL_LABELS,
    CHANNEL_TAB_LABELS,
    CONVERSION_STYLES,
    FIXED_CHANNEL_TABS,
    METRIC_KEYS,
    Channel,
    ConversionKind,
    values,
)

SEARCH_MAX_CHARS = 200
SEARCH_MAX_WORDS = 8
RANGE_PRESETS: dict[str, str] = {
    "all": "All time",
    "today": "Today",
    "7d": "Last 7 days",
    "this_month": "This month",
    "last_month": "Last month",
}


class BadListArgument(ValueError):
    """A list-page query parameter that cannot be understood (answered with 400)."""


@dataclass(frozen=True)
class ListFilters:
    """What the operator asked the list for, validated; times are UTC, ``started_to`` exclusive."""

    channel: str | None = None
    search: str | None = None
    range: str = "all"
    date_from: date | None = None
    date_to: date | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    tenant: str | None = None

    @property
    def search_words(self) -> list[str]:
        return self.search.split(" ") if self.search else []


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _parse_day(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadListArgument(f"{name} must be a date as YYYY-MM-DD, got {value[:40]!r}") from None


def clean_search(raw: str | None) -> str | None:
    """The typed search as matched: control characters dropped, spaces folded, bounded."""
    if raw is None:
        return None
    text = "".join(ch if ch.isprintable() else " " for ch in raw[: SEARCH_MAX_CHARS * 4])
    words = search_term(text)[:SEARCH_MAX_CHARS].split()[:SEARCH_MAX_WORDS]
    return " ".join(words) or None


def parse_list_args(
    args: Mapping[str, str], *, timezone: str, now: datetime, tenant: str | None
) -> ListFilters:
    """Validate the list page's own query parameters (channel, search, range, from, to)."""
    channel = args.get("channel") or None
    if channel is not None and channel != "all" and channel not in values(Channel):
        raise BadListArgument(
            f"unknown channel {channel[:40]!r}; allowed: all, {', '.join(values(Channel))}"
        )
    if channel == "all":
        channel = None

    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    raw_from, raw_to = args.get("from") or None, args.get("to") or None
    preset = args.get("range") or None
    date_from = date_to = None
    if raw_from or raw_to:
        date_from = _parse_day("from", raw_from) if raw_from else None
        date_to = _parse_day("to", raw_to) if raw_to else None
        if date_from and date_to and date_from > date_to:
            raise BadListArgument("from must not be after to")
        preset = "custom"
    elif preset is None or preset == "all":
        preset = "all"
    elif preset == "today":
        date_from = date_to = today
    elif preset == "7d":
        date_from, date_to = today - timedelta(days=6), today
    elif preset == "this_month":
        date_from, date_to = _month_start(today), _next_month(today) - timedelta(days=1)
    elif preset == "last_month":
        last = _month_start(today) - timedelta(days=1)
        date_from, date_to = _month_start(last), last
    else:
        raise BadListArgument(
            f"unknown range {preset[:40]!r}; allowed: {', '.join(RANGE_PRESETS)}, "
            "or from=YYYY-MM-DD&to=YYYY-MM-DD"
        )

    def local_midnight(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)

    return ListFilters(
        channel=channel,
        search=clean_search(args.get("search")),
        range=preset,
        date_from=date_from,
        date_to=date_to,
        started_from=local_midnight(date_from) if date_from else None,
        started_to=local_midnight(date_to + timedelta(days=1))
        if date_to and date_to < date.max - timedelta(days=1)
        else None,
        tenant=tenant,
    )


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(filters: ListFilters, *, with_channel: bool = True) -> list[ColumnElement[bool]]:
    """WHERE clauses for the current view (tenant scope always; channel optional)."""
    c = Conversation
    where: list[ColumnElement[bool]] = []
    if filters.tenant is not None:
        where.append(c.tenant == filters.tenant)
    if with_channel and filters.channel is not None:
        where.append(c.channel == filters.channel)
    if filters.started_from is not None:
        where.append(c.started_at >= filters.started_from)
    if filters.started_to is not None:
        where.append(c.started_at < filters.started_to)
    for word in filters.search_words:
        where.append(c.search_text.like(f"%{_like_escape(word)}%", escape="\\"))
    return where


# --- metrics, tabs and channel comparison: one grouped query -----------------------------------


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    count: int
    percent: float | None  # None for the total


@dataclass(frozen=True)
class ChannelFigures:
    channel: str
    conversations: int
    conversions: dict[str, int]

    @property
    def label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)

    def rate(self, kind: str) -> float:
        return percent(self.conversions.get(kind, 0), self.conversations)


@dataclass(frozen=True)
class Tab:
    channel: str  # "all" or a channel value
    label: str
    count: int
    active: bool


@dataclass
class Overview:
    """Everything above the rows: metrics of the current view, tabs, channel comparison."""

    total: int
    metrics: list[Metric]
    tabs: list[Tab]
    by_channel: list[ChannelFigures] = field(default_factory=list)


def percent(count: int, total: int) -> float:
    """``100 * n / total`` to one decimal; no conversations gives 0.0."""
    return round(100.0 * count / total, 1) if total else 0.0


def _flag(kind: str) -> Any:
    column = getattr(Conversation, f"{kind}_count")
    return func.coalesce(func.sum(case((column > 0, 1), else_=0)), 0)


def overview(session: Session, filters: ListFilters) -> Overview:
    kinds = values(ConversionKind)
    stmt = (
        select(Conversation.channel, func.count(), *(_flag(kind) for kind in kinds))
        .where(*conditions(filters, with_channel=False))
        .group_by(Conversation.channel)
    )
    by_channel = [
        ChannelFigures(
            channel=row[0],
            conversations=int(row[1]),
            conversions={kind: int(row[2 + i]) for i, kind in enumerate(kinds)},
        )
        for row in session.execute(stmt)
    ]
    order = {channel: i for i, channel in enumerate(values(Channel))}
    by_channel.sort(key=lambda fig: order.get(fig.channel, len(order)))
    shown = [fig for fig in by_channel if filters.channel is None or fig.channel == filters.channel]
    total = sum(fig.conversations for fig in shown)
    metrics = [Metric("total", "Total conversations", total, None)]
    for kind, key in METRIC_KEYS.items():
        count = sum(fig.conversions[kind] for fig in shown)
        metrics.append(
            Metric(key, CONVERSION_STYLES[kind].metric_label, count, percent(count, total))
        )

    counts = {fig.channel: fig.conversations for fig in by_channel}
    tab_channels = list(FIXED_CHANNEL_TABS) + [
        ch for ch in values(Channel) if ch not in FIXED_CHANNEL_TABS and counts.get(ch)
    ]
    if filters.channel is not None and filters.channel not in tab_channels:
        tab_channels.append(filters.channel)
    tabs = [Tab("all", "All", sum(counts.values()), filters.channel is None)]
    tabs += [
        Tab(ch, CHANNEL_TAB_LABELS[ch], counts.get(ch, 0), filters.channel == ch)
        for ch in tab_channels
    ]
    return Overview(total=total, metrics=metrics, tabs=tabs, by_channel=by_channel)


# --- the page of rows ------------------------------------------------------------------------


SORTABLE_COLUMNS: dict[str, Any] = {
    "last_activity_at": Conversation.last_activity_at,
    "started_at": Conversation.started_at,
}


def page_of_rows(
    session: Session,
    filters: ListFilters,
    *,
    page: int,
    page_size: int,
    total: int,
    sort: str = "last_activity_at",
    descending: bool = True,
) -> list[Conversation]:
    """The rows of one page, newest activity first, ties broken by id so paging is stable."""
    offset = page * page_size
    if offset >= total:
        return []
    column = SORTABLE_COLUMNS[sort]
    order = (column.desc(), Conversation.id.desc()) if descending else (column, Conversation.id)
    stmt: Select[tuple[Conversation]] = (
        select(Conversation)
        .where(*conditions(filters))
        .order_by(*order)
        .offset(offset)
        .limit(page_size)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class Badge:
    kind: str
    count: int
    newest_target_id: str


def badges_for(session: Session, rows: Sequence[Conversation]) -> dict[int, list[Badge]]:
    """Conversion badges of the rows on a page, in one query for the whole page."""
    wanted = [row.id for row in rows if any(row.conversion_count(k) for k in METRIC_KEYS)]
    result: dict[int, list[Badge]] = {row.id: [] for row in rows}
    if not wanted:
        return result
    newest: dict[tuple[int, str], tuple[datetime, int, str]] = {}
    counts: dict[tuple[int, str], int] = {}
    stmt = select(
        Conversion.conversation_id,
        Conversion.kind,
        Conversion.target_id,
        Conversion.occurred_at,
        Conversion.id,
    ).where(Conversion.conversation_id.in_(wanted))
    for conv_id, kind, target, occurred, conv_row_id in session.execute(stmt):
        key = (conv_id, kind)
        counts[key] = counts.get(key, 0) + 1
        if key not in newest or (occurred, conv_row_id) > newest[key][:2]:
            newest[key] = (occurred, conv_row_id, target)
    for conv_id in wanted:
        for kind in values(ConversionKind):
            if (conv_id, kind) in counts:
                result[conv_id].append(
                    Badge(kind, counts[(conv_id, kind)], newest[(conv_id, kind)][2])
                )
    return result


# --- the timeline ----------------------------------------------------------------------------


def scoped_conversation(
    session: Session, conversation_id: int, tenant: str | None
) -> Conversation | None:
    """The conversation if it exists and lies inside the tenant scope, else ``None``."""
    stmt = select(Conversation).where(Conversation.id == conversation_id)
    if tenant is not None:
        stmt = stmt.where(Conversation.tenant == tenant)
    return session.scalars(stmt).first()


@dataclass
class Timeline:
    conversation: Conversation
    messages: list[Message]
    has_earlier: bool
    conversions: list[Conversion]
    inbox_items: list[InboxItem]
    tickets: list[EscalationTicket]


def timeline(
    session: Session, conversation: Conversation, *, limit: int, before: int | None = None
) -> Timeline:
    """The newest ``limit`` messages (or those before message id ``before``), oldest first.

    A fixed number of queries, whatever the length of the conversation.
    """
    m = Message
    stmt = select(m).where(m.conversation_id == conversation.id)
    if before is not None:
        anchor = (
            select(m.sent_at)
            .where(m.id == before, m.conversation_id == conversation.id)
            .scalar_subquery()
        )
        stmt = stmt.where(or_(m.sent_at < anchor, and_(m.sent_at == anchor, m.id < before)))
    newest_first = list(
        session.scalars(stmt.order_by(m.sent_at.desc(), m.id.desc()).limit(limit + 1))
    )
    has_earlier = len(newest_first) > limit
    messages = list(reversed(newest_first[:limit]))
    conversions = list(
        session.scalars(
            select(Conversion)
            .where(Conversion.conversation_id == conversation.id)
            .order_by(Conversion.occurred_at, Conversion.id)
        )
    )
    inbox_items = list(
        session.scalars(
            select(InboxItem)
            .where(InboxItem.conversation_id == conversation.id)
            .order_by(InboxItem.id)
        )
    )
    tickets = list(
        session.scalars(
            select(EscalationTicket)
            .where(EscalationTicket.conversation_id == conversation.id)
            .order_by(EscalationTicket.id)
        )
    )
    return Timeline(conversation, messages, has_earlier, conversions, inbox_items, tickets)
