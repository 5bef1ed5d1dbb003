"""The shipped Alembic migrations create exactly the models, in their own version table."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import Result
from support.hosts import reset_tables
from support.http import as_user, soup
from support.listing import list_page, metrics, row_ids
from support.records import COUNTER_TABLES, counter_rows, rebuilt_counter_rows

from flask_aiconvos import migration, outcomes
from flask_aiconvos.message_search import managed_elsewhere
from flask_aiconvos.models import ID_MAX, AccessLogEntry, metadata


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


ID_COLUMNS = [
    ("aiconvos_conversation", "id"),
    ("aiconvos_message", "id"),
    ("aiconvos_message", "conversation_id"),
    ("aiconvos_conversion", "id"),
    ("aiconvos_conversion", "conversation_id"),
    ("aiconvos_inbox_item", "id"),
    ("aiconvos_inbox_item", "conversation_id"),
    ("aiconvos_ticket", "id"),
    ("aiconvos_ticket", "conversation_id"),
    ("aiconvos_access_log", "id"),
    ("aiconvos_access_log", "conversation_id"),
]


def _id_types(engine: sa.Engine) -> set[str]:
    """The types of every id column (and, on PostgreSQL, of the sequences behind the ids)."""
    inspector = sa.inspect(engine)
    types = {
        str(column["type"])
        for table, name in ID_COLUMNS
        for column in inspector.get_columns(table)
        if column["name"] == name
    }
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            types |= {
                f"sequence {data_type}"
                for (data_type,) in connection.execute(
                    sa.text(
                        "SELECT data_type FROM information_schema.sequences "
                        "WHERE sequence_name LIKE 'aiconvos_%'"
                    )
                )
            }
    return types


def _take_the_id_below(engine: sa.Engine, conversation_id: int, largest: int) -> None:
    """Make the next conversation's id ``largest``: the sequence (PostgreSQL), or a copy of a
    conversation as the newest rowid (SQLite)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                sa.text("SELECT setval(pg_get_serial_sequence('aiconvos_conversation', 'id'), :n)"),
                {"n": largest - 1},
            )
            return
        connection.execute(
            sa.text(
                "INSERT INTO aiconvos_conversation (id, channel, origin, started_at, "
                "last_activity_at, search_text) SELECT :n, channel, origin, started_at, "
                "last_activity_at, search_text FROM aiconvos_conversation WHERE id = :id"
            ),
            {"n": largest - 1, "id": conversation_id},
        )


#: A conversation's tally column → the counter column counting conversations with one.
COUNTER_COLUMNS = {
    "tour_count": "tours",
    "customer_count": "customers",
    "contract_count": "contracts",
    "booking_count": "bookings",
    "day_pass_count": "day_passes",
}


def _stored_at_0004(engine: sa.Engine, subject: str, **columns: object) -> int:
    """A conversation as the recording API of revisions 0004 to 0006 stored it (the models have
    moved on since): its row and its day and month counters; the new id."""
    row = {
        "channel": "chat",
        "origin": "portal_chat",
        "subject": subject,
        "started_at": "2026-11-18 15:30:00.000000",
        "last_activity_at": "2026-11-18 15:30:00.000000",
        "search_text": subject.lower(),
        **columns,
    }
    if engine.dialect.name == "postgresql":
        row["started_at"] = row["last_activity_at"] = "2026-11-18 15:30:00+00"
    names = ", ".join(row)
    with engine.begin() as connection:
        new_id = connection.execute(
            sa.text(
                f"INSERT INTO aiconvos_conversation ({names}) "
                f"VALUES ({', '.join(':' + name for name in row)}) RETURNING id"
            ),
            row,
        ).scalar_one()
        counted = ["conversations"] + [
            COUNTER_COLUMNS[name] for name in COUNTER_COLUMNS if columns.get(name)
        ]
        for grain, start in (("d", "2026-11-18"), ("m", "2026-11-01")):
            moment = start + (
                " 00:00:00+00" if engine.dialect.name == "postgresql" else " 00:00:00.000000"
            )
            connection.execute(
                sa.text(
                    f"INSERT INTO aiconvos_counter (grain, period_start, tenant, channel, "
                    f"{', '.join(counted)}) VALUES (:grain, :start, '', 'chat'"
                    f"{', 1' * len(counted)}) ON CONFLICT (grain, period_start, tenant, channel) "
                    "DO UPDATE SET "
                    + ", ".join(f"{name} = aiconvos_counter.{name} + 1" for name in counted)
                ),
                {"grain": grain, "start": moment},
            )
    return int(new_id)


