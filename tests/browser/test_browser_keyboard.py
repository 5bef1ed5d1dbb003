"""Reviewing conversations from the keyboard in Chromium, under the extension's CSP."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

LIST = "/admin/ai-conversations/"
CURRENT_ROW = "tr[data-conversation-id].aiconvos-row-current"


def watch_violations(page) -> None:
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.__violations.push(e.effectiveDirective + ' ' + e.blockedURI));"
    )


def current_row(page) -> str:
    return page.get_attribute(CURRENT_ROW, "data-conversation-id")


def row_ids(page) -> list[str]:
    return page.locator("tr[data-conversation-id]").evaluate_all(
        "rows => rows.map(row => row.dataset.conversationId)"
    )


def test_slash_j_k_and_enter_on_the_list(server, page_as) -> None:
    page = page_as("admin")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    watch_violations(page)
    page.goto(server.url + LIST + "?channel=chat")
    ids = row_ids(page)
    assert len(ids) >= 3

    page.keyboard.press("j")
    assert current_row(page) == ids[0]
    assert page.get_attribute(CURRENT_ROW, "aria-current") == "true"
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert current_row(page) == ids[1]
    assert page.locator(CURRENT_ROW).count() == 1

    # Not while typing: in the search box the keys are letters.
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "aiconvos-search"
    page.keyboard.type("jk/")
    assert page.input_value("#aiconvos-search").endswith("jk/")
    assert current_row(page) == ids[1]
    page.fill("#aiconvos-search", "")

    # Enter opens the highlighted row, carrying the list's parameters.
    page.evaluate("() => document.activeElement.blur()")  # focus leaves the search box
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/details/"))
    query = parse_qs(urlsplit(page.url).query)
    assert query["id"] == [ids[1]] and query["channel"] == ["chat"]
    assert errors == [] and page.evaluate("() => window.__violations") == []


def test_j_and_k_move_between_timelines_and_back_to_the_list(server, page_as) -> None:
    page = page_as("admin")
    watch_violations(page)
    page.goto(server.url + LIST + "?channel=email")
    ids = row_ids(page)
    assert len(ids) >= 3
    page.click(f'tr[data-conversation-id="{ids[0]}"] a[data-timeline-link]')
    page.wait_for_url(re.compile(r"/details/"))
    assert page.locator('[data-nav="previous"]').count() == 0  # the first row

    page.keyboard.press("j")
    page.wait_for_url(re.compile(rf"[?&]id={ids[1]}(&|$)"))
    page.keyboard.press("j")
    page.wait_for_url(re.compile(rf"[?&]id={ids[2]}(&|$)"))
    page.keyboard.press("k")
    page.wait_for_url(re.compile(rf"[?&]id={ids[1]}(&|$)"))
    assert parse_qs(urlsplit(page.url).query)["channel"] == ["email"]

    # Back on the list, the conversation just read is highlighted, and j goes on from it.
    page.click('[data-nav="list"]')
    page.wait_for_url(re.compile(re.escape(LIST) + r"\?"))
    assert current_row(page) == ids[1]
    page.keyboard.press("j")
    assert current_row(page) == ids[2]
    assert page.evaluate("() => window.__violations") == []


def test_question_mark_shows_the_shortcuts_and_escape_closes_them(server, page_as) -> None:
    page = page_as("admin")
    page.goto(server.url + LIST)
    dialog = page.locator("dialog#aiconvos-shortcuts")
    assert not dialog.is_visible()
    page.keyboard.press("?")
    assert dialog.is_visible()
    keys = dialog.locator("[data-shortcut-key] kbd").all_inner_texts()
    assert keys == ["/", "j", "k", "Enter", "?"]
    # While the help is open the other keys do nothing.
    page.keyboard.press("j")
    assert page.locator(CURRENT_ROW).count() == 0
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    page.click("[data-shortcuts-toggle]")
    assert dialog.is_visible()
    page.click("[data-shortcuts-close]")
    assert not dialog.is_visible()

    # Typing "?" in the search box types it.
    page.focus("#aiconvos-search")
    page.keyboard.type("?")
    assert not dialog.is_visible()
    assert page.input_value("#aiconvos-search") == "?"


def test_shortcuts_ignore_modifier_keys(server, page_as) -> None:
    page = page_as("admin")
    page.goto(server.url + LIST)
    page.keyboard.press("Control+j")
    page.keyboard.press("Alt+j")
    assert page.locator(CURRENT_ROW).count() == 0
    page.keyboard.press("j")
    assert page.locator(CURRENT_ROW).count() == 1
