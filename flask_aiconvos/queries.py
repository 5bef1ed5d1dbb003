"""The read side in SQL: metrics, channel tabs, the page of rows, its badges and the timeline.

One grouped query (conversations and per-kind conversion counts per channel, over the current
search, date range and tenant scope) feeds the metrics, the tab counts, the channel comparison and
the pager's total, so those figures can never disagree with each other or with the rows. Without
a search it reads the write-time counters (``counters``: per day and month, channel and tenant)
instead of the conversations; a search counts the matching rows, found through the trigram index
(``search_index``) where the database has one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, func, or_, select, tuple_
from sqlalchemy.orm import Session

from . import counters, plans, search_index
from .list_request import ListFilters
from .models import Conversation, Conversion, EscalationTicket, InboxItem, Message
from .search_text import word_alternatives
from .vocab import (
    ALL_CHANNELS_LABEL,
    CHANNEL_LABELS,
    CHANNEL_TAB_LABELS,
    CONVERSION_STYLES,
    FIXED_CHANNEL_TABS,
    METRIC_KEYS,
    Channel,
    ConversionKind,
    values,
)


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(word: str) -> ColumnElement[bool]:
    return Conversation.search_text.like(f"%{_like_escape(word)}%", escape="\\")


def _word_condition(word: str) -> ColumnElement[bool]:
    """A search word as a literal substring (any of its alternatives)."""
    alternatives = word_alternatives(word)
    if len(alternatives) > 1:
        return or_(*(_contains(alternative) for alternative in alternatives))
    return _contains(word)


def conditions(
    filters: ListFilters, *, with_channel: bool = True, indexed: bool = False
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the current view (tenant scope always; channel optional).

    With ``indexed`` (the database has the SQLite search index) the search words also narrow
    the rows through the index first; the ``LIKE`` conditions still decide.
    """
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
        where.append(_word_condition(word))
    if indexed and filters.search_words:
        narrowed = search_index.narrowing([word_alternatives(w) for w in filters.search_words])
        if narrowed is not None:
            where.append(narrowed)
    return where


def _indexed(session: Session, filters: ListFilters) -> bool:
    return bool(filters.search_words) and search_index.enabled(session)


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
        if self.channel == "all":
            return ALL_CHANNELS_LABEL
        return CHANNEL_LABELS.get(self.channel, self.channel)

    def count(self, kind: str) -> int:
        return self.conversions.get(kind, 0)

    def rate(self, kind: str) -> float:
        return percent(self.count(kind), self.conversations)


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

    @property
    def all_channels(self) -> ChannelFigures:
        """Every channel of the comparison together (its last row)."""
        return ChannelFigures(
            "all",
            sum(fig.conversations for fig in self.by_channel),
            {
                kind: sum(fig.count(kind) for fig in self.by_channel)
                for kind in values(ConversionKind)
            },
        )

    def best_rate(self, kind: str) -> float | None:
        """The highest non-zero rate of ``kind`` when several channels are compared."""
        if len(self.by_channel) < 2:
            return None
        best = max(fig.rate(kind) for fig in self.by_channel)
        return best or None


def percent(count: int, total: int) -> float:
    """``100 * n / total`` to one decimal; no conversations gives 0.0."""
    return round(100.0 * count / total, 1) if total else 0.0


def _channel_totals(
    session: Session, filters: ListFilters
) -> list[tuple[str, int, dict[str, int]]]:
    """Per channel: conversations of the view (the tab aside) and how many have each kind.

    Without a search the write-time counters answer (``counters``); a search counts its rows.
    """
    if not filters.search_words and counters.usable_for(filters.tenant):
        return counters.channel_totals(
            session,
            tenant=filters.tenant,
            started_from=filters.started_from,
            started_to=filters.started_to,
        )
    kinds = values(ConversionKind)
    stmt = (
        select(Conversation.channel, func.count(), *(counters.having_kind(kind) for kind in kinds))
        .where(*conditions(filters, with_channel=False, indexed=_indexed(session, filters)))
        .group_by(Conversation.channel)
    )
    return [
        (row[0], int(row[1]), {kind: int(row[2 + i]) for i, kind in enumerate(kinds)})
        for row in session.execute(stmt)
    ]


