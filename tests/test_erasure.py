"""Erasure and retention: erase(), purge(), the access-log purge, counters rebuild, and their
commands; afterwards every count agrees with what is stored."""

from __future__ import annotations

import shlex
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from support.hosts import FIXED_NOW
from support.http import as_user
from support.listing import list_page, metrics, row_ids
from support.readme import code_blocks
from support.records import counter_rows, plan_record, rebuilt_counter_rows

from bench.generate import Generator
from flask_aiconvos import Conversation, InvalidRecord, cli
from flask_aiconvos.models import AccessLogEntry, metadata

CONVERSATIONS = 40
#: Every table that points at a conversation.
CHILD_TABLES = ("aiconvos_message", "aiconvos_conversion", "aiconvos_inbox_item", "aiconvos_ticket")


@pytest.fixture
def app_config() -> dict:
    return {"AICONVOS_PAGE_SIZE": 100}


@pytest.fixture
def plans():
    return list(Generator(CONVERSATIONS, seed=11, now=FIXED_NOW, years=0.5, long_conversation=30))


@pytest.fixture
def imported(aiconvos, db, plans):
    report = aiconvos.import_conversations([plan_record(plan) for plan in plans])
    assert report.ok and report.conversations == CONVERSATIONS, report.errors
    db.session.remove()
    return plans


def stored_ids(db, where=None) -> set[int]:
    query = sa.select(Conversation.id)
    return set(db.session.scalars(query if where is None else query.where(where)))


def orphans(db) -> dict[str, int]:
    """Rows of each child table whose conversation is gone (must stay 0)."""
    found = {}
    for name in CHILD_TABLES:
        table = metadata.tables[name]
        found[name] = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(table)
            .where(table.c.conversation_id.not_in(sa.select(Conversation.id)))
        )
    return found


def assert_counts_exact(db) -> None:
    """Counters as a rebuild from the stored rows gives them, and the conversations' tallies
    as the child rows give them."""
    engine = db.engine
    assert counter_rows(engine) == rebuilt_counter_rows(engine)
    assert orphans(db) == dict.fromkeys(CHILD_TABLES, 0)
    messages = metadata.tables["aiconvos_message"]
    tallies = db.session.execute(sa.select(Conversation.id, Conversation.message_count)).all()
    for conversation_id, tally in tallies:
        assert tally == db.session.scalar(
            sa.select(sa.func.count())
            .select_from(messages)
            .where(messages.c.conversation_id == conversation_id)
        )


def brute_metrics(db) -> dict[str, int]:
    """What the All-time metrics must say, counted from the conversations."""
    rows = db.session.scalars(sa.select(Conversation)).all()
    return {
        "conversations": len(rows),
        "tours": sum(1 for c in rows if c.tour_count),
        "bookings": sum(1 for c in rows if c.booking_count),
    }


def shown_metrics(client) -> dict[str, int]:
    page = list_page(client, "admin", range="all")  # one page holds them all
    shown = metrics(page)
    return {
        "conversations": len(row_ids(page)),
        "tours": shown["tours"][0],
        "bookings": shown["bookings"][0],
    }


def test_erasing_a_customer_takes_every_row_of_theirs_and_keeps_counts_exact(
    aiconvos, db, client, imported
):
    customer = "C-100001"
    theirs = stored_ids(db, Conversation.customer_id == customer)
    assert len(theirs) == 3
    others = stored_ids(db) - theirs
    assert aiconvos.erase(customer_id=customer, dry_run=True) == 3
    assert stored_ids(db) == theirs | others
    assert aiconvos.erase(customer_id=customer) == 3
    assert stored_ids(db) == others
    assert_counts_exact(db)
    assert shown_metrics(client) == brute_metrics(db)
    assert set(row_ids(list_page(client, "admin", range="all"))) == others
    assert aiconvos.erase(customer_id=customer) == 0


def test_erasing_by_contact_identifier_also_empties_the_search(aiconvos, db, client, imported):
    address = "daniel.obriain@example.org"
    assert row_ids(list_page(client, "admin", range="all", search=address))
    assert aiconvos.erase(external_identifier=address) == 4
    assert not stored_ids(db, Conversation.external_identifier == address)
    assert row_ids(list_page(client, "admin", range="all", search=address)) == []
    assert row_ids(list_page(client, "admin", range="all", search="obriain")) == []
    assert_counts_exact(db)


def test_erasing_one_conversation(aiconvos, db, client, imported):
    target = min(stored_ids(db, Conversation.tour_count > 0))
    assert aiconvos.erase(conversation_id=target) == 1
    assert target not in stored_ids(db)
    response = client.get(f"/admin/ai-conversations/details/?id={target}", headers=as_user("admin"))
    assert response.status_code == 404
    assert_counts_exact(db)
    assert shown_metrics(client) == brute_metrics(db)


