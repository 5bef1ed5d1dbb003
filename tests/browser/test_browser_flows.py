"""What an operator does in a real browser: metrics, tabs, search, dates, a timeline, links."""

from __future__ import annotations

import re

LIST = "/admin/ai-conversations/"


def metric_count(page, key: str) -> int:
    return int(page.get_attribute(f'[data-metric="{key}"]', "data-count"))


def test_operator_flow(server, page_as):
    page = page_as("admin")
    page.goto(server.url + LIST)
    assert metric_count(page, "total") > 0
    for key in ("bookings", "customers", "tours", "contracts"):
        assert page.get_attribute(f'[data-metric="{key}"]', "data-percent") is not None

    whatsapp_count = int(
        re.search(r"\d+", page.inner_text('[data-channel-tab="whatsapp"] .badge')).group()
    )
    page.click('[data-channel-tab="whatsapp"]')
    page.wait_for_url(re.compile(r"channel=whatsapp"))
    assert page.get_attribute('[data-channel-tab="whatsapp"]', "aria-current") == "page"
    channels = page.locator("tr[data-conversation-id] td.col-channel").all_inner_texts()
    assert channels and set(channels) == {"WhatsApp"}
    assert metric_count(page, "total") == whatsapp_count

    page.goto(server.url + LIST)
    page.fill("#aiconvos-search", "Zoë")
    page.press("#aiconvos-search", "Enter")
    page.wait_for_url(re.compile(r"search="))
    customers = page.locator("tr[data-conversation-id] td.col-customer").all_inner_texts()
    assert customers and all("Zoë" in c for c in customers)

    page.goto(server.url + LIST)
    page.click('[data-range="this_month"]')
    page.wait_for_url(re.compile(r"range=this_month"))
    assert "started" in page.inner_text("#aiconvos-list-page")

    stamp = page.locator("tr[data-conversation-id] time").first
    stamp.hover()
    assert re.search(r"\d{2}:\d{2} \S+", stamp.get_attribute("title"))


def find_timeline(page, server, needle: str) -> None:
    """Open conversations until one holds ``needle`` (a CSS selector) in a message body."""
    page.goto(server.url + LIST + "?page_size=500")
    links = page.locator("tr[data-conversation-id] td.col-subject a").evaluate_all(
        "els => els.map(e => e.href)"
    )
    for href in links:
        page.goto(href)
        if page.locator(f".aiconvos-message-body {needle}").count():
            return
    raise AssertionError(f"no demo conversation shows {needle}")


def test_rich_messages_render(server, page_as):
    page = page_as("viewer")
    find_timeline(page, server, "table")
    assert page.locator(".aiconvos-message-body table td").count() > 0
    find_timeline(page, server, "ul li")
    assert page.locator("[data-message-id][data-sender]").count() > 0


def test_badge_links_follow_the_role(server, page_as):
    admin = page_as("admin")
    admin.goto(server.url + LIST)
    row = (
        admin.locator("tr[data-conversation-id]")
        .filter(has=admin.locator("a[data-conversion]"))
        .first
    )
    row_id = row.get_attribute("data-conversation-id")
    badge = row.locator("a[data-conversion]").first
    kind = badge.get_attribute("data-conversion")
    badge.click()
    admin.wait_for_load_state()
    assert "/admin/" not in admin.url and admin.locator("body").inner_text()

    viewer = page_as("viewer")
    viewer.goto(server.url + LIST)
    same = viewer.locator(f'tr[data-conversation-id="{row_id}"] [data-conversion="{kind}"]')
    assert same.count() == 1
    assert same.evaluate("el => el.tagName") == "SPAN"


def test_nobody_is_refused(server, page_as):
    page = page_as("nobody")
    response = page.goto(server.url + LIST)
    assert response.status == 403


def test_anonymous_goes_to_login(server, page_as):
    page = page_as(None)
    page.goto(server.url + LIST)
    assert "/login" in page.url
