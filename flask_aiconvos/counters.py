"""Conversation counts kept current at write time, for the list's metrics and channel tabs.

For every half UTC hour, UTC hour, four UTC hours (0–4, 4–8, … 20–24 h), UTC day and UTC month,
channel and tenant, ``aiconvos_counter`` holds how many conversations started in it and how many of
those have at least one conversion of each kind; ``aiconvos_outcome_counter`` holds the same per
day and month split by the conversations' outcome mask (``outcomes``), read only when the list has
outcome filters (a sum over the masks they accept), so the unfiltered list reads as few rows as
before. It has no rows shorter than a day: its key leads with the mask, so reading hours would take
one index descent per mask and hour, slower than counting a part-day's conversations through the
start-ordered index, which carries the mask. The recording API updates both in the same transaction
as the row it counts, with atomic upserts (``INSERT … ON CONFLICT DO UPDATE SET n = n + 1``), so
concurrent writers never lose a count and a failed write leaves no count behind. When a
conversation gains or loses an outcome, one count moves from its old mask's rows to its new mask's
rows in that same transaction; ``aiconvos_counter`` takes the sum of the move.

Reading (no search): a date range is split into whole UTC months, whole UTC days at its ends,
whole UTC half-hours where a bound is not a UTC midnight (an ``AICONVOS_TIMEZONE`` other than
UTC: America/New_York's midnight is 4 or 5 hours from UTC's, Asia/Kolkata's 5 1/2), read as
four-hour rows where they fill one, hour rows where they fill one and half-hour rows for the
rest (a New York edge: at most a four-hour row and an hour row, not five hour rows), and, only
where a bound is not a UTC half-hour (Asia/Kathmandu, +5:45), what is left at its very ends,
counted from the conversations table through its ``started_at`` index (with outcome filters,
every part-day is). The figures are exact at any size, and the metrics over all time read one
row per month, channel and tenant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    any_,
    case,
    func,
    insert,
    or_,
    select,
    text,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from . import outcomes as outcome_bits
from .json_sql import timestamp_array
from .models import (
    BIND_ARGUMENTS,
    Conversation,
    ConversationCounter,
    OutcomeCounter,
    tables_connection,
    tables_engine,
)
from .no_index import NoIndex
from .vocab import EARLIEST_MOMENT, END_OF_TIME, METRIC_KEYS, ConversionKind, count_column, values

D = TypeVar("D", date, datetime)

#: Thirty minutes from a UTC hour or half-hour: the edges of a range in a zone whose offset is
#: a whole number of half-hours but not of hours (Asia/Kolkata, +5:30) are read from them.
HALF_HOUR = "t"
HOUR = "h"
#: Four UTC hours from a multiple of four (0, 4, … 20 h): the hours at a range's edges in a zone
#: four or more hours from UTC take one row instead of four or more.
FOUR_HOURS = "4"
DAY = "d"
MONTH = "m"
#: Every grain a conversation is counted in, finest first; the outcome counters have no hours.
GRAINS = (HALF_HOUR, HOUR, FOUR_HOURS, DAY, MONTH)
#: The grains shorter than a day, read at a range's edges (``HourRows``).
HOUR_GRAINS = (HALF_HOUR, HOUR, FOUR_HOURS)
OUTCOME_GRAINS = (DAY, MONTH)
#: The counter column of each conversion kind (named like the metric it feeds).
KIND_COLUMNS: dict[str, str] = {kind: METRIC_KEYS[kind] for kind in values(ConversionKind)}
#: Stored for conversations without a tenant (a tenant value is never blank).
NO_TENANT = ""
_KEY = ("grain", "period_start", "tenant", "channel")
#: ``aiconvos_outcome_counter``'s key, in its index order (a filter reads its masks first).
_OUTCOME_KEY = ("grain", "outcomes", "period_start", "tenant", "channel")
_COUNTS = ("conversations", *KIND_COLUMNS.values())


# --- periods --------------------------------------------------------------------------------


def half_hour_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 30, second=0, microsecond=0)


def hour_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def four_hours_start(moment: datetime) -> datetime:
    start = hour_start(moment)
    return start.replace(hour=start.hour - start.hour % 4)


def day_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def month_start(moment: datetime) -> datetime:
    return day_start(moment).replace(day=1)


def next_month(start: D) -> D:
    """The first day (or first moment) of the month after the one ``start`` opens."""
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def _ceil_half_hour(moment: datetime) -> datetime:
    start = half_hour_start(moment)
    return start if start == moment else start + timedelta(minutes=30)


def _ceil_day(moment: datetime) -> datetime:
    start = day_start(moment)
    return start if start == moment else start + timedelta(days=1)


def _ceil_month(moment: datetime) -> datetime:
    start = month_start(moment)
    return start if start == moment else next_month(start)


def periods(started_at: datetime) -> tuple[tuple[str, datetime], ...]:
    """The half-hour, hour, four hours, day and month a conversation that started at
    ``started_at`` is counted in."""
    return tuple((grain, period_start(grain, started_at)) for grain in GRAINS)


_PERIOD_STARTS = {
    HALF_HOUR: half_hour_start,
    HOUR: hour_start,
    FOUR_HOURS: four_hours_start,
    DAY: day_start,
    MONTH: month_start,
}


def period_start(grain: str, moment: datetime) -> datetime:
    """The start of the period of ``grain`` holding ``moment``."""
    return _PERIOD_STARTS[grain](moment)


Span = tuple[datetime | None, datetime | None]  # [low, high); None: unbounded


@dataclass(frozen=True)
class Split:
    """A range of start times as whole months, whole days, whole half-hours (``hours``) and
    what is left at its ends (``raw``, under half an hour each)."""

    months: Span | None = None
    days: list[Span] = field(default_factory=list)
    hours: list[Span] = field(default_factory=list)
    raw: list[Span] = field(default_factory=list)


def by_hours(start: datetime, end: datetime) -> tuple[list[Span], list[Span]]:
    """Cover ``[start, end)`` with whole UTC half-hours (one span) and what is left at its
    ends (under half an hour each, counted from the conversations)."""
    low, high = _ceil_half_hour(start), half_hour_start(end)
    if low >= high:
        return [], [(start, end)] if start < end else []
    raw: list[Span] = []
    if start < low:
        raw.append((start, low))
    if high < end:
        raw.append((high, end))
    return [(low, high)], raw


@dataclass(frozen=True)
class HourRows:
    """The starts of the rows shorter than a day covering some whole UTC half-hours: a
    four-hour row where the hours fill one, an hour row for each hour left, a half-hour row
    for each half-hour left."""

    four_hours: list[datetime] = field(default_factory=list)
    hours: list[datetime] = field(default_factory=list)
    half_hours: list[datetime] = field(default_factory=list)

    def starts(self, grain: str) -> list[datetime]:
        return {FOUR_HOURS: self.four_hours, HOUR: self.hours, HALF_HOUR: self.half_hours}[grain]


_FOUR_HOURS = timedelta(hours=4)
_ONE_HOUR = timedelta(hours=1)
_HALF_AN_HOUR = timedelta(minutes=30)


def hour_rows(spans: Sequence[Span]) -> HourRows:
    """The rows covering ``spans`` (bounded, on UTC half-hour edges), each span on its own: a
    row never reaches past the span it was asked for."""
    rows = HourRows()
    for low, high in spans:
        assert low is not None and high is not None
        if half_hour_start(low) != low or half_hour_start(high) != high:
            raise ValueError(f"[{low}, {high}) is not on UTC half-hours")
        moment = low.astimezone(UTC)
        while moment < high:
            on_hour = moment.minute == 0
            if on_hour and moment.hour % 4 == 0 and moment + _FOUR_HOURS <= high:
                rows.four_hours.append(moment)
                moment += _FOUR_HOURS
            elif on_hour and moment + _ONE_HOUR <= high:
                rows.hours.append(moment)
                moment += _ONE_HOUR
            else:
                rows.half_hours.append(moment)
                moment += _HALF_AN_HOUR
    return rows


def in_hour_rows(
    column: Any, rows: HourRows, dialect: str
) -> list[tuple[str, ColumnElement[bool]]]:
    """Per hour grain that ``rows`` uses: the condition on ``column`` (a counter's
    ``period_start``) selecting its rows, one however many edges a chart has.

    PostgreSQL gets a ``timestamptz[]`` sent as the array's text: a constant it parses once,
    where a parameter per hour cost a millisecond of planning for a New York chart of all
    time. Elsewhere an expanding ``IN`` (on SQLite a JSON array read by ``json_each`` took as
    long to build as it saved)."""
    found = []
    for grain in HOUR_GRAINS:
        starts = rows.starts(grain)
        if not starts:
            continue
        if dialect == "postgresql":
            found.append((grain, column == any_(timestamp_array(f"starts_{grain}", starts))))
        else:
            found.append((grain, column.in_(starts)))
    return found


def split(start: datetime | None, end: datetime | None, *, hours: bool = True) -> Split:
    """Cover ``[start, end)`` exactly with month, day and hour counters and raw part-hours
    (``hours=False``: raw part-days, for the outcome counters)."""
    whole = _split_days(start, end)
    if not hours:
        return whole
    hour_spans: list[Span] = []
    raw: list[Span] = []
    for low, high in whole.raw:
        assert low is not None and high is not None  # part-days are always bounded
        found_hours, found_raw = by_hours(low, high)
        hour_spans.extend(found_hours)
        raw.extend(found_raw)
    return Split(months=whole.months, days=whole.days, hours=hour_spans, raw=raw)


def _split_days(start: datetime | None, end: datetime | None) -> Split:
    """Cover ``[start, end)`` with month counters, day counters and part-days (``raw``)."""
    if (start is not None and start >= END_OF_TIME) or (end is not None and end <= EARLIEST_MOMENT):
        return Split()
    start = None if start is not None and start <= EARLIEST_MOMENT else start
    end = None if end is not None and end >= END_OF_TIME else end
    if start is not None and end is not None and start >= end:
        return Split()
    low_day = _ceil_day(start) if start is not None else None
    high_day = day_start(end) if end is not None else None
    if low_day is not None and high_day is not None and low_day >= high_day:
        return Split(raw=[(start, end)])
    raw: list[Span] = []
    if start is not None and low_day is not None and start < low_day:
        raw.append((start, low_day))
    if end is not None and high_day is not None and high_day < end:
        raw.append((high_day, end))
    low_month = _ceil_month(low_day) if low_day is not None else None
    high_month = month_start(high_day) if high_day is not None else None
    if low_month is not None and high_month is not None and low_month >= high_month:
        return Split(days=[(low_day, high_day)], raw=raw)
    days: list[Span] = []
    if low_day is not None and low_month is not None and low_day < low_month:
        days.append((low_day, low_month))
    if high_day is not None and high_month is not None and high_month < high_day:
        days.append((high_month, high_day))
    return Split(months=(low_month, high_month), days=days, raw=raw)


# --- writing --------------------------------------------------------------------------------


def record_started(session: Session, conversation: Conversation) -> None:
    """Count a conversation that was just started (call inside its transaction)."""
    deltas: dict[CounterKey, dict[str, int]] = {}
    add_started(
        deltas,
        tenant=conversation.tenant,
        channel=conversation.channel,
        started_at=conversation.started_at,
        outcomes=conversation.outcome_mask,
    )
    apply(session, deltas)


def record_moved(session: Session, conversation: Conversation, old: int, new: int) -> None:
    """Move a conversation's count from outcome mask ``old`` to ``new`` (call inside the
    transaction that changed it, holding its row)."""
    if old == new:
        return
    deltas: dict[CounterKey, dict[str, int]] = {}
    add_moved(
        deltas,
        tenant=conversation.tenant,
        channel=conversation.channel,
        started_at=conversation.started_at,
        old=old,
        new=new,
    )
    apply(session, deltas)


#: A counter row's key: (grain, period start, tenant or ``NO_TENANT``, channel, outcome mask).
CounterKey = tuple[str, datetime, str, str, int]


def add_started(
    deltas: dict[CounterKey, dict[str, int]],
    *,
    tenant: str | None,
    channel: str,
    started_at: datetime,
    outcomes: int,
    sign: int = 1,
) -> None:
    """Count (``sign`` 1) or uncount (-1) one conversation in ``deltas``: its start in its hour,
    day and month under its outcome mask, and each conversion kind the mask has."""
    for grain, start in periods(started_at):
        row = deltas.setdefault((grain, start, tenant or NO_TENANT, channel, outcomes), {})
        row["conversations"] = row.get("conversations", 0) + sign
        for kind in outcome_bits.kinds_of(outcomes):
            column = KIND_COLUMNS[kind]
            row[column] = row.get(column, 0) + sign


def add_moved(
    deltas: dict[CounterKey, dict[str, int]],
    *,
    tenant: str | None,
    channel: str,
    started_at: datetime,
    old: int,
    new: int,
) -> None:
    """Move one stored conversation from outcome mask ``old`` to ``new`` in ``deltas``."""
    if old == new:
        return
    where = {"tenant": tenant, "channel": channel, "started_at": started_at}
    add_started(deltas, **where, outcomes=old, sign=-1)
    add_started(deltas, **where, outcomes=new)


def apply(session: Session, deltas: dict[CounterKey, dict[str, int]]) -> None:
    """Add many counts at once (every writer: recording, the importer, erasure), in the
    caller's transaction: one upsert per table, every row of it sent together; rows left
    counting no conversation are deleted, as a rebuild would not have them."""
    by_mask = {
        (grain, outcomes, start, tenant, channel): change
        for (grain, start, tenant, channel, outcomes), change in deltas.items()
        if grain in OUTCOME_GRAINS
    }
    summed: dict[tuple[Any, ...], dict[str, int]] = {}
    for (grain, start, tenant, channel, _), change in deltas.items():
        row = summed.setdefault((grain, start, tenant, channel), {})
        for column, value in change.items():
            row[column] = row.get(column, 0) + value
    _upsert(session, OutcomeCounter.__table__, _OUTCOME_KEY, by_mask)
    _upsert(session, ConversationCounter.__table__, _KEY, summed)


def _upsert(
    session: Session, table: Any, key: tuple[str, ...], deltas: dict[tuple[Any, ...], Any]
) -> None:
    deltas = {k: change for k, change in deltas.items() if any(change.values())}
    if not deltas:
        return
    # In key order: concurrent writers lock the rows they share in the same order, so two moves
    # in opposite directions never deadlock.
    rows = [
        {
            **dict(zip(key, row_key, strict=True)),
            **{column: change.get(column, 0) for column in _COUNTS},
        }
        for row_key, change in sorted(deltas.items())
    ]
    dialect = tables_connection(session).dialect.name
    if dialect in ("sqlite", "postgresql"):
        module: Any = sqlite if dialect == "sqlite" else postgresql
        stmt = module.insert(table)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(key),
            set_={column: table.c[column] + stmt.excluded[column] for column in _COUNTS},
        )
        session.execute(stmt, rows, bind_arguments=BIND_ARGUMENTS)
    else:
        for row in rows:
            where = and_(*(table.c[name] == row[name] for name in key))
            changed = (
                update(table)
                .where(where)
                .values({column: table.c[column] + row[column] for column in _COUNTS})
            )
            if session.execute(changed, bind_arguments=BIND_ARGUMENTS).rowcount:
                continue
            try:
                with session.begin_nested():
                    session.execute(insert(table).values(row), bind_arguments=BIND_ARGUMENTS)
            except IntegrityError:
                session.execute(changed, bind_arguments=BIND_ARGUMENTS)
    emptied = [k for k, change in deltas.items() if change.get("conversations", 0) < 0]
    if emptied:
        keys = tuple_(*(table.c[name] for name in key))
        session.execute(
            table.delete().where(table.c.conversations <= 0, keys.in_(emptied)),
            bind_arguments=BIND_ARGUMENTS,
        )


# --- reading --------------------------------------------------------------------------------


@cache
def having_kind(kind: str) -> Any:
    """SQL: how many of the grouped conversations have at least one conversion of ``kind``.

    Read from the kind's bit of ``outcome_mask`` (set exactly when its count is above zero)
    rather than the count column: the mask is in the list's indexes, so the conversations of
    a range's part-days are counted from the start-ordered index without reading their rows.
    Built once per kind: every figures statement uses the same expressions."""
    bit = Conversation.outcome_mask.op("&")(outcome_bits.KIND_BITS[kind])
    return func.coalesce(func.sum(case((bit != 0, 1), else_=0)), 0)


def _within(column: Any, span: Span) -> ColumnElement[bool]:
    low, high = span
    parts = []
    if low is not None:
        parts.append(column >= low)
    if high is not None:
        parts.append(column < high)
    return and_(*parts) if parts else true()


class ChannelTotal(NamedTuple):
    """One channel's figures over a range: conversations, how many have each kind, and when the
    earliest and latest of them started, to the start of their counter's period (UTC)."""

    channel: str
    conversations: int
    conversions: dict[str, int]
    first: datetime | None = None
    last: datetime | None = None


