"""Trends: the list's figures for the period before its range, and its activity chart.

**Previous period** (``previous_days``): with a range bounded at both ends, the same figures for
the period just before it, in ``AICONVOS_TIMEZONE``: This month → the whole of last month; Last
month → the whole month before it; Today, Last 7 days and a custom range → as many days, ending
the day before the range starts. Every other filter (tab, search, tenant scope) is kept.

**Activity chart** (``chart_buckets``): the conversations that started per local day (ranges of
at most ``MAX_DAY_BUCKETS`` days, bounded at both ends) or per local month (longer ranges; All
time and open-ended ranges run from the month of the view's first conversation to now), and how
many of them have each conversion kind (the metrics' cohort rule: a conversion recorded later
still counts in the bucket its conversation started in).

**One statement** (``trends``; on PostgreSQL two where the edges' remainders are counted from
the conversations) answers the previous period and every bucket, whatever the length
of the range. Each bucket and the previous period is a span of UTC instants between two local
midnights (computed by ``zoneinfo``, so exact in any zone, DST changes included). Each span's
edges are moved to the nearest UTC midnight and ``counters.split`` covers the moved span with
whole UTC months and days of the write-time counters; the counter rows are grouped by their own
period (in key order, no sort) and placed in their span by bisection. What moving an edge added
or left out, at most half a day, is read from the counters shorter than a day (four hours, an
hour, half an hour) and subtracted or added, so in any zone whose midnights are whole UTC
half-hours every figure is a counter row (America/New_York's month edge is a four-hour row and
at most one hour row per channel, Asia/Kolkata's adds a half-hour row); only a zone whose offset
is not a whole number of half-hours (Asia/Kathmandu, Pacific/Chatham) reads what is left at
each edge from the conversations (through the ``started_at`` index, each grouped by
its piece: ``_raw_pieces``). The list's channel is a condition.

With a search (or a blank tenant, which the counters cannot tell apart) every figure is counted
from the matching conversations, and reading them is most of the page's cost, so
``overview_and_trends`` reads them once for the metrics, tabs and comparison as well: one
statement groups them by channel and by the pieces of time between every edge of the range, the
previous period and the buckets.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from . import counters, outcomes, queries, search_index
from .i18n import format_number, gettext, ngettext
from .json_sql import timestamp_array
from .list_request import ListFilters, local_midnight
from .models import BIND_ARGUMENTS, Conversation, UTCDateTime, sqlite_text, tables_engine
from .no_index import NoIndex
from .vocab import EARLIEST_YEAR, LATEST_YEAR, METRIC_KEYS, ConversionKind, values

#: The longest range (in days) the chart shows day by day; longer ones are shown by month.
MAX_DAY_BUCKETS = 62
#: The most months one chart shows (the latest ones, when a range or the data spans more).
MAX_MONTH_BUCKETS = 600
DAY, MONTH = "day", "month"
FIRST_MONTH = date(EARLIEST_YEAR - 1, 12, 1)
LAST_MONTH = date(LATEST_YEAR + 1, 1, 1)
#: The label of the previous period among the statement's spans.
PREVIOUS = "previous"


@dataclass(frozen=True)
class Figures:
    """Conversations, and how many of them have each conversion kind."""

    conversations: int = 0
    conversions: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        return self.conversions.get(kind, 0)

    def metric_count(self, key: str) -> int:
        """The figure of a metric (``total``, ``bookings``, …)."""
        if key == "total":
            return self.conversations
        return self.count(next(kind for kind, name in METRIC_KEYS.items() if name == key))

    def metric_percent(self, key: str) -> float | None:
        if key == "total":
            return None
        return queries.percent(self.metric_count(key), self.conversations)

    def as_metrics(self) -> dict[str, int]:
        """``{"count": n, "tours": …, "bookings": …, …}`` (the chart table's and JSON's keys)."""
        return {"count": self.conversations} | {
            METRIC_KEYS[kind]: self.count(kind) for kind in CHART_KINDS
        }


#: The conversion kinds of the chart, in the order of its table's columns.
CHART_KINDS: tuple[str, ...] = (
    ConversionKind.TOUR,
    ConversionKind.BOOKING,
    ConversionKind.CUSTOMER,
    ConversionKind.CONTRACT,
    ConversionKind.DAY_PASS,
)


@dataclass(frozen=True)
class Bucket:
    """One bar of the chart: a local day (``YYYY-MM-DD``) or month (``YYYY-MM``)."""

    label: str
    first_day: date
    last_day: date
    figures: Figures


@dataclass(frozen=True)
class Period:
    """The period before the list's range (local days, inclusive) and its figures."""

    date_from: date
    date_to: date
    description: str
    figures: Figures


