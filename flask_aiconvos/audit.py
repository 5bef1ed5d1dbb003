"""The access log: who viewed, searched or opened which conversations, and when.

Entries are written on a connection of their own, outside the host's session, so a failed write
never fails the page or the host's transaction: it is logged as a warning and the page answers as
usual. With ``AICONVOS_AUDIT_WRITE = "background"`` (the default) a page only hands its entry to
one writer thread per process, which commits whatever is waiting in one transaction: a commit
costs a page nothing, where waiting for it would cost milliseconds (SQLite's commit waits for the
disk). ``"request"`` writes each entry before the page answers. ``AICONVOS_AUDIT = False``
records nothing.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from flask import has_request_context, request
from sqlalchemy import Engine, insert
from sqlalchemy.exc import SQLAlchemyError

from .access import current_user
from .models import ACCESS_PARAMS_MAX, NAME_MAX, RECORD_ID_MAX, AccessLogEntry
from .state import get_state

log = logging.getLogger(__name__)

#: The actions an entry records.
LIST, SEARCH, TIMELINE, SHOW_IMAGES = "list", "search", "timeline", "show_images"
EXPORT = "export"
ACTIONS = (LIST, SEARCH, TIMELINE, SHOW_IMAGES, EXPORT, "erase", "purge")

UserDisplay = Callable[[Any], str | None]

#: ``AICONVOS_AUDIT_WRITE``: hand entries to the writer thread, or write them in the request.
BACKGROUND, REQUEST = "background", "request"
WRITE_MODES = (BACKGROUND, REQUEST)
#: The most entries the writer thread commits in one transaction.
BATCH_MAX = 500
#: How long the writer thread gathers entries before it commits them (seconds): one commit per
#: this much time under load, instead of one per page.
BATCH_WAIT = 0.5
#: Handed to the writer by ``flush``: commit what you hold now.
_NOW: Any = object()


def _insert(engine: Engine, rows: list[dict[str, Any]]) -> None:
    try:
        with engine.begin() as connection:
            connection.execute(insert(AccessLogEntry), rows)
    except SQLAlchemyError as error:
        log.warning(
            "aiconvos: could not write %d access-log entries (%s); the pages were served",
            len(rows),
            error,
        )


class EntryWriter:
    """The process's writer thread: entries queue up and are committed in batches, per
    database. Started on the first entry (again in a forked worker) and drained at exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._queue: queue.Queue[Any] = queue.Queue()

    def submit(self, engine: Engine, row: dict[str, Any]) -> None:
        if self._pid != os.getpid():
            self._start()
        self._queue.put((engine, row))

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._queue = queue.Queue()  # a forked worker starts with an empty queue
            threading.Thread(target=self._run, name="aiconvos-access-log", daemon=True).start()
            self._pid = os.getpid()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every entry handed over so far is committed (or failed and logged);
        ``False`` when ``timeout`` seconds were not enough."""
        if self._pid != os.getpid():
            return True  # this process never handed an entry over
        self._queue.put(_NOW)
        deadline = time.monotonic() + timeout
        waiting = self._queue.all_tasks_done
        with waiting:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                waiting.wait(left)
        return True

    def _gather(self, pending: queue.Queue[Any]) -> list[Any]:
        """The next batch: what arrives within ``BATCH_WAIT`` of its first entry, up to
        ``BATCH_MAX`` entries or a ``flush``."""
        batch = [pending.get()]
        deadline = time.monotonic() + BATCH_WAIT
        while len(batch) < BATCH_MAX and batch[-1] is not _NOW:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                batch.append(pending.get(timeout=left))
            except queue.Empty:
                break
        return batch

    def _run(self) -> None:
        pending = self._queue
        while True:
            batch = self._gather(pending)
            try:
                by_engine: dict[Engine, list[dict[str, Any]]] = {}
                for item in batch:
                    if item is not _NOW:
                        engine, row = item
                        by_engine.setdefault(engine, []).append(row)
                for engine, rows in by_engine.items():
                    _insert(engine, rows)
            except Exception:  # never let the thread die: the next entries must still go
                log.exception("aiconvos: the access-log writer failed on %d entries", len(batch))
            finally:
                for _ in batch:
                    pending.task_done()


writer = EntryWriter()
atexit.register(writer.flush)


def default_user_display(user: Any) -> str | None:
    """How an entry names its user: ``display_name``, ``name``, ``email`` or the id."""
    for attribute in ("display_name", "name", "email"):
        value = getattr(user, attribute, None)
        if isinstance(value, str) and value.strip():
            return value
    get_id = getattr(user, "get_id", None)
    return str(get_id()) if callable(get_id) and get_id() is not None else None


def _user_id(user: Any) -> str | None:
    get_id = getattr(user, "get_id", None)
    value = get_id() if callable(get_id) else None
    return None if value is None else str(value)[:RECORD_ID_MAX]


def record(
    action: str, *, conversation_id: int | None = None, extra: Mapping[str, str] | None = None
) -> None:
    """Log this request as ``action`` (``extra`` parameters, then its query string, kept
    bounded), if auditing is on."""
    params = urlencode([*(extra or {}).items(), *request.args.items(multi=True)])
    _write(action, conversation_id, params)


def record_operation(action: str, params: str) -> None:
    """Log an erasure or purge with what it took: from a request, as its user; from the
    command line or a script, without one (``user_display`` says where it came from)."""
    _write(action, None, params, outside_request="command line", immediate=True)


def _write(
    action: str,
    conversation_id: int | None,
    params: str,
    outside_request: str | None = None,
    *,
    immediate: bool = False,
) -> None:
    state = get_state()
    if not state.audit:
        return
    in_request = has_request_context()
    user = current_user() if in_request else None
    display = state.audit_user_display(user) if user is not None else None
    if not in_request:
        display = outside_request
    row = {
        "at": state.clock(),
        "user_id": _user_id(user),
        "user_display": None if display is None else str(display)[:NAME_MAX],
        "tenant": state.access.tenant() if in_request else None,
        "action": action,
        "conversation_id": conversation_id,
        "params": params[:ACCESS_PARAMS_MAX],
    }
    if state.audit_write == BACKGROUND and in_request and not immediate:
        writer.submit(state.engine, row)
    else:
        _insert(state.engine, [row])


def flush(timeout: float = 10.0) -> bool:
    """Wait until the entries of every page served so far are written (see ``EntryWriter``)."""
    return writer.flush(timeout)
