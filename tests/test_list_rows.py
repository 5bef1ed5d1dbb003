"""The list rows: columns, badges and links by role, order, paging, read-only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from support.hosts import FIXED_NOW
from support.http import accessible_text, soup
from support.http import flat_text as text
from support.listing import (
    LIST_URL,
    converted,
    get_list,
    list_page,
    query_of,
    row,
    row_ids,
    start,
)

from flask_aiconvos import AIConversations

BADGE_CLASSES = {
    "tour": ("aiconvos-badge-tour", "#6f42c1"),  # purple
    "customer": ("aiconvos-badge-customer", "#1e7e34"),  # green
    "contract": ("aiconvos-badge-contract", "#0056b3"),  # blue
    "booking": ("aiconvos-badge-booking", "#b85c00"),  # orange
    "day_pass": ("aiconvos-badge-day-pass", "#137a70"),  # teal
}
BADGE_LABELS = {
    "tour": "Tour",
    "customer": "Customer",
    "contract": "Contract",
    "booking": "Booking",
    "day_pass": "Day pass",
}


def cell(page, conversation_id: int, column: str):
    found = row(page, conversation_id).select_one(f"td.col-{column}")
    assert found is not None
    return found


# --- conversion badges ------------------------------------------------------------------------


def test_every_badge_has_its_colour(client, aiconvos: AIConversations) -> None:
    conversation = converted(aiconvos, "tour", "customer", "contract", "booking", "day_pass")

    page = list_page(client, "viewer")

    badges = cell(page, conversation.id, "conversions").select("[data-conversion]")
    assert [b["data-conversion"] for b in badges] == list(BADGE_CLASSES)
    styles = " ".join(style.get_text() for style in page.select("style"))
    for badge in badges:
        css_class, colour = BADGE_CLASSES[badge["data-conversion"]]
        assert css_class in badge["class"]
        assert accessible_text(badge) == BADGE_LABELS[badge["data-conversion"]]
        assert re.search(rf"\.{css_class}\s*{{\s*background-color:\s*{colour}", styles), css_class


def test_admin_gets_a_link_for_every_badge(client, aiconvos: AIConversations) -> None:
    conversation = converted(aiconvos, "tour", "customer", "contract", "booking", "day_pass")

    page = list_page(client, "admin")

    badges = cell(page, conversation.id, "conversions").select("[data-conversion]")
    assert len(badges) == 5
    for badge in badges:
        kind = badge["data-conversion"]
        assert badge.name == "a", kind
        assert (
            badge["href"]
            == f"/host/{kind}/{kind}-{conversation.id}-{list(BADGE_CLASSES).index(kind)}"
        )


def test_viewer_sees_every_badge_without_a_link(client, aiconvos: AIConversations) -> None:
    conversation = converted(aiconvos, "tour", "customer", "contract", "booking", "day_pass")

    page = list_page(client, "viewer")

    conversion = cell(page, conversation.id, "conversions")
    badges = conversion.select("[data-conversion]")
    assert sorted(b["data-conversion"] for b in badges) == sorted(BADGE_CLASSES)
    assert all(b.name == "span" for b in badges)
    assert conversion.select("a") == []


def only_visitors(user, role: str) -> bool:
    """A role checker granting the view role and the tour role only."""
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and role
        in {
            "aiChannelSession",
            "visitors",
        }
    )


@pytest.mark.parametrize("app_config", [{"role_checker": only_visitors}])
def test_each_badge_links_only_with_its_own_role(client, aiconvos: AIConversations) -> None:
    conversation = converted(aiconvos, "tour", "booking", "contract")

    page = list_page(client, "viewer")

    badges = {
        b["data-conversion"]: b
        for b in cell(page, conversation.id, "conversions").select("[data-conversion]")
    }
    assert badges["tour"].name == "a"
    assert badges["tour"]["href"].startswith("/host/tour/")
    assert badges["booking"].name == "span"
    assert badges["contract"].name == "span"


@pytest.mark.parametrize("app_config", [{"links": {"booking": "booking_detail"}}])
def test_a_kind_without_a_configured_link_is_a_plain_badge(
    client, aiconvos: AIConversations
) -> None:
    conversation = converted(aiconvos, "tour", "booking")

    page = list_page(client, "admin")

    badges = {
        b["data-conversion"]: b
        for b in cell(page, conversation.id, "conversions").select("[data-conversion]")
    }
    assert badges["booking"].name == "a"
    assert badges["tour"].name == "span"


def test_several_records_of_a_kind_show_a_count_and_link_to_the_newest(
    client, aiconvos: AIConversations
) -> None:
    conversation = start(aiconvos)
    # Recorded out of order: the newest booking (by when it happened) is B-3.
    for target, minutes_ago in [("B-1", 50), ("B-3", 10), ("B-2", 30)]:
        aiconvos.record_conversion(
            conversation.id,
            kind="booking",
            target_id=target,
            occurred_at=FIXED_NOW - timedelta(minutes=minutes_ago),
        )
    aiconvos.record_conversion(conversation.id, kind="tour", target_id="V-1")
    single = converted(aiconvos, "booking")

    page = list_page(client, "admin")

    booking = cell(page, conversation.id, "conversions").select_one('[data-conversion="booking"]')
    assert booking.name == "a"
    assert booking["href"] == "/host/booking/B-3"
    assert accessible_text(booking) == "Booking ×3"
    tour = cell(page, conversation.id, "conversions").select_one('[data-conversion="tour"]')
    assert accessible_text(tour) == "Tour"
    assert "×" not in text(cell(page, single.id, "conversions"))
    viewer_badge = cell(list_page(client, "viewer"), conversation.id, "conversions").select_one(
        '[data-conversion="booking"]'
    )
    assert viewer_badge.name == "span"
    assert accessible_text(viewer_badge) == "Booking ×3"


def test_a_conversation_without_conversions_has_no_badge(client, aiconvos: AIConversations) -> None:
    conversation = start(aiconvos)

    page = list_page(client, "admin")

    assert cell(page, conversation.id, "conversions").select("[data-conversion]") == []


# --- customer, subject, channel, activity, escalation -------------------------------------------


def test_customer_column(client, aiconvos: AIConversations) -> None:
    linked = start(aiconvos, customer_id="C-1", customer_name="Ann Lee", customer_company="Acme")
    no_company = start(aiconvos, customer_id="C-2", customer_name="Bob Ray")
    email = start(aiconvos, external_identifier="visitor@example.com")
    phone = start(aiconvos, channel="whatsapp", external_identifier="+44 7700 900123")
    linked_unnamed = start(aiconvos, customer_id="C-3", external_identifier="c3@example.com")
    bare = start(aiconvos, customer_id="C-4")
    # A name without a customer link: the identifier is what identifies the conversation.
    unlinked_named = start(aiconvos, customer_name="Zed", external_identifier="zed@example.com")

    page = list_page(client, "viewer")

    assert text(cell(page, linked.id, "customer")) == "Ann Lee • Acme"
    assert text(cell(page, no_company.id, "customer")) == "Bob Ray"
    assert text(cell(page, email.id, "customer")) == "visitor@example.com"
    assert text(cell(page, phone.id, "customer")) == "+44 7700 900123"
    assert text(cell(page, linked_unnamed.id, "customer")) == "c3@example.com"
    assert text(cell(page, bare.id, "customer")) == "Customer C-4"
    assert text(cell(page, unlinked_named.id, "customer")) == "zed@example.com"
    assert cell(page, email.id, "customer").select_one(".aiconvos-customer-identifier")
    assert cell(page, linked.id, "customer").select_one(".aiconvos-customer-identifier") is None
    assert cell(page, linked.id, "customer").select("a") == []  # the viewer has no customer role


def test_a_linked_customer_links_to_the_profile_with_the_customer_role(
    client, aiconvos: AIConversations
) -> None:
    linked = start(aiconvos, customer_id="C-1", customer_name="Ann Lee", customer_company="Acme")
    email = start(aiconvos, external_identifier="visitor@example.com")

    page = list_page(client, "admin")

    link = cell(page, linked.id, "customer").select_one("a")
    assert link["href"] == "/host/customer/C-1"
    assert text(link) == "Ann Lee • Acme"
    assert cell(page, email.id, "customer").select("a") == []


def test_subject_or_first_line_of_the_first_message(client, aiconvos: AIConversations) -> None:
    with_subject = start(aiconvos, subject="Meeting room for Friday")
    aiconvos.add_message(with_subject.id, sender="customer", body="Hello")
    fallback = start(aiconvos)
    aiconvos.add_message(
        fallback.id,
        sender="ai",
        body="A later reply",
        sent_at=FIXED_NOW - timedelta(minutes=5),
    )
    # Recorded second but sent first: this is the first message.
    aiconvos.add_message(
        fallback.id,
        sender="customer",
        body="Do you have a desk tomorrow?\nFor two people.",
        sent_at=FIXED_NOW - timedelta(minutes=20),
    )
    html_first = start(aiconvos, channel="email")
    aiconvos.add_message(
        html_first.id,
        sender="customer",
        body="<p><b>Invoice</b> question</p><p>Second paragraph</p>",
        content_format="html",
    )
    empty = start(aiconvos)

    page = list_page(client)

    subject = cell(page, with_subject.id, "subject").select_one("a")
    assert text(subject) == "Meeting room for Friday"
    assert subject["href"] == f"{LIST_URL}details/?id={with_subject.id}"
    assert "aiconvos-fallback-title" not in (subject.get("class") or [])
    first_line = cell(page, fallback.id, "subject").select_one("a")
    # The opening message on one line, not just its first line (tests/test_fallback_subject.py).
    assert text(first_line) == "Do you have a desk tomorrow? For two people."
    assert "aiconvos-fallback-title" in first_line["class"]
    assert first_line["href"] == f"{LIST_URL}details/?id={fallback.id}"
    assert text(cell(page, html_first.id, "subject")) == "Invoice question Second paragraph"
    assert text(cell(page, empty.id, "subject")) == "(no messages yet)"


def test_the_subject_link_opens_the_timeline(client, aiconvos: AIConversations) -> None:
    conversation = start(aiconvos, subject="Tour on Monday")

    href = cell(list_page(client), conversation.id, "subject").select_one("a")["href"]

    assert client.get(href, headers={"X-Test-User": "viewer"}).status_code == 200


def test_channel_labels(client, aiconvos: AIConversations) -> None:
    labels = {
        "chat": "Chat",
        "email": "Email (AI)",
        "whatsapp": "WhatsApp",
        "voice": "Voice call",
        "email_message": "Email Message",
        "help_desk": "Help Desk",
    }
    ids = {channel: start(aiconvos, channel=channel).id for channel in labels}

    page = list_page(client)

    for channel, label in labels.items():
        assert text(cell(page, ids[channel], "channel")) == label


def test_last_activity_is_relative_with_the_exact_time_on_hover(
    client, aiconvos: AIConversations
) -> None:
    quiet = start(aiconvos, started_at=FIXED_NOW - timedelta(days=3))
    active = start(aiconvos, started_at=FIXED_NOW - timedelta(days=3))
    aiconvos.add_message(
        active.id, sender="customer", body="Hi", sent_at=FIXED_NOW - timedelta(minutes=15)
    )

    page = list_page(client)

    moment = cell(page, active.id, "last_activity_at").select_one("time")
    assert moment["datetime"] == "2026-11-18T15:15:00Z"
    # The test host is British English (en_GB), through Flask-Babel.
    assert moment["title"] == "Wed, 18 Nov 2026, 15:15 UTC"
    assert text(moment) == "15 minutes ago"
    since_start = cell(page, quiet.id, "last_activity_at").select_one("time")
    assert since_start["datetime"] == "2026-11-15T15:30:00Z"
    assert text(since_start) == "3 days ago"


@pytest.mark.parametrize("app_config", [{"AICONVOS_TIMEZONE": "Europe/Berlin"}])
def test_the_exact_time_is_in_the_configured_zone(client, aiconvos: AIConversations) -> None:
    conversation = start(aiconvos, started_at=FIXED_NOW - timedelta(hours=2))

    moment = cell(list_page(client), conversation.id, "last_activity_at").select_one("time")

    assert moment["datetime"] == "2026-11-18T13:30:00Z"
    assert moment["title"] == "Wed, 18 Nov 2026, 14:30 CET"
    assert text(moment) == "2 hours ago"


def test_escalated_badge(client, aiconvos: AIConversations) -> None:
    escalated = start(aiconvos)
    aiconvos.escalate(escalated.id, ticket_id="T-1", subject="Payment inquiry")
    calm = start(aiconvos)

    page = list_page(client)

    badge = cell(page, escalated.id, "escalated").select_one("[data-escalated]")
    assert badge is not None
    assert text(badge) == "Escalated"
    assert "badge-warning" in badge["class"]
    assert row(page, calm.id).select("[data-escalated]") == []
    assert len(page.select("[data-escalated]")) == 1


def test_each_row_holds_all_its_cells(client, aiconvos: AIConversations) -> None:
    conversation = converted(
        aiconvos, "booking", subject="Room", customer_id="C-1", customer_name="Ann"
    )
    aiconvos.escalate(conversation.id, ticket_id="T-1", subject="Help")

    tr = row(list_page(client), conversation.id)

    assert tr.name == "tr"
    assert [td["class"][0] for td in tr.find_all("td", recursive=False)] == [
        "col-subject",
        "col-conversions",
        "col-customer",
        "col-channel",
        "col-last_activity_at",
        "col-escalated",
    ]
    headers = [text(th) for th in list_page(client).select("table.aiconvos-list thead th")]
    assert headers == ["Subject", "Conversion", "Customer", "Channel", "Last activity", "Escalated"]


# --- order ------------------------------------------------------------------------------------


def test_newest_activity_first_and_only_messages_move_a_conversation(
    client, aiconvos: AIConversations
) -> None:
    old = start(aiconvos, started_at=FIXED_NOW - timedelta(days=5))
    middle = start(aiconvos, started_at=FIXED_NOW - timedelta(days=3))
    recent = start(aiconvos, started_at=FIXED_NOW - timedelta(days=1))
    # A message moves the oldest conversation to the top ...
    aiconvos.add_message(
        old.id, sender="customer", body="Hi", sent_at=FIXED_NOW - timedelta(hours=1)
    )
    # ... conversions, inbox items and escalations recorded now do not move the middle one.
    aiconvos.record_conversion(middle.id, kind="booking", target_id="B-1", occurred_at=FIXED_NOW)
    aiconvos.link_inbox_item(middle.id, item_id="INB-1", status="pending")
    aiconvos.escalate(middle.id, ticket_id="T-1", subject="Help")

    assert row_ids(list_page(client)) == [old.id, recent.id, middle.id]


def test_same_activity_is_ordered_newest_id_first(client, aiconvos: AIConversations) -> None:
    same = FIXED_NOW - timedelta(hours=2)
    ids = [start(aiconvos, started_at=same).id for _ in range(3)]

    assert row_ids(list_page(client)) == sorted(ids, reverse=True)


def test_sorting_by_last_activity_toggles_and_keeps_the_view(
    client, aiconvos: AIConversations
) -> None:
    ids = [start(aiconvos, started_at=FIXED_NOW - timedelta(days=n)).id for n in range(3)]

    page = list_page(client, channel="chat", search="")
    header = page.select_one("th[aria-sort]")
    assert header["aria-sort"] == "descending"
    ascending_url = header.select_one("a")["href"]
    assert query_of(ascending_url)["channel"] == ["chat"]

    ascending = list_page(client, **{k: v[0] for k, v in query_of(ascending_url).items()})
    assert row_ids(ascending) == [ids[2], ids[1], ids[0]]
    assert ascending.select_one("th[aria-sort]")["aria-sort"] == "ascending"
    back_url = ascending.select_one("th[aria-sort] a")["href"]
    assert "sort" not in query_of(back_url)
    assert row_ids(list_page(client, **{k: v[0] for k, v in query_of(back_url).items()})) == ids


@pytest.mark.parametrize("sort", ["0", "1", "2", "3", "5", "99", "-1", "x"])
def test_other_sort_columns_keep_the_default_order(client, aiconvos: AIConversations, sort) -> None:
    ids = [start(aiconvos, started_at=FIXED_NOW - timedelta(days=n)).id for n in range(3)]

    page = list_page(client, sort=sort)

    assert row_ids(page) == ids
    assert page.select_one("th[aria-sort]")["aria-sort"] == "descending"


# --- paging -----------------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"AICONVOS_PAGE_SIZE": 3}])
def test_page_size_and_paging(client, aiconvos: AIConversations) -> None:
    ids = [start(aiconvos, started_at=FIXED_NOW - timedelta(hours=n)).id for n in range(7)]

    first = list_page(client)
    second = list_page(client, page=1)
    third = list_page(client, page=2)

    assert row_ids(first) == ids[0:3]
    assert row_ids(second) == ids[3:6]
    assert row_ids(third) == ids[6:7]
    assert text(first.select_one("#aiconvos-showing")) == "Showing 1–3 of 7 conversations."
    assert text(second.select_one("#aiconvos-showing")) == "Showing 4–6 of 7 conversations."
    assert text(third.select_one("#aiconvos-showing")) == "Showing 7–7 of 7 conversations."
    # The metrics describe the whole view, not the page.
    assert second.select_one('[data-metric="total"]')["data-count"] == "7"
    pages = [text(a) for a in first.select(".pagination .page-link")]
    assert pages[:3] == ["1", "2", "3"]
    next_link = first.select_one('.pagination a[rel="next"]')["href"]
    assert query_of(next_link)["page"] == ["1"]
    assert first.select_one('.pagination [aria-current="page"]').get_text(strip=True) == "1"


def test_the_default_page_size_is_25_and_the_url_cannot_change_it(
    client, aiconvos: AIConversations
) -> None:
    for n in range(26):
        start(aiconvos, started_at=FIXED_NOW - timedelta(minutes=n))

    assert len(row_ids(list_page(client))) == 25
    assert len(row_ids(list_page(client, page=1))) == 1
    assert len(row_ids(list_page(client, page_size=2))) == 25
    assert len(row_ids(list_page(client, page_size=1000))) == 25


@pytest.mark.parametrize("app_config", [{"AICONVOS_PAGE_SIZE": 2}])
def test_a_page_past_the_end(client, aiconvos: AIConversations) -> None:
    for n in range(5):
        start(aiconvos, started_at=FIXED_NOW - timedelta(hours=n))

    page = list_page(client, channel="chat", page=9)

    assert row_ids(page) == []
    empty = page.select_one("#aiconvos-empty")
    assert empty["data-empty"] == "past-end"
    assert "Page 10 is past the end" in text(empty)
    last = empty.select_one("a")["href"]
    assert query_of(last) == {"channel": ["chat"], "page": ["2"]}
    assert len(row_ids(list_page(client, **{k: v[0] for k, v in query_of(last).items()}))) == 1
    assert page.select_one('[data-metric="total"]')["data-count"] == "5"


@pytest.mark.parametrize("app_config", [{"AICONVOS_PAGE_SIZE": 2}])
@pytest.mark.parametrize("value", ["-1", "-999999999999", "abc", "1.5", ""])
def test_a_negative_or_malformed_page_is_the_first_page(
    client, aiconvos: AIConversations, value
) -> None:
    ids = [start(aiconvos, started_at=FIXED_NOW - timedelta(hours=n)).id for n in range(3)]

    response = get_list(client, page=value)

    assert response.status_code == 200
    page = soup(response)
    assert row_ids(page) == ids[:2]
    assert page.select_one('.pagination [aria-current="page"]').get_text(strip=True) == "1"


def test_an_enormous_page_number_is_past_the_end(client, aiconvos: AIConversations) -> None:
    start(aiconvos)

    page = list_page(client, page=str(10**30))

    assert row_ids(page) == []
    assert page.select_one("#aiconvos-empty")["data-empty"] == "past-end"


# --- read-only --------------------------------------------------------------------------------


def test_the_list_offers_nothing_to_change(client, aiconvos: AIConversations) -> None:
    conversation = converted(aiconvos, "booking")
    aiconvos.escalate(conversation.id, ticket_id="T-1", subject="Help")

    for user in ("viewer", "admin"):
        response = get_list(client, user)
        body = response.get_data(as_text=True)
        page = soup(response)
        content = page.select_one("#aiconvos-list-page")
        methods = [form.get("method", "get").lower() for form in page.select("form")]
        assert methods == ["get"] * 3  # the date range, the search, the outcome filter
        assert content.select('input[type="checkbox"]') == []
        assert content.select("[contenteditable]") == []
        # The one other button shows the keyboard shortcuts' help.
        assert content.select("button:not([type=submit]):not([data-shortcuts-toggle])") == []
        for path in ("/new/", "/edit/", "/delete/", "/action/", "/export/", "/ajax/"):
            assert f"ai-conversations{path}" not in body, path
        for word in ("Create", "Delete", "Edit", "With selected"):
            assert word not in text(content), word


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "new/"),
        ("post", "new/"),
        ("get", "edit/?id=1"),
        ("post", "edit/?id=1"),
        ("post", "delete/"),
        ("post", "action/"),
        ("get", "export/csv/"),
    ],
)
def test_write_routes_are_not_reachable(client, aiconvos: AIConversations, method, path) -> None:
    conversation = start(aiconvos)
    assert conversation.id == 1

    response = getattr(client, method)(
        LIST_URL + path,
        data={"id": "1", "rowid": "1", "action": "delete"},
        headers={"X-Test-User": "admin"},
    )

    assert response.status_code == 404
    assert row_ids(list_page(client, "admin")) == [1]
