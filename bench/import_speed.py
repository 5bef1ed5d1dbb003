"""Import speed: ``import_conversations`` against the floor, into a database that already holds
the benchmark's conversations.

    python -m bench.import_speed --conversations 1000000 --new 5000
    python -m bench.import_speed --database-url postgresql://postgres@127.0.0.1/bench --new 5000

The floor is the same rows, built beforehand (derived columns and rendered HTML included, so
none of that is timed), written as ``bench.generate`` writes them (``executemany`` on SQLite,
``COPY`` on PostgreSQL, a commit per batch) with the tables' own indexes and the search index's
triggers in place, as any writer pays them: no validation, rendering or counter upkeep. Then
the import writes the same conversations again, as keyed records, through the public API. Both
runs are removed afterwards and the counters rebuilt, so the database is left as it was.
SQLite runs in WAL with ``synchronous=NORMAL``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from typing import Any

import sqlalchemy as sa

from flask_aiconvos import counters

from .generate import (
    BATCH,
    DEFAULT_CONVERSATIONS,
    TABLES,
    Generator,
    Ids,
    Rows,
    _Writer,
    add_rows,
    default_url,
    import_record,
)
from .run import build_app, clock_after_newest, machine, sqlalchemy_url, sqlite_mode

#: The goals of the issue that asked for an import: at most this many times the floor, and at
#: least this many messages per second on SQLite.
MAX_RATIO = 3.0
MIN_SQLITE_MESSAGES_PER_S = 10_000


def _top_ids(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: int(
                connection.execute(
                    sa.text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
                ).scalar_one()
            )
            for _, table in TABLES
        }


def _remove_above(engine: sa.Engine, top: dict[str, int]) -> None:
    """Delete every row written since ``top`` was read, and rebuild the counters."""
    with engine.begin() as connection:
        for _, table in reversed(TABLES):
            connection.execute(sa.text(f"DELETE FROM {table} WHERE id > :top"), {"top": top[table]})
        counters.rebuild(connection)


def floor(engine: sa.Engine, plans: list[Any]) -> float:
    """Seconds to write the plans' rows, built beforehand, in batches of ``BATCH`` rows."""
    top = _top_ids(engine)
    ids = Ids(**{attr: top[table] + 1 for attr, table in TABLES})
    batches: list[Rows] = [Rows()]
    for plan in plans:
        add_rows(plan, ids, batches[-1])
        if len(batches[-1].conversation) >= BATCH:
            batches.append(Rows())
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        writer = _Writer(dbapi, engine.dialect)
        began = time.perf_counter()
        for rows in batches:
            for attr, table in TABLES:
                writer.write(table, getattr(rows, attr))
            dbapi.commit()
        return time.perf_counter() - began
    finally:
        raw.close()


def measure(url: str, new: int, seed: int) -> dict[str, Any]:
    probe = sa.create_engine(sqlalchemy_url(url))
    with probe.connect() as connection:
        now = clock_after_newest(connection)
        stored = connection.execute(
            sa.text("SELECT COUNT(*) FROM aiconvos_conversation")
        ).scalar_one()
    probe.dispose()
    app, aiconvos, db, _ = build_app(url, now)
    plans = list(Generator(new, seed=seed, now=now, years=1.0, long_conversation=0))
    records = [
        import_record(plan, external_id=f"bench-import-{seed}-{n}") for n, plan in enumerate(plans)
    ]
    messages = sum(len(plan.messages) for plan in plans)
    result: dict[str, Any] = {
        "stored_before": int(stored),
        "conversations": new,
        "messages": messages,
    }
    with app.app_context():
        engine = db.engine
        result["machine"] = machine(engine)
        mode = sqlite_mode(engine, "wal", "normal") if engine.dialect.name == "sqlite" else None
        with mode or contextlib.nullcontext():
            top = _top_ids(engine)
            try:
                result["floor_s"] = floor(engine, plans)
                _remove_above(engine, top)
                began = time.perf_counter()
                report = aiconvos.import_conversations(records)
                result["import_s"] = time.perf_counter() - began
                if not report.ok or report.conversations != new:
                    raise SystemExit(f"the import failed: {report.summary()} {report.errors[:3]}")
            finally:
                db.session.remove()
                _remove_above(engine, top)
        engine.dispose()
    result["floor_messages_per_s"] = messages / result["floor_s"]
    result["import_messages_per_s"] = messages / result["import_s"]
    result["ratio"] = result["import_s"] / result["floor_s"]
    return result


def render(result: dict[str, Any], dialect: str) -> str:
    ratio_met = "met" if result["ratio"] <= MAX_RATIO else "not met"
    lines = [
        f"Import of {result['conversations']:,} conversations ({result['messages']:,} messages) "
        f"into {result['stored_before']:,} stored, {dialect}:",
        "",
        "| write | seconds | messages/s |",
        "|---|---:|---:|",
        f"| floor: the same rows, executemany/COPY, no validation | {result['floor_s']:.2f} "
        f"| {result['floor_messages_per_s']:,.0f} |",
        f"| `import_conversations` | {result['import_s']:.2f} "
        f"| {result['import_messages_per_s']:,.0f} |",
        "",
        f"Import ÷ floor: {result['ratio']:.2f}× (goal ≤ {MAX_RATIO:g}×: {ratio_met}).",
    ]
    if dialect == "sqlite":
        rate_met = (
            "met" if result["import_messages_per_s"] >= MIN_SQLITE_MESSAGES_PER_S else "not met"
        )
        lines.append(f"Goal ≥ {MIN_SQLITE_MESSAGES_PER_S:,} messages/s on SQLite: {rate_met}.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--database-url", default=None, help="default: the bench/data/ file")
    parser.add_argument("--conversations", type=int, default=DEFAULT_CONVERSATIONS)
    parser.add_argument("--new", type=int, default=5000, help="conversations to import")
    parser.add_argument("--seed", type=int, default=77)
    args = parser.parse_args(argv)
    url = args.database_url or default_url(args.conversations)
    result = measure(url, args.new, args.seed)
    dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
    print(render(result, dialect))
    print(
        "machine: " + ", ".join(f"{k} {v}" for k, v in result["machine"].items()), file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
