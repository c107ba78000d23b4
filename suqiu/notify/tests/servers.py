"""Real local servers for the transport tests: an SMTP server (aiosmtpd) and an HTTP server
(``http.server`` in a thread) that answers from a script and records what it received."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- SMTP ------------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    messages: list = field(default_factory=list)  # (mail_from, rcpt_tos, content bytes)
    refuse: set = field(default_factory=set)  # recipients answered with 550


class _Handler:
    def __init__(self, box: Mailbox):
        self.box = box

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.box.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.box.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


class SmtpServer:
    def __init__(self):
        self.box = Mailbox()
        self.port = free_port()
        self.controller = Controller(_Handler(self.box), hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


# --- HTTP ------------------------------------------------------------------------------------------


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


class HttpServer:
    """Answers each request with the next status of ``script`` (the last one repeats).

    With ``secret``, a request whose ``X-Suqiu-Signature`` does not verify is answered 401,
    as a webhook receiver would: HMAC-SHA256 over "<X-Suqiu-Timestamp>." + the raw body."""

    def __init__(self, script=(200,), *, secret: str | None = None):
        self.script = list(script)
        self.secret = secret
        self.received: list[Received] = []
        self.verified: list[bool] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with outer.lock:
                    outer.received.append(
                        Received(self.command, self.path, dict(self.headers.items()), body)
                    )
                    status = outer.script.pop(0) if len(outer.script) > 1 else outer.script[0]
                    if outer.secret is not None:
                        ok = outer.check_signature(self.headers, body)
                        outer.verified.append(ok)
                        if not ok:
                            status = 401
                payload = b'{"ok": true}' if status < 300 else b'{"error": "scripted"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_PUT = do_GET = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def check_signature(self, headers, body: bytes) -> bool:
        """A receiver's verification, written independently of the sender's code."""
        timestamp = headers.get("X-Suqiu-Timestamp", "")
        expected = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest("sha256=" + expected, headers.get("X-Suqiu-Signature", ""))

    def __enter__(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
