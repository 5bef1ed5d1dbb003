"""Time the screens and the recording API against a plain Flask-Admin view, on one database.

One process, one Flask app holding both the extension's view and the plain ``ModelView``
(``bench/plain_admin.py``) over the same tables. Every figure is the median and 95th percentile
of repeated requests through the Flask test client after warm-up, plus the SQL statements one
request runs and the peak Python memory it allocates (tracemalloc, measured in a separate
untimed request). The exports are timed read to their end, as rows (conversations) per second.

    python -m bench.run                                  # the 1M SQLite database of bench/data/
    python -m bench.run --database-url postgresql://postgres@127.0.0.1:5432/bench_aiconvos

The database is left as it was found: the messages the write test adds are removed afterwards
and the conversations they touched restored.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import resource
import sqlite3
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Flask
from flask_admin import Admin
from flask_login import LoginManager, UserMixin
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Session

try:
    from flask_babel import Babel
except ImportError:  # without the i18n extra
    Babel = None

from flask_aiconvos import AIConversations, audit, message_search, queries
from flask_aiconvos.list_request import ListFilters
from flask_aiconvos.models import AccessLogEntry, Conversation, Message
from flask_aiconvos.search_text import clean_search
from flask_aiconvos.state import get_state

from .generate import DEFAULT_CONVERSATIONS, default_url
from .plain_admin import PlainConversation, PlainConversationView, PlainMessage, PlainMessageView

RESULTS_DIR = Path(__file__).resolve().parent / "results"
OURS = "/admin/ai-conversations/"
PLAIN = "/admin/plain-conversations/"
PLAIN_MESSAGES = "/admin/plain-messages/"
LINK_KINDS = ("tour", "customer", "contract", "booking", "day_pass", "inbox_item", "ticket")

#: The search terms: a fragment of a customer's surname (non-ASCII), a subject word of about one
#: conversation in a hundred, and a common word (a stress case; about one in sixteen).
NAME_FRAGMENT = "wiśniew"
SUBJECT_WORD = "refund"
COMMON_WORD = "parking"
#: Words found only inside messages: one in the messages of under 1 % of the conversations, and
#: use case 3's two words (a meeting room with a screen), compared with a plain view over the
#: messages.
MESSAGE_WORD = "projector"
MESSAGE_WORDS = "screen meeting"


class BenchUser(UserMixin):
    id = "bench"

    def has_role(self, role: str) -> bool:
        return True


def sqlalchemy_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def clock_after_newest(connection: sa.Connection) -> datetime:
    """The benchmark's fixed clock: a minute after the newest activity stored (the real time
    for an empty database), so "This month" and "Today" hold the data's most recent days."""
    newest = connection.execute(
        sa.text("SELECT MAX(last_activity_at) FROM aiconvos_conversation")
    ).scalar_one()
    if newest is None:
        return datetime.now(UTC)
    if isinstance(newest, str):  # SQLite stores naive UTC text
        newest = datetime.fromisoformat(newest)
    return newest.replace(tzinfo=newest.tzinfo or UTC) + timedelta(minutes=1)


def build_app(
    url: str, now: datetime, *, timezone: str = "UTC"
) -> tuple[Flask, AIConversations, SQLAlchemy, PlainConversationView]:
    """A host app as the README describes it, with the plain view beside the extension's."""
    app = Flask("bench_host")
    app.config.update(
        SECRET_KEY="bench",
        SQLALCHEMY_DATABASE_URI=sqlalchemy_url(url),
        AICONVOS_TIMEZONE=timezone,
    )
    db = SQLAlchemy()
    db.init_app(app)
    if Babel is not None:
        # A host with the i18n extra sets Flask-Babel up (Flask-Admin needs it then): English.
        Babel(app)
    admin = Admin(app, name="Bench", url="/admin")
    login = LoginManager(app)
    user = BenchUser()
    login.request_loader(lambda request: user)
    for kind in LINK_KINDS:
        app.add_url_rule(f"/host/{kind}/<id>", f"host_{kind}", lambda id: id)
    aiconvos = AIConversations(
        app,
        db=db,
        admin=admin,
        links={kind: f"host_{kind}" for kind in LINK_KINDS},
        clock=lambda: now,
    )
    plain = PlainConversationView(
        PlainConversation, db, name="Plain", endpoint="plain", url="plain-conversations"
    )
    admin.add_view(plain)
    admin.add_view(
        PlainMessageView(
            PlainMessage, db, name="Plain messages", endpoint="plain_messages", url="plain-messages"
        )
    )
    return app, aiconvos, db, plain