@dataclass(frozen=True)
class Change:
    """How one metric compares with the previous period."""

    key: str
    previous_count: int
    previous_percent: float | None
    #: This period's count minus the previous one's.
    difference: int
    #: This period's percentage minus the previous one's, in points (rates only).
    points: float | None

    @property
    def direction(self) -> str:
        return "up" if self.difference > 0 else "down" if self.difference < 0 else "same"


#: The chart's drawing box (its ``viewBox``; the SVG scales to the page's width).
CHART_WIDTH, CHART_HEIGHT = 600, 120


@dataclass(frozen=True)
class ChartMarks:
    """What the activity chart draws: each bar's ``x``, ``y``, ``width`` and ``height``, and
    each kind's polyline ``points``, in a ``width`` × ``height`` box."""

    width: int
    height: int
    bars: list[tuple[str, str, str, str]]
    lines: dict[str, str]


#: Each figure's ``data-*`` attribute on a row of the chart's table (``Figures.as_metrics``).
CHART_ATTRIBUTES: dict[str, str] = {
    key: "data-" + key.replace("_", "-")
    for key in ("count", *(METRIC_KEYS[kind] for kind in CHART_KINDS))
}


@dataclass(frozen=True)
class ChartRow:
    """A row of the chart's table: the bucket's label, its figures as ``(attribute, value)``
    pairs, and its cells as the locale writes them (conversations, then each kind's)."""

    label: str
    attributes: list[tuple[str, int]]
    cells: list[str]


@dataclass(frozen=True)
class Trends:
    grain: str | None
    series: list[Bucket]
    previous: Period | None

    @property
    def total(self) -> Figures:
        """Every bucket's figures together (what the chart's title sums up)."""
        conversions: dict[str, int] = {}
        for bucket in self.series:
            for kind, count in bucket.figures.conversions.items():
                conversions[kind] = conversions.get(kind, 0) + count
        return Figures(sum(b.figures.conversations for b in self.series), conversions)

    def chart_table(self, kinds: Sequence[str]) -> list[ChartRow]:
        """The chart's table, spelled here once: a page shows a hundred or more of its figures,
        and formatting each through the template took a tenth of the page."""
        return [
            ChartRow(
                bucket.label,
                [
                    (CHART_ATTRIBUTES[key], value)
                    for key, value in bucket.figures.as_metrics().items()
                ],
                [
                    format_number(bucket.figures.conversations),
                    *(format_number(bucket.figures.count(kind)) for kind in kinds),
                ],
            )
            for bucket in self.series
        ]

    @property
    def highest(self) -> int:
        """The largest count of any bucket (the chart's scale), at least 1."""
        return max((bucket.figures.conversations for bucket in self.series), default=0) or 1

    def chart_marks(self, kinds: Sequence[str]) -> ChartMarks:
        """The chart's bars and lines as SVG attribute values, worked out here once: spelling
        each coordinate through the template's filters cost as much as the rest of the chart.
        """
        series, width, height = self.series, CHART_WIDTH, CHART_HEIGHT
        slot = width / len(series) if series else width
        scale = (height - 6) / self.highest

        def bar(index: int, bucket: Bucket) -> tuple[str, str, str, str]:
            tall = bucket.figures.conversations * scale
            x = index * slot + slot * 0.1
            return f"{x:.2f}", f"{height - tall:.2f}", f"{slot * 0.8:.2f}", f"{tall:.2f}"

        def line(kind: str) -> str:
            heights = [height - bucket.figures.count(kind) * scale for bucket in series]
            if len(heights) == 1:
                return f"{slot * 0.1:.2f},{heights[0]:.2f} {slot * 0.9:.2f},{heights[0]:.2f}"
            return " ".join(
                f"{index * slot + slot / 2:.2f},{y:.2f}" for index, y in enumerate(heights)
            )

        return ChartMarks(
            width,
            height,
            [bar(index, bucket) for index, bucket in enumerate(series)],
            {kind: line(kind) for kind in kinds},
        )

    def change(self, metric: queries.Metric) -> Change | None:
        """How ``metric`` compares with the previous period (``None``: no previous period)."""
        if self.previous is None:
            return None
        before = self.previous.figures
        previous_percent = before.metric_percent(metric.key)
        points = None
        if metric.percent is not None and previous_percent is not None:
            points = round(metric.percent - previous_percent, 1)
        previous_count = before.metric_count(metric.key)
        return Change(
            metric.key, previous_count, previous_percent, metric.count - previous_count, points
        )


