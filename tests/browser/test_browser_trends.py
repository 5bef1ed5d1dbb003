"""The trends in a real browser: tiles compared with last month, the chart and its table, at a
desktop and a phone width, with nothing refused by the Content-Security-Policy."""

from __future__ import annotations

import pytest

LIST = "/admin/ai-conversations/"


@pytest.mark.parametrize("width", [1280, 390])
def test_this_month_shows_the_chart_and_its_table(server, page_as, width):
    page = page_as("admin", width)
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.__violations.push(e.effectiveDirective + ' ' + e.blockedURI));"
    )
    page.goto(server.url + LIST + "?range=this_month")

    # Every tile says how it compares with last month.
    tiles = page.locator("[data-metric]")
    assert tiles.count() == 6
    for index in range(tiles.count()):
        tile = tiles.nth(index)
        assert tile.get_attribute("data-previous-count") is not None
        assert "last month" in tile.locator(".aiconvos-metric-change").inner_text()

    chart = page.locator('figure[data-chart="activity"] svg[role="img"]')
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] <= width and box["height"] > 50
    assert "per day" in chart.locator("title").text_content()

    page.click(".aiconvos-chart-data > summary")
    table = page.locator('table[data-chart="activity"]')
    assert table.is_visible()
    rows = table.locator("tr[data-bucket]")
    assert rows.count() >= 28
    first = rows.first.get_attribute("data-bucket")
    assert first is not None and first.endswith("-01")
    # The page does not scroll sideways at this width (the table scrolls inside its box).
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
    assert page.evaluate("() => window.__violations") == []