@pytest.mark.parametrize(
    ("selectors", "message"),
    [
        ({}, "exactly one of"),
        ({"customer_id": "C-1", "conversation_id": 1}, "got customer_id, conversation_id"),
        ({"customer_id": " "}, "customer_id: must not be blank"),
        ({"customer_id": 3.5}, "customer_id: must be a string or an integer"),
        ({"external_identifier": "a\nb"}, "external_identifier: must be a single line"),
        ({"conversation_id": "7"}, "conversation_id: must be an integer"),
        ({"customer_id": "x", "batch_size": 0}, "batch_size"),
    ],
)
def test_erase_refuses_bad_selectors_before_touching_anything(
    aiconvos, db, imported, selectors, message
):
    before = stored_ids(db)
    with pytest.raises(InvalidRecord, match=message):
        aiconvos.erase(**selectors)
    assert stored_ids(db) == before


@pytest.mark.parametrize(
    "conversation_id", [0, -5, 2**31, 2**63, 10**5000], ids=["0", "-5", "2^31", "2^63", "10^5000"]
)
def test_erasing_an_id_no_conversation_can_have_erases_nothing(
    aiconvos, db, imported, conversation_id
):
    before = stored_ids(db)
    assert aiconvos.erase(conversation_id=conversation_id) == 0
    assert stored_ids(db) == before


def test_purge_takes_what_has_been_quiet_since_before_in_batches(aiconvos, db, client, imported):
    cutoff = FIXED_NOW - timedelta(days=60)
    quiet = stored_ids(db, Conversation.last_activity_at < cutoff)
    assert 3 < len(quiet) < CONVERSATIONS
    assert aiconvos.purge(before=cutoff, dry_run=True) == len(quiet)
    seen: list[int] = []
    assert aiconvos.purge(before=cutoff, batch_size=3, on_progress=seen.append) == len(quiet)
    assert seen == sorted(seen) and seen[-1] == len(quiet) and len(seen) >= len(quiet) // 3
    assert not stored_ids(db, Conversation.last_activity_at < cutoff)
    assert_counts_exact(db)
    assert shown_metrics(client) == brute_metrics(db)
    assert aiconvos.purge(before=cutoff) == 0


def test_a_conversion_does_not_count_as_activity(aiconvos, db, imported):
    old = FIXED_NOW - timedelta(days=400)
    conversation = aiconvos.start_conversation(channel="chat", origin="portal_chat", started_at=old)
    aiconvos.add_message(conversation.id, sender="customer", body="Hello", sent_at=old)
    aiconvos.record_conversion(conversation.id, kind="tour", target_id="T-9")  # today
    assert conversation.id in stored_ids(db, Conversation.last_activity_at < old + timedelta(1))
    aiconvos.purge(before=old + timedelta(days=1))
    assert conversation.id not in stored_ids(db)
    assert_counts_exact(db)


@pytest.mark.parametrize(
    ("before", "message"),
    [
        (None, "before: is required"),
        (datetime(2026, 1, 1), "before: must be timezone-aware"),
        ("2026-01-01", "before: must be a datetime"),
        (datetime(1, 1, 1, tzinfo=UTC), "before: must be between the years"),
    ],
)
def test_purge_refuses_bad_times(aiconvos, db, imported, before, message):
    with pytest.raises(InvalidRecord, match=message):
        aiconvos.purge(before=before)
    assert len(stored_ids(db)) == CONVERSATIONS


def test_the_access_log_is_purged_by_age_and_erasures_are_logged(aiconvos, db, client, imported):
    client.get("/admin/ai-conversations/", headers=as_user("admin"))
    aiconvos.erase(external_identifier="+44 7700 917636")
    assert aiconvos.flush_access_log()
    entries = db.session.execute(
        sa.select(AccessLogEntry.action, AccessLogEntry.user_display, AccessLogEntry.params)
    ).all()
    erased = [entry for entry in entries if entry.action == "erase"]
    assert len(erased) == 1
    assert "conversations=2" in erased[0].params
    assert "917636" not in erased[0].params  # the log keeps no erased contact detail
    total = len(entries)
    later = FIXED_NOW + timedelta(seconds=1)  # every entry was written at the clock's FIXED_NOW
    assert aiconvos.purge_access_log(before=later, dry_run=True) == total
    assert aiconvos.purge_access_log(before=FIXED_NOW) == 0
    assert aiconvos.purge_access_log(before=later) == total
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry)) == 0
    with pytest.raises(InvalidRecord, match="audit_before: must be timezone-aware"):
        aiconvos.purge_access_log(before=datetime(2026, 1, 1))


