"""The export: exactly the conversations the list shows, as CSV or as JSON Lines records.

Both are produced as text chunks for a streamed response, from ``queries.rows_in_order`` (the
list's filters, scope and order, a chunk of rows per statement), so memory stays constant
however long the list is. JSON Lines writes the import format (``record_format``): importing an
export into an empty database gives the same list, metrics and timelines. CSV writes one row
per conversation with its counts, and no cell a spreadsheet would run as a formula.

An operator who sees contact details masked (``AICONVOS_PII_ROLE``) gets them masked in the
export too: the external identifier as on the list, and every e-mail address and phone number
inside any other text (subjects, names, keys, message bodies, titles).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    LargeBinary,
    Row,
    any_,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from . import json_sql, masking, queries
from .list_request import ListFilters
from .models import Conversation, Message, UTCDateTime, tables_connection
from .record_format import CONVERSATION_FIELDS, PART_FIELDS
from .vocab import ConversionKind, count_column

#: Conversations per statement.
CHUNK_ROWS = 1000
#: A JSON Lines chunk is cut into batches of at most this many messages (one conversation with
#: more is a batch of its own), whose parts are fetched together.
CHUNK_MESSAGES = 5000

#: The CSV columns, in order. The five conversion columns count that kind's records.
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "external_id",
    "started_at",
    "last_activity_at",
    "channel",
    "origin",
    "tenant",
    "subject",
    "first_message",
    "customer_id",
    "customer_name",
    "customer_company",
    "external_identifier",
    "messages",
    "tours",
    "customers",
    "contracts",
    "bookings",
    "day_passes",
    "inbox_items",
    "escalated",
)
#: The conversion count columns of the CSV and the stored column each one reads.
_KIND_COLUMNS = tuple(
    count_column(kind)
    for kind in (
        ConversionKind.TOUR,
        ConversionKind.CUSTOMER,
        ConversionKind.CONTRACT,
        ConversionKind.BOOKING,
        ConversionKind.DAY_PASS,
    )
)

#: What a spreadsheet takes for the start of a formula (OWASP's CSV injection list, with the
#: full-width forms some spreadsheets also accept, and a line feed).
FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
JSONL_MEDIA_TYPE = "application/x-ndjson; charset=utf-8"
#: Spreadsheets read a UTF-8 CSV as UTF-8 only when it starts with a byte-order mark.
BOM = "\ufeff"


def neutralise(cell: str) -> str:
    """A cell a spreadsheet shows as text: one starting (after any spaces) with ``=``, ``+``,
    ``-``, ``@``, a tab, a carriage return or a line feed gets a leading ``'``."""
    return _cell(cell)


def _text_mask(masked: bool) -> Callable[[str | None], str | None]:
    if not masked:
        return lambda value: value
    return lambda value: None if value is None else masking.mask_text(value)


def _identifier_mask(masked: bool) -> Callable[[str | None], str | None]:
    if not masked:
        return lambda value: value
    return lambda value: None if value is None else masking.mask_identifier(value)


# --- file names ------------------------------------------------------------------------------


def _period(filters: ListFilters) -> str | None:
    """The date range as a file name part: a day, a month, ``from-…``, ``to-…`` or
    ``<from>-to-<to>``; ``None`` for all time."""
    start, end = filters.date_from, filters.date_to
    if start is None and end is None:
        return None
    if start is not None and end is not None:
        if start == end:
            return start.isoformat()
        whole_month = (
            start.day == 1
            and (start.year, start.month) == (end.year, end.month)
            and (end == date.max or (end + timedelta(days=1)).day == 1)
        )
        if whole_month:
            return f"{start.year:04d}-{start.month:02d}"
        return f"{start.isoformat()}-to-{end.isoformat()}"
    if start is not None:
        return f"from-{start.isoformat()}"
    assert end is not None
    return f"to-{end.isoformat()}"


def file_name(filters: ListFilters, extension: str) -> str:
    """What the file holds: ``ai-conversations-<tab>[-<range>][-search][-<outcome>…].<ext>``, e.g.
    ``ai-conversations-whatsapp-2026-11.csv`` or ``ai-conversations-all.jsonl``."""
    parts = ["ai-conversations", filters.channel or "all"]
    period = _period(filters)
    if period is not None:
        parts.append(period)
    if filters.search:
        parts.append("search")
    parts.extend(filters.outcomes)
    return "-".join(parts) + "." + extension


