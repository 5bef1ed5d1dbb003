"""The layout as Chromium lays it out: cards on a phone, whole words in tables, tidy tiles."""

from __future__ import annotations

import pytest
from support.pages import LIST, open_first_timeline, open_settled

#: Every row's box and the boxes of its cells, in page coordinates.
ROW_BOXES = """() => [...document.querySelectorAll('tr[data-conversation-id]')].map(tr => {
  const box = e => { const r = e.getBoundingClientRect();
                     return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                             width: r.width, height: r.height}; };
  const cells = {};
  for (const td of tr.querySelectorAll(':scope > td')) {
    const name = [...td.classList].find(c => c.startsWith('col-'));
    cells[name] = {...box(td), shown: getComputedStyle(td).display !== 'none'};
  }
  return {id: tr.dataset.conversationId, display: getComputedStyle(tr).display, ...box(tr), cells};
})"""

#: Words inside message tables that the browser broke over two lines.
BROKEN_TABLE_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('.aiconvos-message-body td, .aiconvos-message-body th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""


def open_table_timeline(page, base: str) -> None:
    """The first demo timeline whose messages hold a table."""
    open_first_timeline(
        page, base + LIST, lambda p: p.locator(".aiconvos-message-body table").count() > 0
    )


@pytest.mark.parametrize("user", ["admin", "viewer"])
def test_phone_list_is_one_card_per_conversation(server, page_as, user):
    page = page_as(user, width=390)
    open_settled(page, server.url + LIST)
    width = page.evaluate("() => window.innerWidth")
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= width
    table = page.locator("table.aiconvos-list")
    assert table.evaluate("t => t.getBoundingClientRect().width") <= width
    wrapper = page.locator(".table-responsive:has(> table.aiconvos-list)")
    assert wrapper.evaluate("w => w.scrollWidth - w.clientWidth") <= 1  # nothing scrolls inside
    rows = page.evaluate(ROW_BOXES)
    assert len(rows) >= 10
    previous_bottom = None
    for card in rows:
        assert card["display"] == "flex", card["id"]
        assert card["left"] >= 0 and card["right"] <= width, card["id"]
        if previous_bottom is not None:
            assert card["top"] >= previous_bottom, card["id"]  # stacked, never side by side
        previous_bottom = card["bottom"]
        cells = card["cells"]
        for name in ("col-subject", "col-customer", "col-channel", "col-last_activity_at"):
            cell = cells[name]
            assert cell["shown"] and cell["width"] > 0, (card["id"], name)
            assert card["left"] <= cell["left"] and cell["right"] <= card["right"] + 0.5
            assert card["top"] <= cell["top"] and cell["bottom"] <= card["bottom"] + 0.5
        # The subject heads the card, on a line of its own.
        assert cells["col-subject"]["top"] == min(c["top"] for c in cells.values() if c["shown"])
    # The sort link is still there, above the cards.
    sort = page.locator("thead th.aiconvos-sortable a")
    assert sort.is_visible()


def test_phone_date_presets_wrap_without_overlapping(server, page_as):
    page = page_as("viewer", width=390)
    open_settled(page, server.url + LIST)
    boxes = page.locator(".aiconvos-range-presets [data-range]").evaluate_all(
        "links => links.map(a => { const r = a.getBoundingClientRect();"
        " return [r.left, r.top, r.right, r.bottom]; })"
    )
    assert len(boxes) == 5
    for n, (left, top, right, bottom) in enumerate(boxes):
        assert left >= 0 and right <= 390
        for other in boxes[n + 1 :]:
            apart = right <= other[0] or other[2] <= left or bottom <= other[1] or other[3] <= top
            assert apart, (boxes[n], other)


def test_desktop_tiles_search_and_times(server, page_as):
    page = page_as("admin", width=1280)
    open_settled(page, server.url + LIST)
    tiles = page.locator("[data-metric]").evaluate_all(
        "tiles => tiles.map(t => { const r = t.getBoundingClientRect();"
        " return [t.dataset.metric, Math.round(r.top), Math.round(r.height), Math.round(r.width)]; })"
    )
    assert len(tiles) == 6
    assert len({(top, height, width) for _, top, height, width in tiles}) == 1, tiles
    # The placeholder fits in the search box.
    room, needed = page.locator("#aiconvos-search").evaluate(
        """input => { const style = getComputedStyle(input);
           const context = document.createElement('canvas').getContext('2d');
           context.font = style.font;
           return [input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
                   context.measureText(input.placeholder).width]; }"""
    )
    assert needed <= room, (needed, room)
    # "Last activity" stays on one line in every row.
    lines = page.locator("td.col-last_activity_at time").evaluate_all(
        "times => times.map(t => new Set([...t.getClientRects()].map(r => Math.round(r.top))).size)"
    )
    assert lines and set(lines) == {1}


@pytest.mark.parametrize("width", [1280, 390])
def test_message_tables_keep_words_whole_and_scroll_in_the_bubble(server, page_as, width):
    page = page_as("viewer", width=width)
    open_table_timeline(page, server.url)
    assert page.evaluate(BROKEN_TABLE_WORDS) == []
    assert page.evaluate("() => document.scrollingElement.scrollWidth - window.innerWidth") <= 1
    for table in page.locator(".aiconvos-message-body table").all():
        overflow = table.evaluate("t => getComputedStyle(t).overflowX")
        assert overflow == "auto"
        inside = table.evaluate(
            "t => t.getBoundingClientRect().right <= "
            "t.closest('.aiconvos-message').getBoundingClientRect().right + 0.5"
        )
        assert inside


def test_bubbles_end_at_their_last_line(server, page_as):
    page = page_as("viewer", width=1280)
    open_table_timeline(page, server.url)
    bands = page.locator(".aiconvos-message-body").evaluate_all(
        """bodies => bodies.map(body => {
             const last = [...body.querySelectorAll('*')].pop() || body;
             const bubble = body.closest('.aiconvos-message');
             const padding = parseFloat(getComputedStyle(bubble).paddingBottom);
             const end = Math.max(...[...body.children].map(c => c.getBoundingClientRect().bottom),
                                  body.getBoundingClientRect().top);
             return bubble.getBoundingClientRect().bottom - end - padding; })"""
    )
    assert bands and max(bands) <= 2, bands
