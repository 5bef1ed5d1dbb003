"""Search inside messages: each message's folded visible text, indexed by trigrams.

``aiconvos_message.search_text`` holds a message's visible text (HTML and Markdown as the text
they show, not their markup), folded (``message_text``); the recording API, the importer and
migration 0006 write it. A message written by other means without it is
searched by its lower-cased body (``indexed_text``), markup included, until it is written.

**SQLite**: an FTS5 table with the trigram tokenizer, ``aiconvos_message_search`` (contentless,
with positions), kept in step by triggers on the messages table, whoever writes. A term of three
characters or more is a phrase of its trigrams, which matches exactly where the term is a
substring of the indexed text: the messages are never read, only the index and
``ix_aiconvos_message_owner`` (message id → conversation id). The conversations' index and
this one exist together (``search_index.enabled`` says whether both do).

**PostgreSQL**: a ``pg_trgm`` GIN index on ``indexed_text``'s expression, which the ``LIKE``
uses directly. Without the trigram tokenizer or the extension
there is no index (with a ``SearchIndexWarning``) and a search reads every message.

As ``search_index`` does for the conversations, this module hooks the index's creation to the
messages table's, and ``managed_elsewhere`` keeps both indexes out of autogenerate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from operator import add
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    column,
    event,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from . import rendering, search_index
from .models import BIND_ARGUMENTS, Message
from .search_text import MESSAGE_SEARCH_MAX, fold_message_text, word_alternatives

MESSAGE_FTS_TABLE = "aiconvos_message_search"
MESSAGE_TRIGRAM_INDEX = "ix_aiconvos_message_search_trgm"
#: SQLite: the conversation of each message, read without the (wide) message rows.
OWNER_INDEX = "ix_aiconvos_message_owner"
#: What is indexed and matched for a message, in SQL: its search text, else its lower-cased body.
INDEXED_SQL = "coalesce(search_text, lower(body))"

_MESSAGES = Message.__tablename__


def _indexed(row: str) -> str:
    return f"coalesce({row}.search_text, lower({row}.body))"


_TRIGGERS = {
    "aiconvos_message_search_insert": (
        f"AFTER INSERT ON {_MESSAGES} BEGIN "
        f"INSERT INTO {MESSAGE_FTS_TABLE}(rowid, search_text) VALUES (new.id, {_indexed('new')}); "
        "END"
    ),
    "aiconvos_message_search_update": (
        f"AFTER UPDATE OF search_text, body ON {_MESSAGES} BEGIN "
        f"INSERT INTO {MESSAGE_FTS_TABLE}({MESSAGE_FTS_TABLE}, rowid, search_text) "
        f"VALUES ('delete', old.id, {_indexed('old')}); "
        f"INSERT INTO {MESSAGE_FTS_TABLE}(rowid, search_text) VALUES (new.id, {_indexed('new')}); "
        "END"
    ),
    "aiconvos_message_search_delete": (
        f"AFTER DELETE ON {_MESSAGES} BEGIN "
        f"INSERT INTO {MESSAGE_FTS_TABLE}({MESSAGE_FTS_TABLE}, rowid, search_text) "
        f"VALUES ('delete', old.id, {_indexed('old')}); END"
    ),
}


def managed_elsewhere(name: str | None, type_: str) -> bool:
    """Whether a schema object belongs to a search index (for autogenerate's
    ``include_object``): the conversations' or the messages'."""
    if not name:
        return False
    if search_index.managed_elsewhere(name, type_):
        return True
    if type_ == "table":
        return name == MESSAGE_FTS_TABLE or name.startswith(MESSAGE_FTS_TABLE + "_")
    return type_ == "index" and name in (MESSAGE_TRIGRAM_INDEX, OWNER_INDEX)


def message_text(body: str, content_format: str) -> str:
    """What is stored for a message's search: its visible text (HTML and Markdown as the text
    they show, ``rendering.visible_text``), folded (``search_text.fold_message_text``)."""
    shown = rendering.visible_text(body, content_format, limit=MESSAGE_SEARCH_MAX)
    return fold_message_text(shown)


# --- creating and dropping --------------------------------------------------------------------


def create(connection: Connection, *, fill: bool = True) -> bool:
    """Create the messages' index (filled from the stored messages unless ``fill`` is false);
    ``False`` when the database cannot have one, with a ``SearchIndexWarning``."""
    created = False
    if connection.dialect.name == "sqlite":
        created = search_index.sqlite_has_trigram(connection)
        if created:
            connection.exec_driver_sql(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {MESSAGE_FTS_TABLE} USING fts5(search_text, "
                "tokenize='trigram', content='', columnsize=0)"
            )
            connection.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {OWNER_INDEX} ON {_MESSAGES} (id, conversation_id)"
            )
            for name, body in _TRIGGERS.items():
                connection.exec_driver_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
            if fill:
                rebuild(connection)
    elif connection.dialect.name == "postgresql":
        index_sql = (
            f"CREATE INDEX IF NOT EXISTS {MESSAGE_TRIGRAM_INDEX} ON {_MESSAGES} "
            f"USING gin (({INDEXED_SQL}) gin_trgm_ops)"
        )
        created = search_index.trigram_extension(connection, advice=index_sql + ";")
        if created:
            connection.exec_driver_sql(index_sql)
    return created


def rebuild(connection: Connection) -> None:
    """Refill the SQLite index from the stored messages; PostgreSQL keeps its index itself."""
    if connection.dialect.name != "sqlite":
        return
    connection.exec_driver_sql(
        f"INSERT INTO {MESSAGE_FTS_TABLE}({MESSAGE_FTS_TABLE}) VALUES ('delete-all')"
    )
    connection.exec_driver_sql(
        f"INSERT INTO {MESSAGE_FTS_TABLE}(rowid, search_text) "
        f"SELECT id, {INDEXED_SQL} FROM {_MESSAGES}"
    )
    search_index.merge_segments(connection, MESSAGE_FTS_TABLE)


def drop(connection: Connection) -> None:
    """Drop the messages' index (the pg_trgm extension stays)."""
    if connection.dialect.name == "sqlite":
        for name in _TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {MESSAGE_FTS_TABLE}")
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {OWNER_INDEX}")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {MESSAGE_TRIGRAM_INDEX}")


