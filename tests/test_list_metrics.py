"""The metrics above the list: counts, percentages, agreement with the rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.hosts import FIXED_NOW, tenant_of_current_user
from support.listing import (
    converted,
    list_page,
    metric,
    metrics,
    row,
    row_ids,
    start,
    tab_count,
)
from support.sql import count_queries

from flask_aiconvos import AIConversations
from flask_aiconvos.views import ConversationView

METRIC_KEYS = ("total", "bookings", "customers", "tours", "contracts", "day_passes")


def seed_seven(aiconvos: AIConversations) -> None:
    """Seven conversations; every conversion metric gets a share that needs rounding."""
    converted(aiconvos, "booking", "booking", "tour")  # two bookings: counted once
    converted(aiconvos, "booking", "customer", "tour")
    converted(aiconvos, "contract", "tour")
    converted(aiconvos, "day_pass")
    for _ in range(3):
        start(aiconvos)


def test_every_metric_with_its_percentage(client, aiconvos: AIConversations) -> None:
    seed_seven(aiconvos)

    page = list_page(client)

    assert metrics(page) == {
        "total": (7, None),
        "bookings": (2, 28.6),  # 2/7 = 28.57…
        "customers": (1, 14.3),  # 1/7 = 14.28…
        "tours": (3, 42.9),  # 3/7 = 42.85…
        "contracts": (1, 14.3),
        "day_passes": (1, 14.3),
    }


def test_metric_labels_and_shown_percentages(client, aiconvos: AIConversations) -> None:
    seed_seven(aiconvos)

    page = list_page(client)

    shown = {
        el["data-metric"]: " ".join(el.get_text(" ", strip=True).split())
        for el in page.select("[data-metric]")
    }
    assert shown["total"].startswith("Total conversations 7")
    assert shown["bookings"] == "Bookings created 2 28.6% of conversations"
    assert shown["customers"] == "New customers 1 14.3% of conversations"
    assert shown["tours"] == "Tours scheduled 3 42.9% of conversations"
    assert shown["contracts"] == "Contracts created 1 14.3% of conversations"
    assert shown["day_passes"] == "Day passes 1 14.3% of conversations"
    # The five main metrics first, the day-pass metric after them and smaller.
    assert [el["data-metric"] for el in page.select("[data-metric]")] == list(METRIC_KEYS)
    assert "aiconvos-metric-small" in page.select_one('[data-metric="day_passes"]')["class"]
    assert "aiconvos-metric-small" not in page.select_one('[data-metric="bookings"]')["class"]


def test_no_conversations_gives_zero_percent(client) -> None:
    page = list_page(client)

    assert metrics(page) == {key: (0, None if key == "total" else 0.0) for key in METRIC_KEYS}
    percent_texts = [el.get_text(strip=True) for el in page.select(".aiconvos-metric-percent")]
    assert percent_texts.count("0.0% of conversations") == 5
    assert page.select_one("#aiconvos-empty")["data-empty"] == "none"
    assert "No conversations yet" in page.select_one("#aiconvos-empty").get_text()


def test_a_view_with_no_conversations_gives_zero_percent(client, aiconvos: AIConversations) -> None:
    converted(aiconvos, "booking", subject="Meeting room")

    page = list_page(client, search="nothing like this")

    assert metrics(page)["total"] == (0, None)
    assert metrics(page)["bookings"] == (0, 0.0)
    assert row_ids(page) == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [({}, (1, 33.3)), ({"search": "desk"}, (1, 50.0))],
    ids=["all", "searched"],
)
def test_a_conversation_with_two_bookings_counts_once(
    client, aiconvos: AIConversations, params, expected
) -> None:
    twice = converted(aiconvos, "booking", "booking", subject="Desk for two")
    start(aiconvos, subject="Desk for one")
    start(aiconvos, subject="Meeting room")

    page = list_page(client, "admin", **params)

    assert metric(page, "bookings") == expected
    badge = row(page, twice.id).select_one('[data-conversion="booking"]')
    assert "×2" in badge.get_text()


def test_conversions_of_every_kind_only_count_their_own_metric(
    client, aiconvos: AIConversations
) -> None:
    for kind, key in [
        ("booking", "bookings"),
        ("customer", "customers"),
        ("tour", "tours"),
        ("contract", "contracts"),
        ("day_pass", "day_passes"),
    ]:
        converted(aiconvos, kind)
        page = list_page(client)
        assert metric(page, key)[0] == 1, key
    # Five conversations, one of each kind: each metric is 1 of 5.
    assert {k: v for k, v in metrics(page).items() if k != "total"} == {
        key: (1, 20.0) for key in METRIC_KEYS[1:]
    }


def seed_mixed(aiconvos: AIConversations) -> None:
    """Conversations over channels, dates and names, with and without conversions."""
    day = timedelta(days=1)
    converted(
        aiconvos, "booking", channel="whatsapp", customer_name="Ann Lee", started_at=FIXED_NOW - day
    )
    converted(
        aiconvos,
        "tour",
        "booking",
        channel="whatsapp",
        customer_company="Annex Labs",
        started_at=FIXED_NOW - 40 * day,
    )
    converted(
        aiconvos, "tour", channel="chat", customer_name="Ann Smith", started_at=FIXED_NOW - 2 * day
    )
    converted(aiconvos, "contract", channel="email", started_at=FIXED_NOW - 3 * day)
    converted(
        aiconvos,
        "customer",
        channel="voice",
        customer_name="Bob Ann",
        started_at=FIXED_NOW - 50 * day,
    )
    start(aiconvos, channel="chat", started_at=FIXED_NOW - 5 * day)
    start(aiconvos, channel="whatsapp", customer_name="Ann Other", started_at=FIXED_NOW - 60 * day)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"channel": "whatsapp"},
        {"channel": "chat"},
        {"search": "ann"},
        {"range": "7d"},
        {"range": "7d", "channel": "whatsapp"},
        {"search": "ann", "range": "last_month"},
        {"from_": "2026-09-01", "to": "2026-10-15", "search": "ann"},
    ],
    ids=lambda params: "&".join(f"{k}={v}" for k, v in params.items()) or "all",
)
def test_metrics_agree_with_the_rows_listed(client, aiconvos: AIConversations, params) -> None:
    seed_mixed(aiconvos)

    page = list_page(client, "admin", **params)

    ids = row_ids(page)
    assert ids, "every view above lists some conversations"
    assert metric(page, "total")[0] == len(ids)
    assert tab_count(page, params.get("channel", "all")) == len(ids)
    for kind, key in [("booking", "bookings"), ("tour", "tours"), ("contract", "contracts")]:
        with_kind = [i for i in ids if row(page, i).select_one(f'[data-conversion="{kind}"]')]
        count, percent = metric(page, key)
        assert count == len(with_kind), key
        assert percent == round(100 * len(with_kind) / len(ids), 1), key


def test_the_metrics_follow_the_view(client, aiconvos: AIConversations) -> None:
    seed_mixed(aiconvos)

    assert metric(list_page(client), "total") == (7, None)
    assert metric(list_page(client, channel="whatsapp"), "bookings") == (2, 66.7)
    assert metric(list_page(client, channel="whatsapp", range="7d"), "bookings") == (1, 100.0)
    assert metric(list_page(client, search="ann"), "total") == (5, None)
    assert metric(list_page(client, search="ann"), "tours") == (2, 40.0)
    assert metric(list_page(client, search="ann", range="last_month"), "bookings") == (1, 100.0)


@pytest.mark.parametrize("app_config", [{"scope": tenant_of_current_user}])
def test_metrics_count_only_the_operators_tenant(client, aiconvos: AIConversations) -> None:
    converted(aiconvos, "booking", tenant="a")
    start(aiconvos, tenant="a")
    converted(aiconvos, "booking", tenant="b")
    converted(aiconvos, "tour", tenant="b")
    converted(aiconvos, "tour", tenant=None)

    page_a = list_page(client, "tenant_a")
    page_b = list_page(client, "tenant_b")

    assert metric(page_a, "total") == (2, None)
    assert metric(page_a, "bookings") == (1, 50.0)
    assert metric(page_a, "tours") == (0, 0.0)
    assert metric(page_b, "total") == (2, None)
    assert metric(page_b, "tours") == (1, 50.0)
    assert tab_count(page_a, "all") == 2
    # The admin without a tenant sees every conversation, including the one with no tenant.
    assert metric(list_page(client, "admin"), "total") == (5, None)


def test_the_total_is_not_a_second_count_query(
    client, aiconvos: AIConversations, db, monkeypatch
) -> None:
    def refuse(self):
        raise AssertionError("Flask-Admin's count query ran")

    monkeypatch.setattr(ConversationView, "get_count_query", refuse)
    seed_mixed(aiconvos)

    with count_queries(db.engine) as statements:
        page = list_page(client, channel="whatsapp")

    assert metric(page, "total")[0] == len(row_ids(page)) == 3
    rows = [s for s in statements if "LIMIT" in s.upper()]
    badges = [s for s in statements if "aiconvos_conversion" in s]
    trend = [s for s in statements if "AS bucket" in s]
    rest = [s for s in statements if s not in rows and s not in badges and s not in trend]
    # The page of rows, its badges, one statement for metrics, tabs, comparison and total, and
    # one for the chart (and the previous period, with a bounded range).
    assert (len(rows), len(badges), len(rest), len(trend)) == (1, 1, 1, 1), statements