# --- CSV -------------------------------------------------------------------------------------

#: The conversation columns a CSV row is made of, in the order ``csv_row`` reads them.
CSV_SELECT: tuple[str, ...] = (
    "id",
    "external_id",
    "started_at",
    "last_activity_at",
    "channel",
    "origin",
    "tenant",
    "subject",
    "first_message_preview",
    "customer_id",
    "customer_name",
    "customer_company",
    "external_identifier",
    "message_count",
    *_KIND_COLUMNS,
    "inbox_item_count",
    "ticket_count",
)


def _cell(value: str | None) -> str:
    """A text cell: empty for none, neutralised."""
    if not value:
        return ""
    first = value[0]
    if first in FORMULA_START or (first.isspace() and value.lstrip()[:1] in FORMULA_START):
        return "'" + value
    return value


def csv_row(row: Sequence[Any], *, masked: bool = False) -> list[str]:
    """One conversation (a row of ``CSV_SELECT``) as CSV cells in the order of
    ``CSV_COLUMNS``, every text neutralised."""
    (
        conversation_id,
        external_id,
        started_at,
        last_activity_at,
        channel,
        origin,
        tenant,
        subject,
        preview,
        customer_id,
        name,
        company,
        identifier,
        messages,
        tours,
        customers,
        contracts,
        bookings,
        day_passes,
        inbox_items,
        tickets,
        _,
        _,
    ) = row
    if masked:
        text = _text_mask(True)
        external_id, subject, preview = text(external_id), text(subject), text(preview)
        customer_id, name, company = text(customer_id), text(name), text(company)
        identifier = _identifier_mask(True)(identifier)
    return [
        str(conversation_id),
        _cell(external_id),
        started_at,
        last_activity_at,
        _cell(channel),
        _cell(origin),
        _cell(tenant),
        _cell(subject),
        _cell(preview),
        _cell(customer_id),
        _cell(name),
        _cell(company),
        _cell(identifier),
        str(messages),
        str(tours),
        str(customers),
        str(contracts),
        str(bookings),
        str(day_passes),
        str(inbox_items),
        "true" if tickets else "false",
    ]


