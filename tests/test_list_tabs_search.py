"""Channel tabs (``channel=``) and search (``search=``) on the list page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.hosts import FIXED_NOW
from support.http import as_user
from support.listing import (
    LIST_URL,
    active_tabs,
    get_list,
    list_page,
    metric,
    query_of,
    row_ids,
    start,
    tab,
    tab_count,
    tabs,
)

from flask_aiconvos import AIConversations


def seed_channels(aiconvos: AIConversations, counts: dict[str, int]) -> dict[str, list[int]]:
    ids: dict[str, list[int]] = {}
    minute = 0
    for channel, count in counts.items():
        for _ in range(count):
            minute += 1
            started = FIXED_NOW - timedelta(minutes=minute)
            ids.setdefault(channel, []).append(
                start(aiconvos, channel=channel, started_at=started).id
            )
    return ids


# --- tabs -------------------------------------------------------------------------------------


def test_default_tabs_with_all_active(client) -> None:
    page = list_page(client)

    assert tabs(page) == ["all", "chat", "email", "whatsapp"]
    assert active_tabs(page) == ["all"]
    assert [tab(page, c).contents[0].strip() for c in tabs(page)] == [
        "All",
        "Chat",
        "Email",
        "WhatsApp",
    ]
    assert {c: tab_count(page, c) for c in tabs(page)} == {
        "all": 0,
        "chat": 0,
        "email": 0,
        "whatsapp": 0,
    }


def test_other_channels_get_a_tab_once_they_have_conversations(
    client, aiconvos: AIConversations
) -> None:
    seed_channels(aiconvos, {"chat": 1})
    assert tabs(list_page(client)) == ["all", "chat", "email", "whatsapp"]

    seed_channels(aiconvos, {"help_desk": 2, "voice": 1, "email_message": 3})
    page = list_page(client)

    assert tabs(page) == ["all", "chat", "email", "whatsapp", "voice", "email_message", "help_desk"]
    labels = {c: tab(page, c).contents[0].strip() for c in tabs(page)}
    assert labels["voice"] == "Voice call"
    assert labels["email_message"] == "Email Message"
    assert labels["help_desk"] == "Help Desk"
    assert tab_count(page, "all") == 7
    assert tab_count(page, "help_desk") == 2
    assert tab_count(page, "email_message") == 3


@pytest.mark.parametrize(
    "channel", ["chat", "email", "whatsapp", "voice", "email_message", "help_desk"]
)
def test_each_tab_lists_its_channel_only(client, aiconvos: AIConversations, channel) -> None:
    ids = seed_channels(
        aiconvos,
        {"chat": 2, "email": 1, "whatsapp": 3, "voice": 1, "email_message": 2, "help_desk": 1},
    )

    page = list_page(client, channel=channel)

    assert active_tabs(page) == [channel]
    assert tab(page, channel)["aria-current"] == "page"
    assert "active" in tab(page, channel)["class"]
    assert sorted(row_ids(page)) == sorted(ids[channel])
    assert {el["data-channel"] for el in page.select("td.col-channel [data-channel]")} == {channel}
    assert metric(page, "total") == (len(ids[channel]), None)
    # Every tab still shows its own count, whichever is active.
    assert tab_count(page, "all") == 10
    assert tab_count(page, "whatsapp") == 3


def test_all_tab_is_the_default_and_can_be_named(client, aiconvos: AIConversations) -> None:
    seed_channels(aiconvos, {"chat": 1, "whatsapp": 1})

    assert row_ids(list_page(client, channel="all")) == row_ids(list_page(client))
    assert active_tabs(list_page(client, channel="all")) == ["all"]
    assert "channel" not in query_of(tab(list_page(client, channel="chat"), "all")["href"])


def test_an_empty_other_channel_tab_still_shows_when_asked_for(client) -> None:
    page = list_page(client, channel="voice")

    assert tabs(page)[-1] == "voice"
    assert active_tabs(page) == ["voice"]
    empty = page.select_one("#aiconvos-empty")
    assert empty["data-empty"] == "filtered"
    assert "No Voice call conversations" in empty.get_text()
    assert query_of(empty.select_one("a")["href"]) == {}


@pytest.mark.parametrize(
    "value",
    ["sms", "CHAT", "Chat", "chat ", "%00", "\x00", "chat\nx", "'; DROP TABLE x;--", "ü" * 500],
)
def test_an_unknown_channel_is_a_400(client, value) -> None:
    response = get_list(client, channel=value)

    assert response.status_code == 400


def test_the_tab_is_kept_through_paging_sorting_search_and_dates(
    client, aiconvos: AIConversations, app
) -> None:
    app.extensions["aiconvos"].view.page_size = 2
    seed_channels(aiconvos, {"whatsapp": 5, "chat": 1})

    page = list_page(client, channel="whatsapp", search="", range="7d")

    pager_links = [a["href"] for a in page.select(".pagination a")]
    assert pager_links
    assert all(query_of(href)["channel"] == ["whatsapp"] for href in pager_links)
    assert query_of(page.select_one("th[aria-sort] a")["href"])["channel"] == ["whatsapp"]
    search_form = page.select_one('form[role="search"]')
    hidden = {i["name"]: i["value"] for i in search_form.select('input[type="hidden"]')}
    assert hidden == {"channel": "whatsapp", "range": "7d"}
    date_form = page.select_one('form[aria-label="Custom date range"]')
    assert {i["name"]: i["value"] for i in date_form.select('input[type="hidden"]')} == {
        "channel": "whatsapp"
    }
    for preset in page.select("a[data-range]"):
        assert query_of(preset["href"])["channel"] == ["whatsapp"], preset["data-range"]
    second = list_page(client, **{k: v[0] for k, v in query_of(pager_links[0]).items()})
    assert active_tabs(second) == ["whatsapp"]
    assert {el["data-channel"] for el in second.select("td.col-channel [data-channel]")} == {
        "whatsapp"
    }


def test_switching_tabs_keeps_search_dates_and_sort_and_resets_the_page(client, aiconvos) -> None:
    seed_channels(aiconvos, {"chat": 1})

    page = list_page(client, channel="chat", search="desk", range="this_month", sort="4", page="3")

    assert query_of(tab(page, "email")["href"]) == {
        "channel": ["email"],
        "search": ["desk"],
        "range": ["this_month"],
        "sort": ["4"],
    }
    assert query_of(tab(page, "all")["href"]) == {
        "search": ["desk"],
        "range": ["this_month"],
        "sort": ["4"],
    }


# --- search -----------------------------------------------------------------------------------


@pytest.fixture
def people(aiconvos: AIConversations) -> dict[str, int]:
    """One conversation per searchable field, each with a distinct value."""
    made = {
        "name": start(
            aiconvos, customer_id="C-1", customer_name="Annabel Quist", customer_company="Xylo"
        ),
        "company": start(
            aiconvos,
            customer_id="C-2",
            customer_name="Bo Lind",
            customer_company="Northwind Traders",
        ),
        "subject": start(aiconvos, subject="Private office for twelve"),
        "first_message": start(aiconvos, channel="whatsapp"),
        "email": start(aiconvos, channel="email", external_identifier="grace.hopper@navy.example"),
        "phone": start(aiconvos, channel="whatsapp", external_identifier="+44 7700 900123"),
        "other": start(aiconvos, subject="Nothing to see", external_identifier="+1 555 0100"),
    }
    aiconvos.add_message(
        made["first_message"].id,
        sender="customer",
        body="Is the rooftop terrace open in winter?\nThanks",
        sent_at=FIXED_NOW - timedelta(minutes=10),
    )
    aiconvos.add_message(
        made["first_message"].id,
        sender="ai",
        body="Yes, with heaters",
        sent_at=FIXED_NOW - timedelta(minutes=5),
    )
    return {key: conversation.id for key, conversation in made.items()}


@pytest.mark.parametrize(
    ("term", "field"),
    [
        ("Annabel", "name"),
        ("annabel quist", "name"),
        ("NORTHWIND", "company"),
        ("wind trad", "company"),
        ("private office", "subject"),
        ("TWELVE", "subject"),
        ("rooftop terrace", "first_message"),
        ("Winter?", "first_message"),
        ("grace.hopper@", "email"),
        ("NAVY.example", "email"),
        ("7700 900123", "phone"),
        ("+44 7700", "phone"),
        ("7700900123", "phone"),
        ("+447700900123", "phone"),
    ],
)
def test_search_matches_each_field_case_insensitively(client, people, term, field) -> None:
    page = list_page(client, search=term)

    assert row_ids(page) == [people[field]]
    assert metric(page, "total") == (1, None)
    assert tab_count(page, "all") == 1
    assert page.select_one("#aiconvos-search")["value"] == term


def test_search_matches_a_later_message_too(client, people) -> None:
    # 0.1 searched the first message only; 0.2 searches every message.
    assert row_ids(list_page(client, search="heaters")) == [people["first_message"]]


def test_search_words_must_all_match(client, people) -> None:
    assert row_ids(list_page(client, search="annabel xylo")) == [people["name"]]
    assert row_ids(list_page(client, search="annabel northwind")) == []


@pytest.fixture
def literal(aiconvos: AIConversations) -> dict[str, int]:
    subjects = {
        "percent": "Discount 100% off",
        "plain": "Discount 1000 off",
        "underscore": "Code desk_42",
        "no_underscore": "Code deskx42",
        "apostrophe": "O'Brien's office",
        "quote": 'The "big" room',
        "backslash": r"Path C:\desk",
        "umlaut": "Büro in Zürich",
        "ascii": "Buro in Zurich",
        "greek": "Γραφείο Αθήνα",
        "emoji": "Coffee ☕ corner",
    }
    return {key: start(aiconvos, subject=subject).id for key, subject in subjects.items()}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("100%", ["percent"]),
        ("%", ["percent"]),
        ("0% off", ["percent"]),
        ("desk_42", ["underscore"]),
        ("_", ["underscore"]),
        ("o'brien", ["apostrophe"]),
        ("'", ["apostrophe"]),
        ('"big"', ["quote"]),
        ("\\desk", ["backslash"]),
        ("\\", ["backslash"]),
        # Accent-insensitive both ways (0.2).
        ("zürich", ["umlaut", "ascii"]),
        ("ZÜRICH", ["umlaut", "ascii"]),
        ("BÜRO", ["umlaut", "ascii"]),
        ("zurich", ["umlaut", "ascii"]),
        ("αθήνα", ["greek"]),
        ("☕", ["emoji"]),
    ],
)
def test_search_text_is_literal(client, literal, term, expected) -> None:
    page = list_page(client, search=term)

    assert sorted(row_ids(page)) == sorted(literal[key] for key in expected)


@pytest.mark.parametrize(
    "term",
    [
        "\x00",
        "a\x00b",
        "%00",
        "x" * 10_000,
        " ".join(["w"] * 500),
        "'; DROP TABLE aiconvos_conversation; --",
        "<script>alert(1)</script>",
        "[a-z]*",
        "\t\n\r",
    ],
)
def test_hostile_search_terms_never_fail(client, literal, term) -> None:
    response = get_list(client, search=term)

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in body
    assert list_page(client).select("tr[data-conversation-id]")  # the table is still there


@pytest.mark.parametrize(
    "raw", ["search=%FF%FE", "search=%ED%A0%80", "search=%C0%AF", "search&search=x"]
)
def test_undecodable_search_bytes_never_fail(client, literal, raw) -> None:
    response = client.get(f"{LIST_URL}?{raw}", headers=as_user("viewer"))

    assert response.status_code == 200


def test_a_blank_search_shows_everything(client, literal) -> None:
    assert len(row_ids(list_page(client, search="   "))) == len(literal)


def test_search_is_kept_through_tabs_paging_and_dates(
    client, aiconvos: AIConversations, app
) -> None:
    app.extensions["aiconvos"].view.page_size = 1
    for n in range(3):
        start(aiconvos, subject=f"Desk {n}", started_at=FIXED_NOW - timedelta(minutes=n))

    page = list_page(client, search="Desk")

    assert len(row_ids(page)) == 1
    for link in [
        *page.select("[data-channel-tab]"),
        *page.select("a[data-range]"),
        *page.select(".pagination a"),
    ]:
        assert query_of(link["href"])["search"] == ["Desk"], link
    date_form = page.select_one('form[aria-label="Custom date range"]')
    assert {i["name"]: i["value"] for i in date_form.select('input[type="hidden"]')} == {
        "search": "Desk"
    }
    clear = page.find("a", string="Clear search")
    assert "search" not in query_of(clear["href"])


def test_no_match_explains_and_offers_a_way_back(client, people) -> None:
    page = list_page(client, search="zzz-nothing", channel="chat", range="today")

    empty = page.select_one("#aiconvos-empty")
    assert empty["data-empty"] == "filtered"
    message = " ".join(empty.get_text(" ", strip=True).split())
    assert message.startswith(
        "No Chat conversations match these filters. Search: “zzz-nothing” Started in this date range"
    )
    links = {a.get_text(strip=True): query_of(a["href"]) for a in empty.select("a")}
    assert links == {
        "Clear search": {"channel": ["chat"], "range": ["today"]},
        "Show all time": {"channel": ["chat"], "search": ["zzz-nothing"]},
        "Show all channels": {"search": ["zzz-nothing"], "range": ["today"]},
    }
