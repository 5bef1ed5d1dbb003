"""Search without scanning: a trigram index over ``aiconvos_conversation.search_text``.

**SQLite**: an FTS5 table with the trigram tokenizer, ``aiconvos_search`` (contentless, with
positions since migration 0006). Triggers on the conversations table keep it in step, whoever
writes: the recording API, a bulk load or a host's own SQL. A search word of three characters or
more becomes a phrase of its trigrams, an FTS5 ``MATCH`` finding exactly the rows where it is a
substring (what a scan with ``LIKE`` finds) without reading them. Words shorter than three
characters, and SQLite builds without the trigram tokenizer (before 3.34), fall back to the scan.

**PostgreSQL**: a GIN index with ``pg_trgm``'s ``gin_trgm_ops`` on ``search_text``, which the same
``LIKE`` conditions use directly. When the extension cannot be created (not installed, or not
allowed) the index is left out with a warning and search scans.

Neither is part of the models' metadata: this module hooks their creation to the conversation
table's (so ``create_all`` creates them) and migration 0002 creates them in existing databases.
``include_object`` keeps them out of autogenerate's comparison.
"""

from __future__ import annotations

import sqlite3
import warnings
import weakref
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    column,
    event,
    select,
    table,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .models import Conversation, tables_connection, tables_engine

FTS_TABLE = "aiconvos_search"
TRIGRAM_INDEX = "ix_aiconvos_conversation_search_trgm"
TRIGRAM_EXTENSION = "pg_trgm"

_CONVERSATIONS = Conversation.__tablename__
_TRIGGERS = {
    "aiconvos_search_insert": (
        f"AFTER INSERT ON {_CONVERSATIONS} BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END"
    ),
    "aiconvos_search_update": (
        f"AFTER UPDATE OF search_text ON {_CONVERSATIONS} BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
        f"VALUES ('delete', old.id, old.search_text); "
        f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END"
    ),
    "aiconvos_search_delete": (
        f"AFTER DELETE ON {_CONVERSATIONS} BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
        f"VALUES ('delete', old.id, old.search_text); END"
    ),
}

#: Whether an engine's database has the SQLite index (set when created or dropped here, else
#: looked up once per engine).
_available: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


class SearchIndexWarning(UserWarning):
    """The trigram index could not be created: search works, by scanning."""


def managed_elsewhere(name: str | None, type_: str) -> bool:
    """Whether a schema object is this module's (for autogenerate's ``include_object``)."""
    if not name:
        return False
    if type_ == "table":
        return name == FTS_TABLE or name.startswith(FTS_TABLE + "_")
    return type_ == "index" and name == TRIGRAM_INDEX


# --- creating and dropping --------------------------------------------------------------------


def _sqlite_has_trigram(connection: Connection) -> bool:
    """Whether the SQLite library behind ``connection`` has FTS5 with the trigram tokenizer."""
    dbapi: Any = connection.dialect.dbapi
    probe = dbapi.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE probe USING fts5(x, tokenize='trigram')")
    except dbapi.Error:
        return False
    finally:
        probe.close()
    return True


def sqlite_has_trigram(connection: Connection) -> bool:
    """Whether this SQLite database can have a trigram index (FTS5 with the tokenizer)."""
    return _sqlite_has_trigram(connection)


def create(connection: Connection) -> bool:
    """Create the index for this database (filled from the existing rows); ``False`` when the
    database cannot have one, with a ``SearchIndexWarning``."""
    dialect = connection.dialect.name
    created = False
    if dialect == "sqlite":
        created = _create_sqlite(connection)
    elif dialect == "postgresql":
        created = _create_postgresql(connection)
    _available[connection.engine] = created and dialect == "sqlite"
    return created


def _create_sqlite(connection: Connection) -> bool:
    if not _sqlite_has_trigram(connection):
        warnings.warn(
            f"flask-aiconvos: SQLite {sqlite3.sqlite_version} has no FTS5 trigram tokenizer "
            "(3.34 or later is needed); conversation search will scan the table",
            SearchIndexWarning,
            stacklevel=2,
        )
        return False
    connection.exec_driver_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(search_text, "
        "tokenize='trigram', content='', columnsize=0)"
    )
    for name, body in _TRIGGERS.items():
        connection.exec_driver_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
    _fill_sqlite(connection)
    return True


def _fill_sqlite(connection: Connection) -> None:
    connection.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')")
    connection.exec_driver_sql(
        f"INSERT INTO {FTS_TABLE}(rowid, search_text) SELECT id, search_text FROM {_CONVERSATIONS}"
    )
    merge_segments(connection, FTS_TABLE)


