"""A small host application built only from the public API, and the users it knows."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask import Flask, abort, request
from flask.testing import FlaskClient
from flask_admin import Admin
from flask_babel import Babel
from flask_login import LoginManager, UserMixin, current_user
from flask_sqlalchemy import SQLAlchemy
from jinja2 import StrictUndefined

from flask_aiconvos import AIConversations, audit
from flask_aiconvos.i18n import LANGUAGES as CATALOG_LANGUAGES
from flask_aiconvos.migration import VERSION_TABLE
from flask_aiconvos.models import metadata

POSTGRES_URL = os.environ.get("AICONVOS_TEST_DATABASE_URL", "").strip()
FIXED_NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)
#: The languages the test host offers: its default and the extension's catalogs.
LANGUAGES = ("en_GB", *CATALOG_LANGUAGES)

ALL_LINK_ROLES = {
    "tour": "visitors",
    "customer": "customers",
    "contract": "contracts",
    "booking": "bookings",
    "day_pass": "bookings",
    "inbox_item": "aiInbox",
    "ticket": "helpDesk",
}
HOST_ENDPOINTS = {
    "tour": "visitor_detail",
    "customer": "customer_profile",
    "contract": "contract_detail",
    "booking": "booking_detail",
    "day_pass": "day_pass_detail",
    "inbox_item": "inbox_item_detail",
    "ticket": "ticket_detail",
}


def sqlalchemy_url(url: str) -> str:
    """Use psycopg 3 for a plain ``postgresql://`` URL."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def postgres_database(url: str, name: str) -> str:
    """``url`` with its database replaced by ``name``, created on that server when missing."""
    base = sa.make_url(url)
    own = base.set(database=name)
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return own.render_as_string(hide_password=False)


def worker_database(url: str) -> str:
    """The PostgreSQL database of this pytest-xdist worker (``<name>_gw0``, …), created when
    missing, so parallel workers never drop each other's tables; without xdist: ``url`` itself."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    return postgres_database(url, f"{sa.make_url(url).database}_{worker}")


DATABASES = [pytest.param("sqlite", id="sqlite")]
if POSTGRES_URL:
    DATABASES.append(pytest.param(worker_database(sqlalchemy_url(POSTGRES_URL)), id="postgresql"))


@dataclass
class User(UserMixin):
    id: str
    roles: set[str] = field(default_factory=set)
    tenant: str | None = None

    def has_role(self, role: str) -> bool:
        return role in self.roles


USERS = {
    "admin": User("admin", {"aiChannelSession", *ALL_LINK_ROLES.values()}),
    "viewer": User("viewer", {"aiChannelSession"}),
    "nobody": User("nobody", set()),
    "tenant_a": User("tenant_a", {"aiChannelSession", *ALL_LINK_ROLES.values()}, tenant="a"),
    "tenant_b": User("tenant_b", {"aiChannelSession", *ALL_LINK_ROLES.values()}, tenant="b"),
    # Reads the access log only (not the conversations).
    "auditor": User("auditor", {"aiChannelSessionAudit"}),
    "auditor_a": User("auditor_a", {"aiChannelSessionAudit"}, tenant="a"),
    # May export the list (besides viewing it).
    "exporter": User("exporter", {"aiChannelSession", "aiChannelSessionExport"}),
    "exporter_b": User("exporter_b", {"aiChannelSession", "aiChannelSessionExport"}, tenant="b"),
    # Holds the export role only: without the view role it sees nothing.
    "export_only": User("export_only", {"aiChannelSessionExport"}),
}


class FreshContextClient(FlaskClient):
    """A test client that gives every request its own app context.

    pytest-flask keeps a request context pushed for the whole test; without this, ``g`` (and
    Flask-Login's cached user) would leak from one request into the next.
    """

    def __enter__(self) -> FreshContextClient:
        # pytest-flask opens the client with ``with``; preserving request contexts would push
        # them inside the per-request app context below, so they are never preserved.
        return self

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def reset_tables(engine: sa.Engine) -> None:
    """Drop the extension's tables (and its version table) so each test starts empty, once
    the access-log entries of earlier pages are written (none lands in the next test's)."""
    audit.flush()
    with engine.begin() as connection:
        metadata.drop_all(connection)
        connection.execute(sa.text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))


def make_host_app(database_url: str, **config) -> tuple[Flask, AIConversations]:
    """A host application wired as the README tells a real one to wire the extension."""
    app = Flask("host_app")
    app.config.update(
        TESTING=True,
        SECRET_KEY="test-secret",
        SQLALCHEMY_DATABASE_URI=database_url,
        AICONVOS_LINK_ROLES=dict(ALL_LINK_ROLES),
    )
    scope = config.pop("scope", None)
    role_checker = config.pop("role_checker", None)
    links = config.pop("links", HOST_ENDPOINTS)
    clock = config.pop("clock", lambda: FIXED_NOW)
    view_class = config.pop("view_class", None)
    app.config.update(config)
    app.jinja_env.undefined = StrictUndefined
    app.test_client_class = FreshContextClient

    db = SQLAlchemy()
    db.init_app(app)
    # Flask-Babel is installed with the test dependencies, so the host sets it up, as a real
    # host with it must (Flask-Admin answers 500 otherwise). British English unless the
    # request asks for a language with Accept-Language.
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en_GB")
    Babel(app, locale_selector=lambda: request.accept_languages.best_match(LANGUAGES))
    admin = Admin(app, name="Host", url="/admin")

    login = LoginManager(app)
    login.login_view = "login"

    @login.request_loader
    def load_from_header(request):
        return USERS.get(request.headers.get("X-Test-User", ""))

    @app.route("/login")
    def login() -> str:
        return "login page"

    for kind, endpoint in HOST_ENDPOINTS.items():
        app.add_url_rule(f"/host/{kind}/<id>", endpoint, lambda id, kind=kind: f"{kind} {id}")

    @app.route("/whoami")
    def whoami() -> str:
        if not current_user.is_authenticated:
            abort(401)
        return current_user.id

    aiconvos = AIConversations()
    options = {"view_class": view_class} if view_class is not None else {}
    aiconvos.init_app(
        app,
        db=db,
        admin=admin,
        links=links,
        scope=scope,
        role_checker=role_checker,
        clock=clock,
        **options,
    )
    app.extensions["test_db"] = db
    return app, aiconvos


def tenant_of_current_user() -> str | None:
    return getattr(current_user, "tenant", None)
