"""The channel comparison on the list page: one row per channel, conversations and five rates,
each with a compact bar."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.hosts import FIXED_NOW
from support.listing import converted, list_page, query_of, start

from flask_aiconvos import AIConversations
from flask_aiconvos.vocab import CONVERSION_STYLES

RATE_KINDS = ["booking", "customer", "tour", "contract", "day_pass"]


def comparison(page) -> dict[str, dict]:
    """channel → {"conversations": n, kind: (percent, count)} from the comparison table."""
    table = page.select_one("table.aiconvos-comparison")
    assert table is not None
    result = {}
    for tr in table.select("tr[data-comparison-channel]"):
        figures: dict = {
            "conversations": int(tr.select_one("[data-conversations]")["data-conversations"])
        }
        for td in tr.select("[data-rate]"):
            figures[td["data-rate"]] = (float(td["data-percent"]), int(td["data-count"]))
        result[tr["data-comparison-channel"]] = figures
    return result


@pytest.fixture
def seeded(aiconvos: AIConversations) -> None:
    """WhatsApp: 4 conversations (2 bookings, 1 tour); chat: 3 (1 booking, 1 contract);
    voice: 1 (1 new customer); email: 2 older than a week (1 tour)."""
    week = timedelta(days=8)
    converted(aiconvos, "booking", "booking", channel="whatsapp", customer_name="Ann")
    converted(aiconvos, "booking", "tour", channel="whatsapp")
    start(aiconvos, channel="whatsapp")
    start(aiconvos, channel="whatsapp", customer_name="Ann")
    converted(aiconvos, "booking", channel="chat", customer_name="Ann")
    converted(aiconvos, "contract", channel="chat")
    start(aiconvos, channel="chat")
    converted(aiconvos, "customer", "day_pass", channel="voice")
    converted(aiconvos, "tour", channel="email", started_at=FIXED_NOW - week)
    start(aiconvos, channel="email", started_at=FIXED_NOW - week)


def test_one_row_per_channel_with_its_rates(client, seeded) -> None:
    table = comparison(list_page(client))

    assert list(table) == ["chat", "email", "whatsapp", "voice", "all"]
    assert table["whatsapp"] == {
        "conversations": 4,
        "booking": (50.0, 2),
        "customer": (0.0, 0),
        "tour": (25.0, 1),
        "contract": (0.0, 0),
        "day_pass": (0.0, 0),
    }
    assert table["chat"] == {
        "conversations": 3,
        "booking": (33.3, 1),
        "customer": (0.0, 0),
        "tour": (0.0, 0),
        "contract": (33.3, 1),
        "day_pass": (0.0, 0),
    }
    assert table["voice"]["customer"] == (100.0, 1)
    assert table["voice"]["day_pass"] == (100.0, 1)
    assert table["email"]["tour"] == (50.0, 1)
    assert table["all"] == {
        "conversations": 10,
        "booking": (30.0, 3),
        "customer": (10.0, 1),
        "tour": (20.0, 2),
        "contract": (10.0, 1),
        "day_pass": (10.0, 1),
    }


def test_cells_show_rate_and_count_and_mark_the_best_rate(client, seeded) -> None:
    page = list_page(client)

    headers = [th.get_text(strip=True) for th in page.select("table.aiconvos-comparison thead th")]
    assert headers == [
        "Channel",
        "Conversations",
        "Bookings created",
        "New customers",
        "Tours scheduled",
        "Contracts created",
        "Day passes",
    ]
    whatsapp = page.select_one('tr[data-comparison-channel="whatsapp"]')
    booking = whatsapp.select_one('[data-rate="booking"]')
    assert " ".join(booking.get_text(" ", strip=True).split()) == "50.0% (2)"
    best = {
        td["data-rate"]: td.find_parent("tr")["data-comparison-channel"]
        for td in page.select("tbody .aiconvos-best-rate")
    }
    assert best == {
        "booking": "whatsapp",
        "customer": "voice",
        "tour": "email",
        "contract": "chat",
        "day_pass": "voice",
    }


def test_each_rate_has_a_bar_as_long_as_the_rate_in_the_badge_colour(client, seeded) -> None:
    page = list_page(client)

    for td in page.select("table.aiconvos-comparison [data-rate]"):
        bar = td.select_one("svg.aiconvos-rate-bar")
        assert bar is not None and bar["aria-hidden"] == "true"
        filled = bar.select("rect")[1]
        assert float(filled["width"]) == float(td["data-percent"])
        assert filled["fill"] == CONVERSION_STYLES[td["data-rate"]].hex


def test_the_comparison_ignores_the_tab_and_marks_it(client, seeded) -> None:
    on_all = list_page(client)
    on_whatsapp = list_page(client, channel="whatsapp")

    assert comparison(on_whatsapp) == comparison(on_all)
    marked = on_whatsapp.select('tr[data-comparison-channel][aria-current="true"]')
    assert [tr["data-comparison-channel"] for tr in marked] == ["whatsapp"]
    assert on_all.select('tr[data-comparison-channel][aria-current="true"]') == []
    # Open where comparing a channel is the point; folded away on the All tab.
    assert on_whatsapp.select_one("details.aiconvos-comparison-panel").has_attr("open")
    assert not on_all.select_one("details.aiconvos-comparison-panel").has_attr("open")


def test_the_comparison_follows_the_date_range_and_search(client, seeded) -> None:
    recent = comparison(list_page(client, range="7d"))
    assert "email" not in recent
    assert recent["all"]["conversations"] == 8

    ann = comparison(list_page(client, search="ann"))
    assert list(ann) == ["chat", "whatsapp", "all"]
    assert ann["whatsapp"]["conversations"] == 2
    assert ann["whatsapp"]["booking"] == (50.0, 1)
    assert ann["chat"]["booking"] == (100.0, 1)


def test_a_single_channel_has_no_total_row(client, aiconvos: AIConversations) -> None:
    converted(aiconvos, "tour", channel="whatsapp")

    page = list_page(client)

    assert list(comparison(page)) == ["whatsapp"]
    assert page.select(".aiconvos-best-rate") == []


def test_channel_names_link_to_their_tab_keeping_the_view(client, seeded) -> None:
    page = list_page(client, search="ann", range="7d")

    link = page.select_one('tr[data-comparison-channel="whatsapp"] th a')
    assert query_of(link["href"]) == {"channel": ["whatsapp"], "search": ["ann"], "range": ["7d"]}


def test_no_comparison_without_conversations(client) -> None:
    assert list_page(client).select("table.aiconvos-comparison") == []
