"""Several host apps writing into one database at once."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask_aiconvos import AIConversations

from .hosts import make_host_app

WRITERS = 4


def run_writers(
    database_url: str, target: Callable[[AIConversations, int], None], *, writers: int = WRITERS
) -> list[BaseException]:
    """Run ``target(ext, writer_index)`` in ``writers`` threads, each with its own app and engine.

    The apps are built first, in this thread: what races is the writing, not Flask's set-up
    (CPython 3.11 can fail compiling URL rules in several threads at once). A writer that
    fails breaks the barrier, so the others stop instead of waiting for it.
    """
    errors: list[BaseException] = []
    barrier = threading.Barrier(writers, timeout=60)
    hosts = [make_host_app(database_url) for _ in range(writers)]

    def worker(index: int) -> None:
        app, ext = hosts[index]
        try:
            with app.app_context():
                barrier.wait()
                target(ext, index)
        except BaseException as error:  # collected and returned to the test
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    stuck = [thread.name for thread in threads if thread.is_alive()]
    for app, _ext in hosts:
        with app.app_context():
            app.extensions["test_db"].engine.dispose()
    assert stuck == [], f"writers still running after 120 s: {stuck}"
    return errors