# --- periods --------------------------------------------------------------------------------


def previous_days(filters: ListFilters) -> tuple[date, date, str] | None:
    """The local days of the period before a bounded range, and how the page names it."""
    if filters.date_from is None or filters.date_to is None:
        return None
    try:
        if filters.range in ("this_month", "last_month"):
            end = filters.date_from - timedelta(days=1)
            name = (
                gettext("last month")
                if filters.range == "this_month"
                else gettext("the month before")
            )
            return end.replace(day=1), end, name
        days = (filters.date_to - filters.date_from).days + 1
        end = filters.date_from - timedelta(days=1)
        if filters.range == "today":
            name = gettext("yesterday")
        else:
            name = ngettext("the day before", "the %(num)s days before", days)
        return filters.date_from - timedelta(days=days), end, name
    except OverflowError:
        return None


def _month(day: date) -> date:
    return day.replace(day=1)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def chart_buckets(
    filters: ListFilters,
    zone: ZoneInfo,
    *,
    today: date,
    first: datetime | None,
    last: datetime | None,
) -> tuple[str | None, list[tuple[str, date, date]], bool, bool]:
    """The chart's buckets as ``(label, first day, last day)``, with the grain, and whether
    empty buckets at the start (an open start) and after ``today`` (an open end) are dropped.

    ``first``/``last`` bound when the view's conversations started (UTC, possibly early).
    """
    low, high = filters.date_from, filters.date_to
    if low is not None and high is not None and (high - low).days < MAX_DAY_BUCKETS:
        days = [low + timedelta(days=n) for n in range((high - low).days + 1)]
        return DAY, [(day.isoformat(), day, day) for day in days], False, False
    data_low = _month(first.astimezone(zone).date()) if first is not None else None
    data_high = None
    if last is not None:
        upper = counters.next_month(counters.month_start(last))
        data_high = _month(upper.astimezone(zone).date())
    start = _month(low) if low is not None else data_low
    if high is not None:
        end: date | None = _month(high)
    elif data_high is not None:
        end = max(data_high, _month(today))
    else:
        end = None
    if start is None or end is None:
        return MONTH, [], low is None, high is None
    # Local months conversations can start in (the stored span, a day either side for zones).
    start, end = max(start, FIRST_MONTH), min(end, LAST_MONTH)
    if _months_between(start, end) > MAX_MONTH_BUCKETS and data_low is not None:
        start = max(start, data_low)
        if data_high is not None:
            end = min(end, max(data_high, _month(today)))
    if start > end:
        return MONTH, [], low is None, high is None
    if _months_between(start, end) > MAX_MONTH_BUCKETS:
        start = _add_months(end, 1 - MAX_MONTH_BUCKETS)
    buckets = []
    month = start
    while month <= end:
        first_day = max(month, low) if low is not None else month
        last_day = counters.next_month(month) - timedelta(days=1)
        if high is not None:
            last_day = min(last_day, high)
        buckets.append((month.strftime("%Y-%m"), first_day, last_day))
        month = counters.next_month(month)
    return MONTH, buckets, low is None, high is None


# --- the one statement ----------------------------------------------------------------------


def _position_of(column: Any, edges: Sequence[datetime]) -> ColumnElement[int]:
    """SQL: how many of ``edges`` (in order) are at or before ``column``, as a balanced
    ``CASE``: position ``p`` is the piece of time ``[edges[p - 1], edges[p])``, open at the
    ends."""

    def between(low: int, high: int) -> Any:
        if low == high:
            return literal_column(str(low), Integer)
        middle = (low + high + 1) // 2
        return case(
            (column < edges[middle - 1], between(low, middle - 1)), else_=between(middle, high)
        )

    return between(0, len(edges))


def _merged(spans: list[counters.Span]) -> list[counters.Span]:
    """Adjacent spans joined (fewer conditions for the same rows)."""
    joined: list[counters.Span] = []
    for span in sorted(spans, key=lambda s: (s[0] is not None, s[0])):
        if joined and joined[-1][1] is not None and joined[-1][1] == span[0]:
            joined[-1] = (joined[-1][0], span[1])
        else:
            joined.append(span)
    return joined


