"""The example host: a coworking back office that adds flask-aiconvos to its Flask-Admin panel.

It is what a host developer copies from: Flask-SQLAlchemy, Flask-Admin and Flask-Login set up
as usual, three lines for the extension, and the host pages the conversation screens link to.
Users live in memory so the demo needs no host tables.

    flask --app example_app.app aiconvos db upgrade
    flask --app example_app.app aiconvos seed-demo --conversations 200
    flask --app example_app.app run
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_admin import Admin
from flask_admin.menu import MenuLink
from flask_admin.theme import Bootstrap4Theme
from flask_login import (
    LoginManager,
    UserMixin,
    current_user,
    login_required,
    login_user,
    logout_user,
)
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

try:  # The i18n extra: the screens follow the language chosen in the navbar.
    from flask_babel import Babel
except ImportError:
    Babel = None

from flask_aiconvos import AIConversations
from flask_aiconvos.demo import demo_customer
from flask_aiconvos.vocab import ConversionKind, values

#: Only for local demos; set the SECRET_KEY environment variable anywhere else.
DEV_SECRET_KEY = "dev-only-change-me"
VIEW_ROLE = "aiChannelSession"
#: Who may export the list and who may read the access log (the extension's default names).
EXPORT_ROLE = "aiChannelSessionExport"
AUDIT_ROLE = "aiChannelSessionAudit"
#: Host records a conversation can lead to: their pages show the conversations that did.
CONVERSION_KINDS = values(ConversionKind)

#: Who may open which host record from the conversation screens (kind → role).
LINK_ROLES: dict[str, str] = {
    "tour": "visitors",
    "customer": "customers",
    "contract": "contracts",
    "booking": "bookings",
    "day_pass": "bookings",
    "inbox_item": "aiInbox",
    "ticket": "helpDesk",
}


@dataclass(frozen=True)
class HostPage:
    endpoint: str
    rule: str
    title: str
    description: str


#: The host pages the conversation screens link to, by record kind.
HOST_PAGES: dict[str, HostPage] = {
    "customer": HostPage(
        "customer_profile",
        "/customers/<id>",
        "Customer",
        "The member's profile: contact details, membership and invoices.",
    ),
    "booking": HostPage(
        "booking_detail",
        "/bookings/<id>",
        "Booking",
        "A meeting room or desk booking: room, time, attendees and price.",
    ),
    "tour": HostPage(
        "visitor_detail",
        "/visitors/<id>",
        "Visitor tour",
        "A scheduled tour of the space: visitor, date, host and follow-up.",
    ),
    "contract": HostPage(
        "contract_detail",
        "/contracts/<id>",
        "Contract",
        "A membership or private office agreement: term, price and signatures.",
    ),
    "day_pass": HostPage(
        "day_pass_detail",
        "/day-passes/<id>",
        "Day pass purchase",
        "A day pass bought through the AI assistant: date, site and payment.",
    ),
    "inbox_item": HostPage(
        "inbox_item_detail",
        "/ai-inbox/<id>",
        "AI Inbox item",
        "An action the AI assistant proposed, and what an operator decided.",
    ),
    "ticket": HostPage(
        "ticket_detail",
        "/help-desk/<id>",
        "Help desk ticket",
        "A help desk ticket opened when a conversation was escalated.",
    ),
}

#: ``links=`` for flask-aiconvos: record kind → endpoint name.
LINK_ENDPOINTS: dict[str, str] = {kind: page.endpoint for kind, page in HOST_PAGES.items()}

_HASH_METHOD = "pbkdf2:sha256:120000"


@dataclass(frozen=True, eq=False)
class DemoUser(UserMixin):
    """A back-office user; ``has_role`` is what flask-aiconvos' default role checker calls."""

    id: str
    display_name: str
    password_hash: str
    roles: frozenset[str]

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


def _user(username: str, display_name: str, roles: set[str]) -> DemoUser:
    password_hash = generate_password_hash(username, method=_HASH_METHOD)
    return DemoUser(username, display_name, password_hash, frozenset(roles))


#: Demo accounts; each password is the username (shown on the login page and in the README).
USERS: dict[str, DemoUser] = {
    user.id: user
    for user in (
        _user(
            "admin",
            "Admin (every role)",
            {VIEW_ROLE, EXPORT_ROLE, AUDIT_ROLE, *LINK_ROLES.values()},
        ),
        _user("viewer", "Viewer (conversations only)", {VIEW_ROLE}),
        _user("nobody", "Nobody (no roles)", set()),
    )
}
_DUMMY_HASH = generate_password_hash(secrets.token_hex(8), method=_HASH_METHOD)

db = SQLAlchemy()
login_manager = LoginManager()
aiconvos = AIConversations()


@login_manager.user_loader
def load_user(user_id: str) -> DemoUser | None:
    return USERS.get(user_id)


# --- configuration --------------------------------------------------------------------------


def sqlalchemy_url(url: str) -> str:
    """Use the psycopg 3 driver for a plain ``postgres://`` or ``postgresql://`` URL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _is_sqlite_file(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")


def _fast_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL without a sync on every commit: seeding thousands of demo rows takes seconds.

    The recording API commits once per call; on a plain SQLite file each commit waits for the
    disk. A demo database can afford to lose the last moments of writes after a power cut.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _default_database_url(app: Flask) -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'demo.db'}"


#: The bind that holds the conversation tables when ``CONVERSATIONS_DATABASE_URL`` is set.
CONVERSATIONS_BIND = "conversations"


def _conversations_database(app: Flask) -> None:
    """``CONVERSATIONS_DATABASE_URL``: the extension's tables in a database of their own."""
    url = os.environ.get("CONVERSATIONS_DATABASE_URL")
    if url:
        app.config.setdefault("SQLALCHEMY_BINDS", {})[CONVERSATIONS_BIND] = sqlalchemy_url(url)
        app.config["AICONVOS_BIND_KEY"] = CONVERSATIONS_BIND