def channel_totals(
    session: Session,
    *,
    tenant: str | None,
    started_from: datetime | None,
    started_to: datetime | None,
    outcomes: tuple[str, ...] = (),
) -> list[ChannelTotal]:
    """Per channel: conversations that started in the range having every one of ``outcomes``
    and, per conversion kind, how many of them have one; for one tenant or (``None``) all.
    One statement."""
    kinds = values(ConversionKind)
    pieces = split(started_from, started_to, hours=has_hours(outcomes))
    counter = table_for(outcomes)
    parts = []
    periods_where = [
        and_(counter.grain == grain, _within(counter.period_start, span))
        for grain, spans in ((MONTH, [pieces.months] if pieces.months else []), (DAY, pieces.days))
        for span in spans
    ]
    if pieces.hours:
        dialect = tables_engine(session).dialect.name
        periods_where.extend(
            and_(counter.grain == grain, within)
            for grain, within in in_hour_rows(
                counter.period_start, hour_rows(pieces.hours), dialect
            )
        )
    if periods_where:
        stmt = select(
            counter.channel,
            func.sum(counter.conversations),
            *(func.sum(getattr(counter, KIND_COLUMNS[kind])) for kind in kinds),
            func.min(counter.period_start),
            func.max(counter.period_start),
        ).where(or_(*periods_where))
        if tenant is not None:
            stmt = stmt.where(counter.tenant == tenant)
        if outcomes:
            stmt = stmt.where(outcome_bits.condition(counter.outcomes, outcomes))
        parts.append(stmt.group_by(counter.channel))
    if pieces.raw:
        c = Conversation
        stmt = select(
            c.channel,
            func.count(),
            *(having_kind(kind) for kind in kinds),
            func.min(c.started_at),
            func.max(c.started_at),
        ).where(or_(*(_within(c.started_at, span) for span in pieces.raw)))
        if tenant is not None:
            stmt = stmt.where(NoIndex(c.tenant) == tenant)  # part-days: by start, as below
        if outcomes:
            stmt = stmt.where(outcome_bits.condition(c.outcome_mask, outcomes))
        # ``+channel``: the counts are in the start-ordered index, so without it SQLite would
        # scan the whole channel-ordered one (in group order, every conversation) instead.
        parts.append(stmt.group_by(NoIndex(c.channel)))
    if not parts:
        return []
    query = parts[0] if len(parts) == 1 else union_all(*parts)
    merged: dict[str, list[int]] = {}
    spans: dict[str, list[datetime]] = {}
    for row in session.execute(query, bind_arguments=BIND_ARGUMENTS):
        totals = merged.setdefault(row[0], [0] * (1 + len(kinds)))
        for index, value in enumerate(row[1 : 2 + len(kinds)]):
            totals[index] += int(value or 0)
        if row[-2] is not None:
            spans.setdefault(row[0], []).extend(row[-2:])
    return [
        ChannelTotal(
            channel,
            totals[0],
            dict(zip(kinds, totals[1:], strict=True)),
            min(spans[channel]) if spans.get(channel) else None,
            max(spans[channel]) if spans.get(channel) else None,
        )
        for channel, totals in merged.items()
        if totals[0]
    ]