def _within(column: Any, span: counters.Span) -> ColumnElement[bool]:
    low, high = span
    parts = []
    if low is not None:
        parts.append(column >= low)
    if high is not None:
        parts.append(column < high)
    return and_(*parts)


def _bounds(spans: list[tuple[datetime, datetime]]) -> list[datetime]:
    """The spans' edges in order: span ``i`` is ``[bounds[i], bounds[i + 1])``."""
    return [spans[0][0], *(high for _, high in spans)]


@dataclass
class _Plan:
    """How the counted spans are read: from the counters, plus signed corrections read from
    the conversations themselves.

    Each span's edges are moved to the nearest UTC midnight, so the counters (whole months and
    days) cover it; what the move added or left out, at most half a day at each edge, is read
    from the hour counters (and the conversations of part-hours, in zones with them) and
    subtracted or added. A month's own counter still serves in any zone.
    """

    months: list[counters.Span] = field(default_factory=list)
    days: list[counters.Span] = field(default_factory=list)
    #: The spans' edges as moved: a counter row belongs to the span whose moved edges hold it.
    moved: list[datetime] = field(default_factory=list)
    #: Corrections: (piece, span index, sign) as planned, then cut at every piece's edges
    #: (``edges``) into disjoint atoms, each with its (span, sign) uses.
    planned: list[tuple[tuple[datetime, datetime], int, int]] = field(default_factory=list)
    edges: list[datetime] = field(default_factory=list)
    atoms: dict[datetime, list[tuple[int, int]]] = field(default_factory=dict)
    #: The atoms as whole UTC half-hours (read from the counters shorter than a day, each
    #: atom's on its own) and what is left (read from the conversations, in order, each with
    #: the start of its atom).
    hours: counters.HourRows = field(default_factory=counters.HourRows)
    raw: list[counters.Span] = field(default_factory=list)
    raw_atoms: list[datetime] = field(default_factory=list)

    def use(self, low: datetime, high: datetime, span: int, sign: int) -> None:
        """Count ``[low, high)`` (or ``[high, low)`` with the other sign) for ``span``."""
        if low > high:
            low, high, sign = high, low, -sign
        if low < high:
            self.planned.append(((low, high), span, sign))

    def cut(self, *, hours: bool) -> None:
        self.edges = sorted({edge for piece, _, _ in self.planned for edge in piece})
        position = {edge: k for k, edge in enumerate(self.edges)}
        for (low, high), span, sign in self.planned:
            for k in range(position[low], position[high]):
                self.atoms.setdefault(self.edges[k], []).append((span, sign))
        whole: list[counters.Span] = []
        for start in self.atoms:  # each atom on its own: a counter row never spans two
            end = self.edges[position[start] + 1]
            found_hours, found_raw = (
                counters.by_hours(start, end) if hours else ([], [(start, end)])
            )
            whole.extend(found_hours)
            self.raw.extend(found_raw)
            self.raw_atoms.extend(start for _ in found_raw)
        self.hours = counters.hour_rows(whole)
        ordered = sorted(zip(self.raw, self.raw_atoms, strict=True), key=lambda pair: pair[0])
        self.raw, self.raw_atoms = [span for span, _ in ordered], [atom for _, atom in ordered]


def _nearest_midnight(moment: datetime) -> datetime:
    start = counters.day_start(moment)
    return start if moment - start <= timedelta(hours=12) else start + timedelta(days=1)


def _plan(spans: list[tuple[datetime, datetime]], counted: list[bool], *, hours: bool) -> _Plan:
    """``hours``: whether the counters read have hour rows (the outcome counters do not)."""
    plan = _Plan(moved=[_nearest_midnight(edge) for edge in _bounds(spans)])
    for index, (low, high) in enumerate(spans):
        if not counted[index]:
            continue
        moved_low, moved_high = plan.moved[index], plan.moved[index + 1]
        if moved_low >= moved_high:  # shorter than the move: read it all
            plan.use(low, high, index, 1)
            continue
        split = counters.split(moved_low, moved_high, hours=hours)
        if split.months is not None:
            plan.months.append(split.months)
        plan.days.extend(split.days)
        for start, end in split.hours + split.raw:  # only where a bound was clamped
            assert start is not None and end is not None
            plan.use(start, end, index, 1)
        plan.use(low, moved_low, index, 1)
        plan.use(moved_high, high, index, 1)
    plan.cut(hours=hours)
    return plan


def _unranged_conditions(session: Session, filters: ListFilters) -> list[ColumnElement[bool]]:
    """The view's conditions on its conversations but its channel and its range."""
    unranged = replace(filters, started_from=None, started_to=None)
    return queries.conditions(
        unranged,
        with_channel=False,
        indexed=bool(filters.search_words) and search_index.enabled(session),
        matches=queries.search_matches(session, filters),
    )


def _raw_pieces(pieces: list[counters.Span], dialect: str) -> tuple[Any, Any]:
    """The conversations started in ``pieces`` (bounded spans): the SQL of each one's piece
    index, and what puts them in a statement.

    The pieces are in order and disjoint. SQLite joins the conversations to them, sent as one
    JSON array read by ``json_each``, each piece a range of the ``started_at`` index: one
    statement of the same text however many edges a chart has, where a condition and a
    ``CASE`` branch per piece took longer to build than to run (Asia/Kolkata, All time: 26
    pieces, 2 ms of a 17 ms page)."""
    c = Conversation
    if dialect == "sqlite":
        spelled = json.dumps(
            [[sqlite_text(low), sqlite_text(high)] for low, high in _utc_bounds(pieces)]
        )
        table = func.json_each(bindparam("pieces", spelled, unique=True)).table_valued(
            "key", "value"
        )
        low_ = func.json_extract(table.c.value, "$[0]")
        high_ = func.json_extract(table.c.value, "$[1]")
        index: Any = table.c.key
    else:
        # Elsewhere each piece is a condition on ``started_at`` (PostgreSQL plans them as one
        # bitmap of index ranges; joined to an array it misjudged the rows a thousandfold and
        # compiled the statement with JIT, 5 ms), and the piece holding a row is where its
        # start falls among the pieces' starts (``width_bucket`` over one array parameter).
        where = or_(*(_within(c.started_at, piece) for piece in pieces))
        if dialect == "postgresql":
            lows = [low for low, _high in _utc_bounds(pieces)]
            index = func.width_bucket(c.started_at, timestamp_array("lows", lows)) - 1
        else:
            index = case(
                *((_within(c.started_at, piece), k) for k, piece in enumerate(pieces)), else_=-1
            )
        return index, lambda stmt: stmt.where(where)
    joined = table.join(c, and_(c.started_at >= low_, c.started_at < high_))
    return index, lambda stmt: stmt.select_from(joined)


def _utc_bounds(pieces: list[counters.Span]) -> list[tuple[datetime, datetime]]:
    bounds = []
    for low, high in pieces:
        assert low is not None and high is not None  # part-hours are always bounded
        bounds.append((low.astimezone(UTC), high.astimezone(UTC)))
    return bounds


def _counters_statements(filters: ListFilters, plan: _Plan, *, dialect: str) -> list[Any]:
    """The statements to run, each giving (grain, period start, piece index, counts): counter
    rows grouped by their own period (in key order, so without sorting), part-hours by their
    piece.

    SQLite: one statement, a ``UNION ALL`` of one part per grain (each reads its rows in key
    order and groups them without sorting, where one ``OR`` over the grains made it gather and
    sort them: 2.5× the time for a New York chart's hour rows) and the part-hours.
    PostgreSQL: the counters as one ``OR`` (a bitmap of index scans) and the part-hours, where
    a zone has them, as a second statement. Put together, its planner ran them in parallel
    workers whose start took four times the reads on a two-core machine (Asia/Kolkata, All
    time)."""
    sqlite = dialect == "sqlite"
    kinds = values(ConversionKind)
    c = Conversation
    parts = []
    counter: Any = counters.table_for(filters.outcomes)
    by_grain = [
        (grain, or_(*(_within(counter.period_start, span) for span in _merged(group))))
        for grain, group in ((counters.MONTH, plan.months), (counters.DAY, plan.days))
        if group
    ]
    by_grain.extend(counters.in_hour_rows(counter.period_start, plan.hours, dialect))
    conditions = [and_(counter.grain == grain, within) for grain, within in by_grain]
    if not sqlite and conditions:
        conditions = [or_(*conditions)]
    for condition in conditions:
        stmt = select(
            counter.grain.label("grain"),
            counter.period_start.label("bucket_start"),
            type_coerce(null(), Integer).label("piece"),
            func.sum(counter.conversations),
            *(func.sum(getattr(counter, counters.KIND_COLUMNS[k])) for k in kinds),
        ).where(condition)
        if filters.tenant is not None:
            stmt = stmt.where(counter.tenant == filters.tenant)
        if filters.channel is not None:
            stmt = stmt.where(counter.channel == filters.channel)
        if filters.outcomes:
            stmt = stmt.where(outcomes.condition(counter.outcomes, filters.outcomes))
        parts.append(stmt.group_by(counter.grain, counter.period_start))
    if plan.raw:
        piece, within = _raw_pieces(plan.raw, dialect)
        stmt = select(
            type_coerce(null(), String).label("grain"),
            type_coerce(null(), UTCDateTime()).label("bucket_start"),
            piece.label("piece"),
            func.count(),
            *(counters.having_kind(k) for k in kinds),
        )
        stmt = within(stmt)
        # ``+tenant``, ``+channel``: the pieces are minutes or hours, read through the
        # start-ordered index; SQLite would otherwise scan every conversation of the tenant or
        # channel in its activity-ordered index.
        if filters.tenant is not None:
            stmt = stmt.where(NoIndex(c.tenant) == filters.tenant)
        if filters.channel is not None:
            stmt = stmt.where(NoIndex(c.channel) == filters.channel)
        if filters.outcomes:
            stmt = stmt.where(outcomes.condition(c.outcome_mask, filters.outcomes))
        parts.append(stmt.group_by(literal_column("piece")))
    if sqlite and len(parts) > 1:
        return [union_all(*parts)]
    return parts