def overview(session: Session, filters: ListFilters) -> Overview:
    by_channel = [
        ChannelFigures(channel=channel, conversations=count, conversions=conversions)
        for channel, count, conversions in _channel_totals(session, filters)
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
    now: datetime,
) -> list[Conversation]:
    """The rows of one page, newest activity first, ties broken by id so paging is stable.

    The page's ids are found first, from an index alone where one covers the filters (the
    rows skipped by a deep page and the rows of a date range are never read), then its rows.
    """
    offset = page * page_size
    if offset >= total:
        return []
    column = SORTABLE_COLUMNS[sort]
    order = (column.desc(), Conversation.id.desc()) if descending else (column, Conversation.id)
    indexed = _indexed(session, filters)
    where = conditions(filters, indexed=indexed)
    inner_order = order
    plan = plans.range_plan(session, filters, total, sort, now=now)
    if indexed and plans.walk_for_search(offset + page_size, total, sort):
        # Walk the activity index and test each id against the search index's candidates:
        # only the page's own rows are read, instead of every match (then sorted).
        where = conditions(filters)
        narrowed = search_index.narrowing(
            [word_alternatives(w) for w in filters.search_words],
            id_column=plans.NoIndex(Conversation.id),
        )
        if narrowed is not None:
            where.append(narrowed)
    elif plan == "walk":
        unranged = replace(filters, started_from=None, started_to=None)
        started = plans.NoIndex(Conversation.started_at)
        where = conditions(unranged)
        if filters.started_from is not None:
            where.append(started >= filters.started_from)
        if filters.started_to is not None:
            where.append(started < filters.started_to)
    elif plan == "sort":
        inner_order = (plans.NoIndex(column).desc(), plans.NoIndex(Conversation.id).desc())
        if not descending:
            inner_order = (plans.NoIndex(column), plans.NoIndex(Conversation.id))
    ids = (
        select(Conversation.id)
        .where(*where)
        .order_by(*inner_order)
        .offset(offset)
        .limit(page_size)
        .subquery()
    )
    stmt: Select[tuple[Conversation]] = (
        select(Conversation).join(ids, Conversation.id == ids.c.id).order_by(*order)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class Badge:
    kind: str
    count: int
    newest_target_id: str


def badges_for(session: Session, rows: Sequence[Conversation]) -> dict[int, list[Badge]]:
    """Conversion badges of the rows on a page, in one query for the whole page.

    Only the newest record of each kind (latest ``occurred_at``, then latest id) and the
    kind's count come back, however many records a conversation has.
    """
    wanted = [row.id for row in rows if any(row.conversion_count(k) for k in METRIC_KEYS)]
    result: dict[int, list[Badge]] = {row.id: [] for row in rows}
    if not wanted:
        return result
    per_kind = (Conversion.conversation_id, Conversion.kind)
    ranked = (
        select(
            Conversion.conversation_id,
            Conversion.kind,
            Conversion.target_id,
            func.row_number()
            .over(
                partition_by=per_kind,
                order_by=(Conversion.occurred_at.desc(), Conversion.id.desc()),
            )
            .label("position"),
            func.count().over(partition_by=per_kind).label("records"),
        )
        .where(Conversion.conversation_id.in_(wanted))
        .subquery()
    )
    stmt = select(
        ranked.c.conversation_id, ranked.c.kind, ranked.c.target_id, ranked.c.records
    ).where(ranked.c.position == 1)
    found = {
        (conv_id, kind): Badge(kind, int(records), target)
        for conv_id, kind, target, records in session.execute(stmt)
    }
    order = values(ConversionKind)
    for conv_id in wanted:
        result[conv_id] = [found[(conv_id, kind)] for kind in order if (conv_id, kind) in found]
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


# --- the export: every row of the list, in its order, a chunk at a time -----------------------


def rows_in_order(
    session: Session,
    filters: ListFilters,
    *,
    sort: str = "last_activity_at",
    descending: bool = True,
    chunk: int = 1000,
) -> Iterator[list[Row[Any]]]:
    """Every conversation of the list (its filters and scope), in the list's order, as chunks
    of at most ``chunk`` rows of the conversation table's columns.

    Each chunk is its own statement, continuing after the last row of the one before by the
    sort key (``(column, id)``, a keyset): memory stays constant whatever the list's length,
    no statement reads the rows before its chunk, and no read lock outlives its chunk.
    """
    table: Any = Conversation.__table__
    column = table.c[SORTABLE_COLUMNS[sort].key]
    order = (column.desc(), table.c.id.desc()) if descending else (column, table.c.id)
    where = conditions(filters, indexed=_indexed(session, filters))
    after: tuple[Any, int] | None = None
    while True:
        stmt = select(table).where(*where)
        if after is not None:
            key = tuple_(column, table.c.id)
            bound = tuple_(
                bindparam("after_sort", after[0], type_=column.type),
                bindparam("after_id", after[1], type_=table.c.id.type),
            )
            stmt = stmt.where(key < bound if descending else key > bound)
        rows = list(session.execute(stmt.order_by(*order).limit(chunk)))
        if not rows:
            return
        yield rows
        if len(rows) < chunk:
            return
        last = rows[-1]._mapping
        after = (last[column.key], last["id"])


@dataclass
class Parts:
    """What a set of conversations holds besides their own row, by conversation id, each in
    the timeline's order."""

    messages: dict[int, list[Row[Any]]] = field(default_factory=dict)
    conversions: dict[int, list[Row[Any]]] = field(default_factory=dict)
    inbox_items: dict[int, list[Row[Any]]] = field(default_factory=dict)
    tickets: dict[int, list[Row[Any]]] = field(default_factory=dict)


def parts_of(session: Session, conversation_ids: Sequence[int]) -> Parts:
    """The messages, conversions, inbox items and tickets of the conversations: four
    statements, however many conversations and messages."""
    parts = Parts()
    if not conversation_ids:
        return parts
    ids = list(conversation_ids)
    wanted: list[tuple[dict[int, list[Row[Any]]], Any, tuple[Any, ...]]] = [
        (parts.messages, Message.__table__, ("sent_at", "id")),
        (parts.conversions, Conversion.__table__, ("occurred_at", "id")),
        (parts.inbox_items, InboxItem.__table__, ("id",)),
        (parts.tickets, EscalationTicket.__table__, ("id",)),
    ]
    for found, part_table, order in wanted:
        stmt = (
            select(part_table)
            .where(part_table.c.conversation_id.in_(ids))
            .order_by(part_table.c.conversation_id, *(part_table.c[name] for name in order))
        )
        for row in session.execute(stmt):
            found.setdefault(row.conversation_id, []).append(row)
    return parts
