"""Run the extension's Alembic migrations against the host's database.

They keep their own version table (``aiconvos_alembic_version``), so a host that uses
Flask-Migrate/Alembic for its own tables on the same database is never touched.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from .state import get_state, resource_dir

VERSION_TABLE = "aiconvos_alembic_version"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the shipped migrations, bound to ``connection`` if given."""
    config = Config()
    config.set_main_option("script_location", str(resource_dir("migrations")))
    config.set_main_option("version_table", VERSION_TABLE)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _engine(engine: Engine | None) -> Engine:
    if engine is not None:
        return engine
    return get_state().engine


def upgrade(revision: str = "head", *, engine: Engine | None = None) -> None:
    with _engine(engine).begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def downgrade(revision: str, *, engine: Engine | None = None) -> None:
    with _engine(engine).begin() as connection:
        command.downgrade(alembic_config(connection), revision)


def current(*, engine: Engine | None = None) -> str | None:
    with _engine(engine).connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()
