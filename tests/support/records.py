"""Conversation records (the import/export JSON Lines format) and table snapshots to compare."""

from __future__ import annotations

import sys
from pathlib import Path

import sqlalchemy as sa

from flask_aiconvos import counters
from flask_aiconvos.models import metadata

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.generate import import_record as plan_record  # noqa: F401  (re-exported)

#: Columns the importer fills differently from the recording API on purpose: messages are
#: rendered when first shown, inbox items are linked at the time of the import.
UNCOMPARED = {
    "aiconvos_message": {"rendered_html", "render_version"},
    "aiconvos_inbox_item": {"linked_at", "updated_at"},
}


def tables(engine: sa.Engine, *, all_columns: bool = False) -> dict[str, list[tuple]]:
    """Every row of every extension table in primary-key order, without the columns the
    importer fills differently (unless ``all_columns``)."""
    with engine.connect() as connection:
        found = {}
        for table in metadata.sorted_tables:
            skipped = set() if all_columns else UNCOMPARED.get(table.name, set())
            columns = [column for column in table.columns if column.name not in skipped]
            found[table.name] = [
                tuple(row)
                for row in connection.execute(sa.select(*columns).order_by(*table.primary_key))
            ]
        return found


#: The counter tables (``counters``): the list's, and the same split by outcome mask.
COUNTER_TABLES = ("aiconvos_counter", "aiconvos_outcome_counter")


def counter_rows(engine: sa.Engine) -> list[tuple]:
    """Every row of both counter tables, each with its table's name first."""
    with engine.connect() as connection:
        return [
            (name, *row)
            for name in COUNTER_TABLES
            for row in connection.execute(
                sa.select(metadata.tables[name]).order_by(*metadata.tables[name].primary_key)
            )
        ]


def rebuilt_counter_rows(engine: sa.Engine) -> list[tuple]:
    """The counters as a rebuild from the conversations gives them (then restored)."""
    kept = counter_rows(engine)
    with engine.begin() as connection:
        counters.rebuild(connection)
    rebuilt = counter_rows(engine)
    with engine.begin() as connection:
        for name in COUNTER_TABLES:
            table = metadata.tables[name]
            connection.execute(table.delete())
            rows = [row[1:] for row in kept if row[0] == name]
            if rows:
                names = [column.name for column in table.columns]
                connection.execute(
                    sa.insert(table), [dict(zip(names, row, strict=True)) for row in rows]
                )
    return rebuilt
