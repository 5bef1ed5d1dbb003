"""Timeline messages: order, placement, sender and via labels, formats, times, paging, queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from support.http import accessible_text, as_user, soup
from support.sql import count_queries

from flask_aiconvos import Message

DETAILS = "/admin/ai-conversations/details/"
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def timeline(client, conversation_id: int, user: str = "viewer", **params):
    return soup(
        client.get(DETAILS, query_string={"id": conversation_id, **params}, headers=as_user(user))
    )


def message_ids(page) -> list[int]:
    return [int(li["data-message-id"]) for li in page.select("[data-message-id]")]


#: A message without ``via`` shows no channel label (§9.7: none, as the seed's "—").
LABELS = [
    ("ai", None, "AI assistant", None),
    ("customer", None, "Customer", None),
    ("operator", None, "Operator", None),
    ("operator", "coworker_message", "Operator", "Sent via Message"),
    ("operator", "help_desk", "Operator", "Escalated to Help Desk"),
    ("customer", "help_desk", "Customer", "Replied via Help Desk"),
    ("customer", "email_reply", "Customer", "Replied via email"),
]


def test_every_sender_and_via_label(client, aiconvos):
    conv = aiconvos.start_conversation(channel="whatsapp", origin="customer_reply", started_at=T0)
    for n, (sender, via, _, _) in enumerate(LABELS):
        aiconvos.add_message(
            conv.id, sender=sender, via=via, body=f"m{n}", sent_at=T0 + timedelta(minutes=n)
        )
    items = timeline(client, conv.id).select("[data-message-id]")
    assert len(items) == len(LABELS)
    for item, (sender, _, sender_label, via_label) in zip(items, LABELS, strict=True):
        assert item["data-sender"] == sender
        assert f"aiconvos-message-{sender}" in item["class"]
        assert item.select_one(f'[data-sender-icon="{sender}"]') is not None
        assert sender_label in item.get_text()
        via = item.select_one(".aiconvos-via")
        if via_label is None:
            assert via is None
        else:
            assert accessible_text(via) == via_label


def test_customer_left_and_assistant_indented(client, aiconvos):
    """Placement is by class; the stylesheet indents AI and operator messages."""
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat")
    aiconvos.add_message(conv.id, sender="customer", body="Hi", sent_at=T0)
    aiconvos.add_message(conv.id, sender="ai", body="Hello", sent_at=T0 + timedelta(seconds=1))
    page = timeline(client, conv.id)
    css = page.find("style").get_text()
    assert ".aiconvos-message-customer { background: #f1f3f5; margin-right: 3rem; }" in css
    assert "margin-left: 3rem" in css


def test_chronological_with_ties_broken_by_id(client, aiconvos):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat")
    late = aiconvos.add_message(conv.id, sender="ai", body="late", sent_at=T0 + timedelta(hours=1))
    tie_a = aiconvos.add_message(conv.id, sender="customer", body="a", sent_at=T0)
    tie_b = aiconvos.add_message(conv.id, sender="ai", body="b", sent_at=T0)
    early = aiconvos.add_message(
        conv.id, sender="customer", body="x", sent_at=T0 - timedelta(days=1)
    )
    assert message_ids(timeline(client, conv.id)) == [early.id, tie_a.id, tie_b.id, late.id]


def test_formats_render_safely(client, aiconvos):
    conv = aiconvos.start_conversation(channel="email", origin="proactive_outbound")
    aiconvos.add_message(
        conv.id,
        sender="ai",
        content_format="html",
        sent_at=T0,
        body="<p>Quote</p><table><tr><th>Desk</th><td>£250</td></tr></table>"
        "<ul><li><em>fast</em> wifi</li></ul><script>alert(1)</script><img src=x onerror=alert(1)>",
    )
    aiconvos.add_message(
        conv.id,
        sender="ai",
        content_format="markdown",
        sent_at=T0 + timedelta(minutes=1),
        body="| Plan | Price |\n|---|---|\n| Hot desk | £200 |\n\n- **one**\n- two\n\n<b>raw</b>",
    )
    aiconvos.add_message(
        conv.id,
        sender="customer",
        sent_at=T0 + timedelta(minutes=2),
        body="Line one <b>\nLine two https://example.com/x",
    )
    html, markdown, text = timeline(client, conv.id).select(".aiconvos-message-body")
    assert html.find("table").find("th").get_text() == "Desk"
    assert html.find("ul").find("em").get_text() == "fast"
    assert html.find("script") is None and "alert" not in html.get_text()
    assert not any(attr.startswith("on") for tag in html.find_all(True) for attr in tag.attrs)
    assert markdown.find("table").find("td").get_text() == "Hot desk"
    assert markdown.find("ul").find("strong").get_text() == "one"
    assert markdown.find("b") is None and "<b>raw</b>" in markdown.get_text()
    assert text.find("b") is None and "<b>" in text.get_text()
    assert text.find("br") is not None
    link = text.find("a")
    assert link["href"] == "https://example.com/x" and "noopener" in link["rel"]


def test_time_hooks_name_the_zone(app, client, aiconvos):
    app.config["AICONVOS_TIMEZONE"] = "Europe/London"
    from flask_aiconvos import AIConversations

    AIConversations.state(app).timezone = "Europe/London"
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat", started_at=T0)
    aiconvos.add_message(
        conv.id, sender="customer", body="Hi", sent_at=datetime(2026, 7, 1, 12, tzinfo=UTC)
    )
    stamp = timeline(client, conv.id).select_one("[data-message-id] time")
    assert stamp["datetime"] == "2026-07-01T12:00:00Z"
    assert "13:00" in stamp["title"] and "BST" in stamp["title"]
    assert stamp.get_text(strip=True).endswith("ago")


def test_stale_render_version_is_rendered_again(client, aiconvos, db):
    conv = aiconvos.start_conversation(channel="chat", origin="portal_chat")
    msg = aiconvos.add_message(conv.id, sender="ai", body="**fresh**", content_format="markdown")
    db.session.execute(
        sa.update(Message)
        .where(Message.id == msg.id)
        .values(render_version=0, rendered_html="<p>stale</p>")
    )
    db.session.commit()
    body = timeline(client, conv.id).select_one(".aiconvos-message-body")
    assert body.find("strong").get_text() == "fresh" and "stale" not in body.get_text()


def test_query_count_does_not_grow_with_the_conversation(client, aiconvos, db):
    counts = []
    for size in (3, 60):
        conv = aiconvos.start_conversation(channel="chat", origin="portal_chat")
        for n in range(size):
            aiconvos.add_message(
                conv.id, sender="ai", body=f"m{n}", sent_at=T0 + timedelta(seconds=n)
            )
        aiconvos.link_inbox_item(conv.id, item_id="I", status="pending")
        aiconvos.escalate(conv.id, ticket_id="T", subject="s")
        aiconvos.record_conversion(conv.id, kind="tour", target_id="V")
        with count_queries(db.engine) as statements:
            assert (
                client.get(
                    DETAILS, query_string={"id": conv.id}, headers=as_user("admin")
                ).status_code
                == 200
            )
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 6
