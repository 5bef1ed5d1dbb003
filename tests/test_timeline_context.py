"""The timeline's context header and callouts: channel, customer, origin, inbox, escalations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.http import accessible_text, as_user, soup

DETAILS = "/admin/ai-conversations/details/"
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def timeline(client, conversation_id: int, user: str = "admin", **params):
    return soup(
        client.get(DETAILS, query_string={"id": conversation_id, **params}, headers=as_user(user))
    )


@pytest.fixture
def linked(aiconvos):
    conv = aiconvos.start_conversation(
        channel="whatsapp",
        origin="operator_takeover",
        customer_id="C-7",
        customer_name="Zoë Müller",
        customer_company="Acme Ltd",
        started_at=T0,
    )
    aiconvos.add_message(conv.id, sender="customer", body="Hi", sent_at=T0 + timedelta(minutes=1))
    return conv


def test_context_for_a_linked_customer(client, linked):
    page = timeline(client, linked.id, "admin")
    header = page.select_one(".aiconvos-context")
    assert header.select_one("[data-channel]")["data-channel"] == "whatsapp"
    assert "WhatsApp" in header.select_one("[data-channel]").get_text()
    customer = header.select_one(".aiconvos-customer")
    assert customer.name == "a" and customer["href"] == "/host/customer/C-7"
    assert "Zoë Müller • Acme Ltd" in customer.get_text()
    assert customer.select_one(".aiconvos-avatar").get_text(strip=True) == "ZM"
    assert "Operator takeover" in header.get_text()
    times = header.find_all("time")
    assert [t["datetime"] for t in times] == ["2026-11-10T09:00:00Z", "2026-11-10T09:01:00Z"]


def test_customer_is_not_a_link_without_the_customer_role(client, linked):
    customer = timeline(client, linked.id, "viewer").select_one(".aiconvos-customer")
    assert customer.name != "a" and customer.find("a") is None
    assert "Zoë Müller • Acme Ltd" in customer.get_text()


def test_unauthenticated_conversation_shows_the_identifier(client, aiconvos):
    conv = aiconvos.start_conversation(
        channel="email", origin="customer_reply", external_identifier="jo@example.com"
    )
    header = timeline(client, conv.id).select_one(".aiconvos-context")
    identifier = header.select_one("[data-external-identifier]")
    assert identifier.get_text(strip=True) == "jo@example.com"
    assert "Email (AI)" in header.get_text() and "Customer reply" in header.get_text()


STATUS_LABELS = {
    "pending": "Pending",
    "approved": "Approved",
    "rejected": "Rejected",
    "expired": "Expired",
    "auto_executed": "Auto-executed",
    "snoozed": "Snoozed",
    "deferred": "Deferred",
}


@pytest.mark.parametrize(("user", "linked_items"), [("admin", True), ("viewer", False)])
def test_inbox_callout(client, aiconvos, user, linked_items):
    conv = aiconvos.start_conversation(channel="voice", origin="proactive_outbound")
    for n, status in enumerate(STATUS_LABELS):
        aiconvos.link_inbox_item(conv.id, item_id=f"INB-{n}", status=status, title=f"Item {n}")
    callout = timeline(client, conv.id, user).select_one(".aiconvos-inbox")
    assert callout is not None and "alert-primary" in callout["class"]
    assert "7 AI Inbox items linked" in callout.get_text()
    items = callout.select("[data-inbox-item]")
    assert [i["data-inbox-item"] for i in items] == [f"INB-{n}" for n in range(7)]
    for item, (status, label) in zip(items, STATUS_LABELS.items(), strict=True):
        assert item["data-status"] == status
        assert label in item.get_text()
        link = item.find("a")
        assert (link is not None) is linked_items
        if link is not None:
            assert link["href"] == f"/host/inbox_item/{item['data-inbox-item']}"


@pytest.mark.parametrize(("user", "linked_tickets"), [("admin", True), ("viewer", False)])
def test_escalation_callout(client, aiconvos, user, linked_tickets):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat")
    aiconvos.escalate(conv.id, ticket_id="T-99", subject="Payment inquiry for invoice #1234")
    callout = timeline(client, conv.id, user).select_one(".aiconvos-escalations")
    assert "alert-warning" in callout["class"]
    ticket = callout.select_one('[data-ticket="T-99"]')
    assert "Payment inquiry for invoice #1234" in ticket.get_text()
    assert (ticket.find("a") is not None) is linked_tickets


def test_no_callouts_without_items(client, linked):
    page = timeline(client, linked.id)
    assert page.select_one(".aiconvos-inbox") is None
    assert page.select_one(".aiconvos-escalations") is None


def test_every_conversion_is_listed(client, aiconvos):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat")
    aiconvos.record_conversion(conv.id, kind="booking", target_id="B-1", occurred_at=T0)
    aiconvos.record_conversion(
        conv.id, kind="booking", target_id="B-2", occurred_at=T0 + timedelta(hours=1)
    )
    aiconvos.record_conversion(conv.id, kind="tour", target_id="V-1", occurred_at=T0)
    admin = timeline(client, conv.id, "admin").select(".aiconvos-context [data-conversion]")
    assert sorted(accessible_text(b) for b in admin) == [
        "Booking B-1",
        "Booking B-2",
        "Tour V-1",
    ]
    assert all(b.name == "a" for b in admin)
    viewer = timeline(client, conv.id, "viewer").select(".aiconvos-context [data-conversion]")
    assert len(viewer) == 3 and all(b.name == "span" for b in viewer)


@pytest.mark.parametrize("bad_id", ["abc", "-1", "0", "99999", "1.5", "", "10" * 20])
def test_unknown_or_malformed_id_is_404(client, linked, bad_id):
    response = client.get(DETAILS, query_string={"id": bad_id}, headers=as_user("admin"))
    assert response.status_code == 404


def test_missing_id_is_404(client, linked):
    assert client.get(DETAILS, headers=as_user("admin")).status_code == 404


def test_nothing_on_the_page_edits_or_replies(client, linked):
    page = timeline(client, linked.id).select_one("#aiconvos-timeline-page")
    controls = page.find_all(["form", "button", "textarea", "input"])
    # The one button shows the keyboard shortcuts' help.
    assert [control.name for control in controls] == ["button"]
    assert controls[0].has_attr("data-shortcuts-toggle")
