"""Translations: every string marked, the catalogs complete and compiled, the screens in French.

The test host sets up Flask-Babel (``support.hosts``); a request asks for a language with
``Accept-Language``. The set-up without Flask-Babel installed is the README quick start's,
run in a fresh environment holding only the wheel's requirements (``test_readme_quickstart``).
"""

from __future__ import annotations

import gettext
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask, render_template_string, session
from flask_admin import Admin
from flask_sqlalchemy import SQLAlchemy
from jinja2 import Environment
from support.hosts import FIXED_NOW
from support.http import as_user, soup
from support.http import flat_text as text
from support.readme import code_blocks
from support.wheel import ROOT

from flask_aiconvos import AIConversations, i18n

LIST = "/admin/ai-conversations/"
TEMPLATES = ROOT / "templates" / "aiconvos"
CATALOGS = i18n.TRANSLATIONS_DIRECTORY
#: The gettext functions ``make translations`` extracts (``babel.cfg``, the Makefile's ``-k``).
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "lazy_gettext": None,
    "_l": None,
    "N_": None,
}
FRENCH = {"Accept-Language": "fr"}
ADMIN = as_user("admin")

# --- every template string is marked --------------------------------------------------------

#: Attributes people read (or hear): their values must be translatable.
READ_ATTRIBUTES = frozenset({"title", "aria-label", "placeholder", "alt", "aria-description"})
#: Names that stay the same in every language.
UNTRANSLATED = frozenset({"CSV", "JSON Lines", "Esc"})
#: Stands in for each ``{{ … }}`` (it holds no letter).
EXPRESSION = "\ue000"


def template_html(source: str) -> str:
    """The template's literal HTML, each ``{{ … }}`` one placeholder, tags and comments gone."""
    out: list[str] = []
    inside: str | None = None
    for _, token, value in Environment().lex(source):
        if token in ("variable_begin", "block_begin", "comment_begin", "raw_begin"):
            inside = token
            if token == "variable_begin":
                out.append(EXPRESSION)
        elif token in ("variable_end", "block_end", "comment_end", "raw_end"):
            inside = None
        elif inside is None and token == "data":
            out.append(value)
    return "".join(out)