def merge_segments(connection: Connection, fts_table: str) -> None:
    """Merge an FTS5 table's segments into one after filling it in bulk. A fill leaves many
    segments of every size; the writes after it then pay for merging them (FTS5's automerge
    and crisis merges), which at 1M conversations made later inserts three to ten times
    slower. Merged, a later write merges only the small segments it makes."""
    connection.exec_driver_sql(f"INSERT INTO {fts_table}({fts_table}) VALUES ('optimize')")


def trigram_extension(connection: Connection, *, advice: str) -> bool:
    """Whether PostgreSQL's ``pg_trgm`` is there (created when missing and allowed); when it
    cannot be, a ``SearchIndexWarning`` naming ``advice`` (what a superuser should run)."""
    installed = connection.execute(
        text("SELECT 1 FROM pg_extension WHERE extname = :name"), {"name": TRIGRAM_EXTENSION}
    ).first()
    if installed is not None:
        return True
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {TRIGRAM_EXTENSION}")
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        warnings.warn(
            f"flask-aiconvos: cannot create the {TRIGRAM_EXTENSION} extension ({reason}); "
            "search will scan the table. To index it, have a superuser run "
            f"'CREATE EXTENSION pg_trgm; {advice}'",
            SearchIndexWarning,
            stacklevel=4,
        )
        return False
    return True


def _create_postgresql(connection: Connection) -> bool:
    index_sql = (
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON {_CONVERSATIONS} "
        "USING gin (search_text gin_trgm_ops)"
    )
    if not trigram_extension(connection, advice=index_sql + ";"):
        return False
    connection.exec_driver_sql(index_sql)
    return True


def drop(connection: Connection) -> None:
    """Drop the index (the pg_trgm extension stays: other tables may use it)."""
    if connection.dialect.name == "sqlite":
        for name in _TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    _available[connection.engine] = False


def rebuild(connection: Connection) -> None:
    """Refill the SQLite index from the conversations (after loading rows with its triggers
    dropped); PostgreSQL maintains its index itself."""
    if connection.dialect.name == "sqlite" and _exists_sqlite(connection):
        _fill_sqlite(connection)


def _exists_sqlite(connection: Connection) -> bool:
    found = connection.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": FTS_TABLE},
    ).first()
    return found is not None


@event.listens_for(Conversation.__table__, "after_create")
def _create_with_table(target: Any, connection: Connection, **kw: Any) -> None:
    create(connection)


@event.listens_for(Conversation.__table__, "before_drop")
def _drop_with_table(target: Any, connection: Connection, **kw: Any) -> None:
    drop(connection)


# --- searching ------------------------------------------------------------------------------


def enabled(session: Session) -> bool:
    """Whether searches on this session's database can use the SQLite index."""
    engine = tables_engine(session)
    if engine.dialect.name != "sqlite":
        return False
    known = _available.get(engine)
    if known is None:
        known = _exists_sqlite(tables_connection(session))
        _available[engine] = known
    return known


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def match_query(words: Sequence[Sequence[str]]) -> str | None:
    """The FTS5 query for a search: per word, any of its alternatives (each a phrase of its
    trigrams: exactly the rows holding it); all words. Words that cannot be looked up (an
    alternative shorter than three characters) are left to the scan."""
    clauses = []
    for alternatives in words:
        if not alternatives or any(len(alternative) < 3 for alternative in alternatives):
            continue
        ors = [_phrase(alternative) for alternative in alternatives]
        clauses.append(ors[0] if len(ors) == 1 else "(" + " OR ".join(ors) + ")")
    return " AND ".join(clauses) if clauses else None


_fts = table(FTS_TABLE, column("rowid"), column(FTS_TABLE))


def matching_ids(words: Sequence[Sequence[str]]) -> Select[Any] | None:
    """The ids of the conversations the index finds holding ``words`` (each a list of
    alternatives; exact for the words it can look up), from the index alone; ``None`` when no
    word can use the index."""
    query = match_query(words)
    if query is None:
        return None
    return select(_fts.c.rowid).where(_fts.c[FTS_TABLE].op("MATCH")(query))


def like_escape(word: str) -> str:
    """``word`` as a ``LIKE`` pattern's literal part (escape character ``\\``)."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(expression: Any, word: str) -> ColumnElement[bool]:
    """``expression`` holds ``word`` as a literal substring."""
    return expression.like(f"%{like_escape(word)}%", escape="\\")
