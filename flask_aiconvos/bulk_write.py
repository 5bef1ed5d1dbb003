"""Many new rows at once, in the caller's transaction: ``COPY`` on PostgreSQL (batched
``INSERT`` statements cost it several times more), one ``executemany`` elsewhere; and the ids of
new conversations taken before their rows are written, so that no row has to be inserted alone
to learn its id.

Values go through each column type's own bind processing, so they are stored exactly as an
``INSERT`` stores them; a column a row does not give gets its default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .models import BIND_ARGUMENTS, tables_connection


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (mappings with the same keys) into ``table``."""
    if not rows:
        return
    connection = tables_connection(session)
    if connection.dialect.name != "postgresql":
        session.execute(insert(table), rows, bind_arguments=BIND_ARGUMENTS)
        return
    dialect = connection.dialect
    defaults = {
        column.name: column.default.arg
        for column in table.columns
        if column.name not in rows[0] and column.default is not None and column.default.is_scalar
    }
    names = [*rows[0], *defaults]
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    quote = dialect.identifier_preparer
    statement = (
        f"COPY {quote.format_table(table)} ({', '.join(quote.quote(name) for name in names)}) "
        "FROM STDIN"
    )
    dbapi_error = dialect.loaded_dbapi.Error
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                values = [row[name] if name in row else defaults[name] for name in names]
                copy.write_row(
                    [
                        value if process is None or value is None else process(value)
                        for value, process in zip(values, processors, strict=True)
                    ]
                )
    except dbapi_error as error:
        # As an INSERT's would be: a refused row is an IntegrityError to the caller.
        raise DBAPIError.instance(statement, None, error, dbapi_error, dialect=dialect) from error
    finally:
        cursor.close()


def new_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` ids for new rows of ``table``, ascending. PostgreSQL takes them from the id's
    sequence (no other writer gets them); SQLite gives the ones after the largest stored, as it
    would itself: a writer that stores a row first makes the insert fail on its key."""
    if count <= 0:
        return []
    connection = tables_connection(session)
    if connection.dialect.name == "postgresql":
        name = connection.dialect.identifier_preparer.format_table(table)
        taken = session.scalars(
            text("SELECT nextval(pg_get_serial_sequence(:name, 'id')) FROM generate_series(1, :n)"),
            {"name": name, "n": count},
            bind_arguments=BIND_ARGUMENTS,
        )
        return sorted(int(value) for value in taken)
    top = session.scalar(select(func.max(table.c.id)), bind_arguments=BIND_ARGUMENTS) or 0
    return list(range(top + 1, top + 1 + count))