# --- login ----------------------------------------------------------------------------------


def csrf_token() -> str:
    """The session's form token; login and logout forms carry it."""
    token = session.get("_csrf_token")
    if not isinstance(token, str):
        token = session["_csrf_token"] = secrets.token_urlsafe(32)
    return token


def _check_csrf() -> None:
    expected = session.get("_csrf_token")
    sent = request.form.get("csrf_token", "")
    if not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
        abort(400, description="The form expired. Go back, reload the page and try again.")


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only, never another host."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and not any(ord(ch) < 32 for ch in target):
            return target
    return url_for("index")


def login() -> str | Response:
    error = None
    next_url = request.values.get("next")
    if request.method == "POST":
        _check_csrf()
        user = USERS.get(request.form.get("username", "").strip())
        password = request.form.get("password", "")
        # Hash something even for an unknown name, so timing does not reveal valid usernames.
        valid = user.check_password(password) if user else check_password_hash(_DUMMY_HASH, "")
        if user is not None and valid:
            session.pop("_csrf_token", None)
            login_user(user)
            return redirect(safe_next(next_url))
        error = "Unknown username or wrong password."
    return render_template(
        "example/login.html",
        error=error,
        next_url=next_url or "",
        accounts=list(USERS.values()),
    )


def logout() -> Response:
    _check_csrf()
    logout_user()
    session.pop("_csrf_token", None)
    flash("You are logged out.", "info")
    return redirect(url_for("index"))


def index() -> str:
    return render_template("example/index.html")


# --- language -------------------------------------------------------------------------------

#: The languages the navbar offers (English and the extension's catalogs), each named in itself.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "de": "Deutsch",
}


def chosen_language() -> str:
    """The language chosen in the navbar, else the browser's best match, else English."""
    chosen = session.get("language")
    if chosen in LANGUAGE_NAMES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGE_NAMES)) or "en"


def select_locale() -> str:
    """Flask-Babel's locale: a London coworking business writes its English the British way."""
    language = chosen_language()
    return "en_GB" if language == "en" else language


def choose_language() -> Response:
    _check_csrf()
    language = request.form.get("language", "")
    if language not in LANGUAGE_NAMES:
        abort(400, description="Unknown language.")
    session["language"] = language
    return redirect(safe_next(request.form.get("next")))


# --- host pages -----------------------------------------------------------------------------


def _require_role(kind: str) -> None:
    """A host record needs its kind's own role, the one ``AICONVOS_LINK_ROLES`` names."""
    role = current_app.config.get("AICONVOS_LINK_ROLES", {}).get(kind)
    if role is not None and not current_user.has_role(role):
        abort(403)


def _host_page(kind: str) -> Callable[[str], str]:
    page = HOST_PAGES[kind]

    @login_required
    def view(id: str) -> str:
        _require_role(kind)
        customer = demo_customer(id) if kind == "customer" else None
        return render_template(
            "example/record.html",
            kind=kind,
            page=page,
            record_id=id,
            customer=customer,
            conversion_kinds=CONVERSION_KINDS,
        )

    view.__doc__ = f"{page.title} page of the host app (a stub for the demo)."
    return view


def _error_page(error: Any) -> tuple[str, int]:
    return render_template("example/error.html", error=error), error.code


# --- the app --------------------------------------------------------------------------------


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the example back office; ``config`` overrides any default (tests, other DBs)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("SECRET_KEY", DEV_SECRET_KEY),
        SQLALCHEMY_DATABASE_URI=_default_database_url(app),
        SESSION_COOKIE_SAMESITE="Lax",
        AICONVOS_VIEW_ROLE=VIEW_ROLE,
        AICONVOS_EXPORT_ROLE=EXPORT_ROLE,
        AICONVOS_AUDIT_ROLE=AUDIT_ROLE,
        AICONVOS_LINK_ROLES=dict(LINK_ROLES),
        AICONVOS_TIMEZONE="Europe/London",
        AICONVOS_MARKDOWNIFY_CHANNELS=["chat", "whatsapp"],
    )
    _conversations_database(app)
    if config:
        app.config.update(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(app.config["SQLALCHEMY_DATABASE_URI"])

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            if _is_sqlite_file(engine):
                Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
                event.listen(engine, "connect", _fast_sqlite)

    login_manager.init_app(app)
    login_manager.login_view = "login"
    login_manager.login_message_category = "info"

    app.add_url_rule("/", "index", index)
    app.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    app.add_url_rule("/logout", "logout", logout, methods=["POST"])
    if Babel is not None:
        Babel(app, locale_selector=select_locale)
        app.add_url_rule("/language", "choose_language", choose_language, methods=["POST"])
    for kind, page in HOST_PAGES.items():
        app.add_url_rule(page.rule, page.endpoint, _host_page(kind))
    for code in (400, 403, 404):
        app.register_error_handler(code, _error_page)
    app.context_processor(
        lambda: {
            "csrf_token": csrf_token,
            "host_pages": HOST_PAGES,
            "languages": LANGUAGE_NAMES if Babel is not None else {},
            "current_language": chosen_language() if Babel is not None else "en",
        }
    )

    admin = Admin(
        app,
        name="Coworking back office",
        url="/admin",
        theme=Bootstrap4Theme(fluid=True),
    )
    admin.add_link(MenuLink(name="Back office home", endpoint="index"))
    aiconvos.init_app(app, db=db, admin=admin, links=LINK_ENDPOINTS)
    return app
