"""The Content-Security-Policy holds in a real browser: Flask-Admin's scripts run, injected ones do not."""

from __future__ import annotations

LIST = "/admin/ai-conversations/"


def test_a_script_past_the_sanitiser_is_blocked(server, page_as):
    page = page_as("admin")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.__violations.push(e.effectiveDirective));"
    )
    page.goto(server.url + f"{LIST}details/?id={server.injected_id}")
    page.wait_for_timeout(300)
    assert page.locator("[data-message-id]").count() == 1  # the message is on the page
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []
    violations = page.evaluate("() => window.__violations")
    assert any(v.startswith("script-src") for v in violations), violations


def test_flask_admins_own_scripts_still_run(server, page_as):
    page = page_as("admin")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.__violations.push(e.effectiveDirective + ' ' + e.blockedURI));"
    )
    page.goto(server.url + LIST)
    page.wait_for_timeout(300)
    assert page.evaluate("() => typeof window.jQuery") == "function"
    assert page.evaluate("() => window.__violations") == []  # nothing of the page is refused
    # The AI Assistant menu is a Bootstrap dropdown: it opens only when its scripts run. (Its
    # ``href="javascript:void(0)"``, Flask-Admin's, is refused by the policy: a no-op anyway.)
    page.click("a.dropdown-toggle:has-text('AI Assistant')")
    assert page.locator(".dropdown-menu.show").count() == 1
    assert errors == []
