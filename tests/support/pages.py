"""Moving through the demo screens in Chromium, for the browser tests and the screenshots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

LIST = "/admin/ai-conversations/"


def open_settled(page: Any, url: str) -> None:
    """Open ``url`` and wait for its web fonts: the emoji and icon fonts change the boxes the
    layout checks measure."""
    page.goto(url)
    page.evaluate("() => document.fonts.ready.then(() => true)")


def open_first_timeline(page: Any, list_url: str, shows: Callable[[Any], bool]) -> None:
    """Open, from the list at ``list_url``, the first timeline for which ``shows(page)`` holds."""
    open_settled(page, list_url)
    links = page.locator("tr[data-conversation-id] td.col-subject a").evaluate_all(
        "links => links.map(link => link.href)"
    )
    for href in links:
        open_settled(page, href)
        if shows(page):
            return
    raise AssertionError(f"no timeline listed at {list_url} shows what was asked")