def csv_chunks(
    session: Session,
    filters: ListFilters,
    *,
    sort: str = "last_activity_at",
    descending: bool = True,
    masked: bool = False,
) -> Iterator[str]:
    """The list as CSV text: a byte-order mark and the header row, then a block of rows per
    chunk of the list. Every field is quoted; lines end with CRLF."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_COLUMNS)
    yield BOM + buffer.getvalue()
    chunks = queries.rows_in_order(
        session, filters, CSV_SELECT, sort=sort, descending=descending, chunk=CHUNK_ROWS
    )
    for chunk in chunks:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([csv_row(row, masked=masked) for row in chunk])
        yield buffer.getvalue()


# --- JSON Lines ------------------------------------------------------------------------------

#: The conversation columns a record is made of: the id, the record's own fields in its order,
#: and the list's sort keys.
RECORD_SELECT: tuple[str, ...] = (
    "id",
    *(name for name in CONVERSATION_FIELDS if name not in PART_FIELDS),
    "last_activity_at",
    "message_count",
)


def record(row: Row[Any], parts: queries.Parts, *, masked: bool = False) -> dict[str, Any]:
    """One conversation (a row of ``RECORD_SELECT``) as an import record (``record_format``),
    its fields in that order.

    A message converted when it was recorded (HTML stored as Markdown) is written as it was
    received, so importing the record again, anywhere, converts it the same way, and importing
    it into the database it came from finds it stored.
    """
    text = _text_mask(masked)
    (
        conversation_id,
        external_id,
        channel,
        origin,
        subject,
        customer_id,
        name,
        company,
        identifier,
        started_at,
        tenant,
        _,
        _,
        _,
        _,
    ) = row
    messages = []
    for (
        _,
        sender,
        body,
        content_format,
        via,
        sent_at,
        message_key,
        original,
        original_format,
    ) in parts.messages.get(conversation_id, ()):
        if original is not None:
            body, content_format = original, original_format or content_format
        messages.append(
            {
                "sender": sender,
                "body": text(body),
                "content_format": content_format,
                "via": via,
                "sent_at": sent_at,
                "external_id": text(message_key),
            }
        )
    return {
        "external_id": text(external_id),
        "channel": channel,
        "origin": origin,
        "subject": text(subject),
        "customer_id": text(customer_id),
        "customer_name": text(name),
        "customer_company": text(company),
        "external_identifier": _identifier_mask(masked)(identifier),
        "started_at": started_at,
        "tenant": tenant,
        "messages": messages,
        "conversions": [
            {"kind": kind, "target_id": text(target), "occurred_at": occurred}
            for _, kind, target, occurred in parts.conversions.get(conversation_id, ())
        ],
        "inbox_items": [
            {"item_id": text(item), "status": status, "title": text(title)}
            for _, item, status, title in parts.inbox_items.get(conversation_id, ())
        ],
        "tickets": [
            {
                "ticket_id": text(ticket),
                "subject": text(ticket_subject),
                "escalated_at": escalated,
            }
            for _, ticket, ticket_subject, escalated in parts.tickets.get(conversation_id, ())
        ],
    }


#: Where a chunk's row holds ``message_count``: last of the selected columns, before
#: ``rows_in_order``'s sort key and id.
_MESSAGE_COUNT = -3


def _batches(chunk: Sequence[Row[Any]]) -> Iterator[Sequence[Row[Any]]]:
    """The chunk cut where its messages would pass ``CHUNK_MESSAGES``."""
    start, messages = 0, 0
    for index, row in enumerate(chunk):
        count = row[_MESSAGE_COUNT]
        if index > start and messages + count > CHUNK_MESSAGES:
            yield chunk[start:index]
            start, messages = index, 0
        messages += count
    if start < len(chunk):
        yield chunk[start:]


def _python_lines(
    session: Session, chunk: Sequence[Row[Any]], encode: Callable[[Any], str], masked: bool
) -> Iterator[bytes]:
    """A chunk's lines built here: each record made and encoded (what masking needs)."""
    for batch in _batches(chunk):
        parts = queries.parts_of(session, json_sql.IdList(row[0] for row in batch))
        lines = "".join([encode(record(row, parts, masked=masked)) + "\n" for row in batch])
        yield lines.encode()


def _text(column: Any) -> Any:
    return queries.RecordTime(column) if isinstance(column.type, UTCDateTime) else column


_C: Any = Conversation.__table__
_M: Any = Message.__table__
#: A record's fields before its parts, as JSON text: ``{"external_id":…,"tenant":…,"messages":[``.
RECORD_HEAD = json_sql.JsonMembers(
    [(name, _text(_C.c[name])) for name in RECORD_SELECT[1:-2]], closing=',"messages":['
).label("head")
#: Each part's objects as JSON text, their fields in ``record``'s order. A message converted
#: when it was recorded is written as it was received.
PART_JSON: dict[str, Any] = {
    "messages": json_sql.JsonMembers(
        [
            ("sender", _M.c.sender),
            ("body", func.coalesce(_M.c.original_body, _M.c.body)),
            (
                "content_format",
                case(
                    (_M.c.original_body.is_(None), _M.c.content_format),
                    else_=func.coalesce(func.nullif(_M.c.original_format, ""), _M.c.content_format),
                ),
            ),
            ("via", _M.c.via),
            ("sent_at", _text(_M.c.sent_at)),
            ("external_id", _M.c.external_id),
        ]
    ),
    **{
        name: json_sql.JsonMembers(
            [(column, _text(queries.PART_TABLES[name][0].c[column])) for column in columns]
        )
        for name, columns in queries.PART_COLUMNS.items()
        if name != "messages"
    },
}


def _utf8(text: Any) -> Any:
    """SQLite: the text as the UTF-8 bytes it stores (``CAST(… AS BLOB)``), which the export
    sends as they are: decoded to ``str`` and encoded back, a gigabyte of JSON Lines costs
    seconds."""
    return cast(text, LargeBinary)


