"""The read side in SQL: metrics, channel tabs, the page of rows, its badges and the timeline.

One grouped query (conversations and per-kind conversion counts per channel, over the current
search, outcome filters, date range and tenant scope) feeds the metrics, the tab counts, the
channel comparison and the pager's total, so those figures can never disagree with each other or
with the rows. Without a search it reads the write-time counters (``counters``: per day and
month, channel, tenant and outcome mask) instead of the conversations, summing the masks the
outcome filters accept; a search counts the matching rows: conversations holding every term in
their fields (``search_index``) or in any of their messages (``message_search``), found through
the trigram indexes where the database has them, once per page (``search_matches``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Row,
    Select,
    String,
    and_,
    bindparam,
    event,
    func,
    or_,
    select,
    tuple_,
    type_coerce,
    union,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator, TypeEngine

from . import counters, json_sql, message_search, outcomes, plans, search_index
from .i18n import gettext
from .list_request import ListFilters
from .models import (
    BIND_ARGUMENTS,
    Conversation,
    Conversion,
    EscalationTicket,
    InboxItem,
    Message,
    UTCDateTime,
    tables_connection,
    tables_engine,
)
from .no_index import NoIndex
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
    Sender,
    values,
)


def _contains(word: str) -> ColumnElement[bool]:
    return search_index.contains(Conversation.search_text, word)


def _word_condition(word: str) -> ColumnElement[bool]:
    """A search word as a literal substring (any of its alternatives)."""
    alternatives = word_alternatives(word)
    if len(alternatives) > 1:
        return or_(*(_contains(alternative) for alternative in alternatives))
    return _contains(word)


def _term_ids(word: str, *, indexed: bool) -> Select[Any]:
    """The ids of the conversations holding a search term in their fields or in any of their
    messages, one set, so each database finds them through its indexes."""
    in_fields = search_index.matching_ids([word_alternatives(word)]) if indexed else None
    if in_fields is None:
        in_fields = select(Conversation.id).where(_word_condition(word))
    return union(in_fields, message_search.conversations_with(word, indexed=indexed))


class Matches(json_sql.IdList):
    """A search's matching conversation ids, in id order, found on a ``dialect`` database:
    the page's statements each send them as one parameter, spelled once."""

    dialect: str

    @classmethod
    def found(cls, ids: Sequence[int], dialect: str) -> Matches:
        matches = cls(ids)
        matches.dialect = dialect
        return matches

    def held_by(self, column: Any) -> ColumnElement[bool]:
        """SQL: ``column`` (a conversation id) is one of these."""
        return json_sql.owned_by(column, self, self.dialect)


#: Once this few conversations hold a search's first terms, its other terms are checked in
#: those conversations' own text rather than looked up in the index. Checking costs about
#: 12 µs a conversation on SQLite and 25 µs on PostgreSQL at 1M (its messages read by their
#: owner), so at most about 120 and 250 ms; looking up a common word costs what the word's
#: frequency makes it (“meeting”, in 200,000 conversations' messages: 0.4 s on SQLite, 1.2 s
#: on PostgreSQL), which the index cannot tell in advance.
CHECK_BELOW = 10_000
_MATCHES = "aiconvos.search_matches"


def search_matches(session: Session, filters: ListFilters) -> Matches | None:
    """The ids of the conversations holding every search term (whatever the tenant, tab or
    dates), found once and reused by the page's statements until the session writes, commits
    or rolls back; ``None`` without a search. One statement per term, fewer once the matches
    are few."""
    words = filters.search_words
    if not words:
        return None
    known: dict[tuple[str, ...], Matches] = session.info.setdefault(_MATCHES, {})
    key = tuple(words)
    if key not in known:
        known[key] = _find_matches(session, words)
    return known[key]


def _find_matches(session: Session, words: Sequence[str]) -> Matches:
    dialect = tables_engine(session).dialect.name
    found: set[int] | None = None
    for word in words:
        if found is not None and len(found) < CHECK_BELOW:
            among = Matches.found(sorted(found), dialect)
            stmt: Any = union(
                select(Conversation.id).where(
                    among.held_by(Conversation.id), _word_condition(word)
                ),
                select(Message.conversation_id).where(
                    among.held_by(Message.conversation_id), message_search.term_matches(word)
                ),
            )
        else:
            stmt = _term_ids(word, indexed=search_index.enabled(session))
        holding = set(session.scalars(stmt, bind_arguments=BIND_ARGUMENTS))
        found = holding if found is None else found & holding
        if not found:
            break
    return Matches.found(sorted(found or ()), dialect)


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
@event.listens_for(Session, "after_soft_rollback")
def _forget_matches(session: Session, *args: Any) -> None:
    session.info.pop(_MATCHES, None)