def table_for(outcomes: tuple[str, ...]) -> Any:
    """The counters answering for these outcome filters: the per-mask counters with some, the
    smaller unsplit ones without."""
    return OutcomeCounter if outcomes else ConversationCounter


def has_hours(outcomes: tuple[str, ...]) -> bool:
    """Whether the counters ``table_for`` gives for these outcome filters have hour rows
    (``OUTCOME_GRAINS``: the per-mask ones have none)."""
    return HOUR in (OUTCOME_GRAINS if outcomes else GRAINS)


def usable_for(tenant: str | None) -> bool:
    """Whether the counters can answer for this tenant scope (a blank tenant never can)."""
    return tenant is None or tenant != NO_TENANT


# --- rebuilding -----------------------------------------------------------------------------


def truncated(dialect: str, grain: str) -> str | None:
    """SQL for the start of the UTC hour, day or month of ``started_at`` as the column stores
    it (``None``: a database without it, counted in Python)."""
    if dialect == "sqlite":
        # UTCDateTime stores naive UTC text, 'YYYY-MM-DD HH:MM:SS.ffffff'.
        return {
            HALF_HOUR: "substr(started_at, 1, 14) || CASE WHEN substr(started_at, 15, 2) < '30' "
            "THEN '00:00.000000' ELSE '30:00.000000' END",
            HOUR: "substr(started_at, 1, 13) || ':00:00.000000'",
            FOUR_HOURS: "substr(started_at, 1, 11) || "
            "printf('%02d', CAST(substr(started_at, 12, 2) AS INTEGER) / 4 * 4) || ':00:00.000000'",
            DAY: "substr(started_at, 1, 10) || ' 00:00:00.000000'",
            MONTH: "substr(started_at, 1, 7) || '-01 00:00:00.000000'",
        }[grain]
    if dialect == "postgresql":
        utc = "started_at AT TIME ZONE 'UTC'"
        if grain == HALF_HOUR:
            return (
                f"(date_trunc('hour', {utc}) + make_interval(mins => "
                f"CAST(extract(minute FROM {utc}) AS integer) / 30 * 30)) AT TIME ZONE 'UTC'"
            )
        if grain == FOUR_HOURS:
            return (
                f"(date_trunc('hour', {utc}) - make_interval(hours => "
                f"CAST(extract(hour FROM {utc}) AS integer) % 4)) AT TIME ZONE 'UTC'"
            )
        unit = {HOUR: "hour", DAY: "day", MONTH: "month"}[grain]
        return f"date_trunc('{unit}', {utc}) AT TIME ZONE 'UTC'"
    return None


