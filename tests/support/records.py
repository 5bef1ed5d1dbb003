"""Conversation records (the import/export JSON Lines format) and table snapshots to compare."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from flask_aiconvos import counters
from flask_aiconvos.models import metadata
from flask_aiconvos.record_format import format_time

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.generate import ConversationPlan

#: Columns the importer fills differently from the recording API on purpose: messages are
#: rendered when first shown, inbox items are linked at the time of the import.
UNCOMPARED = {
    "aiconvos_message": {"rendered_html", "render_version"},
    "aiconvos_inbox_item": {"linked_at", "updated_at"},
}


def plan_record(plan: ConversationPlan, *, external_id: str | None = None) -> dict[str, Any]:
    """The import record of a benchmark plan (what a host would export from its own system)."""
    return {
        "external_id": external_id,
        "channel": plan.channel,
        "origin": plan.origin,
        "subject": plan.subject,
        "customer_id": plan.customer_id,
        "customer_name": plan.customer_name,
        "customer_company": plan.customer_company,
        "external_identifier": plan.external_identifier,
        "started_at": format_time(plan.started_at),
        "tenant": plan.tenant,
        "messages": [
            {
                "sender": m.sender,
                "body": m.body,
                "content_format": m.content_format,
                "via": m.via,
                "sent_at": format_time(m.sent_at),
                "external_id": m.external_id,
            }
            for m in plan.messages
        ],
        "conversions": [
            {"kind": kind, "target_id": target, "occurred_at": format_time(occurred)}
            for kind, target, occurred in plan.conversions
        ],
        "inbox_items": [
            {"item_id": item, "status": status, "title": title}
            for item, status, title, _ in plan.inbox_items
        ],
        "tickets": [
            {"ticket_id": ticket, "subject": subject, "escalated_at": format_time(at)}
            for ticket, subject, at in plan.tickets
        ],
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


def counter_rows(engine: sa.Engine) -> list[tuple]:
    table = metadata.tables["aiconvos_counter"]
    with engine.connect() as connection:
        return [
            tuple(row) for row in connection.execute(sa.select(table).order_by(*table.primary_key))
        ]


def rebuilt_counter_rows(engine: sa.Engine) -> list[tuple]:
    """The counters as a rebuild from the conversations gives them (then restored)."""
    kept = counter_rows(engine)
    with engine.begin() as connection:
        counters.rebuild(connection)
    rebuilt = counter_rows(engine)
    table = metadata.tables["aiconvos_counter"]
    with engine.begin() as connection:
        connection.execute(table.delete())
        if kept:
            names = [column.name for column in table.columns]
            connection.execute(
                sa.insert(table), [dict(zip(names, row, strict=True)) for row in kept]
            )
    return rebuilt
