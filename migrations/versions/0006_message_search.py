"""search inside every message

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

- ``aiconvos_message.search_text``: each message's visible text (HTML and Markdown as the text
  they show), folded for search (``flask_aiconvos.message_search.message_text``), filled here for
  the stored messages, ``BATCH`` at a time, with a log line per batch (``alembic`` logger).
- ``aiconvos_conversation.search_text`` is folded the same way (accents away: ``chloe`` finds
  ``Chloé``), recomputed here batch by batch.
- The messages' trigram index (``flask_aiconvos.message_search``): on SQLite an FTS5 table kept
  in step by triggers, filled here in one statement; on PostgreSQL a ``pg_trgm`` GIN index, skipped
  with a warning when the extension cannot be created. Both are built after the column is filled.
- SQLite: the conversations' FTS5 table is built again with positions, so that a word is looked
  up exactly (a phrase of its trigrams) without reading the rows. Downgrading keeps it so (0.1's
  queries work on it unchanged).

Downgrading drops the index and the column and gives the conversations back 0.1's search text
(lower-cased, accents kept).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from flask_aiconvos import message_search, search_index
from flask_aiconvos.message_search import message_text
from flask_aiconvos.search_text import build_search_text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

#: Rows read and written per statement.
BATCH = 2000
log = logging.getLogger("alembic.runtime.migration")

_CONVERSATION_FIELDS = (
    "subject",
    "first_message_preview",
    "customer_name",
    "customer_company",
    "external_identifier",
    "external_id",
)


def _batches(bind: sa.Connection, select_sql: str) -> Iterator[list[Any]]:
    """The rows of ``select_sql`` (``... WHERE id > :after ORDER BY id LIMIT :batch``), a batch
    at a time, by id."""
    after = 0
    while True:
        rows = bind.execute(sa.text(select_sql), {"after": after, "batch": BATCH}).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def _rewrite(
    bind: sa.Connection, table: str, columns: str, compute: Callable[[Any], str], what: str
) -> None:
    """Set ``search_text`` of every row of ``table`` to ``compute(row)`` (rows of ``id`` and
    ``columns``, then the stored ``search_text``), logging the progress."""
    total = bind.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
    done = 0
    select_sql = (
        f"SELECT id, {columns}, search_text FROM {table} WHERE id > :after ORDER BY id LIMIT :batch"
    )
    update = sa.text(f"UPDATE {table} SET search_text = :search_text WHERE id = :id")
    for rows in _batches(bind, select_sql):
        changed = [
            {"id": row[0], "search_text": text} for row in rows if (text := compute(row)) != row[-1]
        ]
        if changed:
            bind.execute(update, changed)
        done += len(rows)
        log.info("aiconvos 0006: %s search text %d/%d", what, done, total)


def _old_search_text(row: Any) -> str:
    """0.1's conversation search text (``build_search_text`` as of 0005)."""
    subject, first, name, company, identifier, key = row[1:7]
    parts = [subject, first, name, company, identifier]
    if identifier and "@" not in identifier:
        digits = "".join(ch for ch in identifier if ch.isdigit())
        if digits and digits != identifier:
            parts.append(digits)
    parts.append(key)
    return "\n".join(part for part in parts if part).lower()


def upgrade() -> None:
    bind = op.get_bind()
    # SQLite: the conversations' index is built again, with positions (exact phrase lookups),
    # once their search text is refolded.
    search_index.drop(bind)
    op.add_column("aiconvos_message", sa.Column("search_text", sa.Text(), nullable=True))
    _rewrite(
        bind,
        "aiconvos_message",
        "body, content_format",
        lambda row: message_text(row[1], row[2]),
        "messages",
    )
    _rewrite(
        bind,
        "aiconvos_conversation",
        ", ".join(_CONVERSATION_FIELDS),
        lambda row: build_search_text(*row[1:7]),
        "conversations",
    )
    log.info("aiconvos 0006: building the search indexes")
    search_index.create(bind)
    message_search.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    message_search.drop(bind)
    op.drop_column("aiconvos_message", "search_text")
    _rewrite(
        bind,
        "aiconvos_conversation",
        ", ".join(_CONVERSATION_FIELDS),
        _old_search_text,
        "conversations",
    )
