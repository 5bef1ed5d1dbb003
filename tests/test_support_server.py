"""The browser tests' server closes a static file even when the client resets mid-download.

Without ``support.server.closing_responses`` werkzeug's server leaves some of these files open
(checked: 10 to 60 of the 200 downloads, each run), and every one becomes a ResourceWarning.
"""

from __future__ import annotations

import gc
import socket
import struct
import threading
import time
import warnings

from flask import Flask, send_file
from support.server import serving


def test_reset_connections_leave_no_file_open(tmp_path):
    big = tmp_path / "font.woff2"
    big.write_bytes(b"\0" * 100_000)
    app = Flask(__name__)
    app.add_url_rule("/font.woff2", "font", lambda: send_file(big))
    threads_before = threading.active_count()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with serving(app) as url:
            port = int(url.rsplit(":", 1)[1])
            for _ in range(200):
                client = socket.create_connection(("127.0.0.1", port))
                client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
                client.sendall(b"GET /font.woff2 HTTP/1.1\r\nHost: x\r\n\r\n")
                client.recv(100)
                # Close with a reset (linger 0), as a browser abandoning a download does.
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
            deadline = time.monotonic() + 10
            while threading.active_count() > threads_before + 1 and time.monotonic() < deadline:
                time.sleep(0.02)
        gc.collect()
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []
