"""The shipped Alembic migrations create exactly the models, in their own version table."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import Result
from support.hosts import reset_tables

from flask_aiconvos import migration
from flask_aiconvos.models import metadata
from flask_aiconvos.search_index import managed_elsewhere


def _include(obj, name, type_, reflected, compare_to):
    if managed_elsewhere(name, type_):
        return False
    if type_ == "table":
        return name.startswith("aiconvos_") and name != migration.VERSION_TABLE
    return True


def test_upgrade_then_autogenerate_finds_no_difference(app, db):
    engine = db.engine
    reset_tables(engine)
    migration.upgrade("head", engine=engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": _include,
                "version_table": migration.VERSION_TABLE,
            },
        )
        diff = compare_metadata(context, metadata)
    assert diff == []
    assert migration.current(engine=engine) is not None


def test_host_tables_and_version_table_are_left_alone(app, db):
    engine = db.engine
    reset_tables(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        connection.execute(sa.text("DROP TABLE IF EXISTS host_widget"))
        connection.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(sa.text("INSERT INTO alembic_version VALUES ('host123')"))
        connection.execute(sa.text("CREATE TABLE host_widget (id INTEGER PRIMARY KEY)"))
    try:
        migration.upgrade("head", engine=engine)
        with engine.connect() as connection:
            host_version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert host_version.scalar_one() == "host123"
            ours = connection.execute(
                sa.text(f"SELECT version_num FROM {migration.VERSION_TABLE}")
            ).scalar_one()
            assert ours == migration.current(engine=engine)
        migration.downgrade("base", engine=engine)
        names = set(sa.inspect(engine).get_table_names())
        assert "host_widget" in names and "alembic_version" in names
        assert not {n for n in names if n.startswith("aiconvos_") and n != migration.VERSION_TABLE}
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
            connection.execute(sa.text("DROP TABLE IF EXISTS host_widget"))


def test_cli_db_upgrade_and_seed(app, db):
    reset_tables(db.engine)
    runner = app.test_cli_runner()
    result: Result = runner.invoke(args=["aiconvos", "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "aiconvos: database at" in result.output
    assert runner.invoke(args=["aiconvos", "db", "current"]).output.strip() == migration.current(
        engine=db.engine
    )
    seeded = runner.invoke(args=["aiconvos", "seed-demo", "--conversations", "12"])
    assert seeded.exit_code == 0, seeded.output
    assert "seeded 12" in seeded.output
    again = runner.invoke(args=["aiconvos", "seed-demo", "--conversations", "5", "--if-empty"])
    assert "already recorded" in again.output
    bad = runner.invoke(args=["aiconvos", "seed-demo", "--conversations", "0"])
    assert bad.exit_code != 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(metadata.tables["aiconvos_conversation"])
        )
        == 12
    )
