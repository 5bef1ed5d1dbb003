"""Fixtures: a small host app built only from the public API, on SQLite and PostgreSQL.

Every database test runs once per backend: ``sqlite`` always, ``postgresql`` when
``AICONVOS_TEST_DATABASE_URL`` names a server (CI sets it). Helpers live in ``support``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from support.hosts import DATABASES, make_host_app, reset_tables

from flask_aiconvos import AIConversations


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'aiconvos.db'}"
        return
    engine = sa.create_engine(request.param)
    reset_tables(engine)
    engine.dispose()
    yield request.param


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change the host app's config or init_app options."""
    return {}


@pytest.fixture
def app(database_url: str, app_config: dict) -> Iterator[Flask]:
    flask_app, aiconvos = make_host_app(database_url, **app_config)
    with flask_app.app_context():
        aiconvos.create_all()
    yield flask_app
    with flask_app.app_context():
        aiconvos.flush_access_log()  # no entry of this test lands in the next one's tables
        flask_app.extensions["test_db"].session.remove()
        engine = flask_app.extensions["test_db"].engine
        if engine.dialect.name != "sqlite":
            reset_tables(engine)
        engine.dispose()


@pytest.fixture
def aiconvos(app: Flask) -> AIConversations:
    return AIConversations.state(app).extension


@pytest.fixture
def db(app: Flask) -> SQLAlchemy:
    return app.extensions["test_db"]
