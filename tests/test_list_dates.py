"""The date range of the list page: presets, custom from/to, the host's time zone, the cohort.

The fixed clock is support.hosts.FIXED_NOW, Wed 18 Nov 2026 15:30 UTC (16:30 in Berlin, CET = UTC+1;
Berlin is on CEST = UTC+2 until 25 Oct 2026).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support.hosts import FIXED_NOW
from support.http import soup
from support.listing import (
    get_list,
    list_page,
    metric,
    metrics,
    query_of,
    row_ids,
    start,
    tab_count,
)

from flask_aiconvos import AIConversations

BERLIN = {"AICONVOS_TIMEZONE": "Europe/Berlin"}


@pytest.fixture
def app_config() -> dict:
    return dict(BERLIN)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


#: name → start time (UTC), with its Berlin local time in the comment.
STARTS = {
    "sep_30_late": utc(2026, 9, 30, 21, 30),  # Wed 30 Sep 23:30 CEST
    "oct_1_early": utc(2026, 9, 30, 22, 30),  # Thu 1 Oct 00:30 CEST
    "oct_31_late": utc(2026, 10, 31, 22, 30),  # Sat 31 Oct 23:30 CET
    "nov_1_early": utc(2026, 10, 31, 23, 30),  # Sun 1 Nov 00:30 CET (31 Oct in UTC)
    "nov_11_late": utc(2026, 11, 11, 22, 59),  # Wed 11 Nov 23:59 CET
    "nov_12_start": utc(2026, 11, 11, 23, 0),  # Thu 12 Nov 00:00 CET
    "nov_17_late": utc(2026, 11, 17, 22, 59),  # Tue 17 Nov 23:59 CET
    "nov_18_early": utc(2026, 11, 17, 23, 30),  # Wed 18 Nov 00:30 CET (17 Nov in UTC)
    "nov_18_late": utc(2026, 11, 18, 22, 0),  # Wed 18 Nov 23:00 CET
    "nov_19_early": utc(2026, 11, 18, 23, 30),  # Thu 19 Nov 00:30 CET (18 Nov in UTC)
    "dec_1": utc(2026, 12, 1, 9, 0),  # Tue 1 Dec 10:00 CET
}

PRESETS = {
    "today": {"nov_18_early", "nov_18_late"},
    "7d": {"nov_12_start", "nov_17_late", "nov_18_early", "nov_18_late"},
    "this_month": {
        "nov_1_early",
        "nov_11_late",
        "nov_12_start",
        "nov_17_late",
        "nov_18_early",
        "nov_18_late",
        "nov_19_early",
    },
    "last_month": {"oct_1_early", "oct_31_late"},
    "all": set(STARTS),
}


@pytest.fixture
def started(aiconvos: AIConversations) -> dict[str, int]:
    return {name: start(aiconvos, started_at=moment).id for name, moment in STARTS.items()}


def names(page, started: dict[str, int]) -> set[str]:
    by_id = {conversation_id: name for name, conversation_id in started.items()}
    return {by_id[i] for i in row_ids(page)}


@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_preset_in_the_configured_time_zone(client, started, preset) -> None:
    page = list_page(client, range=preset)

    assert names(page, started) == PRESETS[preset]
    assert metric(page, "total") == (len(PRESETS[preset]), None)
    assert tab_count(page, "all") == len(PRESETS[preset])
    active = page.select('a[data-range][aria-current="true"]')
    assert [a["data-range"] for a in active] == [preset]
    assert "btn-primary" in active[0]["class"]


def test_all_time_is_the_default(client, started) -> None:
    page = list_page(client)

    assert names(page, started) == set(STARTS)
    assert [a["data-range"] for a in page.select('a[data-range][aria-current="true"]')] == ["all"]
    assert "All time" in page.select_one("#aiconvos-range-note").get_text()


@pytest.mark.parametrize("app_config", [{}])
def test_utc_is_the_default_time_zone(client, started) -> None:
    # 31 Oct 23:30 UTC is still October in UTC, 30 Sep 22:30 UTC still September, and
    # 18 Nov 23:30 UTC still today.
    assert names(list_page(client, range="last_month"), started) == {"oct_31_late", "nov_1_early"}
    assert names(list_page(client, range="today"), started) == {"nov_18_late", "nov_19_early"}


@pytest.mark.parametrize(
    "app_config",
    [{"AICONVOS_TIMEZONE": "America/New_York", "clock": lambda: utc(2026, 11, 1, 3, 0)}],
)
def test_today_in_a_zone_west_of_utc(client, aiconvos: AIConversations) -> None:
    # 1 Nov 03:00 UTC is still 31 Oct (23:00 EDT) in New York: "today" and "this month" are October.
    late_utc = start(aiconvos, started_at=utc(2026, 11, 1, 2, 0)).id  # 31 Oct 22:00 EDT
    early = start(aiconvos, started_at=utc(2026, 10, 31, 3, 59)).id  # 30 Oct 23:59 EDT
    morning = start(aiconvos, started_at=utc(2026, 10, 31, 4, 0)).id  # 31 Oct 00:00 EDT

    assert sorted(row_ids(list_page(client, range="today"))) == sorted([late_utc, morning])
    assert set(row_ids(list_page(client, range="this_month"))) == {late_utc, early, morning}
    assert row_ids(list_page(client, range="last_month")) == []


def test_the_note_says_the_range_counts_conversations_that_started_in_it(client, started) -> None:
    page = list_page(client, range="this_month")

    note = " ".join(page.select_one("#aiconvos-range-note").get_text(" ", strip=True).split())
    assert "started" in note
    assert "from 1 Nov 2026 to 30 Nov 2026" in note
    assert "Europe/Berlin" in note
    assert "even when it was recorded later" in note
    today = " ".join(
        list_page(client, range="today").select_one("#aiconvos-range-note").get_text().split()
    )
    assert "on 18 Nov 2026" in today


def test_the_date_inputs_show_the_range_in_use(client, started) -> None:
    page = list_page(client, range="last_month")

    assert page.select_one("#aiconvos-from")["value"] == "2026-10-01"
    assert page.select_one("#aiconvos-to")["value"] == "2026-10-31"
    assert page.select_one("#aiconvos-from")["type"] == "date"
    blank = list_page(client)
    assert blank.select_one("#aiconvos-from")["value"] == ""
    assert blank.select_one("#aiconvos-to")["value"] == ""


def test_custom_from_and_to_are_inclusive_local_days(client, started) -> None:
    page = list_page(client, from_="2026-11-01", to="2026-11-17")

    assert names(page, started) == {"nov_1_early", "nov_11_late", "nov_12_start", "nov_17_late"}
    assert [a["data-range"] for a in page.select('[data-range][aria-current="true"]')] == ["custom"]
    assert page.select_one("#aiconvos-from")["value"] == "2026-11-01"
    assert page.select_one("#aiconvos-to")["value"] == "2026-11-17"
    note = " ".join(page.select_one("#aiconvos-range-note").get_text().split())
    assert "from 1 Nov 2026 to 17 Nov 2026" in note


def test_custom_with_one_end_open(client, started) -> None:
    after = list_page(client, from_="2026-11-18")
    before = list_page(client, to="2026-10-01")

    assert names(after, started) == {"nov_18_early", "nov_18_late", "nov_19_early", "dec_1"}
    assert "on or after 18 Nov 2026" in " ".join(
        after.select_one("#aiconvos-range-note").get_text().split()
    )
    assert names(before, started) == {"sep_30_late", "oct_1_early"}
    assert "on or before 1 Oct 2026" in " ".join(
        before.select_one("#aiconvos-range-note").get_text().split()
    )


def test_custom_dates_win_over_a_preset_and_reversed_dates_are_swapped(client, started) -> None:
    both = list_page(client, range="today", from_="2026-10-01", to="2026-10-31")
    reversed_ = list_page(client, from_="2026-10-31", to="2026-10-01")

    assert names(both, started) == PRESETS["last_month"]
    assert names(reversed_, started) == PRESETS["last_month"]
    assert reversed_.select_one("#aiconvos-from")["value"] == "2026-10-01"


def test_the_range_applies_to_metrics_list_tabs_and_comparison_alike(
    client, aiconvos: AIConversations
) -> None:
    in_range = start(aiconvos, channel="whatsapp", started_at=utc(2026, 11, 2, 10, 0))
    aiconvos.record_conversion(
        in_range.id, kind="tour", target_id="V-1", occurred_at=utc(2026, 11, 3)
    )
    # Started last month, converted this month: it belongs to last month's cohort.
    earlier = start(aiconvos, channel="chat", started_at=utc(2026, 10, 20, 10, 0))
    aiconvos.record_conversion(
        earlier.id, kind="booking", target_id="B-1", occurred_at=utc(2026, 11, 5)
    )
    start(aiconvos, channel="chat", started_at=utc(2026, 11, 10, 10, 0))

    this_month = list_page(client, range="this_month")
    last_month = list_page(client, range="last_month")

    assert sorted(row_ids(this_month)) == sorted([in_range.id, in_range.id + 2])
    assert metrics(this_month)["tours"] == (1, 50.0)
    assert metrics(this_month)["bookings"] == (0, 0.0)
    assert tab_count(this_month, "whatsapp") == 1
    assert tab_count(this_month, "chat") == 1
    assert [
        tr["data-comparison-channel"]
        for tr in this_month.select("tbody tr[data-comparison-channel]")
    ] == [
        "chat",
        "whatsapp",
    ]
    assert row_ids(last_month) == [earlier.id]
    assert metrics(last_month)["bookings"] == (1, 100.0)
    assert metrics(last_month)["tours"] == (0, 0.0)


def test_the_range_is_kept_through_tabs_search_and_paging(
    client, app, aiconvos: AIConversations
) -> None:
    app.extensions["aiconvos"].view.page_size = 1
    for hour in (9, 10, 11):
        start(aiconvos, started_at=utc(2026, 11, 5, hour))

    page = list_page(client, from_="2026-11-01", to="2026-11-30")

    for link in [
        *page.select("[data-channel-tab]"),
        *page.select(".pagination a"),
        page.select_one("th[aria-sort] a"),
    ]:
        assert query_of(link["href"])["from"] == ["2026-11-01"], link
        assert query_of(link["href"])["to"] == ["2026-11-30"], link
    hidden = {
        i["name"]: i["value"] for i in page.select('form[role="search"] input[type="hidden"]')
    }
    assert hidden == {"from": "2026-11-01", "to": "2026-11-30"}
    # Choosing a preset drops the custom dates.
    for preset in page.select("a[data-range]"):
        assert "from" not in query_of(preset["href"])
        assert "to" not in query_of(preset["href"])


@pytest.mark.parametrize(
    "params",
    [
        {"range": "yesterday"},
        {"range": "custom"},
        {"range": "TODAY"},
        {"from_": "2026-13-01"},
        {"from_": "18/11/2026"},
        {"to": "tomorrow"},
        {"from_": "2026-11-01", "to": "2026-02-30"},
        {"from_": "\x00"},
        {"to": "9" * 400},
    ],
)
def test_a_malformed_range_is_a_400(client, params) -> None:
    assert get_list(client, **params).status_code == 400


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"from_": "0001-01-01"}, set(STARTS)),
        ({"to": "9999-12-31"}, set(STARTS)),
        ({"to": "9999-12-30"}, set(STARTS)),
        ({"from_": "0001-01-01", "to": "9999-12-31"}, set(STARTS)),
        ({"from_": "9999-12-31"}, set()),
        ({"to": "0001-01-01"}, set()),
    ],
)
def test_dates_at_the_ends_of_the_calendar(client, started, params, expected) -> None:
    response = get_list(client, **params)

    assert response.status_code == 200
    assert names(soup(response), started) == expected


def test_the_clock_is_the_configured_one(app, aiconvos: AIConversations) -> None:
    with app.app_context():
        assert AIConversations.state(app).clock() == FIXED_NOW
        # The recording API's default times come from the same clock.
        assert (
            aiconvos.start_conversation(channel="chat", origin="portal_chat").started_at
            == FIXED_NOW
        )


@pytest.mark.parametrize(
    "app_config",
    [{"AICONVOS_TIMEZONE": zone} for zone in ("UTC", "Pacific/Kiritimati", "Etc/GMT+12")],
    ids=["utc", "utc+14", "utc-12"],
)
@pytest.mark.parametrize(
    "params",
    [
        {"from_": "0001-01-01"},
        {"to": "0001-01-01"},
        {"from_": "9999-12-31"},
        {"to": "9999-12-31"},
        {"from_": "1969-12-31", "to": "1970-01-01"},
        {"from_": "9998-12-31", "to": "9999-12-31"},
        {"from_": "0001-01-01", "to": "9999-12-31", "search": "x"},
    ],
)
def test_calendar_ends_in_any_zone_never_fail(client, aiconvos: AIConversations, params) -> None:
    start(aiconvos, started_at=utc(1970, 1, 1, 12))
    start(aiconvos, started_at=utc(9998, 12, 31, 0))

    assert get_list(client, **params).status_code == 200
