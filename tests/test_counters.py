"""The write-time counters behind the list's metrics and tabs stay exact.

After random recording (conversations on every channel and tenant, starts on both sides of day
and month boundaries, conversions of every kind, some repeated), the metrics and tabs the list
shows for every range, time zone and tenant scope equal a brute-force count over the
conversations, and the counters equal a rebuild from scratch.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from support.hosts import FIXED_NOW
from support.records import counter_rows
from support.sql import count_queries

from flask_aiconvos import AIConversations, counters, queries
from flask_aiconvos.list_request import ListFilters, parse_list_args
from flask_aiconvos.models import Conversation, ConversationCounter
from flask_aiconvos.vocab import Channel, ConversionKind, values

CHANNELS = values(Channel)
KINDS = values(ConversionKind)
TENANTS = (None, "a", "b")
ZONES = ("UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham")


def record_randomly(aiconvos: AIConversations, seed: int, count: int) -> None:
    rng = random.Random(seed)
    # Starts cluster around month and day boundaries, in the two months before FIXED_NOW.
    anchors = [
        datetime(2026, 9, 30, 23, 0, tzinfo=UTC),
        datetime(2026, 10, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 10, 31, 22, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 17, 23, 59, tzinfo=UTC),
        FIXED_NOW - timedelta(hours=2),
    ]
    ids = []
    for _ in range(count):
        started = rng.choice(anchors) + timedelta(minutes=rng.randint(-240, 240))
        conversation = aiconvos.start_conversation(
            channel=rng.choice(CHANNELS),
            origin="customer_reply",
            started_at=min(started, FIXED_NOW - timedelta(minutes=1)),
            tenant=rng.choice(TENANTS),
        )
        ids.append(conversation.id)
    for _ in range(count * 2):
        kind = rng.choice(KINDS)
        aiconvos.record_conversion(
            rng.choice(ids), kind=kind, target_id=f"{kind}-{rng.randint(1, count // 2)}"
        )


def brute_force(session, filters: ListFilters) -> dict[str, tuple[int, dict[str, int]]]:
    """Per channel: conversations of the view (search aside) and how many have each kind."""
    found: dict[str, tuple[int, dict[str, int]]] = {}
    for conversation in session.scalars(sa.select(Conversation)):
        if filters.tenant is not None and conversation.tenant != filters.tenant:
            continue
        if filters.started_from is not None and conversation.started_at < filters.started_from:
            continue
        if filters.started_to is not None and conversation.started_at >= filters.started_to:
            continue
        count, kinds = found.get(conversation.channel, (0, dict.fromkeys(KINDS, 0)))
        for kind in KINDS:
            kinds[kind] += 1 if conversation.conversion_count(kind) else 0
        found[conversation.channel] = (count + 1, kinds)
    return found


def filters_for(args: dict[str, str], zone: str, tenant: str | None) -> ListFilters:
    return parse_list_args(args, timezone=zone, now=FIXED_NOW, tenant=tenant)


RANGES = [
    {},
    {"range": "today"},
    {"range": "7d"},
    {"range": "this_month"},
    {"range": "last_month"},
    {"from": "2026-10-01", "to": "2026-10-01"},
    {"from": "2026-09-30", "to": "2026-11-01"},
    {"from": "2026-10-02"},
    {"to": "2026-10-31"},
    {"from": "2026-11-17", "to": "2026-11-18"},
]


@pytest.mark.parametrize("seed", [1, 2])
def test_metrics_and_tabs_equal_a_brute_force_count(app, aiconvos, db, seed) -> None:
    record_randomly(aiconvos, seed, 70)
    session = db.session
    for zone in ZONES:
        for tenant in TENANTS:
            for args in RANGES:
                for channel in (None, "whatsapp"):
                    params = dict(args, **({"channel": channel} if channel else {}))
                    filters = filters_for(params, zone, tenant)
                    expected = brute_force(session, filters)
                    overview = queries.overview(session, filters)
                    got = {
                        fig.channel: (fig.conversations, fig.conversions)
                        for fig in overview.by_channel
                    }
                    assert got == expected, (zone, tenant, params)
                    shown = [c for c in expected if channel is None or c == channel]
                    assert overview.total == sum(expected[c][0] for c in shown)
                    tabs = {tab.channel: tab.count for tab in overview.tabs}
                    assert tabs["all"] == sum(count for count, _ in expected.values())


def _counter_rows(session) -> list[tuple]:
    table = ConversationCounter.__table__
    return [tuple(row) for row in session.execute(sa.select(table).order_by(*table.primary_key))]


def test_the_counters_equal_a_rebuild_from_the_conversations(app, aiconvos, db) -> None:
    record_randomly(aiconvos, 3, 60)
    kept = counter_rows(db.engine)  # both tables: the list's and the one split by outcome
    assert kept
    db.session.rollback()
    with db.engine.begin() as connection:
        written = counters.rebuild(connection)
    assert counter_rows(db.engine) == kept
    assert written == len(kept)


def test_a_repeated_conversion_counts_its_conversation_once(app, aiconvos, db) -> None:
    conversation = aiconvos.start_conversation(
        channel="chat", origin="portal_chat", started_at=FIXED_NOW - timedelta(days=1)
    )
    for target in ("B-1", "B-2", "B-1"):
        aiconvos.record_conversion(conversation.id, kind="booking", target_id=target)
    row = db.session.scalars(
        sa.select(ConversationCounter).where(ConversationCounter.grain == counters.MONTH)
    ).one()
    assert (row.conversations, row.bookings, row.tours) == (1, 1, 0)


def test_a_failed_write_counts_nothing(app, aiconvos, db, monkeypatch) -> None:
    conversation = aiconvos.start_conversation(channel="chat", origin="portal_chat")

    def fail(*args, **kwargs):
        raise RuntimeError("the host's database went away")

    monkeypatch.setattr(counters, "apply", fail)
    with pytest.raises(RuntimeError):
        aiconvos.start_conversation(channel="chat", origin="portal_chat")
    with pytest.raises(RuntimeError):
        aiconvos.record_conversion(conversation.id, kind="tour", target_id="V-1")
    monkeypatch.undo()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Conversation)) == 1
    assert conversation.tour_count == 0
    assert sum(row.conversations for row in _counter_rows_as_objects(db)) == len(counters.GRAINS)


def _counter_rows_as_objects(db):
    return db.session.scalars(sa.select(ConversationCounter)).all()


def test_without_a_search_the_metrics_never_read_the_conversations(app, aiconvos, db) -> None:
    record_randomly(aiconvos, 4, 20)
    for args in ({}, {"range": "this_month"}, {"channel": "email", "range": "7d"}):
        with count_queries(db.engine) as statements:
            queries.overview(db.session, filters_for(args, "UTC", None))
        assert len(statements) == 1
        assert "aiconvos_counter" in statements[0]
        assert "FROM aiconvos_conversation" not in statements[0]
    # A zone whose midnights are UTC hours or half-hours reads the counters shorter than a day
    # at the range's ends...
    for zone in ("America/New_York", "Asia/Kolkata"):
        with count_queries(db.engine) as statements:
            queries.overview(db.session, filters_for({"range": "7d"}, zone, None))
        assert len(statements) == 1
        assert "FROM aiconvos_conversation" not in statements[0]
    # ...and one whose midnight is neither (+5:45) counts what is left from the conversations,
    # in the same single statement.
    with count_queries(db.engine) as statements:
        queries.overview(db.session, filters_for({"range": "7d"}, "Asia/Kathmandu", None))
    assert len(statements) == 1
    assert "aiconvos_counter" in statements[0] and "aiconvos_conversation" in statements[0]


def _covers(pieces: counters.Split, moment: datetime) -> int:
    def inside(span: counters.Span) -> bool:
        low, high = span
        return (low is None or moment >= low) and (high is None or moment < high)

    hits = 0
    if pieces.months is not None and inside(pieces.months):
        hits += 1
    hits += sum(inside(span) for span in pieces.days)
    hits += sum(inside(span) for span in pieces.hours)
    hits += sum(inside(span) for span in pieces.raw)
    return hits


def test_split_covers_every_range_exactly_once() -> None:
    rng = random.Random(5)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(400):
        bounds = [
            base + timedelta(minutes=rng.randint(0, 60 * 24 * 200)),
            base + timedelta(hours=rng.randint(0, 24 * 200)),
            base + timedelta(days=rng.randint(0, 200)),
            None,
        ]
        start, end = rng.choice(bounds), rng.choice(bounds)
        pieces = counters.split(start, end)
        for span in [pieces.months or (None, None), *pieces.days]:
            for edge in span:
                assert edge is None or edge == counters.day_start(edge)
        if pieces.months is not None:
            for edge in pieces.months:
                assert edge is None or edge == counters.month_start(edge)
        for span in pieces.hours:
            assert all(edge == counters.half_hour_start(edge) for edge in span)
        for low, high in pieces.raw:  # under half an hour, at the range's very ends only
            assert high - low < timedelta(minutes=30)
            assert low in (start, counters.half_hour_start(high))
        for _ in range(30):
            moment = base + timedelta(minutes=rng.randint(-60 * 24 * 40, 60 * 24 * 260))
            expected = (start is None or moment >= start) and (end is None or moment < end)
            assert _covers(pieces, moment) == (1 if expected else 0), (start, end, moment)


def test_hour_rows_cover_each_hour_once_and_never_past_their_span() -> None:
    assert counters.hour_rows([]) == counters.HourRows()
    rng = random.Random(11)
    base = datetime(2026, 3, 1, tzinfo=UTC)
    for _ in range(300):
        spans = []
        for _ in range(rng.randint(1, 3)):
            low = base + timedelta(minutes=30 * rng.randint(0, 48 * 3))
            spans.append((low, low + timedelta(minutes=30 * rng.randint(1, 60))))
        rows = counters.hour_rows(spans)
        for start in rows.four_hours:
            assert start == counters.four_hours_start(start)
            assert any(low <= start and start + timedelta(hours=4) <= high for low, high in spans)
        for start in rows.hours:
            assert start == counters.hour_start(start)
        for start in rows.half_hours:
            assert start == counters.half_hour_start(start)
        half = timedelta(minutes=30)
        covered = [
            *(start + k * half for start in rows.four_hours for k in range(8)),
            *(start + k * half for start in rows.hours for k in range(2)),
            *rows.half_hours,
        ]
        expected = sorted(
            low + k * half for low, high in spans for k in range(int((high - low) / half))
        )
        assert sorted(covered) == expected
        # At each end of a span at most one half-hour row and three hour rows: the rest are
        # four-hour rows.
        assert len(rows.half_hours) <= 2 * len(spans)
        assert len(rows.hours) <= 6 * len(spans)


def test_split_at_the_ends_of_the_calendar() -> None:
    assert counters.split(datetime(9999, 12, 31, tzinfo=UTC), None) == counters.Split()
    assert counters.split(None, datetime(1, 1, 2, tzinfo=UTC)) == counters.Split()
    everything = counters.split(datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC))
    assert everything == counters.Split(months=(None, None))
    assert (
        date(2026, 11, 1)
        == counters.split(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
        .months[0]
        .date()
    )