class _Unmarked(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def _check(self, text: str) -> None:
        text = " ".join(text.replace(EXPRESSION, " ").split())
        if re.search(r"[^\W\d_]", text) and text not in UNTRANSLATED:
            self.found.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self._check(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._check(data)


def unmarked_strings(source: str) -> list[str]:
    parser = _Unmarked()
    parser.feed(template_html(source))
    parser.close()
    return parser.found


def test_the_scanner_finds_what_is_not_marked() -> None:
    assert unmarked_strings("<p>Hello {{ name }}</p>") == ["Hello"]
    assert unmarked_strings('<a title="Open it" href="{{ url }}">{{ _("Go") }}</a>') == ["Open it"]
    assert unmarked_strings('{% if x %}<span aria-label="Close">×</span>{% endif %}') == ["Close"]
    assert unmarked_strings("<p>{{ _('Hello') }} {{ number(3) }} ·</p>{# Note #}") == []
    assert unmarked_strings("<style>a::before { content: 'x' }</style><script>go()</script>") == []


@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.html")))
def test_every_template_string_is_marked(template: str) -> None:
    source = (TEMPLATES / template).read_text(encoding="utf-8")

    assert unmarked_strings(source) == []


# --- the catalogs -----------------------------------------------------------------------------


def marked_messages() -> set[str]:
    """Every msgid the code and templates mark, as ``make translations`` extracts them."""
    found: set[str] = set()
    method_map = [("flask_aiconvos/**.py", "python"), ("templates/aiconvos/**.html", "jinja2")]
    for _, _, message, _, _ in extract_from_dir(ROOT, method_map, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def catalog(language: str):
    path = CATALOGS / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
    with path.open(encoding="utf-8") as source:
        return read_po(source, locale=language)


def test_the_template_catalog_holds_every_marked_string() -> None:
    with (CATALOGS / f"{i18n.DOMAIN}.pot").open(encoding="utf-8") as source:
        template = {message.id for message in read_po(source) if message.id}
    ids = {i if isinstance(i, str) else i[0] for i in template}

    assert ids == marked_messages(), "run `make translations`"


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_each_catalog_translates_every_string(language: str) -> None:
    messages = [m for m in catalog(language) if m.id]
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in messages}

    assert ids == marked_messages(), "run `make translations` and translate what is new"
    untranslated = [
        m.id for m in messages if not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    assert untranslated == []
    assert [m.id for m in messages if m.fuzzy] == []
    assert [(m.id, errors) for m, errors in catalog(language).check()] == []


def _entry(message) -> tuple:
    """A message as a comparable pair (plural ids and forms as tuples)."""
    plain = lambda value: value if isinstance(value, str) else tuple(value)  # noqa: E731
    return plain(message.id), plain(message.string)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_each_compiled_catalog_is_its_source(language: str) -> None:
    mo = CATALOGS / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
    with mo.open("rb") as compiled:
        shipped = {_entry(m) for m in read_mo(compiled) if m.id}
    source = {_entry(m) for m in catalog(language) if m.id}

    assert shipped == source, "run `make translations` to compile the catalogs"


def test_the_wheel_ships_the_compiled_catalogs() -> None:
    package_data = (ROOT / "setup.cfg").read_text(encoding="utf-8")

    assert "translations/*/LC_MESSAGES/*.mo" in package_data


# --- the screens in French --------------------------------------------------------------------


def french(message: str) -> str:
    """What the shipped French catalog says for ``message`` (it must say something else)."""
    translated = gettext.translation(i18n.DOMAIN, CATALOGS, ["fr"]).gettext(message)
    assert translated != message, message
    return translated


@pytest.fixture
def recorded(aiconvos: AIConversations) -> int:
    conversation = aiconvos.start_conversation(
        channel="chat",
        origin="portal_chat",
        customer_name="Chloé Martin",
        started_at=FIXED_NOW - timedelta(hours=2),
    )
    aiconvos.add_message(
        conversation.id,
        sender="customer",
        body="A meeting room with a screen?",
        sent_at=FIXED_NOW - timedelta(minutes=15),
    )
    aiconvos.record_conversion(conversation.id, kind="tour", target_id="V-1")
    aiconvos.start_conversation(
        channel="whatsapp", origin="portal_chat", started_at=FIXED_NOW - timedelta(days=1)
    )
    return conversation.id


def test_the_list_speaks_french(client, recorded) -> None:
    page = soup(client.get(LIST, headers={**ADMIN, **FRENCH}))

    assert page.select_one("#aiconvos-search")["placeholder"] == french(
        "Messages, name, subject, email, phone"
    )
    tours = page.select_one('[data-metric="tours"]')
    assert french("Tours scheduled") in text(tours)
    # Babel's French: a decimal comma and a no-break space before the sign.
    assert "50,0\u00a0%" in tours.select_one(".aiconvos-metric-percent").get_text()
    assert tours["data-percent"] == "50.0"
    assert text(page.select_one('[data-channel-tab="email"]')).startswith(french("Email"))
    row = page.select_one(f'tr[data-conversation-id="{recorded}"]')
    assert text(row.select_one("td.col-last_activity_at")) == "il y a 15 minutes"
    assert text(row.select_one("[data-conversion]")).endswith(french("Tour"))
    assert [text(th) for th in page.select("thead th.column-header")][0] == french("Subject")


def test_the_timeline_speaks_french(client, recorded) -> None:
    page = soup(client.get(f"{LIST}details/?id={recorded}", headers={**ADMIN, **FRENCH}))

    assert french("Back to the list") in text(page.select_one('[data-nav="list"]'))
    message = page.select_one("[data-message-id]")
    assert french("Customer") in text(message)
    stamp = message.select_one("time")
    assert text(stamp) == "il y a 15 minutes"
    assert stamp["title"] == "mer. 18 nov. 2026, 15:15 UTC"
    assert stamp["datetime"] == "2026-11-18T15:15:00Z"


@contextmanager
def request_of_its_own(app: Flask, headers: dict | None = None) -> Iterator[None]:
    """A request with an app context of its own: Flask-Babel keeps the locale on ``g``."""
    with app.app_context(), app.test_request_context(headers=headers or {}):
        yield


def test_numbers_follow_the_locale(app) -> None:
    with request_of_its_own(app, FRENCH):
        assert i18n.format_number(1234567) == "1\u202f234\u202f567"
        plural = gettext.translation(i18n.DOMAIN, CATALOGS, ["fr"]).ngettext(
            "%(num)s channel", "%(num)s channels", 1234
        )
        assert plural != "%(num)s channels"
        assert i18n.ngettext("%(num)s channel", "%(num)s channels", 1234) == (
            plural.replace("%(num)s", "1\u202f234")
        )
    with request_of_its_own(app, {"Accept-Language": "de"}):
        assert i18n.format_number(1234567) == "1.234.567"
        assert i18n.format_rate(12.5) == "12,5\u00a0%"
    with request_of_its_own(app):
        assert i18n.format_number(1234567) == "1,234,567"
        assert i18n.format_rate(12.0) == "12.0%"


def test_outside_a_request_everything_is_english() -> None:
    assert i18n.gettext("Search conversations") == "Search conversations"
    assert str(i18n.lazy_gettext("Tours scheduled")) == "Tours scheduled"
    assert i18n.ngettext("%(num)s channel", "%(num)s channels", 1234) == "1,234 channels"
    assert i18n.format_number(1234567) == "1,234,567"


def test_the_panel_speaks_french(app, client, recorded) -> None:
    app.add_url_rule(
        "/visitor",
        "visitor_page",
        lambda: render_template_string(
            "{{ aiconvos_conversations_panel(kind='tour', target_id='V-1') }}"
        ),
    )

    panel = soup(client.get("/visitor", headers={**ADMIN, **FRENCH}))

    assert text(panel.select_one("h2")) == french("AI conversations")
    assert "il y a 15 minutes" in text(panel.select_one(f'[data-conversation-id="{recorded}"]'))


# --- installed but not set up ------------------------------------------------------------------


def test_flask_babel_installed_but_not_set_up_is_named_once_in_the_log(tmp_path, caplog) -> None:
    app = Flask("no_babel_host")
    app.config.update(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{Path(tmp_path) / 'host.db'}",
        SECRET_KEY="x",
        TESTING=True,
    )
    db = SQLAlchemy(app)
    AIConversations(app, db=db, admin=Admin(app), role_checker=lambda user, role: True)
    app.add_url_rule("/health", "health", lambda: "ok")

    with caplog.at_level(logging.ERROR, logger="flask_aiconvos"):
        client = app.test_client()
        assert client.get("/health").data == b"ok"
        client.get("/health")
        with app.test_request_context():
            # The extension's own strings never depend on it: English, no KeyError.
            assert i18n.gettext("Search conversations") == "Search conversations"
            assert i18n.format_number(1234) == "1,234"

    logged = [r.getMessage() for r in caplog.records if r.name == "flask_aiconvos"]
    assert logged == [i18n.BABEL_NOT_INITIALISED]
    assert "Babel(app)" in logged[0]


def test_a_host_that_sets_up_babel_after_the_extension_logs_nothing(tmp_path, caplog) -> None:
    from flask_babel import Babel

    app = Flask("late_babel_host")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="x", TESTING=True)
    AIConversations(app, db=SQLAlchemy(app), admin=Admin(app), role_checker=lambda u, r: True)
    Babel(app)
    app.add_url_rule("/health", "health", lambda: "ok")

    with caplog.at_level(logging.ERROR, logger="flask_aiconvos"):
        assert app.test_client().get("/health").data == b"ok"

    assert [r for r in caplog.records if r.name == "flask_aiconvos"] == []


def test_the_readme_set_up_speaks_the_operators_language(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme_translations"}
    exec(compile(code_blocks("Translations")[0], "README.md", "exec"), namespace)
    app = namespace["app"]
    app.secret_key = "test"  # the host's own language switch keeps the choice in its session

    with app.test_request_context(headers={"Accept-Language": "de-DE,de;q=0.9"}):
        assert i18n.gettext("Tours scheduled") == gettext.translation(
            i18n.DOMAIN, CATALOGS, ["de"]
        ).gettext("Tours scheduled")
    with app.test_request_context(headers={"Accept-Language": "it"}):
        assert i18n.gettext("Tours scheduled") == "Tours scheduled"
    with app.test_request_context(headers=FRENCH):
        session["language"] = "es"
        assert i18n.format_rate(50) == "50,0\u00a0%"
        assert i18n.gettext("Search conversations") == gettext.translation(
            i18n.DOMAIN, CATALOGS, ["es"]
        ).gettext("Search conversations")


# --- every string shown goes through the catalog ------------------------------------------------

#: A pseudo-translation: every catalog string comes back bracketed, so a shown word outside
#: brackets was not translated.
OPEN, CLOSE = "⟦", "⟧"


class _Bracketing:
    def ugettext(self, message: str) -> str:
        return OPEN + message + CLOSE

    def ungettext(self, singular: str, plural: str, num: int) -> str:
        return OPEN + (singular if num == 1 else plural) + CLOSE


#: What the screens show that is data, not interface: conversation titles, names, bodies,
#: identifiers, record titles, times (written by Babel) and the host's own pages around ours.
DATA = (
    "time, code, script, style, .aiconvos-message-body, [data-timeline-link], .aiconvos-customer,"
    " .aiconvos-customer-name, .aiconvos-customer-identifier, .aiconvos-search-hit,"
    " [data-inbox-item] a, [data-ticket] a, [data-event-item] a, [data-event-ticket] a,"
    " .aiconvos-context h1, .aiconvos-badge, [data-nav-position], kbd"
)


#: The configured time zone's name, shown as it is (``AICONVOS_TIMEZONE``).
ZONE = re.compile(r"\bUTC\b|\b[A-Z][A-Za-z_]+/[A-Za-z_/]+\b")


def untranslated(container) -> list[str]:
    """Words in ``container`` outside the pseudo-translation's brackets, data left out."""
    found = []
    data = {id(element) for element in container.select(DATA)}

    def is_data(node) -> bool:
        return any(id(parent) in data for parent in [node, *node.parents])

    def check(value: str) -> None:
        outside, innermost = value, re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
        while innermost.search(outside):
            outside = innermost.sub("", outside)
        outside = ZONE.sub("", outside)
        if re.search(r"[^\W\d_]", outside) and outside.strip() not in UNTRANSLATED:
            found.append(" ".join(value.split()))

    for node in container.find_all(string=True):
        if not is_data(node.parent):
            check(str(node))
    for element in container.find_all(True):
        if is_data(element):
            continue
        for name in READ_ATTRIBUTES:
            if element.get(name):
                check(element[name])
    return found


@pytest.fixture
def bracketed(monkeypatch) -> None:
    locale = i18n.Locale.parse("en_GB")
    language = i18n._Language(locale, "en_GB", _Bracketing())
    monkeypatch.setattr(i18n, "_language", lambda: language)


def test_every_string_the_list_shows_goes_through_the_catalog(client, recorded, bracketed):
    for query in ("", "?range=this_month&outcome=tour", "?search=meeting", "?channel=voice"):
        page = soup(client.get(LIST + query, headers=ADMIN))
        shown = page.select_one(".aiconvos")
        assert shown is not None, query
        assert untranslated(shown) == [], query


def test_every_string_the_timeline_shows_goes_through_the_catalog(
    client, aiconvos, recorded, bracketed
):
    aiconvos.add_message(recorded, sender="operator", body="On it", via="coworker_message")
    aiconvos.link_inbox_item(recorded, item_id="INB-1", status="pending", title="Follow up")
    aiconvos.escalate(recorded, ticket_id="T-1", subject="Screen size")

    page = soup(client.get(f"{LIST}details/?id={recorded}", headers=ADMIN))

    assert untranslated(page.select_one(".aiconvos")) == []
    assert untranslated(page.select_one("#aiconvos-shortcuts")) == []
