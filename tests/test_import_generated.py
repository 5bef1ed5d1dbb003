"""Generated records: whatever hypothesis makes, the import never raises, reports exactly the
broken records (by line and field), stores the others once, and keeps the counters exact."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.records import counter_rows, rebuilt_counter_rows

from flask_aiconvos import Conversation
from flask_aiconvos.models import metadata
from flask_aiconvos.vocab import Channel, ConversionKind, InboxStatus, Origin, values

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(str.strip)
MOMENT = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2026, 11, 1)).map(
    lambda moment: moment.isoformat() + "+00:00"
)

MESSAGE = st.fixed_dictionaries(
    {"sender": st.sampled_from(["ai", "operator", "customer"]), "body": TEXT},
    optional={
        "content_format": st.sampled_from(["text", "html", "markdown"]),
        "sent_at": MOMENT,
        "external_id": st.sampled_from(["m1", "m2", "m3"]),
    },
)
RECORD = st.fixed_dictionaries(
    {
        "channel": st.sampled_from(values(Channel)),
        "origin": st.sampled_from(values(Origin)),
        "external_id": st.sampled_from(["k1", "k2", "k3", "k4"]),
    },
    optional={
        "tenant": st.sampled_from(["a", "b", None]),
        "subject": TEXT,
        "customer_name": TEXT,
        "started_at": MOMENT,
        "messages": st.lists(MESSAGE, max_size=4),
        "conversions": st.lists(
            st.fixed_dictionaries(
                {
                    "kind": st.sampled_from(values(ConversionKind)),
                    "target_id": st.sampled_from(["1", "2", 3]),
                }
            ),
            max_size=3,
        ),
        # One status per item: a file that gives an item two statuses flips it on each import.
        "inbox_items": st.lists(
            st.sampled_from(
                [{"item_id": f"I{i}", "status": s} for i, s in enumerate(values(InboxStatus))]
            ),
            max_size=2,
        ),
    },
)
#: (field path, bad value): each breaks a record in one known place.
BREAKS = [
    ("channel", "sms"),
    ("origin", 7),
    ("started_at", "2026-01-01T10:00:00"),
    ("subject", "two\nlines"),
    ("tenant", ["a"]),
    ("external_id", "x" * 300),
    ("customer_name", "nul\x00"),
    ("colour", "red"),
    ("messages", "hello"),
]


@st.composite
def batches(draw):
    records, broken = [], set()
    for line in range(1, draw(st.integers(1, 12)) + 1):
        record = draw(RECORD)
        if draw(st.booleans()) and draw(st.integers(0, 3)) == 0:
            field, value = draw(st.sampled_from(BREAKS))
            record[field] = value
            broken.add((line, field))
        records.append(record)
    return records, broken


def _clear(db) -> None:
    db.session.remove()
    with db.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=batches())
def test_generated_records_are_stored_once_or_reported(aiconvos, db, batch):
    records, broken = batch
    _clear(db)
    report = aiconvos.import_conversations(records)
    assert [(line, message.split(":", 1)[0]) for line, message in report.errors] == sorted(broken)
    good = [r for line, r in enumerate(records, 1) if not any(b[0] == line for b in broken)]
    keys = {(r.get("tenant"), r["external_id"]) for r in good}
    stored = db.session.scalar(sa.select(sa.func.count()).select_from(Conversation))
    assert stored == len(keys) == report.conversations
    assert counter_rows(db.engine) == rebuilt_counter_rows(db.engine)
    again = aiconvos.import_conversations(records)
    assert (again.conversations, again.messages, again.skipped) == (0, 0, len(good))
    assert again.errors == report.errors
