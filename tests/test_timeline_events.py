"""The timeline tells what happened: conversions, inbox links and escalations among the
messages at their time, and a divider at each takeover, on the right page, by role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from support.http import accessible_text, as_user, soup
from support.sql import count_queries

from flask_aiconvos import Message

DETAILS = "/admin/ai-conversations/details/"
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
#: The host's clock, which stamps inbox links (``link_inbox_item`` takes no time).
NOW = [T0]


@pytest.fixture
def app_config():
    NOW[0] = T0
    return {"clock": lambda: NOW[0]}


def timeline(client, conversation_id: int, user: str = "viewer", **params):
    return soup(
        client.get(DETAILS, query_string={"id": conversation_id, **params}, headers=as_user(user))
    )


def lines(page) -> list[str]:
    """The timeline in page order: ``m:<body>`` for a message, ``<event>:<id>``, ``handoff``."""
    out = []
    for li in page.select(".aiconvos-messages > li"):
        if li.has_attr("data-message-id"):
            out.append("m:" + li.select_one(".aiconvos-message-body").get_text(strip=True))
        elif li.has_attr("data-handoff"):
            out.append("handoff")
        elif li.has_attr("data-event"):
            kind = li["data-event"]
            target = (
                li.get("data-event-kind")
                or li.get("data-event-item")
                or li.get("data-event-ticket")
            )
            out.append(f"{kind}:{target}")
    return out


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def link_inbox(aiconvos, conversation_id: int, minutes: float, **fields):
    NOW[0] = at(minutes)
    return aiconvos.link_inbox_item(conversation_id, **fields)


@pytest.fixture
def story(aiconvos):
    """A takeover story: the AI answers, books a tour, an operator takes over and escalates."""
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat", started_at=at(0))
    link_inbox(aiconvos, conv.id, 0, item_id="INB-1", status="pending", title="Proposed reply")
    for minutes, sender, via, body in [
        (1, "customer", None, "c1"),
        (2, "ai", None, "a1"),
        (4, "customer", None, "c2"),
        (5, "operator", "help_desk", "o1"),
        (6, "operator", None, "o2"),
        (7, "ai", None, "a2"),
        (8, "operator", None, "o3"),
    ]:
        aiconvos.add_message(conv.id, sender=sender, via=via, body=body, sent_at=at(minutes))
    aiconvos.record_conversion(conv.id, kind="tour", target_id="V-1", occurred_at=at(2))
    aiconvos.record_conversion(conv.id, kind="booking", target_id="B-1", occurred_at=at(3))
    aiconvos.escalate(conv.id, ticket_id="T-9", subject="Invoice question", escalated_at=at(5))
    return conv


def test_events_stand_among_the_messages_at_their_time(client, story):
    assert lines(timeline(client, story.id)) == [
        "inbox_item:INB-1",  # linked before the first message
        "m:c1",
        "m:a1",
        "conversion:tour",  # at the same moment as the reply that booked it: after it
        "conversion:booking",
        "m:c2",
        "m:o1",  # the customer wrote last: no takeover divider
        "escalation:T-9",
        "m:o2",
        "m:a2",
        "handoff",
        "m:o3",
    ]


def test_a_divider_stands_before_each_operator_message_after_an_ai_message(client, aiconvos):
    conv = aiconvos.start_conversation(channel="chat", origin="operator_takeover")
    senders = ["ai", "operator", "operator", "customer", "operator", "ai", "ai", "operator"]
    for n, sender in enumerate(senders):
        aiconvos.add_message(conv.id, sender=sender, body=f"{sender}{n}", sent_at=at(n))
    page = timeline(client, conv.id)
    assert lines(page) == [
        "m:ai0",
        "handoff",
        "m:operator1",
        "m:operator2",
        "m:customer3",
        "m:operator4",
        "m:ai5",
        "m:ai6",
        "handoff",
        "m:operator7",
    ]
    for divider in page.select("[data-handoff]"):
        assert divider.find_next_sibling("li")["data-sender"] == "operator"
        assert accessible_text(divider) == "Operator took over from the AI assistant"


@pytest.mark.parametrize(("user", "linked"), [("admin", True), ("viewer", False)])
def test_events_link_to_their_records_by_role(client, story, user, linked):
    page = timeline(client, story.id, user)
    conversion = page.select_one('[data-event="conversion"][data-event-kind="tour"]')
    badge = conversion.select_one('[data-conversion="tour"]')
    assert (badge.name == "a") is linked
    assert accessible_text(badge) == "Tour V-1"
    assert badge.select_one(".aiconvos-icon").get_text() == "🎫"
    inbox = page.select_one('[data-event="inbox_item"]')
    ticket = page.select_one('[data-event="escalation"]')
    for event, href, text in [
        (inbox, "/host/inbox_item/INB-1", "Proposed reply"),
        (ticket, "/host/ticket/T-9", "Invoice question"),
    ]:
        assert text in event.get_text()
        link = event.find("a")
        assert (link is not None) is linked
        if link is not None:
            assert link["href"] == href and link.get_text(strip=True) == text
    # Each event says when it happened, like a message.
    assert conversion.find("time")["datetime"] == "2026-11-10T09:02:00Z"
    assert ticket.find("time")["datetime"] == "2026-11-10T09:05:00Z"
    assert inbox.find("time")["datetime"] == "2026-11-10T09:00:00Z"


def test_an_inbox_event_shows_the_items_current_status(client, aiconvos, story):
    link_inbox(aiconvos, story.id, 30, item_id="INB-1", status="approved", title="Proposed reply")
    page = timeline(client, story.id)
    (event,) = page.select('[data-event="inbox_item"]')
    assert event["data-status"] == "approved"
    badge = event.select_one(".aiconvos-status")
    assert badge.get_text(strip=True) == "Approved" and "aiconvos-status-done" in badge["class"]
    # Still where it was linked, not where its status changed.
    assert lines(page).index("inbox_item:INB-1") == 0


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_each_event_is_on_the_one_page_whose_span_holds_it(client, app, story, size):
    app.extensions["aiconvos"].timeline_page_size = size
    pages = []
    page = timeline(client, story.id)
    pages.append(lines(page))
    while (earlier := page.select_one("[data-earlier]")) is not None:
        page = soup(client.get(earlier["href"], headers=as_user("viewer")))
        pages.insert(0, lines(page))
    walked = [line for page_lines in pages for line in page_lines]
    assert walked == lines(timeline_whole(client, app, story.id))
    # A takeover divider at a page's top still needs the AI message of the page before.
    assert walked.count("handoff") == 1


def timeline_whole(client, app, conversation_id: int):
    state = app.extensions["aiconvos"]
    size, state.timeline_page_size = state.timeline_page_size, 100
    try:
        return timeline(client, conversation_id)
    finally:
        state.timeline_page_size = size


def test_an_empty_page_before_the_oldest_message_shows_no_events(client, story, aiconvos):
    page = timeline(client, story.id)
    oldest = min(int(li["data-message-id"]) for li in page.select("[data-message-id]"))
    earlier = timeline(client, story.id, before=oldest)
    assert earlier.select("[data-event]") == [] and earlier.select("[data-message-id]") == []


def test_a_conversation_without_messages_still_shows_its_events(client, aiconvos):
    conv = aiconvos.start_conversation(channel="voice", origin="proactive_outbound")
    link_inbox(aiconvos, conv.id, 1, item_id="INB-5", status="deferred", title="Call back")
    page = timeline(client, conv.id)
    assert lines(page) == ["inbox_item:INB-5"]
    assert "No messages yet." in page.select_one(".aiconvos-messages").get_text()


def test_events_cost_no_query_per_event_or_message(client, aiconvos, db):
    counts = []
    for size in (2, 40):
        conv = aiconvos.start_conversation(channel="chat", origin="portal_chat")
        for n in range(size):
            aiconvos.add_message(
                conv.id, sender=("ai", "operator")[n % 2], body=f"m{n}", sent_at=at(n)
            )
            aiconvos.record_conversion(
                conv.id, kind="booking", target_id=f"B-{n}", occurred_at=at(n)
            )
            link_inbox(aiconvos, conv.id, n, item_id=f"I-{n}", status="pending")
            aiconvos.escalate(conv.id, ticket_id=f"T-{n}", subject="s", escalated_at=at(n))
        for before in (None, "last"):
            params = {"id": conv.id}
            if before:
                params["before"] = conv_last_message_id(db, conv.id)
            with count_queries(db.engine) as statements:
                response = client.get(DETAILS, query_string=params, headers=as_user("admin"))
                assert response.status_code == 200
            counts.append(len(statements))
    assert counts[0] == counts[2] and counts[1] == counts[3] and max(counts) <= 6, counts


def conv_last_message_id(db, conversation_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.max(Message.id)).where(Message.conversation_id == conversation_id)
    )
