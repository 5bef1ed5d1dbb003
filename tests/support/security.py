"""Helpers shared by the security test modules (access, tenants, lockdown, hostile input, XSS)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from flask_aiconvos import AIConversations
from flask_aiconvos.models import metadata
from support.hosts import make_host_app, reset_tables, sqlalchemy_url

HostFactory = Callable[..., tuple[Flask, AIConversations]]


@contextlib.contextmanager
def host_factory(database_url: str) -> Iterator[HostFactory]:
    """Build host apps with the extension's tables created; dropped and disposed afterwards."""
    apps: list[Flask] = []

    def build(**config: Any) -> tuple[Flask, AIConversations]:
        app, ext = make_host_app(database_url, **config)
        with app.app_context():
            ext.create_all()
        apps.append(app)
        return app, ext

    try:
        yield build
    finally:
        for app in apps:
            with app.app_context():
                AIConversations.state(app).extension.flush_access_log()
                db = app.extensions["test_db"]
                db.session.remove()
                if db.engine.dialect.name != "sqlite":
                    reset_tables(db.engine)
                db.engine.dispose()


#: The one table the screens write to, by design: the access log of who viewed what.
ACCESS_LOG_TABLE = "aiconvos_access_log"


def snapshot(app: Flask) -> dict[str, list[tuple]]:
    """Every row of every extension table holding conversations, in primary-key order (the
    access log, which records each view, aside)."""
    with app.app_context():
        engine = app.extensions["test_db"].engine
        with engine.connect() as connection:
            return {
                table.name: [
                    tuple(row)
                    for row in connection.execute(
                        sa.select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for table in metadata.sorted_tables
                if table.name != ACCESS_LOG_TABLE
            }


@contextlib.contextmanager
def module_database(param: str) -> Iterator[str]:
    """A database URL for a module-scoped fixture: ``param`` is a ``support.hosts.DATABASES`` value.

    SQLite lives in a fresh file on a RAM disk when there is one (commits cost no disk sync);
    PostgreSQL starts without the extension's tables.
    """
    if param != "sqlite":
        engine = sa.create_engine(sqlalchemy_url(param))
        reset_tables(engine)
        engine.dispose()
        yield param
        return
    shm = Path("/dev/shm")
    folder = tempfile.mkdtemp(prefix="aiconvos-", dir=shm if shm.is_dir() else None)
    try:
        yield f"sqlite:///{folder}/aiconvos.db"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
