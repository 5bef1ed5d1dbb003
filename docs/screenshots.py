"""Render the README's pictures from the demo data in headless Chromium: the list, a timeline,
a timeline with its events and an opened quoted reply, the list on a phone, and the list in
French.

    make screenshots
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT.parent / "tests"))

from support.pages import LIST, open_first_timeline, open_settled  # noqa: E402
from support.server import serving  # noqa: E402

from example_app.app import create_app  # noqa: E402
from flask_aiconvos import AIConversations  # noqa: E402
from flask_aiconvos.demo import seed_demo  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.db"})
        with app.app_context():
            ext = AIConversations.state(app).extension
            ext.create_all()
            seed_demo(ext, 150, seed=7)
        with serving(app) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(base + "/login")
            page.fill("#username", "admin")
            page.fill("#password", "admin")
            page.click("form button[type=submit]")
            open_settled(page, base + LIST)
            page.screenshot(path=str(ROOT / "list.png"), full_page=False)
            # The first conversation with an HTML table and several messages.
            open_first_timeline(
                page,
                base + LIST,
                lambda p: (
                    p.locator(".aiconvos-message-body table").count() > 0
                    and p.locator("[data-message-id]").count() >= 3
                ),
            )
            page.set_viewport_size({"width": 1280, "height": 1100})
            page.screenshot(path=str(ROOT / "timeline.png"), full_page=False)
            # The first email thread with a quoted reply and an event.
            open_first_timeline(
                page,
                base + LIST + "?channel=email",
                lambda p: (
                    p.locator("details[data-quoted]").count() > 0
                    and p.locator("[data-event]").count() > 0
                ),
            )
            fold = page.locator("details[data-quoted]").first
            fold.locator("summary").click()
            fold.evaluate("d => d.closest('.aiconvos-message').scrollIntoView({block: 'center'})")
            page.screenshot(path=str(ROOT / "timeline-events.png"), full_page=False)
            page.set_viewport_size({"width": 390, "height": 844})
            open_settled(page, base + LIST)
            page.locator("table.aiconvos-list").scroll_into_view_if_needed()
            page.screenshot(path=str(ROOT / "list-phone.png"), full_page=False)
            page.set_viewport_size({"width": 1280, "height": 900})
            open_settled(page, base + LIST)
            page.select_option("form[data-language-switch] select", "fr")
            page.click("form[data-language-switch] button[type=submit]")
            page.wait_for_load_state()
            page.screenshot(path=str(ROOT / "list-fr.png"), full_page=False)
            browser.close()
    for name in (
        "list.png",
        "timeline.png",
        "timeline-events.png",
        "list-phone.png",
        "list-fr.png",
    ):
        print("wrote", ROOT / name)


if __name__ == "__main__":
    main()