def _counted_rows(
    session: Session,
    filters: ListFilters,
    spans: list[tuple[datetime, datetime]],
    counted: list[bool],
) -> Iterator[tuple[int, int, Sequence[Any]]]:
    """(span index, sign, counts) for every row the counters statement gives."""
    plan = _plan(spans, counted, hours=counters.has_hours(filters.outcomes))
    dialect = tables_engine(session).dialect.name
    statements = _counters_statements(filters, plan, dialect=dialect)
    rows = (
        row for stmt in statements for row in session.execute(stmt, bind_arguments=BIND_ARGUMENTS)
    )
    for row in rows:
        grain, start, piece = row[0], row[1], row[2]
        if grain in counters.HOUR_GRAINS:  # a correction: the atom holding the row
            for span, sign in plan.atoms[plan.edges[bisect_right(plan.edges, start) - 1]]:
                yield span, sign, row[3:]
        elif grain is not None:
            yield bisect_right(plan.moved, start) - 1, 1, row[3:]
        elif int(row[3] or 0):
            for span, sign in plan.atoms[plan.raw_atoms[int(piece)]]:
                yield span, sign, row[3:]


@dataclass
class _Layout:
    """The chart's buckets and the previous period as spans of UTC instants, in order, each
    with what it counts: a bucket's index, ``PREVIOUS``, or ``None`` (a gap between them)."""

    grain: str | None
    wanted: list[tuple[str, date, date]]
    open_start: bool
    open_end: bool
    before: tuple[date, date, str] | None
    spans: list[tuple[datetime, datetime]]
    keys: list[Any]


def _layout(
    filters: ListFilters,
    zone: ZoneInfo,
    *,
    today: date,
    first: datetime | None,
    last: datetime | None,
) -> _Layout:
    grain, wanted, open_start, open_end = chart_buckets(
        filters, zone, today=today, first=first, last=last
    )
    keyed: list[tuple[Any, datetime, datetime]] = []
    before = previous_days(filters)
    if before is not None:
        low = local_midnight(before[0], zone)
        high = local_midnight(before[1] + timedelta(days=1), zone)
        if low is not None and high is not None and low < high:
            keyed.append((PREVIOUS, low, high))
    for index, (_, first_day, last_day) in enumerate(wanted):
        low = local_midnight(first_day, zone)
        high = local_midnight(last_day + timedelta(days=1), zone) if last_day < date.max else None
        if low is not None and high is not None and low < high:
            keyed.append((index, low, high))
    spans: list[tuple[datetime, datetime]] = []
    keys: list[Any] = []
    for key, low, high in keyed:
        if spans and spans[-1][1] < low:
            spans.append((spans[-1][1], low))
            keys.append(None)
        if spans and spans[-1][1] > low:  # a clamped bound: never counted twice
            low = spans[-1][1]
            if low >= high:
                continue
        spans.append((low, high))
        keys.append(key)
    return _Layout(grain, wanted, open_start, open_end, before, spans, keys)


