"""The screens look like the seed: badge icons, the Help icon, no "—" label, inbox colours."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from support.hosts import FIXED_NOW
from support.http import accessible_text, as_user, soup
from support.listing import converted, list_page, row, start

from flask_aiconvos import vocab

DETAILS = "/admin/ai-conversations/details/"
KINDS = ("tour", "customer", "contract", "booking", "day_pass")
SEED_ICONS = {"tour": "🎫", "customer": "👥", "booking": "📅"}


def timeline(client, conversation_id: int, user: str = "viewer"):
    return soup(client.get(DETAILS, query_string={"id": conversation_id}, headers=as_user(user)))


def icons_of(element) -> list[str]:
    return [icon.get_text() for icon in element.select(".aiconvos-icon")]


def styles_of(page) -> str:
    return " ".join(style.get_text() for style in page.select("style"))


# --- the vocabulary holds every icon once ------------------------------------------------------


def test_every_conversion_kind_has_an_icon_and_the_seed_ones_are_kept() -> None:
    icons = {
        kind: vocab.CONVERSION_STYLES[kind].icon for kind in vocab.values(vocab.ConversionKind)
    }
    assert all(icons.values())
    for kind, icon in SEED_ICONS.items():
        assert icons[kind] == icon
    # Contract and Day pass have icons of their own, told apart from the seed's three.
    assert len({icons["contract"], icons["day_pass"], *SEED_ICONS.values()}) == 5
    assert vocab.via_icon("help_desk") == vocab.HELP_ICON == "🎫"
    assert vocab.via_icon(None) == "" and vocab.via_icon("email_reply") == ""


# --- conversion badges --------------------------------------------------------------------------


@pytest.mark.parametrize(("user", "tag"), [("admin", "a"), ("viewer", "span")])
def test_list_badges_carry_their_icon_hidden_from_screen_readers(client, aiconvos, user, tag):
    conversation = converted(aiconvos, *KINDS)
    page = list_page(client, user)
    badges = row(page, conversation.id).select("[data-conversion]")
    assert [b["data-conversion"] for b in badges] == list(KINDS)
    for badge in badges:
        style = vocab.CONVERSION_STYLES[badge["data-conversion"]]
        assert badge.name == tag
        (icon,) = badge.select(".aiconvos-icon")
        assert icon["aria-hidden"] == "true"
        assert icon.get_text() == style.icon
        # The icon comes first, and the label alone is the badge's accessible name.
        assert badge.get_text(" ", strip=True).startswith(style.icon)
        assert accessible_text(badge) == style.label


def test_a_counted_badge_keeps_its_icon_and_count(client, aiconvos):
    conversation = converted(aiconvos, "booking", "booking")
    badge = row(list_page(client), conversation.id).select_one('[data-conversion="booking"]')
    assert icons_of(badge) == ["📅"]
    assert accessible_text(badge) == "Booking ×2"


def test_timeline_badges_carry_the_same_icons(client, aiconvos):
    conversation = converted(aiconvos, *KINDS)
    header = timeline(client, conversation.id, "admin").select_one(".aiconvos-context")
    badges = header.select("[data-conversion]")
    assert len(badges) == len(KINDS)
    for badge in badges:
        style = vocab.CONVERSION_STYLES[badge["data-conversion"]]
        assert icons_of(badge) == [style.icon]
        assert accessible_text(badge).startswith(style.label + " ")


# --- messages: the Help icon, and no label without a via ---------------------------------------

MESSAGES = [
    ("customer", None, None),
    ("ai", None, None),
    ("operator", "help_desk", "Escalated to Help Desk"),
    ("customer", "help_desk", "Replied via Help Desk"),
    ("operator", "coworker_message", "Sent via Message"),
    ("customer", "email_reply", "Replied via email"),
    ("operator", None, None),
]


def test_via_labels_help_icon_and_no_label_without_via(client, aiconvos):
    conversation = start(aiconvos, channel="whatsapp")
    for n, (sender, via, _) in enumerate(MESSAGES):
        aiconvos.add_message(
            conversation.id,
            sender=sender,
            via=via,
            body=f"message {n}",
            sent_at=FIXED_NOW - timedelta(minutes=50 - n),
        )
    items = timeline(client, conversation.id).select("[data-message-id]")
    assert len(items) == len(MESSAGES)
    for item, (sender, via, label) in zip(items, MESSAGES, strict=True):
        assert item["data-sender"] == sender
        header = item.select_one(".small")
        via_element = item.select_one(".aiconvos-via")
        if via is None:
            assert via_element is None
            # Neither the seed's "—" nor the conversation's channel stands in for it.
            assert "WhatsApp" not in header.get_text() and "—" not in header.get_text()
            continue
        assert via_element["data-via"] == via
        assert accessible_text(via_element) == label
        expected_icons = ["🎫"] if via == "help_desk" else []
        assert icons_of(via_element) == expected_icons
        assert all(icon["aria-hidden"] == "true" for icon in via_element.select(".aiconvos-icon"))


# --- the AI Inbox callout: blue, a colour per status ---------------------------------------------

STATUS_CLASSES = {
    "pending": "aiconvos-status-pending",
    "approved": "aiconvos-status-done",
    "auto_executed": "aiconvos-status-done",
    "rejected": "aiconvos-status-rejected",
    "expired": "aiconvos-status-idle",
    "snoozed": "aiconvos-status-idle",
    "deferred": "aiconvos-status-idle",
}
#: Each status class's colour in the stylesheet: amber, green, red, grey.
STATUS_COLOURS = {
    "aiconvos-status-pending": "#ffc107",
    "aiconvos-status-done": "#1e7e34",
    "aiconvos-status-rejected": "#c82333",
    "aiconvos-status-idle": "#5a6268",
}


@pytest.mark.parametrize("user", ["admin", "viewer"])
def test_inbox_callout_is_blue_with_a_colour_per_status(client, aiconvos, user):
    conversation = start(aiconvos, channel="voice", origin="proactive_outbound")
    for n, status in enumerate(STATUS_CLASSES):
        aiconvos.link_inbox_item(
            conversation.id, item_id=f"INB-{n}", status=status, title=f"Item {n}"
        )
    page = timeline(client, conversation.id, user)
    callout = page.select_one(".aiconvos-inbox")
    assert "alert-info" not in callout["class"]
    styles = styles_of(page)
    assert re.search(r"\.aiconvos-inbox\s*{\s*background-color:\s*#dbeafe", styles)
    for item in callout.select("[data-inbox-item]"):
        status = item["data-status"]
        badge = item.select_one(".aiconvos-status")
        assert STATUS_CLASSES[status] in badge["class"]
        assert badge.get_text(strip=True) == vocab.INBOX_STATUS_LABELS[status]
        colour = STATUS_COLOURS[STATUS_CLASSES[status]]
        assert re.search(rf"\.{STATUS_CLASSES[status]}\s*{{\s*background-color:\s*{colour}", styles)
    assert vocab.status_class("unknown") == "aiconvos-status-idle"


def test_the_new_styles_live_in_the_stylesheet_not_in_attributes(client, aiconvos):
    """The Content-Security-Policy may forbid inline ``style=`` attributes: none is used."""
    conversation = converted(aiconvos, *KINDS)
    aiconvos.link_inbox_item(conversation.id, item_id="INB-1", status="pending")
    aiconvos.add_message(conversation.id, sender="operator", via="help_desk", body="Escalated")
    for page in (list_page(client, "admin"), timeline(client, conversation.id, "admin")):
        root = page.select_one(".aiconvos")
        assert root is not None
        assert root.select("[style]") == []
        assert ".aiconvos-icon" in styles_of(page)