def test_64_bit_ids_from_0004_and_back(app, db, aiconvos):
    engine = db.engine
    reset_tables(engine)
    migration.upgrade("0004", engine=engine)
    before_id = _stored_at_0004(engine, "Desk one")
    with engine.begin() as connection:  # a message as 0.1 stored it (no search text yet)
        connection.execute(
            sa.text(
                "INSERT INTO aiconvos_message (conversation_id, sender, content_format, body, "
                "sent_at, rendered_html, render_version) "
                "VALUES (:id, 'customer', 'text', 'Is the desk free?', :at, '', 0)"
            ),
            {"id": before_id, "at": datetime(2026, 11, 18, 15, 30)},
        )
    small = {"INTEGER"} | ({"sequence integer"} if engine.dialect.name == "postgresql" else set())
    assert _id_types(engine) == small

    migration.upgrade("0005", engine=engine)
    wide = {"BIGINT", "sequence bigint"} if engine.dialect.name == "postgresql" else {"INTEGER"}
    assert _id_types(engine) == wide
    migration.downgrade("0004", engine=engine)
    assert _id_types(engine) == small
    migration.upgrade("head", engine=engine)
    assert _id_types(engine) == wide

    # Rows and the search index survive; the next conversation can take the largest id.
    _take_the_id_below(engine, before_id, ID_MAX)
    largest = aiconvos.start_conversation(channel="chat", origin="portal_chat", subject="Desk max")
    assert largest.id == ID_MAX
    aiconvos.add_message(ID_MAX, sender="customer", body="A desk, at the largest id")
    aiconvos.record_conversion(ID_MAX, kind="booking", target_id=7)
    db.session.remove()
    client = app.test_client()
    page = soup(client.get("/admin/ai-conversations/?search=desk", headers=as_user("viewer")))
    found = {int(tr["data-conversation-id"]) for tr in page.select("tr[data-conversation-id]")}
    assert {before_id, ID_MAX} <= found
    details = client.get(f"/admin/ai-conversations/details/?id={ID_MAX}", headers=as_user("viewer"))
    assert details.status_code == 200
    assert "A desk, at the largest id" in details.get_data(as_text=True)
    too_large = f"/admin/ai-conversations/details/?id={ID_MAX + 1}"
    assert client.get(too_large, headers=as_user("viewer")).status_code == 404
    assert aiconvos.flush_access_log()
    logged = db.session.scalars(
        sa.select(AccessLogEntry.conversation_id).where(AccessLogEntry.conversation_id == ID_MAX)
    ).all()
    assert logged == [ID_MAX]


def _masks(engine: sa.Engine) -> dict[int, int]:
    with engine.connect() as connection:
        query = sa.text("SELECT id, outcome_mask FROM aiconvos_conversation")
        return dict(connection.execute(query).all())


