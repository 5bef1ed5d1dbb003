"""The conversation record of JSON Lines files: what the importer reads and the export writes.

One JSON object per line and per conversation, with its messages, conversions, inbox items and
tickets inside. Times are ISO 8601 with an offset; the export writes them in UTC (``…Z``).
"""

from __future__ import annotations

from datetime import UTC, datetime

#: The fields of a conversation record, in the order the export writes them.
CONVERSATION_FIELDS: tuple[str, ...] = (
    "external_id",
    "channel",
    "origin",
    "subject",
    "customer_id",
    "customer_name",
    "customer_company",
    "external_identifier",
    "started_at",
    "tenant",
    "messages",
    "conversions",
    "inbox_items",
    "tickets",
)
#: The fields of each item of a record's lists.
PART_FIELDS: dict[str, tuple[str, ...]] = {
    "messages": ("sender", "body", "content_format", "via", "sent_at", "external_id"),
    "conversions": ("kind", "target_id", "occurred_at"),
    "inbox_items": ("item_id", "status", "title"),
    "tickets": ("ticket_id", "subject", "escalated_at"),
}


def format_time(moment: datetime) -> str:
    """A stored time as the records write it: ISO 8601 in UTC, ``Z`` for the offset."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
