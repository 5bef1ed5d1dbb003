"""Registering the extension: config defaults, errors, the admin view and its menu entry."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_admin import Admin
from flask_sqlalchemy import SQLAlchemy
from support.http import as_user, soup

from flask_aiconvos import AIConversations, ConfigurationError
from flask_aiconvos.extension import CONFIG_DEFAULTS


def bare_app(**config) -> tuple[Flask, SQLAlchemy, Admin]:
    app = Flask("bare")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="x", **config)
    db = SQLAlchemy(app)
    return app, db, Admin(app)


def test_config_defaults_are_set_once():
    app, db, admin = bare_app(AICONVOS_PAGE_SIZE=10)
    AIConversations(app, db=db, admin=admin)
    assert app.config["AICONVOS_PAGE_SIZE"] == 10
    for key, value in CONFIG_DEFAULTS.items():
        if key != "AICONVOS_PAGE_SIZE":
            assert app.config[key] == value
    assert app.config["AICONVOS_VIEW_ROLE"] == "aiChannelSession"
    assert app.config["AICONVOS_URL"] == "ai-conversations"
    assert app.config["AICONVOS_CATEGORY"] == "AI Assistant"
    assert app.config["AICONVOS_TIMEZONE"] == "UTC"
    assert app.config["AICONVOS_SANITIZER"] == "nh3"
    assert "aiconvos" in app.extensions


def test_second_registration_is_refused():
    app, db, admin = bare_app()
    ext = AIConversations()
    ext.init_app(app, db=db, admin=admin)
    with pytest.raises(RuntimeError, match="already registered"):
        ext.init_app(app, db=db, admin=admin)
    with pytest.raises(RuntimeError, match="already registered"):
        AIConversations(app, db=db, admin=admin)


def test_one_extension_object_serves_two_apps():
    ext = AIConversations()
    first, second = bare_app(), bare_app(AICONVOS_PAGE_SIZE=5)
    ext.init_app(first[0], db=first[1], admin=first[2])
    ext.init_app(second[0], db=second[1], admin=second[2])
    assert AIConversations.state(first[0]).page_size == 25
    assert AIConversations.state(second[0]).page_size == 5


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ({"AICONVOS_TIMEZONE": "Mars/Olympus"}, "unknown time zone"),
        ({"AICONVOS_SANITIZER": "html5lib"}, "nh3, bleach"),
        ({"AICONVOS_PAGE_SIZE": 0}, "AICONVOS_PAGE_SIZE"),
        ({"AICONVOS_PAGE_SIZE": "25"}, "AICONVOS_PAGE_SIZE"),
        ({"AICONVOS_LINK_ROLES": {"invoice": "x"}}, "unknown kind 'invoice'"),
        ({"AICONVOS_LINK_ROLES": ["tour"]}, "mapping"),
        ({"AICONVOS_VIEW_ROLE": ""}, "AICONVOS_VIEW_ROLE"),
        ({"AICONVOS_EXPORT_ROLE": ""}, "AICONVOS_EXPORT_ROLE"),
        ({"AICONVOS_EXPORT_ROLE": None}, "AICONVOS_EXPORT_ROLE"),
        ({"AICONVOS_MARKDOWNIFY_CHANNELS": ["sms"]}, "AICONVOS_MARKDOWNIFY_CHANNELS"),
        ({"AICONVOS_MARKDOWNIFY_CHANNELS": "chat"}, "list of channel values"),
    ],
)
def test_bad_config_is_a_clear_error(config, says):
    app, db, admin = bare_app(**config)
    with pytest.raises(ConfigurationError, match=says):
        AIConversations(app, db=db, admin=admin)
    assert "aiconvos" not in app.extensions


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"db": None}, "db="),
        ({"admin": None}, "admin="),
        ({"links": {"invoice": "x"}}, "unknown kind"),
        ({"links": {"tour": 3}}, "endpoint name or a callable"),
        ({"role_checker": "yes"}, "role_checker"),
        ({"scope": "tenant"}, "scope"),
    ],
)
def test_bad_init_arguments(kwargs, says):
    app, db, admin = bare_app()
    options = {"db": db, "admin": admin, **kwargs}
    with pytest.raises(ConfigurationError, match=says):
        AIConversations(app, **options)


def test_view_is_registered_under_the_category(app, client):
    page = soup(client.get("/admin/ai-conversations/", headers=as_user("admin")))
    menu = page.select_one(".navbar")
    assert menu is not None
    category = [a for a in menu.find_all("a") if a.get_text(strip=True) == "AI Assistant"]
    assert category, menu
    link = menu.find("a", href="/admin/ai-conversations/")
    assert link is not None and link.get_text(strip=True) == "AI Conversations"


def test_menu_entry_is_hidden_without_the_view_role(app, client):
    response = client.get("/admin/", headers=as_user("nobody"))
    assert response.status_code == 200
    assert "/admin/ai-conversations/" not in response.get_data(as_text=True)


def test_host_can_override_a_template(app, client, tmp_path):
    override = tmp_path / "templates" / "aiconvos"
    override.mkdir(parents=True)
    (override / "list.html").write_text("host list {{ list_page.overview.total }}")
    from jinja2 import ChoiceLoader, FileSystemLoader

    app.jinja_loader  # noqa: B018 - the app's own loader comes first in Flask's dispatcher
    app.jinja_env.loader = ChoiceLoader(
        [FileSystemLoader(str(tmp_path / "templates")), app.jinja_env.loader]
    )
    response = client.get("/admin/ai-conversations/", headers=as_user("viewer"))
    assert response.get_data(as_text=True) == "host list 0"
