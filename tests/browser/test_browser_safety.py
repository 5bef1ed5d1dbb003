"""No script runs from content; the pages pass axe-core and fit narrow screens."""

from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
LIST = "/admin/ai-conversations/"


def watch(page) -> list[str]:
    events: list[str] = []
    page.on("dialog", lambda dialog: (events.append("dialog: " + dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: events.append(f"pageerror: {error}"))
    return events


def test_hostile_content_never_runs(server, page_as):
    page = page_as("admin")
    events = watch(page)
    page.goto(server.url + LIST + "?search=Hostile")
    assert page.locator("tr[data-conversation-id]").count() == 1
    page.goto(server.url + f"{LIST}details/?id={server.hostile_id}")
    for element in page.locator(".aiconvos-message-body *, .aiconvos-context *").all()[:60]:
        if element.is_visible():
            element.scroll_into_view_if_needed(timeout=2000)
            element.hover(force=True, timeout=2000)
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__pwned") is None
    assert events == []


def axe_violations(page, container: str) -> list[dict]:
    """Serious and critical violations inside the extension's page; the host's layout around it
    (navbar, the ``<html>`` element) is the host's own."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (selector) => await axe.run(selector, {resultTypes: ['violations']})", container
    )
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("path", ["list", "timeline"])
def test_no_serious_accessibility_violations(server, page_as, path):
    page = page_as("admin", bypass_csp=True)  # axe-core is injected as an inline script
    page.goto(server.url + (LIST if path == "list" else f"{LIST}details/?id={server.hostile_id}"))
    violations = axe_violations(
        page, "#aiconvos-list-page" if path == "list" else "#aiconvos-timeline-page"
    )
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


def test_tabs_are_keyboard_reachable(server, page_as):
    page = page_as("viewer")
    page.goto(server.url + LIST)
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.dataset.channelTab") == "chat":
            break
    else:
        raise AssertionError("the Chat tab was never focused")
    page.keyboard.press("Enter")
    page.wait_for_url("**channel=chat**")


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("path", ["list", "timeline"])
def test_page_does_not_scroll_sideways(server, page_as, width, path):
    page = page_as("admin", width=width)
    page.goto(server.url + (LIST if path == "list" else f"{LIST}details/?id={server.hostile_id}"))
    overflow = page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
