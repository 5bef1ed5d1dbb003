"""Alembic environment for flask-aiconvos: its own metadata and version table only."""

from __future__ import annotations

from alembic import context

from flask_aiconvos.message_search import managed_elsewhere
from flask_aiconvos.migration import VERSION_TABLE
from flask_aiconvos.models import metadata

config = context.config


def _include_object(obj, name, type_, reflected, compare_to):
    # The search index (FTS5 tables, the pg_trgm index) is created outside the metadata.
    if managed_elsewhere(name, type_):
        return False
    # Never look at (or propose dropping) the host's tables on a shared database.
    if type_ == "table":
        return name.startswith("aiconvos_") and name != VERSION_TABLE
    return True


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run the aiconvos migrations through flask_aiconvos.migration")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_object=_include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) mode is not supported by the aiconvos migrations")
run_migrations_online()