def rebuild(connection: Connection) -> int:
    """Recompute every counter from the conversations (migrations, bulk loads, repairs); the
    conversations' ``outcome_mask`` must be current.

    Returns the number of counter rows written.
    """
    written = 0
    for table, split_by_mask in (
        (ConversationCounter.__table__, False),
        (OutcomeCounter.__table__, True),
    ):
        connection.execute(table.delete())
        written += _rebuild_table(connection, table, split_by_mask)
    return written


def _rebuild_table(connection: Connection, table: Any, split_by_mask: bool) -> int:
    kinds = values(ConversionKind)
    columns = ["conversations", *(KIND_COLUMNS[kind] for kind in kinds)]
    flags = ", ".join(
        f"SUM(CASE WHEN {count_column(kind)} > 0 THEN 1 ELSE 0 END)" for kind in kinds
    )
    mask = ", outcome_mask" if split_by_mask else ""
    written = 0
    for grain in OUTCOME_GRAINS if split_by_mask else GRAINS:
        period = truncated(connection.dialect.name, grain)
        if period is None:
            written += _rebuild_in_python(connection, table, grain, columns, split_by_mask)
            continue
        # In time order, as the recording API adds them: on PostgreSQL the rows of a range's
        # edges then sit in a few heap pages.
        result = connection.execute(
            text(
                f"INSERT INTO {table.name} (grain, period_start, tenant, channel"
                f"{mask.replace('outcome_mask', 'outcomes')}, {', '.join(columns)}) "
                f"SELECT :grain, {period}, COALESCE(tenant, :none), channel{mask}, "
                f"COUNT(*), {flags} "
                f"FROM {Conversation.__tablename__} "
                f"GROUP BY {period}, COALESCE(tenant, :none), channel{mask} "
                f"ORDER BY {period}"
            ),
            {"grain": grain, "none": NO_TENANT},
        )
        written += max(result.rowcount or 0, 0)
    return written


def _rebuild_in_python(
    connection: Connection, table: Any, grain: str, columns: Sequence[str], split_by_mask: bool
) -> int:
    kinds = values(ConversionKind)
    c: Any = Conversation.__table__.c
    totals: dict[tuple[Any, ...], list[int]] = {}
    query = select(
        c.started_at,
        c.tenant,
        c.channel,
        c.outcome_mask,
        *(c[count_column(kind)] for kind in kinds),
    )
    names = (*_KEY, "outcomes") if split_by_mask else _KEY
    for row in connection.execute(query.execution_options(yield_per=10_000)):
        start = period_start(grain, row[0])
        key = (grain, start, row[1] or NO_TENANT, row[2], *((row[3],) if split_by_mask else ()))
        counts = totals.setdefault(key, [0] * len(columns))
        counts[0] += 1
        for index, value in enumerate(row[4:], start=1):
            counts[index] += 1 if value else 0
    batch = [
        dict(zip((*names, *columns), (*key, *counts), strict=True))
        for key, counts in totals.items()
    ]
    if batch:
        connection.execute(insert(table), batch)
    return len(batch)