def test_counters_rebuild_repairs_rows_deleted_by_hand(aiconvos, db, client, imported):
    conversions = metadata.tables["aiconvos_conversion"]
    messages = metadata.tables["aiconvos_message"]
    gone = stored_ids(db)
    with db.engine.begin() as connection:  # what a host's own clean-up script might do
        connection.execute(conversions.delete().where(conversions.c.kind == "tour"))
        first = min(gone)
        connection.execute(messages.delete().where(messages.c.conversation_id == first))
        connection.execute(
            metadata.tables["aiconvos_conversation"]
            .delete()
            .where(Conversation.__table__.c.id == max(gone))
        )
        for name in CHILD_TABLES:
            table = metadata.tables[name]
            connection.execute(table.delete().where(table.c.conversation_id == max(gone)))
    db.session.remove()
    assert counter_rows(db.engine) != rebuilt_counter_rows(db.engine)
    assert aiconvos.rebuild_counters() > 0
    assert_counts_exact(db)
    assert not stored_ids(db, Conversation.tour_count > 0)
    assert shown_metrics(client) == brute_metrics(db)


def test_the_erase_command(app, aiconvos, db, imported, monkeypatch):
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["aiconvos", "erase", "--customer", "C-100001", "--dry-run"])
    assert dry.exit_code == 0 and "3 conversations would be erased" in dry.output
    assert len(stored_ids(db, Conversation.customer_id == "C-100001")) == 3
    both = runner.invoke(args=["aiconvos", "erase", "--customer", "C-1", "--conversation", "2"])
    assert both.exit_code == 2 and "exactly one of" in both.output
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    refused = runner.invoke(args=["aiconvos", "erase", "--customer", "C-100001"], input="n\n")
    assert refused.exit_code == 1 and "Erase 3 conversations (customer_id=C-100001)?" in (
        refused.output
    )
    db.session.remove()
    assert len(stored_ids(db, Conversation.customer_id == "C-100001")) == 3
    done = runner.invoke(args=["aiconvos", "erase", "--customer", "C-100001"], input="y\n")
    assert done.exit_code == 0 and "erased 3 conversations" in done.output
    skipped = runner.invoke(args=["aiconvos", "erase", "--customer", "C-100029", "--yes"])
    assert skipped.exit_code == 0 and "Erase" not in skipped.output
    db.session.remove()
    assert not stored_ids(db, Conversation.customer_id.in_(["C-100001", "C-100029"]))
    assert_counts_exact(db)


def test_the_purge_command_counts_days_in_the_configured_zone(app, aiconvos, db, imported):
    runner = app.test_cli_runner()
    day = date(2026, 9, 1)
    cutoff = datetime(day.year, day.month, day.day, tzinfo=UTC)  # AICONVOS_TIMEZONE is UTC
    quiet = len(stored_ids(db, Conversation.last_activity_at < cutoff))
    assert quiet
    dry = runner.invoke(
        args=[
            "aiconvos",
            "purge",
            "--before",
            "2026-09-01",
            "--audit-before",
            "2026-12-01",
            "--dry-run",
        ]
    )
    assert dry.exit_code == 0, dry.output
    assert f"would purge {quiet} conversations last active before 2026-09-01" in dry.output
    assert "access-log entries before 2026-12-01" in dry.output
    db.session.remove()
    assert len(stored_ids(db)) == CONVERSATIONS
    result = runner.invoke(args=["aiconvos", "purge", "--before", "2026-09-01", "--yes"])
    assert result.exit_code == 0 and f"purged {quiet} conversations" in result.output
    db.session.remove()
    assert len(stored_ids(db)) == CONVERSATIONS - quiet
    assert_counts_exact(db)
    audit = runner.invoke(args=["aiconvos", "purge", "--audit-before", "2026-12-01", "--yes"])
    assert audit.exit_code == 0 and "purged 1 access-log entries" in audit.output
    nothing = runner.invoke(args=["aiconvos", "purge"])
    assert nothing.exit_code == 2 and "--before, --audit-before or both" in nothing.output
    bad = runner.invoke(args=["aiconvos", "purge", "--before", "yesterday"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_the_counters_rebuild_command(app, aiconvos, db, imported):
    with db.engine.begin() as connection:
        connection.execute(metadata.tables["aiconvos_counter"].delete())
    result = app.test_cli_runner().invoke(args=["aiconvos", "counters", "rebuild"])
    assert result.exit_code == 0 and "counters rebuilt" in result.output
    assert_counts_exact(db)


def test_the_readme_examples_run_as_written(app, aiconvos, db, imported, monkeypatch):
    """The section's commands and Python block, on the fixture's host (``aiconvos`` is the
    extension the README's Quick start names so)."""
    runner = app.test_cli_runner()
    for command in code_blocks("Erasure and retention", "bash")[0].splitlines():
        words = shlex.split(command, comments=True)
        assert words[:3] == ["flask", "--app", "app"], command
        result = runner.invoke(args=words[3:])
        assert result.exit_code == 0, (command, result.output)
    assert not stored_ids(db, Conversation.last_activity_at < datetime(2025, 12, 1, tzinfo=UTC))
    exec(
        compile(code_blocks("Erasure and retention")[0], "README.md", "exec"),
        {"aiconvos": aiconvos},
    )
    db.session.remove()
    assert not stored_ids(db, Conversation.customer_id == "C-100001")
    assert_counts_exact(db)