def _add_counts(
    totals_by_key: dict[Any, list[int]], key: Any, counts: Sequence[Any], sign: int = 1
) -> None:
    totals = totals_by_key.setdefault(key, [0] * (1 + len(values(ConversionKind))))
    for position, value in enumerate(counts):
        totals[position] += sign * int(value or 0)


def _assembled(layout: _Layout, found: dict[Any, list[int]], *, today: date) -> Trends:
    """The chart and previous period from the totals counted per key."""
    width = 1 + len(values(ConversionKind))

    def figures(key: Any) -> Figures:
        totals = found.get(key, [0] * width)
        return Figures(totals[0], dict(zip(values(ConversionKind), totals[1:], strict=True)))

    series = [
        Bucket(label, first_day, last_day, figures(index))
        for index, (label, first_day, last_day) in enumerate(layout.wanted)
    ]
    today_month = today.replace(day=1)
    if layout.open_start:
        while series and not series[0].figures.conversations:
            series.pop(0)
    if layout.open_end:
        while (
            series and not series[-1].figures.conversations and series[-1].first_day > today_month
        ):
            series.pop()
    previous = None
    if layout.before is not None:
        before = layout.before
        previous = Period(before[0], before[1], before[2], figures(PREVIOUS))
    return Trends(grain=layout.grain, series=series, previous=previous)