def test_outcome_masks_from_0005_and_back(app, db, capsys):
    engine = db.engine
    reset_tables(engine)
    migration.upgrade("0005", engine=engine)
    plain = _stored_at_0004(engine, "Plain", customer_id="C-1")
    anonymous = _stored_at_0004(engine, "Anonymous")
    escalated = _stored_at_0004(
        engine, "Escalated", customer_id="C-2", ticket_count=1, tour_count=2
    )
    pending = _stored_at_0004(engine, "Pending", customer_id="C-3", inbox_item_count=2)
    moment = "2026-11-18 16:00:00" + ("+00" if engine.dialect.name == "postgresql" else ".000000")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO aiconvos_ticket (conversation_id, ticket_id, subject, escalated_at) "
                "VALUES (:id, 'T-1', 'Help', :at)"
            ),
            {"id": escalated, "at": moment},
        )
        connection.execute(
            sa.text(
                "INSERT INTO aiconvos_conversion (conversation_id, kind, target_id, occurred_at) "
                "VALUES (:id, 'tour', :target, :at)"
            ),
            [{"id": escalated, "target": target, "at": moment} for target in ("V-1", "V-2")],
        )
        connection.execute(
            sa.text(
                "INSERT INTO aiconvos_inbox_item (conversation_id, item_id, status, linked_at, "
                "updated_at) VALUES (:id, :item, :status, :at, :at)"
            ),
            [
                {"id": pending, "item": "I-1", "status": "approved", "at": moment},
                {"id": pending, "item": "I-2", "status": "pending", "at": moment},
            ],
        )

    migration.upgrade("head", engine=engine)
    expected = {
        plain: 0,
        anonymous: outcomes.ANONYMOUS_BIT,
        escalated: outcomes.ESCALATED_BIT | outcomes.KIND_BITS["tour"],
        pending: outcomes.INBOX_PENDING_BIT,
    }
    assert _masks(engine) == expected
    assert "outcome masks 4 / 4 conversations" in capsys.readouterr().err
    assert counter_rows(engine) == rebuilt_counter_rows(engine)
    client = app.test_client()
    assert row_ids(list_page(client, outcome="escalated")) == [escalated]
    assert metrics(list_page(client, outcome="escalated"))["tours"] == (1, 100.0)
    assert row_ids(list_page(client, outcome="inbox_pending")) == [pending]
    assert metrics(list_page(client, outcome="unconverted"))["total"] == (3, None)

    migration.downgrade("0005", engine=engine)
    inspector = sa.inspect(engine)
    assert "outcome_mask" not in {c["name"] for c in inspector.get_columns("aiconvos_conversation")}
    assert "aiconvos_outcome_counter" not in inspector.get_table_names()
    with engine.connect() as connection:
        per_grain = connection.execute(
            sa.text(
                "SELECT grain, SUM(conversations), SUM(tours) FROM aiconvos_counter GROUP BY grain"
            )
        ).all()
    assert sorted(tuple(row) for row in per_grain) == [("d", 4, 1), ("m", 4, 1)]
    migration.upgrade("head", engine=engine)
    assert _masks(engine) == expected


def _counters_over_three_months(aiconvos, db) -> list[tuple]:
    """Four conversations about the edges of UTC hours, four hours, days and months."""
    starts = [
        datetime(2026, 10, 31, 23, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 0, 10, tzinfo=UTC),
        datetime(2026, 11, 1, 0, 50, tzinfo=UTC),
        datetime(2026, 12, 1, 4, 59, 59, 999999, tzinfo=UTC),
    ]
    for index, started_at in enumerate(starts):
        conversation = aiconvos.start_conversation(
            channel=("chat", "email")[index % 2], origin="portal_chat", started_at=started_at
        )
        if index:
            aiconvos.record_conversion(conversation.id, kind="tour", target_id=index)
    db.session.remove()
    return counter_rows(db.engine)


def test_hour_counters_from_0008_and_back(app, db, aiconvos, capsys):
    engine = db.engine
    reset_tables(engine)
    migration.upgrade("head", engine=engine)
    with_hours = _counters_over_three_months(aiconvos, db)
    grains = {table: {row[1] for row in with_hours if row[0] == table} for table in COUNTER_TABLES}
    assert grains == {
        "aiconvos_counter": {"t", "h", "4", "d", "m"},
        "aiconvos_outcome_counter": {"d", "m"},
    }

    migration.downgrade("0008", engine=engine)
    assert {row[1] for row in counter_rows(engine)} == {"d", "m"}
    capsys.readouterr()
    migration.upgrade("head", engine=engine)
    assert counter_rows(engine) == with_hours == rebuilt_counter_rows(engine)
    progress = capsys.readouterr().err.splitlines()
    assert [line for line in progress if line.startswith("aiconvos: hour counters")] == [
        "aiconvos: hour counters 2026-10, 1 / 4 conversations",
        "aiconvos: hour counters 2026-11, 3 / 4 conversations",
        "aiconvos: hour counters 2026-12, 4 / 4 conversations",
    ]


