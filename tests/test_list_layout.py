"""The list's layout hooks: cards on a phone from the same table, tidy tiles, search and presets.

What the layout looks like is checked in Chromium (tests/browser/test_browser_layout.py); these
tests check the markup and the stylesheet it relies on, on every database.
"""

from __future__ import annotations

import re

from support.listing import converted, list_page, row, start

from flask_aiconvos import AIConversations


def styles_of(page) -> str:
    return " ".join(style.get_text() for style in page.select("style"))


def phone_rules(page) -> str:
    """The stylesheet's rules for screens narrower than 576 px."""
    styles = styles_of(page)
    match = re.search(r"@media \(max-width: 575\.98px\) \{(.*?)\n  \}", styles, re.S)
    assert match is not None, "no phone layout in the stylesheet"
    return match.group(1)


def test_every_cell_names_its_column_and_the_hooks_stay_on_the_row(client, aiconvos) -> None:
    conversation = converted(aiconvos, "tour", "booking", subject="Desk prices")
    aiconvos.escalate(conversation.id, ticket_id="T-1", subject="Help")
    page = list_page(client, "admin")
    tr = row(page, conversation.id)
    assert tr.name == "tr"
    headers = [th.get_text(" ", strip=True) for th in page.select("table.aiconvos-list thead th")]
    cells = tr.find_all("td", recursive=False)
    assert [td["data-label"] for td in cells] == headers
    assert [td["class"][0] for td in cells] == [
        "col-subject",
        "col-conversions",
        "col-customer",
        "col-channel",
        "col-last_activity_at",
        "col-escalated",
    ]
    # The hooks are where they always were: inside the row's cells.
    assert {b["data-conversion"] for b in tr.select("[data-conversion]")} == {"tour", "booking"}
    assert tr.select_one("td.col-escalated [data-escalated]") is not None


def test_phone_layout_turns_each_row_into_a_card(client, aiconvos: AIConversations) -> None:
    start(aiconvos, subject="A")
    page = list_page(client)
    rules = phone_rules(page)
    assert re.search(r"\.aiconvos-list tbody tr \{ display: flex; flex-wrap: wrap;", rules)
    assert re.search(r"\.aiconvos-list tbody td \{ display: block;", rules)
    # The header keeps its sort links only.
    sortable = page.select("table.aiconvos-list thead th.aiconvos-sortable")
    assert [th["class"][-1] for th in sortable] == ["col-last_activity_at"]
    assert all(th.find("a") for th in sortable)
    assert ".aiconvos-list thead th.aiconvos-sortable { display: block; }" in rules


def test_metric_tiles_share_one_grid(client, aiconvos: AIConversations) -> None:
    start(aiconvos)
    page = list_page(client)
    columns = [tile.parent["class"] for tile in page.select(".aiconvos-metrics [data-metric]")]
    assert len(columns) == 6
    # Day passes sits on the same grid as the other five, not in a narrower auto column.
    assert all(classes == columns[0] for classes in columns)
    assert "col-lg-2" in columns[0]


def test_search_box_fits_its_placeholder(client, aiconvos: AIConversations) -> None:
    start(aiconvos)
    page = list_page(client)
    search = page.select_one("#aiconvos-search")
    assert "aiconvos-search-input" in search["class"]
    width = re.search(
        r"\.aiconvos \.form-inline \.aiconvos-search-input \{ width: ([\d.]+)rem; max-width: 100%;",
        styles_of(page),
    )
    assert width is not None
    # About 0.55 em per character of the placeholder, plus the input's padding.
    assert float(width.group(1)) >= 0.55 * len(search["placeholder"]) + 1.5


def test_last_activity_and_channel_never_wrap(client, aiconvos: AIConversations) -> None:
    start(aiconvos)
    styles = styles_of(list_page(client))
    assert re.search(
        r"\.aiconvos-list td\.col-last_activity_at, \.aiconvos-list td\.col-channel "
        r"\{ white-space: nowrap; \}",
        styles,
    )


def test_date_presets_wrap_as_separate_buttons(client, aiconvos: AIConversations) -> None:
    start(aiconvos)
    page = list_page(client)
    group = page.select_one(".aiconvos-range-presets")
    assert group is not None and "flex-wrap" in group["class"]
    assert [a["data-range"] for a in group.select("[data-range]")] == [
        "all",
        "today",
        "7d",
        "this_month",
        "last_month",
    ]
    assert re.search(r"\.aiconvos-range-presets \{ gap: [\d.]+rem; \}", styles_of(page))
