"""Serve a WSGI app on 127.0.0.1 in a thread (browser tests, ``docs/screenshots.py``)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server

WSGIApp = Any


def closing_responses(app: WSGIApp) -> WSGIApp:
    """``app``, with every response closed even when the client hangs up half-way.

    werkzeug's development server (checked with 3.1.9) calls the response's ``close()`` in a
    ``finally`` that first drains the request socket; when the client has reset the connection
    (a browser navigating away or closing a context while a font file is still downloading),
    that drain raises and ``close()`` never runs. The static file stays open until it is
    garbage-collected, with a ``ResourceWarning: unclosed file <... fontawesome-webfont.woff2>``
    that ``filterwarnings = error`` turns into an error in whichever test is running then.
    Passing the response through a generator closes it: the generator's ``finally`` runs as
    soon as the server drops it, whatever happened to the connection.
    """

    def wsgi(environ: dict, start_response: Any) -> Iterator[bytes]:
        iterable: Iterable[bytes] = app(environ, start_response)
        try:
            # Not ``yield from``: it would forward ``close()`` as well, closing twice.
            for chunk in iterable:  # noqa: UP028
                yield chunk
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()

    return wsgi


@contextmanager
def serving(app: WSGIApp) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1; yields the base URL, then shuts down."""
    http = make_server("127.0.0.1", 0, closing_responses(app), threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        http.server_close()
        thread.join(timeout=10)