def test_four_hour_counters_from_0009_and_back(app, db, aiconvos, capsys):
    engine = db.engine
    reset_tables(engine)
    migration.upgrade("head", engine=engine)
    with_blocks = _counters_over_three_months(aiconvos, db)
    blocks = sorted(
        (row[2], row[4], row[5]) for row in with_blocks if row[:2] == ("aiconvos_counter", "4")
    )
    # (period start, channel, conversations): the 00:10 and 00:50 starts share a block.
    assert [(start.astimezone(UTC), channel, n) for start, channel, n in blocks] == [
        (datetime(2026, 10, 31, 20, tzinfo=UTC), "chat", 1),
        (datetime(2026, 11, 1, 0, tzinfo=UTC), "chat", 1),
        (datetime(2026, 11, 1, 0, tzinfo=UTC), "email", 1),
        (datetime(2026, 12, 1, 4, tzinfo=UTC), "email", 1),
    ]

    migration.downgrade("0009", engine=engine)
    assert {row[1] for row in counter_rows(engine) if row[0] == "aiconvos_counter"} == {
        "h",
        "d",
        "m",
    }
    capsys.readouterr()
    migration.upgrade("head", engine=engine)
    assert counter_rows(engine) == with_blocks == rebuilt_counter_rows(engine)
    progress = capsys.readouterr().err.splitlines()
    assert [line for line in progress if line.startswith("aiconvos: four-hour")] == [
        "aiconvos: four-hour counters 2026-10, 1 / 4 conversations",
        "aiconvos: four-hour counters 2026-11, 3 / 4 conversations",
        "aiconvos: four-hour counters 2026-12, 4 / 4 conversations",
    ]


def _counters_in_key_order(engine: sa.Engine) -> bool | None:
    """Whether SQLite stores ``aiconvos_counter`` ``WITHOUT ROWID`` (``None`` elsewhere)."""
    if engine.dialect.name != "sqlite":
        return None
    with engine.connect() as connection:
        created = connection.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
            {"name": "aiconvos_counter"},
        ).scalar_one()
    return "WITHOUT ROWID" in created.upper()


def test_counters_in_key_order_from_0010_and_back(app, db, aiconvos, capsys):
    engine = db.engine
    sqlite = engine.dialect.name == "sqlite"
    assert _counters_in_key_order(engine) is (True if sqlite else None)  # create_all
    reset_tables(engine)
    migration.upgrade("head", engine=engine)
    assert _counters_in_key_order(engine) is (True if sqlite else None)
    stored = _counters_over_three_months(aiconvos, db)
    before_half_hours = [row for row in stored if row[1] != "t"]  # 0012 adds those
    rows = sum(1 for row in before_half_hours if row[0] == "aiconvos_counter")
    capsys.readouterr()

    migration.downgrade("0010", engine=engine)
    assert _counters_in_key_order(engine) is (False if sqlite else None)
    assert counter_rows(engine) == before_half_hours
    migration.upgrade("head", engine=engine)
    assert _counters_in_key_order(engine) is (True if sqlite else None)
    assert counter_rows(engine) == stored == rebuilt_counter_rows(engine)
    progress = capsys.readouterr().err.splitlines()
    assert [line for line in progress if line.startswith("aiconvos: counters")] == (
        [
            f"aiconvos: counters with rowids, {rows} rows",
            f"aiconvos: counters in key order, {rows} rows",
        ]
        if sqlite
        else []
    )
    aiconvos.start_conversation(
        channel="chat", origin="portal_chat", started_at=datetime(2026, 12, 1, 5, tzinfo=UTC)
    )
    db.session.remove()
    assert counter_rows(engine) == rebuilt_counter_rows(engine)
    assert len(counter_rows(engine)) > len(stored)


def test_half_hour_counters_from_0011_and_back(app, db, aiconvos, capsys):
    engine = db.engine
    reset_tables(engine)
    migration.upgrade("head", engine=engine)
    stored = _counters_over_three_months(aiconvos, db)
    half_hours = sorted(
        (row[2].astimezone(UTC), row[4], row[5])
        for row in stored
        if row[:2] == ("aiconvos_counter", "t")
    )
    # (period start, channel, conversations): 00:10 and 00:50 fall in different half-hours.
    assert half_hours == [
        (datetime(2026, 10, 31, 23, 30, tzinfo=UTC), "chat", 1),
        (datetime(2026, 11, 1, 0, 0, tzinfo=UTC), "email", 1),
        (datetime(2026, 11, 1, 0, 30, tzinfo=UTC), "chat", 1),
        (datetime(2026, 12, 1, 4, 30, tzinfo=UTC), "email", 1),
    ]

    migration.downgrade("0011", engine=engine)
    assert "t" not in {row[1] for row in counter_rows(engine)}
    capsys.readouterr()
    migration.upgrade("head", engine=engine)
    assert counter_rows(engine) == stored == rebuilt_counter_rows(engine)
    assert capsys.readouterr().err.splitlines() == [
        "aiconvos: half-hour counters 2026-10, 1 / 4 conversations",
        "aiconvos: half-hour counters 2026-11, 3 / 4 conversations",
        "aiconvos: half-hour counters 2026-12, 4 / 4 conversations",
    ]
