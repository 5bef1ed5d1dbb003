"""Quoted mail history is folded in Chromium: closed at first, open on a click, no script."""

from __future__ import annotations

from support.pages import LIST, open_first_timeline


def open_quoted_timeline(page, base: str) -> None:
    """The first demo email timeline holding a folded quote."""
    open_first_timeline(
        page,
        base + LIST + "?channel=email",
        lambda p: p.locator(".aiconvos-message-body details[data-quoted]").count() > 0,
    )


def test_quoted_history_is_closed_until_its_summary_is_clicked(server, page_as):
    page = page_as("viewer", width=1280)
    open_quoted_timeline(page, server.url)
    fold = page.locator(".aiconvos-message-body details[data-quoted]").first
    summary = fold.locator("summary")
    quote = fold.locator(":scope > blockquote")
    assert summary.is_visible() and summary.inner_text() == "Show quoted text"
    assert not quote.is_visible()
    assert fold.evaluate("d => d.open") is False
    summary.click()
    assert quote.is_visible()
    assert "Shall I send the licence agreement?" in quote.inner_text()
    # The reply itself was never hidden.
    message = page.locator(".aiconvos-message", has=fold)
    assert "Yes please, go ahead." in message.inner_text()