def _term_condition(word: str, *, indexed: bool, id_column: Any = None) -> ColumnElement[bool]:
    """A search term found in the conversation's fields or in any of its messages."""
    found = _term_ids(word, indexed=indexed)
    return (Conversation.id if id_column is None else id_column).in_(found)


def conditions(
    filters: ListFilters,
    *,
    with_channel: bool = True,
    indexed: bool = False,
    id_column: Any = None,
    matches: Matches | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE clauses for the current view (tenant scope always; channel optional); the
    outcome filters are one condition on ``outcome_mask``.

    Every search term must be found, in the conversation's fields or in one of its messages
    (``message_search``). With ``indexed`` (the database has the SQLite search indexes) a term
    of three characters or more is looked up in them alone (their phrase queries are exact).
    ``id_column`` stands for the conversation id in the terms' tests (an expression of it steers
    SQLite). ``matches`` (``search_matches``) gives the conversations holding every term, found
    already: the terms are not looked up again.
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
    if filters.outcomes:
        where.append(outcomes.condition(c.outcome_mask, filters.outcomes))
    ident = c.id if id_column is None else id_column
    if matches is not None and filters.search_words:
        where.append(matches.held_by(ident))
        return where
    for word in filters.search_words:
        where.append(_term_condition(word, indexed=indexed, id_column=id_column))
    return where


def _indexed(session: Session, filters: ListFilters) -> bool:
    return bool(filters.search_words) and search_index.enabled(session)


def list_conditions(session: Session, filters: ListFilters) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the list's rows on this database (the search index where it has
    one): what a query over "the rows the list shows" applies."""
    return conditions(filters, indexed=_indexed(session, filters))


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
    #: When the view's earliest and latest conversations started, at most a UTC month early
    #: (the start of the counter period holding them); ``None`` without conversations.
    first_start: datetime | None = None
    last_start: datetime | None = None

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


def _channel_totals(session: Session, filters: ListFilters) -> list[counters.ChannelTotal]:
    """Per channel: conversations of the view (the tab aside) and how many have each kind.

    Without a search the write-time counters answer (``counters``); a search counts its rows.
    """
    if not filters.search_words and counters.usable_for(filters.tenant):
        return counters.channel_totals(
            session,
            tenant=filters.tenant,
            started_from=filters.started_from,
            started_to=filters.started_to,
            outcomes=filters.outcomes,
        )
    kinds = values(ConversionKind)
    stmt = (
        select(
            Conversation.channel,
            func.count(),
            *(counters.having_kind(kind) for kind in kinds),
            func.min(Conversation.started_at),
            func.max(Conversation.started_at),
        )
        .where(
            *conditions(
                filters,
                with_channel=False,
                indexed=_indexed(session, filters),
                matches=search_matches(session, filters),
            )
        )
        .group_by(NoIndex(Conversation.channel))  # found by id, not by a channel scan
    )
    return [
        counters.ChannelTotal(
            row[0],
            int(row[1]),
            {kind: int(row[2 + i]) for i, kind in enumerate(kinds)},
            row[-2],
            row[-1],
        )
        for row in session.execute(stmt, bind_arguments=BIND_ARGUMENTS)
    ]


def overview(session: Session, filters: ListFilters) -> Overview:
    return overview_of(filters, _channel_totals(session, filters))


def overview_of(filters: ListFilters, found: Sequence[counters.ChannelTotal]) -> Overview:
    """The metrics, tabs and comparison from the view's totals per channel (the tab aside)."""
    by_channel = [
        ChannelFigures(
            channel=fig.channel, conversations=fig.conversations, conversions=fig.conversions
        )
        for fig in found
    ]
    starts = [
        moment
        for fig in found
        if filters.channel is None or fig.channel == filters.channel
        for moment in (fig.first, fig.last)
        if moment is not None
    ]
    order = {channel: i for i, channel in enumerate(values(Channel))}
    by_channel.sort(key=lambda fig: order.get(fig.channel, len(order)))
    shown = [fig for fig in by_channel if filters.channel is None or fig.channel == filters.channel]
    total = sum(fig.conversations for fig in shown)
    metrics = [Metric("total", gettext("Total conversations"), total, None)]
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
    tabs = [Tab("all", gettext("All"), sum(counts.values()), filters.channel is None)]
    tabs += [
        Tab(ch, CHANNEL_TAB_LABELS[ch], counts.get(ch, 0), filters.channel == ch)
        for ch in tab_channels
    ]
    return Overview(
        total=total,
        metrics=metrics,
        tabs=tabs,
        by_channel=by_channel,
        first_start=min(starts, default=None),
        last_start=max(starts, default=None),
    )