@event.listens_for(Message.__table__, "after_create")
def _create_with_table(target: Any, connection: Connection, **kw: Any) -> None:
    create(connection)


@event.listens_for(Message.__table__, "before_drop")
def _drop_with_table(target: Any, connection: Connection, **kw: Any) -> None:
    drop(connection)


# --- searching ------------------------------------------------------------------------------


def indexed_text() -> ColumnElement[str]:
    """A message's text as search matches it (``INDEXED_SQL``)."""
    return func.coalesce(Message.search_text, func.lower(Message.body))


def term_matches(term: str) -> ColumnElement[bool]:
    """A message holds the search term (any of its alternatives) as a literal substring."""
    found = indexed_text()
    return or_(*(search_index.contains(found, option) for option in word_alternatives(term)))


_fts = table(MESSAGE_FTS_TABLE, column("rowid"), column(MESSAGE_FTS_TABLE))


def phrase_query(term: str) -> str | None:
    """The FTS5 query finding exactly the messages holding ``term`` (any of its alternatives)
    as a substring, or ``None`` when an alternative is too short for trigrams."""
    options = word_alternatives(term)
    if any(len(option) < 3 for option in options):
        return None
    return " OR ".join('"' + option.replace('"', '""') + '"' for option in options)


def conversations_with(term: str, *, indexed: bool) -> Select[Any]:
    """The ids of the conversations with a message holding ``term``; with ``indexed`` (SQLite's
    index exists) from the index alone, else by reading the messages."""
    query = phrase_query(term) if indexed else None
    if query is None:
        return select(Message.conversation_id).where(term_matches(term))
    found = select(_fts.c.rowid).where(_fts.c[MESSAGE_FTS_TABLE].op("MATCH")(query))
    # SQLite only (the index is SQLite's): ids read from the narrow owner index, not the rows.
    return (
        select(literal_column("conversation_id", Message.conversation_id.type))
        .select_from(text(f"{_MESSAGES} INDEXED BY {OWNER_INDEX}"))
        .where(literal_column("id", Message.id.type).in_(found))
    )


@dataclass(frozen=True)
class BestMessage:
    """The message of a conversation holding the most search terms (ties: the earliest)."""

    id: int
    conversation_id: int
    body: str
    content_format: str
    terms_found: int


def best_messages(
    session: Session, conversation_ids: Sequence[int], terms: Sequence[str]
) -> dict[int, BestMessage]:
    """Per conversation, its best-matching message: one statement for the whole page, reading
    only the messages of ``conversation_ids`` that hold a term."""
    if not conversation_ids or not terms:
        return {}
    m = Message
    holds = [term_matches(term) for term in terms]
    score = reduce(add, [case((condition, 1), else_=0) for condition in holds])
    ranked = (
        select(
            m.id,
            m.conversation_id,
            m.body,
            m.content_format,
            score.label("terms_found"),
            func.row_number()
            .over(partition_by=m.conversation_id, order_by=(score.desc(), m.sent_at, m.id))
            .label("position"),
        )
        .where(and_(m.conversation_id.in_(list(conversation_ids)), or_(*holds)))
        .subquery()
    )
    stmt = select(
        ranked.c.id,
        ranked.c.conversation_id,
        ranked.c.body,
        ranked.c.content_format,
        ranked.c.terms_found,
    ).where(ranked.c.position == 1)
    return {
        row.conversation_id: BestMessage(
            row.id, row.conversation_id, row.body, row.content_format, int(row.terms_found)
        )
        for row in session.execute(stmt, bind_arguments=BIND_ARGUMENTS)
    }
