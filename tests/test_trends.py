"""Trends: each tile compared with the period before, the activity chart and metrics.json.

The figures are checked against brute-force counts over the conversations after random
recording in several time zones (two of them changing clocks inside the ranges), tenants, tabs
and searches; the list page and metrics.json run the same few statements whatever the range.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from support.hosts import FIXED_NOW, tenant_of_current_user
from support.http import as_user
from support.listing import LIST_URL, converted, list_page, start
from support.sql import count_queries

from flask_aiconvos import AIConversations, queries, trends
from flask_aiconvos.list_request import ListFilters, parse_list_args
from flask_aiconvos.models import Conversation
from flask_aiconvos.vocab import CONVERSION_STYLES, METRIC_KEYS, Channel, ConversionKind, values

METRICS_URL = LIST_URL + "metrics.json"
KINDS = values(ConversionKind)
CHANNELS = values(Channel)
TENANTS = (None, "a", "b")
#: UTC, two zones that change clocks in March and October/November 2026, and odd offsets.
ZONES = ("UTC", "Europe/London", "America/New_York", "Asia/Kolkata", "Pacific/Chatham")
SEARCH_WORD = "zed"


def metrics_json(client, user: str = "viewer", **params):
    query = {("from" if key == "from_" else key): value for key, value in params.items()}
    return client.get(METRICS_URL, query_string=query, headers=as_user(user))


def chart_rows(page) -> dict[str, dict[str, int]]:
    rows = page.select('[data-chart="activity"] tr[data-bucket]')
    return {
        tr["data-bucket"]: {
            key: int(tr[f"data-{key}"])
            for key in ("count", "tours", "bookings", "customers", "contracts", "day-passes")
        }
        for tr in rows
    }


# --- the previous period ----------------------------------------------------------------------


def test_this_month_is_compared_with_the_whole_of_last_month(client, aiconvos) -> None:
    # This month (November): 3 conversations, 2 with a booking; October: 4, 1 booking, 1 tour.
    for day in (1, 10, 18):
        conv = start(aiconvos, started_at=datetime(2026, 11, day, 9, tzinfo=UTC))
        if day != 10:
            aiconvos.record_conversion(conv.id, kind="booking", target_id=f"B-{day}")
    for day in (1, 15, 31, 31):
        conv = start(aiconvos, started_at=datetime(2026, 10, day, 20, tzinfo=UTC))
        if day == 15:
            aiconvos.record_conversion(conv.id, kind="booking", target_id="B-old")
            aiconvos.record_conversion(conv.id, kind="tour", target_id="V-old")
    start(aiconvos, started_at=datetime(2026, 9, 30, 9, tzinfo=UTC))  # not in either

    page = list_page(client, range="this_month")

    tiles = {el["data-metric"]: el for el in page.select("[data-metric]")}
    assert {key: int(el["data-previous-count"]) for key, el in tiles.items()} == {
        "total": 4,
        "bookings": 1,
        "customers": 0,
        "tours": 1,
        "contracts": 0,
        "day_passes": 0,
    }
    total = " ".join(tiles["total"].select_one(".aiconvos-metric-change").get_text(" ").split())
    assert total == "▼ 1 fewer than last month (4)"
    bookings = tiles["bookings"].select_one(".aiconvos-metric-change")
    assert bookings["data-change"] == "up"
    text = " ".join(bookings.get_text(" ").split())
    # 2 of 3 (66.7 %) against 1 of 4 (25.0 %): the count and the rate, each with arrow and words.
    assert text == "▲ 1 more than last month (1) ▲ Rate up 41.7 pts (from 25.0%)"
    assert float(tiles["bookings"]["data-previous-percent"]) == 25.0
    assert "1 Oct 2026 to 31 Oct 2026" in bookings["title"]
    same = " ".join(tiles["contracts"].select_one(".aiconvos-metric-change").get_text(" ").split())
    assert same == "= Same as last month (0) = Rate unchanged (from 0.0%)"


@pytest.mark.parametrize(
    ("params", "previous"),
    [
        ({"range": "this_month"}, (date(2026, 10, 1), date(2026, 10, 31))),
        ({"range": "last_month"}, (date(2026, 9, 1), date(2026, 9, 30))),
        ({"range": "today"}, (date(2026, 11, 17), date(2026, 11, 17))),
        ({"range": "7d"}, (date(2026, 11, 5), date(2026, 11, 11))),
        ({"from": "2026-03-01", "to": "2026-03-31"}, (date(2026, 1, 29), date(2026, 2, 28))),
        ({"from": "2026-11-18", "to": "2026-11-18"}, (date(2026, 11, 17), date(2026, 11, 17))),
    ],
)
def test_the_previous_period_of_each_range(params, previous) -> None:
    filters = parse_list_args(params, timezone="Europe/London", now=FIXED_NOW, tenant=None)
    assert trends.previous_days(filters)[:2] == previous


@pytest.mark.parametrize(
    "params", [{}, {"range": "all"}, {"from": "2026-11-01"}, {"to": "2026-11-01"}]
)
def test_an_open_range_has_no_previous_period(client, aiconvos, params) -> None:
    converted(aiconvos, "booking")
    page = list_page(client, **{("from_" if k == "from" else k): v for k, v in params.items()})
    assert page.select("[data-previous-count]") == []
    assert page.select(".aiconvos-metric-change") == []
    assert metrics_json(client, **params).json["previous"] is None


def test_the_previous_period_keeps_the_tab_search_and_tenant(app, aiconvos, database_url) -> None:
    last_month = datetime(2026, 10, 12, 9, tzinfo=UTC)
    converted(aiconvos, "booking", channel="whatsapp", started_at=last_month, customer_name="Zed")
    converted(aiconvos, "tour", channel="whatsapp", started_at=last_month, customer_name="Amy")
    converted(aiconvos, "tour", channel="chat", started_at=last_month, customer_name="Zed")
    client = app.test_client()

    def previous(**params) -> dict[str, int]:
        page = list_page(client, range="this_month", **params)
        return {
            el["data-metric"]: int(el["data-previous-count"]) for el in page.select("[data-metric]")
        }

    assert previous()["total"] == 3
    assert previous(channel="whatsapp") | {} == {
        "total": 2,
        "bookings": 1,
        "customers": 0,
        "tours": 1,
        "contracts": 0,
        "day_passes": 0,
    }
    assert previous(search="zed")["total"] == 2
    assert previous(channel="whatsapp", search="zed")["tours"] == 0


@pytest.mark.parametrize("app_config", [{"scope": tenant_of_current_user}])
def test_the_previous_period_and_chart_count_only_the_operators_tenant(client, aiconvos) -> None:
    last_month = datetime(2026, 10, 12, 9, tzinfo=UTC)
    converted(aiconvos, "booking", tenant="a", started_at=last_month)
    converted(aiconvos, "booking", tenant="b", started_at=last_month)
    start(aiconvos, tenant="b", started_at=last_month)
    start(aiconvos, tenant="b")

    page_a = list_page(client, "tenant_a", range="this_month")
    page_b = list_page(client, "tenant_b", range="this_month")

    assert page_a.select_one('[data-metric="total"]')["data-previous-count"] == "1"
    assert page_b.select_one('[data-metric="total"]')["data-previous-count"] == "2"
    assert sum(row["count"] for row in chart_rows(page_a).values()) == 0
    assert sum(row["count"] for row in chart_rows(page_b).values()) == 1
    assert metrics_json(client, "tenant_b", range="last_month").json["total"] == 2


# --- the chart ----------------------------------------------------------------------------------


def test_this_month_is_charted_day_by_day(client, aiconvos) -> None:
    converted(aiconvos, "booking", "tour", started_at=datetime(2026, 11, 3, 9, tzinfo=UTC))
    converted(aiconvos, "day_pass", started_at=datetime(2026, 11, 3, 23, tzinfo=UTC))
    start(aiconvos, started_at=datetime(2026, 11, 17, 9, tzinfo=UTC))
    start(aiconvos, started_at=datetime(2026, 10, 31, 9, tzinfo=UTC))

    page = list_page(client, range="this_month")

    rows = chart_rows(page)
    assert list(rows) == [f"2026-11-{day:02d}" for day in range(1, 31)]
    assert rows["2026-11-03"] == {
        "count": 2,
        "tours": 1,
        "bookings": 1,
        "customers": 0,
        "contracts": 0,
        "day-passes": 1,
    }
    assert rows["2026-11-17"]["count"] == 1
    assert sum(row["count"] for row in rows.values()) == 3
    figure = page.select_one('figure[data-chart="activity"]')
    svg = figure.select_one('svg[role="img"]')
    assert svg["aria-labelledby"] == svg.select_one("title")["id"]
    assert "2026-11-01 to 2026-11-30: 3 in all" in svg.select_one("title").get_text()
    assert len(svg.select("rect")) == 30
    # One line per kind, in the colour of its badge; no inline style or script anywhere.
    lines = {line["data-kind"]: line["stroke"] for line in svg.select("polyline")}
    assert lines == {kind: CONVERSION_STYLES[kind].hex for kind in trends.CHART_KINDS}
    assert figure.select("[style]") == [] and figure.select("script") == []
    assert figure.select_one("table")["data-chart"] == "activity"


def test_all_time_is_charted_by_month_from_the_first_conversation_to_now(client, aiconvos) -> None:
    start(aiconvos, started_at=datetime(2026, 2, 14, 9, tzinfo=UTC))
    converted(aiconvos, "contract", started_at=datetime(2026, 6, 1, 9, tzinfo=UTC))

    rows = chart_rows(list_page(client))

    assert list(rows) == [f"2026-{month:02d}" for month in range(2, 12)]
    assert rows["2026-02"]["count"] == 1
    assert rows["2026-06"] == {
        "count": 1,
        "tours": 0,
        "bookings": 0,
        "customers": 0,
        "contracts": 1,
        "day-passes": 0,
    }
    assert rows["2026-11"]["count"] == 0  # to now, the current month included


def test_a_range_longer_than_62_days_is_charted_by_month(client, aiconvos) -> None:
    start(aiconvos, started_at=datetime(2026, 8, 20, 9, tzinfo=UTC))
    assert list(chart_rows(list_page(client, from_="2026-08-15", to="2026-10-15"))) == [
        f"2026-{m:02d}-{d:02d}"
        for m, days in ((8, range(15, 32)), (9, range(1, 31)), (10, range(1, 16)))
        for d in days
    ]
    assert list(chart_rows(list_page(client, from_="2026-08-15", to="2026-10-16"))) == [
        "2026-08",
        "2026-09",
        "2026-10",
    ]


def test_no_conversations_gives_an_empty_chart_with_its_table(client) -> None:
    page = list_page(client)
    assert page.select_one('[data-chart="activity"]') is not None
    assert chart_rows(page) == {}
    rows = chart_rows(list_page(client, range="7d"))
    assert len(rows) == 7 and not any(row["count"] for row in rows.values())


def test_untrusted_text_in_a_search_stays_text_in_the_chart_and_tiles(client, aiconvos) -> None:
    start(aiconvos, customer_name="<img src=x onerror=alert(1)>")
    response = client.get(
        LIST_URL,
        query_string={"search": "<img src=x onerror=alert(1)>", "range": "7d"},
        headers=as_user("viewer"),
    )
    assert b"<img src=x" not in response.data


# --- metrics.json ---------------------------------------------------------------------------------


def test_metrics_json_gives_the_pages_numbers(client, aiconvos) -> None:
    converted(aiconvos, "booking", channel="whatsapp", started_at=datetime(2026, 11, 2, tzinfo=UTC))
    converted(aiconvos, "tour", channel="chat", started_at=datetime(2026, 11, 9, tzinfo=UTC))
    converted(aiconvos, "day_pass", channel="chat", started_at=datetime(2026, 10, 9, tzinfo=UTC))

    for params in ({"range": "this_month"}, {"range": "7d", "channel": "chat"}, {}):
        page = list_page(client, **params)
        response = metrics_json(client, **params)
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        assert "private" in response.headers["Cache-Control"]
        answer = response.json
        tiles = {el["data-metric"]: el for el in page.select("[data-metric]")}
        assert answer["total"] == int(tiles["total"]["data-count"])
        assert set(answer["metrics"]) == set(METRIC_KEYS.values())
        for key, entry in answer["metrics"].items():
            assert entry["count"] == int(tiles[key]["data-count"])
            assert entry["percent"] == float(tiles[key]["data-percent"])
            if "data-previous-count" in tiles[key].attrs:
                assert entry["previous_count"] == int(tiles[key]["data-previous-count"])
        rows = chart_rows(page)
        assert [point["bucket"] for point in answer["series"]] == list(rows)
        for point in answer["series"]:
            assert rows[point["bucket"]]["count"] == point["count"]
            assert rows[point["bucket"]]["day-passes"] == point["day_passes"]
        assert [ch["channel"] for ch in answer["channels"]] == [
            tr["data-comparison-channel"] for tr in page.select("tbody tr[data-comparison-channel]")
        ]
    this_month = metrics_json(client, range="this_month").json
    assert this_month["previous"] == {"from": "2026-10-01", "to": "2026-10-31", "total": 1}
    assert this_month["metrics"]["day_passes"]["previous_count"] == 1
    assert this_month["metrics"]["bookings"]["change"] == 1
    assert this_month["channels"][0]["day_passes"] == {"count": 0, "percent": 0.0}


def test_metrics_json_holds_no_identifiers(client, aiconvos) -> None:
    start(
        aiconvos,
        subject="Secret plans",
        customer_name="Nadia Secret",
        external_identifier="nadia@example.com",
    )
    body = metrics_json(client, "admin", range="this_month").get_data(as_text=True)
    for leaked in ("Secret", "nadia", "example.com"):
        assert leaked not in body


@pytest.mark.parametrize(
    "query",
    [
        "range=bad",
        "from=2026-13-01",
        "to=yesterday",
        "channel=fax",
        "search=%00",
        "from=0001-01-01&to=9999-12-31",
        "from=9999-12-31",
        "range=all&range=today",
        "page=-1&sort=abc",
    ],
)
def test_metrics_json_answers_400_for_a_malformed_query_never_500(client, query) -> None:
    response = client.get(f"{METRICS_URL}?{query}", headers=as_user("viewer"))
    assert response.status_code in (200, 400), query
    if response.status_code == 400:
        assert "error" in response.json


@pytest.mark.parametrize(
    ("user", "status"), [("nobody", 403), ("export_only", 403), ("viewer", 200)]
)
def test_metrics_json_needs_the_view_role(client, user, status) -> None:
    assert metrics_json(client, user).status_code == status


def test_metrics_json_for_anonymous_is_the_login_redirect(client) -> None:
    response = client.get(METRICS_URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- a constant number of statements --------------------------------------------------------------


@pytest.mark.parametrize(
    "app_config", [{"AICONVOS_TIMEZONE": "UTC"}, {"AICONVOS_TIMEZONE": "America/New_York"}]
)
def test_page_and_json_statements_do_not_grow_with_the_range(client, aiconvos, db) -> None:
    rng = random.Random(5)
    # Every half day of the last 40 days (a chat one each day), and some over the last years:
    # every range below lists rows with badges.
    moments = [FIXED_NOW - timedelta(hours=12 * n, minutes=1) for n in range(80)]
    moments += [FIXED_NOW - timedelta(days=rng.randint(40, 900)) for _ in range(40)]
    for n, moment in enumerate(moments):
        conv = start(
            aiconvos, channel="chat" if n % 2 == 0 else rng.choice(CHANNELS), started_at=moment
        )
        aiconvos.record_conversion(conv.id, kind=rng.choice(KINDS), target_id=f"T-{n}")
    ranges = [
        {"range": "today"},
        {"range": "7d"},
        {"range": "this_month"},
        {"range": "last_month"},
        {"from_": "2026-01-01", "to": "2026-11-30"},
        {"from_": "2024-06-01", "to": "2026-11-30"},
        {},
    ]
    pages, jsons = set(), set()
    for params in ranges:
        for extra in ({}, {"channel": "chat"}):
            with count_queries(db.engine) as statements:
                list_page(client, **params, **extra)
            pages.add(len(statements))
            with count_queries(db.engine) as statements:
                assert metrics_json(client, **params, **extra).status_code == 200
            jsons.add(len(statements))
    # Overview, trends, rows, badges; metrics.json: overview and trends.
    assert pages == {4}
    assert jsons == {2}


def reads_conversations(sql: str) -> bool:
    """Whether a statement reads conversations themselves (not only the counters)."""
    return re.search(r"\b(FROM|JOIN) aiconvos_conversation\b", sql) is not None


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Asia/Kolkata"])
def test_a_zone_of_whole_half_hours_reads_only_the_counters(aiconvos, db, zone) -> None:
    for n in range(60):
        start(aiconvos, started_at=FIXED_NOW - timedelta(hours=7 * n, minutes=13))
    for params in ({"range": "this_month"}, {"range": "7d", "channel": "chat"}, {}):
        filters = parse_list_args(params, timezone=zone, now=FIXED_NOW, tenant=None)
        with count_queries(db.engine) as statements:
            overview, found = trends.overview_and_trends(
                db.session, filters, timezone=zone, now=FIXED_NOW
            )
        assert overview.total and found.series
        assert len(statements) == 2
        assert not any(map(reads_conversations, statements)), params


def test_outcome_filters_count_the_edges_from_the_conversations(aiconvos, db) -> None:
    """The per-mask counters are kept per day and month: in New York the part-days at the
    edges come from the conversations. The overview reads them in its one statement; the
    trends in theirs on SQLite (a ``UNION ALL``) and in a second one on PostgreSQL (as one,
    its planner started parallel workers)."""
    zone = "America/New_York"
    for n in range(60):
        start(aiconvos, started_at=FIXED_NOW - timedelta(hours=7 * n, minutes=13))
    params = {"range": "this_month", "outcome": "unconverted"}
    filters = parse_list_args(params, timezone=zone, now=FIXED_NOW, tenant=None)
    with count_queries(db.engine) as statements:
        overview, _ = trends.overview_and_trends(db.session, filters, timezone=zone, now=FIXED_NOW)
    assert overview.total
    assert len(statements) == (3 if db.engine.dialect.name == "postgresql" else 2)
    assert sum(map(reads_conversations, statements)) == 2


# --- exactness against brute force ----------------------------------------------------------------


def record_randomly(aiconvos: AIConversations, seed: int, count: int) -> None:
    """Starts clustered at month and day boundaries and the 2026 clock changes of London and
    New York, on every channel and tenant, some customers named for the search."""
    rng = random.Random(seed)
    anchors = [
        datetime(2026, 3, 8, 7, 0, tzinfo=UTC),  # New York springs forward
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # London springs forward
        datetime(2026, 4, 1, 0, 0, tzinfo=UTC),
        datetime(2026, 9, 30, 23, 0, tzinfo=UTC),
        datetime(2026, 10, 1, 4, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 0, tzinfo=UTC),  # London falls back
        datetime(2026, 10, 31, 23, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 0, tzinfo=UTC),  # New York falls back
        datetime(2026, 11, 11, 0, 0, tzinfo=UTC),
        datetime(2026, 11, 17, 23, 59, tzinfo=UTC),
        FIXED_NOW - timedelta(hours=3),
    ]
    ids = []
    for _ in range(count):
        started = rng.choice(anchors) + timedelta(minutes=rng.randint(-600, 600))
        conversation = aiconvos.start_conversation(
            channel=rng.choice(CHANNELS[:4]),
            origin="customer_reply",
            started_at=min(started, FIXED_NOW - timedelta(minutes=1)),
            tenant=rng.choice(TENANTS),
            customer_name=rng.choice(["Zed Ltd", "Amy", None]),
        )
        ids.append(conversation.id)
    for _ in range(count * 2):
        kind = rng.choice(KINDS)
        aiconvos.record_conversion(
            rng.choice(ids), kind=kind, target_id=f"{kind}-{rng.randint(1, count // 2)}"
        )


def brute_force(
    conversations: list[Conversation], filters: ListFilters, zone: ZoneInfo, grain: str | None
) -> tuple[dict[str, list[int]], dict[date, list[int]]]:
    """Per local bucket label, and per local start day: conversations and per-kind counts of
    the view (tenant, tab, search), ignoring its date range."""
    buckets: dict[str, list[int]] = {}
    days: dict[date, list[int]] = {}
    for c in conversations:
        if filters.tenant is not None and c.tenant != filters.tenant:
            continue
        if filters.channel is not None and c.channel != filters.channel:
            continue
        if filters.search and SEARCH_WORD not in (c.customer_name or "").lower():
            continue
        local = c.started_at.astimezone(zone).date()
        label = local.isoformat() if grain == trends.DAY else local.strftime("%Y-%m")
        flags = [1] + [1 if c.conversion_count(kind) else 0 for kind in KINDS]
        for table, key in ((buckets, label), (days, local)):
            totals = table.setdefault(key, [0] * len(flags))
            for i, flag in enumerate(flags):
                totals[i] += flag
    return buckets, days


RANGES = [
    {"range": "today"},
    {"range": "7d"},
    {"range": "this_month"},
    {"range": "last_month"},
    {"from": "2026-03-01", "to": "2026-04-10"},  # across the spring clock changes, day by day
    {"from": "2026-10-20", "to": "2026-11-05"},  # across the autumn ones
    {"from": "2026-02-15", "to": "2026-11-20"},  # by month
    {},
]


def _as_list(figures: trends.Figures) -> list[int]:
    return [figures.conversations, *(figures.count(kind) for kind in KINDS)]


@pytest.mark.parametrize("seed", [11, 12])
def test_chart_and_previous_period_equal_a_brute_force_count(app, aiconvos, db, seed) -> None:
    record_randomly(aiconvos, seed, 90)
    session = db.session
    conversations = list(session.scalars(sa.select(Conversation)))
    checked = 0
    for zone_name in ZONES:
        zone = ZoneInfo(zone_name)
        for tenant in (*TENANTS, ""):  # a blank scope: the counters cannot answer it
            for args in RANGES:
                for extra in ({}, {"channel": "whatsapp"}, {"search": SEARCH_WORD}):
                    params = dict(args, **extra)
                    filters = parse_list_args(
                        params, timezone=zone_name, now=FIXED_NOW, tenant=tenant
                    )
                    overview, found = trends.overview_and_trends(
                        session, filters, timezone=zone_name, now=FIXED_NOW
                    )
                    # A search reads its conversations once for both; the same figures as
                    # counting the overview and then the trends.
                    apart = queries.overview(session, filters)
                    assert overview == apart, params
                    assert found == trends.trends(
                        session, filters, apart, timezone=zone_name, now=FIXED_NOW
                    ), params
                    expected, by_day = brute_force(conversations, filters, zone, found.grain)
                    where = (zone_name, tenant, params)
                    in_range = [
                        totals
                        for day, totals in by_day.items()
                        if (filters.date_from is None or day >= filters.date_from)
                        and (filters.date_to is None or day <= filters.date_to)
                    ]
                    # The chart covers the range: its buckets add up to the metrics.
                    assert sum(b.figures.conversations for b in found.series) == overview.total
                    assert sum(t[0] for t in in_range) == overview.total, where
                    for bucket in found.series:
                        wanted = expected.get(bucket.label, [0] * (1 + len(KINDS)))
                        if filters.date_from or filters.date_to:  # part-months at the ends
                            wanted = [0] * (1 + len(KINDS))
                            for day, totals in by_day.items():
                                if bucket.first_day <= day <= bucket.last_day:
                                    wanted = [a + b for a, b in zip(wanted, totals, strict=True)]
                        assert _as_list(bucket.figures) == wanted, (where, bucket.label)
                    labels = [b.label for b in found.series]
                    if found.grain == trends.DAY:
                        assert labels == [
                            (filters.date_from + timedelta(days=n)).isoformat()
                            for n in range((filters.date_to - filters.date_from).days + 1)
                        ]
                    elif not filters.date_from and expected:
                        first = min(expected)
                        assert labels[0] == first, where
                        assert labels[-1] == FIXED_NOW.astimezone(zone).strftime("%Y-%m")
                    before = trends.previous_days(filters)
                    if before is None:
                        assert found.previous is None
                        continue
                    wanted = [0] * (1 + len(KINDS))
                    for day, totals in by_day.items():
                        if before[0] <= day <= before[1]:
                            wanted = [a + b for a, b in zip(wanted, totals, strict=True)]
                    assert _as_list(found.previous.figures) == wanted, where
                    checked += 1
    assert checked > 100