def stored_start_bounds(session: Session) -> tuple[datetime | None, datetime | None]:
    """When the first and the last stored conversation started, whatever the view: bounds a
    view's chart can start and end from (its empty months at either end are dropped), read
    from the ``started_at`` index in two probes."""
    c = Conversation
    stmt = select(
        select(func.min(c.started_at)).scalar_subquery(),
        select(func.max(c.started_at)).scalar_subquery(),
    )
    first, last = session.execute(stmt, bind_arguments=BIND_ARGUMENTS).one()
    return first, last


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
    matches = search_matches(session, filters)
    where = conditions(filters, indexed=indexed, matches=matches)
    inner_order = order
    plan = plans.range_plan(session, filters, total, sort, now=now)
    if indexed and plans.walk_for_search(offset + page_size, total, sort):
        # Walk the activity index and test each id against the search's matches:
        # only the page's own rows are read, instead of every match (then sorted).
        where = conditions(
            filters, indexed=True, id_column=NoIndex(Conversation.id), matches=matches
        )
    elif plan == "walk":
        unranged = replace(filters, started_from=None, started_to=None)
        started = NoIndex(Conversation.started_at)
        where = conditions(unranged)
        if filters.started_from is not None:
            where.append(started >= filters.started_from)
        if filters.started_to is not None:
            where.append(started < filters.started_to)
    elif plan == "sort":
        inner_order = (NoIndex(column).desc(), NoIndex(Conversation.id).desc())
        if not descending:
            inner_order = (NoIndex(column), NoIndex(Conversation.id))
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
    return list(session.scalars(stmt, bind_arguments=BIND_ARGUMENTS))


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
        for conv_id, kind, target, records in session.execute(stmt, bind_arguments=BIND_ARGUMENTS)
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
    return session.scalars(stmt, bind_arguments=BIND_ARGUMENTS).first()


@dataclass
class Timeline:
    conversation: Conversation
    messages: list[Message]
    has_earlier: bool
    conversions: list[Conversion]
    inbox_items: list[InboxItem]
    tickets: list[EscalationTicket]
    #: The page's time span, for the events it shows: from its first message (inclusive; open
    #: on the oldest page) to the message the next page starts with (exclusive; open on the
    #: newest page).
    span_start: datetime | None = None
    span_end: datetime | None = None
    #: The sender of the message just before the page (``None`` on the oldest page).
    previous_sender: str | None = None
    #: The page was asked for with ``before`` (it is not the newest page).
    earlier_page: bool = False


