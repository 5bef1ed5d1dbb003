"""The example app's language menu in a real browser: French list, French timeline, and back."""

from __future__ import annotations

import gettext

from flask_aiconvos import i18n

LIST = "/admin/ai-conversations/"


def french(message: str) -> str:
    return gettext.translation(i18n.DOMAIN, i18n.TRANSLATIONS_DIRECTORY, ["fr"]).gettext(message)


def test_switching_to_french_and_back(server, page_as):
    page = page_as("admin")
    page.goto(server.url + LIST + "?channel=chat")
    assert page.inner_text('label[for="aiconvos-search"]') == "Search conversations"

    page.select_option("form[data-language-switch] select", "fr")
    page.click("form[data-language-switch] button[type=submit]")
    page.wait_for_load_state()

    # Back on the same list (its tab kept), now in French.
    assert page.url.endswith(LIST + "?channel=chat")
    assert page.inner_text('label[for="aiconvos-search"]') == french("Search conversations")
    assert page.get_attribute("#aiconvos-search", "placeholder") == french(
        "Messages, name, subject, email, phone"
    )
    times = page.locator("td.col-last_activity_at time").all_inner_texts()
    assert times and all(t.startswith(("il y a", "à l’instant", "maintenant")) for t in times), (
        times
    )

    page.locator("tr[data-conversation-id] a[data-timeline-link]").first.click()
    page.wait_for_load_state()
    assert french("Back to the list") in page.inner_text('[data-nav="list"]')
    assert page.locator("[data-message-id] time").first.inner_text().startswith("il y a")

    page.select_option("form[data-language-switch] select", "en")
    page.click("form[data-language-switch] button[type=submit]")
    page.wait_for_load_state()
    assert "Back to the list" in page.inner_text('[data-nav="list"]')