# --- measuring ------------------------------------------------------------------------------


@dataclass
class Figure:
    median_ms: float
    p95_ms: float
    runs: int
    queries: int
    peak_mib: float
    status: int
    bytes: int


@dataclass
class Row:
    key: str
    label: str
    ours: Figure | None = None
    plain: Figure | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.ours is None or self.plain is None or not self.ours.median_ms:
            return None
        return self.plain.median_ms / self.ours.median_ms


@dataclass
class Report:
    machine: dict[str, str]
    database: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    writes: dict[str, dict[str, Any]] = field(default_factory=dict)
    audit: dict[str, dict[str, float]] = field(default_factory=dict)
    exports: list[dict[str, Any]] = field(default_factory=list)
    message_index: dict[str, float] = field(default_factory=dict)
    max_rss_mib: float = 0.0


@contextmanager
def counted(engine: sa.Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        # The access-log writer thread's INSERTs are no statement of the page's.
        if "aiconvos_access_log" not in statement:
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure(
    app: Flask, engine: sa.Engine, url: str, *, repeat: int, budget: float, warmup: int = 2
) -> Figure:
    client = app.test_client()

    def get() -> Any:
        with app.app_context():
            return client.get(url)

    for _ in range(warmup):
        response = get()
    with counted(engine) as statements:
        response = get()
    status, size = response.status_code, len(response.get_data())
    tracemalloc.start()
    get()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    samples: list[float] = []
    began = time.perf_counter()
    while len(samples) < repeat and (len(samples) < 5 or time.perf_counter() - began < budget):
        start = time.perf_counter()
        get()
        samples.append((time.perf_counter() - start) * 1000)
    return Figure(
        median_ms=statistics.median(samples),
        p95_ms=percentile(samples, 0.95),
        runs=len(samples),
        queries=len(statements),
        peak_mib=peak / 2**20,
        status=status,
        bytes=size,
    )


# --- the scenarios --------------------------------------------------------------------------


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def scenarios(
    app: Flask, view: PlainConversationView, now: datetime, phone: str, long_id: int
) -> list[tuple[str, str, str, str]]:
    """(key, label, our URL, the plain view's URL) of every timed page."""
    with app.test_request_context():
        channel = "flt0_" + view.filter_arg("channel", "FilterEqual")
        started = "flt1_" + view.filter_arg("started_at", "DateTimeBetweenFilter")
    month_start, month_end = month_bounds(now)
    between = (
        f"{month_start:%Y-%m-%d %H:%M:%S} to {month_end - timedelta(seconds=1):%Y-%m-%d %H:%M:%S}"
    )

    def search(term: str) -> tuple[str, str]:
        return OURS + "?" + urlencode({"search": term}), PLAIN + "?" + urlencode({"search": term})

    return [
        ("list_first", "List, All tab, first page (metrics included)", OURS, PLAIN),
        ("list_page_200", "List, All tab, page 200", OURS + "?page=200", PLAIN + "?page=200"),
        (
            "tab_range",
            "List, WhatsApp tab + This month",
            OURS + "?channel=whatsapp&range=this_month",
            PLAIN + "?" + urlencode({channel: "whatsapp", started: between}),
        ),
        (
            "outcome_escalated_month",
            "List, outcome=escalated + This month (exact metrics)",
            OURS + "?outcome=escalated&range=this_month",
            "",
        ),
        (
            "outcome_tour_all",
            "List, outcome=tour, All time (exact metrics)",
            OURS + "?outcome=tour",
            "",
        ),
        ("search_name", f"Search, name fragment “{NAME_FRAGMENT}”", *search(NAME_FRAGMENT)),
        ("search_phone", f"Search, phone-number fragment “{phone}”", *search(phone)),
        ("search_subject", f"Search, subject word “{SUBJECT_WORD}”", *search(SUBJECT_WORD)),
        ("search_common", f"Search, common word “{COMMON_WORD}” (stress)", *search(COMMON_WORD)),
        (
            "search_message",
            f"Search inside messages, word “{MESSAGE_WORD}” (plain: a view over the messages)",
            OURS + "?" + urlencode({"search": MESSAGE_WORD}),
            PLAIN_MESSAGES + "?" + urlencode({"search": MESSAGE_WORD}),
        ),
        (
            "search_message_words",
            f"Search inside messages, “{MESSAGE_WORDS}” (plain: a view over the messages)",
            OURS + "?" + urlencode({"search": MESSAGE_WORDS}),
            PLAIN_MESSAGES + "?" + urlencode({"search": MESSAGE_WORDS}),
        ),
        (
            "trends_this_month",
            "List, This month, with previous-month tiles and the day-by-day chart",
            OURS + "?range=this_month",
            PLAIN + "?" + urlencode({started: between}),
        ),
        (
            "metrics_json",
            "metrics.json, This month (metrics, previous month, comparison, series)",
            OURS + "metrics.json?range=this_month",
            "",
        ),
        (
            "metrics_json_all",
            "metrics.json, All time (series by month)",
            OURS + "metrics.json",
            "",
        ),
        (
            "timeline",
            "Timeline of a 2,000-message conversation (first screen)",
            OURS + f"details/?id={long_id}",
            PLAIN + f"details/?id={long_id}",
        ),
    ]


def match_counts(engine: sa.Engine, terms: dict[str, str]) -> dict[str, int]:
    """How many conversations each search matches, in their fields or messages (the report's
    figures, counted by the list's own conditions)."""
    counts = {}
    with Session(engine) as session:
        for key, term in terms.items():
            filters = ListFilters(search=clean_search(term))
            counts[key] = session.scalar(
                sa.select(sa.func.count()).where(*queries.conditions(filters))
            )
    return counts


def message_index(engine: sa.Engine) -> dict[str, float]:
    """The messages' search index: its size, and how long building it from the stored
    messages takes (SQLite: refilling the FTS5 table; PostgreSQL: ``REINDEX`` of the GIN
    index)."""
    figures: dict[str, float] = {}
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            size = connection.execute(
                sa.text("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE :n"),
                {"n": message_search.MESSAGE_FTS_TABLE + "%"},
            ).scalar_one()
        else:
            size = connection.execute(
                sa.text("SELECT pg_relation_size(:n)"), {"n": message_search.MESSAGE_TRIGRAM_INDEX}
            ).scalar_one()
        figures["size_mib"] = round((size or 0) / 2**20, 1)
        began = time.perf_counter()
        if engine.dialect.name == "sqlite":
            message_search.rebuild(connection)
        else:
            connection.execute(sa.text(f"REINDEX INDEX {message_search.MESSAGE_TRIGRAM_INDEX}"))
        figures["build_s"] = round(time.perf_counter() - began, 1)
    return figures


# --- exports --------------------------------------------------------------------------------


def export_scenarios() -> list[tuple[str, str, str]]:
    """(key, label, URL) of every timed export: the whole All tab, and a search's matches."""
    return [
        ("export_csv", "Export, CSV, All tab", OURS + "export.csv"),
        ("export_jsonl", "Export, JSON Lines, All tab (with every message)", OURS + "export.jsonl"),
        (
            "export_csv_search",
            f"Export, CSV, search “{COMMON_WORD}”",
            OURS + "export.csv?" + urlencode({"search": COMMON_WORD}),
        ),
    ]


def export_rate(
    app: Flask, engine: sa.Engine, url: str, *, repeat: int, budget: float
) -> dict[str, Any]:
    """Rows per second of a streamed export read to its end (median of the timed runs), the
    SQL statements and the peak Python memory of one run (tracemalloc, untimed)."""
    client = app.test_client()

    def run() -> tuple[int, int]:
        with app.app_context():
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            rows = size = 0
            csv = url.split("?")[0].endswith(".csv")
            for chunk in response.response:
                data = chunk if isinstance(chunk, bytes) else chunk.encode()
                size += len(data)
                rows += data.count(b"\r\n" if csv else b"\n")
            response.close()
            return rows - 1 if csv else rows, size

    with counted(engine) as statements:
        rows, size = run()
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    samples: list[float] = []
    cpu: list[float] = []
    began = time.perf_counter()
    while len(samples) < repeat and (len(samples) < 1 or time.perf_counter() - began < budget):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        samples.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    seconds = statistics.median(samples)
    return {
        "cpu_seconds": statistics.median(cpu),
        "rows": rows,
        "bytes": size,
        "seconds": seconds,
        "rows_per_s": rows / seconds if seconds else 0.0,
        "runs": len(samples),
        "queries": len(statements),
        "peak_mib": peak / 2**20,
    }


# --- writes ---------------------------------------------------------------------------------


def _restoring(engine: sa.Engine, conversation_ids: list[int]) -> Callable[[], None]:
    """Snapshot what the write test changes; the returned function puts it back."""
    table = Conversation.__table__
    with engine.connect() as connection:
        max_message = connection.execute(sa.select(sa.func.max(Message.id))).scalar() or 0
        saved = [
            dict(row._mapping)
            for row in connection.execute(sa.select(table).where(table.c.id.in_(conversation_ids)))
        ]

    def restore() -> None:
        with engine.begin() as connection:
            connection.execute(sa.delete(Message.__table__).where(Message.id > max_message))
            for row in saved:
                values = {k: v for k, v in row.items() if k != "id"}
                connection.execute(sa.update(table).where(table.c.id == row["id"]).values(values))

    return restore


#: ``add_message`` calls timed in turn with as many bare inserts.
WRITE_BLOCK = 100


def write_throughput(
    app: Flask, aiconvos: AIConversations, db: SQLAlchemy, calls: int, seed: int = 5
) -> dict[str, Any]:
    """``add_message`` calls per second (each committed), and a plain ORM insert + commit."""
    with app.app_context():
        engine = db.engine
        with engine.connect() as connection:
            top = connection.execute(sa.select(sa.func.max(Conversation.id))).scalar_one()
        rng = random.Random(seed)
        targets = sorted({rng.randint(1, top) for _ in range(200)})
        restore = _restoring(engine, targets)
        result: dict[str, Any] = {"calls": calls}
        bodies = [f"Thanks, see you on {day}!" for day in ("Monday", "Friday", "Sunday")]

        def ours(n: int) -> None:
            aiconvos.add_message(targets[n % len(targets)], sender="customer", body=bodies[n % 3])
            db.session.remove()

        def plain(n: int) -> None:
            db.session.add(
                PlainMessage(
                    conversation_id=targets[n % len(targets)],
                    sender="customer",
                    content_format="text",
                    body=bodies[n % 3],
                    sent_at=datetime.now(UTC),
                )
            )
            db.session.commit()
            db.session.remove()

        # Blocks of each in turn, so a change in the shared machine's speed weighs on both.
        elapsed = {ours: 0.0, plain: 0.0}
        try:
            for first in range(0, calls, WRITE_BLOCK):
                for write in (ours, plain):
                    start = time.perf_counter()
                    for n in range(first, min(first + WRITE_BLOCK, calls)):
                        write(n)
                    elapsed[write] += time.perf_counter() - start
            result["ours_per_s"] = calls / elapsed[ours]
            result["plain_per_s"] = calls / elapsed[plain]
        finally:
            db.session.remove()
            restore()
    return result


#: SQLite durability settings the write test runs under: the library's defaults, and WAL with
#: ``synchronous=NORMAL`` (commits no longer wait for the disk; the usual setting for a web app).
SQLITE_MODES = {
    "SQLite defaults (rollback journal, synchronous=FULL)": ("delete", "full"),
    "WAL, synchronous=NORMAL": ("wal", "normal"),
}


@contextmanager
def sqlite_mode(engine: sa.Engine, journal: str, synchronous: str) -> Iterator[None]:
    """Run with this journal mode (restored afterwards) and ``synchronous`` on every
    connection."""

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA synchronous = {synchronous}")

    engine.dispose()
    with engine.connect() as connection:
        before = connection.exec_driver_sql("PRAGMA journal_mode").scalar_one()
        connection.exec_driver_sql(f"PRAGMA journal_mode = {journal}")
    sa.event.listen(engine, "connect", on_connect)
    try:
        yield
    finally:
        sa.event.remove(engine, "connect", on_connect)
        engine.dispose()
        with engine.connect() as connection:
            connection.exec_driver_sql(f"PRAGMA journal_mode = {before}")
        engine.dispose()


def writes(
    app: Flask, aiconvos: AIConversations, db: SQLAlchemy, calls: int
) -> dict[str, dict[str, Any]]:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return {
            "PostgreSQL defaults (synchronous_commit=on)": write_throughput(
                app, aiconvos, db, calls
            )
        }
    results = {}
    for label, (journal, synchronous) in SQLITE_MODES.items():
        with sqlite_mode(engine, journal, synchronous):
            count = calls if synchronous != "full" else max(calls // 5, 100)
            results[label] = write_throughput(app, aiconvos, db, count)
    return results


def audit_entry_cost(app: Flask, entries: int) -> dict[str, float]:
    """What one access-log entry costs the page that makes it (with the configured
    ``AICONVOS_AUDIT_WRITE``): median and 95th percentile of ``entries`` entries."""
    samples = []
    with app.test_request_context(OURS + "?" + urlencode({"search": SUBJECT_WORD})):
        for _ in range(entries):
            start = time.perf_counter()
            audit.record(audit.SEARCH)
            samples.append((time.perf_counter() - start) * 1000)
    audit.flush()
    return {"median_ms": statistics.median(samples), "p95_ms": percentile(samples, 0.95)}


def audit_cost(
    app: Flask, engine: sa.Engine, *, repeat: int, budget: float, entries: int = 500
) -> dict[str, dict[str, float]]:
    """What the access log adds to a page: one entry's write (per SQLite journal mode, as the
    commit's wait for the disk decides it), and the list page's median with auditing on and
    off."""
    state = get_state(app)
    found: dict[str, dict[str, float]] = {}
    modes = (
        SQLITE_MODES
        if engine.dialect.name == "sqlite"
        else {"PostgreSQL defaults (synchronous_commit=on)": None}
    )
    for write in audit.WRITE_MODES:
        state.audit_write = write
        for label, mode in modes.items():
            with sqlite_mode(engine, *mode) if mode else contextlib.nullcontext():
                found[f"{write}; {label}"] = audit_entry_cost(app, entries)
    state.audit_write = audit.BACKGROUND
    for label, mode in modes.items():
        with sqlite_mode(engine, *mode) if mode else contextlib.nullcontext():
            found[f"list page; {label}"] = _page_on_and_off(app, engine, repeat, budget)
    return found


def _page_on_and_off(app: Flask, engine: sa.Engine, repeat: int, budget: float) -> dict[str, float]:
    """The list page's median with the access log on and off, in turns (so a change in the
    machine's load weighs on both alike)."""
    state = get_state(app)
    on: list[float] = []
    off: list[float] = []
    for _ in range(5):
        on.append(measure(app, engine, OURS, repeat=repeat, budget=budget).median_ms)
        state.audit = False
        try:
            off.append(measure(app, engine, OURS, repeat=repeat, budget=budget).median_ms)
        finally:
            state.audit = True
    audit.flush()
    return {"on_ms": statistics.median(on), "off_ms": statistics.median(off)}


def forget_bench_entries(engine: sa.Engine, now: datetime) -> None:
    """Delete the access-log entries the run wrote (all at the run's fixed clock)."""
    audit.flush()
    table = AccessLogEntry.__table__
    with engine.begin() as connection:
        connection.execute(table.delete().where(table.c.at == now, table.c.user_id == BenchUser.id))


# --- the report -----------------------------------------------------------------------------


def machine(engine: sa.Engine) -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    info = {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "ram": ram,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "os": platform.platform(terse=True),
    }
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            info["postgresql"] = connection.execute(sa.text("SHOW server_version")).scalar_one()
    return info


def database_info(engine: sa.Engine) -> dict[str, Any]:
    info: dict[str, Any] = {"dialect": engine.dialect.name}
    with engine.connect() as connection:
        for table in ("conversation", "message", "conversion", "inbox_item", "ticket"):
            info[f"{table}s"] = connection.execute(
                sa.text(f"SELECT COUNT(*) FROM aiconvos_{table}")
            ).scalar_one()
        if engine.dialect.name == "sqlite" and engine.url.database:
            info["size_mib"] = round(Path(engine.url.database).stat().st_size / 2**20)
        elif engine.dialect.name == "postgresql":
            info["size_mib"] = round(
                connection.execute(
                    sa.text("SELECT pg_database_size(current_database())")
                ).scalar_one()
                / 2**20
            )
    return info


def _ms(figure: Figure | None) -> str:
    if figure is None:
        return "—"
    return f"{figure.median_ms:,.1f} / {figure.p95_ms:,.1f}"


def render(report: Report) -> str:
    lines = [
        "| measure | ours: median / p95 ms | plain Flask-Admin: median / p95 ms | ratio "
        "| SQL statements (ours / plain) | peak Python MiB (ours / plain) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in report.rows:
        ratio = f"{row.ratio:,.1f}×" if row.ratio else "—"
        queries = " / ".join(str(f.queries) if f else "—" for f in (row.ours, row.plain))
        memory = (
            f"{row.ours.peak_mib:.1f} / {row.plain.peak_mib:.1f}"
            if row.ours and row.plain
            else (f"{row.ours.peak_mib:.1f} / —" if row.ours else "—")
        )
        label = row.label + (f" ({row.note})" if row.note else "")
        cells = (label, _ms(row.ours), _ms(row.plain), ratio, queries, memory)
        lines.append("| " + " | ".join(cells) + " |")
    for mode, figures in report.writes.items():
        ours, plain = figures["ours_per_s"], figures["plain_per_s"]
        lines.append(
            f"| `add_message`, each committed ({figures['calls']:,} calls; {mode}) "
            f"| {ours:,.0f} msg/s | {plain:,.0f} msg/s (bare ORM insert) "
            f"| {ours / plain:.2f}× (each call {plain / ours:.2f}× the insert's time) | — | — |"
        )
    for mode, cost in report.audit.items():
        if "median_ms" in cost:
            lines.append(
                f"| Access log: one entry written ({mode}) | {cost['median_ms']:.2f} / "
                f"{cost['p95_ms']:.2f} | — | — | 1 / — | — |"
            )
        else:
            lines.append(
                f"| Access log: {mode}, median with it on / off | {cost['on_ms']:.1f} / "
                f"{cost['off_ms']:.1f} | — | — | — | — |"
            )
    for export in report.exports:
        lines.append(
            f"| {export['label']} ({export['rows']:,} rows, {export['bytes'] / 2**20:,.1f} MiB) "
            f"| {export['rows_per_s']:,.0f} rows/s ({export['seconds']:,.2f} s; "
            f"this process's CPU {export['cpu_seconds']:,.2f} s) | — | — "
            f"| {export['queries']:,} / — | {export['peak_mib']:.1f} / — |"
        )
    lines.append("")
    if report.message_index:
        lines.append(
            f"Messages' search index: {report.message_index['size_mib']:,.1f} MiB, built in "
            f"{report.message_index['build_s']:,.1f} s from the stored messages."
        )
    lines.append(f"Peak RSS of the benchmark process: {report.max_rss_mib:,.0f} MiB.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--database-url", default=None, help="default: the bench/data/ file")
    parser.add_argument(
        "--conversations",
        type=int,
        default=DEFAULT_CONVERSATIONS,
        help="which bench/data/ file to use without --database-url",
    )
    parser.add_argument("--repeat", type=int, default=21, help="timed requests per page")
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per page at most")
    parser.add_argument("--export-repeat", type=int, default=3, help="timed runs per export")
    parser.add_argument("--writes", type=int, default=2000, help="add_message calls to time")
    parser.add_argument("--only", nargs="*", help="scenario keys to run (default: all)")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain view")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument(
        "--timezone",
        default="UTC",
        help="AICONVOS_TIMEZONE of our screens (days and months counted in it)",
    )
    args = parser.parse_args(argv)

    url = args.database_url or default_url(args.conversations)
    probe = sa.create_engine(sqlalchemy_url(url))
    with probe.connect() as connection:
        now = clock_after_newest(connection)
        long_id = connection.execute(
            sa.text("SELECT id FROM aiconvos_conversation ORDER BY message_count DESC LIMIT 1")
        ).scalar_one()
        middle = connection.execute(sa.text("SELECT MAX(id) / 2 FROM aiconvos_conversation"))
        phone = connection.execute(
            sa.text(
                "SELECT external_identifier FROM aiconvos_conversation "
                "WHERE id >= :m AND external_identifier LIKE '+44 7700 %' ORDER BY id LIMIT 1"
            ),
            {"m": middle.scalar_one()},
        ).scalar_one()
    probe.dispose()
    phone_fragment = phone.replace(" ", "")[-6:]

    app, aiconvos, db, view = build_app(url, now, timezone=args.timezone)
    with app.app_context():
        engine = db.engine
    report = Report(machine=machine(engine), database=database_info(engine))
    counts = match_counts(
        engine,
        {
            "search_name": NAME_FRAGMENT,
            "search_phone": phone_fragment,
            "search_subject": SUBJECT_WORD,
            "search_common": COMMON_WORD,
            "search_message": MESSAGE_WORD,
            "search_message_words": MESSAGE_WORDS,
        },
    )
    report.database["now"] = now.isoformat()
    print(f"database: {report.database}", file=sys.stderr)

    for key, label, ours_url, plain_url in scenarios(app, view, now, phone_fragment, long_id):
        if args.only and key not in args.only:
            continue
        row = Row(key, label)
        if key in counts:
            row.note = f"{counts[key]:,} matches"
        print(f"{label} …", file=sys.stderr, flush=True)
        row.ours = measure(app, engine, ours_url, repeat=args.repeat, budget=args.budget)
        if not args.no_plain and plain_url:  # metrics.json and outcomes have no plain counterpart
            row.plain = measure(app, engine, plain_url, repeat=args.repeat, budget=args.budget)
        report.rows.append(row)
        print(f"  ours {_ms(row.ours)}  plain {_ms(row.plain)}", file=sys.stderr, flush=True)

    for key, label, export_url in export_scenarios():
        if args.only and key not in args.only:
            continue
        print(f"{label} …", file=sys.stderr, flush=True)
        figures = export_rate(
            app, engine, export_url, repeat=args.export_repeat, budget=args.budget
        )
        report.exports.append({"key": key, "label": label, **figures})
        print(f"  {figures['rows_per_s']:,.0f} rows/s", file=sys.stderr, flush=True)

    if args.writes and (not args.only or "writes" in args.only):
        print("add_message throughput …", file=sys.stderr, flush=True)
        report.writes = writes(app, aiconvos, db, args.writes)
    if not args.only or "message_index" in args.only:
        print("messages' search index …", file=sys.stderr, flush=True)
        report.message_index = message_index(engine)
    if not args.only or "audit" in args.only:
        print("access log cost …", file=sys.stderr, flush=True)
        report.audit = audit_cost(app, engine, repeat=args.repeat, budget=args.budget)
    forget_bench_entries(engine, now)
    report.max_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(render(report))
    print()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in report.machine.items()))
    print("database: " + ", ".join(f"{k} {v}" for k, v in report.database.items()))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(report), indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