#: What happened besides messages, as the timeline shows it among them.
EVENT_CONVERSION = "conversion"
EVENT_INBOX_ITEM = "inbox_item"
EVENT_ESCALATION = "escalation"
_EVENT_ORDER = {EVENT_CONVERSION: 0, EVENT_INBOX_ITEM: 1, EVENT_ESCALATION: 2}


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline: a message (``event`` is ``None``) or an event, at ``at``.

    ``handoff`` marks an operator message that follows an AI message (a takeover).
    """

    at: datetime
    message: Message | None = None
    event: str | None = None
    record: Conversion | InboxItem | EscalationTicket | None = None
    handoff: bool = False


def timeline_entries(timeline: Timeline) -> list[TimelineEntry]:
    """The page's messages and, among them at their time, the conversions (``occurred_at``),
    inbox links (``linked_at``) and escalations (``escalated_at``) within its span.

    A message comes before an event of the same moment (the reply that booked the tour, then the
    booking). Pages partition time, so every event is on exactly one page. No query: the parts
    are already loaded.
    """
    if not timeline.messages and timeline.earlier_page:
        return []  # a page before the oldest message holds no span
    start, end = timeline.span_start, timeline.span_end

    def within(moment: datetime) -> bool:
        return (start is None or moment >= start) and (end is None or moment < end)

    events = [
        *(
            TimelineEntry(c.occurred_at, event=EVENT_CONVERSION, record=c)
            for c in timeline.conversions
        ),
        *(
            TimelineEntry(i.linked_at, event=EVENT_INBOX_ITEM, record=i)
            for i in timeline.inbox_items
        ),
        *(
            TimelineEntry(t.escalated_at, event=EVENT_ESCALATION, record=t)
            for t in timeline.tickets
        ),
    ]
    events = [entry for entry in events if within(entry.at)]
    events.sort(key=lambda e: (e.at, _EVENT_ORDER[e.event or ""], getattr(e.record, "id", 0)))
    messages: list[TimelineEntry] = []
    previous = timeline.previous_sender
    for message in timeline.messages:
        handoff = message.sender == Sender.OPERATOR and previous == Sender.AI
        messages.append(TimelineEntry(message.sent_at, message=message, handoff=handoff))
        previous = message.sender
    entries: list[TimelineEntry] = []
    queued = iter(events)
    pending = next(queued, None)
    for entry in messages:
        while pending is not None and pending.at < entry.at:
            entries.append(pending)
            pending = next(queued, None)
        entries.append(entry)
    if pending is not None:
        entries.append(pending)
    entries.extend(queued)
    return entries


def timeline(
    session: Session, conversation: Conversation, *, limit: int, before: int | None = None
) -> Timeline:
    """The newest ``limit`` messages (or those before message id ``before``), oldest first,
    with every conversion, inbox item and ticket, and the page's time span.

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
        # The time of the message the next page starts with, in the same statement.
        stmt = stmt.add_columns(type_coerce(anchor, UTCDateTime()).label("anchor_at"))
    rows = session.execute(
        stmt.order_by(m.sent_at.desc(), m.id.desc()).limit(limit + 1), bind_arguments=BIND_ARGUMENTS
    ).all()
    newest_first = [row[0] for row in rows]
    has_earlier = len(newest_first) > limit
    messages = list(reversed(newest_first[:limit]))
    conversions = list(
        session.scalars(
            select(Conversion)
            .where(Conversion.conversation_id == conversation.id)
            .order_by(Conversion.occurred_at, Conversion.id),
            bind_arguments=BIND_ARGUMENTS,
        )
    )
    inbox_items = list(
        session.scalars(
            select(InboxItem)
            .where(InboxItem.conversation_id == conversation.id)
            .order_by(InboxItem.id),
            bind_arguments=BIND_ARGUMENTS,
        )
    )
    tickets = list(
        session.scalars(
            select(EscalationTicket)
            .where(EscalationTicket.conversation_id == conversation.id)
            .order_by(EscalationTicket.id),
            bind_arguments=BIND_ARGUMENTS,
        )
    )
    return Timeline(
        conversation,
        messages,
        has_earlier,
        conversions,
        inbox_items,
        tickets,
        span_start=messages[0].sent_at if has_earlier and messages else None,
        span_end=rows[0].anchor_at if before is not None and rows else None,
        previous_sender=newest_first[limit].sender if has_earlier else None,
        earlier_page=before is not None,
    )


def page_holding(
    session: Session, conversation: Conversation, message_id: int, *, limit: int
) -> tuple[bool, int | None]:
    """Whether ``message_id`` is a message of the conversation, and the ``before`` anchor of
    the timeline page (``limit`` messages, pages counted from the newest) holding it: ``None``
    for the newest page. Three queries at most, whatever the conversation's length."""
    m = Message
    own = (m.conversation_id == conversation.id,)
    moment = session.scalar(
        select(m.sent_at).where(m.id == message_id, *own), bind_arguments=BIND_ARGUMENTS
    )
    if moment is None:
        return False, None
    newer = or_(m.sent_at > moment, and_(m.sent_at == moment, m.id > message_id))
    page = (
        session.scalar(select(func.count()).where(*own, newer), bind_arguments=BIND_ARGUMENTS) or 0
    ) // limit
    if page == 0:
        return True, None
    anchor = (
        select(m.id)
        .where(*own)
        .order_by(m.sent_at.desc(), m.id.desc())
        .offset(page * limit - 1)
        .limit(1)
    )
    return True, session.scalar(anchor, bind_arguments=BIND_ARGUMENTS)