def _joined_rows(session: Session, name: str, ids: Sequence[int]) -> dict[int, bytes]:
    """SQLite: each conversation's objects of one part as JSON (UTF-8 bytes), comma-separated,
    by id. Before 3.44 it has no ordered aggregate, so the rows come in the timeline's order
    and are joined here."""
    stmt = queries.part_statement(session, name, ids, [_utf8(PART_JSON[name])])
    rows = queries.driver_rows(session, stmt)  # an id and bytes: nothing to process
    return {
        key: b",".join([row[1] for row in group]) for key, group in groupby(rows, key=itemgetter(0))
    }


def _joined_in_postgresql(ids: Sequence[int]) -> Any:
    """PostgreSQL: every part's objects of the conversations joined there (``string_agg``
    keeps the timeline's order), one row per part and conversation, in one statement."""
    listed = json_sql.id_array(ids)
    selects = []
    for index, name in enumerate(PART_JSON):
        part_table, order = queries.PART_TABLES[name]
        owner = part_table.c.conversation_id
        joined = func.string_agg(
            PART_JSON[name],
            aggregate_order_by(literal_column("','"), *(part_table.c[c] for c in order)),
        )
        selects.append(
            select(literal(index), owner, joined).where(owner == any_(listed)).group_by(owner)
        )
    return union_all(*selects)


def _joined_parts(session: Session, ids: Sequence[int]) -> list[dict[int, bytes]]:
    """For each part (``PART_JSON``'s order), each conversation's objects as JSON (UTF-8
    bytes), comma-separated, by id."""
    if tables_connection(session).dialect.name != "postgresql":
        return [_joined_rows(session, name, ids) for name in PART_JSON]
    found: list[dict[int, bytes]] = [{} for _ in PART_JSON]
    # Integers and text, which the dialect passes through: the driver's rows as they are.
    for index, owner, text in queries.driver_rows(session, _joined_in_postgresql(ids)):
        found[index][owner] = text.encode()
    return found


#: A record's line after its head: its parts' objects in their arrays.
_RECORD_TAIL = b'%s],"conversions":[%s],"inbox_items":[%s],"tickets":[%s]}\n'


def _database_lines(session: Session, chunk: Sequence[Row[Any]]) -> Iterator[bytes]:
    """A chunk's lines spelled by the database (``json_sql``): its conversations' heads and
    each part's objects come as JSON (UTF-8 bytes on SQLite), joined here."""
    for batch in _batches(chunk):
        ids = json_sql.IdList(row[0] for row in batch)  # spelled once for the four statements
        messages, conversions, items, tickets = _joined_parts(session, ids)
        yield b"".join(
            [
                (head if isinstance(head, bytes) else head.encode())
                + _RECORD_TAIL
                % (
                    messages.get(key, b""),
                    conversions.get(key, b""),
                    items.get(key, b""),
                    tickets.get(key, b""),
                )
                for key, head, _, _, _ in batch
            ]
        )


def jsonl_chunks(
    session: Session,
    filters: ListFilters,
    *,
    sort: str = "last_activity_at",
    descending: bool = True,
    masked: bool = False,
) -> Iterator[bytes]:
    """The list as JSON Lines, UTF-8 bytes: one record per line (not ASCII-escaped), a block
    of lines per batch of conversations, whose parts take at most four statements.

    Unmasked, on SQLite and PostgreSQL, the database spells the JSON text (the same bytes
    ``record`` and the encoder give, in a fraction of the time); masked, each text is masked
    here first.
    """
    dialect = tables_connection(session).dialect.name
    in_database = not masked and dialect in json_sql.JSON_DIALECTS
    head = _utf8(RECORD_HEAD).label("head") if dialect == "sqlite" else RECORD_HEAD
    selected = (_C.c.id, head, _C.c.message_count) if in_database else RECORD_SELECT
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    chunks = queries.rows_in_order(
        session, filters, selected, sort=sort, descending=descending, chunk=CHUNK_ROWS
    )
    for chunk in chunks:
        if in_database:
            yield from _database_lines(session, chunk)
        else:
            yield from _python_lines(session, chunk, encode, masked)