def trends(
    session: Session,
    filters: ListFilters,
    overview: queries.Overview,
    *,
    timezone: str,
    now: datetime,
) -> Trends:
    """The previous period's figures and the chart's buckets for the list's view, its chart
    laid out between ``overview``'s first and last starts: one statement (none when there is
    nothing to count; on PostgreSQL a second for a zone's part-hours, see
    ``_counters_statements``). The list's page asks ``overview_and_trends``, which counts a search's
    overview in the same statement."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    layout = _layout(
        filters, zone, today=today, first=overview.first_start, last=overview.last_start
    )
    if _counted_by_hand(filters):
        return _assembled(layout, _counted_together(session, filters, layout)[1], today=today)
    found: dict[Any, list[int]] = {}
    counted = [key is not None for key in layout.keys]
    rows = _counted_rows(session, filters, layout.spans, counted) if any(counted) else iter(())
    for index, sign, counts in rows:
        if layout.keys[index] is not None:
            _add_counts(found, layout.keys[index], counts, sign)
    return _assembled(layout, found, today=today)


def _counted_by_hand(filters: ListFilters) -> bool:
    """Whether the view is counted from its conversations: the counters cannot answer a
    search, nor a blank tenant (which they cannot tell apart from none)."""
    return bool(filters.search_words) or not counters.usable_for(filters.tenant)


def _together_statement(
    session: Session, filters: ListFilters, layout: _Layout, edges: list[datetime]
) -> Any:
    """(channel, piece, counts, first and last start): the view's conversations in its range
    or its previous period, grouped by channel and by the piece of time between two edges."""
    c = Conversation
    where = _unranged_conditions(session, filters)
    counted: list[counters.Span] = [(filters.started_from, filters.started_to)]
    if layout.before is not None:
        pairs = zip(layout.spans, layout.keys, strict=True)
        counted += [span for span, key in pairs if key == PREVIOUS]
    if counted[0] != (None, None):
        where.append(or_(*(_within(c.started_at, span) for span in _merged(counted))))
    piece = _position_of(c.started_at, edges)
    stmt = select(
        c.channel,
        piece.label("piece"),
        func.count(),
        *(counters.having_kind(k) for k in values(ConversionKind)),
        func.min(c.started_at),
        func.max(c.started_at),
    ).where(*where)
    grouping = [NoIndex(c.channel)] + ([piece] if edges else [])
    return stmt.group_by(*grouping)


def _counted_together(
    session: Session, filters: ListFilters, layout: _Layout
) -> tuple[list[counters.ChannelTotal], dict[Any, list[int]]]:
    """The view's totals per channel in its range (the tab aside), and its totals per key of
    ``layout`` (the tab applied), from one reading of its conversations."""
    low, high = filters.started_from, filters.started_to
    edges = sorted(
        {edge for span in layout.spans for edge in span}
        | {edge for edge in (low, high) if edge is not None}
    )
    lows = [span[0] for span in layout.spans]
    per_channel: dict[str, list[int]] = {}
    starts: dict[str, list[datetime]] = {}
    found: dict[Any, list[int]] = {}
    for row in session.execute(
        _together_statement(session, filters, layout, edges), bind_arguments=BIND_ARGUMENTS
    ):
        channel, position, counts = row[0], int(row[1]), row[2:-2]
        start = edges[position - 1] if position > 0 else None
        end = edges[position] if position < len(edges) else None
        if (low is None or (start is not None and start >= low)) and (
            high is None or (end is not None and end <= high)
        ):
            _add_counts(per_channel, channel, counts)
            starts.setdefault(channel, []).extend((row[-2], row[-1]))
        if filters.channel is not None and channel != filters.channel:
            continue
        if start is None or end is None:
            continue
        span = bisect_right(lows, start) - 1
        if span >= 0 and end <= layout.spans[span][1] and layout.keys[span] is not None:
            _add_counts(found, layout.keys[span], counts)
    kinds = values(ConversionKind)
    totals = [
        counters.ChannelTotal(
            channel,
            counts[0],
            dict(zip(kinds, counts[1:], strict=True)),
            min(starts[channel]),
            max(starts[channel]),
        )
        for channel, counts in per_channel.items()
        if counts[0]
    ]
    return totals, found


def overview_and_trends(
    session: Session, filters: ListFilters, *, timezone: str, now: datetime
) -> tuple[queries.Overview, Trends]:
    """Everything above the list's rows: its metrics, tabs and comparison, the previous
    period and the chart.

    The counters answer when they can (``queries.overview``, then ``trends``). A search, or a
    blank tenant, is counted from its conversations, and reading them is most of its cost, so
    they are read once: one statement groups them by channel and by the pieces of time between
    the range's, the previous period's and the buckets' edges, and each piece is then added to
    the metrics (inside the range) and to its bucket or the previous period. The chart of an
    open range runs between the first and last stored conversations (its empty months at the
    ends are dropped as they would be), read beforehand from the ``started_at`` index.
    """
    if not _counted_by_hand(filters):
        overview = queries.overview(session, filters)
        return overview, trends(session, filters, overview, timezone=timezone, now=now)
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    first = last = None
    if filters.date_from is None or filters.date_to is None:
        first, last = queries.stored_start_bounds(session)
    layout = _layout(filters, zone, today=today, first=first, last=last)
    totals, found = _counted_together(session, filters, layout)
    return queries.overview_of(filters, totals), _assembled(layout, found, today=today)


# --- the JSON for dashboards ----------------------------------------------------------------


def as_json(
    filters: ListFilters, overview: queries.Overview, found: Trends, *, timezone: str
) -> dict[str, Any]:
    """``metrics.json``: the tiles, the previous period, the channel comparison and the chart
    series, with the metric keys of the page's hooks (``bookings``, ``day_passes``, …)."""
    metrics: dict[str, dict[str, Any]] = {}
    total_change = None
    for metric in overview.metrics:
        change = found.change(metric)
        if metric.key == "total":
            total_change = change
            continue
        entry: dict[str, Any] = {"label": str(metric.label), "count": metric.count}
        entry["percent"] = metric.percent
        if change is not None:
            entry["previous_count"] = change.previous_count
            entry["previous_percent"] = change.previous_percent
            entry["change"] = change.difference
            entry["change_points"] = change.points
        metrics[metric.key] = entry
    answer: dict[str, Any] = {
        "range": {
            "range": filters.range,
            "from": filters.date_from.isoformat() if filters.date_from else None,
            "to": filters.date_to.isoformat() if filters.date_to else None,
            "timezone": timezone,
        },
        "channel": filters.channel or "all",
        "search": filters.search,
        "outcome": list(filters.outcomes),
        "total": overview.total,
    }
    if total_change is not None and found.previous is not None:
        answer["previous_total"] = total_change.previous_count
        answer["previous"] = {
            "from": found.previous.date_from.isoformat(),
            "to": found.previous.date_to.isoformat(),
            "total": total_change.previous_count,
        }
    else:
        answer["previous"] = None
    answer["metrics"] = metrics
    answer["channels"] = [
        {
            "channel": fig.channel,
            "label": str(fig.label),
            "conversations": fig.conversations,
            **{
                METRIC_KEYS[kind]: {"count": fig.count(kind), "percent": fig.rate(kind)}
                for kind in METRIC_KEYS
            },
        }
        for fig in overview.by_channel
    ]
    answer["grain"] = found.grain
    answer["series"] = [
        {"bucket": bucket.label, **bucket.figures.as_metrics()} for bucket in found.series
    ]
    return answer