# --- the export: every row of the list, in its order, a chunk at a time -----------------------


class RecordTime(ColumnElement[str]):
    """A stored time as the records write it (``record_format.format_time``: ISO 8601 in UTC,
    ``Z``, microseconds only when there are some), spelled by the database itself so that no
    ``datetime`` is made of each value."""

    __visit_name__ = "aiconvos_record_time"
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = String()


@compiles(RecordTime, "sqlite")
def _record_time_sqlite(element: RecordTime, compiler: Any, **kw: Any) -> str:
    # Stored as naive UTC text, "2026-11-18 15:30:00.000000" (or without the fraction).
    c = compiler.process(element.column, **kw)
    day_time = f"substr({c}, 1, 10) || 'T' || substr({c}, 12, 8)"
    return (
        f"CASE WHEN length({c}) = 26 THEN {day_time} || CASE WHEN substr({c}, 21) = '000000' "
        f"THEN '' ELSE substr({c}, 20) END || 'Z' "
        f"WHEN length({c}) = 19 THEN {day_time} || 'Z' ELSE {c} END"
    )


@compiles(RecordTime, "postgresql")
def _record_time_postgresql(element: RecordTime, compiler: Any, **kw: Any) -> str:
    # One to_char: the only "." it writes is the fraction's, dropped when it is zero.
    utc = f"({compiler.process(element.column, **kw)} AT TIME ZONE 'UTC')"
    return f"replace(to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS.US'), '.000000', '') || 'Z'"


@compiles(RecordTime)
def _record_time(element: RecordTime, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.column, **kw)} AS VARCHAR)"


class StoredValue(TypeDecorator[Any]):
    """A time column's value as the database driver gives it (SQLite: the stored text), to
    compare the column with again: the keyset of the export."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(DateTime(timezone=True))


def _exported(column: Any) -> Any:
    """A column as the export reads it: times as record text."""
    if isinstance(column.type, UTCDateTime):
        return RecordTime(column).label(column.key)
    return column


#: A search with more matches than this many chunks is exported by the ids in the list's
#: order, found once: each chunk testing every match again would cost chunks × matches.
ORDER_MATCHES_ABOVE = 10


def rows_in_order(
    session: Session,
    filters: ListFilters,
    columns: Sequence[str | ColumnElement[Any]],
    *,
    sort: str = "last_activity_at",
    descending: bool = True,
    chunk: int = 1000,
) -> Iterator[list[Row[Any]]]:
    """Every conversation of the list (its filters and scope), in the list's order, as chunks
    of at most ``chunk`` rows of ``columns`` (names of conversation columns, whose times come as
    record text, ``record_format.format_time``, or expressions), each row followed by the sort
    key.

    Each chunk is its own statement, continuing after the last row of the one before by the
    sort key (``(column, id)``, a keyset): memory stays constant whatever the list's length,
    no statement reads the rows before its chunk, and no read lock outlives its chunk. A search
    matching many conversations is read by its matches' ids instead (``_matched_in_order``).
    """
    table: Any = Conversation.__table__
    column = table.c[SORTABLE_COLUMNS[sort].key]
    order = (column.desc(), table.c.id.desc()) if descending else (column, table.c.id)
    selected = select(
        *(_exported(table.c[name]) if isinstance(name, str) else name for name in columns),
        type_coerce(column, StoredValue()).label("sort_key"),
        table.c.id.label("sort_id"),
    )
    matches = search_matches(session, filters)
    where = conditions(filters, indexed=_indexed(session, filters), matches=matches)
    if matches is not None and len(matches) > ORDER_MATCHES_ABOVE * chunk:
        yield from _matched_in_order(session, selected, where, order, chunk)
        return
    base = selected.where(*where)
    after: tuple[Any, int] | None = None
    while True:
        stmt = base
        if after is not None:
            key = tuple_(column, table.c.id)
            bound = tuple_(
                bindparam("after_sort", after[0], type_=StoredValue()),
                bindparam("after_id", after[1], type_=table.c.id.type),
            )
            stmt = stmt.where(key < bound if descending else key > bound)
        rows = session.execute(
            stmt.order_by(*order).limit(chunk), bind_arguments=BIND_ARGUMENTS
        ).all()
        if not rows:
            return
        yield rows
        if len(rows) < chunk:
            return
        after = (rows[-1][-2], rows[-1][-1])


def _matched_in_order(
    session: Session,
    selected: Select[Any],
    where: Sequence[ColumnElement[bool]],
    order: Sequence[Any],
    chunk: int,
) -> Iterator[list[Row[Any]]]:
    """The list's rows when a search matches many: the matching ids in the list's order in
    one statement (as many ids as the matches already held), then a statement per chunk of
    them."""
    ids = list(
        session.scalars(
            select(Conversation.id).where(*where).order_by(*order), bind_arguments=BIND_ARGUMENTS
        )
    )
    dialect = tables_engine(session).dialect.name
    for start in range(0, len(ids), chunk):
        listed = ids[start : start + chunk]
        stmt = selected.where(json_sql.owned_by(Conversation.id, listed, dialect))
        yield list(session.execute(stmt.order_by(*order), bind_arguments=BIND_ARGUMENTS).all())


#: The columns of each part of a conversation the export writes.
PART_COLUMNS: dict[str, tuple[str, ...]] = {
    "messages": (
        "sender",
        "body",
        "content_format",
        "via",
        "sent_at",
        "external_id",
        "original_body",
        "original_format",
    ),
    "conversions": ("kind", "target_id", "occurred_at"),
    "inbox_items": ("item_id", "status", "title"),
    "tickets": ("ticket_id", "subject", "escalated_at"),
}


@dataclass
class Parts:
    """What a set of conversations holds besides their own row, by conversation id, each in
    the timeline's order: rows of the conversation id and ``PART_COLUMNS`` (times as record
    text)."""

    messages: dict[int, list[Row[Any]]] = field(default_factory=dict)
    conversions: dict[int, list[Row[Any]]] = field(default_factory=dict)
    inbox_items: dict[int, list[Row[Any]]] = field(default_factory=dict)
    tickets: dict[int, list[Row[Any]]] = field(default_factory=dict)


#: Each part's table and the timeline's order of its rows.
PART_TABLES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "messages": (Message.__table__, ("sent_at", "id")),
    "conversions": (Conversion.__table__, ("occurred_at", "id")),
    "inbox_items": (InboxItem.__table__, ("id",)),
    "tickets": (EscalationTicket.__table__, ("id",)),
}


def part_statement(
    session: Session, name: str, conversation_ids: Sequence[int], selected: Sequence[Any]
) -> Select[Any]:
    """One part's rows (the conversation id, then ``selected``) of the conversations, by
    conversation id and in the timeline's order: one statement, the ids one parameter."""
    part_table, order = PART_TABLES[name]
    owner = part_table.c.conversation_id
    dialect = tables_connection(session).dialect.name
    return (
        select(owner, *selected)
        .where(json_sql.owned_by(owner, conversation_ids, dialect))
        .order_by(owner, *(part_table.c[column] for column in order))
    )


def part_rows(
    session: Session, name: str, conversation_ids: Sequence[int], selected: Sequence[Any]
) -> list[Row[Any]]:
    """``part_statement``'s rows."""
    stmt = part_statement(session, name, conversation_ids, selected)
    return session.execute(stmt, bind_arguments=BIND_ARGUMENTS).all()


def driver_rows(session: Session, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """The statement's rows as the database driver gives them, without making ``Row``
    objects: for columns the dialect passes through unprocessed (integers and text on
    SQLite), the same values at a fraction of the cost, which counts where a statement
    returns hundreds of thousands of rows (the JSON Lines export)."""
    result = session.execute(stmt, bind_arguments=BIND_ARGUMENTS)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def parts_of(session: Session, conversation_ids: Sequence[int]) -> Parts:
    """The messages, conversions, inbox items and tickets of the conversations: four
    statements, however many conversations and messages."""
    parts = Parts()
    if not conversation_ids:
        return parts
    for name, (part_table, _) in PART_TABLES.items():
        selected = [_exported(part_table.c[column]) for column in PART_COLUMNS[name]]
        found: dict[int, list[Row[Any]]] = getattr(parts, name)
        for row in part_rows(session, name, conversation_ids, selected):
            found.setdefault(row[0], []).append(row)
    return parts
